"""Tickets, voids, counts and audit events are never deleted; their content never changes.

The database itself refuses it, whatever the code path (DOMAIN.md: no ticket is ever destroyed).
A ticket's status and cached decision may change; its identity (campaign, number, book line) may not.

Revision ID: b1c0ffee0001
Revises: a0000000init
"""
from alembic import op

revision = "b1c0ffee0001"
down_revision = "a0000000init"
branch_labels = None
depends_on = None

APPEND_ONLY = ("ticket_void", "count", "audit_event", "ticket_range", "ticket_return", "ticket_decision",
               "instructions_version", "instructions_ack", "line_cause", "sign_off", "report_archive")
TICKET_IDENTITY = ("campaign_id", "sequence", "is_blank", "created_at")
# Filled once for a blank ticket (first count names the item), never changed afterwards.
TICKET_SET_ONCE = ("book_line_id", "item_id", "location_id")


def _sqlite_upgrade():
    for table in APPEND_ONLY:
        for operation in ("DELETE", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'countapp: {table} rows are never changed or deleted'); END"
            )
    op.execute("CREATE TRIGGER ticket_no_delete BEFORE DELETE ON ticket "
               "BEGIN SELECT RAISE(ABORT, 'countapp: tickets are never deleted'); END")
    changed = " OR ".join([f"NEW.{c} IS NOT OLD.{c}" for c in TICKET_IDENTITY]
                          + [f"(OLD.{c} IS NOT NULL AND NEW.{c} IS NOT OLD.{c})" for c in TICKET_SET_ONCE])
    op.execute(f"CREATE TRIGGER ticket_identity_fixed BEFORE UPDATE ON ticket WHEN {changed} "
               "BEGIN SELECT RAISE(ABORT, 'countapp: a ticket''s number and reference never change'); END")


def _postgresql_upgrade():
    op.execute("""
        CREATE FUNCTION countapp_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'countapp: % on % is refused: these rows are never changed or deleted', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation';
        END $$
    """)
    for table in APPEND_ONLY:
        op.execute(f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON "{table}" '
                   "FOR EACH ROW EXECUTE FUNCTION countapp_refuse_change()")
    op.execute("CREATE TRIGGER ticket_no_delete BEFORE DELETE ON ticket "
               "FOR EACH ROW EXECUTE FUNCTION countapp_refuse_change()")
    changed = " OR ".join([f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in TICKET_IDENTITY]
                          + [f"(OLD.{c} IS NOT NULL AND NEW.{c} IS DISTINCT FROM OLD.{c})" for c in TICKET_SET_ONCE])
    op.execute(f"CREATE TRIGGER ticket_identity_fixed BEFORE UPDATE ON ticket FOR EACH ROW WHEN ({changed}) "
               "EXECUTE FUNCTION countapp_refuse_change()")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _postgresql_upgrade()


def downgrade():
    dialect = op.get_bind().dialect.name
    names = [f"{t}_no_delete" for t in APPEND_ONLY] + [f"{t}_no_update" for t in APPEND_ONLY]
    if dialect == "sqlite":
        for name in names + ["ticket_no_delete", "ticket_identity_fixed"]:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f'DROP TRIGGER IF EXISTS {table}_append_only ON "{table}"')
        op.execute("DROP TRIGGER IF EXISTS ticket_no_delete ON ticket")
        op.execute("DROP TRIGGER IF EXISTS ticket_identity_fixed ON ticket")
        op.execute("DROP FUNCTION IF EXISTS countapp_refuse_change()")
