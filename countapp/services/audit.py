"""Append events to the tamper-evident audit log (each event hashes the previous one of its chain).

A campaign's log is a main chain plus one sub-chain per user for that user's count events (``SUB_CHAINED``):
counts of different users never wait for one chain head. ``join`` writes an ``audit.join`` event in the
main chain that commits every sub-chain's head (at the end of counting, sign-off, closing, sealing and on
demand); docs/audit.md says what the chains prove.

Each event's hash is an HMAC-SHA256 keyed with the audit key (``countapp.audit_key``), which is kept
outside the database: whoever holds only the database cannot recompute a valid chain after changing
an event. The event names the key in ``key_id``. Events written before the chain was keyed carry no
``key_id`` and a plain SHA-256; they still verify, and the first keyed event after them binds them
(it hashes the last plain hash), so they cannot be rewritten either once a keyed event follows.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import json
import operator
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa

from flask import current_app

from .. import audit_key, bulk
from ..extensions import db
from ..models import AuditEvent, Campaign, User

GENESIS = "0" * 64
MAIN = ""   # the chain of a campaign's (or of the users') events, other than the sub-chains
# Written by tablets all at once during counting: chained per user, joined into the main chain by ``join``.
SUB_CHAINED = frozenset({"count.add"})
JOIN = "audit.join"
_KEY = "countapp_audit_key"


def current_key() -> audit_key.AuditKey:
    """This installation's audit key (COUNTAPP_AUDIT_KEY, else the instance folder's file), read once per app."""
    app = current_app._get_current_object()
    key = app.extensions.get(_KEY)
    if key is None:
        key = app.extensions[_KEY] = audit_key.load(app.instance_path, app.config.get("COUNTAPP_AUDIT_KEY"))
    return key


# What ``_plain`` returns as it is (the exact types: an Enum that is also a str still becomes its value).
_AS_IS = frozenset({str, int, float, bool, type(None)})


def _plain(value):
    if type(value) in _AS_IS:   # most values: one set lookup instead of the checks below
        return value
    if isinstance(value, dict):   # every event's before and after: their values mostly as they are
        return {str(k): v if type(v) in _AS_IS else _plain(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def user_chain(user_id: int) -> str:
    """The name of a user's sub-chain of count events."""
    return f"user:{user_id}"


def chain_of(action: str, campaign_id: int | None, user_id: int | None) -> str:
    """The chain an event goes to: its user's sub-chain for a count event in a campaign, else the main chain."""
    if action in SUB_CHAINED and campaign_id is not None and user_id is not None:
        return user_chain(user_id)
    return MAIN


@functools.lru_cache(maxsize=64)   # the events of a batch share one time
def _utc_text(at: datetime) -> str:
    """The event's time as its hash reads it: UTC, ISO 8601 with microseconds."""
    if at.tzinfo is None:  # SQLite gives back naive datetimes; they were written in UTC
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


# Made once: ``json.dumps`` with these arguments builds the same encoder on every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value) -> str:
    """The canonical JSON text an event's hash is computed over: exactly what
    ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` gives."""
    return _CANONICAL.encode(value)


def event_digest(prev_hash: str, campaign_id, seq: int, at: datetime, user_login: str, action: str,
                 entity: str, entity_id: str, before, after, key: bytes | None = None, chain: str = MAIN) -> str:
    """HMAC-SHA256 with ``key`` (plain SHA-256 without: events written before the chain was keyed) over
    the previous hash and this event's content, in a canonical JSON form. A sub-chain's events hash their
    chain's name too (the main chain's form is unchanged, so its events written before sub-chains verify)."""
    content = [campaign_id, seq, _utc_text(at), user_login, action, entity, entity_id, before, after]
    if chain:
        content.append(chain)
    body = canonical_json(content)
    if key is None:
        return hashlib.sha256((prev_hash + body).encode()).hexdigest()
    keyed = _keyed(key).copy()
    keyed.update((prev_hash + body).encode())
    return keyed.hexdigest()


