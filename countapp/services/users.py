"""People: creating users, authenticating them, their language and API tokens."""
from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from tickets.errors import Conflict, CountappError, N_

from ..extensions import db
from ..models import Role, User
from . import audit


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _role(value: str | Role) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise CountappError(N_("Unknown role %(role)s: choose manager, centraliser, leader, counter or auditor."),
                            field="role", role=value) from None


def add_user(login: str, role: str | Role, password: str, *, name: str = "", language: str | None = None,
             storekeeper: bool = False, by: User | None = None) -> User:
    """Create a user with a hashed password (one transaction)."""
    login = (login or "").strip()
    if not login:
        raise CountappError(N_("A login is required."), field="login")
    if len(password or "") < 8:
        raise CountappError(N_("The password must have at least 8 characters."), field="password")
    if language not in (None, "fr", "en"):
        raise CountappError(N_("Unknown language %(language)s: choose fr or en."), field="language", language=language)
    role = _role(role)
    if db.session.scalar(sa.select(User.id).where(User.login == login)) is not None:
        raise Conflict(N_("The login %(login)s is already taken."), field="login", login=login)
    user = User(login=login, name=name, role=role, language=language, is_storekeeper=storekeeper)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.add", entity="user", entity_id=user.id, user=by,
                 after={"login": login, "role": role, "name": name, "storekeeper": storekeeper})
    db.session.commit()
    return user


def authenticate(login: str, password: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.login == (login or "").strip()))
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user


def set_language(user: User, language: str) -> None:
    if language not in ("fr", "en"):
        raise CountappError(N_("Unknown language %(language)s: choose fr or en."), field="language", language=language)
    user.language = language
    db.session.commit()


def new_api_token(user: User) -> str:
    """A personal API token for integrations; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    user.api_token_hash = token_hash(token)
    audit.record("user.api_token", entity="user", entity_id=user.id, user=user)
    db.session.commit()
    return token


def find_user(login: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.login == login))
    if user is None:
        raise CountappError(N_("Unknown user %(login)s."), field="login", login=login)
    return user
