"""Counts from tablets, the API and transcribed paper parts: one set of rules for all.

Blind counting is enforced here: nothing a counter can reach tells the book quantity or another
round's count, including error messages. Submissions are idempotent on ``client_id``; two devices
counting the same ticket and round get one count and one conflict (the database's partial unique
index decides, under a row lock on the ticket).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from tickets import numbering
from tickets.errors import Conflict, CountappError, Forbidden, N_, NotFound
from tickets.quantities import parse_packaging, parse_quantity
from tickets.tolerance import decide

from .. import bulk, campaign_settings
from ..database import dialect, shared_alias
from ..extensions import db
from ..models import (AuditEvent, BookLine, Campaign, CampaignStatus, Count, CountMethod, CountSource, Item,
                      Location, PhysicalState, Role, Team, Ticket, TicketStatus, User, recount_sheet_ticket,
                      team_member)
from ..models.decisions import RecountSheet, TicketDecision
from . import audit, count_dates
from . import campaigns as campaign_service

STATES = tuple(s.value for s in PhysicalState)
# Ticket statuses in which a round's count is in (the status is kept by this module's writes).
ROUND_DONE = {
    1: frozenset({TicketStatus.COUNTED_1, TicketStatus.COUNTED_2, TicketStatus.RECOUNT, TicketStatus.FINAL}),
    2: frozenset({TicketStatus.COUNTED_2, TicketStatus.RECOUNT, TicketStatus.FINAL}),
    3: frozenset({TicketStatus.FINAL}),
}
METHODS = tuple(m.value for m in CountMethod)
TEAM_ROLES = (Role.COUNTER, Role.LEADER)
# A tablet's clock may drift a little; a count dated further ahead is a typing or clock error.
FUTURE_SLACK = timedelta(hours=24)
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
LOT_LENGTH, TEXT_LENGTH = 80, 120


@dataclass
class CountInput:
    ticket: str
    round: int
    quantity: object = None
    state: str = "good"
    method: str = "counted"
    packaging: dict | None = None
    counted_at: datetime | None = None
    client_id: str | None = None
    # blank tickets: what the first count found
    reference: str | None = None
    location: str | None = None
    lot: str | None = None
    team: int | None = None          # the number written on a paper part (import)
    counted_by: str = ""             # the name written on a paper part (import)
    line: int | None = None          # line of the import file, for messages
    extra: dict = field(default_factory=dict)


@dataclass
class CountResult:
    count: Count
    created: bool
    ticket: Ticket
    # Held so that the answer is built without reading them again (the session only keeps weak references).
    campaign: Campaign | None = None
    team: Team | None = None


def find_ticket(campaign: Campaign, text: str, *, lock: bool = False) -> Ticket:
    sequence = numbering.parse_number(str(text), campaign.fiscal_year)
    query = sa.select(Ticket).where(Ticket.campaign_id == campaign.id, Ticket.sequence == sequence)
    if lock and dialect() == "postgresql":
        query = query.with_for_update()
    ticket = db.session.scalar(query)
    if ticket is None:
        raise NotFound(N_("Ticket %(ticket)s does not exist in campaign %(code)s."), field="ticket",
                       ticket=numbering.format_number(sequence, campaign.fiscal_year), code=campaign.code)
    return ticket


# Made once (a fresh alias per call defeats the query cache), ready for every thread (database.shared_alias).
_LINE_ITEM = shared_alias(Item, "line_item")


def _team_id_of(user_id, campaign_id) -> sa.ScalarSelect:
    """The id of the user's team in the campaign, as leader or member (a subquery)."""
    member = sa.select(team_member.c.team_id).where(team_member.c.user_id == user_id)
    return (sa.select(Team.id).where(Team.campaign_id == campaign_id,
                                     sa.or_(Team.leader_id == user_id, Team.id.in_(member)))
            .order_by(Team.number).limit(1).scalar_subquery())


_USER_TEAM = shared_alias(Team, "user_team")


def _find_ticket_and_unit(campaign: Campaign, text, user: User | None = None
                          ) -> tuple[Ticket, str | None, Team | None]:
    """The ticket, locked on PostgreSQL until the end of the transaction, its unit and (given a user)
    the user's team in the campaign, in one query: a count is on the hot path of every tablet."""
    sequence = numbering.parse_number(str(text), campaign.fiscal_year)
    line_item = _LINE_ITEM
    query = (sa.select(Ticket, sa.func.coalesce(Item.unit, line_item.unit))
             .outerjoin(Item, Item.id == Ticket.item_id)
             .outerjoin(BookLine, BookLine.id == Ticket.book_line_id)
             .outerjoin(line_item, line_item.id == BookLine.item_id)
             .where(Ticket.campaign_id == campaign.id, Ticket.sequence == sequence))
    if user is not None:
        query = query.add_columns(_USER_TEAM).outerjoin(_USER_TEAM, _USER_TEAM.id == _team_id_of(user.id, campaign.id))
    if dialect() == "postgresql":
        query = query.with_for_update(of=Ticket)
    row = db.session.execute(query).first()
    if row is None:
        raise NotFound(N_("Ticket %(ticket)s does not exist in campaign %(code)s."), field="ticket",
                       ticket=numbering.format_number(sequence, campaign.fiscal_year), code=campaign.code)
    return row[0], row[1], (row[2] if user is not None else None)


_LATER = shared_alias(Count, "later_count")


def loaded_ticket(loaded: dict, campaign: Campaign, text) -> tuple[Ticket, str | None]:
    """The ticket ``text`` names among tickets read in bulk (``loaded``: sequence -> (ticket, unit)), with its
    unit; what is wrong is named as for a tablet's count."""
    parts = numbering.number_parts(text)
    found = loaded.get(parts[0]) if parts is not None else None
    if found is None or (parts[1] is not None and parts[1] != campaign.fiscal_year):
        find_ticket(campaign, text)   # raises NotFound (or a wrong number, a wrong year)
        # Found there but not among them: it was made after they were read. Named as find_ticket does.
        raise NotFound(N_("Ticket %(ticket)s does not exist in campaign %(code)s."), field="ticket",
                       ticket=numbering.format_number(parts[0], campaign.fiscal_year), code=campaign.code)
    return found


