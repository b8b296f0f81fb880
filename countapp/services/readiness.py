"""Is a campaign ready to start counting, and what is the next step of its life?

``facts(campaign)`` reads what the rules need in a handful of counting queries; ``missing(facts)``
is the pre-flight rule itself, plain and without I/O: each item it returns names what is missing,
with counts and a few example ticket numbers. ``steps(campaign)`` is the campaign home page's
"what to do next" list: every step of a campaign, ticked when done.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from tickets import numbering
from tickets.errors import N_, Nn_, translate

from ..extensions import db
from ..models import (AuditEvent, BookLine, Campaign, CampaignStatus, InstructionsVersion, Owner, Team, Ticket,
                      TicketStatus, User)

EXAMPLES = 5   # ticket numbers named in a missing item before "…"


@dataclass
class Missing:
    """One thing that stands between a campaign in planning and its count, said in the user's language."""

    key: str
    message: str
    params: dict = field(default_factory=dict)

    def render(self, gettext=None) -> str:
        return translate(self.message, self.params, gettext)


@dataclass
class Facts:
    """What the pre-flight check looks at (counted in the database, examples as printed numbers)."""

    book_lines: int = 0
    lines_without_ticket: int = 0
    pre_referenced: int = 0                                    # live pre-referenced tickets
    teams: list[tuple[int, int, bool]] = field(default_factory=list)   # (number, round, leader can log in)
    not_issued: dict[int, tuple[int, list[str]]] = field(default_factory=dict)   # round -> (count, examples)
    instructions_version: int | None = None


def _examples(labels: list[str], count: int) -> str:
    return ", ".join(labels) + (" …" if count > len(labels) else "")


def missing(facts: Facts) -> list[Missing]:
    """Everything missing before counting may start (empty when the campaign is ready)."""
    found: list[Missing] = []
    if not facts.book_lines:
        found.append(Missing("book_stock", N_("No book stock has been imported.")))
    if not facts.pre_referenced:
        found.append(Missing("tickets", N_("No ticket has been generated.")))
    elif facts.lines_without_ticket:
        found.append(Missing("tickets", Nn_("%(num)s book line has no ticket yet: generate tickets again.",
                                             "%(num)s book lines have no ticket yet: generate tickets again."),
                             {"num": facts.lines_without_ticket}))
    for round_ in (1, 2):
        if not any(r == round_ for _, r, _ in facts.teams):
            found.append(Missing(f"team_round{round_}", N_("There is no team for round %(round)s."),
                                 {"round": round_}))
    without_leader = sorted(number for number, _, leader_ok in facts.teams if not leader_ok)
    if without_leader:
        found.append(Missing("leaders", Nn_("Team %(teams)s has no leader who can log in.",
                                               "Teams %(teams)s have no leader who can log in."),
                             {"teams": ", ".join(str(n) for n in without_leader), "num": len(without_leader)}))
    for round_ in (1, 2):
        count, labels = facts.not_issued.get(round_, (0, []))
        if count and facts.pre_referenced:
            found.append(Missing(f"issued_round{round_}",
                                 Nn_("%(num)s ticket is not issued to a round %(round)s team (%(examples)s).",
                                     "%(num)s tickets are not issued to a round %(round)s team (%(examples)s)."),
                                 {"num": count, "round": round_, "examples": _examples(labels, count)}))
    if facts.instructions_version is None:
        found.append(Missing("instructions", N_("The written instructions have not been issued.")))
    return found


