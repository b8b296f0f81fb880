"""Append events to the tamper-evident audit log (each event hashes the previous one)."""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa

from ..extensions import db
from ..models import AuditEvent, Campaign, User

GENESIS = "0" * 64


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def event_digest(prev_hash: str, campaign_id, seq: int, at: datetime, user_login: str, action: str,
                 entity: str, entity_id: str, before, after) -> str:
    """SHA-256 over the previous hash and this event's content, in a canonical JSON form."""
    if at.tzinfo is None:  # SQLite gives back naive datetimes; they were written in UTC
        at = at.replace(tzinfo=timezone.utc)
    body = json.dumps(
        [campaign_id, seq, at.astimezone(timezone.utc).isoformat(timespec="microseconds"), user_login, action,
         entity, entity_id, before, after],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def digest_of(event: AuditEvent, prev_hash: str | None = None) -> str:
    """The hash ``event`` must carry, recomputed from its stored content (chained after ``prev_hash``,
    by default the one it names); what ``countapp audit verify`` compares with the stored hash."""
    return event_digest(event.prev_hash if prev_hash is None else prev_hash, event.campaign_id, event.seq, event.at,
                        event.user_login, event.action, event.entity, event.entity_id, event.before, event.after)


# Key of the PostgreSQL advisory lock that serialises appends to one campaign's chain ("CNT" + id).
CHAIN_LOCK = 0x434E54


def _lock_chain(campaign_id: int | None) -> None:
    """Serialise appends to a chain until the transaction ends, so two writers never take the same place.

    PostgreSQL: a transaction-level advisory lock (held in memory, nothing written, released at commit).
    SQLite allows one writer at a time anyway: the unique (campaign, seq) index is the guarantee there.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK, campaign_id or 0)))


def record(action: str, *, campaign: Campaign | None = None, entity: str = "", entity_id: object = "",
           before: dict | None = None, after: dict | None = None, user: User | None = None) -> dict:
    """Add one event to the current transaction, chained after the campaign's last one; return its row.

    Everything that does not depend on the chain is prepared first, so the lock is held only for
    reading the last event, writing this one and the caller's commit.
    """
    campaign_id = campaign.id if campaign is not None else None
    login = user.login if user is not None else "system"
    before, after, entity_id = _plain(before), _plain(after), str(entity_id)
    db.session.flush()           # the caller's pending changes go out before the chain is locked
    _lock_chain(campaign_id)
    last = db.session.execute(
        sa.select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.campaign_id.is_(None) if campaign_id is None else AuditEvent.campaign_id == campaign_id)
        .order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, GENESIS)
    at = datetime.now(timezone.utc)
    row = {"campaign_id": campaign_id, "seq": seq, "at": at, "user_id": user.id if user is not None else None,
           "user_login": login, "action": action, "entity": entity, "entity_id": entity_id, "before": before,
           "after": after, "prev_hash": prev_hash,
           "hash": event_digest(prev_hash, campaign_id, seq, at, login, action, entity, entity_id, before, after)}
    db.session.execute(sa.insert(AuditEvent.__table__), row)
    return row