def current_count(ticket_id: int, round_: int) -> Count | None:
    """The newest entry of a round: the original or its latest correction."""
    later = _LATER
    newer_exists = sa.select(later.id).where(later.supersedes_id == Count.id).exists()
    return db.session.scalar(sa.select(Count).where(Count.ticket_id == ticket_id, Count.round == round_,
                                                    ~newer_exists).order_by(Count.id.desc()).limit(1))


def history(ticket_id: int, round_: int) -> list[Count]:
    """Every entry of a round, oldest first: the original and its corrections (never overwritten)."""
    return list(db.session.scalars(sa.select(Count).where(Count.ticket_id == ticket_id, Count.round == round_)
                                   .order_by(Count.id)))


def team_of(user: User, campaign: Campaign) -> Team | None:
    """The user's team in the campaign, as leader or member (one query)."""
    return db.session.scalar(sa.select(Team).where(Team.id == _team_id_of(user.id, campaign.id)))


def _label(ticket: Ticket, campaign: Campaign) -> str:
    return numbering.format_number(ticket.sequence, campaign.fiscal_year)


def _text(value, field_name: str, limit: int) -> str:
    """Free text from a form or JSON: a string (numbers accepted), trimmed, not longer than ``limit``."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CountappError(N_("%(name)s must be text."), field=field_name, name=field_name)
    text = str(value).strip()
    if "\x00" in text:
        raise CountappError(N_("%(name)s contains a character that is not allowed."), field=field_name, name=field_name)
    if len(text) > limit:
        raise CountappError(N_("%(name)s is too long (at most %(n)s characters)."), field=field_name,
                            n=limit, name=field_name)
    return text


def _check_choice(value, allowed: tuple[str, ...], field_name: str, message: str) -> str:
    if value is not None and not isinstance(value, str):
        raise CountappError(message, field=field_name, value=str(value)[:40])
    value = (value or allowed[0]).strip().lower()
    if value not in allowed:
        raise CountappError(message, field=field_name, value=value[:40])
    return value


def _check_round(value) -> int:
    if isinstance(value, bool):
        value = None
    try:
        round_ = int(str(value).strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError, OverflowError):
        round_ = 0
    if isinstance(value, float) and value != round_:
        round_ = 0
    if round_ not in (1, 2, 3):
        raise CountappError(N_("The round must be 1, 2 or 3."), field="round")
    return round_


def check_ticket_given(value) -> None:
    """A ticket's number or barcode is text or a whole number."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CountappError(N_("A ticket number is required."), field="ticket")


def check_client_id(value) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _CLIENT_ID.fullmatch(value):
        raise CountappError(N_("A client_id is 1 to 64 letters, digits, dots, dashes, underscores or colons."),
                            field="client_id")
    return value


def _check_counted_at(value) -> datetime:
    now = datetime.now(timezone.utc)
    if value in (None, ""):
        return now
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise CountappError(N_("counted_at must be a date and time like 2025-12-28T09:30:00+01:00."),
                                field="counted_at") from None
    if not isinstance(value, datetime):
        raise CountappError(N_("counted_at must be a date and time like 2025-12-28T09:30:00+01:00."),
                            field="counted_at")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    if value > now + FUTURE_SLACK:
        raise CountappError(N_("counted_at is in the future: check the tablet's clock."), field="counted_at")
    return value.astimezone(timezone.utc)   # SQLite keeps no offset: store every time in UTC


def _who(count: Count | None) -> str:
    if count is None:
        return "?"
    return count.counted_by_name or (count.counted_by.login if count.counted_by else "?")


def _when(count: Count | None) -> str:
    """When a count was entered, in its campaign's time zone (stored in UTC)."""
    if count is None:
        return "?"
    from tickets.timezones import local

    from ..campaign_settings import time_zone
    from ..models import Campaign, Ticket

    settings = db.session.execute(sa.select(Campaign.settings).join(Ticket, Ticket.campaign_id == Campaign.id)
                                  .where(Ticket.id == count.ticket_id)).scalar()
    moment = local(count.counted_at, time_zone(settings or {}))
    return moment.strftime("%Y-%m-%d %H:%M ") + (moment.tzname() or "")


def _already_counted(label: str, round_: int, earlier: Count | None) -> Conflict:
    return Conflict(N_("Ticket %(ticket)s already has its count for round %(round)s, entered by %(who)s at "
                       "%(when)s."), field="ticket", ticket=label, round=round_, who=_who(earlier),
                    when=_when(earlier))


def on_recount_sheet_of(ticket: Ticket, user: User) -> bool:
    return db.session.scalar(
        sa.select(RecountSheet.id).join(recount_sheet_ticket, recount_sheet_ticket.c.sheet_id == RecountSheet.id)
        .where(recount_sheet_ticket.c.ticket_id == ticket.id,
               sa.or_(RecountSheet.leader1_id == user.id, RecountSheet.leader2_id == user.id)).limit(1)) is not None


_UNKNOWN = object()


