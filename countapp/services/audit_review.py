"""What auditors check, read from the database: the audit log's chain, tag control per team
against their floor records, and cut-off evidence. Reading only, except the auditor's own
records (floor records, seals), each one appended in its own transaction.

The chain check walks a campaign's events in order and recomputes every hash with the function
that wrote it (``services.audit.digest_of``): a changed event, a deleted one, one moved to
another campaign or re-chained, and a log cut short before a seal are each named, first break first.
Events are keyed (HMAC-SHA256) from the first one that names a key on: a plain SHA-256 event after
it is a rewritten one, and events keyed with another key than this installation's cannot be checked
(named once, as a break: "the chain does not verify with this key"). Since migration sec0001 every
chain ends keyed, so a log with events and none keyed was rewritten whole without the key.

A campaign's log is its main chain and one sub-chain per user for count events (services.audit): each
is walked the same way, and each ``audit.join`` event of the main chain must name events that are still
there, unchanged, in the sub-chains it commits (docs/audit.md).
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from operator import attrgetter

import sqlalchemy as sa

from reports.audit_tags import Comparison, FloorSeen, compare, team_tags
from tickets import numbering
from tickets.control import ControlReport
from tickets.errors import CountappError, N_, NotFound, Nn_, translate

from ..extensions import db
from ..models import AuditEvent, Campaign, Item, Location, Movement, MovementKind, Team, User
from ..models.audit_work import AuditFloorRecord, AuditSeal
from . import audit
from . import campaigns as campaign_service

MAX_BREAKS = 50

# --- the chain -------------------------------------------------------------------------------------

BREAK_MESSAGES = {
    "missing": Nn_("Event #%(seq)s is missing: %(num)s event from #%(seq)s to #%(last)s was deleted.",
                   "Event #%(seq)s is missing: %(num)s events from #%(seq)s to #%(last)s were deleted."),
    "content": N_("Event #%(seq)s (%(action)s, %(when)s, by %(user)s) was changed after it was written: its "
                  "content no longer matches its hash."),
    "link": N_("Event #%(seq)s (%(action)s, %(when)s, by %(user)s) no longer follows event #%(previous)s: the "
               "hash it chains to is not that event's (an event was rewritten, replaced or moved)."),
    "seal_missing": N_("Event #%(seq)s, sealed by %(user)s on %(when)s, is missing: the log was cut short "
                       "after it."),
    "seal_differs": N_("Event #%(seq)s, sealed by %(user)s on %(when)s, no longer carries the sealed hash: it "
                       "was replaced."),
    "key": N_("Event #%(seq)s and the events after it were keyed with another audit key (key id %(theirs)s; "
              "this one is %(ours)s): the chain does not verify with this key. Set COUNTAPP_AUDIT_KEY (or the "
              "instance folder's audit_key file) to the key it was written with."),
    "unkeyed": N_("No event of this log is keyed with the audit key: it was rewritten whole (plain SHA-256) by "
                  "someone holding the database, or comes from an installation that was never upgraded."),
    "join_missing": N_("Event #%(seq)s, committed by the join event #%(join)s of the main chain, is missing: the "
                       "sub-chain was cut short after it."),
    "join_differs": N_("Event #%(seq)s no longer carries the hash that the join event #%(join)s of the main chain "
                       "committed: it was replaced."),
}
SUB_CHAIN_BREAK = N_("Counts of %(user)s (sub-chain %(chain)s): %(message)s")


@dataclass(frozen=True)
class Break:
    """One place where the chain does not hold, with what the message needs to name it."""

    kind: str
    seq: int
    event_id: int | None = None
    params: dict = field(default_factory=dict)
    chain: str = ""          # "" for the main chain, else the sub-chain's name
    chain_user: str = ""     # whose counts the sub-chain holds

    def render(self, gettext=None) -> str:
        message = translate(BREAK_MESSAGES[self.kind], {"seq": self.seq, **self.params}, gettext)
        if not self.chain:
            return message
        return translate(SUB_CHAIN_BREAK, {"user": self.chain_user or "?", "chain": self.chain, "message": message},
                         gettext)

    @property
    def ref(self) -> str:
        """The broken event as ``chain#seq`` (the log page marks it)."""
        return f"{self.chain}#{self.seq}"

    @property
    def order(self) -> tuple:
        """Main chain first, then each sub-chain; in a chain, by event (a hole before what it explains)."""
        return (self.chain != "", self.chain, self.seq, self.kind != "missing")


