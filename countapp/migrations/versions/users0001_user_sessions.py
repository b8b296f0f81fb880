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


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("last_login_at")
        batch.drop_column("must_change_password")
        batch.drop_column("session_version")
