"""People: creating and managing users, authenticating them, their language and API tokens.

One function per use case; each is one transaction and writes one audit event in the log's
chain without a campaign (``campaign=None``). Who did it is ``by`` (None from the command line).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from tickets.errors import Conflict, CountappError, N_, NotFound

from ..extensions import db
from ..models import Campaign, CampaignStatus, Role, Team, User
from ..models.base import utcnow
from ..models.teams import team_member
from ..passwords import check_new_password, generate_password
from . import audit

LANGUAGES = ("fr", "en")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _role(value: str | Role) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise CountappError(N_("Unknown role %(role)s: choose manager, centraliser, leader, counter or auditor."),
                            field="role", role=value) from None


def _language(language: str | None) -> str | None:
    language = language or None
    if language not in (None, *LANGUAGES):
        raise CountappError(N_("Unknown language %(language)s: choose fr or en."), field="language", language=language)
    return language


def _snapshot(user: User) -> dict:
    return {"login": user.login, "name": user.name, "role": user.role.value, "language": user.language,
            "storekeeper": user.is_storekeeper, "active": user.active}


def _new_user(login: str, role: str | Role, password: str, *, name: str, language: str | None, storekeeper: bool,
              must_change: bool, by: User | None) -> User:
    login = (login or "").strip()
    if not login:
        raise CountappError(N_("A login is required."), field="login")
    if len(login) > 80 or any(c.isspace() for c in login):
        raise CountappError(N_("A login has at most 80 characters and no spaces."), field="login")
    role = _role(role)
    language = _language(language)
    check_new_password(password, login=login)
    if db.session.scalar(sa.select(User.id).where(User.login == login)) is not None:
        raise Conflict(N_("The login %(login)s is already taken."), field="login", login=login)
    user = User(login=login, name=(name or "").strip(), role=role, language=language, is_storekeeper=storekeeper,
                must_change_password=must_change)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.add", entity="user", entity_id=user.id, user=by,
                 after={**_snapshot(user), "must_change_password": must_change})
    return user


def add_user(login: str, role: str | Role, password: str, *, name: str = "", language: str | None = None,
             storekeeper: bool = False, by: User | None = None) -> User:
    """Create a user with a hashed password (one transaction)."""
    user = _new_user(login, role, password, name=name, language=language, storekeeper=storekeeper,
                     must_change=False, by=by)
    db.session.commit()
    return user


def create(login: str, role: str | Role, *, name: str = "", language: str | None = None, storekeeper: bool = False,
           password: str | None = None, must_change: bool = True, campaign_code: str | None = None,
           team: int | None = None, by: User | None = None) -> tuple[User, str | None]:
    """A new user, optionally in a team of a campaign; returns the user and the generated password (if any).

    Without a password one is generated, to be shown once; the user then always chooses their own at
    the first log-in. Everything is written in one transaction: a refused team leaves no user behind.
    """
    generated = generate_password() if not password else None
    user = _new_user(login, role, password or generated, name=name, language=language, storekeeper=storekeeper,
                     must_change=must_change or generated is not None, by=by)
    if team is not None:
        from . import teams

        teams.add_member(team, user, campaign_code=campaign_code, by=by)  # commits the whole
    db.session.commit()
    return user, generated


def get(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(N_("Unknown user."), field="user")
    return user


def find_user(login: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.login == login))
    if user is None:
        raise CountappError(N_("Unknown user %(login)s."), field="login", login=login)
    return user


def _other_active_managers(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count(User.id)).where(
        User.role == Role.MANAGER, User.active.is_(True), User.id != user.id)) or 0


def _check_keeps_a_manager(user: User) -> None:
    if user.role == Role.MANAGER and user.active and _other_active_managers(user) == 0:
        raise CountappError(N_("%(login)s is the last active manager: make another user manager first."),
                            field="role", login=user.login)


def _open_teams(user: User) -> list[tuple[str, int]]:
    """(campaign code, team number) of the teams the user leads or belongs to, in campaigns not closed."""
    led = sa.select(Campaign.code, Team.number).join(Campaign, Campaign.id == Team.campaign_id).where(
        Team.leader_id == user.id, Campaign.status != CampaignStatus.CLOSED)
    member = (sa.select(Campaign.code, Team.number).join(Campaign, Campaign.id == Team.campaign_id)
              .join(team_member, team_member.c.team_id == Team.id)
              .where(team_member.c.user_id == user.id, Campaign.status != CampaignStatus.CLOSED))
    return sorted(set(db.session.execute(led).all()) | set(db.session.execute(member).all()))


def update(user: User, *, name: str, role: str | Role, language: str | None, storekeeper: bool,
           by: User | None = None) -> User:
    """Change a user's name, role, language and storekeeper flag."""
    role = _role(role)
    language = _language(language)
    before = _snapshot(user)
    if role != user.role:
        if by is not None and by.id == user.id:
            raise CountappError(N_("You cannot change your own role: ask another manager."), field="role")
        if user.role == Role.MANAGER:
            _check_keeps_a_manager(user)
        if role not in (Role.LEADER, Role.COUNTER):
            teams = _open_teams(user)
            if teams:
                code, number = teams[0]
                raise CountappError(N_("%(login)s is in team %(team)s of campaign %(code)s: only leaders and "
                                       "counters join teams; take them out of the team first."),
                                    field="role", login=user.login, team=number, code=code)
    user.name, user.role, user.language, user.is_storekeeper = (name or "").strip(), role, language, storekeeper
    after = _snapshot(user)
    if after != before:
        audit.record("user.update", entity="user", entity_id=user.id, user=by, before=before, after=after)
    db.session.commit()
    return user


