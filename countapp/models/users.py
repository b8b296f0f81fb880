"""People who log in, with one role each."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import created_at, enum_type
from .enums import Role


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint("length(login) > 0", name="login_not_empty"),
        sa.CheckConstraint("language IS NULL OR language IN ('fr', 'en')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    language: Mapped[str | None] = mapped_column(sa.String(2))
    # Storekeepers answer questions about their zones but never count them (DOMAIN.md).
    is_storekeeper: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    api_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = created_at()
    # Part of the session identifier: bumping it (disable, password change or reset) ends every
    # session and remember-me cookie made before, on every device, at their next request.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set when a manager resets the password: the user chooses their own before any other page.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """Flask-Login keeps this in the session and the remember-me cookie: "id:session_version"."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login asks
        return self.active

    @property
    def display_name(self) -> str:
        return self.name or self.login

    def __repr__(self) -> str:
        return f"<User {self.login} {self.role.value}>"


# What a request needs to know of the logged-in user: read as one plain row (no ORM object) on every request.
SESSION_COLUMNS = ("id", "login", "name", "role", "language", "is_storekeeper", "active", "session_version",
                   "must_change_password")


class SessionUser(UserMixin):
    """The logged-in user as Flask-Login loads it on every request: a plain row of ``SESSION_COLUMNS``
    (issue 20: loading the ORM's full object cost a fifth of a count's CPU). Read-only; services that change
    a user or need more (the password hash) load the ``User`` (``services.users.own``). Equal to the
    ``User`` of the same id and session version (Flask-Login compares ``get_id``)."""

    __slots__ = (*SESSION_COLUMNS, "campaign_codes")

    def __init__(self, row) -> None:
        for name in SESSION_COLUMNS:
            object.__setattr__(self, name, getattr(row, name))
        # The codes of the campaigns of the user's teams, when the row brings them (web.security, for the
        # campaign scope); None when it does not.
        codes = getattr(row, "member_codes", None)
        object.__setattr__(self, "campaign_codes", None if "member_codes" not in row._fields
                           else frozenset(codes.split("\n")) if codes else frozenset())

    def __setattr__(self, name, value):
        raise AttributeError(f"SessionUser is read-only ({name}): change the User (services.users.own)")

    get_id = User.get_id
    display_name = User.display_name
    is_active = User.is_active
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<SessionUser {self.login} {self.role.value}>"

    def __reduce__(self):
        # Pickled as its values: the count writer gets the user from the web worker that checked the session.
        return _session_user, (tuple(getattr(self, name) for name in SESSION_COLUMNS), self.campaign_codes)


def _session_user(values: tuple, campaign_codes) -> SessionUser:
    user = object.__new__(SessionUser)
    for name, value in zip(SESSION_COLUMNS, values, strict=True):
        object.__setattr__(user, name, value)
    object.__setattr__(user, "campaign_codes", campaign_codes)   # as the web worker had them (or None)
    return user

