"""The auditors' workspace pages, and the read-only matrix: over every route and method, an
auditor changes nothing but their own work."""
from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from countapp.extensions import db
from countapp.models import AuditEvent, BookLine, Owner, User
from countapp.models.audit_work import (AUDITOR_TABLES, AuditConfirmation, AuditCount, AuditFloorRecord,
                                        AuditSample, AuditSeal)
from countapp.services import audit_review, audit_sampling, campaigns, counting

from .conftest_helpers import example_url
from .test_audit_work import build_audit_scenario

PAGES = ("/campaigns/FY2025/audit", "/campaigns/FY2025/audit/log", "/campaigns/FY2025/audit/tags",
         "/campaigns/FY2025/audit/samples", "/campaigns/FY2025/audit/samples/1",
         "/campaigns/FY2025/audit/confirmations", "/campaigns/FY2025/audit/cutoff")


@pytest.fixture
def audited(app, tmp_path, monkeypatch):
    s = build_audit_scenario(tmp_path, monkeypatch)
    for key, who, round_, qty in (("A-1@L-01", "ann", 1, "1200"), ("A-1@L-01", "cat", 2, "1200"),
                                  ("E-5@L-05", "ann", 1, "40"), ("E-5@L-05", "cat", 2, "40")):
        counting.submit_count("FY2025", counting.CountInput(ticket=s.tickets[key], round=round_, quantity=qty),
                              user=s.users[who])
    audit_sampling.draw("FY2025", direction="sheet_to_floor", seed=8, key_count=1, random_count=2,
                        by=s.users["auditor"])
    return s


def _client(app, login_as, user):
    client = app.test_client()
    login_as(client, user)
    return client


def _auditor(app, login_as, audited):
    return _client(app, login_as, audited.users["auditor"])


