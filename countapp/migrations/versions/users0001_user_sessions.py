"""Users managed from the web: a session version that ends old sessions, a forced password change,
the last log-in.

Revision ID: users0001
Revises: jobs0001
"""
import sqlalchemy as sa
from alembic import op

revision = "users0001"
down_revision = "jobs0001"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops columns itself): a batch copy of the table
# would have to drop user_account, which every table that names a user refers to.
def upgrade():
    op.add_column("user_account", sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("user_account", sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                            server_default=sa.false()))
    op.add_column("user_account", sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    for column in ("last_login_at", "must_change_password", "session_version"):
        op.drop_column("user_account", column)
