"""The demo campaign: built through the real services, it leaves every page with something to show.

It doubles as a smoke test over every area: each role opens every page that takes no other
parameter than the campaign, in French and in English, and none of them fails.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import Count, Ticket, TicketStatus
from countapp.services import campaigns
from countapp.services.demo import CODE, load_demo

DEMO_PASSWORD = "demo-pass-for-tests"


@pytest.fixture
def demo(app):
    load_demo(lines=120, password=DEMO_PASSWORD)
    return campaigns.get(CODE)


def _statuses(campaign) -> dict[TicketStatus, int]:
    return dict(db.session.execute(sa.select(Ticket.status, sa.func.count()).where(
        Ticket.campaign_id == campaign.id).group_by(Ticket.status)).all())


def test_demo_campaign_is_counting_with_every_ticket_state(demo):
    statuses = _statuses(demo)
    assert demo.status.value == "counting"
    for status in (TicketStatus.ISSUED, TicketStatus.COUNTED_1, TicketStatus.FINAL, TicketStatus.RECOUNT,
                   TicketStatus.VOIDED):
        assert statuses.get(status, 0) > 0, (status, statuses)
    blank_counted = db.session.scalar(sa.select(sa.func.count()).select_from(Count).join(
        Ticket, Ticket.id == Count.ticket_id).where(Ticket.campaign_id == demo.id, Ticket.is_blank))
    assert blank_counted == 1


def test_demo_instructions_are_issued_and_partly_acknowledged(demo):
    from countapp.services import instructions

    version = instructions.latest_version(demo)
    assert version is not None and version.version == 1
    assert not instructions.missing(demo)
    status = instructions.ack_status(demo, version)
    assert status is not None
    assert len(instructions.acks(version)) == 3


def test_demo_runs_twice_without_change(demo):
    before = _statuses(demo)
    message = load_demo(lines=120, password=DEMO_PASSWORD)
    assert "already there" in message
    assert _statuses(demo) == before


def _campaign_pages(app) -> list[str]:
    """Every GET page whose only parameter is the campaign code (or none)."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or set(rule.arguments) - {"code"}:
            continue
        if re.search(r"(logout|download|export|\.pdf|\.csv|\.xlsx|\.zip|/api/)", rule.rule):
            continue
        pages.append(rule.rule.replace("<code>", CODE))
    return sorted(pages)


@pytest.mark.parametrize("login", ["manager", "centraliser", "auditor", "leader1", "counter5"])
def test_every_page_opens_for_every_role_in_both_languages(app, demo, login):
    client = app.test_client()
    response = client.post("/login", data={"login": login, "password": DEMO_PASSWORD})
    assert response.status_code in (302, 303)
    pages = _campaign_pages(app)
    assert len(pages) > 10
    for language in ("fr", "en"):
        for page in pages:
            response = client.get(page, headers={"Accept-Language": language})
            # a role may be refused a page (403) or sent elsewhere, never a server error
            assert response.status_code in (200, 302, 303, 403, 404), (login, language, page, response.status_code)
            if response.status_code == 404:
                assert CODE not in page, (login, page)
