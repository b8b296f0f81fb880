"""The written count instructions in the app: the facts, the missing list, the draft and issued PDFs,
numbered versions kept unchanged, acknowledgements, both languages, auditors, the command."""
from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime

import pypdf
import pytest
import sqlalchemy as sa

from countapp.extensions import db
from instructions import SECTION_KEYS, section_title
from countapp.models import AuditEvent, InstructionsAck, InstructionsVersion, Location
from countapp.services import campaigns as campaign_service
from countapp.services import instructions as service
from countapp.services import teams as team_service
from tests.conftest import PASSWORD
from tests.scenario import build_scenario

CODE = "FY2025"
BASE = f"/campaigns/{CODE}/instructions"


# --- helpers --------------------------------------------------------------------------------------

def text_of(pdf: bytes) -> list[str]:
    """Each page's text, runs of white space (non-breaking included) made one space."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [re.sub(r"\s+", " ", page.extract_text().replace("\u00a0", " ")) for page in reader.pages]


def joined(pdf: bytes) -> str:
    return " ".join(text_of(pdf))


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True).replace("&#39;", "'").replace("\u00a0", " "))


def missing_keys() -> list[str]:
    return [m.key for m in service.missing(campaign_service.get(CODE))]


@pytest.fixture
def scenario(app, tmp_path):
    """FY2025 in planning: stock in zones Z1 and Z2, team 1 (round 1) and team 2 (round 2) on both zones."""
    return build_scenario(tmp_path, issue=False, start=False)


def login(app, user, language: str = "en"):
    """A client logged in as ``user``, who reads the pages in ``language``."""
    user.language = language
    db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"login": user.login, "password": PASSWORD})
    assert response.status_code in (302, 303)
    return client


@pytest.fixture
def manager(app, scenario):
    return login(app, scenario.users["manager"])


FACTS = {
    "person_in_charge": "Claire Dubois", "person_in_charge_title": "Chief financial officer",
    "committee": "Claire Dubois\nMarc Olivier", "centraliser": "Sophie Lambert",
    "freeze_from": "2025-12-27T18:00", "freeze_to": "2025-12-29T08:00",
    "categories": ["raw_materials", "products", "goods_for_resale"],
    "auditors-0-kind": "statutory_auditor", "auditors-0-name": "Jean Commissaire", "auditors-0-firm": "Cabinet Audit",
    "auditors-1-kind": "internal_audit", "auditors-1-name": "", "auditors-1-firm": "",
    "last_receipt_document": "BR-1187", "last_shipment_document": "BL-2210",
}


def give_team_times() -> None:
    for number, start, end in ((1, datetime(2025, 12, 28, 8), datetime(2025, 12, 28, 12)),
                               (2, datetime(2025, 12, 28, 13), datetime(2025, 12, 28, 17))):
        campaign = campaign_service.get(CODE)
        team = team_service.get_team(campaign, number)
        team_service.update_team(CODE, number, leader=team.leader.login, members=[m.login for m in team.members],
                                 zones=[z.code for z in team.zones], starts_at=start, ends_at=end)


def complete(client, **changes) -> None:
    """Settle everything the instructions need, through the facts page."""
    give_team_times()
    response = client.post(f"{BASE}/facts", data={**FACTS, **changes})
    assert response.status_code == 302, page_text(response)[:2000]
    assert missing_keys() == []


# --- what is missing --------------------------------------------------------------------------------

def test_a_fresh_campaign_lists_what_is_missing_on_the_page(manager):
    keys = missing_keys()
    for key in ("no_person_in_charge", "no_freeze_period", "team_without_times", "no_last_receipt"):
        assert key in keys
    text = page_text(manager.get(BASE))
    assert "No person in charge of the count is named." in text
    assert "The freeze of physical movements has no start or no end." in text
    assert "Team 1 has no start or end time." in text


def test_a_zone_without_a_second_round_team_is_missing(manager):
    complete(manager)
    team_service.update_team(CODE, 2, leader="lead2", members=["cat", "dan"], zones=["Z1"],
                             starts_at=datetime(2025, 12, 28, 13), ends_at=datetime(2025, 12, 28, 17))
    assert missing_keys() == ["zone_without_team"]
    assert "Zone Z2 has no team for round 2." in page_text(manager.get(BASE))


def test_the_page_speaks_the_users_language(app, scenario):
    client = login(app, scenario.users["manager"], "fr")
    assert "Aucun responsable de l’inventaire n’est désigné." in page_text(client.get(BASE))


def test_defaults_come_from_the_campaign(manager, scenario):
    data = service.build(campaign_service.get(CODE))
    assert [p.location for p in data.places] == ["L-01", "L-02", "L-03", "L-04"]
    assert data.categories == ["raw_materials", "products", "goods_for_resale"]
    assert [(a.kind, a.name) for a in data.auditors] == [("statutory_auditor", "Auditor")]
    assert data.centraliser == "Centraliser"
    assert [(t.number, t.round, t.leader, t.zones) for t in data.teams] == [(1, 1, "Lead1", ["Z1", "Z2"]),
                                                                             (2, 2, "Lead2", ["Z1", "Z2"])]
    assert [(h.party, h.lines) for h in data.third_party_goods] == [("", 1)]
    form = page_text(manager.get(f"{BASE}/facts"))
    assert 'value="Centraliser"' in form and 'value="Auditor"' in form


def test_last_documents_default_to_the_movements_before_the_count(manager, tmp_path):
    from countapp.services import imports

    movements = tmp_path / "movements.csv"
    movements.write_text("date;reference;location;quantity;unit_cost;kind;document\n"
                         "2025-12-20;A-1;L-01;100;0,25;receipt;BR-0900\n"
                         "2025-12-27;A-1;L-01;50;0,25;receipt;BR-0901\n"
                         "2025-12-30;A-1;L-01;10;0,25;receipt;BR-0950\n"
                         "2025-12-26;A-1;L-01;-20;;issue;BL-0400\n", encoding="utf-8")
    imports.import_file("movements", CODE, movements)
    found = service.suggestions(campaign_service.get(CODE))
    assert (found["last_receipt_document"], found["last_shipment_document"]) == ("BR-0901", "BL-0400")
    assert "no_last_receipt" not in missing_keys()


# --- editing ----------------------------------------------------------------------------------------

def test_facts_are_saved_and_printed(manager):
    campaign_service.configure(campaign_service.get(CODE), {"language": "en", "tolerance": {
        "between_counts": {"pct": 5}, "vs_book": {"value": 150}}})
    complete(manager)
    campaign = campaign_service.get(CODE)
    assert campaign.person_in_charge == "Claire Dubois"
    text = joined(manager.get(f"{BASE}/draft.pdf").data)
    for expected in ("Claire Dubois (Chief financial officer)", "Count committee: Claire Dubois, Marc Olivier",
                     "Sophie Lambert", "Jean Commissaire", "Cabinet Audit", "BR-1187", "BL-2210",
                     "L-01", "L-02", "L-03", "L-04", "Lead1", "Lead2", "Ann, Ben",
                     "Raw materials and supplies", "Goods for resale", "5%", "€150.00",
                     "from Saturday 27 December 2025 at 18:00 to Monday 29 December 2025 at 08:00",
                     "Nothing is missing: the document can be issued."):
        assert expected in text, expected
    assert "Work in progress" not in text


def test_bad_facts_are_refused_with_their_field(manager):
    response = manager.post(f"{BASE}/facts", data={**FACTS, "freeze_to": "2025-12-27T08:00"})
    assert response.status_code == 303
    assert "The freeze of movements must end after it starts." in page_text(manager.get(BASE))
    assert service.stored_draft(campaign_service.get(CODE)) == {}
    response = manager.post(f"{BASE}/facts", data={**FACTS, "auditors-0-name": "", "auditors-0-firm": "Cabinet"})
    assert response.status_code == 303
    assert service.stored_draft(campaign_service.get(CODE)) == {}


def test_section_texts_can_be_changed_and_restored(manager):
    campaign_service.configure(campaign_service.get(CODE), {"language": "en"})
    form = {key: service.section_template(campaign_service.get(CODE), key) for key in SECTION_KEYS}
    assert "{freeze_period}" in form["freeze"]
    form["tidying"] = "Sweep every aisle of {company} before {count_date}."
    assert manager.post(f"{BASE}/texts", data=form).status_code == 302
    assert set(service.stored_draft(campaign_service.get(CODE))["texts"]["en"]) == {"tidying"}
    text = joined(manager.get(f"{BASE}/draft.pdf").data)
    assert "Sweep every aisle of FY2025 before Sunday 28 December 2025." in text
    form["reset_tidying"] = "y"
    manager.post(f"{BASE}/texts", data=form)
    assert service.stored_draft(campaign_service.get(CODE))["texts"]["en"] == {}
    assert "Sweep every aisle" not in joined(manager.get(f"{BASE}/draft.pdf").data)


def test_a_place_added_by_hand_is_listed_and_needs_teams(manager):
    response = manager.post(f"{BASE}/places", data={"site": "S1", "zone": "YARD", "location": "Outdoor yard"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Location.added_by_hand).where(Location.code == "Outdoor yard")) is True
    keys = [(m.key, m.params.get("zone"), m.params.get("round")) for m in service.missing(campaign_service.get(CODE))]
    assert ("zone_without_team", "YARD", 1) in keys and ("zone_without_team", "YARD", 2) in keys
    assert "Outdoor yard *" in joined(manager.get(f"{BASE}/draft.pdf").data)
    assert "Outdoor yard" in page_text(manager.get(f"{BASE}/places"))
    # the same code twice is refused; a stock location cannot be removed; the hand-added one can
    manager.post(f"{BASE}/places", data={"site": "S1", "zone": "Z1", "location": "L-01"})
    assert manager.post(f"{BASE}/places/L-01/remove").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Location).where(Location.code == "L-01")) == 1
    assert manager.post(f"{BASE}/places/Outdoor yard/remove").status_code == 302
    assert db.session.scalar(sa.select(Location.id).where(Location.code == "Outdoor yard")) is None
    assert not any(m.params.get("zone") == "YARD" for m in service.missing(campaign_service.get(CODE)))


# --- draft, issue, versions -------------------------------------------------------------------------

def test_the_draft_is_marked_on_every_page_and_lists_what_is_missing(manager):
    response = manager.get(f"{BASE}/draft.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = text_of(response.data)
    assert all("BROUILLON" in page for page in pages)  # the campaign's language: French
    text = " ".join(pages)
    assert "Éléments encore manquants" in text
    assert "Aucun responsable de l’inventaire n’est désigné." in text
    assert "La période d’arrêt des mouvements physiques n’a pas de début ou pas de fin." in text
    assert f"Page 1 sur {len(pages)}" in pages[0]


def test_issuing_is_refused_while_points_are_missing_unless_accepted(manager):
    manager.post(f"{BASE}/issue")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InstructionsVersion)) == 0
    assert manager.post(f"{BASE}/issue", data={"allow_missing": "y"}).status_code == 302
    version = service.latest_version(campaign_service.get(CODE))
    assert version.version == 1
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "instructions.issue"))
    assert "no_person_in_charge" in event.after["missing"]


def test_issue_then_change_then_reissue_keeps_version_one_unchanged(manager, scenario):
    complete(manager)
    assert manager.post(f"{BASE}/issue").status_code == 302
    first = manager.get(f"{BASE}/v1.pdf")
    assert first.status_code == 200
    sha1 = hashlib.sha256(first.data).hexdigest()
    stored = service.get_version(campaign_service.get(CODE), 1)
    assert stored.sha256 == sha1 == first.headers["X-Content-SHA256"]
    assert stored.issued_by.login == "manager"
    pages = text_of(first.data)
    assert not any("BROUILLON" in p for p in pages)
    assert "Version 1, diffusée le" in pages[0] and "BR-1187" in " ".join(pages)

    # nothing changed: nothing to issue
    manager.post(f"{BASE}/issue")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InstructionsVersion)) == 1
    assert "The draft says exactly what version 1 says." in page_text(manager.get(BASE))

    manager.post(f"{BASE}/facts", data={**FACTS, "last_receipt_document": "BR-2000"})
    assert "The draft has changed since version 1." in page_text(manager.get(BASE))
    assert manager.post(f"{BASE}/issue").status_code == 302
    second = manager.get(f"{BASE}/v2.pdf")
    assert "BR-2000" in joined(second.data) and "Version 2, diffusée le" in text_of(second.data)[0]
    again = manager.get(f"{BASE}/v1.pdf")
    assert again.data == first.data and hashlib.sha256(again.data).hexdigest() == sha1
    assert "BR-2000" not in joined(again.data)
    page = page_text(manager.get(BASE))
    assert "/instructions/v1.pdf" in page and "/instructions/v2.pdf" in page and sha1[:16] in page
    assert manager.get(f"{BASE}/v3.pdf").status_code == 303  # not issued: a message, not a file


def test_english_and_french_documents(manager):
    complete(manager)
    french = joined(manager.get(f"{BASE}/draft.pdf").data)
    for number, key in enumerate(SECTION_KEYS, start=1):
        assert f"{number}. {section_title(key, 'fr')}" in french, key
    assert "Claire Dubois (Chief financial officer)" in french and "Équipe" in french
    campaign_service.configure(campaign_service.get(CODE), {"language": "en"})
    english = text_of(manager.get(f"{BASE}/draft.pdf").data)
    assert all("DRAFT" in p for p in english)
    text = " ".join(english)
    for number, key in enumerate(SECTION_KEYS, start=1):
        assert f"{number}. {section_title(key, 'en')}" in text, key
    assert "Arrêt des mouvements physiques" not in text and "BROUILLON" not in text
    manager.post(f"{BASE}/issue")
    assert "Version 1, issued on" in text_of(manager.get(f"{BASE}/v1.pdf").data)[0]


# --- acknowledgements -------------------------------------------------------------------------------

def test_leaders_and_auditors_acknowledge_and_the_page_shows_who_has_not(app, manager, scenario):
    complete(manager)
    manager.post(f"{BASE}/issue")
    pending = service.ack_status(campaign_service.get(CODE)).pending
    assert [u.login for u in pending] == ["lead1", "lead2", "auditor"]

    lead1 = login(app, scenario.users["lead1"])
    assert lead1.get(f"{BASE}/v1.pdf").status_code == 200
    assert "I have read version 1 of the instructions" in page_text(lead1.get(BASE))
    assert lead1.post(f"{BASE}/acknowledge", data={"version": "1"}).status_code == 302
    auditor = login(app, scenario.users["auditor"])
    assert auditor.post(f"{BASE}/acknowledge", data={"version": "1"}).status_code == 302
    assert auditor.post(f"{BASE}/acknowledge", data={"version": "1"}).status_code == 302  # twice: still one
    status = service.ack_status(campaign_service.get(CODE))
    assert [a.user.login for a in status.done] == ["lead1", "auditor"]
    assert all(a.acknowledged_at is not None for a in status.done)
    assert [u.login for u in status.pending] == ["lead2"]
    page = page_text(manager.get(BASE))
    not_yet = page[page.index("Not yet acknowledged"):]
    assert "Lead2" in not_yet and "Lead1" not in not_yet[:200]

    # a counter who leads no team is not asked and cannot acknowledge
    ann = login(app, scenario.users["ann"])
    ann.post(f"{BASE}/acknowledge", data={"version": "1"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InstructionsAck)) == 2

    # a new version asks everyone again; acknowledging the old one is refused
    manager.post(f"{BASE}/facts", data={**FACTS, "centraliser": "Paul Martin"})
    manager.post(f"{BASE}/issue")
    lead2 = login(app, scenario.users["lead2"])
    lead2.post(f"{BASE}/acknowledge", data={"version": "1"})
    status = service.ack_status(campaign_service.get(CODE))
    assert status.version.version == 2 and status.done == []
    assert [u.login for u in status.pending] == ["lead1", "lead2", "auditor"]
    lead2.post(f"{BASE}/acknowledge", data={"version": "2"})
    assert [a.user.login for a in service.ack_status(campaign_service.get(CODE)).done] == ["lead2"]
    old = service.ack_status(campaign_service.get(CODE), service.get_version(campaign_service.get(CODE), 1))
    assert [a.user.login for a in old.done] == ["lead1", "auditor"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "instructions.acknowledge")) == 3


def test_auditor_reads_everything_but_only_acknowledges(app, manager, scenario):
    auditor = login(app, scenario.users["auditor"])
    for url in (BASE, f"{BASE}/facts", f"{BASE}/texts", f"{BASE}/places", f"{BASE}/draft.pdf"):
        assert auditor.get(url).status_code == 200, url
    assert "disabled" in auditor.get(f"{BASE}/facts").get_data(as_text=True)
    assert auditor.post(f"{BASE}/facts", data=FACTS).status_code == 403
    assert auditor.post(f"{BASE}/texts", data={"tidying": "x"}).status_code == 403
    assert auditor.post(f"{BASE}/places", data={"site": "S1", "zone": "Z1", "location": "X"}).status_code == 403
    assert auditor.post(f"{BASE}/issue", data={"allow_missing": "y"}).status_code == 403
    assert service.stored_draft(campaign_service.get(CODE)) == {}
    complete(manager)
    manager.post(f"{BASE}/issue")
    assert auditor.post(f"{BASE}/acknowledge", data={"version": "1"}).status_code == 302
    assert [a.user.login for a in service.ack_status(campaign_service.get(CODE)).done] == ["auditor"]


def test_counting_teams_read_the_issued_version_only(app, manager, scenario):
    lead1 = login(app, scenario.users["lead1"])
    assert "have not been issued yet" in page_text(lead1.get(BASE))
    assert lead1.get(f"{BASE}/draft.pdf").status_code == 403
    assert lead1.get(f"{BASE}/facts").status_code == 403
    assert lead1.post(f"{BASE}/issue").status_code == 403
    assert manager.post(f"{BASE}/acknowledge", data={"version": "1"}).status_code == 403


def test_the_tab_is_on_the_campaign_pages(manager):
    assert f'href="{BASE}"' in manager.get(f"/campaigns/{CODE}").get_data(as_text=True)


# --- command line -----------------------------------------------------------------------------------

def test_command_writes_the_draft_issues_and_gets_old_versions(runner, manager, tmp_path):
    out = tmp_path / "draft.pdf"
    result = runner.invoke(args=["instructions", CODE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "No person in charge of the count is named." in result.output
    assert all("BROUILLON" in p for p in text_of(out.read_bytes()))

    refused = tmp_path / "refused.pdf"
    result = runner.invoke(args=["instructions", CODE, "--out", str(refused), "--issue"])
    assert result.exit_code == 1 and "cannot be issued yet" in result.output
    assert not refused.exists()

    complete(manager)
    v1 = tmp_path / "v1.pdf"
    result = runner.invoke(args=["instructions", CODE, "--out", str(v1), "--issue", "--by", "manager"])
    assert result.exit_code == 0, result.output
    stored = service.get_version(campaign_service.get(CODE), 1)
    assert v1.read_bytes() == stored.pdf and stored.sha256 in result.output and stored.issued_by.login == "manager"

    latest = tmp_path / "latest.pdf"
    assert runner.invoke(args=["instructions", CODE, "--out", str(latest)]).exit_code == 0
    assert latest.read_bytes() == stored.pdf  # by default: the issued version
    result = runner.invoke(args=["instructions", CODE, "--out", str(latest)])
    assert "Acknowledged by 0 of 3; not yet: Lead1 (lead1), Lead2 (lead2), Auditor (auditor)" in result.output

    manager.post(f"{BASE}/facts", data={**FACTS, "last_shipment_document": "BL-3000"})
    result = runner.invoke(args=["instructions", CODE, "--out", str(latest)])
    assert latest.read_bytes() == stored.pdf and "the draft has changed" in result.output
    draft = tmp_path / "draft2.pdf"
    assert runner.invoke(args=["instructions", CODE, "--out", str(draft), "--draft"]).exit_code == 0
    assert "BL-3000" in joined(draft.read_bytes()) and "BROUILLON" in text_of(draft.read_bytes())[0]
    assert runner.invoke(args=["instructions", CODE, "--out", str(tmp_path / "v2.pdf"), "--issue"]).exit_code == 0
    old = tmp_path / "old.pdf"
    assert runner.invoke(args=["instructions", CODE, "--out", str(old), "--version", "1"]).exit_code == 0
    assert old.read_bytes() == stored.pdf

    result = runner.invoke(args=["instructions", CODE, "--out", str(tmp_path / "v9.pdf"), "--version", "9"])
    assert result.exit_code == 1 and "Version 9" in result.output and not (tmp_path / "v9.pdf").exists()
    result = runner.invoke(args=["instructions", "NOPE", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1 and "Unknown campaign NOPE" in result.output
    result = runner.invoke(args=["instructions", "--help"])
    assert "--issue" in result.output and "--version" in result.output and "--draft" in result.output