@dataclass(frozen=True)
class SubChain:
    """One sub-chain as checked: its last event, and the last one a join of the main chain commits."""

    chain: str
    user: str
    events: int
    head_seq: int
    head_hash: str
    joined_seq: int = 0

    @property
    def unjoined(self) -> int:
        return self.head_seq - self.joined_seq


@dataclass(frozen=True)
class ChainCheck:
    campaign: str
    events: int
    head_seq: int
    head_hash: str
    seals: int
    breaks: tuple[Break, ...]
    checked_at: datetime
    keyed_from: int | None = None   # the first event sealed with a key (HMAC-SHA256); before it, plain SHA-256
    key_id: str = ""                # this installation's audit key, which checked the keyed events
    sub_chains: tuple[SubChain, ...] = ()

    @property
    def unjoined(self) -> int:
        """Events of the sub-chains after their last join: only a later join (or the chain's links) vouch for them."""
        return sum(c.unjoined for c in self.sub_chains)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> Break | None:
        return self.breaks[0] if self.breaks else None

    def as_dict(self) -> dict:
        return {"campaign": self.campaign, "ok": self.ok, "events": self.events, "head_seq": self.head_seq,
                "head_hash": self.head_hash, "seals_checked": self.seals, "keyed_from_seq": self.keyed_from,
                "key_id": self.key_id,
                "checked_at": self.checked_at.isoformat(timespec="seconds"),
                "sub_chains": [{"chain": c.chain, "user": c.user, "events": c.events, "head_seq": c.head_seq,
                                "head_hash": c.head_hash, "joined_seq": c.joined_seq} for c in self.sub_chains],
                "breaks": [{"kind": b.kind, "chain": b.chain, "seq": b.seq, "event_id": b.event_id,
                            "message": b.render()} for b in self.breaks]}


def _when(value: datetime | None) -> str:
    if value is None:
        return "?"
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _who(event) -> dict:
    return {"action": event.action, "when": _when(event.at), "user": event.user_login or "?"}


EVENT_COLUMNS = (AuditEvent.id, AuditEvent.campaign_id, AuditEvent.chain, AuditEvent.seq, AuditEvent.at, AuditEvent.user_login,
                 AuditEvent.action, AuditEvent.entity, AuditEvent.entity_id, AuditEvent.before, AuditEvent.after,
                 AuditEvent.prev_hash, AuditEvent.hash, AuditEvent.key_id)


@dataclass
class _Walk:
    """One chain walked in order: what it held, its head, and the hashes of the events asked for."""

    chain: str
    user: str = ""
    events: int = 0
    head_seq: int = 0
    head_hash: str = ""
    keyed_from: int | None = None
    hashes: dict = field(default_factory=dict)


def _walk(rows, chain: str, key, breaks: list, wanted, foreign: list) -> _Walk:
    """Check one chain's events (in seq order): no hole, each hash recomputed, each link; note the
    hashes of the events in ``wanted`` (sealed or committed by a join). ``foreign``: whether an event
    keyed with another key was named already (once for the whole log: the key is the installation's)."""
    walk = _Walk(chain)
    expected_seq, previous_hash, previous_seq = 1, audit.GENESIS, 0
    digest_key = None

    def found(kind, seq, event_id, params):
        breaks.append(Break(kind, seq, event_id, params, chain, walk.user))

    for event in rows:
        walk.events += 1
        walk.user = walk.user or event.user_login
        if event.seq in wanted:
            walk.hashes[event.seq] = event.hash
        gap = event.seq > expected_seq
        if gap:
            found("missing", expected_seq, None, {"num": event.seq - expected_seq, "last": event.seq - 1})
        if walk.keyed_from is None and event.key_id is not None:
            # From here on every event must carry this key's HMAC: a plain one is a rewritten one.
            walk.keyed_from, digest_key = event.seq, key.secret
        if event.key_id is not None and event.key_id != key.key_id:
            if not foreign:  # cannot check its content without its key; the links still hold or not
                foreign.append(chain)
                found("key", event.seq, event.id, {"theirs": event.key_id, "ours": key.key_id})
            if event.prev_hash != previous_hash and not gap:
                found("link", event.seq, event.id, {**_who(event), "previous": previous_seq})
        elif audit.digest_of(event, key=digest_key) != event.hash:
            found("content", event.seq, event.id, _who(event))
        elif event.prev_hash != previous_hash and not gap:
            # After a hole the broken link has the same cause, already named as missing events.
            found("link", event.seq, event.id, {**_who(event), "previous": previous_seq})
        expected_seq, previous_hash, previous_seq = event.seq + 1, event.hash, event.seq
        if len(breaks) >= MAX_BREAKS:
            break
    walk.head_seq, walk.head_hash = previous_seq, previous_hash if walk.events else ""
    return walk


