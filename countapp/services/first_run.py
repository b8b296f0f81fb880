"""The first manager of an empty installation, created from the browser.

A new installation has nobody to log in as. While the user table is empty, the log-in page sends
the visitor to a form that creates the first manager; the moment one user exists, that form is
gone for good (every later user is created by a manager).
"""
from __future__ import annotations

import sqlalchemy as sa

from tickets.errors import Conflict, N_

from ..extensions import db
from ..models import Role, User
from . import users

# Serialises two visitors filling the form at the same moment on PostgreSQL ("1ST" in ASCII).
FIRST_RUN_LOCK = 0x315354


def needs_first_manager() -> bool:
    """True while nobody can log in: the installation has no user at all."""
    return db.session.scalar(sa.select(User.id).limit(1)) is None


def create_first_manager(login: str, password: str, *, name: str = "", language: str | None = None) -> User:
    """Create the installation's first manager; refused once any user exists."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(FIRST_RUN_LOCK)))
    if not needs_first_manager():
        db.session.rollback()
        raise Conflict(N_("This installation already has users: ask a manager to create your account."),
                       field="login")
    return users.add_user(login, Role.MANAGER, password, name=name, language=language)