def _check_who(campaign: Campaign, ticket: Ticket, round_: int, user: User, source: CountSource,
               team_number: int | None, users_team=_UNKNOWN, on_sheet=_UNKNOWN) -> Team | None:
    """The team entitled to count this ticket in this round; refusals say why, blind. ``users_team`` and
    ``on_sheet`` (``on_recount_sheet_of``), when the caller read them already. The ticket's number is made
    for a refusal only: every line of a counts file passes here."""
    if round_ == 3:
        if user.role in (Role.MANAGER, Role.CENTRALISER):
            return None
        if not (on_recount_sheet_of(ticket, user) if on_sheet is _UNKNOWN else on_sheet):
            raise Forbidden(N_("Ticket %(ticket)s is not on a recount sheet of yours."), field="ticket",
                            ticket=_label(ticket, campaign))
        return None
    if source == CountSource.IMPORT and user.role in (Role.MANAGER, Role.CENTRALISER):
        issued_to = ticket.team1 if round_ == 1 else ticket.team2
        if issued_to is None:
            raise CountappError(N_("Ticket %(ticket)s was not issued to a team for round %(round)s."), field="ticket",
                                ticket=_label(ticket, campaign), round=round_)
        if team_number is not None and team_number != issued_to.number:
            raise CountappError(N_("Ticket %(ticket)s was issued to team %(issued)s for round %(round)s, not to "
                                   "team %(team)s."), field="team", ticket=_label(ticket, campaign),
                                issued=issued_to.number, round=round_, team=team_number)
        return issued_to
    if user.role not in TEAM_ROLES:
        raise Forbidden(N_("Only counting teams enter counts of rounds 1 and 2."), field="round")
    team = team_of(user, campaign) if users_team is _UNKNOWN else users_team
    if team is None:
        raise Forbidden(N_("You are not in a counting team of campaign %(code)s."), field="ticket", code=campaign.code)
    if team.round != round_:
        raise Forbidden(N_("Your team counts round %(team_round)s, not round %(round)s."), field="round",
                        team_round=team.round, round=round_)
    if (ticket.team1_id if round_ == 1 else ticket.team2_id) != team.id:
        raise Forbidden(N_("Ticket %(ticket)s was not issued to your team for round %(round)s."), field="ticket",
                        ticket=_label(ticket, campaign), round=round_)
    return team


def _check_status(ticket: Ticket, label: str) -> None:
    if ticket.status == TicketStatus.VOIDED:
        raise CountappError(N_("Ticket %(ticket)s is voided: it cannot be counted."), field="ticket", ticket=label)
    if ticket.status == TicketStatus.CREATED:
        raise CountappError(N_("Ticket %(ticket)s has not been issued to a team yet."), field="ticket", ticket=label)


def _check_order(ticket: Ticket, round_: int, label: str) -> None:
    if round_ == 2 and ticket.status == TicketStatus.ISSUED:
        raise CountappError(N_("Ticket %(ticket)s needs its 1st count before the 2nd."), field="round", ticket=label)
    if round_ == 3 and ticket.status != TicketStatus.RECOUNT:
        raise CountappError(N_("Ticket %(ticket)s does not need a third count."), field="round", ticket=label)


def _blank_target(campaign: Campaign, ticket: Ticket, data: CountInput) -> tuple[int | None, int | None, str | None]:
    """A blank ticket's first count names the item and location it found."""
    if not ticket.is_blank or ticket.item_id is not None:
        return None, None, None
    reference = _text(data.reference, "reference", TEXT_LENGTH)
    location = _text(data.location, "location", TEXT_LENGTH)
    lot = _text(data.lot, "lot", LOT_LENGTH)
    if not reference or not location:
        raise CountappError(N_("Ticket %(ticket)s is blank: give the reference and the location counted."),
                            field="reference" if not reference else "location", ticket=_label(ticket, campaign))
    item_id = db.session.scalar(sa.select(Item.id).where(Item.campaign_id == campaign.id,
                                                         Item.reference == reference))
    if item_id is None:
        raise CountappError(N_("Unknown reference %(reference)s."), field="reference", reference=reference[:60])
    location_id = db.session.scalar(sa.select(Location.id).where(Location.campaign_id == campaign.id,
                                                                 Location.code == location))
    if location_id is None:
        raise CountappError(N_("Unknown location %(location)s."), field="location", location=location[:60])
    return item_id, location_id, lot


def ticket_unit(ticket: Ticket) -> str | None:
    """The unit of what the ticket counts (None for a blank ticket not counted yet); one query."""
    if ticket.item_id is not None:
        return db.session.scalar(sa.select(Item.unit).where(Item.id == ticket.item_id))
    if ticket.book_line_id is not None:
        return db.session.scalar(sa.select(Item.unit).join(BookLine, BookLine.item_id == Item.id)
                                 .where(BookLine.id == ticket.book_line_id))
    return None


BOOK_BASIS_COLUMNS = (BookLine.book_qty, BookLine.unit_cost, Item.category, BookLine.item_id, BookLine.location_id,
                      BookLine.lot)   # what ``line_basis`` takes, from book_line joined to its item
_BOOK_BASIS = (sa.select(*BOOK_BASIS_COLUMNS)
               .join(Item, Item.id == BookLine.item_id).where(BookLine.id == sa.bindparam("line")))


def line_basis(campaign: Campaign, row) -> tuple[Decimal, Decimal, str | None]:
    """The basis of a ticket on a book line, from the line's ``BOOK_BASIS_COLUMNS``."""
    book_qty, unit_cost, category, item_id, location_id, lot = row
    # The book at the line's own count date (issue 18: zones may count on other days than the stock file's).
    book_qty = count_dates.book_at_count_date(campaign, item_id, location_id, lot, book_qty)
    return book_qty, unit_cost, category.value


def _book_basis(campaign: Campaign, ticket: Ticket) -> tuple[Decimal, Decimal, str | None]:
    """Book quantity, unit cost and category the tolerances compare with (0 for blank or unknown lines)."""
    if ticket.book_line_id is not None:
        return line_basis(campaign, db.session.execute(_BOOK_BASIS, {"line": ticket.book_line_id}).one())
    if ticket.item_id is None:
        return Decimal(0), Decimal(0), None
    # A blank ticket compares with a book quantity of 0 (DOMAIN.md), even where a book line exists for
    # the same place: it is valued at that line's cost, else the item's.
    line = db.session.scalar(sa.select(BookLine).where(
        BookLine.campaign_id == campaign.id, BookLine.item_id == ticket.item_id,
        BookLine.location_id == ticket.location_id, BookLine.lot == (ticket.lot or "")))
    cost = line.unit_cost if line else db.session.scalar(
        sa.select(sa.func.max(BookLine.unit_cost)).where(BookLine.campaign_id == campaign.id,
                                                         BookLine.item_id == ticket.item_id))
    category = ticket.item.category.value if ticket.item else None
    return Decimal(0), cost or Decimal(0), category

