"""InstructionsData to and from plain JSON values, so an issued version keeps exactly what it said.

The app stores each issued version's data next to its PDF; comparing the stored data with the
current draft (``content``) tells whether anything changed since the last issue.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping

from .model import Auditor, Holding, InstructionsData, Place, Team

DATE_FIELDS = ("count_date", "closing_date", "issued_on", "printed_on")
DATETIME_FIELDS = ("count_start", "count_end", "freeze_from", "freeze_to")
# What differs between two printings of the same content: left out when comparing.
VOLATILE = ("version", "issued_on", "printed_on")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def to_dict(data: InstructionsData) -> dict:
    """Only JSON types (str, int, bool, None, lists, dicts): what a JSON column gives back unchanged."""
    out: dict[str, Any] = {
        "campaign_code": data.campaign_code, "fiscal_year": data.fiscal_year, "company_name": data.company_name,
        "language": data.language, "person_in_charge": data.person_in_charge,
        "person_in_charge_title": data.person_in_charge_title, "committee": list(data.committee),
        "centraliser": data.centraliser,
        "places": [list(Place(*p)) for p in data.places],
        "extra_places": [list(Place(*p)) for p in data.extra_places],
        "categories": list(data.categories),
        "teams": [{"number": t.number, "round": t.round, "leader": t.leader, "members": list(t.members),
                   "zones": list(t.zones), "start": _plain(t.start), "end": _plain(t.end)} for t in data.teams],
        "auditors": [{"kind": a.kind, "name": a.name, "firm": a.firm} for a in data.auditors],
        "third_party_goods": [{"party": h.party, "lines": h.lines} for h in data.third_party_goods],
        "goods_elsewhere": [{"party": h.party, "lines": h.lines} for h in data.goods_elsewhere],
        "tolerances": _plain(dict(data.tolerances or {})),
        "depreciation": _plain(dict(data.depreciation or {})),
        "valuation": data.valuation, "currency": data.currency,
        "last_receipt_document": data.last_receipt_document,
        "last_shipment_document": data.last_shipment_document,
        "overrides": dict(data.overrides or {}), "version": data.version,
    }
    if data.count_dates:   # only when set, so that versions issued before issue 18 compare unchanged
        out["count_dates"] = {str(k): _plain(v) for k, v in sorted(data.count_dates.items())}
    for name in DATE_FIELDS + DATETIME_FIELDS:
        out[name] = _plain(getattr(data, name))
    return out


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _datetime(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def from_dict(values: Mapping[str, Any]) -> InstructionsData:
    """The InstructionsData that ``to_dict`` wrote (unknown keys are ignored)."""
    v = dict(values)
    data = InstructionsData(campaign_code=v["campaign_code"], fiscal_year=int(v["fiscal_year"]),
                            company_name=v.get("company_name") or "")
    for name in ("language", "person_in_charge", "person_in_charge_title", "centraliser", "valuation",
                 "currency", "last_receipt_document", "last_shipment_document", "version"):
        if name in v:
            setattr(data, name, v[name])
    data.committee = list(v.get("committee") or [])
    data.categories = list(v.get("categories") or [])
    data.places = [Place(*p) for p in v.get("places") or []]
    data.extra_places = [Place(*p) for p in v.get("extra_places") or []]
    data.teams = [Team(t["number"], t["round"], t.get("leader"), list(t.get("members") or []),
                       list(t.get("zones") or []), _datetime(t.get("start")), _datetime(t.get("end")))
                  for t in v.get("teams") or []]
    data.auditors = [Auditor(a.get("kind", ""), a.get("name", ""), a.get("firm", "")) for a in v.get("auditors") or []]
    data.third_party_goods = [Holding(h["party"], h["lines"]) for h in v.get("third_party_goods") or []]
    data.goods_elsewhere = [Holding(h["party"], h["lines"]) for h in v.get("goods_elsewhere") or []]
    data.tolerances = dict(v.get("tolerances") or {})
    data.depreciation = dict(v.get("depreciation") or {})
    data.overrides = dict(v.get("overrides") or {})
    data.count_dates = {str(k): _date(d) for k, d in (v.get("count_dates") or {}).items()}
    for name in DATE_FIELDS:
        setattr(data, name, _date(v.get(name)))
    for name in DATETIME_FIELDS:
        setattr(data, name, _datetime(v.get(name)))
    return data


def content(values: InstructionsData | Mapping[str, Any]) -> dict:
    """What the document says, without its version number and dates of issue or printing."""
    plain = to_dict(values) if isinstance(values, InstructionsData) else dict(values)
    return {k: v for k, v in plain.items() if k not in VOLATILE}
