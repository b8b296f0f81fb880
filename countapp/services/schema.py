"""Create or upgrade the database schema through the Alembic migrations (idempotent)."""
from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from flask_migrate import upgrade as alembic_upgrade

from ..extensions import db


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade() -> tuple[str | None, str | None]:
    """Bring the schema to the newest migration; returns (revision before, revision after)."""
    before = current_revision()
    alembic_upgrade(revision="heads")
    return before, current_revision()
