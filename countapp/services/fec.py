"""The entries as the statutory FEC file (reports.fec): what ``countapp entries --format fec`` and the
report page's download write.

The FEC is a French file whatever the campaign's language: its entry labels are the French ones.
``ValidDate`` is the day the reconciliation was signed off, in the campaign's time zone.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from reports.entries import build_entries
from reports.fec import fec_bytes, fec_filename

from tickets import timezones

from .. import campaign_settings
from ..models import Campaign


@dataclass
class FecFile:
    name: str
    data: bytes
    entries: pd.DataFrame
    valid_date: dt.date | None
    siren: str


def _local_date(campaign: Campaign, at: dt.datetime) -> dt.date:
    return timezones.local(at, campaign_settings.time_zone(campaign.settings)).date()


def sign_off_date(campaign: Campaign) -> dt.date | None:
    from . import reconciliation

    state = reconciliation.sign_state(campaign)
    if not state.signed or state.last is None or state.last.at is None:
        return None
    return _local_date(campaign, state.last.at)


def build(campaign: Campaign) -> FecFile:
    """The FEC of the campaign's closing entries (journal INV, closing date)."""
    from . import annual_report

    result = annual_report.reconciliation_result(campaign)
    entries = build_entries(result.by_category, annual_report.opening_frame(campaign), campaign.closing_date, "fr")
    valid = sign_off_date(campaign)
    siren = str(((campaign.settings or {}).get("company") or {}).get("siren") or "")
    data = fec_bytes(entries, closing_date=campaign.closing_date, piece_ref=f"INVENTAIRE-{campaign.code}",
                     valid_date=valid)
    return FecFile(fec_filename(siren, campaign.closing_date, campaign.code), data, entries, valid, siren)
