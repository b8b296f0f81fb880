"""The plain data the written count instructions are made from (DOMAIN.md, The campaign).

The app fills these from the campaign, its settings, its users and the imported stock; nothing
here knows where the data came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping, NamedTuple

LANGUAGES = ("fr", "en")
AUDITOR_KINDS = ("internal_audit", "chartered_accountant", "statutory_auditor")
VALUATION_METHODS = ("book", "wac", "fifo", "lifo")


class Place(NamedTuple):
    """One place to count: a location inside a zone of a site (plain tuples work too)."""

    site: str
    zone: str
    location: str


class Auditor(NamedTuple):
    """An auditor taking part; ``kind`` is one of AUDITOR_KINDS (other text is shown as is)."""

    kind: str
    name: str
    firm: str = ""


class Holding(NamedTuple):
    """Goods held for or by another party: who, and how many book lines."""

    party: str
    lines: int


@dataclass
class Team:
    """A counting team: one round, a leader, members, zones and its time slot."""

    number: int
    round: int
    leader: str | None = None
    members: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None


@dataclass
class InstructionsData:
    """Everything the instructions document shows; ``issued_on`` None means a draft."""

    campaign_code: str
    fiscal_year: int
    company_name: str
    language: str = "fr"
    person_in_charge: str | None = None
    person_in_charge_title: str | None = None  # function, e.g. "Directeur financier"
    committee: list[str] = field(default_factory=list)
    centraliser: str | None = None  # receives the count parts and directs third counts
    count_date: date | None = None  # the count date of the campaign (cut-off reference)
    # Zones (or sites) counted on another day: code -> date (settings [count_dates]; issue 18).
    count_dates: dict[str, date] = field(default_factory=dict)
    count_start: datetime | None = None  # first team starts (defaults to the teams' earliest)
    count_end: datetime | None = None  # last team ends (defaults to the teams' latest)
    closing_date: date | None = None
    freeze_from: datetime | None = None
    freeze_to: datetime | None = None
    places: list[Place] = field(default_factory=list)  # from the imported stock
    extra_places: list[Place] = field(default_factory=list)  # added by hand
    categories: list[str] = field(default_factory=list)  # category codes, e.g. "raw_materials"
    teams: list[Team] = field(default_factory=list)
    auditors: list[Auditor] = field(default_factory=list)
    third_party_goods: list[Holding] = field(default_factory=list)  # owners of goods on site
    goods_elsewhere: list[Holding] = field(default_factory=list)  # holders of our goods
    # Same shape as the campaign settings' [tolerance] table: between_counts, vs_book,
    # category.<code>.<between_counts|vs_book>; each a dict of qty / pct / value.
    tolerances: Mapping[str, Any] = field(default_factory=dict)
    # Same shape as the settings' [depreciation] table (percent of gross value).
    depreciation: Mapping[str, Any] = field(default_factory=dict)
    valuation: str = "wac"
    currency: str = "€"
    last_receipt_document: str | None = None
    last_shipment_document: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)  # section key -> text
    version: int | None = None
    issued_on: date | None = None
    printed_on: date | None = None  # date shown on a draft; today when None

    @property
    def is_draft(self) -> bool:
        return self.issued_on is None

    def all_places(self) -> list[tuple[Place, bool]]:
        """Every place once, in order: stock places first, then those added by hand (flag True)."""
        seen: set[Place] = set()
        out: list[tuple[Place, bool]] = []
        for places, by_hand in ((self.places, False), (self.extra_places, True)):
            for raw in places:
                place = Place(*(str(v or "").strip() for v in raw))
                if place not in seen:
                    seen.add(place)
                    out.append((place, by_hand))
        return out
