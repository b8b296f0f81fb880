"""``ix_book_line_campaign_id`` goes: the unique constraint (campaign_id, item_id, location_id, lot)
has an index that starts with campaign_id and serves the same lookups; the second index only cost
time on every book line written (issue 20: a million-line stock import).

Revision ID: perfimport0001
Revises: perfaudit0001, cycle0001 (dates0001 in the brief; this branch merged perfaudit and main, whose heads it joins)
"""
from alembic import op

revision = "perfimport0001"
down_revision = ("perfaudit0001", "cycle0001")
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_book_line_campaign_id", table_name="book_line")


def downgrade():
    op.create_index("ix_book_line_campaign_id", "book_line", ["campaign_id"])
