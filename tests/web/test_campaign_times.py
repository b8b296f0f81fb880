"""Times on a campaign's pages are the campaign's (its ``[company] time_zone``), as on the tablet; elsewhere
the application's (UTC). Stored times are UTC."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import render_template_string

from countapp.extensions import db

AT = datetime(2025, 12, 31, 4, 45)          # as stored: naive UTC


def shown(app, **context) -> str:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return render_template_string("{{ at|datetime }}", **context)


def test_a_campaign_page_shows_the_campaign_s_time(app, make_campaign):
    campaign = make_campaign()                                  # Europe/Paris by default
    assert "5:45" in shown(app, at=AT, campaign=campaign)
    assert "5:45" in shown(app, at=AT.replace(tzinfo=timezone.utc), campaign=campaign)
    campaign.settings = {**(campaign.settings or {}), "company": {"time_zone": "America/Cayenne"}}
    db.session.commit()
    assert "1:45" in shown(app, at=AT, campaign=campaign)


def test_a_page_without_a_campaign_keeps_the_application_s_time(app):
    assert "4:45" in shown(app, at=AT)
    assert shown(app, at=None) == "—"