# --- pages ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["manager", "centraliser", "auditor"])
def test_staff_read_every_page_of_the_workspace(app, login_as, audited, who):
    client = _client(app, login_as, audited.users[who])
    for url in PAGES:
        response = client.get(url, headers={"Accept-Language": "en"})
        assert response.status_code == 200, (url, response.status_code)
    overview = client.get(PAGES[0], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Check the chain" in overview and "Transports Dupont" in overview and "Sample 1" in overview
    log = client.get(PAGES[1], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Audit log intact" in log and audit_review.verify(campaigns.get("FY2025")).head_hash in log
    layout = client.get("/campaigns/FY2025", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'href="/campaigns/FY2025/audit"' in layout   # the campaign's tab


@pytest.mark.parametrize("who", ["lead1", "ann"])
def test_teams_do_not_see_the_workspace(app, login_as, audited, who):
    client = _client(app, login_as, audited.users[who])
    for url in (*PAGES, "/campaigns/FY2025/audit/evidence.zip", "/campaigns/FY2025/audit/samples/1/count"):
        assert client.get(url).status_code == 403, url
    assert 'href="/campaigns/FY2025/audit"' not in client.get("/campaigns/FY2025").get_data(as_text=True)


def test_the_log_page_shows_events_and_names_a_break(app, login_as, audited):
    client = _auditor(app, login_as, audited)
    page = client.get("/campaigns/FY2025/audit/log?action=count.", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "count.add" in text and "tickets.issue" not in text.split("<tbody>")[1]
    assert "Seal the log" in text
    campaign = campaigns.get("FY2025")
    db.session.commit()
    with db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.execute(sa.text("DROP TRIGGER audit_event_no_delete"))
        else:
            connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        connection.execute(sa.text("DELETE FROM audit_event WHERE campaign_id = :c AND seq = 4"), {"c": campaign.id})
    text = client.get("/campaigns/FY2025/audit/log", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The audit log is broken" in text and "Event #4 is missing" in text and "Seal the log" not in text


def test_the_auditor_seals_the_log_from_its_page(app, login_as, audited):
    client = _auditor(app, login_as, audited)
    check = audit_review.verify(campaigns.get("FY2025"))
    head = check.head_seq + (1 if check.unjoined else 0)   # sealing joins the count sub-chains first
    response = client.post("/campaigns/FY2025/audit/log/seal", follow_redirects=True,
                           headers={"Accept-Language": "en"})
    assert f"Audit log sealed at event #{head}" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(AuditSeal.seq)) == head


def test_the_auditor_records_a_floor_record(app, login_as, audited):
    client = _auditor(app, login_as, audited)
    response = client.post("/campaigns/FY2025/audit/tags/floor", data={
        "floor-team": "1", "floor-first": "000001/2025", "floor-last": "6", "floor-seen_at": "2025-12-28T10:30",
        "floor-note": "pallets in aisle 3"}, follow_redirects=True, headers={"Accept-Language": "en"})
    text = response.get_data(as_text=True)
    assert "Floor record of team 1 saved" in text and "pallets in aisle 3" in text
    record = db.session.scalar(sa.select(AuditFloorRecord))
    assert (record.first_seen, record.last_seen, record.recorded_by.login) == (1, 6, "auditor")
    bad = client.post("/campaigns/FY2025/audit/tags/floor", data={"floor-team": "1", "floor-first": "9",
                                                                  "floor-last": "2"}, follow_redirects=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditFloorRecord)) == 1
    assert "flash-error" in bad.get_data(as_text=True)


def test_the_auditor_draws_and_counts_on_the_tablet_page(app, login_as, audited):
    client = _auditor(app, login_as, audited)
    response = client.post("/campaigns/FY2025/audit/samples", data={
        "draw-direction": "floor_to_sheet", "draw-random_count": "2", "draw-seed": "77"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/audit/samples/2")
    sample = db.session.scalar(sa.select(AuditSample).where(AuditSample.number == 2))
    assert sample.seed == 77 and len(sample.lines) == 2
    page = client.get("/campaigns/FY2025/audit/samples/2/count", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert 'inputmode="decimal"' in text and "Add goods chosen on the floor" in text
    response = client.post("/campaigns/FY2025/audit/samples/2/count/1", data={"count-quantity": "3",
                                                                             "count-state": "damaged"})
    assert response.status_code == 302 and "#line-2" in response.headers["Location"]
    assert db.session.scalar(sa.select(AuditCount.quantity)) == 3
    again = client.post("/campaigns/FY2025/audit/samples/2/count/1", data={"count-quantity": "4"},
                        follow_redirects=True, headers={"Accept-Language": "en"})
    assert "give a reason" in again.get_data(as_text=True)
    client.post("/campaigns/FY2025/audit/samples/2/count/1", data={"count-quantity": "4", "count-reason": "recount"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditCount)) == 2
    added = client.post("/campaigns/FY2025/audit/samples/2/lines", data={"chosen-reference": "F-6",
                                                                         "chosen-location": "L-02"})
    assert added.status_code == 302 and "#line-3" in added.headers["Location"]
    found = client.get("/campaigns/FY2025/audit/samples/2/count?find=999", headers={"Accept-Language": "en"})
    assert "999 is not in sample 2" in found.get_data(as_text=True)
    assert 'value="999"' in found.get_data(as_text=True)   # offered as goods chosen on the floor
    # A book line's ticket, scanned as printed or typed bare, finds its card in a sheet to floor sample.
    number = audited.tickets["E-5@L-05"]
    for typed in (number, number.split("/")[0].lstrip("0")):
        page = client.get(f"/campaigns/FY2025/audit/samples/1/count?find={typed}").get_data(as_text=True)
        assert 'class="count-card  target" id="line-1"' in page, typed


def test_the_tablet_page_shows_neither_book_nor_team_counts(app, login_as, audited):
    client = _auditor(app, login_as, audited)
    sample = audit_sampling.get_sample(campaigns.get("FY2025"), 1)
    assert sample.lines[0].book_qty == 40   # E-5, counted 40 by both teams
    count_page = client.get("/campaigns/FY2025/audit/samples/1/count").get_data(as_text=True)
    result_page = client.get("/campaigns/FY2025/audit/samples/1").get_data(as_text=True)
    assert '<td class="num">40</td>' in result_page
    assert ">40<" not in count_page and "3,200" not in count_page and "3 200" not in count_page


def test_the_results_page_shows_differences_and_projection(app, login_as, audited):
    client = _auditor(app, login_as, audited)
    client.post("/campaigns/FY2025/audit/samples/1/count/1", data={"count-quantity": "37"})
    text = client.get("/campaigns/FY2025/audit/samples/1", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Errors found and projected" in text and "-240.00" in text   # 3 motors at 80 missing


def test_the_auditor_records_a_confirmation_and_downloads_letters(app, login_as, audited):
    client = _auditor(app, login_as, audited)
    line = db.session.scalar(sa.select(BookLine).where(BookLine.owner == Owner.AT_THIRD_PARTY, BookLine.lot == "C1"))
    response = client.post(f"/campaigns/FY2025/audit/confirmations/{line.id}", data={
        "answer-confirmed_qty": "245", "answer-answered_on": "2026-01-09", "answer-note": "5 kg scrapped"},
        follow_redirects=True, headers={"Accept-Language": "en"})
    assert "Answer recorded" in response.get_data(as_text=True)
    answer = db.session.scalar(sa.select(AuditConfirmation))
    assert (answer.confirmed_qty, answer.answered_on, answer.holder) == (245, date(2026, 1, 9), "Transports Dupont")
    assert "-5" in client.get("/campaigns/FY2025/audit/confirmations").get_data(as_text=True)
    pdf = client.get("/campaigns/FY2025/audit/confirmations/letters.pdf?holder=Transports+Dupont")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert "Transports Dupont" in text and "Réponse à adresser à : Auditor" in text
    assert client.get("/campaigns/FY2025/audit/confirmations/letters.pdf?holder=Nobody").status_code == 303


def test_the_evidence_file_downloads(app, login_as, audited):
    client = _client(app, login_as, audited.users["manager"])
    response = client.get("/campaigns/FY2025/audit/evidence.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        for line in archive.read("MANIFEST.sha256").decode().splitlines():
            digest, name = line.split("  ", 1)
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    csv_log = client.get("/campaigns/FY2025/audit/log.csv")
    assert csv_log.mimetype == "text/csv" and b"count.add" in csv_log.data


@pytest.mark.parametrize("who", ["manager", "centraliser"])
def test_only_auditors_write_their_own_work(app, login_as, audited, who):
    client = _client(app, login_as, audited.users[who])
    for url, data in (("/campaigns/FY2025/audit/samples", {"draw-direction": "sheet_to_floor",
                                                            "draw-random_count": "1"}),
                      ("/campaigns/FY2025/audit/samples/1/count/1", {"count-quantity": "1"}),
                      ("/campaigns/FY2025/audit/tags/floor", {"floor-team": "1", "floor-first": "1",
                                                              "floor-last": "2"}),
                      ("/campaigns/FY2025/audit/log/seal", {})):
        assert client.post(url, data=data).status_code == 403, url
    assert client.get("/campaigns/FY2025/audit/samples/1/count").status_code == 403


# --- the read-only matrix ------------------------------------------------------------------------------

def _snapshot() -> dict[str, tuple[int, str]]:
    """Every table's rows, as a count and a digest."""
    db.session.expire_all()
    state = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        rows = db.session.execute(sa.select(table).order_by(*order)).all()
        state[table.name] = (len(rows), hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest())
    db.session.commit()
    return state


# Plausible form fields for every form the auditor may post, so that their own work really is written.
PAYLOAD = {
    "floor-team": "1", "floor-first": "1", "floor-last": "3", "draw-direction": "floor_to_sheet",
    "draw-random_count": "2", "draw-seed": "5", "count-quantity": "5", "count-state": "good", "count-reason": "again",
    "chosen-ticket": "2", "answer-confirmed_qty": "3", "answer-answered_on": "2026-01-10", "language": "en",
    "ticket": "000001/2025", "round": "1", "quantity": "5", "reason": "x", "cause": "other", "name": "x",
}


# Outside the workspace, what an auditor may post and the only tables it may write: their own records.
OWN_RECORDS = {
    "auth.login": set(), "auth.set_language": {"user_account"},
    "auth.logout": {"user_account"},                                # their session version: log-out ends them everywhere
    "api.new_token": {"user_account", "audit_event"},              # a personal API token, to read through the API
    "instructions.acknowledge": {"instructions_ack", "audit_event"},  # "I have read the instructions"
    "auth.change_password": {"user_account", "audit_event"},         # their own password (refused here: no match)
    "welcome.first_manager": set(),                                   # first run: closed once anyone exists
    "cycles.sample": {"audit_event"},                                 # a cycle programme's test-count sample: logged only
}


def test_the_auditor_changes_nothing_but_their_own_work_over_every_route_and_method(app, login_as, audited):
    auditor = audited.users["auditor"]
    client = _client(app, login_as, auditor)
    own_line = db.session.scalar(sa.select(BookLine.id).where(BookLine.owner == Owner.AT_THIRD_PARTY))
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint == "auth.logout", r.rule))
    refused = allowed = reads = 0
    for rule in rules:
        if rule.endpoint == "static":
            continue
        url = example_url(rule)
        if rule.endpoint == "audit.answer":
            url = url.replace("/confirmations/1", f"/confirmations/{own_line}")
        may_post = getattr(app.view_functions[rule.endpoint], "_countapp_auditor_may_post", False) or \
            rule.endpoint in ("auth.logout", "auth.set_language", "auth.login", "auth.change_password",
                              "welcome.first_manager")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            before = _snapshot()
            last_event = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
            if method == "GET":
                response = client.get(url)
            elif url.startswith("/api/"):
                response = client.open(url, method=method, json=PAYLOAD)
            else:
                response = client.open(url, method=method, data=PAYLOAD)
            after = _snapshot()
            changed = {t for t in after if after[t] != before[t]}
            new_actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.id > last_event)))
            if method == "GET":
                reads += 1
                assert not changed, (method, url, changed)
            elif not may_post:
                refused += 1
                assert response.status_code == 403, (method, url, response.status_code)
                assert not changed, (method, url, changed)
            elif rule.endpoint.startswith("audit."):
                allowed += 1
                assert changed <= {*AUDITOR_TABLES, "audit_event"}, (url, changed)
                assert all(a.startswith("audit.") for a in new_actions), (url, new_actions)
            else:
                assert rule.endpoint in OWN_RECORDS, f"{rule.endpoint} lets auditors post: list what it may write"
                assert changed <= OWN_RECORDS[rule.endpoint], (url, changed)
                others = db.session.scalars(sa.select(User).where(User.id != auditor.id)).all()
                assert all(u.language is None and u.api_token_hash is None for u in others), url
                assert not db.session.scalar(sa.text("SELECT count(*) FROM instructions_ack WHERE user_id <> :u"),
                                             {"u": auditor.id}), url
            if rule.endpoint == "auth.logout":
                login_as(client, auditor)
    assert refused >= 5 and allowed >= 6 and reads > 10
    # The allowed posts really wrote the auditor's own work: the matrix did not pass by refusing everything.
    for table in ("audit_sample", "audit_count", "audit_floor_record", "audit_confirmation", "audit_seal"):
        assert db.session.scalar(sa.text(f"SELECT count(*) FROM {table}")) >= 1, table