@functools.lru_cache(maxsize=8)
def _keyed(key: bytes) -> hmac.HMAC:
    """HMAC-SHA256 keyed with ``key`` and fed nothing yet: each event's hash starts from a copy of it, which
    costs half of keying anew (a counts file hashes a hundred thousand events)."""
    return hmac.new(key, digestmod=hashlib.sha256)


_CURRENT = object()


def digest_of(event: AuditEvent, prev_hash: str | None = None, key=_CURRENT) -> str:
    """The hash ``event`` must carry, recomputed from its stored content (chained after ``prev_hash``,
    by default the one it names); what ``countapp audit verify`` compares with the stored hash.
    Keyed with this installation's key unless the event predates keying (no ``key_id``) or ``key`` says
    otherwise (bytes, or None for plain SHA-256)."""
    if key is _CURRENT:
        key = current_key().secret if event.key_id is not None else None
    return event_digest(event.prev_hash if prev_hash is None else prev_hash, event.campaign_id, event.seq, event.at,
                        event.user_login, event.action, event.entity, event.entity_id, event.before, event.after,
                        key, event.chain or MAIN)


# Keys of the PostgreSQL advisory locks that serialise appends to one campaign's main chain ("CNT" + id)
# and to one sub-chain ("CNU" + hash of campaign and chain; migration perfaudit0001).
CHAIN_LOCK = 0x434E54
SUB_CHAIN_LOCK = 0x434E55

# Built once, run with parameters: building a statement costs more than running it on this path.
# PostgreSQL: takes a transaction-level advisory lock on the chain (held in memory, nothing written,
# released at commit), then reads the last event, in one round trip (migrations audit0002, perfaudit0001).
_CHAIN_HEAD_PG = sa.text("SELECT seq, hash FROM countapp_audit_chain_head(:campaign)").bindparams(
    sa.bindparam("campaign", type_=sa.Integer))
_SUB_CHAIN_HEAD_PG = sa.text("SELECT seq, hash FROM countapp_audit_sub_chain_head(:campaign, :chain)").bindparams(
    sa.bindparam("campaign", type_=sa.Integer), sa.bindparam("chain", type_=sa.String))
# SQLite allows one writer at a time anyway: the unique (campaign, chain, seq) index is the guarantee there.
_LAST_EVENT = {
    within: sa.select(AuditEvent.seq, AuditEvent.hash)
    .where(AuditEvent.campaign_id == sa.bindparam("campaign") if within else AuditEvent.campaign_id.is_(None),
           AuditEvent.chain == sa.bindparam("chain"))
    .order_by(AuditEvent.seq.desc()).limit(1)
    for within in (True, False)
}
_INSERT_EVENT = sa.insert(AuditEvent.__table__)


def _chain_head(connection: sa.Connection, campaign_id: int | None, chain: str = MAIN):
    """The chain's last event (seq, hash) or None, the chain locked until the transaction ends, so two
    writers never take the same place."""
    if connection.dialect.name == "postgresql":
        if chain:
            return connection.execute(_SUB_CHAIN_HEAD_PG, {"campaign": campaign_id, "chain": chain}).first()
        return connection.execute(_CHAIN_HEAD_PG, {"campaign": campaign_id}).first()
    return connection.execute(_LAST_EVENT[campaign_id is not None], {"campaign": campaign_id, "chain": chain}).first()


# PostgreSQL: several sub-chains of one campaign locked (in the order given) and their heads read, in one
# round trip: the count writer's batch holds counts of many users (parameters: campaign, chains).
_SUB_CHAIN_HEADS_PG = sa.text(
    "SELECT c.chain, h.seq, h.hash FROM unnest(CAST(:chains AS varchar[])) WITH ORDINALITY AS c(chain, n)"
    " LEFT JOIN LATERAL countapp_audit_sub_chain_head(:campaign, c.chain) h ON true ORDER BY c.n"
).bindparams(sa.bindparam("campaign", type_=sa.Integer))


