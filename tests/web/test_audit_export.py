"""The evidence file: ``countapp audit export CODE --out FILE.zip`` and its SHA-256 manifest."""
from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import BookLine, InstructionsVersion, Owner, ReportArchive
from countapp.services import audit_confirm, audit_review, audit_sampling, campaigns, counting, tickets

from .test_audit_work import build_audit_scenario

EXPECTED = {"README.txt", "audit_log.csv", "audit_log.json", "audit_verification.json", "ticket_control.csv",
            "tag_control_teams.csv", "tickets.csv", "counts.csv", "recount_decisions.csv", "audit_samples.csv",
            "audit_sample_lines.csv", "audit_counts.csv", "confirmations.csv", "cutoff.csv"}


@pytest.fixture
def worked(app, tmp_path, monkeypatch):
    """A campaign with counts (one corrected, one needing a third count), a void, the auditor's work."""
    s = build_audit_scenario(tmp_path, monkeypatch)
    count = lambda key, r, q, who: counting.submit_count(  # noqa: E731
        "FY2025", counting.CountInput(ticket=s.tickets[key], round=r, quantity=q), user=s.users[who])
    count("A-1@L-01", 1, "1200", "ann")
    count("A-1@L-01", 2, "1100", "cat")
    count("E-5@L-05", 1, "41", "ann")
    counting.correct_count("FY2025", s.tickets["E-5@L-05"], 1, quantity="40", reason="double-counted a crate",
                           user=s.users["ann"])
    count("E-5@L-05", 2, "40", "cat")
    tickets.void("FY2025", s.blanks[0], reason="torn", by=s.users["manager"])
    auditor = s.users["auditor"]
    audit_sampling.draw("FY2025", direction="sheet_to_floor", seed=3, key_count=1, random_count=2, by=auditor)
    audit_sampling.record_count("FY2025", 1, 1, quantity="39", by=auditor)
    audit_review.record_floor("FY2025", team=1, first="1", last="6", by=auditor)
    line = db.session.scalar(sa.select(BookLine).where(BookLine.owner == Owner.AT_THIRD_PARTY, BookLine.lot == "C1"))
    audit_confirm.record_answer("FY2025", line.id, confirmed_qty="245", answered_on=date(2026, 1, 9), by=auditor)
    campaign = campaigns.get("FY2025")
    db.session.add(InstructionsVersion(campaign_id=campaign.id, version=1, data={"last_receipt_document": "BR-0041"},
                                       pdf=b"%PDF-1.4 first", sha256=hashlib.sha256(b"%PDF-1.4 first").hexdigest()))
    db.session.add(InstructionsVersion(campaign_id=campaign.id, version=2, data={"last_receipt_document": "BR-0041",
                                                                                "last_shipment_document": "BL-0098"},
                                       pdf=b"%PDF-1.4 second", sha256=hashlib.sha256(b"%PDF-1.4 second").hexdigest()))
    db.session.commit()
    return s


def _export(runner, tmp_path, name="evidence.zip"):
    out = tmp_path / name
    result = runner.invoke(args=["audit", "export", "FY2025", "--out", str(out)])
    return result, out


def _csv(archive, name):
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))


def test_every_file_is_in_the_manifest_with_its_sha256(worked, runner, tmp_path):
    result, out = _export(runner, tmp_path)
    assert result.exit_code == 0, result.output
    assert "audit log intact" in result.output
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        listed = dict(reversed(line.split("  ", 1)) for line in archive.read("MANIFEST.sha256").decode().splitlines())
        manifest = json.loads(archive.read("manifest.json"))
        assert names == set(listed) | {"MANIFEST.sha256", "manifest.json"}
        assert EXPECTED <= set(listed)
        for name, digest in listed.items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
        assert {f["file"]: f["sha256"] for f in manifest["files"]} == listed
        assert all(f["bytes"] == len(archive.read(f["file"])) for f in manifest["files"])
    check = audit_review.verify(campaigns.get("FY2025"))
    assert manifest["audit_log"] == {"ok": True, "events": check.events, "head_seq": check.head_seq,
                                     "head_hash": check.head_hash, "first_break": None}
    assert manifest["campaign"] == "FY2025" and manifest["instructions_versions"] == 2


def test_a_file_changed_after_export_no_longer_matches_the_manifest(worked, runner, tmp_path):
    _, out = _export(runner, tmp_path)
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(forged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "counts.csv":
                data = data.replace(b",1100,", b",1200,")
            target.writestr(item, data)
    with zipfile.ZipFile(forged) as archive:
        listed = dict(reversed(line.split("  ", 1)) for line in archive.read("MANIFEST.sha256").decode().splitlines())
        bad = [n for n, d in listed.items() if hashlib.sha256(archive.read(n)).hexdigest() != d]
    assert bad == ["counts.csv"]


def test_the_log_and_its_check_are_in_the_file(worked, runner, tmp_path):
    _, out = _export(runner, tmp_path)
    with zipfile.ZipFile(out) as archive:
        log = _csv(archive, "audit_log.csv")
        events = json.loads(archive.read("audit_log.json"))
        check = json.loads(archive.read("audit_verification.json"))
        readme = archive.read("README.txt").decode()
    # the main chain, then each user's sub-chain of counts (docs/audit.md), each numbered from 1 and linked
    chains = [r["chain"] for r in log]
    assert chains == sorted(chains) and chains[0] == "" and len(set(chains)) > 1
    for chain in set(chains):
        assert [int(r["seq"]) for r in log if r["chain"] == chain] == list(range(1, chains.count(chain) + 1))
    assert [e["hash"] for e in events] == [r["hash"] for r in log]
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(events, events[1:]) if a["chain"] == b["chain"])
    main = [r for r in log if r["chain"] == ""]
    assert check["ok"] and check["head_hash"] == main[-1]["hash"] and "intact" in readme
    assert {c["chain"] for c in check["sub_chains"]} == set(chains) - {""}
    assert {"count.add", "count.correct", "ticket.void", "audit.sample", "audit.count", "audit.floor_record",
            "audit.confirmation"} <= {r["action"] for r in log}


