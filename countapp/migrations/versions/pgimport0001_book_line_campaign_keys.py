"""A book line's item and location are of its own campaign: composite foreign keys.

``book_line`` had three foreign keys, one per column (campaign, item, location): a line could name
another campaign's item or location, and PostgreSQL ran three key checks per line written, two
thirds of its time in a million-line stock import (issue 20). Now two keys, ``(campaign_id,
item_id)`` to ``item (campaign_id, id)`` and ``(campaign_id, location_id)`` to ``location
(campaign_id, id)``: stricter (the item and the place must be the line's campaign's) and one check
fewer per line; the campaign itself is reached through the item, whose own key points at it.
``item`` and ``location`` get the unique index ``(campaign_id, id)`` these keys point at, and lose
``ix_item_campaign_id`` and ``ix_location_campaign_id``: their unique constraints on (campaign_id,
reference or code) and the new indexes start with campaign_id and serve the same lookups.

Existing lines are checked first: a line naming another campaign's item or location stops the
upgrade with how many there are, nothing changed. SQLite cannot alter a foreign key and batch mode
would drop ``book_line``, which tickets and audit samples point at: the table's SQL is rewritten in
``sqlite_master`` under ``writable_schema`` (SQLite's documented procedure for changing foreign
keys, as dates0001 does for a check), which keeps the table, its rows and the keys pointing at it;
``PRAGMA foreign_key_check`` then checks every line against the new keys.

Revision ID: pgimport0001
Revises: perfimport0001
"""
import sqlalchemy as sa
from alembic import op

revision = "pgimport0001"
down_revision = "perfimport0001"
branch_labels = None
depends_on = None

OLD_KEYS = {"fk_book_line_campaign_id_campaign": ("campaign_id", "campaign", "id"),
            "fk_book_line_item_id_item": ("item_id", "item", "id"),
            "fk_book_line_location_id_location": ("location_id", "location", "id")}
NEW_KEYS = {"fk_book_line_campaign_id_item": ("item", "item_id"),
            "fk_book_line_campaign_id_location": ("location", "location_id")}


def _old_sql(name: str) -> str:
    column, table, target = OLD_KEYS[name]
    return f"CONSTRAINT {name} FOREIGN KEY({column}) REFERENCES {table} ({target})"


def _new_sql(name: str) -> str:
    table, column = NEW_KEYS[name]
    return f"CONSTRAINT {name} FOREIGN KEY(campaign_id, {column}) REFERENCES {table} (campaign_id, id)"


def _refuse_lines_across_campaigns() -> None:
    bind = op.get_bind()
    for table, column in NEW_KEYS.values():
        wrong = bind.execute(sa.text(
            f"SELECT count(*) FROM book_line b JOIN {table} t ON t.id = b.{column} "
            "WHERE t.campaign_id <> b.campaign_id")).scalar()
        if wrong:
            raise RuntimeError(f"pgimport0001: {wrong} book lines name a {table} of another campaign; "
                               "correct them before upgrading.")


def _sqlite_rewrite(replacements: list[tuple[str, str]]) -> None:
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'book_line'").scalar()
    for old, new in replacements:
        if old not in sql:
            raise RuntimeError(f"pgimport0001: book_line's SQL lacks {old.strip()!r}; upgrade by hand.")
        sql = sql.replace(old, new)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'book_line'", (sql,))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check(book_line)").all()
    if broken:
        raise RuntimeError(f"pgimport0001: {len(broken)} book lines break the new foreign keys.")


def upgrade():
    for table in ("item", "location"):
        op.create_index(f"uq_{table}_campaign_id_id", table, ["campaign_id", "id"], unique=True)
        op.drop_index(f"ix_{table}_campaign_id", table_name=table)
    _refuse_lines_across_campaigns()
    if op.get_bind().dialect.name == "sqlite":
        old = list(OLD_KEYS)
        new = list(NEW_KEYS)
        _sqlite_rewrite([(f"{_old_sql(old[0])}, \n\t", ""), (_old_sql(old[1]), _new_sql(new[0])),
                         (_old_sql(old[2]), _new_sql(new[1]))])
        return
    for name in OLD_KEYS:
        op.drop_constraint(name, "book_line", type_="foreignkey")
    for name, (table, column) in NEW_KEYS.items():
        op.create_foreign_key(name, "book_line", table, ["campaign_id", column], ["campaign_id", "id"])


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        old = list(OLD_KEYS)
        new = list(NEW_KEYS)
        _sqlite_rewrite([(_new_sql(new[0]), f"{_old_sql(old[0])}, \n\t{_old_sql(old[1])}"),
                         (_new_sql(new[1]), _old_sql(old[2]))])
    else:
        for name in NEW_KEYS:
            op.drop_constraint(name, "book_line", type_="foreignkey")
        for name, (column, table, target) in OLD_KEYS.items():
            op.create_foreign_key(name, "book_line", table, [column], [target])
    for table in ("item", "location"):
        op.create_index(f"ix_{table}_campaign_id", table, ["campaign_id"])
        op.drop_index(f"uq_{table}_campaign_id_id", table_name=table)
