"""web.signed: a session cookie or CSRF token verified once is taken again without its signature being
checked, and nothing else changes: what is forged, expired, under other keys or for another session is
refused as Flask and Flask-WTF refuse it."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from flask import Flask, g, session
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import BadRequest

from countapp.web import signed

SECRET = "s" * 40


@pytest.fixture
def app():
    app = Flask("signed")
    app.config.update(SECRET_KEY=SECRET, WTF_CSRF_TIME_LIMIT=None, WTF_CSRF_CHECK_DEFAULT=False,
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=1))
    app.session_interface = signed.CookieSessions()
    signed.RememberingCSRFProtect(app)
    return app


def cookie(app, data: dict) -> str:
    return app.session_interface.get_signing_serializer(app).dumps(data)


def opened(app, value: str) -> dict:
    with app.test_request_context(headers={"Cookie": f"session={value}"}):   # opens the session
        return dict(session)


def counted_loads(monkeypatch) -> list:
    calls = []
    real = URLSafeTimedSerializer.loads

    def loads(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(URLSafeTimedSerializer, "loads", loads)
    return calls


def test_a_cookie_is_verified_once_and_each_request_gets_its_own_copy(app, monkeypatch):
    calls = counted_loads(monkeypatch)
    value = cookie(app, {"_user_id": "7:0:x", "_fresh": True, "csrf_token": "abc"})
    with app.test_request_context(headers={"Cookie": f"session={value}"}):
        session["_user_id"] = "changed"   # a request changing its session
    assert opened(app, value) == {"_user_id": "7:0:x", "_fresh": True, "csrf_token": "abc"}
    assert opened(app, value)["_user_id"] == "7:0:x"
    assert len(calls) == 1


def test_forged_expired_and_rekeyed_cookies_are_refused_even_once_seen(app, monkeypatch):
    value = cookie(app, {"_user_id": "7:0:x"})
    assert opened(app, value + "x") == {}                      # forged: not verified, not kept
    assert opened(app, value) == {"_user_id": "7:0:x"}        # now remembered
    now = time.time()
    monkeypatch.setattr(signed.time, "time", lambda: now + 3601)
    assert opened(app, value) == {}                           # older than the session's lifetime
    monkeypatch.setattr(signed.time, "time", lambda: now - 60)
    assert opened(app, value) == {}                           # signed in the future: refused as itsdangerous does
    monkeypatch.undo()
    assert opened(app, value) == {"_user_id": "7:0:x"}
    app.secret_key = "t" * 40
    assert opened(app, value) == {}                           # the key changed: verified again, and refused
    app.config["SECRET_KEY_FALLBACKS"] = [SECRET]
    assert opened(app, value) == {"_user_id": "7:0:x"}        # the old key as a fallback, as Flask allows


def test_a_session_holding_more_than_plain_values_is_verified_every_time(app, monkeypatch):
    calls = counted_loads(monkeypatch)
    value = cookie(app, {"_flashes": [("info", "Saved")]})
    assert opened(app, value) == opened(app, value) == {"_flashes": [("info", "Saved")]}
    assert len(calls) == 2


def csrf_token(raw: str, secret: str = SECRET) -> str:
    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


def protect(app, token: str | None, session_raw: str | None, *, referrer: str | None = None,
            secure: bool = False) -> bool:
    """Whether the POST passes; a refusal is Flask-WTF's 400."""
    headers = {"X-CSRFToken": token} if token else {}
    if referrer:
        headers["Referer"] = referrer
    base = "https://count.example" if secure else "http://localhost"
    with app.test_request_context("/", method="POST", headers=headers, base_url=base):
        if session_raw is not None:
            session["csrf_token"] = session_raw
        try:
            app.extensions["csrf"].protect()
        except BadRequest:
            return False
        return g.get("csrf_valid", False)


def test_a_csrf_token_is_verified_once_then_matched_to_the_session(app, monkeypatch):
    calls = counted_loads(monkeypatch)
    token = csrf_token("raw-1")
    assert [protect(app, token, "raw-1") for _ in range(3)] == [True] * 3
    assert len(calls) == 1
    assert protect(app, token, "raw-2") is False         # another session's token: refused by Flask-WTF
    assert protect(app, token, None) is False            # no token in the session
    assert protect(app, token + "x", "raw-1") is False   # forged
    assert protect(app, None, "raw-1") is False          # missing
    assert protect(app, csrf_token("raw-1", "t" * 40), "raw-1") is False   # signed with another key


def test_over_https_the_referrer_is_still_checked(app):
    token = csrf_token("raw-1")
    assert protect(app, token, "raw-1", referrer="https://count.example/count", secure=True) is True
    assert protect(app, token, "raw-1", secure=True) is False    # remembered, but no referrer
    assert protect(app, token, "raw-1", referrer="https://evil.example/", secure=True) is False


def test_with_a_time_limit_every_token_is_verified(app, monkeypatch):
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    calls = counted_loads(monkeypatch)
    token = csrf_token("raw-1")
    assert [protect(app, token, "raw-1") for _ in range(2)] == [True, True]
    assert len(calls) == 2
