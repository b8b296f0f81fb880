"""The session cookie and the CSRF token, each checked once per process rather than on every request.

A tablet sends the same session cookie and the same CSRF token with every count. Flask and Flask-WTF
verify both signatures from scratch each time (a serializer built, a key derived, two HMACs, base64 and
JSON): a tenth of a count's web CPU (issue 20). Checking a signature is a pure function of the text and
the keys, so its result is remembered here, keyed by the text and the keys, and only results that passed
are kept. What depends on the time is checked again on every request: the session's age against
``PERMANENT_SESSION_LIFETIME`` as itsdangerous checks it, and CSRF tokens are remembered only while
``WTF_CSRF_TIME_LIMIT`` is off (``countapp.config``: the token lives as long as the session). Anything
not remembered, wrong or refused goes through the libraries' own code, with their own answers.

Each process keeps at most ``REMEMBERED`` of each and starts again empty when full (a shift has a few
hundred tablets). A changed secret key or fallback list is part of the key: nothing verified under the
old keys is taken under the new ones.
"""
from __future__ import annotations

import hmac
import time

from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect, same_origin
from itsdangerous import BadSignature

REMEMBERED = 4096
_PLAIN = (str, int, float, bool, type(None))


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions; a cookie verified once is not verified again while it is young
    enough. Only sessions of plain values are remembered (a fresh copy is handed to each request, so what
    one request changes in its session never reaches another's)."""

    def __init__(self) -> None:
        self._verified: dict[tuple, tuple[dict, int]] = {}

    def open_session(self, app, request):
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or not app.secret_key:
            return super().open_session(app, request)
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()), value)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        verified = self._verified.get(key)
        if verified is not None:
            data, signed_at = verified
            if 0 <= int(time.time()) - signed_at <= max_age:   # itsdangerous's own test of the age
                return self.session_class(data)
            return self.session_class()   # expired: as the serializer's SignatureExpired gives
        try:
            data, signed_at = self.get_signing_serializer(app).loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(isinstance(v, _PLAIN) for v in data.values()):
            if len(self._verified) >= REMEMBERED:
                self._verified.clear()
            self._verified[key] = (dict(data), int(signed_at.timestamp()))
        return self.session_class(data)


class RememberingCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRF protection; a token already verified under the same key, matching the session's,
    is accepted without verifying its signature again (with the HTTPS referrer check kept). Every other
    case, refusals included, is Flask-WTF's own ``protect``."""

    def __init__(self, app=None) -> None:
        self._verified: dict[tuple, str] = {}
        super().__init__(app)

    def protect(self, apply_exemptions: bool = False):
        config = current_app.config
        key = None
        if (not apply_exemptions and request.method in config["WTF_CSRF_METHODS"]
                and config["WTF_CSRF_TIME_LIMIT"] is None):
            token = self._get_csrf_token()
            field = config["WTF_CSRF_FIELD_NAME"]
            if token:
                key = (config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key), token)
                expected = self._verified.get(key)
                if (expected is not None and isinstance(session.get(field), str)
                        and hmac.compare_digest(session[field], expected) and self._referrer_ok(config)):
                    g.csrf_valid = True
                    return None
        super().protect(apply_exemptions)   # refuses (400) what is wrong
        if key is not None:   # verified: the token's signed value is the session's (compare_digest above)
            if len(self._verified) >= REMEMBERED:
                self._verified.clear()
            self._verified[key] = session[config["WTF_CSRF_FIELD_NAME"]]
        return None

    @staticmethod
    def _referrer_ok(config) -> bool:
        """Flask-WTF's check of an HTTPS request's referrer, which it makes after the token's."""
        if not (request.is_secure and config["WTF_CSRF_SSL_STRICT"]):
            return True
        return bool(request.referrer) and same_origin(request.referrer, f"https://{request.host}/")