def _current_quantity(ticket_id: int, round_: int) -> Decimal | None:
    """The quantity of ``current_count`` (that column only: no Count object is built)."""
    return db.session.scalar(_CURRENT_QUANTITY[round_], {"ticket_id": ticket_id})


def ticket_decision(campaign: Campaign, ticket: Ticket, known: dict[int, Decimal] | None = None) -> dict | None:
    """Once both counts are in, the ticket's new status, final quantity and recount reasons: agreed
    (final quantity) or third count needed, with the reasons. None while a count is missing.
    ``known``: the current quantity of a round that the caller is writing (round -> quantity), not read."""
    known = known or {}
    quantity1 = known[1] if 1 in known else _current_quantity(ticket.id, 1)
    quantity2 = known[2] if 2 in known else _current_quantity(ticket.id, 2)
    if quantity1 is None or quantity2 is None:
        return None
    return decision_for(campaign, quantity1, quantity2, _book_basis(campaign, ticket))


def decision_for(campaign: Campaign, quantity1: Decimal, quantity2: Decimal,
                 basis: tuple[Decimal, Decimal, str | None], tolerances=None) -> dict:
    """The ticket's change once both counts are in, given the book ``basis`` (see ``_book_basis``) and
    the campaign's ``tolerances`` (read from its settings when not given)."""
    book_qty, unit_cost, category = basis
    tolerances = tolerances or campaign_settings.tolerance_settings(campaign.settings)
    between, vs_book = tolerances.for_category(category)
    decision = decide(quantity1, quantity2, book_qty, unit_cost, between, vs_book)
    if decision.outcome == "agreed":
        return {"status": TicketStatus.FINAL, "final_qty": decision.agreed_qty, "recount_reasons": ""}
    return {"status": TicketStatus.RECOUNT, "final_qty": None, "recount_reasons": ",".join(decision.reasons)}


def decide_ticket(campaign: Campaign, ticket: Ticket, known: dict[int, Decimal] | None = None) -> None:
    """Write the ticket's decision once both counts are in (see ``ticket_decision``)."""
    values = ticket_decision(campaign, ticket, known)
    if values is not None:
        write_ticket(ticket, **values)


@functools.cache
def _ticket_update(columns: tuple[str, ...]) -> sa.Update:
    table = Ticket.__table__
    return (sa.update(table).where(table.c.id == sa.bindparam("ticket_id"))
            .values({name: sa.bindparam(name, type_=table.c[name].type) for name in columns}))


def write_ticket(ticket: Ticket, **values) -> None:
    """Change a ticket's columns with one UPDATE, in the current transaction, and keep the loaded object
    in step (not marked as changed, so the session does not write it again). On the tablets' hot path
    the ORM's unit of work cost more than the statement itself."""
    db.session.connection().execute(_ticket_update(tuple(sorted(values))), {"ticket_id": ticket.id, **values})
    keep_in_step(ticket, values)


def write_tickets(changes: dict[int, dict]) -> None:
    """``write_ticket`` for many tickets (ticket id -> columns to change): one statement per set of columns
    changed (``bulk.update_rows``), in the current transaction. The loaded objects are the caller's to keep
    in step."""
    for columns, rows in ticket_rows(changes).items():
        bulk.update_rows(Ticket.__table__, columns, rows)


def ticket_rows(changes: dict[int, dict]) -> dict[tuple[str, ...], list[tuple]]:
    """``write_tickets``'s rows: for each set of columns changed, ``(ticket id, *values)`` of the tickets."""
    by_columns: dict[tuple[str, ...], list[tuple]] = {}
    for ticket_id, values in changes.items():
        columns = tuple(sorted(values))
        by_columns.setdefault(columns, []).append((ticket_id, *(values[name] for name in columns)))
    return by_columns


def keep_in_step(ticket: Ticket, values: dict) -> None:
    """The loaded ticket shows columns just written by a statement of ours, without being marked changed."""
    for name, value in values.items():
        set_committed_value(ticket, name, value)
    stale = [relation for column, relation in (("item_id", "item"), ("location_id", "location")) if column in values]
    if stale:
        db.session.expire(ticket, stale)   # loaded again from the new id when next read


_INSERT_COUNT = sa.insert(Count.__table__).returning(Count.__table__.c.id)


def count_object(count_id: int, values: dict, ticket: Ticket) -> Count:
    """What was written, as a Count object kept out of the session until ``_attach`` (after the
    commit): a rolled-back transaction leaves nothing of it there."""
    count = Count(id=count_id, **values)
    set_committed_value(count, "ticket", ticket)
    return count


def _insert_count(values: dict, ticket: Ticket) -> Count:
    """Write one count with a single INSERT (no unit of work). Raises IntegrityError when the round's
    count or the client_id is already in."""
    count_id = db.session.connection().execute(_INSERT_COUNT, values).scalar_one()
    return count_object(count_id, values, ticket)


def _bound(table: sa.Table, prefix: str, names) -> dict:
    return {name: sa.bindparam(prefix + name, type_=table.c[name].type) for name in names}


@functools.cache
def _count_write_pg(ticket_columns: tuple[str, ...]) -> sa.Select:
    """PostgreSQL: the count, the ticket's new status and the audit event in one statement (three
    data-modifying CTEs), so a count costs one round trip fewer than three separate writes. Parameters:
    ``c_<column>`` for the count, ``t_<column>`` and ``t_id`` for the ticket, ``e_<column>`` for the event."""
    counts, tickets, events = Count.__table__, Ticket.__table__, AuditEvent.__table__
    new_count = (sa.insert(counts).values(_bound(counts, "c_", [c.name for c in counts.c if c.name != "id"]))
                 .returning(counts.c.id).cte("new_count"))
    ticket_change = (sa.update(tickets).where(tickets.c.id == sa.bindparam("t_id"))
                     .values(_bound(tickets, "t_", ticket_columns)).returning(tickets.c.id).cte("ticket_change"))
    new_event = (sa.insert(events).values(_bound(events, "e_", [c.name for c in events.c if c.name != "id"]))
                 .returning(events.c.id).cte("new_event"))
    return sa.select(new_count.c.id).add_cte(ticket_change, new_event)