def _count(query) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def facts(campaign: Campaign) -> Facts:
    """Read the campaign's state for the pre-flight check (counts and a few examples only)."""
    live_pre = (Ticket.campaign_id == campaign.id, Ticket.book_line_id.is_not(None),
                Ticket.status != TicketStatus.VOIDED)
    result = Facts()
    result.book_lines = _count(sa.select(BookLine.id).where(BookLine.campaign_id == campaign.id))
    result.pre_referenced = _count(sa.select(Ticket.id).where(*live_pre))
    # Goods held elsewhere are not counted on site: they get no ticket (services.tickets.generate).
    result.lines_without_ticket = _count(sa.select(BookLine.id).where(
        BookLine.campaign_id == campaign.id, BookLine.owner != Owner.AT_THIRD_PARTY,
        BookLine.id.not_in(sa.select(Ticket.book_line_id).where(*live_pre))))
    result.teams = [(number, round_, bool(active)) for number, round_, active in db.session.execute(
        sa.select(Team.number, Team.round, User.active).join(User, User.id == Team.leader_id)
        .where(Team.campaign_id == campaign.id).order_by(Team.number))]
    for round_, column in ((1, Ticket.team1_id), (2, Ticket.team2_id)):
        where = (*live_pre, column.is_(None))
        count = _count(sa.select(Ticket.id).where(*where))
        first = db.session.scalars(sa.select(Ticket.sequence).where(*where).order_by(Ticket.sequence)
                                   .limit(EXAMPLES)).all()
        result.not_issued[round_] = (count, [numbering.format_number(n, campaign.fiscal_year) for n in first])
    result.instructions_version = db.session.scalar(
        sa.select(sa.func.max(InstructionsVersion.version)).where(InstructionsVersion.campaign_id == campaign.id))
    return result


def check(campaign: Campaign) -> list[Missing]:
    """What is missing before the campaign may start counting."""
    found = missing(facts(campaign))
    from .cycles import year_end_missing

    # Combined with a cycle-count programme (issue 21): the items left to year end must be in this stock.
    items = year_end_missing(campaign)
    if items:
        found.append(Missing("cycle_items", Nn_("%(num)s item the cycle-count programme leaves to the year-end "
                                                "count is not in the book stock: %(items)s.",
                                                "%(num)s items the cycle-count programme leaves to the year-end "
                                                "count are not in the book stock: %(items)s."),
                             {"num": len(items), "items": _examples(items[:EXAMPLES], len(items))}))
    return found


# --- the campaign's steps, for its home page -----------------------------------------------------

@dataclass
class Step:
    key: str
    done: bool


def open_tickets(campaign: Campaign) -> int:
    """Tickets whose count is not over: neither final nor voided (blank tickets never used are not work left)."""
    unused_blank = sa.and_(Ticket.is_blank, Ticket.status.in_((TicketStatus.CREATED, TicketStatus.ISSUED)))
    return _count(sa.select(Ticket.id).where(
        Ticket.campaign_id == campaign.id, Ticket.status.not_in((TicketStatus.FINAL, TicketStatus.VOIDED)),
        sa.not_(unused_blank)))


def _status_at_least(campaign: Campaign, status: CampaignStatus) -> bool:
    order = list(CampaignStatus)
    return order.index(campaign.status) >= order.index(status)


def steps(campaign: Campaign, found: Facts | None = None) -> list[Step]:
    """Every step of the campaign in order, ticked when done."""
    from . import reconciliation

    found = found or facts(campaign)
    gaps = {m.key for m in missing(found)}
    printed = db.session.scalar(sa.select(AuditEvent.id).where(
        AuditEvent.campaign_id == campaign.id, AuditEvent.action == "tickets.print").limit(1)) is not None
    started = _status_at_least(campaign, CampaignStatus.COUNTING)
    counted = _status_at_least(campaign, CampaignStatus.RECONCILING)
    recounts = _count(sa.select(Ticket.id).where(Ticket.campaign_id == campaign.id,
                                                   Ticket.status == TicketStatus.RECOUNT))
    # Once counting has started the set-up is history: a ticket voided since (its line without a live
    # ticket) or a team changed does not reopen it.
    set_up = lambda done: done or started  # noqa: E731
    return [
        Step("settings", bool(campaign.person_in_charge and campaign.company)),
        Step("stock", set_up("book_stock" not in gaps)),
        Step("teams", set_up(not gaps & {"team_round1", "team_round2", "leaders"})),
        Step("instructions", set_up("instructions" not in gaps)),
        Step("generate", set_up("tickets" not in gaps)),
        Step("print", set_up(printed)),
        Step("issue", set_up(bool(found.pre_referenced) and not gaps & {"issued_round1", "issued_round2"})),
        Step("start", started),
        Step("progress", counted),
        Step("third_counts", counted and not recounts),
        Step("reconciliation", reconciliation.sign_state(campaign).signed),
        Step("report", campaign.status == CampaignStatus.CLOSED),
        Step("close", campaign.status == CampaignStatus.CLOSED),
    ]
