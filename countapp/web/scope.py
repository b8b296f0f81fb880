"""Campaign scope: counting teams reach only the campaigns they count in, decided in one place.

Counters and leaders read (and write) a campaign only when they are in one of its teams, as
leader or member; managers, centralisers and auditors reach every campaign as before (their
roles are checked by ``@requires`` and web.security). One ``before_request`` hook looks at every
campaign code a request names (the ``code`` of the address, and for the API the ``campaign`` of
the query string or of the JSON body) and refuses a code outside the caller's campaigns.

The refusal is a 404, the very answer an unknown code gets: a counter cannot tell a campaign
they are not in from one that does not exist, so codes and the existence of other campaigns do
not leak (a 403 would confirm that the code is real). The lists a counting team sees (``/count/``,
``/api/v1/me``) already hold only the campaigns of their teams (``count_views.campaigns_of_member``).
"""
from __future__ import annotations

from flask import Flask, abort, g, request
from flask_login import current_user

from tickets.errors import CountappError, N_, NotFound

from ..models import Role, User
from ..services import count_views

TEAM_ROLES = (Role.COUNTER, Role.LEADER)
# Address arguments that hold a campaign code.
CAMPAIGN_ARGS = ("code",)
# API endpoints that fall back to "the only campaign counting" when no campaign is named: a team
# member with no campaign at all must not be led into someone else's.
RESOLVING_ENDPOINTS = {"api.ticket", "api.add_count", "api.add_correction"}


def scoped(user) -> bool:
    """True when the user's campaigns are limited to those of their teams."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in TEAM_ROLES


def campaign_codes(user: User) -> frozenset[str]:
    """Codes of the campaigns where the user is in a team (leader or member), once per request."""
    known = getattr(user, "campaign_codes", None)
    if known is not None:   # read with the session user (web.security.load_user), in this request
        return known
    cache = g.setdefault("_countapp_scope", {})
    if user.id not in cache:
        cache[user.id] = frozenset(count_views.campaign_codes_of_member(user))
    return cache[user.id]


def may_reach(user, code) -> bool:
    """Whether the user may read or write campaign ``code`` (staff: any; teams: their own)."""
    if not scoped(user):
        return True
    return isinstance(code, str) and code in campaign_codes(user)


def _named_codes() -> list:
    """Every campaign code the request names."""
    named = [value for name, value in (request.view_args or {}).items() if name in CAMPAIGN_ARGS]
    if request.path.startswith("/api/"):
        if "campaign" in request.args:
            named.extend(v for v in request.args.getlist("campaign") if v.strip())
        if request.method == "POST" and request.is_json:
            try:
                body = request.get_json(silent=True)
            except Exception:  # noqa: BLE001 - a body the view will refuse itself (too deep, bad bytes)
                body = None
            # A campaign that is not text is refused by the view itself (400).
            if isinstance(body, dict) and isinstance(body.get("campaign"), str) and body["campaign"].strip():
                named.append(body["campaign"].strip())
    return named


def _refuse(code) -> None:
    shown = str(code)[:40]
    if request.path.startswith("/api/"):
        raise NotFound(N_("Unknown campaign %(code)s."), field="campaign", code=shown)
    abort(404)


def init_scope(app: Flask) -> None:
    @app.before_request
    def campaign_scope():
        # Runs after web.security's guard: anonymous callers have been sent to log in already.
        if request.endpoint is None or not scoped(current_user):
            return None
        named = _named_codes()
        for code in named:
            if "\x00" in code:  # bad input, as the blueprints' own guards answer it (never a query)
                if request.path.startswith("/api/"):
                    raise CountappError(N_("The address contains a character that is not allowed."), field=None)
                abort(400)
            if not may_reach(current_user, code):
                _refuse(code)
        if not named and request.endpoint in RESOLVING_ENDPOINTS and not campaign_codes(current_user):
            raise NotFound(N_("No campaign is counting at the moment."), field="campaign")
        return None