def _write_count(values: dict, ticket: Ticket, change: dict, event: dict) -> Count:
    """PostgreSQL: write the count, the ticket's change and the chained audit event (``event``, from
    ``audit.chained_event``) in one round trip. Raises IntegrityError when the round's count or the
    client_id is already in; nothing is written then."""
    parameters = {"t_id": ticket.id, **{"c_" + k: v for k, v in values.items()},
                  **{"t_" + k: v for k, v in change.items()}, **{"e_" + k: v for k, v in event.items()}}
    count_id = db.session.connection().execute(_count_write_pg(tuple(sorted(change))), parameters).scalar_one()
    keep_in_step(ticket, change)
    return count_object(count_id, values, ticket)


def _attach(count: Count) -> Count:
    """A committed count from ``_insert_count`` or ``_write_count`` joins the session as if it had been
    loaded. Inside a caller's longer transaction (an import holds its commits until the whole file is
    in) it stays out: that transaction may still be rolled back."""
    if not db.session().in_transaction():
        make_transient_to_detached(count)
        db.session.add(count)
    return count


def _quantity(data: CountInput, unit: str | None):
    if data.packaging is not None and not isinstance(data.packaging, dict):
        raise CountappError(N_("The packaging must give pallets, cartons_per_pallet, units_per_carton and "
                               "loose_units."), field="packaging")
    packaging = parse_packaging(data.packaging, unit=unit)
    quantity = packaging.total if packaging is not None and data.quantity in (None, "") else \
        parse_quantity(data.quantity, unit=unit)
    if packaging is not None and quantity != packaging.total:
        raise CountappError(N_("The quantity %(quantity)s does not match the packaging, which makes %(total)s."),
                            field="quantity", quantity=str(quantity), total=str(packaging.total))
    return quantity, packaging


def _same_packaging(stored: dict | None, sent) -> bool:
    if stored is None or sent is None:
        return stored is None and sent is None
    sent = sent.as_dict()
    try:
        return stored.keys() == sent.keys() and all(Decimal(str(stored[k])) == Decimal(sent[k]) for k in sent)
    except ArithmeticError:
        return False


def _difference(existing: Count, campaign: Campaign, ticket: Ticket, data: CountInput, unit: str | None
                ) -> str | None:
    """The first field in which ``data`` is not the count ``existing`` recorded (None: the same count).

    What was counted decides: ticket, round, quantity (and packaging), state, method and, for a blank
    ticket's first count, what it found. ``counted_at`` does not: a device or an ERP sending the same
    count again may stamp it anew, and that is still the same count."""
    if existing.ticket.campaign_id != campaign.id or existing.ticket_id != ticket.id:
        return "ticket"
    try:
        if _check_round(data.round) != existing.round:
            return "round"
    except CountappError:
        return "round"
    try:
        quantity, packaging = _quantity(data, unit)
    except CountappError as error:
        return error.field or "quantity"
    if quantity != existing.quantity:
        return "quantity"
    if not _same_packaging(existing.packaging, packaging):
        return "packaging"
    for name, allowed, stored in (("state", STATES, existing.state), ("method", METHODS, existing.method)):
        try:
            if _check_choice(getattr(data, name), allowed, name, "") != stored.value:
                return name
        except CountappError:
            return name
    if existing.item_id is not None and ticket.is_blank and existing.round == 1:
        found = {"reference": db.session.scalar(sa.select(Item.reference).where(Item.id == existing.item_id)),
                 "location": db.session.scalar(sa.select(Location.code).where(Location.id == existing.location_id)),
                 "lot": existing.lot or ""}
        for name, limit in (("reference", TEXT_LENGTH), ("location", TEXT_LENGTH), ("lot", LOT_LENGTH)):
            try:
                if _text(getattr(data, name), name, limit) != found[name]:
                    return name
            except CountappError:
                return name
    return None


def _quantity_text(count: Count, unit: str | None) -> str:
    quantity = count.quantity.normalize() if count.quantity is not None else Decimal(0)
    text = format(quantity, "f")
    return f"{text} {unit}" if unit else text


def replayed_count(campaign: Campaign, client_id: str, ticket: Ticket, data: CountInput, unit: str | None,
              user: User) -> CountResult | None:
    """The stored count when ``client_id`` was already used for this very count (a replay); None when it
    was never used. Used for anything else, it is a conflict that names the first count, so that the
    second one is never silently lost (blind: another user's count is not described)."""
    existing = db.session.scalar(sa.select(Count).where(Count.client_id == client_id))
    if existing is None:
        return None
    if existing.counted_by_id != user.id:
        raise Conflict(N_("This client_id was already used for someone else's count: nothing was recorded. "
                          "Send this count with a new client_id."), field="client_id")
    differs = _difference(existing, campaign, ticket, data, unit)
    if differs is None:
        return CountResult(existing, False, existing.ticket, campaign)
    first = existing.ticket
    label = _label(first, campaign)
    if first.campaign_id != campaign.id:
        other = db.session.get(Campaign, first.campaign_id)
        label = f"{_label(first, other)} ({other.code})"
    message = (N_("This client_id was already used for ticket %(ticket)s, round %(round)s, quantity %(quantity)s: "
                  "this count is a different one and was not recorded. Send it with a new client_id.")
               if differs in ("ticket", "round", "quantity") else
               N_("This client_id was already used for ticket %(ticket)s, round %(round)s, quantity %(quantity)s, "
                  "with another %(name)s: this count was not recorded. Send it with a new client_id."))
    raise Conflict(message, field=differs, ticket=label, round=existing.round,
                   quantity=_quantity_text(existing, ticket_unit(first) if first.id != ticket.id else unit),
                   name=differs)


