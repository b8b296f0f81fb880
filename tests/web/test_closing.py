"""Closing a campaign: refused while tickets are unaccounted for or third counts pending (naming
them), a manager's override with a reason shown in the report, the report frozen with its SHA-256,
every later change refused, and reopening by a manager with a reason, logged.

The campaign is tests/web/test_report_fixtures.counted: blank ticket 000007/2025 was never used
nor returned (both rounds), and D-4's ticket 000005/2025 waits for its third count.
"""
from __future__ import annotations

import hashlib
import io
import re

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from countapp.extensions import db
from countapp.models import AuditEvent, CampaignStatus, ReportArchive, SignOff
from countapp.services import annual_report, campaigns, closing
from tickets.errors import Conflict, CountappError, Forbidden

from .test_report_fixtures import CODE, counted

BLANK, PENDING = "000007/2025", "000005/2025"


def pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text.replace("\xa0", " "))


def events(action: str | None = None) -> list[AuditEvent]:
    campaign = campaigns.get(CODE)
    query = sa.select(AuditEvent).where(AuditEvent.campaign_id == campaign.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.seq)))


@pytest.fixture
def scenario(app, tmp_path):
    return counted(tmp_path)


def test_closing_is_refused_naming_the_unaccounted_tickets_and_pending_third_counts(scenario, runner, client_as):
    result = runner.invoke(args=["campaign", "close", CODE])
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert BLANK in message and PENDING in message
    assert "unaccounted for" in message and "1 third count is pending" in message
    assert campaigns.get(CODE).status == CampaignStatus.COUNTING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportArchive)) == 0
    assert not events("campaign.close")

    manager = client_as("manager", language="en")
    page = manager.get(f"/campaigns/{CODE}/report").get_data(as_text=True)
    assert BLANK in page and PENDING in page and 'id="close-form"' in page
    response = manager.post(f"/campaigns/{CODE}/report/close", data={"close-override_reason": ""},
                            headers={"Referer": f"/campaigns/{CODE}/report"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "cannot be closed" in text and BLANK in text and PENDING in text
    assert campaigns.get(CODE).status == CampaignStatus.COUNTING


def test_a_manager_may_override_with_a_reason_the_report_shows(scenario, client_as, runner, tmp_path):
    manager = client_as("manager", language="en")
    reason = "Blank 7 lost on the floor; D-4 recount impossible before the auditors leave."
    response = manager.post(f"/campaigns/{CODE}/report/close", data={"close-override_reason": reason})
    assert response.status_code == 302
    campaign = campaigns.get(CODE)
    assert campaign.status == CampaignStatus.CLOSED
    archive = annual_report.latest_archive(campaign)
    assert archive.sha256 == hashlib.sha256(archive.pdf).hexdigest()
    text = pdf_text(archive.pdf)
    assert reason in text and BLANK in text and PENDING in text
    assert "Rapport définitif" in text and "Projet" not in text          # the campaign writes in French
    signed = db.session.scalars(sa.select(SignOff).where(SignOff.kind == "campaign_closed")).all()
    assert [(s.name, s.reason) for s in signed] == [(manager.user.display_name, reason)]
    [event] = events("campaign.close")
    assert event.after["override_reason"] == reason and event.after["report_sha256"] == archive.sha256
    assert event.user_login == manager.user.login

    # the frozen report is what every later download and the command give, byte for byte
    final = manager.get(f"/campaigns/{CODE}/report/final.pdf")
    assert final.status_code == 200 and final.data == archive.pdf
    out = tmp_path / "final.pdf"
    written = runner.invoke(args=["report", CODE, "--out", str(out), "--xlsx", str(tmp_path / "final.xlsx")])
    assert written.exit_code == 0, written.output
    assert out.read_bytes() == archive.pdf and (tmp_path / "final.xlsx").read_bytes() == archive.xlsx
    page = client_as("auditor").get(f"/campaigns/{CODE}/report").get_data(as_text=True)
    assert archive.sha256 in page and 'id="generate"' not in page


def test_closing_with_nothing_open_needs_no_reason(app, tmp_path, runner):
    counted(tmp_path, settle=True)
    assert closing.blockers(campaigns.get(CODE)).ok
    result = runner.invoke(args=["campaign", "close", CODE])
    assert result.exit_code == 0, result.output
    campaign = campaigns.get(CODE)
    assert campaign.status == CampaignStatus.CLOSED
    archive = annual_report.latest_archive(campaign)
    assert archive.sha256 in result.output
    text = pdf_text(archive.pdf)
    assert "Clôturée malgré" not in text and "Campagne clôturée le" in text
    again = runner.invoke(args=["campaign", "close", CODE])
    assert again.exit_code == 1 and "already closed" in again.output


def test_a_closed_campaigns_home_page_offers_no_next_step_nor_settings_to_edit(app, tmp_path, runner, client_as):
    counted(tmp_path, settle=True)
    client = client_as("manager")
    client.post("/language", data={"language": "en"})
    html = client.get(f"/campaigns/{CODE}").get_data(as_text=True)
    assert "What to do next" in html and "Edit the settings" in html
    assert runner.invoke(args=["campaign", "close", CODE]).exit_code == 0
    html = client.get(f"/campaigns/{CODE}").get_data(as_text=True)
    assert "What to do next" not in html and "The campaign's steps" in html
    assert "Edit the settings" not in html and "Settings →" in html


def test_only_a_manager_closes_and_planning_cannot_close(scenario, client_as, make_campaign):
    assert client_as("centraliser").post(f"/campaigns/{CODE}/report/close",
                                         data={"close-override_reason": "x"}).status_code == 403
    with pytest.raises(Forbidden):
        closing.close(CODE, override_reason="x", by=scenario.users["centraliser"])
    make_campaign("PLAN", year=2025)
    with pytest.raises(CountappError, match="not started counting"):
        closing.close("PLAN", override_reason="x")
    assert campaigns.get(CODE).status == CampaignStatus.COUNTING


def _closed_message(error: CountappError) -> bool:
    return "is closed" in error.render()


def test_a_closed_campaign_refuses_every_change_through_the_services(scenario, tmp_path):
    from countapp.services import (counting, imports, instructions, reconciliation, recounts, teams, tickets)

    closing.close(CODE, override_reason="Closing for the test.", by=scenario.users["manager"])
    before = len(events())
    manager, centraliser = scenario.users["manager"], scenario.users["centraliser"]
    movements = tmp_path / "movements.csv"
    movements.write_text("date;reference;location;quantity;unit_cost;kind\n2025-12-30;A-1;L-01;5;0,25;receipt\n",
                         encoding="utf-8")
    opening = tmp_path / "opening2.csv"
    opening.write_text("category;opening_value\nraw_materials;1\n", encoding="utf-8")
    counts = tmp_path / "counts.csv"
    counts.write_text(f"ticket;round;quantity\n{PENDING};3;9\n", encoding="utf-8")
    line_key = f"b{reconciliation.kept(campaigns.get(CODE)).result.lines['book_line_id'].dropna().iloc[0]}"
    attempts = {
        "campaign configure": lambda: campaigns.configure(campaigns.get(CODE), {"valuation": "fifo"}),
        "team add": lambda: teams.add_team(CODE, 3, round=1, leader="lead1", zones=["Z1"]),
        "team update": lambda: teams.update_team(CODE, 1, leader="lead1", members=["ann"], zones=["Z1"]),
        "team member": lambda: teams.add_member(1, scenario.users["dan"], campaign_code=CODE),
        "tickets generate": lambda: tickets.generate(CODE, blank=1),
        "tickets issue": lambda: tickets.issue(CODE, team=1, first=7, last=7),
        "tickets return": lambda: tickets.return_unused(CODE, team=1, first=7, last=7),
        "ticket void": lambda: tickets.void(CODE, BLANK, reason="Lost"),
        "count": lambda: counting.submit_count(CODE, counting.CountInput(ticket=PENDING, round=3, quantity="9"),
                                               user=centraliser),
        "count correction": lambda: counting.correct_count(CODE, scenario.tickets["A-1@L-01"], 1, quantity="1",
                                                           reason="typo", user=manager),
        "import movements": lambda: imports.import_file("movements", CODE, movements),
        "import opening": lambda: imports.import_file("opening", CODE, opening),
        "import stock": lambda: imports.import_file("stock", CODE, movements),
        "instructions texts": lambda: instructions.save_texts(CODE, {}, by=manager),
        "instructions place": lambda: instructions.add_place(CODE, site="S1", zone="Z1", location="NEW-1"),
        "instructions issue": lambda: instructions.issue(CODE, allow_missing=True),
        "cause": lambda: reconciliation.set_cause(CODE, line_key, "breakage", by=centraliser),
        "reconciliation sign-off": lambda: reconciliation.sign_off(CODE, name="X", by=manager),
        "third-count decision": lambda: recounts.decide(CODE, PENDING, kind="accept_count_2", reason="ok",
                                                        by=centraliser),
        "report texts": lambda: annual_report.save_texts(CODE, {"narrative": "late"}, by=manager),
    }
    refused = {}
    for name, attempt in attempts.items():
        try:
            attempt()
            refused[name] = "ACCEPTED"
        except CountappError as error:
            db.session.rollback()
            refused[name] = "closed" if _closed_message(error) else error.render()
    assert refused == {name: "closed" for name in attempts}
    assert len(events()) == before
    assert campaigns.get(CODE).status == CampaignStatus.CLOSED


# Routes that may still write after closing (not campaign data, or a gap listed in the report).
ALLOWED_AFTER_CLOSING = {
    "auth.logout", "auth.set_language", "auth.login", "api.new_token",   # a personal API token: not campaign data
    "report.reopen",            # the way back, tested below
    "audit.seal",               # the auditor notes the log's head: evidence, not campaign data
    "tickets.print_form",       # printing changes no ticket (it leaves an audit event): see the report
}
ROUTE_DATA = {
    "tickets.void": {"void-number": BLANK, "void-reason": "Lost"},
    "tickets.issue": {"issue-team": "1", "issue-first": "7", "issue-last": "7"},
    "tickets.give_back": {"return-team": "1", "return-first": "7", "return-last": "7"},
    "tickets.generate": {"generate-blank": "1"},
    "setup.teams": {"team-number": "3", "team-round": "1", "team-leader": "lead1", "team-zones": ["Z1"]},
    "report.texts": {"texts-narrative": "Written after closing"},
    "report.close": {"close-override_reason": "again"},
    "review.sign": {"sign-name": "Someone"},
    "review.set_cause": {"line": "b1", "cause": "breakage"},
}
# Where the page must say why: the campaign is closed.
SAYS_CLOSED = {"tickets.void", "tickets.issue", "tickets.give_back", "tickets.generate", "setup.teams", "report.texts",
               "review.sign", "review.set_cause"}


def _url(rule, campaign_code: str) -> str:
    values = {"code": campaign_code, "number": 1, "line_id": 1, "position": 1, "location": "L-01", "job": "0",
              "archive_id": 1, "fmt": "pdf"}
    return rule.rule.replace("<code>", values["code"]).replace("<int:number>", "1").replace(
        "<int:line_id>", "1").replace("<int:position>", "1").replace("<path:location>", "L-01").replace(
        "<number>", "1")


def test_a_closed_campaign_refuses_writes_on_every_route(scenario, app, login_as):
    from countapp.services import users

    closing.close(CODE, override_reason="Closing for the test.", by=scenario.users["manager"])
    clients = {}
    for role, login in (("manager", "manager"), ("centraliser", "centraliser"), ("auditor", "auditor"),
                        ("counter", "ann")):
        users.set_language(scenario.users[login], "en")
        clients[role] = login_as(app.test_client(), scenario.users[login])
    before = len(events())
    said: dict[str, bool] = {}
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in ALLOWED_AFTER_CLOSING:
            continue
        if "<code>" not in rule.rule and not rule.rule.startswith("/api/"):
            continue
        url = _url(rule, CODE)
        for role, client in clients.items():
            if rule.rule.startswith("/api/"):
                body = {"campaign": CODE, "ticket": PENDING if role != "counter" else BLANK, "round": 3 if role !=
                        "counter" else 1, "quantity": "9"}
                response = client.post(url, json=body)
                assert response.status_code >= 400, (rule.endpoint, role)
                continue
            response = client.post(url, data=ROUTE_DATA.get(rule.endpoint, {}), follow_redirects=True,
                                   headers={"Referer": f"/campaigns/{CODE}"})
            if "is closed" in response.get_data(as_text=True):
                said[rule.endpoint] = True
    assert len(events()) == before, [(e.action, e.entity_id) for e in events()[before:]]
    assert campaigns.get(CODE).status == CampaignStatus.CLOSED
    assert SAYS_CLOSED <= set(said), SAYS_CLOSED - set(said)


def test_a_closed_campaign_refuses_every_command(scenario, runner, tmp_path):
    closing.close(CODE, override_reason="Closing for the test.", by=scenario.users["manager"])
    before = len(events())
    movements = tmp_path / "movements.csv"
    movements.write_text("date;reference;location;quantity;unit_cost;kind\n2025-12-30;A-1;L-01;5;0,25;receipt\n",
                         encoding="utf-8")
    counts = tmp_path / "counts.csv"
    counts.write_text(f"ticket;round;quantity\n{PENDING};3;9\n", encoding="utf-8")
    settings = tmp_path / "settings.toml"
    settings.write_text('valuation = "fifo"\n', encoding="utf-8")
    commands = [
        ["campaign", "configure", CODE, str(settings)],
        ["import", "movements", CODE, str(movements)],
        ["import", "opening", CODE, str(movements)],
        ["import", "counts", CODE, str(counts)],
        ["team", "add", CODE, "3", "--round", "1", "--leader", "lead1", "--zone", "Z1"],
        ["user", "add", "eve", "--role", "counter", "--team", "1", "--campaign", CODE, "--password", "pw-12345678"],
        ["tickets", "generate", CODE, "--blank", "1"],
        ["tickets", "issue", CODE, "--team", "1", "--first", "7", "--last", "7"],
        ["tickets", "return", CODE, "--team", "1", "--first", "7", "--last", "7"],
        ["tickets", "void", CODE, BLANK, "--reason", "Lost"],
        ["instructions", CODE, "--out", str(tmp_path / "i.pdf"), "--issue", "--allow-missing"],
    ]
    for args in commands:
        result = runner.invoke(args=args)
        assert result.exit_code == 1, (args, result.output)
        assert "is closed" in result.output, (args, result.output)
    assert len(events()) == before
    assert campaigns.get(CODE).status == CampaignStatus.CLOSED


def test_a_closed_campaign_refuses_a_new_storekeeper(scenario):
    from countapp.services import teams

    closing.close(CODE, override_reason="Closing for the test.", by=scenario.users["manager"])
    with pytest.raises(CountappError, match="is closed"):
        teams.set_storekeeper(CODE, "Z1", "auditor")


def test_reopening_needs_a_manager_and_a_reason_and_is_logged(scenario, client_as, runner, tmp_path):
    from countapp.services import tickets

    manager = client_as("manager", language="en")
    manager.post(f"/campaigns/{CODE}/report/close", data={"close-override_reason": "Auditors leaving."})
    archive = annual_report.latest_archive(campaigns.get(CODE))

    assert runner.invoke(args=["campaign", "reopen", CODE, "--reason", " "]).exit_code == 1
    with pytest.raises(CountappError, match="written reason"):
        closing.reopen(CODE, reason="", by=scenario.users["manager"])
    with pytest.raises(Forbidden):
        closing.reopen(CODE, reason="x", by=scenario.users["centraliser"])
    assert client_as("centraliser").post(f"/campaigns/{CODE}/report/reopen",
                                         data={"reopen-reason": "x"}).status_code == 403
    assert campaigns.get(CODE).status == CampaignStatus.CLOSED

    response = manager.post(f"/campaigns/{CODE}/report/reopen", data={"reopen-reason": "Blank 7 found: count it."})
    assert response.status_code == 302
    campaign = campaigns.get(CODE)
    assert campaign.status == CampaignStatus.RECONCILING
    [reopened] = db.session.scalars(sa.select(SignOff).where(SignOff.kind == "campaign_reopened")).all()
    assert reopened.reason == "Blank 7 found: count it." and reopened.by_id == manager.user.id
    [event] = events("campaign.reopen")
    assert event.after["reason"] == "Blank 7 found: count it." and event.before["report_sha256"] == archive.sha256
    assert [e.after["status"] for e in events("campaign.status")][-2:] == ["closed", "reconciling"]
    # the archive stays; changes are allowed again; the report is a draft once more
    assert annual_report.latest_archive(campaign).id == archive.id
    tickets.void(CODE, BLANK, reason="Found torn")
    assert closing.frozen(campaign) is None
    page = manager.get(f"/campaigns/{CODE}/report").get_data(as_text=True)
    assert "Blank 7 found: count it." in page and archive.sha256 in page and 'id="close-form"' in page
    out = tmp_path / "draft.pdf"
    assert runner.invoke(args=["report", CODE, "--out", str(out)]).exit_code == 0
    assert out.read_bytes() != archive.pdf and "Projet établi le" in pdf_text(out.read_bytes())
    with pytest.raises(Conflict):
        closing.reopen(CODE, reason="again", by=scenario.users["manager"])
