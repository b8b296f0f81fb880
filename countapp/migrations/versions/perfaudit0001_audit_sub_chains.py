"""Audit sub-chains: a campaign's count events chain per user, so that counts of different users no
longer queue behind one chain head (issue 20); ``audit.join`` events in the main chain commit each
sub-chain's head (docs/audit.md).

- ``audit_event.chain``: "" for the main chain (every event written before this revision), "user:<id>"
  for a sub-chain. Each chain numbers its events from 1, so the unique ``(campaign_id, seq)`` becomes
  ``(campaign_id, chain, seq)`` (which also serves the head read). No row is touched.
  SQLite cannot change a table's constraints in place: the table is rebuilt with Alembic's documented
  copy-and-move, and its append-only triggers (b1c0ffee0001), which go with the old table, are created
  again exactly as they were.
- PostgreSQL: ``countapp_audit_sub_chain_head(campaign, chain)`` locks one sub-chain (an advisory lock
  per campaign and chain) and reads its last event in one round trip, as audit0002's function does for
  the main chain (which keeps it; it now reads the main chain only, see below).

Revision ID: perfaudit0001
Revises: dates0001
"""
import sqlalchemy as sa
from alembic import op

revision = "perfaudit0001"
down_revision = "dates0001"
branch_labels = None
depends_on = None

# countapp.services.audit.SUB_CHAIN_LOCK, frozen here as migrations are.
SUB_CHAIN_LOCK = 0x434E55
CHAIN_LOCK = 0x434E54

# audit0002's function, reading the main chain only (sub-chain events share its campaign_id).
MAIN_HEAD = f"""
    CREATE OR REPLACE FUNCTION countapp_audit_chain_head(p_campaign integer)
    RETURNS TABLE (seq integer, hash varchar) LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock({CHAIN_LOCK}, coalesce(p_campaign, 0));
        IF p_campaign IS NULL THEN
            RETURN QUERY SELECT e.seq, e.hash FROM audit_event e WHERE e.campaign_id IS NULL
                         ORDER BY e.seq DESC LIMIT 1;
        ELSE
            RETURN QUERY SELECT e.seq, e.hash FROM audit_event e WHERE e.campaign_id = p_campaign AND e.chain = ''
                         ORDER BY e.seq DESC LIMIT 1;
        END IF;
    END $$
"""


def _sqlite_rebuild(add: bool):
    bind = op.get_bind()
    triggers = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                    "AND tbl_name = 'audit_event'").scalars().all()
    with op.batch_alter_table("audit_event", recreate="always") as batch:
        if add:
            batch.add_column(sa.Column("chain", sa.String(40), nullable=False, server_default=""))
            batch.drop_constraint("uq_audit_event_campaign_id_seq", type_="unique")
            batch.create_unique_constraint("uq_audit_event_campaign_id_chain_seq", ["campaign_id", "chain", "seq"])
        else:
            batch.drop_constraint("uq_audit_event_campaign_id_chain_seq", type_="unique")
            batch.drop_column("chain")
            batch.create_unique_constraint("uq_audit_event_campaign_id_seq", ["campaign_id", "seq"])
    for sql in triggers:
        bind.exec_driver_sql(sql)


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(add=True)
        return
    op.add_column("audit_event", sa.Column("chain", sa.String(40), nullable=False, server_default=""))
    op.create_unique_constraint("uq_audit_event_campaign_id_chain_seq", "audit_event", ["campaign_id", "chain", "seq"])
    op.drop_constraint("uq_audit_event_campaign_id_seq", "audit_event", type_="unique")
    op.execute(MAIN_HEAD)
    op.execute(f"""
        CREATE FUNCTION countapp_audit_sub_chain_head(p_campaign integer, p_chain varchar)
        RETURNS TABLE (seq integer, hash varchar) LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({SUB_CHAIN_LOCK}, hashtext(p_campaign || '/' || p_chain));
            RETURN QUERY SELECT e.seq, e.hash FROM audit_event e WHERE e.campaign_id = p_campaign
                         AND e.chain = p_chain ORDER BY e.seq DESC LIMIT 1;
        END $$
    """)


def downgrade():
    # Only possible while no sub-chain event exists: the old unique (campaign_id, seq) refuses them.
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(add=False)
        return
    op.execute("DROP FUNCTION countapp_audit_sub_chain_head(integer, varchar)")
    op.execute(MAIN_HEAD.replace(" AND e.chain = ''", ""))
    op.create_unique_constraint("uq_audit_event_campaign_id_seq", "audit_event", ["campaign_id", "seq"])
    op.drop_constraint("uq_audit_event_campaign_id_chain_seq", "audit_event", type_="unique")
    op.drop_column("audit_event", "chain")