def current_quantity_query(ticket_id, round_: int):
    """The quantity of ``current_count``, as a query (correlated when ``ticket_id`` is a column)."""
    later = _LATER
    newer_exists = sa.select(later.id).where(later.supersedes_id == Count.id).exists()
    return (sa.select(Count.quantity).where(Count.ticket_id == ticket_id, Count.round == round_, ~newer_exists)
            .order_by(Count.id.desc()).limit(1))


# Built once per round (parameter: ticket_id).
_CURRENT_QUANTITY = {r: current_quantity_query(sa.bindparam("ticket_id"), r) for r in (1, 2, 3)}


@functools.cache
def _count_load_statement(postgresql: bool, round_: int = 0) -> sa.Select:
    """Built once per database and round (parameters: code, sequence, user_id; on PostgreSQL chain too):
    building it took longer than running it. On PostgreSQL it also locks the user's audit sub-chain and
    reads its head (the function of migration perfaudit0001, run after the campaign and ticket are found):
    one round trip fewer per count.

    What the round's rules read comes with it, each a query fewer: for round 2 the book line's basis
    (``BOOK_BASIS_COLUMNS``, labelled ``basis_*``) and, on SQLite, the 1st count's quantity (``quantity1``);
    for round 3 whether the ticket is on a recount sheet of the user (``on_sheet``). PostgreSQL reads the
    1st count after the ticket is locked instead: a correction of it takes that lock, and this statement's
    snapshot is older than the lock it waited for."""
    line_item = _LINE_ITEM
    query = (sa.select(Campaign, Ticket, sa.func.coalesce(Item.unit, line_item.unit), _USER_TEAM)
             .join(Ticket, sa.and_(Ticket.campaign_id == Campaign.id, Ticket.sequence == sa.bindparam("sequence")))
             .outerjoin(Item, Item.id == Ticket.item_id)
             .outerjoin(BookLine, BookLine.id == Ticket.book_line_id)
             .outerjoin(line_item, line_item.id == BookLine.item_id)
             .outerjoin(_USER_TEAM, _USER_TEAM.id == _team_id_of(sa.bindparam("user_id"), Campaign.id))
             .where(Campaign.code == sa.bindparam("code")))
    if round_ == 2:
        # BOOK_BASIS_COLUMNS, from the joins above (line_item is the book line's item).
        query = query.add_columns(BookLine.book_qty.label("basis_book_qty"), BookLine.unit_cost.label("basis_cost"),
                                  line_item.category.label("basis_category"), BookLine.item_id.label("basis_item"),
                                  BookLine.location_id.label("basis_location"), BookLine.lot.label("basis_lot"))
        if not postgresql:
            query = query.add_columns(current_quantity_query(Ticket.id, 1).scalar_subquery().label("quantity1"))
    elif round_ == 3:
        sheet = (sa.select(RecountSheet.id)
                 .join(recount_sheet_ticket, recount_sheet_ticket.c.sheet_id == RecountSheet.id)
                 .where(recount_sheet_ticket.c.ticket_id == Ticket.id,
                        sa.or_(RecountSheet.leader1_id == sa.bindparam("user_id"),
                               RecountSheet.leader2_id == sa.bindparam("user_id"))))
        query = query.add_columns(sheet.exists().label("on_sheet"))
    if not postgresql:
        return query
    head = (sa.func.countapp_audit_sub_chain_head(Campaign.id, sa.bindparam("chain", type_=sa.String))
            .table_valued(sa.column("seq", sa.Integer), sa.column("hash", sa.String)).lateral("chain_head"))
    return (query.add_columns(head.c.seq.label("chain_seq"), head.c.hash.label("chain_hash"))
            .outerjoin(head, sa.true()).with_for_update(of=Ticket))


def round_of(value) -> int:
    """The round asked for, or 0 when it is not one (``check_count`` says why)."""
    try:
        return _check_round(value)
    except CountappError:
        return 0


@dataclass
class _Loaded:
    """What ``_load_for_count`` read besides the campaign and ticket: unit, the user's team, the user's audit
    sub-chain head (PostgreSQL: (seq, hash), (0, GENESIS) when empty; None where not read) and what the
    round's rules need (``_count_load_statement``), each _UNKNOWN when not read."""
    unit: str | None
    team: Team | None
    head: tuple | None = None
    basis: object = _UNKNOWN
    quantity1: object = _UNKNOWN
    on_sheet: object = _UNKNOWN


def _load_for_count(code: str, text, user: User, round_: int = 0) -> tuple[Campaign, Ticket, _Loaded]:
    """Campaign, ticket (locked on PostgreSQL) and the rest of ``_Loaded`` in one query: the hot path of
    every tablet. Whatever is wrong (campaign, number, year, ticket) is named as elsewhere."""
    parts = numbering.number_parts(text)
    if parts is None:
        campaign = campaign_service.get(code)
        ticket, unit, team = _find_ticket_and_unit(campaign, text, user)   # raises, naming what is wrong
        return campaign, ticket, _Loaded(unit, team)
    sequence, year = parts
    # A user not saved (no id: the command line's system user) writes to the main chain: its head is read there.
    postgresql = dialect() == "postgresql" and user.id is not None
    parameters = {"code": code, "sequence": sequence, "user_id": user.id}
    if postgresql:
        parameters["chain"] = audit.user_chain(user.id)   # where count.add goes (audit.SUB_CHAINED)
    row = db.session.execute(_count_load_statement(postgresql, round_), parameters).first()
    if row is None or (year is not None and year != row[0].fiscal_year):
        campaign = row[0] if row is not None else campaign_service.get(code)   # an unknown campaign first
        ticket, unit, team = _find_ticket_and_unit(campaign, text, user)   # raises: wrong year, no such ticket
        return campaign, ticket, _Loaded(unit, team)
    loaded = _Loaded(row[2], row[3])
    if postgresql:
        loaded.head = (row.chain_seq, row.chain_hash) if row.chain_seq is not None else (0, audit.GENESIS)
    if round_ == 2:
        if row[1].book_line_id is not None:
            loaded.basis = (row.basis_book_qty, row.basis_cost, row.basis_category, row.basis_item,
                            row.basis_location, row.basis_lot)
        if not postgresql:
            loaded.quantity1 = row.quantity1
    elif round_ == 3:
        loaded.on_sheet = bool(row.on_sheet)
    return row[0], row[1], loaded