def set_team(user: User, campaign_code: str, number: int | None, *, by: User | None = None) -> None:
    """Make the user a member of team ``number`` of the campaign, and of no other (None: of no team of it).

    Team changes go through the teams service, which checks the separation rules; if joining the new
    team is refused, the user is put back in the teams they left.
    """
    from . import campaigns as campaign_service
    from . import teams as team_service

    campaign = campaign_service.get(campaign_code)
    teams = team_service.teams_of(campaign)
    led = [t for t in teams if t.leader_id == user.id]
    if led:
        raise CountappError(N_("%(login)s leads team %(team)s: choose another leader on the campaign's Teams page "
                               "first."), field="team", login=user.login, team=led[0].number)
    if number is not None:
        team_service.get_team(campaign, number)  # an unknown team is refused before anything changes
    left = [t for t in teams if t.number != number and any(m.id == user.id for m in t.members)]

    def put(team, members):
        team_service.update_team(campaign.code, team.number, leader=team.leader.login, members=members,
                                 zones=[z.code for z in team.zones], starts_at=team.starts_at,
                                 ends_at=team.ends_at, by=by)

    before = {t.number: [m.login for m in t.members] for t in left}
    for team in left:
        put(team, [login for login in before[team.number] if login != user.login])
    if number is None:
        return
    try:
        team_service.add_member(number, user, campaign_code=campaign.code, by=by)
    except CountappError:
        db.session.rollback()
        for team in left:
            put(team_service.get_team(campaign, team.number), before[team.number])
        raise


def disable(user: User, *, by: User | None = None) -> User:
    """Stop a user from logging in; their sessions and API token stop working at their next request."""
    if by is not None and by.id == user.id:
        raise CountappError(N_("You cannot disable your own account."), field="user")
    if not user.active:
        raise Conflict(N_("%(login)s is already disabled."), field="user", login=user.login)
    _check_keeps_a_manager(user)
    user.active = False
    user.session_version += 1
    audit.record("user.disable", entity="user", entity_id=user.id, user=by, before={"active": True},
                 after={"active": False})
    db.session.commit()
    return user


def enable(user: User, *, by: User | None = None) -> User:
    if user.active:
        raise Conflict(N_("%(login)s is already active."), field="user", login=user.login)
    user.active = True
    audit.record("user.enable", entity="user", entity_id=user.id, user=by, before={"active": False},
                 after={"active": True})
    db.session.commit()
    return user


def reset_password(user: User, password: str | None = None, *, must_change: bool = True,
                   by: User | None = None) -> str | None:
    """Set a new password (generated when not given, and returned to be shown once); ends the user's sessions.

    A generated password always has to be replaced by the user at the next log-in.
    """
    if by is not None and by.id == user.id:
        raise CountappError(N_("Change your own password with “Choose your password”, not with a reset."),
                            field="user")
    generated = generate_password() if not password else None
    check_new_password(password or generated, login=user.login)
    user.set_password(password or generated)
    user.must_change_password = must_change or generated is not None
    user.session_version += 1
    audit.record("user.password_reset", entity="user", entity_id=user.id, user=by,
                 after={"must_change_password": user.must_change_password})
    db.session.commit()
    return generated


