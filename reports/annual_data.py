"""The annual inventory report's plain data: what the app gathers, what the PDF and XLSX lay out.

Pure dataclasses (and the engine's ``Reconciliation`` and entries frame): no Flask, no database.
The app fills them (``countapp.services.annual_report``); ``reports.annual_stats`` computes the
derived figures (count statistics, indicators, largest differences) from plain frames; the
typesetting modules only read them. Every money figure is a ``Decimal`` rounded to the cent, as
the engine gives it; rates are ``Decimal`` fractions (0.975), days ``Decimal`` with one decimal.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from .reconcile import Reconciliation

# The texts the person in charge writes (DOMAIN.md, "The annual inventory report"), in report order.
TEXT_KEYS = ("narrative", "difficulties", "solutions", "proposals")


@dataclass
class Header:
    """Who, what and when: the cover and the running header."""

    company: str
    campaign_code: str
    campaign_name: str
    fiscal_year: int
    count_date: dt.date
    closing_date: dt.date
    language: str = "fr"
    valuation: str = "wac"
    person_in_charge: str = ""
    generated_at: dt.datetime | None = None
    timezone: str = "UTC"
    currency: str = "€"


@dataclass
class PlannedTeam:
    number: int
    round: int
    leader: str = ""
    members: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    start: dt.datetime | None = None
    end: dt.datetime | None = None


@dataclass
class Plan:
    """What the written instructions planned (the last issued version, else the current draft)."""

    version: int | None = None              # issued version shown; None: the draft
    issued_on: dt.date | None = None
    person_in_charge: str = ""
    centraliser: str = ""
    count_start: dt.datetime | None = None
    count_end: dt.datetime | None = None
    freeze_from: dt.datetime | None = None
    freeze_to: dt.datetime | None = None
    places: int = 0
    extra_places: int = 0
    zones: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    teams: list[PlannedTeam] = field(default_factory=list)
    auditors: list[str] = field(default_factory=list)


@dataclass
class TeamActivity:
    """What a team actually did, read from its counts' timestamps (``team`` None: third counts)."""

    team: int | None
    round: int
    leader: str = ""
    counts: int = 0
    people: int = 0
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    hours: Decimal = Decimal("0.0")      # time between first and last count, summed day by day
    days: list[dt.date] = field(default_factory=list)

    @property
    def per_hour(self) -> Decimal | None:
        return (Decimal(self.counts) / self.hours).quantize(Decimal("0.1")) if self.hours > 0 else None


@dataclass
class Actual:
    """What actually happened: dates, teams and hours from the count timestamps."""

    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    days: list[dt.date] = field(default_factory=list)
    teams: list[TeamActivity] = field(default_factory=list)
    counts: int = 0                          # count entries (originals)
    corrections: int = 0                     # entries that superseded another
    imported: int = 0                        # entries transcribed from paper parts
    people: int = 0                          # distinct names on the counts


@dataclass
class RangeRow:
    team: int
    round: int
    first: str
    last: str
    issued: int
    counted: int
    voided: int
    returned: int
    missing: int
    missing_numbers: str = ""


@dataclass
class VoidRow:
    ticket: str
    reason: str
    by: str = ""
    at: dt.datetime | None = None


@dataclass
class TicketControl:
    """Ticket control: every issued number used, voided or returned; what is missing."""

    generated: int = 0
    highest: str = ""
    ranges: list[RangeRow] = field(default_factory=list)
    voids: list[VoidRow] = field(default_factory=list)
    gaps: str = ""
    not_issued: str = ""

    @property
    def issued(self) -> int:
        return sum(r.issued for r in self.ranges)

    @property
    def counted(self) -> int:
        return sum(r.counted for r in self.ranges)

    @property
    def voided_in_ranges(self) -> int:
        return sum(r.voided for r in self.ranges)

    @property
    def returned(self) -> int:
        return sum(r.returned for r in self.ranges)

    @property
    def missing(self) -> int:
        return sum(r.missing for r in self.ranges)

    @property
    def ok(self) -> bool:
        return self.missing == 0 and not self.gaps


@dataclass
class RateRow:
    """Counts of a group of tickets (all, a team, a zone) and the rates read from them."""

    key: str
    round: int | None = None
    tickets: int = 0               # tickets of the group with at least one count
    both: int = 0                  # with counts 1 and 2
    exact: int = 0                 # counts 1 and 2 equal
    within: int = 0                # counts 1 and 2 within the tolerance between counts
    third_needed: int = 0          # a third count was called for (counts apart or far from book)
    third_done: int = 0

    @staticmethod
    def _rate(n: int, d: int) -> Decimal | None:
        return (Decimal(n) / Decimal(d)).quantize(Decimal("0.0001")) if d else None

    @property
    def agreement_rate(self) -> Decimal | None:
        return self._rate(self.within, self.both)

    @property
    def exact_rate(self) -> Decimal | None:
        return self._rate(self.exact, self.both)

    @property
    def third_rate(self) -> Decimal | None:
        return self._rate(self.third_needed, self.both)