def verify(campaign: Campaign) -> ChainCheck:
    """Walk the campaign's chains in order: sequence without holes, each hash recomputed, each link, each seal;
    then each sub-chain, and each join of the main chain against the sub-chain events it commits."""
    breaks: list[Break] = []
    key = audit.current_key()
    seals = db.session.execute(sa.select(AuditSeal.seq, AuditSeal.hash, AuditSeal.sealed_at, User.login)
                               .outerjoin(User, User.id == AuditSeal.sealed_by_id)
                               .where(AuditSeal.campaign_id == campaign.id).order_by(AuditSeal.seq)).all()
    sealed = {s.seq for s in seals}
    # What the main chain's joins commit: {chain: [(seq, hash, join seq)]}; read ahead of the walk, which checks
    # the joins' own content and links.
    claims: dict[str, list] = {}
    for join_seq, after in db.session.execute(
            sa.select(AuditEvent.seq, AuditEvent.after).where(AuditEvent.campaign_id == campaign.id,
                                                              AuditEvent.chain == audit.MAIN,
                                                              AuditEvent.action == audit.JOIN)
            .order_by(AuditEvent.seq)):
        try:
            for chain, head in ((after or {}).get("chains") or {}).items():
                claims.setdefault(chain, []).append((int(head["seq"]), str(head["hash"]), join_seq))
        except (AttributeError, KeyError, TypeError, ValueError):
            continue   # a join whose content was changed: its hash no longer matches, named by the walk
    query = (sa.select(*EVENT_COLUMNS).where(AuditEvent.campaign_id == campaign.id)
             .order_by(AuditEvent.chain, AuditEvent.seq).execution_options(yield_per=2000))
    main, subs, foreign = _Walk(audit.MAIN), [], []
    for chain, rows in itertools.groupby(db.session.connection().execute(query), key=attrgetter("chain")):
        if len(breaks) >= MAX_BREAKS:
            break
        if chain == audit.MAIN:
            main = _walk(rows, chain, key, breaks, sealed, foreign)
        else:
            subs.append(_walk(rows, chain, key, breaks, {seq for seq, _, _ in claims.get(chain, ())}, foreign))
    # A chain with events and none keyed was rewritten without the key: the whole log said once.
    walks = [w for w in (main, *subs) if w.events]
    unkeyed = [w for w in walks if w.keyed_from is None]
    if unkeyed and len(unkeyed) == len(walks):
        breaks.append(Break("unkeyed", 1, None, {}))
    else:
        breaks.extend(Break("unkeyed", 1, None, {}, w.chain, w.user) for w in unkeyed)
    for seal in seals:
        params = {"user": seal.login or "?", "when": _when(seal.sealed_at)}
        if seal.seq not in main.hashes and seal.seq <= main.head_seq and len(breaks) < MAX_BREAKS:
            continue  # a hole inside the chain: already named as missing
        if seal.seq not in main.hashes:
            breaks.append(Break("seal_missing", seal.seq, None, params))
        elif main.hashes[seal.seq] != seal.hash:
            breaks.append(Break("seal_differs", seal.seq, None, params))
    walked = {walk.chain: walk for walk in subs}
    for chain, heads in claims.items():
        walk = walked.get(chain) or _Walk(chain)
        for seq, digest, join_seq in heads:
            if seq not in walk.hashes:
                if seq <= walk.head_seq:
                    continue  # a hole inside the sub-chain: already named as missing
                breaks.append(Break("join_missing", seq, None, {"join": join_seq}, chain, walk.user))
            elif walk.hashes[seq] != digest:
                breaks.append(Break("join_differs", seq, None, {"join": join_seq}, chain, walk.user))
    sub_chains = tuple(SubChain(w.chain, w.user, w.events, w.head_seq, w.head_hash,
                                max((seq for seq, _, _ in claims.get(w.chain, ())), default=0)) for w in subs)
    breaks.sort(key=lambda b: b.order)
    events = main.events + sum(w.events for w in subs)
    return ChainCheck(campaign.code, events, main.head_seq, main.head_hash, len(seals), tuple(breaks[:MAX_BREAKS]),
                      datetime.now(timezone.utc), main.keyed_from, key.key_id, sub_chains)


