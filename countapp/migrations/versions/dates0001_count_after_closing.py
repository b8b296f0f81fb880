"""Count dates as they really are (issue 18): a count may fall after the closing date, and the
book stock file may be at its own date.

- ``campaign``: the check ``count_date <= closing_date`` goes (a January count rolls back to the
  31 December). SQLite cannot drop a constraint: its own documented procedure for removing a
  CHECK constraint (rewrite the table's SQL in ``sqlite_master`` under ``writable_schema``) keeps
  the table, its rows and every foreign key pointing at it untouched.
- ``campaign.stock_date``: the date the imported stock file's quantities are at (``import stock
  --as-of``); empty means the campaign's count date.

Revision ID: dates0001
Revises: sec0001
"""
import sqlalchemy as sa
from alembic import op

revision = "dates0001"
down_revision = "sec0001"
branch_labels = None
depends_on = None

CHECK = "CONSTRAINT ck_campaign_count_before_closing CHECK (count_date <= closing_date)"


def _sqlite_drop_check():
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'campaign'").scalar()
    if not sql or CHECK not in sql:
        return
    new_sql = sql.replace(f"{CHECK}, ", "").replace(f", {CHECK}", "").replace(CHECK, "")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'campaign'",
                         (new_sql,))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_drop_check()
    else:
        op.drop_constraint(op.f("ck_campaign_count_before_closing"), "campaign", type_="check")
    op.add_column("campaign", sa.Column("stock_date", sa.Date(), nullable=True))


def downgrade():
    op.drop_column("campaign", "stock_date")
    if op.get_bind().dialect.name != "sqlite":
        op.create_check_constraint(op.f("ck_campaign_count_before_closing"), "campaign", "count_date <= closing_date")