def _decision_with(loaded: _Loaded):
    """``ticket_decision`` for a 2nd count, taking what ``_load_for_count`` read instead of reading it again."""
    def decision(campaign: Campaign, ticket: Ticket, known: dict[int, Decimal]) -> dict | None:
        quantity1 = loaded.quantity1 if loaded.quantity1 is not _UNKNOWN else _current_quantity(ticket.id, 1)
        if quantity1 is None or known.get(2) is None:
            return None
        basis = (line_basis(campaign, loaded.basis) if loaded.basis is not _UNKNOWN
                 else _book_basis(campaign, ticket))
        return decision_for(campaign, quantity1, known[2], basis)

    return decision


@dataclass
class CheckedCount:
    """A count that passed every rule: what to write (the count's values, the ticket's change, the audit event)."""

    values: dict
    change: dict
    event: dict
    team: Team | None


def check_count(campaign: Campaign, ticket: Ticket, unit: str | None, data: CountInput, *, user: User,
                source: CountSource, client_id: str | None = None, users_team=_UNKNOWN,
                decision=None, on_sheet=_UNKNOWN) -> CheckedCount:
    """Every rule a count passes, tablet or file, and what it writes; reads what it needs, writes nothing.

    ``ticket`` is loaded (and locked on PostgreSQL) by the caller. ``decision(campaign, ticket, known)``
    gives a 2nd count's outcome (default ``ticket_decision``; the counts-file import passes one that reads
    in bulk). ``users_team`` and ``on_sheet``: see ``_check_who``."""
    campaign_service.check_not_closed(campaign)
    if campaign.status not in (CampaignStatus.COUNTING, CampaignStatus.RECONCILING) and source != CountSource.IMPORT:
        raise CountappError(N_("Campaign %(code)s is not counting yet."), field="ticket", code=campaign.code)
    round_ = _check_round(data.round)
    label = _label(ticket, campaign)
    _check_status(ticket, label)
    team = _check_who(campaign, ticket, round_, user, source, data.team, users_team, on_sheet)
    _check_order(ticket, round_, label)
    if ticket.status in ROUND_DONE[round_]:
        raise _already_counted(label, round_, current_count(ticket.id, round_))
    item_id, location_id, lot = _blank_target(campaign, ticket, data) if round_ == 1 else (None, None, None)
    if item_id is not None:
        unit = db.session.get(Item, item_id).unit
    quantity, packaging = _quantity(data, unit)
    state = _check_choice(data.state, STATES, "state",
                          N_("Unknown state %(value)s: choose good, damaged, obsolete or expired."))
    method = _check_choice(data.method, METHODS, "method",
                           N_("Unknown method %(value)s: choose counted, weighed, measured or estimated."))
    counted_at = _check_counted_at(data.counted_at)
    counted_by = _text(data.counted_by, "counted_by", 200) or user.display_name
    # The ticket's status says whether the round is in; the partial unique index is the guarantee.
    values = {"ticket_id": ticket.id, "round": round_, "quantity": quantity, "state": PhysicalState(state),
              "method": CountMethod(method), "packaging": packaging.as_dict() if packaging else None,
              "team_id": team.id if team else None, "counted_by_id": user.id, "counted_by_name": counted_by,
              "counted_at": counted_at, "item_id": item_id, "location_id": location_id, "lot": lot,
              "source": source, "client_id": client_id, "supersedes_id": None, "correction_reason": "",
              "recorded_at": datetime.now(timezone.utc)}
    before = ticket.status
    change = {"item_id": item_id, "location_id": location_id, "lot": lot} if item_id is not None else {}
    if round_ == 1:
        change["status"] = TicketStatus.COUNTED_1
    elif round_ == 2:   # decided before anything is written, with this count's quantity
        change.update((decision or ticket_decision)(campaign, ticket, {2: quantity})
                      or {"status": TicketStatus.COUNTED_2})
    else:
        change.update(status=TicketStatus.FINAL, final_qty=quantity)
    event = {"action": "count.add", "campaign": campaign, "entity": "ticket", "entity_id": label, "user": user,
             "before": {"status": before},
             "after": {"round": round_, "quantity": quantity, "state": state, "method": method, "source": source,
                       "status": change["status"], "client_id": client_id,
                       **({"packaging": packaging.as_dict()} if packaging else {})}}
    return CheckedCount(values, change, event, team)