def own(user) -> User:
    """The ``User`` itself, for a change: the logged-in user of a request is a read-only ``SessionUser``."""
    return user if isinstance(user, User) else db.session.get(User, user.id)


def change_password(user: User, new: str, confirmation: str, *, current: str | None = None) -> User:
    """The user chooses their own password; ``current`` is asked unless a reset made them choose one now.

    Every other session of the user ends (the version changes); the caller logs this one in again.
    """
    user = own(user)
    if not user.must_change_password and not user.check_password(current or ""):
        raise CountappError(N_("The current password is wrong."), field="current")
    check_new_password(new, confirmation=confirmation, login=user.login,
                       current_hash_matches=user.check_password(new or ""))
    user.set_password(new)
    user.must_change_password = False
    user.session_version += 1
    audit.record("user.password_change", entity="user", entity_id=user.id, user=user)
    db.session.commit()
    return user


_DUMMY_HASH: list[str] = []


def _hash_work(password: str) -> None:
    """One password hashing's worth of work, spent when the login is unknown: a check against a hash
    of nothing, made like a real one (the first time, making that hash is the same work)."""
    if _DUMMY_HASH:
        check_password_hash(_DUMMY_HASH[0], password)
    else:
        _DUMMY_HASH.append(generate_password_hash(secrets.token_urlsafe(16) + password))


def authenticate(login: str, password: str) -> User | None:
    """The active user with this login and password, else None; an unknown or disabled login costs the
    same hashing work as a wrong password, so the time of the answer does not tell logins apart."""
    user = db.session.scalar(sa.select(User).where(User.login == (login or "").strip()))
    if user is None:
        _hash_work(password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def end_sessions(user: User) -> None:
    """Log the user out everywhere: every session and remember-me cookie made before stops working."""
    user = own(user)
    user.session_version += 1
    db.session.commit()


def record_login(user: User) -> None:
    user = own(user)
    user.last_login_at = utcnow()
    db.session.commit()


def set_language(user: User, language: str) -> None:
    if language not in LANGUAGES:
        raise CountappError(N_("Unknown language %(language)s: choose fr or en."), field="language", language=language)
    user = own(user)
    user.language = language
    db.session.commit()


def new_api_token(user: User) -> str:
    """A personal API token for integrations; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    user = own(user)
    user.api_token_hash = token_hash(token)
    audit.record("user.api_token", entity="user", entity_id=user.id, user=user)
    db.session.commit()
    return token


@dataclass
class UserRow:
    user: User
    teams: list[tuple[str, int, bool]] = field(default_factory=list)  # (campaign code, team, leads it)


def teams_of(user: User) -> list[tuple[str, int, bool]]:
    """(campaign code, team number, leads it) of every team the user is in, by campaign and number."""
    led = db.session.execute(sa.select(Campaign.code, Team.number).join(Campaign, Campaign.id == Team.campaign_id)
                             .where(Team.leader_id == user.id))
    member = db.session.execute(sa.select(Campaign.code, Team.number).join(Campaign, Campaign.id == Team.campaign_id)
                                .join(team_member, team_member.c.team_id == Team.id)
                                .where(team_member.c.user_id == user.id))
    rows = {(code, number): True for code, number in led}
    for code, number in member:
        rows.setdefault((code, number), False)
    return sorted((code, number, leads) for (code, number), leads in rows.items())


def list_users() -> list[UserRow]:
    """Every user, by login, with their teams in each campaign (three queries in all)."""
    rows = {u.id: UserRow(u) for u in db.session.scalars(sa.select(User).order_by(User.login))}
    led = db.session.execute(sa.select(Team.leader_id, Campaign.code, Team.number)
                             .join(Campaign, Campaign.id == Team.campaign_id))
    members = db.session.execute(sa.select(team_member.c.user_id, Campaign.code, Team.number)
                                 .join(Team, Team.id == team_member.c.team_id)
                                 .join(Campaign, Campaign.id == Team.campaign_id))
    for user_id, code, number in led:
        rows[user_id].teams.append((code, number, True))
    for user_id, code, number in members:
        if (code, number, True) not in rows[user_id].teams:
            rows[user_id].teams.append((code, number, False))
    for row in rows.values():
        row.teams.sort()
    return list(rows.values())