def test_counts_decisions_and_ticket_control_are_in_the_file(worked, runner, tmp_path):
    _, out = _export(runner, tmp_path)
    with zipfile.ZipFile(out) as archive:
        counts = _csv(archive, "counts.csv")
        control = _csv(archive, "ticket_control.csv")
        teams = _csv(archive, "tag_control_teams.csv")
        decisions = _csv(archive, "recount_decisions.csv")
        ticket_list = _csv(archive, "tickets.csv")
    assert len(counts) == 5
    correction = next(r for r in counts if r["correction_reason"])
    assert (correction["quantity"], correction["correction_reason"]) == ("40", "double-counted a crate")
    assert correction["supersedes_count_id"] == next(r["count_id"] for r in counts if r["quantity"] == "41")
    assert [r["kind"] for r in control].count("range") == 2 and control[-1]["kind"] == "total"
    team1 = next(r for r in teams if r["team"] == "1")
    assert (team1["floor_first_seen"], team1["floor_last_seen"]) == ("1", "6") and team1["agrees"] == "no"
    assert "torn" in team1["voided"]
    assert [(r["kind"], r["ticket"]) for r in decisions] == [("recount_needed", worked.tickets["A-1@L-01"])]
    assert len(ticket_list) == 9 and {"ticket", "status", "team_round1"} <= set(ticket_list[0])


def test_the_auditors_work_is_in_the_file(worked, runner, tmp_path):
    _, out = _export(runner, tmp_path)
    with zipfile.ZipFile(out) as archive:
        samples = _csv(archive, "audit_samples.csv")
        lines = _csv(archive, "audit_sample_lines.csv")
        entries = _csv(archive, "audit_counts.csv")
        confirmations = _csv(archive, "confirmations.csv")
        cutoff = _csv(archive, "cutoff.csv")
        names = archive.namelist()
        assert archive.read("instructions/instructions_v2.pdf") == b"%PDF-1.4 second"
        v1 = json.loads(archive.read("instructions/instructions_v1.json"))
    assert (samples[0]["seed"], samples[0]["direction"], samples[0]["lines"]) == ("3", "sheet_to_floor", "3")
    assert lines[0]["stratum"] == "key" and lines[0]["what"] == "E-5|L-05|"
    assert lines[0]["tickets"] == worked.tickets["E-5@L-05"]
    assert (lines[0]["teams_qty"], lines[0]["auditor_qty"], lines[0]["diff_qty"], lines[0]["diff_value"]) == (
        "40", "39", "-1", "-80")
    assert (entries[0]["quantity"], entries[0]["counted_by"]) == ("39", "auditor")
    c1 = next(r for r in confirmations if r["lot"] == "C1")
    assert (c1["holder"], c1["book_qty"], c1["confirmed_qty"], c1["difference"]) == ("Transports Dupont", "250",
                                                                                       "245", "-5")
    assert {r["document"] for r in cutoff if r["part"] == "rolled_forward"} == {"BR-0042", "BL-0099"}
    noted = {r["kind"]: r["document"] for r in cutoff if r["part"] == "noted_in_instructions"}
    assert noted == {"receipt": "BR-0041", "issue": "BL-0098"}
    assert v1["version"] == 1 and "instructions/instructions_v1.pdf" in names


def test_reconciliation_and_the_archived_report_when_there(worked, runner, tmp_path):
    campaign = campaigns.get("FY2025")
    db.session.add(ReportArchive(campaign_id=campaign.id, pdf=b"%PDF report", sha256="0" * 64))
    db.session.commit()
    _, out = _export(runner, tmp_path)
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert archive.read("report/annual_report.pdf") == b"%PDF report" and manifest["report_archived"]
        if importlib.util.find_spec("countapp.services.reconciliation") is None:  # pragma: no cover
            assert "reconciliation.csv" not in archive.namelist()
            return
        assert manifest["reconciliation"] == "included"
        rows = _csv(archive, "reconciliation.csv")
        assert {"ticket", "reference", "book_qty", "counted_qty", "closing_qty"} <= set(rows[0])
        assert {r["reference"] for r in rows} >= {"A-1", "G-7", "H-8"}


def test_a_broken_log_is_exported_and_said_to_be_broken(worked, runner, tmp_path):
    campaign = campaigns.get("FY2025")
    db.session.commit()
    with db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.execute(sa.text("DROP TRIGGER audit_event_no_update"))
        else:
            connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        connection.execute(sa.text("UPDATE audit_event SET user_login = 'mallory' WHERE campaign_id = :c AND seq = 2"),
                           {"c": campaign.id})
    result, out = _export(runner, tmp_path)
    assert result.exit_code == 0 and "BROKEN" in result.output and "Event #2" in result.output
    with zipfile.ZipFile(out) as archive:
        check = json.loads(archive.read("audit_verification.json"))
        assert not check["ok"] and check["breaks"][0]["seq"] == 2
        assert "BROKEN: Event #2" in archive.read("README.txt").decode()


def test_bad_arguments_write_nothing(worked, runner, tmp_path):
    result = runner.invoke(args=["audit", "export", "FY2025", "--out", str(tmp_path / "evidence.txt")])
    assert result.exit_code == 1 and ".zip" in result.output
    result = runner.invoke(args=["audit", "export", "NOPE", "--out", str(tmp_path / "evidence.zip")])
    assert result.exit_code == 1 and "NOPE" in result.output
    assert list(tmp_path.glob("evidence*")) == []
