"""Background jobs: state and progress in the database (filled in by the job-queue work).

Revision ID: jobs0001
Revises: audit0002
"""
from alembic import op  # noqa: F401

revision = "jobs0001"
down_revision = "audit0002"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
