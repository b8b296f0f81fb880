"""Several machines: two ``countapp serve`` processes (each with its own instance folder, as on two
servers) and one ``countapp worker``, on one PostgreSQL database and one Redis database. A session
made on server 1 is valid on server 2; a stock file pushed through the API of server 1 is followed
to done through server 2."""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import BookLine
from countapp.services import audit

COUNTAPP = str(Path(sys.executable).with_name("countapp"))
REDIS = os.environ.get("COUNTAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
PASSWORD = "correct-horse-battery"
STOCK = ("reference;designation;unit;category;location;book_qty;unit_cost\n"
         + "".join(f"R-{i};Item {i};pc;raw_materials;L-{i % 20:02d};{i + 1};2\n" for i in range(300)))


def _unreachable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.exit(f"CI needs this for the several-machines test: {reason}", returncode=1)
    pytest.skip(reason)


@pytest.fixture
def redis_db():
    """A Redis database of the test's own, emptied before and after."""
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        _unreachable(f"Redis is not reachable at {REDIS}: {error}")
    client.flushdb()
    yield REDIS
    client.flushdb()
    client.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Just enough of a browser: cookies, forms with their CSRF token, JSON."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def send(self, url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
        request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
        try:
            with self.opener.open(request, timeout=30) as answer:
                return answer.status, answer.read().decode(), answer.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.headers

    def csrf(self, url: str) -> str:
        _status, page, _ = self.send(url)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _multipart(name: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _serve(database_url: str, folder: Path, port: int, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "COUNTAPP_DATABASE_URL": database_url, "COUNTAPP_SECRET_KEY": "serve-test",
           "COUNTAPP_INSTANCE_PATH": str(folder)}
    env.pop("COUNTAPP_REDIS_URL", None)
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([COUNTAPP, "serve", "--port", str(port), *extra], env=env, start_new_session=True,
                            stdout=open(folder / "serve.log", "wb"), stderr=subprocess.STDOUT)


def _log_in(url: str, login: str) -> Browser:
    browser = Browser()
    form = urllib.parse.urlencode({"login": login, "password": PASSWORD, "csrf_token": browser.csrf(url + "/login")})
    status, page, _ = browser.send(url + "/login", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and 'name="password"' not in page, page[:500]
    return browser


def test_a_served_process_keeps_each_request_to_itself(app, database_url, make_user, tmp_path):
    """One gunicorn process answers two people in turn: each request sees its own user and session
    (the command's app context must not leak into the workers, with ``g`` shared between requests)."""
    make_user("ann", "manager")
    make_user("bob", "auditor")
    db.session.commit()
    port = _free_port()
    server = _serve(database_url, tmp_path / "instance", port, "--workers", "1")
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "instance" / "serve.log").read_text()
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.3)
        ann, bob = _log_in(url, "ann"), _log_in(url, "bob")
        for _ in range(2):
            assert json.loads(ann.send(url + "/api/v1/me")[1])["login"] == "ann"
            assert json.loads(bob.send(url + "/api/v1/me")[1])["login"] == "bob"
        assert Browser().send(url + "/api/v1/me")[0] == 401
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


@pytest.fixture
def machines(app, database_url, redis_db, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("two servers share one database only on PostgreSQL: run with COUNTAPP_TEST_DB=postgresql")
    secret = uuid.uuid4().hex   # the same on every server, or a session made on one is refused by the other
    # likewise one audit key for every machine, this test's own process included (it writes events too)
    audit_key = audit.current_key().secret.decode()
    processes: list[tuple[str, subprocess.Popen]] = []

    def start(name: str, *args: str) -> None:
        env = {**os.environ, "COUNTAPP_DATABASE_URL": database_url, "COUNTAPP_REDIS_URL": redis_db,
               "COUNTAPP_SECRET_KEY": secret, "COUNTAPP_AUDIT_KEY": audit_key,
               "COUNTAPP_INSTANCE_PATH": str(tmp_path / name), "COUNTAPP_LOG_FORMAT": "json"}
        log = open(tmp_path / f"{name}.log", "wb")
        processes.append((name, subprocess.Popen([COUNTAPP, *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                                 start_new_session=True)))

    ports = [_free_port(), _free_port()]
    for n, port in enumerate(ports, 1):
        start(f"server{n}", "serve", "--port", str(port), "--workers", "1")
    start("worker", "worker")
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    log = lambda name: (tmp_path / f"{name}.log").read_text(errors="replace")[-3000:]  # noqa: E731
    deadline = time.monotonic() + 60
    for url in urls:
        while True:
            for name, process in processes:
                assert process.poll() is None, f"{name} stopped:\n{log(name)}"
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
                    assert json.loads(answer.read()) == {"database": "ok", "queue": "ok"}
                    break
            except OSError:
                assert time.monotonic() < deadline, f"{url} did not answer:\n{log('server1')}"
                time.sleep(0.3)
    yield urls, log, {"COUNTAPP_DATABASE_URL": database_url, "COUNTAPP_AUDIT_KEY": audit_key}
    for _name, process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for _name, process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.postgresql
def test_two_servers_and_a_worker_act_as_one(app, make_user, make_campaign, machines, tmp_path):
    (one, two), log, shared = machines
    make_campaign()
    make_user("erp", "manager", name="ERP", language="en")
    db.session.commit()

    browser = _log_in(one, "erp")
    status, page, _ = browser.send(two + "/campaigns/FY2025/imports")   # server 1's session is valid on server 2
    assert status == 200 and 'name="password"' not in page and "FY2025" in page
    token_csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    status, body, _ = browser.send(one + "/api/v1/tokens", b"", {"X-CSRFToken": token_csrf}, method="POST")
    assert status == 201, body
    bearer = {"Authorization": "Bearer " + json.loads(body)["token"]}

    data, content_type = _multipart("file", "stock.csv", STOCK.encode())
    api = Browser()   # an ERP: no cookie, the token only
    status, body, headers = api.send(one + "/api/v1/campaigns/FY2025/imports/stock", data,
                                     {**bearer, "Content-Type": content_type}, method="POST")
    assert status == 202, body
    job = json.loads(body)["job"]
    deadline, state = time.monotonic() + 60, None
    while time.monotonic() < deadline:
        status, body, _ = api.send(f"{two}/api/v1/jobs/{job['id']}", headers=bearer)
        assert status == 200, body
        state = json.loads(body)
        if state["state"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert state["state"] == "done", (state, log("worker"))
    assert state["result"]["counts"]["lines"] == 300
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookLine)) == 300
    # the access log and the app's logs are JSON lines (COUNTAPP_LOG_FORMAT=json)
    lines = [line for line in log("server1").splitlines() if line.startswith("{")]
    assert lines and all("message" in json.loads(line) for line in lines)
    # the audit chain written by a server and the worker verifies with the key they share
    verify = subprocess.run([COUNTAPP, "audit", "verify", "FY2025"], capture_output=True, text=True,
                            env={**os.environ, **shared, "COUNTAPP_INSTANCE_PATH": str(tmp_path / "verify")})
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_served_counts_are_written_by_the_count_writer(app, database_url, tmp_path):
    """``countapp serve`` starts its count writer: a tablet's count posted to the server is written by it
    (its log counts it at the stop), answered 201, and a replay of it 200 with the same count."""
    from tests.scenario import build_scenario

    s = build_scenario(tmp_path)
    db.session.commit()
    port = _free_port()
    folder = tmp_path / "instance"
    server = _serve(database_url, folder, port, "--workers", "2")
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:   # the writer listens once it has started: until then workers write counts themselves
            assert server.poll() is None, (folder / "serve.log").read_text()
            if "count writer listening" in (folder / "serve.log").read_text():
                break
            assert time.monotonic() < deadline, (folder / "serve.log").read_text()
            time.sleep(0.3)
        ann = _log_in(url, "ann")
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', ann.send(url + "/count/FY2025")[1]).group(1)
        body = json.dumps({"campaign": "FY2025", "ticket": s.tickets["A-1@L-01"], "quantity": "1200",
                           "client_id": "served-1"}).encode()
        headers = {"Content-Type": "application/json", "X-CSRFToken": token}
        status, answer, _ = ann.send(url + "/api/v1/counts", body, headers)
        assert status == 201, answer
        again_status, again, _ = ann.send(url + "/api/v1/counts", body, headers)
        assert again_status == 200 and json.loads(again)["count"]["id"] == json.loads(answer)["count"]["id"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    assert "count writer stopping: 2 count(s)" in (folder / "serve.log").read_text()
