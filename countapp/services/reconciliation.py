"""Reconciliation with book stock: load the campaign into the engine's frames, keep the result,
lay the centraliser's causes over it, sign it off and reopen it, and write it out.

The figures come from ``reports.reconcile`` (pure); this module only reads the database with a
few plain selects (no ORM object per row: 100,000 lines load in well under a second) and keeps
the engine's result per campaign, keyed by a *data version* — the sequence number of the
campaign's newest audit event other than a cause or a sign-off. Every change that moves a figure
(imports, counts, voids, settings) writes an audit event, so a new event means a new
computation; causes change no figure and are laid over the kept result on every read
(``reports.reconcile.with_causes``). The result is kept in memory and in a pickle file in the
instance folder, which every worker process of the server shares.

Sign-off: the manager signs the reconciliation (name, date); from then on causes are refused
until a manager reopens it with a written reason. Both are ``SignOff`` rows and audit events;
the sign-off's event records the totals, the data version and the SHA-256 of the CSV signed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import pickle
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask import current_app

from reports.model import DepreciationRates, ReconcileSettings
from reports.reconcile import Reconciliation, reconcile, with_causes
from reports import exact
from reports.export import reconciliation_csv, reconciliation_sheets
from reports.review import Selector
from reports.xlsx import Sheet, write_xlsx
from tickets import numbering
from tickets.errors import Conflict, CountappError, Forbidden, N_

from .. import campaign_settings
from ..extensions import db
from ..models import AuditEvent, Campaign, CampaignStatus, LineCause, Role, SignOff, Ticket, User
from . import audit
from . import campaigns as campaign_service

# The causes of a residual difference (DOMAIN.md), as stored in line_cause.cause.
CAUSES = ("unbilled_delivery", "supplier_error", "unit_error", "mislocation", "breakage", "shrinkage",
          "counting_error", "book_error", "other")
SIGNED, REOPENED = "reconciliation_signed", "reconciliation_reopened"
# Audit actions of this module: they change no figure, so they do not make a new data version.
ACTION_PREFIX = "reconciliation."
# Events that never move a figure: the reconciliation's own, the auditor's work, the report's texts,
# the instructions, printing and closing; they must not force a recompute.
FIGURE_NEUTRAL_PREFIXES = (ACTION_PREFIX, "audit.", "report.", "instructions.", "tickets.print", "campaign.close",
                           "campaign.reopen")
# Bump when the kept result's shape changes, so that old cache files are never read.
CACHE_FORMAT = 3
_MEMORY_SLOTS = 4


# --- loading -----------------------------------------------------------------------------------

def _scaled(column: str, digits: int) -> str:
    """The column as a whole number of 10**-digits (exact on both databases, cheap to read)."""
    return f"CAST(ROUND({column} * {10 ** digits}) AS BIGINT)"


BOOK_SQL = f"""
SELECT bl.id AS book_line_id, i.reference, i.designation, i.category, i.unit, s.code AS site, z.code AS zone,
       l.code AS location, bl.lot, bl.owner, {_scaled('bl.book_qty', exact.QTY)} AS book_qty,
       {_scaled('bl.unit_cost', exact.COST)} AS unit_cost, bl.last_movement_date,
       {_scaled('bl.market_price', exact.COST)} AS market_price
FROM book_line bl
JOIN item i ON i.id = bl.item_id
JOIN location l ON l.id = bl.location_id
JOIN zone z ON z.id = l.zone_id
JOIN site s ON s.id = z.site_id
WHERE bl.campaign_id = :campaign
ORDER BY bl.id
"""

TICKETS_SQL = f"""
SELECT t.id AS ticket_id, t.sequence, t.book_line_id, t.status, t.lot,
       {_scaled('t.final_qty', exact.QTY)} AS final_qty,
       i.reference, i.designation, i.unit, i.category, l.code AS location, z.code AS zone, s.code AS site