def sub_chain_heads_pg(campaign_id: int, chains: list[str]) -> tuple[str, dict]:
    """PostgreSQL: the statement that locks the campaign's sub-chains ``chains`` (in the order given: sort
    them as ``chained_rows`` does) and reads their heads, as the driver takes it, and its parameters; for a
    caller that sends it with other statements in one round trip (``count_batch``). ``heads_of`` reads its
    rows."""
    return _sub_chain_heads_pg().sql, {"campaign": campaign_id, "chains": chains}


@functools.cache
def _sub_chain_heads_pg() -> bulk.DriverStatement:
    return bulk.DriverStatement(_SUB_CHAIN_HEADS_PG)


def heads_of(campaign_id: int, rows) -> dict:
    """``sub_chain_heads_pg``'s rows as ``chained_rows`` takes its ``heads``: (seq, hash), (0, GENESIS) for an
    empty chain."""
    return {(campaign_id, chain): (seq, hash_) if seq is not None else (0, GENESIS) for chain, seq, hash_ in rows}


_SQLITE_CHAINS = 256


@functools.lru_cache(maxsize=64)
def _sub_chain_heads_sqlite(count: int) -> sa.TextClause:
    """SQLite: the heads of ``count`` sub-chains of one campaign in one statement (parameters: campaign,
    chain0, chain1, ...), each one probe of the (campaign, chain, seq) index; an empty chain gives no row."""
    table = AuditEvent.__tablename__
    return sa.text(" UNION ALL ".join(
        f"SELECT * FROM (SELECT chain, seq, hash FROM {table} WHERE campaign_id = :campaign AND chain = :chain{i}"
        " ORDER BY seq DESC LIMIT 1)" for i in range(count)))


def _chain_heads(connection: sa.Connection, chains: list[tuple[int | None, str]]) -> dict:
    """``_chain_head`` of each (campaign_id, chain), locked in the order given: (seq, hash), (0, GENESIS)
    for an empty chain. A campaign's sub-chains take one statement together (on PostgreSQL, one round
    trip that locks them in that order; SQLite has one writer at a time)."""
    heads: dict = {}
    by_campaign: dict = {}
    for campaign_id, chain in chains:
        if chain and campaign_id is not None:
            by_campaign.setdefault(campaign_id, []).append(chain)
    for campaign_id, names in by_campaign.items():
        if len(names) < 2:
            continue
        if connection.dialect.name == "postgresql":
            heads.update(heads_of(campaign_id, connection.execute(_SUB_CHAIN_HEADS_PG,
                                                                  {"campaign": campaign_id, "chains": names})))
        else:
            found = dict.fromkeys(names, (0, GENESIS))
            for start in range(0, len(names), _SQLITE_CHAINS):   # SQLite compounds at most 500 selects
                part = names[start:start + _SQLITE_CHAINS]
                parameters = {"campaign": campaign_id, **{f"chain{i}": name for i, name in enumerate(part)}}
                for chain, seq, hash_ in connection.execute(_sub_chain_heads_sqlite(len(part)), parameters):
                    found[chain] = (seq, hash_)
            heads.update(((campaign_id, chain), head) for chain, head in found.items())
    for campaign_id, chain in chains:
        if (campaign_id, chain) not in heads:
            last = _chain_head(connection, campaign_id, chain)
            heads[campaign_id, chain] = (last.seq, last.hash) if last else (0, GENESIS)
    return heads


def chained_event(action: str, *, campaign: Campaign | None = None, entity: str = "", entity_id: object = "",
                  before: dict | None = None, after: dict | None = None, user: User | None = None,
                  head: tuple[int, str] | None = None) -> dict:
    """The next event of its chain (``chain_of``), as a row ready to insert in the current transaction.

    The caller's pending changes go out first, then the chain is locked until the transaction ends
    and its last event read: the caller must insert the row (``_INSERT_EVENT`` or with its own
    statement) before committing, or roll back. ``head``: the chain's last event (seq, hash; (0,
    GENESIS) for none), when the caller already locked the chain and read it in this transaction.
    """
    campaign_id = campaign.id if campaign is not None else None
    chain = chain_of(action, campaign_id, user.id if user is not None else None)
    before, after, entity_id = _plain(before), _plain(after), str(entity_id)
    key = current_key()
    db.session.flush()
    if head is None:
        last = _chain_head(db.session.connection(), campaign_id, chain)
        head = (last.seq, last.hash) if last else (0, GENESIS)
    return _event_row(key, head, datetime.now(timezone.utc), action, campaign, user, entity, entity_id, before, after)


