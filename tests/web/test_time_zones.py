"""Times are stored in UTC and shown in the campaign's time zone ([company] time_zone, default Europe/Paris)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from flask import render_template_string
from flask_babel import force_locale

from countapp.extensions import db
from countapp.services import campaigns
from tickets.timezones import excel, local

NEW_YEAR_EVE = datetime(2025, 12, 31, 23, 30)   # naive, as SQLite gives it back: UTC


def test_half_past_eleven_utc_on_new_year_eve_is_half_past_midnight_in_paris():
    shown = local(NEW_YEAR_EVE, "Europe/Paris")
    assert (shown.year, shown.month, shown.day, shown.hour, shown.minute) == (2026, 1, 1, 0, 30)
    assert local(NEW_YEAR_EVE.replace(tzinfo=timezone.utc), "Europe/Paris") == shown
    assert excel(NEW_YEAR_EVE, "Europe/Paris") == datetime(2026, 1, 1, 0, 30)   # a cell holds no zone
    assert local(NEW_YEAR_EVE, "Not/AZone").hour == 0 and local(None, "Europe/Paris") is None


@pytest.fixture
def two_campaigns(make_campaign):
    make_campaign("FY2025", year=2025, count_date=date(2025, 12, 31), closing_date=date(2025, 12, 31))
    other = make_campaign("NY2025", year=2025, count_date=date(2025, 12, 31), closing_date=date(2025, 12, 31))
    other.settings = {**(other.settings or {}), "company": {"time_zone": "America/New_York"}}
    db.session.commit()


@pytest.mark.parametrize(("path", "expected"), [
    ("/campaigns/FY2025/audit/log", "01/01/2026 00:30"),      # default zone: Europe/Paris
    ("/campaigns/NY2025/audit/log", "31/12/2025 18:30"),      # the campaign's own zone
    ("/users", "31/12/2025 23:30"),                           # a page of no campaign: the application's (UTC)
])
def test_pages_show_times_in_the_campaigns_zone(app, two_campaigns, path, expected):
    with app.test_request_context(path), force_locale("fr"):
        shown = render_template_string("{{ moment|datetime('short') }}", moment=NEW_YEAR_EVE)
    assert shown.replace("\u202f", " ") == expected


def test_the_annual_report_reads_times_in_the_campaigns_zone(app, two_campaigns):
    from countapp.services import annual_report

    assert annual_report.header(campaigns.get("FY2025")).timezone == "Europe/Paris"
    assert annual_report.header(campaigns.get("NY2025")).timezone == "America/New_York"


def test_an_earlier_count_is_named_with_its_local_time(app, two_campaigns):
    from countapp.models import Count
    from countapp.services import counting

    count = Count(counted_at=NEW_YEAR_EVE)
    count.ticket_id = None
    assert counting._when(count).startswith("2026-01-01 00:30 ")   # no ticket: the default zone