FROM ticket t
LEFT JOIN item i ON i.id = t.item_id
LEFT JOIN location l ON l.id = t.location_id
LEFT JOIN zone z ON z.id = l.zone_id
LEFT JOIN site s ON s.id = z.site_id
WHERE t.campaign_id = :campaign
ORDER BY t.sequence
"""

# Only what can change a final ticket's state: counts not in good state, and third counts.
STATES_SQL = """
SELECT c.ticket_id, c.round, c.state
FROM count c
JOIN ticket t ON t.id = c.ticket_id
WHERE t.campaign_id = :campaign AND t.status = 'final' AND (c.state <> 'good' OR c.round = 3)
  AND NOT EXISTS (SELECT 1 FROM count s WHERE s.supersedes_id = c.id)
"""

DECISIONS_SQL = """
SELECT d.ticket_id, d.kind FROM ticket_decision d JOIN ticket t ON t.id = d.ticket_id
WHERE t.campaign_id = :campaign
"""

MOVEMENTS_SQL = f"""
SELECT m.date, i.reference, l.code AS location, m.lot, {_scaled('m.quantity', exact.QTY)} AS quantity,
       {_scaled('m.unit_cost', exact.COST)} AS unit_cost, m.kind, m.document
FROM movement m
JOIN item i ON i.id = m.item_id
LEFT JOIN location l ON l.id = m.location_id
WHERE m.campaign_id = :campaign
ORDER BY m.id
"""


class _Columns:
    """A query's result by column, straight from the driver's cursor (one 2-D object array)."""

    def __init__(self, names: list[str], rows: list[tuple]) -> None:
        self.names = {name: i for i, name in enumerate(names)}
        self.n = len(rows)
        self.table = np.empty((self.n, len(names)), dtype=object)
        if rows:
            self.table[:] = rows

    def __getitem__(self, name: str) -> np.ndarray:
        return self.table[:, self.names[name]]

    def text(self, name: str) -> np.ndarray:
        """Text with None as ""; enums and codes come back as their stored strings."""
        values = self[name].copy()
        values[values == None] = ""  # noqa: E711 (element-wise)
        return values

    def ints(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        values = self[name]
        missing = values == None  # noqa: E711 (element-wise)
        if missing.any():
            values = np.where(missing, 0, values)
        return values.astype(np.int64), missing

    def scaled(self, name: str) -> pd.arrays.IntegerArray:
        """A column the query scaled to whole units (``_scaled``), as nullable int64: no Decimal per
        cell; the frame's ``attrs["scaled"]`` tells the engine the scale (``reports.frames``)."""
        values, missing = self.ints(name)
        return pd.arrays.IntegerArray(values, missing)

    def objects(self, name: str) -> np.ndarray:
        return self[name].copy()


def _read(sql: str, campaign: Campaign) -> _Columns:
    """Run one of the selects above on the session's own connection, through the driver's cursor.

    SQLAlchemy's result rows and pandas' ``read_sql`` cost more than the query itself at 100,000
    rows; the driver's ``fetchall`` and a transpose are all the loader needs.
    """
    connection = db.session.connection()
    marker = "?" if connection.dialect.name == "sqlite" else "%s"
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql.replace(":campaign", marker), (campaign.id,) * sql.count(":campaign"))
        names = [d[0] for d in cursor.description]
        return _Columns(names, cursor.fetchall())
    finally:
        cursor.close()


@dataclass
class Frames:
    """The engine's three input frames (``reports.frames``) and the tickets' ids by printed number."""

    book: pd.DataFrame
    counts: pd.DataFrame
    movements: pd.DataFrame
    ticket_ids: dict = field(default_factory=dict)


def _final_states(campaign: Campaign, ticket_ids: np.ndarray) -> np.ndarray:
    """Each ticket's final count's state: the third count's, else the count the decision kept
    (round 1 when the centraliser accepted count 1), else the second count's."""
    states = np.full(len(ticket_ids), "good", dtype=object)
    rows = _read(STATES_SQL, campaign)
    if not rows.n:
        return states
    decisions = _read(DECISIONS_SQL, campaign)
    round_kept = {t: (1 if kind == "accept_count_1" else 2) for t, kind in zip(decisions["ticket_id"],
                                                                                decisions["kind"])}
    third = {t for t, r in zip(rows["ticket_id"], rows["round"]) if r == 3}
    where = pd.Index(ticket_ids).get_indexer(rows.ints("ticket_id")[0])
    for position, ticket_id, round_, state in zip(where, rows["ticket_id"], rows["round"], rows["state"]):
        wanted = 3 if ticket_id in third else round_kept.get(ticket_id, 2)
        if round_ == wanted and position >= 0:
            states[position] = state
    return states


