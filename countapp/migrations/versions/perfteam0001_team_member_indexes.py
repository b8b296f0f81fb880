"""Indexes on ``team_member.user_id`` and ``team.leader_id``: every request of a logged-in user reads the
campaigns of that user's teams (web.security's session user, count_views.member_codes_of), and without
them that lookup read every team and, for each, every membership (issue 20: a fifth of a count's CPU on
SQLite with 200 tablets).

Revision ID: perfteam0001
Revises: stockimport0001
"""
from alembic import op

revision = "perfteam0001"
down_revision = "stockimport0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_team_member_user_id", "team_member", ["user_id"])
    op.create_index("ix_team_leader_id", "team", ["leader_id"])


def downgrade():
    op.drop_index("ix_team_leader_id", table_name="team")
    op.drop_index("ix_team_member_user_id", table_name="team_member")