def submit_count(code: str, data: CountInput, *, user: User, source: CountSource = CountSource.TABLET
                 ) -> CountResult:
    """Record one count (one transaction); a replayed ``client_id`` returns the stored count."""
    try:
        client_id = check_client_id(data.client_id)
        check_ticket_given(data.ticket)
        round_ = round_of(data.round)
        campaign, ticket, loaded = _load_for_count(code, data.ticket, user, round_)
    except CountappError:
        campaign_service.get(code)   # an unknown campaign is what the caller hears first
        raise
    unit = loaded.unit
    try:
        checked = check_count(campaign, ticket, unit, data, user=user, source=source, client_id=client_id,
                              users_team=loaded.team, on_sheet=loaded.on_sheet,
                              decision=_decision_with(loaded) if round_ == 2 else None)
    except CountappError:
        if client_id and ticket.status not in (TicketStatus.CREATED, TicketStatus.ISSUED):
            # Refused, but a count of this ticket is in: maybe this very one, sent again (the round is done,
            # the campaign moved on...), or its client_id reused. That answer comes first. Looked up under the
            # ticket's lock, so the same count sent twice at once waits for the first one. A count that
            # passes every rule needs no look-up: a client_id used before is caught by its unique index below,
            # and answered the same way. (A first count of an issued ticket cannot be a replay.)
            replayed = replayed_count(campaign, client_id, ticket, data, unit, user)
            if replayed is not None:
                return replayed
        raise
    values, change, event, team = checked.values, checked.change, checked.event, checked.team
    label, round_ = event["entity_id"], values["round"]
    try:
        if dialect() == "postgresql":
            # The chain is locked first (the ticket already is): then one statement writes everything.
            count = _write_count(values, ticket, change, audit.chained_event(**event, head=loaded.head))
        else:
            # SQLite: this first write takes the database's write lock, which then guards the chain.
            count = _insert_count(values, ticket)
    except IntegrityError:
        # Another device won the race for this ticket and round, or replayed the same client_id.
        db.session.rollback()
        campaign = campaign_service.get(code)
        ticket = find_ticket(campaign, data.ticket)
        if client_id:
            replayed = replayed_count(campaign, client_id, ticket, data, unit, user)
            if replayed is not None:
                return replayed
        raise _already_counted(label, round_, current_count(ticket.id, round_)) from None
    if dialect() != "postgresql":
        write_ticket(ticket, **change)
        audit.record(**event)
    db.session.commit()
    return CountResult(_attach(count), True, ticket, campaign, team)


def moved_on(campaign: Campaign, ticket: Ticket, round_: int) -> bool:
    """True once the next step has started: the count of a round can no longer be corrected.

    Round 1 moves on with the 2nd count; round 2 with a centraliser's step (a recount sheet, a decision,
    a third count). The automatic agreed/recount decision is not a step: telling a 2nd-count team that its
    ticket moved on right after it counted would tell it whether it agreed with the 1st count.
    """
    if ticket.status == TicketStatus.VOIDED or campaign.status != CampaignStatus.COUNTING or round_ == 3:
        return True
    if round_ == 1:
        return current_count(ticket.id, 2) is not None
    return (current_count(ticket.id, 3) is not None
            or db.session.scalar(sa.select(recount_sheet_ticket.c.sheet_id)
                                 .where(recount_sheet_ticket.c.ticket_id == ticket.id).limit(1)) is not None
            or db.session.scalar(sa.select(TicketDecision.id).where(TicketDecision.ticket_id == ticket.id)
                                 .limit(1)) is not None)


def may_correct(campaign: Campaign, ticket: Ticket, count: Count | None, user: User, team: Team | None) -> bool:
    """Whether ``user`` may correct ``count`` now (the team's own entry, before the ticket moves on)."""
    if count is None or count.round == 3:
        return False
    if user.role not in (Role.MANAGER, Role.CENTRALISER) and (team is None or count.team_id != team.id):
        return False
    return not moved_on(campaign, ticket, count.round)


def correct_count(code: str, ticket_text: str, round_: int, *, quantity, state: str | None = None,
                  reason: str, user: User, method: str | None = None) -> Count:
    """A new entry that supersedes the team's own earlier one, while the ticket has not moved on."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    round_ = _check_round(round_)
    if isinstance(ticket_text, bool) or not isinstance(ticket_text, (str, int)):
        raise CountappError(N_("A ticket number is required."), field="ticket")
    ticket = find_ticket(campaign, ticket_text, lock=True)
    label = _label(ticket, campaign)
    reason = _text(reason, "reason", 500)
    if not reason:
        raise CountappError(N_("A correction needs a reason."), field="reason")
    earlier = current_count(ticket.id, round_)
    if earlier is None:
        raise CountappError(N_("Ticket %(ticket)s has no count for round %(round)s to correct."), field="ticket",
                            ticket=label, round=round_)
    team = team_of(user, campaign)
    if user.role not in (Role.MANAGER, Role.CENTRALISER) and (team is None or earlier.team_id != team.id):
        raise Forbidden(N_("Only the team that entered a count may correct it."), field="ticket")
    if moved_on(campaign, ticket, round_):
        raise CountappError(N_("Ticket %(ticket)s has moved on: its round %(round)s count can no longer be "
                               "corrected."), field="ticket", ticket=label, round=round_)
    new_quantity = parse_quantity(quantity, unit=ticket_unit(ticket))
    new_state = _check_choice(state or earlier.state.value, STATES, "state",
                              N_("Unknown state %(value)s: choose good, damaged, obsolete or expired."))
    new_method = _check_choice(method or earlier.method.value, METHODS, "method",
                               N_("Unknown method %(value)s: choose counted, weighed, measured or estimated."))
    correction = Count(ticket_id=ticket.id, round=round_, quantity=new_quantity, state=new_state,
                       method=new_method, team_id=earlier.team_id, counted_by_id=user.id,
                       counted_by_name=user.display_name, counted_at=datetime.now(timezone.utc),
                       item_id=earlier.item_id, location_id=earlier.location_id, lot=earlier.lot,
                       source=earlier.source, supersedes_id=earlier.id, correction_reason=reason)
    db.session.add(correction)
    try:
        db.session.flush()
    except IntegrityError:
        # Two corrections of the same entry at once: supersedes_id is unique, the second one loses.
        db.session.rollback()
        raise Conflict(N_("Ticket %(ticket)s was corrected by someone else at the same time: look again."),
                       field="ticket", ticket=label) from None
    if round_ == 2:
        decide_ticket(campaign, ticket, {2: new_quantity})
    audit.record("count.correct", campaign=campaign, entity="ticket", entity_id=label, user=user,
                 before={"round": round_, "quantity": earlier.quantity, "state": earlier.state,
                         "method": earlier.method},
                 after={"round": round_, "quantity": new_quantity, "state": new_state, "method": new_method,
                        "reason": reason, "status": ticket.status})
    db.session.commit()
    return correction