def _labels(sequences: np.ndarray, fiscal_year: int) -> np.ndarray:
    """Printed ticket numbers (``numbering.format_number``) for many sequences at once."""
    if not len(sequences):
        return np.zeros(0, dtype=object)
    if sequences.min() <= 0:
        raise ValueError("ticket sequences start at 1")
    text = pd.Series(sequences).astype(str).str.zfill(numbering.DIGITS) + f"/{fiscal_year}"
    return text.to_numpy(dtype=object)


def load_frames(campaign: Campaign) -> Frames:
    """Book lines, every ticket's final result, and the movements, as the engine reads them."""
    rows = _read(BOOK_SQL, campaign)
    book = pd.DataFrame({"book_line_id": rows.ints("book_line_id")[0],
                         **{name: rows.text(name) for name in ("reference", "designation", "category", "unit",
                                                               "site", "zone", "location", "lot", "owner")},
                         "book_qty": rows.scaled("book_qty"),
                         "unit_cost": rows.scaled("unit_cost"),
                         "last_movement_date": rows.objects("last_movement_date"),
                         "market_price": rows.scaled("market_price")})
    book.attrs["scaled"] = {"book_qty": exact.QTY, "unit_cost": exact.COST, "market_price": exact.COST}

    rows = _read(TICKETS_SQL, campaign)
    ticket_ids = rows.ints("ticket_id")[0]
    labels = _labels(rows.ints("sequence")[0], campaign.fiscal_year)
    status = rows.text("status")
    final, final_missing = rows.ints("final_qty")
    counted = (status == "final") & ~final_missing
    line_ids, blank = rows.ints("book_line_id")
    counts = pd.DataFrame({
        "ticket": labels,
        "book_line_id": pd.arrays.IntegerArray(line_ids, blank),
        "status": status,
        "counted_qty": pd.arrays.IntegerArray(np.where(counted, final, 0), ~counted),
        "state": _final_states(campaign, ticket_ids),
        **{name: rows.text(name) for name in ("reference", "location", "lot", "designation", "unit", "category",
                                              "zone", "site")},
    })

    rows = _read(MOVEMENTS_SQL, campaign)
    movements = pd.DataFrame({"date": rows.objects("date"),
                              **{name: rows.text(name) for name in ("reference", "location", "lot", "kind",
                                                                    "document")},
                              "quantity": rows.scaled("quantity"),
                              "unit_cost": rows.scaled("unit_cost")})
    counts.attrs["scaled"] = {"counted_qty": exact.QTY}
    movements.attrs["scaled"] = {"quantity": exact.QTY, "unit_cost": exact.COST}
    return Frames(book, counts, movements, dict(zip(labels.tolist(), ticket_ids.tolist())))


def reconcile_settings(campaign: Campaign) -> ReconcileSettings:
    """Valuation method, dates and depreciation rules from the campaign's settings."""
    from .imports import fiscal_year   # late: imports reaches this module through the job queue

    rates = campaign_settings.depreciation_settings(campaign.settings)
    return ReconcileSettings(campaign.valuation.value, campaign.count_date, campaign.closing_date,
                             DepreciationRates.from_dict(rates),
                             count_dates=campaign_settings.count_dates(campaign.settings),
                             stock_date=campaign.stock_date, year_start=fiscal_year(campaign)[0])


def causes(campaign: Campaign) -> dict:
    """The newest cause of each line, keyed as the engine wants: book line id, or ticket number."""
    rows = db.session.execute(sa.select(LineCause.line_key, LineCause.cause)
                              .where(LineCause.campaign_id == campaign.id).order_by(LineCause.id)).all()
    newest = {key: cause for key, cause in rows}
    ticket_ids = [int(key[1:]) for key in newest if key.startswith("t")]
    sequences = dict(db.session.execute(sa.select(Ticket.id, Ticket.sequence).where(Ticket.id.in_(ticket_ids)))
                     .all()) if ticket_ids else {}
    out: dict = {}
    for key, cause in newest.items():
        if not cause:
            continue
        if key.startswith("b"):
            out[int(key[1:])] = cause
        elif int(key[1:]) in sequences:
            out[numbering.format_number(sequences[int(key[1:])], campaign.fiscal_year)] = cause
    return out