def _event_row(key, head: tuple[int, str], at: datetime, action: str, campaign: Campaign | None, user: User | None,
               entity: str, entity_id: str, before, after) -> dict:
    """The row of the event that follows ``head`` (seq, hash) in its chain, hashed with ``key``
    (``before`` and ``after`` already ``_plain``, ``entity_id`` a str)."""
    campaign_id = campaign.id if campaign is not None else None
    user_id = user.id if user is not None else None
    login = user.login if user is not None else "system"
    chain = chain_of(action, campaign_id, user_id)
    seq, prev_hash = head[0] + 1, head[1]
    return {"campaign_id": campaign_id, "chain": chain, "seq": seq, "at": at, "user_id": user_id,
            "user_login": login, "action": action, "entity": entity, "entity_id": entity_id, "before": before,
            "after": after, "prev_hash": prev_hash, "key_id": key.key_id,
            "hash": event_digest(prev_hash, campaign_id, seq, at, login, action, entity, entity_id, before, after,
                                 key.secret, chain)}


def record(action: str, *, campaign: Campaign | None = None, entity: str = "", entity_id: object = "",
           before: dict | None = None, after: dict | None = None, user: User | None = None) -> dict:
    """Add one event to the current transaction, chained after the last one of its chain; return its row.

    Everything that does not depend on the chain is prepared first, so the lock is held only for
    reading the last event, writing this one and the caller's commit.
    """
    row = chained_event(action, campaign=campaign, entity=entity, entity_id=entity_id, before=before, after=after,
                        user=user)
    db.session.connection().execute(_INSERT_EVENT, row)
    return row


def record_many(events: list[dict]) -> list[dict]:
    """Add several events to the current transaction, chained in the order given; return their rows.

    Each item of ``events`` is a dict of :func:`record`'s arguments (``action`` and, as needed, ``campaign``,
    ``entity``, ``entity_id``, ``before``, ``after``, ``user``); each goes to its chain (``chain_of``). Each
    chain that the events go to is locked and its last event read once, whatever the number of events: a
    counts file of 100,000 lines costs one head read per chain, not one per line. The rows go in with COPY
    on PostgreSQL, an executemany on SQLite (``bulk.insert_rows``). Nothing is written for an empty list.
    """
    rows = chained_rows(events)
    if rows:
        bulk.insert_rows(AuditEvent.__table__, _EVENT_COLUMNS, map(_EVENT_VALUES, rows))
    return rows


def chained_rows(events: list[dict], heads: dict | None = None) -> list[dict]:
    """The rows ``record_many`` writes for ``events``, not written: the caller inserts them (``insert_values``,
    then ``write_values``) in this transaction before committing, in the order given.

    ``heads`` ((campaign id, chain) -> (seq, hash) of its last event), when given, is read and kept up to
    date across calls: a caller writing one file in several batches reads each chain's head once, and may
    prepare a batch before the previous one is in the database."""
    if not events:
        return []
    key = current_key()
    db.session.flush()
    connection = db.session.connection()
    heads = {} if heads is None else heads
    for spec in events:
        if not spec.keys() <= _EVENT_FIELDS:
            raise TypeError(f"record_many: unknown event field(s) {sorted(spec.keys() - _EVENT_FIELDS)}")
    chains = [(campaign.id if (campaign := spec.get("campaign")) is not None else None,
               chain_of(spec["action"], campaign.id if campaign is not None else None,
                        spec["user"].id if spec.get("user") is not None else None)) for spec in events]
    # (campaign_id, chain) -> (seq, hash) of its last event, as the rows below extend it; the chains not
    # read yet are locked and read in one sorted order
    missing = sorted({pair for pair in chains if pair not in heads}, key=lambda pair: (pair[0] or 0, pair[1]))
    if missing:
        heads.update(_chain_heads(connection, missing))
    rows = []
    at = datetime.now(timezone.utc)
    for spec, (campaign_id, chain) in zip(events, chains):
        action, campaign, user = spec["action"], spec.get("campaign"), spec.get("user")
        entity, entity_id = spec.get("entity", ""), str(spec.get("entity_id", ""))
        before, after = _plain(spec.get("before")), _plain(spec.get("after"))
        row = _event_row(key, heads[campaign_id, chain], at, action, campaign, user, entity, entity_id, before,
                         after)
        heads[campaign_id, chain] = (row["seq"], row["hash"])
        rows.append(row)
    return rows