def head(campaign: Campaign) -> tuple[int, int, str]:
    """How many events the log holds, and the main chain's newest one (seq, hash), without checking anything."""
    events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                               .where(AuditEvent.campaign_id == campaign.id))
    last = db.session.execute(sa.select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.campaign_id == campaign.id,
                                                                               AuditEvent.chain == audit.MAIN)
                              .order_by(AuditEvent.seq.desc()).limit(1)).first()
    return events or 0, last.seq if last else 0, last.hash if last else ""


def seal(campaign: Campaign, *, by: User) -> AuditSeal:
    """Join the sub-chains, then note the head of the log (after checking it): events before it can no
    longer vanish unseen."""
    audit.join(campaign, user=by, reason="seal")
    check = verify(campaign)
    if not check.ok:
        raise CountappError(N_("The audit log is broken (%(first)s): it cannot be sealed."), field="log",
                            first=check.first_break.render())
    if check.events == 0:
        raise CountappError(N_("The audit log of campaign %(code)s is empty: nothing to seal."), field="log",
                            code=campaign.code)
    record = AuditSeal(campaign_id=campaign.id, seq=check.head_seq, hash=check.head_hash, sealed_by_id=by.id)
    db.session.add(record)
    audit.record("audit.seal", campaign=campaign, entity="audit_event", entity_id=check.head_seq, user=by,
                 after={"seq": check.head_seq, "hash": check.head_hash})
    db.session.commit()
    return record


def check_anchor(campaign: Campaign, anchor: str) -> Break | None:
    """``SEQ:HASH`` noted earlier (e.g. from an evidence file's manifest): that event of the main chain is still
    there, unchanged (the main chain's joins vouch for the sub-chains up to them)."""
    match = re.fullmatch(r"\s*#?(\d+)\s*:\s*([0-9a-fA-F]{64})\s*", anchor or "")
    if match is None:
        raise CountappError(N_("An anchor is written SEQ:HASH, e.g. 42:3f5a... (64 hexadecimal characters)."),
                            field="anchor")
    seq, digest = int(match.group(1)), match.group(2).lower()
    found = db.session.scalar(sa.select(AuditEvent.hash).where(AuditEvent.campaign_id == campaign.id,
                                                              AuditEvent.chain == audit.MAIN, AuditEvent.seq == seq))
    params = {"user": "anchor", "when": "?"}
    if found is None:
        return Break("seal_missing", seq, None, params)
    if found != digest:
        return Break("seal_differs", seq, None, params)
    return None


# --- browsing the log ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LogPage:
    events: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def log_page(campaign: Campaign, *, page: int = 1, per_page: int = 100, action: str = "", user: str = "",
             text: str = "") -> LogPage:
    """Events newest first, filtered by action prefix, user login and entity id."""
    where = [AuditEvent.campaign_id == campaign.id]
    if action:
        where.append(AuditEvent.action.startswith(action.strip(), autoescape=True))
    if user:
        where.append(AuditEvent.user_login == user.strip())
    if text:
        where.append(AuditEvent.entity_id.contains(text.strip(), autoescape=True))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(*where))
    page = max(1, page)
    # Newest first across the chains (a sub-chain numbers its own events): in the order they were written.
    events = db.session.scalars(sa.select(AuditEvent).where(*where).order_by(AuditEvent.id.desc())
                                .offset((page - 1) * per_page).limit(per_page)).all()
    return LogPage(list(events), total, page, per_page)


def log_facets(campaign: Campaign) -> tuple[list[str], list[str]]:
    """The actions and users present in the log, for the filters."""
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.campaign_id == campaign.id)
                                 .distinct().order_by(AuditEvent.action)).all()
    users = db.session.scalars(sa.select(AuditEvent.user_login).where(AuditEvent.campaign_id == campaign.id)
                               .distinct().order_by(AuditEvent.user_login)).all()
    return list(actions), list(users)


