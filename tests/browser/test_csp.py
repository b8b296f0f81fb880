"""The Content-Security-Policy in a real browser (issue 17): on the demo, the pages with scripts, progress
bars and the counting tablet (its service worker, its JSON data blocks, the bundled ZXing WebAssembly
reader) run without a single ``securitypolicyviolation``, and the browser does enforce the policy."""
from __future__ import annotations

import time

import pytest

from .chromium import executable, playwright_or_skip
from .demo_server import demo_server

pytestmark = pytest.mark.browser

sync_api = playwright_or_skip()

WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));
"""
STAFF_PAGES = ("/", "/campaigns/DEMO", "/campaigns/DEMO/settings", "/count/DEMO/progress",
               "/campaigns/DEMO/centralisation", "/campaigns/DEMO/review", "/users/")


@pytest.fixture
def demo(database_url):
    with demo_server(database_url, lines=60) as url:
        yield url


def wait_until(page, predicate: str, seconds: float = 30) -> None:
    """page.wait_for_function evaluates a string in the page, which the policy forbids: poll instead."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, predicate
        page.wait_for_timeout(100)


def _barcode(path, text: str) -> None:
    from PIL import Image, ImageDraw

    from tickets.barcodes import code128_modules

    modules = "0" * 15 + code128_modules(text) + "0" * 15
    image = Image.new("L", (len(modules) * 4, 200), 255)
    draw = ImageDraw.Draw(image)
    for i, module in enumerate(modules):
        if module == "1":
            draw.rectangle([i * 4, 20, i * 4 + 3, 180], fill=0)
    image.save(path)


def test_key_pages_run_under_the_policy_without_a_violation(demo, tmp_path):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])

        def logged_in(login, viewport):
            context = browser.new_context(viewport=viewport, has_touch=True, locale="en",
                                          extra_http_headers={"Accept-Language": "en"})
            context.add_init_script(WATCH)
            page = context.new_page()
            page.messages = []
            page.on("console", lambda m: page.messages.append(m.text) if "Content Security Policy" in m.text else None)
            page.on("pageerror", lambda error: page.messages.append(str(error)))
            page.goto(demo + "/login")
            page.fill("#login", login)
            page.fill("#password", "demo-pass")
            page.click("button[type=submit]")
            page.wait_for_load_state()
            return context, page

        # The browser does enforce it: an inline script and an inline style are refused and reported.
        context, page = logged_in("manager", {"width": 1366, "height": 768})
        page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';
                                 document.body.appendChild(s);
                                 document.body.insertAdjacentHTML('beforeend', '<p id="x" style="color: red">x</p>'); }""")
        page.wait_for_timeout(200)
        assert page.evaluate("window.__ran") is None
        assert len(page.evaluate("window.__violations")) == 2 and len(page.messages) == 2  # console says so too
        page.messages.clear()
        for path in STAFF_PAGES:
            page.goto(demo + path)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("window.__violations") == [], path
        page.goto(demo + "/campaigns/DEMO")
        assert page.locator("progress.progress").count() >= 1  # progress bars drawn without inline style
        assert page.messages == []
        context.close()

        # The counting tablet: its scripts, data blocks, service worker and the ZXing WebAssembly decoder.
        context, page = logged_in("counter1", {"width": 1024, "height": 768})
        page.goto(demo + "/count/DEMO")
        page.wait_for_selector("#ticket-input")
        wait_until(page, "() => navigator.serviceWorker.controller !== null || !!document.querySelector('[data-kept]')")
        assert page.evaluate("'BarcodeDetector' in window") is False
        _barcode(tmp_path / "ticket.png", "999999/2025")
        page.set_input_files("#scan-file", str(tmp_path / "ticket.png"))
        wait_until(page, "() => window.ZXingWASM !== undefined")
        wait_until(page, "() => document.body.innerText.includes('Ticket 9999/2025')")  # read by ZXing, then refused
        page.reload()
        page.wait_for_selector("#ticket-input")
        assert page.evaluate("window.__violations") == []
        assert page.messages == []
        context.close()
        browser.close()