def notes(campaign: Campaign, keys: list[str]) -> dict[str, str]:
    """The newest note of each given line key."""
    if not keys:
        return {}
    rows = db.session.execute(sa.select(LineCause.line_key, LineCause.note).where(
        LineCause.campaign_id == campaign.id, LineCause.line_key.in_(keys)).order_by(LineCause.id)).all()
    return {key: note for key, note in rows}


def compute(campaign: Campaign, version: int | None = None) -> "Kept":
    """Load and reconcile now (no cache); causes are not applied (see ``current``).

    ``version`` is the data version read *before* loading, so that the data kept are never older
    than the version they are kept under.
    """
    version = data_version(campaign) if version is None else version
    frames = load_frames(campaign)
    result = reconcile(frames.book, frames.counts, frames.movements, reconcile_settings(campaign))
    unknown = result.frame["status"].to_numpy(dtype=object) == "unknown_to_book"
    firsts = result.frame.loc[unknown, "ticket"].str.split(", ").str[0]
    ticket_ids = {label: frames.ticket_ids[label] for label in firsts if label in frames.ticket_ids}
    return Kept(result=result, selector=Selector(result), ticket_ids=ticket_ids, version=version)


# --- keeping the result ------------------------------------------------------------------------

@dataclass
class Kept:
    """One campaign's computed reconciliation (without causes), its selector and its data version."""

    result: Reconciliation
    selector: Selector
    ticket_ids: dict          # ticket number -> ticket id, for rows unknown to book (line keys)
    version: int

    def line_key(self, row) -> str:
        """The key a cause is stored under: ``b<book line id>``, ``t<ticket id>``, or "" (no cause)."""
        if row["status"] in ("voided", "rollforward_only"):
            return ""
        if not pd.isna(row["book_line_id"]):
            return f"b{int(row['book_line_id'])}"
        ticket_id = self.ticket_ids.get(str(row["ticket"]).split(", ")[0])
        return f"t{ticket_id}" if ticket_id else ""


def data_version(campaign: Campaign) -> int:
    """A number that grows with every audit event that may move a figure: the main chain's newest such
    event, plus the events of the sub-chains (count events, each numbered from 1 in its user's chain)."""
    seq = db.session.scalar(
        sa.select(AuditEvent.seq).where(AuditEvent.campaign_id == campaign.id, AuditEvent.chain == "",
                                        *[sa.not_(AuditEvent.action.startswith(prefix))
                                          for prefix in FIGURE_NEUTRAL_PREFIXES])
        .order_by(AuditEvent.seq.desc()).limit(1))
    heads = (sa.select(sa.func.max(AuditEvent.seq).label("seq"))
             .where(AuditEvent.campaign_id == campaign.id, AuditEvent.chain != "")
             .group_by(AuditEvent.chain).subquery())
    counted = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(heads.c.seq), 0)))
    return int(seq or 0) + int(counted or 0)


_memory: dict[str, Kept] = {}
_memory_lock = threading.Lock()


def _cache_key(campaign: Campaign, version: int) -> str:
    # The database URL and the campaign's creation time tell apart campaigns that share an id in
    # different databases (tests, demo resets); the version tells apart states of one campaign.
    created = campaign.created_at.isoformat() if campaign.created_at else ""
    identity = f"{db.engine.url.render_as_string(hide_password=True)}|{campaign.id}|{campaign.code}|{created}"
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return f"{digest}-{CACHE_FORMAT}-{version}"