def insert_values(dialect, rows: list[dict]) -> list[tuple]:
    """``chained_rows``'s rows as the driver takes them, for ``write_values``."""
    return bulk.converted_rows(dialect, AuditEvent.__table__, _EVENT_COLUMNS, map(_EVENT_VALUES, rows))


def write_values(raw, dialect, values: list[tuple], *, pipelined: bool = False) -> None:
    """Insert ``insert_values``'s rows on the driver's connection ``raw`` (``bulk.write_rows``: may run in a
    thread). ``pipelined`` (PostgreSQL): in one INSERT that can go in the driver's pipeline (not COPY)."""
    if pipelined:
        bulk.unnest_insert(raw, dialect, AuditEvent.__table__, _EVENT_COLUMNS, values)
    else:
        bulk.write_rows(raw, dialect, AuditEvent.__table__, _EVENT_COLUMNS, values)


_EVENT_FIELDS = frozenset({"action", "campaign", "entity", "entity_id", "before", "after", "user"})
_EVENT_COLUMNS = tuple(column.name for column in AuditEvent.__table__.c if column.name != "id")
_EVENT_VALUES = operator.itemgetter(*_EVENT_COLUMNS)


# --- joining the sub-chains into the main chain -----------------------------------------------------

_SUB_HEADS = sa.text(
    "SELECT e.chain, e.seq, e.hash FROM audit_event e JOIN ("
    " SELECT chain, max(seq) AS seq FROM audit_event WHERE campaign_id = :campaign AND chain <> '' GROUP BY chain"
    ") h ON e.chain = h.chain AND e.seq = h.seq WHERE e.campaign_id = :campaign ORDER BY e.chain")
_LAST_JOIN = (sa.select(AuditEvent.after)
              .where(AuditEvent.campaign_id == sa.bindparam("campaign"), AuditEvent.chain == MAIN,
                     AuditEvent.action == JOIN)
              .order_by(AuditEvent.seq.desc()).limit(1))


def sub_chain_heads(campaign_id: int) -> dict[str, dict]:
    """Every sub-chain of the campaign and its last committed event: ``{chain: {"seq": n, "hash": h}}``."""
    rows = db.session.connection().execute(_SUB_HEADS, {"campaign": campaign_id})
    return {row.chain: {"seq": row.seq, "hash": row.hash} for row in rows}


def join(campaign: Campaign, *, user: User | None = None, reason: str = "") -> dict | None:
    """Commit every sub-chain's head into the campaign's main chain: one ``audit.join`` event in the current
    transaction (the caller commits), naming each sub-chain's last event (seq and hash). None, and nothing
    written, when no sub-chain moved since the last join."""
    db.session.flush()
    # The main chain is locked first, so two joins never write the same heads twice.
    _chain_head(db.session.connection(), campaign.id)
    heads = sub_chain_heads(campaign.id)
    if not heads:
        return None
    last = db.session.connection().execute(_LAST_JOIN, {"campaign": campaign.id}).scalar()
    if last is not None and last.get("chains") == heads:
        return None
    return record(JOIN, campaign=campaign, entity="audit_event", entity_id=len(heads), user=user,
                  after={"chains": heads, "reason": reason})