def iter_events(campaign: Campaign):
    """Every event of the campaign in chain order, the main chain first, then each sub-chain (streamed)."""
    yield from db.session.connection().execute(sa.select(*EVENT_COLUMNS).where(AuditEvent.campaign_id == campaign.id)
                                  .order_by(AuditEvent.chain, AuditEvent.seq).execution_options(yield_per=2000))


# --- tag control ---------------------------------------------------------------------------------------

def control_report(campaign: Campaign) -> ControlReport:
    """The ticket control of the campaign, as the ticket pages and the report show it."""
    from . import ticket_control

    return ticket_control.control_report(campaign)


@dataclass(frozen=True)
class TeamControl:
    comparison: Comparison
    record: AuditFloorRecord | None
    history: int              # how many floor records the auditors made for this team


def latest_floor_records(campaign: Campaign) -> dict[int, list[AuditFloorRecord]]:
    """Floor records per team number, newest first."""
    records: dict[int, list[AuditFloorRecord]] = {}
    for record in db.session.scalars(sa.select(AuditFloorRecord).where(AuditFloorRecord.campaign_id == campaign.id)
                                     .order_by(AuditFloorRecord.id.desc())):
        records.setdefault(record.team.number, []).append(record)
    return records


def tag_control(campaign: Campaign) -> tuple[ControlReport, list[TeamControl]]:
    """Per team: numbers issued, used, voided, returned, missing; and the auditor's floor record compared."""
    report = control_report(campaign)
    records = latest_floor_records(campaign)
    teams = []
    for tags in team_tags(report):
        newest = (records.get(tags.team) or [None])[0]
        seen = FloorSeen(newest.first_seen, newest.last_seen) if newest else None
        teams.append(TeamControl(compare(tags, seen), newest, len(records.get(tags.team, []))))
    return report, teams


