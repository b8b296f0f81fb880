"""The migrations build the schema the models describe: a column, index or foreign key added to one and not
the other would make the app and a migrated production database disagree."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from countapp.extensions import db


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    # Alembic's own table is not a model.
    return [diff for diff in compare_metadata(context, db.metadata) if "alembic_version" not in repr(diff)]


def test_the_migrated_database_has_the_models_schema(app):
    with app.app_context(), db.engine.connect() as connection:
        assert _differences(connection) == []
