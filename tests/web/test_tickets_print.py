"""Printed tickets read back: words with pypdf, barcodes rendered with pdfium and decoded with ZXing.

Printed through the command line and through the web page's background job, from the shared
scenario's seven tickets (five pre-referenced, two blank).
"""
from __future__ import annotations

import io
import re
import time

import pypdf
import pypdfium2
import pytest
import sqlalchemy as sa
import zxingcpp

from countapp.extensions import db
from countapp.models import AuditEvent
from tickets.ticket_texts import TICKET_TEXTS

from ..scenario import build_scenario
from .test_tickets import CODE

BASE = f"/campaigns/{CODE}/tickets"
NUMBER = re.compile(r"\d{6}/2025")


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf), strict=True).pages]


def barcodes(pdf: bytes) -> list[list[str]]:
    """Every barcode ZXing reads on each page, rendered at 300 dpi."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [sorted(b.text for b in zxingcpp.read_barcodes(document[i].render(scale=300 / 72).to_pil()))
                for i in range(len(document))]
    finally:
        document.close()


def check_printed(pdf: bytes, numbers: list[str], per_page: int, language: str) -> None:
    """Each number three times on its own page, three parts per ticket, labels in ``language``, barcodes that scan."""
    texts, words, other = page_texts(pdf), TICKET_TEXTS[language], TICKET_TEXTS["en" if language == "fr" else "fr"]
    pages = [numbers[i:i + per_page] for i in range(0, len(numbers), per_page)]
    assert len(texts) == len(pages)
    for text, expected in zip(texts, pages):
        assert sorted(set(NUMBER.findall(text))) == expected
        for number in expected:
            assert text.count(number) == 3, (number, text)
        lines = [line.strip() for line in text.splitlines()]
        for part in ("stub", "round2", "round1"):  # each part's title band, once per ticket
            assert lines.count(words[part]) == len(expected), (part, text)
        assert words["quantity"] in text and other["quantity"] not in text
    assert barcodes(pdf) == [sorted(n for n in expected for _ in range(3)) for expected in pages]


@pytest.fixture
def scenario(app, tmp_path):
    return build_scenario(tmp_path)


@pytest.mark.parametrize("per_page, language", [(1, "fr"), (2, "en"), (3, "fr"), (3, "en")])
def test_the_cli_prints_every_ticket_in_three_parts_with_barcodes_that_scan(scenario, runner, tmp_path, per_page,
                                                                            language):
    out = tmp_path / "tickets.pdf"
    result = runner.invoke(args=["tickets", "print", CODE, "--out", str(out), "--per-page", str(per_page),
                                 "--language", language])
    assert result.exit_code == 0, result.output
    pages = -(-7 // per_page)
    assert f"7 tickets (000001/2025 to 000007/2025) printed on {pages} pages, {per_page} per page" in result.output
    pdf = out.read_bytes()
    check_printed(pdf, [f"{n:06d}/2025" for n in range(1, 8)], per_page, language)
    text = " ".join(page_texts(pdf))
    for word in ("A-1", "Bolt M6", "L-01", "Cutting oil", "LOT9", "Customer pallet", "Gear box", "L-04"):
        assert word in text
    assert text.count(TICKET_TEXTS[language]["blank"].split("\n")[0]) == 2


def test_the_cli_prints_a_range_in_the_campaign_language(scenario, runner, tmp_path):
    from countapp.services import campaigns

    campaigns.configure(campaigns.get(CODE), {"language": "en"})
    out = tmp_path / "range.pdf"
    result = runner.invoke(args=["tickets", "print", CODE, "--out", str(out), "--first", "000003/2025",
                                 "--last", "5", "--per-page", "2"])
    assert result.exit_code == 0, result.output
    assert "in English" in result.output
    check_printed(out.read_bytes(), ["000003/2025", "000004/2025", "000005/2025"], 2, "en")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "tickets.print"))
    assert event.after["first"] == "000003/2025" and event.after["pages"] == 2


def test_the_cli_refuses_an_empty_range_and_writes_nothing(scenario, runner, tmp_path):
    out = tmp_path / "none.pdf"
    result = runner.invoke(args=["tickets", "print", CODE, "--out", str(out), "--first", "50", "--last", "60"])
    assert result.exit_code == 1 and "no ticket to print" in result.output
    result = runner.invoke(args=["tickets", "print", CODE, "--out", str(out), "--first", "5", "--last", "2"])
    assert result.exit_code == 1 and "not below it" in result.output
    assert not out.exists() and not list(tmp_path.glob(".none.pdf*"))


def _manager(app, login_as, scenario):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as(client, scenario.users["manager"])
    return client


def test_the_print_page_runs_a_job_that_ends_with_a_pdf_to_download(scenario, app, login_as):
    client = _manager(app, login_as, scenario)
    response = client.post(f"{BASE}/print", data={"first": "2", "last": "000006/2025", "per_page": "2",
                                                  "language": "en"})
    assert response.status_code == 302 and "/tickets/print/" in response.headers["Location"]
    job_url = response.headers["Location"]
    page = client.get(job_url).get_data(as_text=True)
    assert "Tickets printed" in page and "5 tickets, 000002/2025 to 000006/2025, on 3 pages." in page
    status = client.get(job_url, query_string={"format": "json"}).get_json()
    assert (status["state"], status["done"], status["total"]) == ("done", 5, 5)
    download = client.get(f"{job_url}/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    check_printed(download.get_data(), [f"{n:06d}/2025" for n in range(2, 7)], 2, "en")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "tickets.print"))
    assert event.user_login == "manager"


def test_printing_on_the_web_does_not_block_the_request(scenario, app, login_as, monkeypatch, tmp_path):
    """Outside tests a print runs in a thread: the request answers at once, the page polls the job."""
    monkeypatch.setenv("COUNTAPP_PRINT_WORKERS", "1")
    client = _manager(app, login_as, scenario)
    from countapp.services.job_queue import EmbeddedWorker

    monkeypatch.setitem(app.config, "COUNTAPP_JOBS", "queue")   # a worker thread takes it, as `countapp run` does
    monkeypatch.setitem(app.config, "COUNTAPP_QUEUE_FILE", str(tmp_path / "queue.sqlite"))
    worker = EmbeddedWorker(app)
    worker.start()
    try:
        response = client.post(f"{BASE}/print", data={"per_page": "3", "language": "fr"})
        assert response.status_code == 302
        job_url = response.headers["Location"]
        deadline = time.monotonic() + 120
        status = client.get(job_url, query_string={"format": "json"}).get_json()
        while status["state"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            status = client.get(job_url, query_string={"format": "json"}).get_json()
    finally:
        worker.stopped.set()
    assert status["state"] == "done", status
    assert status["result"]["tickets"] == 7 and status["done"] == status["total"] == 7
    pdf = client.get(f"{job_url}/download").get_data()
    check_printed(pdf, [f"{n:06d}/2025" for n in range(1, 8)], 3, "fr")


def test_a_print_job_refuses_what_it_cannot_print(scenario, app, login_as):
    client = _manager(app, login_as, scenario)
    response = client.post(f"{BASE}/print", data={"first": "40", "last": "50", "per_page": "3", "language": "fr"},
                           follow_redirects=True)
    assert "no ticket to print" in response.get_data(as_text=True)
    response = client.post(f"{BASE}/print", data={"per_page": "4", "language": "fr"})
    assert response.status_code == 200 and "flash-error" in response.get_data(as_text=True)
    assert client.get(f"{BASE}/print/{'0' * 32}").status_code == 404
    assert client.get(f"{BASE}/print/{'0' * 32}/download").status_code == 404
    assert not db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "tickets.print"))