def _cache_folder() -> Path:
    folder = Path(current_app.instance_path) / "cache" / "reconciliation"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def kept(campaign: Campaign, *, use_cache: bool = True) -> Kept:
    """The campaign's reconciliation at its current data version, computed at most once per version."""
    if not use_cache:
        return compute(campaign)
    version = data_version(campaign)
    key = _cache_key(campaign, version)
    with _memory_lock:
        found = _memory.get(key)
    if found is not None:
        return found
    path = _cache_folder() / f"{key}.pickle"
    found = None
    if path.exists():
        try:
            with path.open("rb") as handle:
                found = pickle.load(handle)
        except Exception:  # noqa: BLE001 - a half-written file, or one from another version: compute again
            found = None
    if not isinstance(found, Kept):
        found = compute(campaign, version)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        with tmp.open("wb") as handle:
            pickle.dump(found, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        prefix = key.rsplit("-", 1)[0] + "-"
        for old in path.parent.glob(f"{prefix}*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    with _memory_lock:
        _memory[key] = found
        prefix = key.rsplit("-", 1)[0] + "-"
        for other in [k for k in _memory if k.startswith(prefix) and k != key]:
            del _memory[other]
        while len(_memory) > _MEMORY_SLOTS:
            del _memory[next(iter(_memory))]
    return found


def current(campaign: Campaign, *, use_cache: bool = True) -> tuple[Kept, Reconciliation]:
    """The kept reconciliation and the same with the newest causes laid over it."""
    found = kept(campaign, use_cache=use_cache)
    return found, with_causes(found.result, causes(campaign))


def result(code_or_campaign, *, use_cache: bool = True) -> Reconciliation:
    """The campaign's reconciliation with its causes."""
    campaign = code_or_campaign if isinstance(code_or_campaign, Campaign) else campaign_service.get(code_or_campaign)
    return current(campaign, use_cache=use_cache)[1]


# --- sign-off ------------------------------------------------------------------------------------

@dataclass
class SignState:
    """Where the reconciliation stands: signed or open, by whom and when, and the history."""

    signed: bool
    last: SignOff | None
    history: list[SignOff]
    signed_version: int | None = None

    @property
    def frozen(self) -> bool:
        return self.signed


def sign_state(campaign: Campaign) -> SignState:
    history = list(db.session.scalars(sa.select(SignOff).where(
        SignOff.campaign_id == campaign.id, SignOff.kind.in_((SIGNED, REOPENED))).order_by(SignOff.id)))
    last = history[-1] if history else None
    signed = last is not None and last.kind == SIGNED
    version = None
    if signed:
        event = db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.campaign_id == campaign.id, AuditEvent.chain == "", AuditEvent.action == "reconciliation.sign")
            .order_by(AuditEvent.seq.desc()).limit(1))
        version = (event.after or {}).get("data_version") if event is not None else None
    return SignState(signed=signed, last=last, history=history, signed_version=version)


def _require_role(user: User | None, roles: tuple[Role, ...], message: str) -> None:
    if user is not None and user.role not in roles:
        raise Forbidden(message, field="role")


def check_open(campaign: Campaign) -> None:
    """Refuse a change while the reconciliation is signed off (other services may call it too)."""
    campaign_service.check_not_closed(campaign)
    if sign_state(campaign).signed:
        raise Conflict(N_("The reconciliation of %(code)s is signed off: a manager must reopen it, with a reason, "
                          "before anything changes."), field="cause", code=campaign.code)


def _line(campaign: Campaign, line_key: str) -> dict:
    """What a line key names, for messages and the audit log; refuses keys of another campaign."""
    line_key = line_key or ""
    kind, number = line_key[:1], line_key[1:]
    if kind in ("b", "t") and number.isdigit():
        if kind == "b":
            row = db.session.execute(sa.text(
                "SELECT i.reference, l.code, bl.lot FROM book_line bl JOIN item i ON i.id = bl.item_id "
                "JOIN location l ON l.id = bl.location_id WHERE bl.id = :id AND bl.campaign_id = :campaign"),
                {"id": int(number), "campaign": campaign.id}).first()
        else:
            row = db.session.execute(sa.text(
                "SELECT i.reference, l.code, t.lot, t.sequence FROM ticket t JOIN item i ON i.id = t.item_id "
                "JOIN location l ON l.id = t.location_id WHERE t.id = :id AND t.campaign_id = :campaign "
                "AND t.book_line_id IS NULL AND t.status <> 'voided'"),
                {"id": int(number), "campaign": campaign.id}).first()
        if row is not None:
            found = {"reference": row[0], "location": row[1], "lot": row[2] or ""}
            if kind == "t":
                found["ticket"] = numbering.format_number(row[3], campaign.fiscal_year)
            return found
    raise CountappError(N_("There is no reconciliation line %(line)s in campaign %(code)s."), field="line",
                        line=str(line_key)[:40], code=campaign.code)


