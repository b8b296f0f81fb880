"""Append-only for real: TRUNCATE refused too, and the audit chain keyed.

- PostgreSQL: the triggers of b1c0ffee0001 and audit0001 refuse UPDATE and DELETE row by row, but
  ``TRUNCATE`` fires no row trigger: a ``BEFORE TRUNCATE`` trigger on every table that is never
  deleted from refuses it too (``TRUNCATE campaign CASCADE`` included: the cascade reaches these
  tables and their triggers fire). SQLite has no TRUNCATE: its ``DELETE FROM t`` with no WHERE
  still fires the per-row delete triggers that refuse it.
- ``audit_event.key_id``: the audit key that sealed the event (HMAC-SHA256, countapp.audit_key).
  Events already there keep a null key_id: plain SHA-256, which still verifies; new events are keyed.
  Whoever holds the database could rewrite a plain chain whole, so every chain that has events gets
  one keyed event now ("audit.keyed", by "system"): it hashes the last plain hash, so the events
  before it are bound too, and every chain of an upgraded installation ends keyed (a chain with
  events but none keyed is then a chain rewritten without the key: ``audit verify`` says so).
  This needs the audit key where ``countapp init`` runs: the same COUNTAPP_AUDIT_KEY as the servers.

Revision ID: sec0001
Revises: users0001
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "sec0001"
down_revision = "users0001"
branch_labels = None
depends_on = None

# Frozen here as migrations are: b1c0ffee0001.APPEND_ONLY + ticket (never deleted) + audit0001.TABLES.
NEVER_DELETED = ("ticket_void", "count", "audit_event", "ticket_range", "ticket_return", "ticket_decision",
                 "instructions_version", "instructions_ack", "line_cause", "sign_off", "report_archive", "ticket",
                 "audit_sample", "audit_sample_line", "audit_count", "audit_floor_record", "audit_confirmation",
                 "audit_seal")


EVENTS = sa.table("audit_event", sa.column("id", sa.Integer), sa.column("campaign_id", sa.Integer),
                  sa.column("seq", sa.Integer), sa.column("at", sa.DateTime(timezone=True)),
                  sa.column("user_id", sa.Integer), sa.column("user_login", sa.String),
                  sa.column("action", sa.String), sa.column("entity", sa.String), sa.column("entity_id", sa.String),
                  sa.column("before", sa.JSON), sa.column("after", sa.JSON), sa.column("prev_hash", sa.String),
                  sa.column("hash", sa.String), sa.column("key_id", sa.String))


def _key_the_chains():
    """Append one keyed event to every chain whose last event is plain SHA-256."""
    from countapp import audit_key
    from countapp.services.audit import event_digest  # the chain's one hash function: it never changes

    bind = op.get_bind()
    last = (sa.select(EVENTS.c.campaign_id, sa.func.max(EVENTS.c.seq).label("seq"))
            .group_by(EVENTS.c.campaign_id).subquery())
    heads = bind.execute(sa.select(EVENTS.c.campaign_id, EVENTS.c.seq, EVENTS.c.hash, EVENTS.c.key_id).join(
        last, sa.and_(EVENTS.c.seq == last.c.seq, sa.or_(EVENTS.c.campaign_id == last.c.campaign_id,
                                                          sa.and_(EVENTS.c.campaign_id.is_(None),
                                                                  last.c.campaign_id.is_(None)))))).all()
    heads = [h for h in heads if h.key_id is None]
    if not heads:
        return
    key = audit_key.load(current_app.instance_path, current_app.config.get("COUNTAPP_AUDIT_KEY"))
    at = datetime.now(timezone.utc)
    for head in heads:
        seq, after = head.seq + 1, {"key_id": key.key_id, "algorithm": "HMAC-SHA256"}
        digest = event_digest(head.hash, head.campaign_id, seq, at, "system", "audit.keyed", "audit_event",
                              str(head.seq), None, after, key.secret)
        bind.execute(sa.insert(EVENTS).values(campaign_id=head.campaign_id, seq=seq, at=at, user_id=None,
                                              user_login="system", action="audit.keyed", entity="audit_event",
                                              entity_id=str(head.seq), before=None, after=after,
                                              prev_hash=head.hash, hash=digest, key_id=key.key_id))


def upgrade():
    op.add_column("audit_event", sa.Column("key_id", sa.String(16), nullable=True))
    _key_the_chains()
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in NEVER_DELETED:
        # countapp_refuse_change() comes with b1c0ffee0001; it names TG_OP (TRUNCATE) and the table.
        op.execute(f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON "{table}" '
                   "FOR EACH STATEMENT EXECUTE FUNCTION countapp_refuse_change()")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in NEVER_DELETED:
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_truncate ON "{table}"')
    # Keyed events then read as plain SHA-256 ones and no longer verify: the older code cannot check them.
    op.drop_column("audit_event", "key_id")
