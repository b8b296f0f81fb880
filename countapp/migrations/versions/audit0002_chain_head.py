"""PostgreSQL: lock a campaign's audit chain and read its last event in one round trip.

Appending an event locked the chain (an advisory lock) and then read the last event: two statements
on every count a tablet sends. This function does both; a VOLATILE function takes a fresh snapshot
for each statement it runs, so the read after the lock sees every event committed before it.
SQLite has no such functions and needs none (one writer at a time).

Revision ID: audit0002
Revises: audit0001
"""
from alembic import op

revision = "audit0002"
down_revision = "audit0001"
branch_labels = None
depends_on = None

# countapp.services.audit.CHAIN_LOCK ("CNT"), frozen here as migrations are.
CHAIN_LOCK = 0x434E54


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
        CREATE FUNCTION countapp_audit_chain_head(p_campaign integer)
        RETURNS TABLE (seq integer, hash varchar) LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({CHAIN_LOCK}, coalesce(p_campaign, 0));
            IF p_campaign IS NULL THEN
                RETURN QUERY SELECT e.seq, e.hash FROM audit_event e WHERE e.campaign_id IS NULL
                             ORDER BY e.seq DESC LIMIT 1;
            ELSE
                RETURN QUERY SELECT e.seq, e.hash FROM audit_event e WHERE e.campaign_id = p_campaign
                             ORDER BY e.seq DESC LIMIT 1;
            END IF;
        END $$
    """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION countapp_audit_chain_head(integer)")
