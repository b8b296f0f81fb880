"""Times on a campaign's pages are the campaign's (its ``[company] time_zone``), as on the tablet; elsewhere
the application's (UTC). Stored times are UTC."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import render_template_string
from flask_babel import refresh

from countapp.extensions import db

AT = datetime(2025, 12, 31, 4, 45)          # as stored: naive UTC


def shown(app, path="/", **context) -> str:
    """``at`` as a page at ``path`` shows it (the page's campaign comes from its address)."""
    with app.test_request_context(path, headers={"Accept-Language": "en"}):
        refresh()   # the test's app context outlives each request: forget the zone the last one chose
        return render_template_string("{{ at|datetime }}", **context)


def test_a_campaign_page_shows_the_campaign_s_time(app, make_campaign):
    campaign = make_campaign()                                  # Europe/Paris by default
    page = f"/campaigns/{campaign.code}"
    assert "5:45" in shown(app, page, at=AT)
    assert "5:45" in shown(app, page, at=AT.replace(tzinfo=timezone.utc))
    campaign.settings = {**(campaign.settings or {}), "company": {"time_zone": "America/Cayenne"}}
    db.session.commit()
    assert "1:45" in shown(app, page, at=AT)


def test_a_page_without_a_campaign_keeps_the_application_s_time(app):
    assert "4:45" in shown(app, at=AT)
    assert shown(app, at=None) == "—"
