"""Sessions as an attacker tries them (issue 17): the secret key, the remember-me cookie, log-in
throttling, an unknown login costing what a wrong password costs, and CSRF with API tokens."""
from __future__ import annotations

import multiprocessing
import os
import re
import stat

import pytest
import redis
import sqlalchemy as sa

from countapp import create_app
from countapp.config import ConfigError
from countapp.extensions import db
from countapp.models import User
from countapp.secret_key import instance_secret_key
from countapp.services import users
from tests.conftest import PASSWORD

REDIS_URL = os.environ.get("COUNTAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def user(login: str) -> User:
    return db.session.scalar(sa.select(User).where(User.login == login))


def logged_in(client) -> bool:
    return client.get("/api/v1/me").status_code == 200


def log_in(client, login: str, password: str = PASSWORD, **data):
    return client.post("/login", data={"login": login, "password": password, **data})


# ---- the secret key ----

def test_without_a_key_each_installation_makes_its_own_kept_private_and_reused(monkeypatch, tmp_path):
    monkeypatch.delenv("COUNTAPP_SECRET_KEY", raising=False)
    monkeypatch.delenv("COUNTAPP_ENV", raising=False)
    monkeypatch.setenv("COUNTAPP_INSTANCE_PATH", str(tmp_path / "one"))
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    again = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    monkeypatch.setenv("COUNTAPP_INSTANCE_PATH", str(tmp_path / "two"))
    other = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    assert first == again != other
    assert len(first) >= 64 and first != "dev-only-not-secret"
    key_file = tmp_path / "one" / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["secret_key"]  # no temporary file left behind


def _make_key(folder, barrier, answers):
    barrier.wait()
    answers.put(instance_secret_key(folder))


def test_workers_starting_at_the_same_moment_end_with_one_key(tmp_path):
    context = multiprocessing.get_context("fork")
    barrier, answers = context.Barrier(8), context.Queue()
    workers = [context.Process(target=_make_key, args=(tmp_path, barrier, answers)) for _ in range(8)]
    for worker in workers:
        worker.start()
    keys = [answers.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(10)
    assert len(set(keys)) == 1 and (tmp_path / "secret_key").read_text().strip() == keys[0]


def test_production_refuses_a_short_key_and_says_why(monkeypatch):
    monkeypatch.setenv("COUNTAPP_ENV", "production")
    monkeypatch.setenv("COUNTAPP_AUDIT_KEY", "a" * 64)
    monkeypatch.setenv("COUNTAPP_SECRET_KEY", "abcde")
    with pytest.raises(ConfigError, match="too short.*at least 32"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("COUNTAPP_SECRET_KEY", "k" * 32)
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"] == "k" * 32


def test_cookies_are_lax_http_only_and_secure_in_production(monkeypatch):
    monkeypatch.setenv("COUNTAPP_ENV", "production")
    monkeypatch.setenv("COUNTAPP_AUDIT_KEY", "a" * 64)
    monkeypatch.setenv("COUNTAPP_SECRET_KEY", "k" * 40)
    config = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config
    for cookie in ("SESSION", "REMEMBER"):
        assert config[f"{cookie}_COOKIE_SAMESITE"] == "Lax" and config[f"{cookie}_COOKIE_HTTPONLY"]
        assert config[f"{cookie}_COOKIE_SECURE"], cookie


# ---- the remember-me cookie and the session version ----

def _remember_cookie(app, login: str) -> str:
    browser = app.test_client()
    assert log_in(browser, login, remember="y").status_code == 302
    cookie = browser.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    return cookie.value


def _with_only(app, remember: str):
    """A new browser session holding nothing but that remember-me cookie."""
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember)
    return fresh


def test_the_remember_me_cookie_changes_at_each_log_in(app, make_user):
    make_user("kim", "counter")
    first, second = _remember_cookie(app, "kim"), _remember_cookie(app, "kim")
    assert first != second
    # Logging in on a second device leaves the first one logged in.
    assert logged_in(_with_only(app, first)) and logged_in(_with_only(app, second))


def test_a_remember_me_cookie_copied_before_log_out_does_not_work_after(app, make_user):
    make_user("kim", "counter")
    browser = app.test_client()
    log_in(browser, "kim", remember="y")
    copied = browser.get_cookie("remember_token").value
    other_device = app.test_client()
    log_in(other_device, "kim")
    assert logged_in(_with_only(app, copied))  # it did work: the test can fail
    browser.post("/logout")
    assert not logged_in(browser)
    assert not logged_in(_with_only(app, copied))
    assert not logged_in(other_device)  # log-out ends the user's sessions everywhere
    again = app.test_client()
    log_in(again, "kim")
    assert logged_in(again)


def test_a_forged_remember_me_cookie_logs_nobody_in(app, make_user):
    kim = make_user("kim", "manager")
    # What the old shared default key let anyone sign: "id:version|digest" with a wrong digest.
    assert not logged_in(_with_only(app, f"{kim.id}:0:abc|{'0' * 128}"))
    assert not logged_in(_with_only(app, f"{kim.id}:0"))


def test_changing_ones_password_ends_other_sessions_and_cookies_but_not_this_one(app, make_user):
    make_user("kim", "counter")
    copied = _remember_cookie(app, "kim")
    other_device = app.test_client()
    log_in(other_device, "kim")
    browser = app.test_client()
    log_in(browser, "kim", remember="y")
    before = browser.get_cookie("remember_token").value
    response = browser.post("/password", data={"current": PASSWORD, "password": "new-ladder-cellar-9",
                                               "confirmation": "new-ladder-cellar-9"})
    assert response.status_code == 302
    assert logged_in(browser) and browser.get_cookie("remember_token").value != before
    assert logged_in(_with_only(app, browser.get_cookie("remember_token").value))
    assert not logged_in(other_device) and not logged_in(_with_only(app, copied))


def test_disabling_ends_sessions_and_cookies(app, make_user):
    make_user("boss", "manager")
    kim = make_user("kim", "counter")
    copied = _remember_cookie(app, "kim")
    browser = app.test_client()
    log_in(browser, "kim")
    users.disable(kim)
    assert not logged_in(browser) and not logged_in(_with_only(app, copied))


# ---- throttling ----

def _failures(client, login: str, n: int) -> list[int]:
    return [log_in(client, login, "wrong-password").status_code for _ in range(n)]


def test_five_failures_on_a_login_block_it_even_with_the_right_password(client, make_user, app):
    make_user("kim", "counter")
    make_user("lea", "counter")
    assert _failures(client, "kim", 5) == [200] * 5
    blocked = log_in(client, "kim")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    page = blocked.get_data(as_text=True)
    assert "Too many failed attempts: wait" in page and 'name="login"' in page
    assert not logged_in(client)
    assert log_in(client, "lea").status_code == 302  # another login from the same address still works


def test_the_message_is_translated(client, make_user):
    make_user("kim", "counter")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    _failures(client, "kim", 5)
    page = log_in(client, "kim").get_data(as_text=True)
    assert "Trop de tentatives" in page or "Too many failed attempts" in page  # French once the catalogue is merged


def test_successful_log_ins_never_count(app, make_user):
    make_user("kim", "counter")
    for _ in range(30):
        assert log_in(app.test_client(), "kim").status_code == 302


def test_failures_from_one_address_block_it_for_every_login(app, client, make_user):
    app.config["COUNTAPP_LOGIN_ADDRESS_LIMIT"] = "6 per minute"
    make_user("kim", "counter")
    for n in range(6):
        assert log_in(client, f"nobody{n}", "guess").status_code == 200
    assert log_in(client, "kim").status_code == 429
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert log_in(elsewhere, "kim").status_code == 302


def test_behind_the_load_balancer_the_address_is_the_one_it_forwards(app, make_user):
    app.config["COUNTAPP_LOGIN_ADDRESS_LIMIT"] = "3 per minute"
    app.config["COUNTAPP_FORWARDED_ALLOW_IPS"] = ("10.0.0.5",)
    make_user("kim", "counter")

    def via(balancer: str, forwarded: str):
        client = app.test_client()
        client.environ_base.update(REMOTE_ADDR=balancer, HTTP_X_FORWARDED_FOR=forwarded)
        return client

    attacker = via("10.0.0.5", "6.6.6.6, 203.0.113.7")  # the first entry is the caller's own invention
    assert [log_in(attacker, f"x{n}", "guess").status_code for n in range(4)] == [200, 200, 200, 429]
    assert log_in(via("10.0.0.5", "6.6.6.6, 198.51.100.2"), "kim").status_code == 302  # another caller
    # Straight from elsewhere, X-Forwarded-For is not believed: the connection's address counts.
    direct = via("192.0.2.1", "203.0.113.99")
    assert [log_in(direct, f"y{n}", "guess").status_code for n in range(4)] == [200, 200, 200, 429]
    assert log_in(via("192.0.2.1", "198.51.100.3"), "kim").status_code == 429


def test_limits_are_configurable(app, client, make_user):
    app.config["COUNTAPP_LOGIN_LIMIT"] = "2 per minute"
    make_user("kim", "counter")
    assert _failures(client, "kim", 3) == [200, 200, 429]


def test_a_bad_limit_setting_stops_the_start(monkeypatch):
    monkeypatch.setenv("COUNTAPP_LOGIN_LIMIT", "lots")
    with pytest.raises(ConfigError, match="COUNTAPP_LOGIN_LIMIT"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_guessing_the_current_password_of_an_open_session_is_throttled(client, make_user, login_as):
    kim = make_user("kim", "counter")
    login_as(client, kim)
    data = {"current": "guess", "password": "new-ladder-cellar-9", "confirmation": "new-ladder-cellar-9"}
    assert [client.post("/password", data=data).status_code for _ in range(6)] == [200] * 5 + [429]
    data["current"] = PASSWORD
    assert client.post("/password", data=data).status_code == 429
    assert user("kim").check_password(PASSWORD)


def test_the_first_run_form_cannot_be_hammered(app, client):
    app.config["COUNTAPP_LOGIN_ADDRESS_LIMIT"] = "3 per minute"
    refused = {"login": "boss", "password": "short", "confirm": "other"}
    assert [client.post("/welcome", data=refused).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert "Too many failed attempts" in client.post("/welcome", data=refused).get_data(as_text=True)


def test_guessing_api_tokens_is_throttled_with_json(app, client):
    app.config["COUNTAPP_LOGIN_ADDRESS_LIMIT"] = "3 per minute"
    headers = {"Authorization": "Bearer made-up"}
    codes = [client.get("/api/v1/me", headers=headers).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    answer = client.get("/api/v1/me", headers=headers)
    assert answer.status_code == 429 and "Too many failed attempts" in answer.get_json()["error"]["message"]


def test_redis_shares_the_counts_between_servers(database_url, make_user, app):
    try:
        server = redis.Redis.from_url(REDIS_URL)
        server.flushdb()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    make_user("kim", "counter")
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
              "COUNTAPP_REDIS_URL": REDIS_URL, "BABEL_DEFAULT_LOCALE": "en"}
    try:
        one = create_app(config)
        assert _failures(one.test_client(), "kim", 5) == [200] * 5
        assert server.keys("*countapp-login*")  # in Redis, and no login in clear there
        assert not [k for k in server.keys("*") if b"kim" in k]
        two = create_app(config)  # another server: a new connection, the same counts
        assert log_in(two.test_client(), "kim").status_code == 429
    finally:
        server.flushdb()


def test_redis_down_leaves_log_in_working(database_url, make_user, app):
    make_user("kim", "counter")
    down = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                       "COUNTAPP_REDIS_URL": "redis://127.0.0.1:1/0"})
    client = down.test_client()
    assert _failures(client, "kim", 1) == [200]
    assert log_in(client, "kim").status_code == 302


# ---- the same work for an unknown login ----

def test_an_unknown_or_disabled_login_costs_the_same_hashing_as_a_wrong_password(monkeypatch, make_user):
    import countapp.models.users as user_model
    import countapp.services.users as user_service

    users.authenticate("nobody", "warm-up")  # the first unknown login makes the hash it checks against after
    checked = []

    def spy(real):
        def check(pwhash, password):
            checked.append(pwhash.split("$")[0])  # the method and its cost, e.g. scrypt:32768:8:1
            return real(pwhash, password)
        return check

    monkeypatch.setattr(user_model, "check_password_hash", spy(user_model.check_password_hash))
    monkeypatch.setattr(user_service, "check_password_hash", spy(user_service.check_password_hash))
    kim = make_user("kim", "counter")
    make_user("boss", "manager")
    real_method = kim.password_hash.split("$")[0]
    assert users.authenticate("kim", "wrong") is None
    assert users.authenticate("nobody", "wrong") is None
    users.disable(kim)
    assert users.authenticate("kim", PASSWORD) is None
    assert checked == [real_method] * 3


# ---- CSRF: only a valid API token exempts ----

@pytest.fixture
def with_csrf(app, make_user, login_as):
    """A browser logged in as a manager, then CSRF checked as in production; and that manager's API token."""
    manager = make_user("boss", "manager")
    browser = app.test_client()
    login_as(browser, manager)
    app.config["WTF_CSRF_ENABLED"] = True
    page = browser.get("/").get_data(as_text=True)
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    return browser, csrf, users.new_api_token(manager)


def test_a_made_up_bearer_header_next_to_a_session_cookie_still_needs_csrf(with_csrf):
    browser, csrf, _token = with_csrf
    forged = browser.post("/api/v1/tokens", headers={"Authorization": "Bearer anything"})
    assert forged.status_code == 400 and "CSRF" in forged.get_json()["error"]["message"]
    assert browser.post("/logout", headers={"Authorization": "Bearer anything"}).status_code == 400
    assert logged_in(browser)
    with_token = browser.post("/api/v1/tokens", headers={"Authorization": "Bearer anything", "X-CSRFToken": csrf})
    assert with_token.status_code == 201


def test_a_valid_api_token_needs_no_csrf(app, with_csrf):
    _browser, _csrf, token = with_csrf
    answer = app.test_client().post("/api/v1/tokens", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201 and answer.get_json()["token"]


def test_a_session_write_without_csrf_is_refused(with_csrf):
    browser, csrf, _token = with_csrf
    assert browser.post("/api/v1/tokens").status_code == 400
    assert browser.post("/api/v1/tokens", headers={"X-CSRFToken": csrf}).status_code == 201


def test_flask_limiter_hooks_no_request_while_no_route_has_a_limit(app, monkeypatch):
    """Log-in throttling keeps its own counts in the limiter's storage (the tests above): Flask-Limiter's
    per-request check, headers and context reset are left out of every request (issue 20), unless a limit is
    declared somewhere, which they would then enforce."""
    from flask import Flask

    from countapp import _limiter_off_requests
    from countapp.extensions import limiter

    def hooked(flask_app):
        return [f for hooks in (flask_app.before_request_funcs, flask_app.after_request_funcs,
                                flask_app.teardown_request_funcs)
                for functions in hooks.values() for f in functions
                if getattr(f, "__self__", None) is limiter or getattr(f, "args", ())[:1] == (limiter,)]

    assert hooked(app) == []
    other = Flask("limited")
    limiter.init_app(other)
    assert len(hooked(other)) == 3   # what Flask-Limiter adds: the check, the headers, the reset
    monkeypatch.setattr(limiter.limit_manager, "_decorated_limits", {"api.add_count": ["1/second"]})
    _limiter_off_requests(other)
    assert len(hooked(other)) == 3   # a route has a limit: they stay
    monkeypatch.undo()
    _limiter_off_requests(other)
    assert hooked(other) == []
