"""A campaign's life from the browser and the command line: created from a form, started after the
pre-flight check (or overridden with a reason, logged), counting declared over, its home page
saying what to do next, its pages in five groups, its company settings."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import AuditEvent, CampaignStatus, Ticket, TicketStatus
from countapp.services import campaigns, instructions, tickets

from ..scenario import build_scenario

CODE = "FY2025"


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.seq)))


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture
def planned(app, tmp_path):
    """FY2025 in planning: stock, teams for both rounds, tickets generated; nothing issued, no instructions."""
    return build_scenario(tmp_path, issue=False, start=False)


@pytest.fixture
def ready(app, tmp_path):
    scenario = build_scenario(tmp_path, start=False)
    instructions.issue(CODE, allow_missing=True)
    return scenario


def _manager(app, login_as, scenario):
    client = app.test_client()
    login_as(client, scenario.users["manager"])
    return client


# --- countapp campaign start -------------------------------------------------------------------

def test_start_refuses_a_campaign_that_is_not_ready_naming_each_missing_item(planned, runner):
    result = runner.invoke(args=["campaign", "start", CODE])
    assert result.exit_code == 1
    assert "not ready to start counting" in result.output
    for round_ in (1, 2):   # 5 pre-referenced tickets; the 2 blank ones need not be issued
        assert f"5 tickets are not issued to a round {round_} team (000001/2025, 000002/2025, 000003/2025, " \
               "000004/2025, 000005/2025)." in result.output
    assert "The written instructions have not been issued." in result.output
    assert campaigns.get(CODE).status == CampaignStatus.PLANNING
    assert not events("campaign.start") and not events("campaign.status")


def test_start_with_an_override_reason_starts_and_logs_reason_and_missing_items(planned, runner):
    result = runner.invoke(args=["campaign", "start", CODE, "--override-reason", "Paper tickets handed out by hand"])
    assert result.exit_code == 0, result.output
    assert campaigns.get(CODE).status == CampaignStatus.COUNTING
    [event] = events("campaign.start")
    assert event.after["override_reason"] == "Paper tickets handed out by hand"
    assert any("not issued to a round 2 team" in m for m in event.after["missing"])
    again = runner.invoke(args=["campaign", "start", CODE])
    assert again.exit_code == 1 and "not in planning" in again.output


def test_start_accepts_a_ready_campaign(ready, runner):
    result = runner.invoke(args=["campaign", "start", CODE])
    assert result.exit_code == 0, result.output
    assert "is counting." in result.output
    assert campaigns.get(CODE).status == CampaignStatus.COUNTING
    assert events("campaign.start")[0].after["override_reason"] == ""


def test_start_of_an_unknown_campaign_fails(app, runner):
    result = runner.invoke(args=["campaign", "start", "NOPE"])
    assert result.exit_code == 1 and "Unknown campaign NOPE" in result.output


def test_a_team_whose_leader_is_disabled_is_named(ready):
    from countapp.models import User

    user = db.session.scalar(sa.select(User).where(User.login == "lead2"))
    user.active = False
    db.session.commit()
    from countapp.services import readiness

    [item] = readiness.check(campaigns.get(CODE))
    assert item.key == "leaders" and "2" in item.render()


# --- counting is over ------------------------------------------------------------------------

def test_finish_counting_needs_confirmation_while_tickets_are_open(ready, runner):
    campaigns.start(CODE)
    refused = runner.invoke(args=["campaign", "finish-counting", CODE])
    assert refused.exit_code == 1 and "5 tickets of campaign FY2025 are still open" in refused.output
    assert campaigns.get(CODE).status == CampaignStatus.COUNTING
    done = runner.invoke(args=["campaign", "finish-counting", CODE, "--confirm"])
    assert done.exit_code == 0, done.output
    assert campaigns.get(CODE).status == CampaignStatus.RECONCILING
    assert events("campaign.finish_counting")[0].after["open_tickets"] == 5


def test_counting_is_over_is_offered_when_every_ticket_is_final(ready, app, login_as):
    campaigns.start(CODE)
    campaign = campaigns.get(CODE)
    db.session.execute(sa.update(Ticket).where(Ticket.campaign_id == campaign.id, ~Ticket.is_blank)
                       .values(status=TicketStatus.FINAL))
    db.session.commit()
    manager = _manager(app, login_as, ready)
    page = text(manager.get(f"/campaigns/{CODE}"))
    assert "Every ticket is final or voided" in page and 'name="confirm"' not in page
    response = manager.post(f"/campaigns/{CODE}/finish-counting", data={})
    assert response.status_code == 302
    assert campaigns.get(CODE).status == CampaignStatus.RECONCILING
    page = text(manager.get(f"/campaigns/{CODE}"))
    assert 'id="finish"' not in page and 'id="progress"' in page
    assert re.search(r'class="step done" data-step="progress"', page)
    assert re.search(r'class="step done" data-step="third_counts"', page)     # no third count pending
    assert re.search(r'class="step" data-step="reconciliation"', page)         # not signed off yet


def test_counting_is_over_from_the_page_names_the_open_tickets_and_needs_the_box(ready, app, login_as):
    campaigns.start(CODE)
    manager = _manager(app, login_as, ready)
    page = text(manager.get(f"/campaigns/{CODE}"))
    assert "5 tickets are still open" in page and 'name="confirm"' in page
    refused = manager.post(f"/campaigns/{CODE}/finish-counting", data={},
                           headers={"Referer": f"/campaigns/{CODE}"}, follow_redirects=True)
    assert "still open" in text(refused) and campaigns.get(CODE).status == CampaignStatus.COUNTING
    manager.post(f"/campaigns/{CODE}/finish-counting", data={"confirm": "y"})
    assert campaigns.get(CODE).status == CampaignStatus.RECONCILING


# --- the home page and the start button ------------------------------------------------------

def test_home_page_lists_what_is_missing_and_the_next_steps_with_links(planned, app, login_as):
    manager = _manager(app, login_as, planned)
    page = text(manager.get(f"/campaigns/{CODE}"))
    assert 'data-key="issued_round1"' in page and 'data-key="instructions"' in page
    assert 'data-step="stock"' in page and re.search(r'class="step done" data-step="stock"', page)
    assert re.search(r'class="step next" data-step="settings"', page)          # no person in charge yet
    assert f'href="/campaigns/{CODE}/tickets/ranges"' in page and f'href="/campaigns/{CODE}/instructions"' in page
    assert "Start counting anyway" in page and 'name="override_reason"' in page


def test_the_start_button_refuses_without_reason_then_starts_with_one(planned, app, login_as):
    manager = _manager(app, login_as, planned)
    refused = manager.post(f"/campaigns/{CODE}/start", data={"override_reason": "  "}, follow_redirects=True)
    assert "Counting has not started" in text(refused)
    assert campaigns.get(CODE).status == CampaignStatus.PLANNING
    manager.post(f"/campaigns/{CODE}/start", data={"override_reason": "Ranges handed out on paper"})
    assert campaigns.get(CODE).status == CampaignStatus.COUNTING
    assert events("campaign.start")[0].after["override_reason"] == "Ranges handed out on paper"
    assert events("campaign.start")[0].user_login == "manager"


def test_a_ready_campaign_shows_one_start_button_and_then_progress(ready, app, login_as):
    manager = _manager(app, login_as, ready)
    page = text(manager.get(f"/campaigns/{CODE}"))
    assert "Everything is ready" in page and "Start counting anyway" not in page
    manager.post(f"/campaigns/{CODE}/start", data={})
    assert campaigns.get(CODE).status == CampaignStatus.COUNTING
    page = text(manager.get(f"/campaigns/{CODE}"))
    assert 'class="round-progress" data-round="1"' in page and "0 / 7" in page
    assert re.search(r'class="step done" data-step="start"', page)


@pytest.mark.parametrize("role", ["centraliser", "auditor", "leader", "counter"])
def test_only_the_manager_starts_counting(ready, client_as, role):
    # In a team of the campaign (web.scope): outside every team it would not see the campaign at all.
    other = client_as(role, team=1, campaign=CODE) if role in ("leader", "counter") else client_as(role)
    assert "Start counting anyway" not in text(other.get(f"/campaigns/{CODE}"))
    assert other.post(f"/campaigns/{CODE}/start", data={}).status_code == 403
    assert campaigns.get(CODE).status == CampaignStatus.PLANNING


# --- creating and editing a campaign -----------------------------------------------------------

def test_first_run_says_what_to_do_and_the_manager_creates_a_campaign(app, client_as):
    manager = client_as("manager")
    index = text(manager.get("/"))
    assert "No campaign yet: start here" in index and 'href="/campaigns/new"' in index
    form = text(manager.get("/campaigns/new"))
    assert 'name="code"' in form and "LIFO is refused" in form
    response = manager.post("/campaigns/new", data={
        "code": "FY2026", "name": "Year end", "fiscal_year": "2026", "count_date": "2026-12-30",
        "closing_date": "2026-12-31", "valuation": "lifo", "language": "en"}, follow_redirects=True)
    page = text(response)
    assert "Campaign FY2026 created" in page and "LIFO is refused" in page
    campaign = campaigns.get("FY2026")
    assert (campaign.fiscal_year, campaign.valuation.value, campaign.language) == (2026, "lifo", "en")
    assert events("campaign.create")[0].user_login == manager.user.login
    assert 'href="/campaigns/new"' in text(manager.get("/"))


def test_the_form_names_the_field_at_fault_and_keeps_what_was_typed(app, client_as, make_campaign):
    make_campaign()
    manager = client_as("manager")
    data = {"code": "FY2025", "fiscal_year": "2025", "count_date": "2025-12-30", "closing_date": "2025-12-31",
            "valuation": "wac", "language": "fr"}
    page = text(manager.post("/campaigns/new", data=data))
    assert "A campaign FY2025 already exists." in page and 'value="2025-12-30"' in page
    page = text(manager.post("/campaigns/new", data={**data, "code": "FY2026", "count_date": "2027-01-05"}))
    assert "days from the closing date" in page
    page = text(manager.post("/campaigns/new", data={**data, "code": "new"}))
    assert "names a page of the application" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(campaigns.Campaign)) == 1


@pytest.mark.parametrize("role", ["centraliser", "auditor", "leader", "counter"])
def test_only_managers_create_campaigns(app, client_as, role):
    other = client_as(role)
    assert other.get("/campaigns/new").status_code == 403
    assert 'href="/campaigns/new"' not in text(other.get("/", follow_redirects=True))


def test_settings_keep_siren_and_time_zone_in_the_company_table(app, client_as, make_campaign, runner):
    make_campaign()
    manager = client_as("manager")
    page = text(manager.get(f"/campaigns/{CODE}/settings"))
    assert 'value="Europe/Paris"' in page and 'list="time-zones"' in page
    form = {"name": "Year end", "company": "Ateliers SAS", "siren": "123 456 789", "time_zone": "America/Cayenne",
            "person_in_charge": "Marie", "fiscal_year": "2025", "count_date": "2025-12-30",
            "closing_date": "2025-12-31", "valuation": "wac", "language": "fr", "slow_moving_days": "365"}
    assert manager.post(f"/campaigns/{CODE}/settings", data=form).status_code == 302
    campaign = campaigns.get(CODE)
    assert campaign.company == "Ateliers SAS" and campaign.count_date.day == 30
    assert campaign.settings["company"] == {"siren": "123456789", "time_zone": "America/Cayenne"}
    shown = runner.invoke(args=["campaign", "show", CODE]).output
    assert '[company]\nname = "Ateliers SAS"\nsiren = "123456789"\ntime_zone = "America/Cayenne"' in shown
    bad = text(manager.post(f"/campaigns/{CODE}/settings", data={**form, "time_zone": "Europe/Lutece"}))
    assert "must be a time zone name such as Europe/Paris, not Europe/Lutece" in bad
    assert campaigns.get(CODE).settings["company"]["time_zone"] == "America/Cayenne"


def test_settings_still_save_during_counting_but_dates_stay_frozen(ready, app, login_as):
    campaigns.start(CODE)
    manager = _manager(app, login_as, ready)
    page = text(manager.get(f"/campaigns/{CODE}/settings"))
    assert "Dates are frozen once counting has started." in page and "readonly" in page
    form = {"name": "", "company": "Ateliers", "siren": "", "time_zone": "Europe/Paris", "person_in_charge": "Marie",
            "fiscal_year": "2025", "count_date": "2025-12-28", "closing_date": "2025-12-31", "valuation": "wac",
            "language": "fr", "slow_moving_days": "365"}
    assert manager.post(f"/campaigns/{CODE}/settings", data=form).status_code == 302
    assert campaigns.get(CODE).person_in_charge == "Marie"
    moved = text(manager.post(f"/campaigns/{CODE}/settings", data={**form, "count_date": "2025-12-29"}))
    assert "cannot change once counting has started" in moved
    assert campaigns.get(CODE).count_date.day == 28


def test_the_fiscal_year_changes_in_planning_only_until_tickets_are_numbered(planned, app, make_campaign):
    from tickets.errors import CountappError

    with pytest.raises(CountappError, match="already numbered for 2025"):
        campaigns.configure(campaigns.get(CODE), {"fiscal_year": 2026, "count_date": campaigns.get(CODE).count_date})
    other = make_campaign("FY2030", year=2030)
    campaigns.configure(other, {"fiscal_year": 2031, "count_date": other.count_date.replace(year=2031),
                                "closing_date": other.closing_date.replace(year=2031)})
    assert campaigns.get("FY2030").fiscal_year == 2031


# --- navigation ---------------------------------------------------------------------------------

def _groups(page: str) -> list[str]:
    return re.findall(r'data-group="(\w+)"', page)


def _pages(page: str) -> list[str]:
    return re.findall(r'data-page="(\w+)"', page)


def test_staff_see_five_groups_in_order_and_the_current_groups_pages(ready, app, login_as):
    manager = _manager(app, login_as, ready)
    home = text(manager.get(f"/campaigns/{CODE}"))
    assert _groups(home) == ["setup", "counting", "centralisation", "results", "audit"]
    assert _pages(home) == []
    ranges = text(manager.get(f"/campaigns/{CODE}/tickets/ranges"))
    assert _pages(ranges) == ["settings", "imports", "teams", "instructions", "tickets", "print", "ranges"]
    assert re.search(r'data-page="ranges"\s+class="active"', ranges)
    assert re.search(r'class="campnav-group active" href="/campaigns/FY2025/settings"', ranges)


def test_teams_see_only_what_they_may_use(ready, app, login_as):
    counter = app.test_client()
    login_as(counter, ready.users["ann"])
    page = text(counter.get(f"/campaigns/{CODE}/instructions"))
    assert _groups(page) == ["setup", "counting"]
    assert 'href="/count/FY2025"' in page and "/settings" not in page
    leader = app.test_client()
    login_as(leader, ready.users["lead1"])
    page = text(leader.get(f"/campaigns/{CODE}/recounts"))
    assert _groups(page) == ["setup", "counting", "centralisation"]
    assert 'href="/count/FY2025/progress"' in page and "/centralisation\"" not in page


def test_auditor_reads_the_groups_but_not_print(ready, app, client_as):
    auditor = client_as("auditor")
    page = text(auditor.get(f"/campaigns/{CODE}/tickets"))
    assert "print" not in _pages(page) and "ranges" in _pages(page)