def record_floor(code: str, *, team: int, first: str, last: str, seen_at: datetime | None = None, note: str = "",
                 by: User) -> AuditFloorRecord:
    """The auditor notes the first and last ticket numbers a team was seen using on the floor."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    target = db.session.scalar(sa.select(Team).where(Team.campaign_id == campaign.id, Team.number == team))
    if target is None:
        raise NotFound(N_("Campaign %(code)s has no team %(team)s."), field="team", code=code, team=team)
    first_n = numbering.parse_number(str(first or ""), campaign.fiscal_year)
    last_n = numbering.parse_number(str(last or ""), campaign.fiscal_year)
    if last_n < first_n:
        raise CountappError(N_("The last number seen (%(last)s) is below the first (%(first)s)."), field="last",
                            first=first_n, last=last_n)
    when = seen_at or datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    note = (note or "").strip()[:2000]
    record = AuditFloorRecord(campaign_id=campaign.id, team_id=target.id, first_seen=first_n, last_seen=last_n,
                              seen_at=when, note=note, recorded_by_id=by.id)
    db.session.add(record)
    audit.record("audit.floor_record", campaign=campaign, entity="team", entity_id=team, user=by,
                 after={"first_seen": first_n, "last_seen": last_n, "seen_at": when, "note": note})
    db.session.commit()
    return record


# --- cut-off ---------------------------------------------------------------------------------------------

def _natural(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text or ""))


@dataclass
class CutOff:
    count_date: date
    closing_date: date
    last_receipts: list         # the latest receipts dated on or before the count date, newest first
    last_shipments: list
    rolled_forward: list        # count date < date <= closing date, in date order
    after_closing: int          # movements dated after the closing date: outside the roll-forward
    noted_receipt: str          # what the instructions recorded as the last documents before the count
    noted_shipment: str
    last_receipt_document: str
    last_shipment_document: str
    suspicious: list            # rolled-forward movements numbered before the last document before the count
    # Issue 18: the count may be after the closing date (its movements then roll back), and each
    # zone may have its own count date: the evidence by zone (reports.cutoff.EVIDENCE_COLUMNS rows).
    by_zone: list = field(default_factory=list)

    @property
    def rolls_back(self) -> bool:
        return self.count_date > self.closing_date

    @property
    def receipt_agrees(self) -> bool | None:
        return None if not self.noted_receipt else self.noted_receipt == self.last_receipt_document

    @property
    def shipment_agrees(self) -> bool | None:
        return None if not self.noted_shipment else self.noted_shipment == self.last_shipment_document


MOVEMENT_COLUMNS = (Movement.id, Movement.date, Movement.kind, Movement.document, Movement.quantity, Movement.lot,
                    Item.reference, Item.designation, Item.unit, Location.code.label("location"))


def _movements(campaign: Campaign, *where, order=None, limit=None) -> list:
    query = (sa.select(*MOVEMENT_COLUMNS).join(Item, Item.id == Movement.item_id)
             .outerjoin(Location, Location.id == Movement.location_id)
             .where(Movement.campaign_id == campaign.id, *where).order_by(*(order or (Movement.date, Movement.id))))
    if limit:
        query = query.limit(limit)
    return db.session.execute(query).all()


def _noted_documents(campaign: Campaign) -> tuple[str, str]:
    """The last receipt and shipment documents the written instructions recorded (newest issued version, else draft)."""
    from ..models import InstructionsDraft, InstructionsVersion

    data = db.session.scalar(sa.select(InstructionsVersion.data).where(InstructionsVersion.campaign_id == campaign.id)
                             .order_by(InstructionsVersion.version.desc()).limit(1))
    if not data:
        data = db.session.scalar(sa.select(InstructionsDraft.data).where(InstructionsDraft.campaign_id == campaign.id))
    data = data if isinstance(data, dict) else {}
    return (str(data.get("last_receipt_document") or "").strip(), str(data.get("last_shipment_document") or "").strip())


def _last_document(rows: list) -> str:
    dated = [r for r in rows if r.document]
    if not dated:
        return ""
    top = max(r.date for r in dated)
    return max((r.document for r in dated if r.date == top), key=_natural)


def cutoff(campaign: Campaign, *, last: int = 10) -> CutOff:
    """Last receipt and shipment documents before the count, and the movements rolled forward after it."""
    before = Movement.date <= campaign.count_date
    newest = (Movement.date.desc(), Movement.id.desc())
    receipts = _movements(campaign, before, Movement.kind == MovementKind.RECEIPT, order=newest, limit=last)
    shipments = _movements(campaign, before, Movement.kind == MovementKind.ISSUE, order=newest, limit=last)
    # Between the count and the closing date, whichever comes first (a January count rolls back).
    first, last_day = sorted((campaign.count_date, campaign.closing_date))
    rolled = _movements(campaign, Movement.date > first, Movement.date <= last_day)
    after = db.session.scalar(sa.select(sa.func.count()).select_from(Movement).where(
        Movement.campaign_id == campaign.id, Movement.date > last_day))
    noted_receipt, noted_shipment = _noted_documents(campaign)
    last_receipt, last_shipment = _last_document(receipts), _last_document(shipments)
    limits = {MovementKind.RECEIPT: noted_receipt or last_receipt, MovementKind.ISSUE: noted_shipment or last_shipment}
    # Movements dated after the count but numbered before the last document before it: those rolled
    # forward, or (a count after closing) those after the count, which roll neither way.
    after_count = rolled if campaign.count_date <= campaign.closing_date else _movements(
        campaign, Movement.date > campaign.count_date)
    suspicious = [m for m in after_count if m.document and limits.get(m.kind)
                  and _same_series(m.document, limits[m.kind])
                  and _natural(m.document) <= _natural(limits[m.kind])]
    return CutOff(campaign.count_date, campaign.closing_date, receipts, shipments, rolled, after or 0, noted_receipt,
                  noted_shipment, last_receipt, last_shipment, suspicious, cutoff_by_zone(campaign))


def cutoff_by_zone(campaign: Campaign) -> list[dict]:
    """For each zone: its count date, the direction, the last receipt and issue on or before it and
    the first after it (from the reconciliation's engine); empty when it cannot be computed."""
    from . import reconciliation

    try:
        frame = reconciliation.kept(campaign).result.cutoff
    except CountappError:
        db.session.rollback()
        return []
    return frame.to_dict("records")


def _same_series(a: str, b: str) -> bool:
    """Two document numbers of one series: the same letters before the number (BR-0042, BR-0051)."""
    prefix = lambda s: re.match(r"\D*", s).group(0)  # noqa: E731
    return prefix(a) == prefix(b)