def set_cause(code: str, line_key: str, cause: str, *, note: str = "", by: User | None = None) -> LineCause | None:
    """The centraliser gives (or clears, with "") the cause of a line's residual difference."""
    campaign = campaign_service.get(code)
    cause, note = _check_cause(campaign, cause, note, by)
    record = _record_cause(campaign, line_key, cause, note, by)
    db.session.commit()
    return record


BULK_LINES = 500   # the most lines one bulk change names: a page of the review holds at most 200


def set_causes(code: str, line_keys: list[str], cause: str, *, note: str = "",
               by: User | None = None) -> list[LineCause]:
    """One cause (and note) for several lines at once: all or none, in one transaction, and one
    audit event per line changed, exactly as ``set_cause`` writes them one by one."""
    campaign = campaign_service.get(code)
    cause, note = _check_cause(campaign, cause, note, by)
    keys = list(dict.fromkeys(k for k in (line_keys or []) if k))
    if not keys:
        raise CountappError(N_("Tick at least one line."), field="lines")
    if len(keys) > BULK_LINES:
        raise CountappError(N_("At most %(n)s lines at once."), field="lines", n=BULK_LINES)
    records = [_record_cause(campaign, key, cause, note, by) for key in keys]
    db.session.commit()
    return [r for r in records if r is not None]


def _check_cause(campaign: Campaign, cause: str, note: str, by: User | None) -> tuple[str, str]:
    _require_role(by, (Role.CENTRALISER,), N_("Only the centraliser sets the causes of differences."))
    cause = (cause or "").strip()
    if cause not in CAUSES + ("",):
        raise CountappError(N_("Unknown cause %(cause)s."), field="cause", cause=cause[:40])
    check_open(campaign)
    return cause, (note or "").strip()[:2000]


def _record_cause(campaign: Campaign, line_key: str, cause: str, note: str, by: User | None) -> LineCause | None:
    """Add the line's new cause and its audit event, uncommitted; None when nothing changes."""
    line = _line(campaign, line_key)
    previous = db.session.execute(sa.select(LineCause.cause, LineCause.note).where(
        LineCause.campaign_id == campaign.id, LineCause.line_key == line_key)
        .order_by(LineCause.id.desc()).limit(1)).first()
    if previous is not None and (previous.cause, previous.note) == (cause, note):
        return None
    if previous is None and not cause:
        return None
    record = LineCause(campaign_id=campaign.id, line_key=line_key, cause=cause, note=note,
                       set_by_id=by.id if by else None)
    db.session.add(record)
    audit.record("reconciliation.cause", campaign=campaign, entity="line", entity_id=line_key, user=by,
                 before={"cause": previous.cause, "note": previous.note} if previous else None,
                 after={**line, "cause": cause, "note": note})
    return record


def _totals(result: Reconciliation) -> dict:
    totals = {name: str(value) for name, value in result.own_totals.items()}
    lines = result.frame
    totals.update(rows=len(lines), exceptions=int((lines["exception"] != "").sum()),
                  not_counted=int((lines["status"] == "not_counted").sum()))
    return totals


