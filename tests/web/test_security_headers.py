"""Headers every answer carries (issue 17): a Content-Security-Policy with no inline script or style,
nosniff, a referrer policy, no framing, HSTS in production only; and pages that need nothing inline."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from countapp import create_app
from countapp.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import PASSWORD
from tests.scenario import build_scenario

from .conftest_helpers import example_url

ROOT = Path(__file__).resolve().parents[2] / "countapp"
INLINE_STYLE = re.compile(r"<[^>]*\sstyle\s*=", re.I)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: " ".join(d.split()[1:]) for d in policy.split(";") if d.strip()}


def test_the_policy_allows_only_the_sites_own_files():
    policy = {d.split()[0]: d.split()[1:] for d in CONTENT_SECURITY_POLICY.split("; ")}
    assert policy["default-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'"]  # the bundled barcode reader, nothing else
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "'unsafe-eval'" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/login", "/static/countapp.css", "/api/openapi.json", "/healthz", "/nowhere"])
def test_every_answer_carries_the_headers(client, path):
    response = client.get(path)
    assert directives(response)["frame-ancestors"] == "'none'"
    assert directives(response)["script-src"] == "'self' 'wasm-unsafe-eval'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain http on a laptop must keep working


def test_production_asks_for_https_for_a_year(monkeypatch, database_url):
    monkeypatch.setenv("COUNTAPP_ENV", "production")
    monkeypatch.setenv("COUNTAPP_AUDIT_KEY", "a" * 64)
    monkeypatch.setenv("COUNTAPP_SECRET_KEY", "k" * 40)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    response = app.test_client().get("/login", base_url="https://count.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert directives(response)["default-src"] == "'self'"


def test_no_template_has_inline_script_style_or_handler():
    found = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        text = template.read_text()
        for pattern in (INLINE_STYLE, INLINE_HANDLER, INLINE_SCRIPT):
            found += [f"{template.relative_to(ROOT)}: {m.group(0)[:80]}" for m in pattern.finditer(text)]
        if "javascript:" in text or re.search(r"[\"']style[\"']\s*:", text):  # also style given to a field
            found.append(f"{template.relative_to(ROOT)}: javascript: URL or style attribute")
    assert found == []


def test_no_script_writes_inline_handlers_or_styles():
    for script in (ROOT / "static").glob("*.js"):
        text = script.read_text()
        assert not re.search(r"setAttribute\(\s*[\"'](on[a-z]+|style)[\"']", text), script.name
        assert not re.search(r"\beval\(|new Function\(|javascript:", text), script.name
        assert not re.search(r"style=|\son[a-z]+=\"", text), script.name  # in HTML it builds


def _pages(client, app) -> dict[str, str]:
    """Every GET page of the app, as a manager sees it (HTML answers only)."""
    pages = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or "logout" in rule.rule:
            continue
        response = client.get(example_url(rule))
        if response.mimetype == "text/html":
            pages[example_url(rule)] = response.get_data(as_text=True)
    return pages


def test_no_page_needs_anything_inline(app, tmp_path, login_as):
    scenario = build_scenario(tmp_path)
    found, seen = [], 0
    for login in ("manager", "lead1", "auditor"):
        client = app.test_client()
        login_as(client, scenario.users[login])
        for url, page in _pages(client, app).items():
            seen += 1
            for pattern in (INLINE_STYLE, INLINE_HANDLER, INLINE_SCRIPT):
                found += [f"{login} {url}: {m.group(0)[:80]}" for m in pattern.finditer(page)]
    assert seen > 30 and found == []


def test_the_service_worker_is_served_as_a_script_of_the_site(app, tmp_path, login_as):
    scenario = build_scenario(tmp_path)
    client = app.test_client()
    login_as(client, scenario.users["ann"])
    response = client.get("/count/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert directives(response)["default-src"] == "'self'"  # its fetches and caches stay on the site
    tablet = client.get(f"/count/{scenario.code}").get_data(as_text=True)
    assert '<script type="application/json" id="count-data">' in tablet  # data blocks are not scripts
    assert PASSWORD not in tablet
