"""``ix_book_line_item_id`` goes: every query on a book line's item now names the campaign too, so
the unique constraint's index (campaign_id, item_id, location_id, lot) serves it, as it serves the
key (campaign_id, item_id) -> item when an item is deleted. The second index only cost time on every
book line written (issue 20: a million-line stock import). ``ix_book_line_location_id`` stays: the
key (campaign_id, location_id) -> location, checked when a place is deleted, needs it.

Revision ID: stockimport0001
Revises: pgimport0001
"""
from alembic import op

revision = "stockimport0001"
down_revision = "pgimport0001"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_book_line_item_id", table_name="book_line")


def downgrade():
    op.create_index("ix_book_line_item_id", "book_line", ["item_id"])
