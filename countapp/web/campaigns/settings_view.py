"""Between the settings form and the settings document that ``campaign configure`` reads."""
from __future__ import annotations

from decimal import Decimal

from ... import campaign_settings
from ..labels import CATEGORIES
from .forms import SIDES, THRESHOLDS, SettingsForm, tolerance_field_name


def _number(value):
    if value is None or value == "":
        return None
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


def fill_form(form: SettingsForm, campaign) -> None:
    settings = campaign.settings or {}
    form.name.data, form.company.data = campaign.name, campaign.company
    company = {**campaign_settings.DEFAULT_COMPANY, **(settings.get("company") or {})}
    form.siren.data, form.time_zone.data = company["siren"], company["time_zone"]
    form.fiscal_year.data = campaign.fiscal_year
    form.person_in_charge.data = campaign.person_in_charge
    form.count_date.data, form.closing_date.data = campaign.count_date, campaign.closing_date
    form.valuation.data, form.language.data = campaign.valuation.value, campaign.language
    depreciation = settings.get("depreciation", {})
    for key in ("damaged", "obsolete", "expired", "slow_moving"):
        getattr(form, key).data = Decimal(str(depreciation.get(key, 0)))
    form.slow_moving_days.data = depreciation.get("slow_moving_days", 365)
    form.market_price.data = depreciation.get("market_price", True)
    tolerance = settings.get("tolerance", {})
    for scope in ("", *CATEGORIES):
        source = tolerance if not scope else tolerance.get("category", {}).get(scope, {})
        for side, _ in SIDES:
            for key, _ in THRESHOLDS:
                value = source.get(side, {}).get(key)
                getattr(form, tolerance_field_name(scope, side, key)).data = (
                    Decimal(str(value)) if value not in (None, "") else None)


COUNT_DATE_PREFIX = "count_dates-"


def count_date_rows(campaign) -> list[dict]:
    """The count dates by place the settings page edits: each site, then its zones, then any code the
    settings name that the book does not (yet): ``{"code", "kind", "site", "date"}``."""
    from ...services import campaigns as campaign_service

    own = campaign_settings.count_dates(campaign.settings)
    rows, seen = [], set()
    for site, zone, _ in campaign_service.count_dates_by_zone(campaign):
        if site not in seen:
            rows.append({"code": site, "kind": "site", "site": site, "date": own.get(site)})
            seen.add(site)
        rows.append({"code": zone, "kind": "zone", "site": site, "date": own.get(zone)})
        seen.add(zone)
    rows += [{"code": code, "kind": "", "site": "", "date": d} for code, d in own.items() if code not in seen]
    return rows


def count_dates_from(data) -> dict | None:
    """The ``count_dates-<code>`` inputs of a posted settings form as ``[count_dates]``; None when the
    page had none (a form posted without them changes nothing)."""
    given = {key[len(COUNT_DATE_PREFIX):]: (value or "").strip() for key, value in data.items()
             if key.startswith(COUNT_DATE_PREFIX)}
    return given if given else None


def settings_document(form: SettingsForm) -> dict:
    """The form as the TOML-shaped document of SPEC.md (what campaigns.configure applies)."""
    company = {"name": form.company.data or ""}
    if form.siren.data is not None:
        company["siren"] = form.siren.data.strip()
    if form.time_zone.data is not None:   # a cleared field goes back to the default rather than failing
        company["time_zone"] = form.time_zone.data.strip() or campaign_settings.DEFAULT_TIME_ZONE
    document = {
        "name": form.name.data or "", "company": company,
        "person_in_charge": form.person_in_charge.data or "", "valuation": form.valuation.data,
        "language": form.language.data, "count_date": form.count_date.data, "closing_date": form.closing_date.data,
        "depreciation": {key: _number(getattr(form, key).data) or 0
                         for key in ("damaged", "obsolete", "expired", "slow_moving")},
    }
    if form.fiscal_year.data is not None:
        document["fiscal_year"] = form.fiscal_year.data
    document["depreciation"]["slow_moving_days"] = form.slow_moving_days.data or 365
    document["depreciation"]["market_price"] = bool(form.market_price.data)
    tolerance: dict = {"category": {}}
    for scope in ("", *CATEGORIES):
        for side, _ in SIDES:
            values = {key: _number(getattr(form, tolerance_field_name(scope, side, key)).data)
                      for key, _ in THRESHOLDS}
            if scope:
                given = {k: v for k, v in values.items() if v is not None}
                if given:
                    tolerance["category"].setdefault(scope, {})[side] = given
            else:
                tolerance[side] = {k: (v if v is not None else 0) for k, v in values.items()}
    document["tolerance"] = tolerance
    return document