@dataclass
class ProgressPoint:
    """Counts entered by a given time, per round (cumulative)."""

    at: dt.datetime
    round: int
    counted: int


@dataclass
class CountStats:
    overall: RateRow = field(default_factory=lambda: RateRow("all"))
    by_team: list[RateRow] = field(default_factory=list)
    by_zone: list[RateRow] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)     # counts_disagree / far_from_book
    pending_third: int = 0
    progress: list[ProgressPoint] = field(default_factory=list)


@dataclass
class ThirdCountRow:
    ticket: str
    reference: str = ""
    location: str = ""
    zone: str = ""
    count1: Decimal | None = None
    count2: Decimal | None = None
    count3: Decimal | None = None
    reasons: str = ""              # comma-separated reason codes
    status: str = ""
    decision: str = ""             # accept_count_1 | accept_count_2 | accept_book | ""
    decision_reason: str = ""


@dataclass
class IndicatorRow:
    """Stock indicators of one category (DOMAIN.md, Stock indicators)."""

    category: str
    opening_value: Decimal | None = None
    purchases: Decimal | None = None
    purchases_source: str = ""      # "opening" (the opening file) | "movements" (receipts) | ""
    closing_value: Decimal = Decimal("0.00")
    consumed: Decimal | None = None          # opening + purchases − closing
    average_stock: Decimal | None = None     # (opening + closing) / 2
    rotation_days: Decimal | None = None     # average stock / consumed × 365
    coverage_days: Decimal | None = None     # closing stock / consumed × 365
    dormant_lines: int = 0
    dormant_value: Decimal = Decimal("0.00")


@dataclass
class SignOffInfo:
    """The reconciliation's sign-off (by the manager) as it stands when the report is made."""

    signed: bool = False
    name: str = ""
    at: dt.datetime | None = None


@dataclass
class ClosingInfo:
    """Set on the report frozen at closing: who closed, and what was overridden, with the reason."""

    closed_at: dt.datetime
    closed_by: str = ""
    override_reason: str = ""
    unaccounted: list[str] = field(default_factory=list)     # ticket numbers or runs, with team and round
    pending_third: list[str] = field(default_factory=list)


@dataclass
class CycleClassRow:
    """Cycle counts of one class (``abc_class`` "" for all): rates as fractions (0.975), values to the cent."""

    abc_class: str
    lines: int = 0
    counted_once: int = 0
    coverage: Decimal | None = None
    overdue: int = 0
    counts: int = 0
    within: int = 0
    accuracy: Decimal | None = None
    difference_value: Decimal = Decimal("0.00")
    net_value: Decimal = Decimal("0.00")


@dataclass
class CycleCoverage:
    """A combined year: what the cycle-count programme of the fiscal year covered (issue 21)."""

    code: str
    rows: list[CycleClassRow] = field(default_factory=list)     # per class, then the total
    items_counted: int = 0
    items_total: int = 0
    year_end_items: int = 0
    adjustments: int = 0
    adjustments_value: Decimal = Decimal("0.00")
    counted_by_neither: list[str] = field(default_factory=list)


@dataclass
class Limits:
    """How many rows the PDF lists before pointing to the workbook (the XLSX has every row)."""

    largest: int = 25
    not_counted: int = 200
    third_counts: int = 200
    voids: int = 200
    dormant: int = 25


@dataclass
class AnnualReport:
    header: Header
    reconciliation: Reconciliation
    entries: pd.DataFrame
    plan: Plan = field(default_factory=Plan)
    actual: Actual = field(default_factory=Actual)
    tickets: TicketControl = field(default_factory=TicketControl)
    stats: CountStats = field(default_factory=CountStats)
    third_counts: list[ThirdCountRow] = field(default_factory=list)
    indicators: list[IndicatorRow] = field(default_factory=list)
    dormant_days: int = 365
    texts: dict[str, str] = field(default_factory=dict)
    sign_off: SignOffInfo = field(default_factory=SignOffInfo)
    closing: ClosingInfo | None = None
    limits: Limits = field(default_factory=Limits)
    cycles: CycleCoverage | None = None      # only when a cycle-count programme covers the fiscal year

    @property
    def is_final(self) -> bool:
        return self.closing is not None