def sign_off(code: str, *, name: str = "", by: User | None = None) -> SignOff:
    """The manager signs the reconciliation off: frozen until reopened; totals and digest are logged."""
    campaign = campaign_service.get(code)
    _require_role(by, (Role.MANAGER,), N_("Only the inventory manager signs the reconciliation off."))
    campaign_service.check_not_closed(campaign)
    if campaign.status == CampaignStatus.PLANNING:
        raise CountappError(N_("Campaign %(code)s has not started counting: there is nothing to sign off."),
                            field="status", code=campaign.code)
    if sign_state(campaign).signed:
        raise Conflict(N_("The reconciliation of %(code)s is already signed off."), field="sign_off",
                       code=campaign.code)
    name = (name or (by.display_name if by else "")).strip()[:200]
    if not name:
        raise CountappError(N_("The sign-off needs the signer's name."), field="name")
    found, signed = current(campaign)
    digest = hashlib.sha256(reconciliation_csv(signed)).hexdigest()
    record = SignOff(campaign_id=campaign.id, kind=SIGNED, name=name, by_id=by.id if by else None)
    db.session.add(record)
    db.session.flush()
    audit.join(campaign, user=by, reason="sign-off")   # the count sub-chains, committed into the main chain
    audit.record("reconciliation.sign", campaign=campaign, entity="reconciliation", entity_id=campaign.code,
                 user=by, after={"name": name, "data_version": found.version, "csv_sha256": digest,
                                 "totals": _totals(signed)})
    db.session.commit()
    return record


def reopen(code: str, *, reason: str, by: User | None = None) -> SignOff:
    """A manager reopens a signed-off reconciliation; the reason is kept and logged."""
    campaign = campaign_service.get(code)
    _require_role(by, (Role.MANAGER,), N_("Only the inventory manager reopens the reconciliation."))
    campaign_service.check_not_closed(campaign)
    state = sign_state(campaign)
    if not state.signed:
        raise Conflict(N_("The reconciliation of %(code)s is not signed off."), field="reason", code=campaign.code)
    reason = (reason or "").strip()
    if not reason:
        raise CountappError(N_("Reopening the reconciliation needs a written reason."), field="reason")
    record = SignOff(campaign_id=campaign.id, kind=REOPENED, name=by.display_name if by else "", reason=reason[:4000],
                     by_id=by.id if by else None)
    db.session.add(record)
    db.session.flush()
    audit.record("reconciliation.reopen", campaign=campaign, entity="reconciliation", entity_id=campaign.code,
                 user=by, before={"signed_by": state.last.name, "signed_at": state.last.at},
                 after={"reason": reason})
    db.session.commit()
    return record


# --- files ---------------------------------------------------------------------------------------

FORMATS = ("csv", "xlsx")


def _sign_off_sheet(campaign: Campaign) -> Sheet:
    state = sign_state(campaign)
    frame = pd.DataFrame({
        "event": [s.kind for s in state.history],
        "name": [s.name for s in state.history],
        "at": [s.at for s in state.history],
        "reason": [s.reason for s in state.history],
    }, columns=["event", "name", "at", "reason"])
    return Sheet("sign_off", frame, {"at": "datetime"})


def write(campaign: Campaign, fmt: str, stream, *, reconciled: Reconciliation | None = None,
          excel: bool = False) -> Reconciliation:
    """The reconciliation as CSV (SPEC.md; ``excel``: the spreadsheet dialect) or the workbook, to a binary stream."""
    if fmt not in FORMATS:
        raise CountappError(N_("Choose a .csv or .xlsx file for the reconciliation, not %(format)s."),
                            field="out", format=fmt)
    data = reconciled if reconciled is not None else result(campaign)
    if fmt == "csv":
        reconciliation_csv(data, stream, excel=excel, language=campaign.language)
    else:
        write_xlsx(reconciliation_sheets(data, campaign.language) + [_sign_off_sheet(campaign)], stream,
                   language=campaign.language, time_zone=campaign_settings.time_zone(campaign.settings))
    return data


def write_bytes(campaign: Campaign, fmt: str, *, excel: bool = False) -> bytes:
    buffer = io.BytesIO()
    write(campaign, fmt, buffer, excel=excel)
    return buffer.getvalue()


def filename(campaign: Campaign, fmt: str, today: dt.date | None = None) -> str:
    return f"reconciliation-{campaign.code}-{(today or dt.date.today()).isoformat()}.{fmt}"


__all__ = ["CAUSES", "FORMATS", "Frames", "Kept", "SignState", "causes", "check_open", "compute", "current",
           "data_version", "filename", "kept", "load_frames", "notes", "reconcile_settings", "reopen", "result",
           "set_cause", "set_causes", "sign_off", "sign_state", "write", "write_bytes"]
