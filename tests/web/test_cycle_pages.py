"""Cycle counting in the browser's pages (Flask test client): a programme created, its stock imported
(as a background job), classed, planned, counted blind on the tablet's endpoint over several days, a
difference accepted into adjustments, coverage and the auditor's sample; on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

STOCK = Path(__file__).resolve().parent.parent / "fixtures" / "stock_fr_cp1252.csv"
CODE = "CC2025"


@pytest.fixture
def people(app, make_user, login_as):
    """One client per role (and two counters), logged in, in English."""
    clients = {}
    for login, role in (("marie", "manager"), ("claire", "centraliser"), ("paul", "counter"), ("sam", "counter"),
                        ("leon", "leader"), ("odile", "auditor")):
        user = make_user(login, role)
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        login_as(client, user)
        client.user = user
        clients[login] = client
    return clients


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def make_programme(people, *, daily=10) -> None:
    """CC2025 with the 30 lines of the French stock file, each counted once, planned over the last three
    working days of the year (29, 30 and 31 December 2025): ten lines a day."""
    manager = people["marie"]
    answer = manager.post("/cycles/new", data={"code": CODE, "name": "Lyon", "fiscal_year": "2025",
                                               "start": "2025-01-01", "end": "2025-12-31", "campaign": ""})
    assert answer.status_code == 302, text(answer)[:2000]
    answer = manager.post(f"/cycles/{CODE}/imports", data={"kind": "stock", "as_of": "2025-12-01",
                                                           "file": (io.BytesIO(STOCK.read_bytes()), STOCK.name)},
                          content_type="multipart/form-data")
    assert answer.status_code == 302, text(answer)[:2000]
    job = manager.get(answer.headers["Location"])
    assert "Import finished" in text(job) and "30 stock lines imported" in text(job), text(job)[:3000]
    assert manager.post(f"/cycles/{CODE}/classify").status_code == 302
    answer = manager.post(f"/cycles/{CODE}/settings", data={
        "abc_a": "80", "abc_b": "15", "freq_A": "1", "freq_B": "1", "freq_C": "1", "daily_lines": str(daily),
        "weekdays": ["0", "1", "2", "3", "4"], "holidays": "2025-05-01\n2025-07-14",
        "tol__between_counts__pct": "2", "tol__vs_book__pct": "5"})
    assert answer.status_code == 302, text(answer)[:3000]
    assert manager.post(f"/cycles/{CODE}/plan", data={"start": "2025-12-29"}).status_code == 302


def first_days(people, n: int) -> list[date]:
    """The first ``n`` working days that have lines due, from the plan's calendar."""
    from countapp.services import cycles

    return [d.day for d in cycles.calendar(CODE) if d.planned][:n]


def count(client, line: dict, quantity: str, day: date, client_id: str | None = None):
    return client.post(f"/cycles/{CODE}/count/{line['id']}",
                       json={"quantity": quantity, "state": "good", "round": line["round"], "day": day.isoformat(),
                             "client_id": client_id or uuid.uuid4().hex})


def tablet_lines(client, day: date) -> list[dict]:
    page = client.get(f"/cycles/{CODE}/count?day={day.isoformat()}")
    assert page.status_code == 200, text(page)[:1000]
    found = re.search(r'<script type="application/json" id="cycle-data">(.*?)</script>', page.get_data(as_text=True), re.S)
    return json.loads(found.group(1))["lines"]


def book() -> dict[tuple[str, str], str]:
    rows = csv.DictReader(io.StringIO(STOCK.read_bytes().decode("cp1252")), delimiter=";")
    return {(r["Référence"], r["Emplacement"]): r["Quantité théorique"].replace(" ", "").replace(",", ".")
            for r in rows}


def test_a_programme_from_creation_to_its_plan(people):
    make_programme(people)
    manager = people["marie"]
    home = text(manager.get(f"/cycles/{CODE}"))
    assert "Classes" in home and "MP-1001" in home
    plan = text(manager.get(f"/cycles/{CODE}/plan"))
    assert "Plan the year again" in plan and re.search(r"Counts planned</dt><dd[^>]*>30<", plan), plan[:4000]
    assert "January 2025" in plan and "December 2025" in plan
    assert "Cycle counts" in text(manager.get("/"))          # the top bar's link
    again = text(manager.post(f"/cycles/{CODE}/plan", data={"start": "2025-12-29"}, follow_redirects=True))
    assert "nothing new to plan" in again and "Plan made" not in again


def test_the_due_list_is_grouped_by_place_and_blind(people):
    make_programme(people)
    day = first_days(people, 1)[0]
    page = text(people["paul"].get(f"/cycles/{CODE}/due?day={day.isoformat()}"))
    assert "Location" in page and "10 lines to count" in page, page[:3000]
    # Blind: no book quantity, as stored or as the page would format it (the distinctive ones: a decimal part
    # or thousands, which no designation, date or line code of the file holds).
    distinct = {Decimal(q) for q in book().values() if "." in q or Decimal(q) >= 1000}
    written = {f"{q:f}" for q in distinct} | {f"{q:,f}" for q in distinct}
    shown = {w for w in written if re.search(rf"(?<![\w.,]){re.escape(w)}(?![\w])", page)}
    assert len(written) >= 10 and not shown, shown
    sheet = people["paul"].get(f"/cycles/{CODE}/due/{day.isoformat()}.pdf")
    assert sheet.status_code == 200 and sheet.data.startswith(b"%PDF-")


def test_counts_on_the_tablet_replay_and_second_count_by_another_person(people):
    make_programme(people)
    day = first_days(people, 1)[0]
    books = book()
    lines = tablet_lines(people["paul"], day)
    assert len(lines) == 10 and all("book" not in str(k) for line in lines for k in line)
    # The office counts only 3rd counts: the manager's tablet offers no 1st count the service would refuse.
    assert tablet_lines(people["marie"], day) == [] and len(tablet_lines(people["leon"], day)) == 10
    wrong = lines[0]
    reference, location = wrong["reference"], wrong["location"]
    quantity = str(round(float(books[(reference, location)]) * 2 + 7))
    first = count(people["paul"], wrong, quantity, day, client_id="tablet-1-aaa")
    assert first.status_code == 201 and first.json["recount"] is True and first.json["next_round"] == 2, first.json
    assert "quantity" not in first.json and "status" not in first.json
    again = count(people["paul"], wrong, quantity, day, client_id="tablet-1-aaa")
    assert again.status_code == 200 and again.json["created"] is False
    # The person of round 1 no longer sees the line; another counter sees it as a 2nd count.
    assert wrong["id"] not in [line["id"] for line in tablet_lines(people["paul"], day)]
    theirs = {line["id"]: line for line in tablet_lines(people["sam"], day)}
    assert theirs[wrong["id"]]["round"] == 2
    second = count(people["sam"], theirs[wrong["id"]], quantity, day)
    assert second.status_code == 201 and second.json["recount"] is False
    refused = count(people["paul"], theirs[wrong["id"]], quantity, day)
    assert refused.status_code in (403, 409) and refused.json["error"]["message"]
    for line in lines[1:]:
        qty = books[(line["reference"], line["location"])]
        assert count(people["paul"], line, qty, day).status_code == 201
    assert tablet_lines(people["paul"], day) == []

    review = text(people["claire"].get(f"/cycles/{CODE}/review"))
    assert reference in review and "Accept the ticked differences" in review
    differences = re.findall(r'name="plans" value="(\d+)"', people["claire"].get(f"/cycles/{CODE}/review")
                             .get_data(as_text=True))
    assert differences == [str(wrong["id"])]
    answer = people["claire"].post(f"/cycles/{CODE}/review", data={"plans": differences, "cause": "counting_error",
                                                                    "note": ""})
    assert answer.status_code == 302
    exported = people["claire"].get(f"/cycles/{CODE}/adjustments.csv")
    assert exported.status_code == 200 and reference in exported.get_data(as_text=True)
    assert "INV" in text(people["claire"].get(f"/cycles/{CODE}/entries"))
    coverage = text(people["odile"].get(f"/cycles/{CODE}/coverage"))
    assert "Coverage and accuracy" in coverage and "Draw the sample" in coverage


def test_the_auditor_reads_and_draws_a_sample_but_changes_nothing(people):
    make_programme(people)
    auditor = people["odile"]
    for page in ("", "/plan", "/settings", "/imports", "/review", "/coverage", "/due"):
        assert auditor.get(f"/cycles/{CODE}{page}").status_code == 200, page
    assert auditor.post(f"/cycles/{CODE}/plan").status_code == 403
    assert auditor.post(f"/cycles/{CODE}/settings", data={"daily_lines": "3"}).status_code == 403
    drawn = auditor.post(f"/cycles/{CODE}/sample", data={"size": "5"})
    sample = drawn.get_data(as_text=True).split('id="sample-lines"')[1].split("</table>")[0]
    assert drawn.status_code == 200 and sample.count("<tr><td>") == 5


def test_counting_teams_count_but_do_not_reach_the_programme_pages(people):
    make_programme(people)
    for page in ("", "/plan", "/settings", "/review", "/coverage"):
        assert people["paul"].get(f"/cycles/{CODE}{page}").status_code == 403, page
    assert people["paul"].get("/cycles/").status_code == 200
    assert people["odile"].get(f"/cycles/{CODE}/count").status_code == 403


def test_bad_input_gets_a_clear_answer(people):
    make_programme(people)
    manager = people["marie"]
    assert manager.get(f"/cycles/{CODE}/due?day=2025-13-01").status_code == 400
    unknown = manager.get("/cycles/NOPE", follow_redirects=True)
    assert "NOPE" in text(unknown) and "flash-error" in text(unknown)
    bad = manager.post(f"/cycles/{CODE}/settings", data={"holidays": "tomorrow"}, follow_redirects=True)
    assert "must be a date" in text(bad)
    line = tablet_lines(people["paul"], first_days(people, 1)[0])[0]
    answer = count(people["paul"], line, "-3", first_days(people, 1)[0])
    assert answer.status_code == 400 and answer.json["error"]["message"]
    assert people["paul"].post(f"/cycles/{CODE}/count/{line['id']}", data="x").status_code == 400
    for given, field in (({"day": "29/12/2025"}, "day"), ({"round": "second"}, "round")):
        answer = people["paul"].post(f"/cycles/{CODE}/count/{line['id']}", json={"quantity": "1", **given})
        assert answer.status_code == 400 and answer.json["error"]["field"] == field, answer.json
        assert list(given.values())[0] in answer.json["error"]["message"]


def test_missed_counts_are_planned_again_from_the_day_chosen(people):
    make_programme(people, daily=0)
    manager = people["marie"]
    before = text(manager.get(f"/cycles/{CODE}/plan?day=2025-12-30"))
    assert re.search(r'id="missed"[^>]*>10<', before), before[:3000]
    assert "Re-plan 10 missed counts" in before
    answer = manager.post(f"/cycles/{CODE}/replan", data={"day": "2025-12-30"}, follow_redirects=True)
    assert "10 missed counts moved onto the next working days." in text(answer)
    assert re.search(r'id="missed"[^>]*>0<', text(manager.get(f"/cycles/{CODE}/plan?day=2025-12-30")))
    assert people["odile"].post(f"/cycles/{CODE}/replan", data={"day": "2025-12-30"}).status_code == 403



def steps_done(page: str) -> list[str]:
    """The numbers of the home page's steps marked done (1 to 7)."""
    steps = re.findall(r'<li class="step([^"]*)"><span class="tick">([^<]*)</span>', page)
    return [str(n) for n, (classes, _tick) in enumerate(steps, 1) if "done" in classes.split()]


def test_the_home_page_ticks_counting_review_and_coverage_once_done(people):
    make_programme(people)
    manager, books = people["marie"], book()
    assert steps_done(text(manager.get(f"/cycles/{CODE}"))) == ["1", "2", "3", "4"]
    wrong, counted = None, {}
    for day in first_days(people, 3):
        for line in tablet_lines(people["paul"], day):
            qty = books[(line["reference"], line["location"])]
            if wrong is None:
                wrong, qty = line, str(Decimal(qty) * 2 + 7)
            counted[line["id"]] = qty
            assert count(people["paul"], line, qty, day).status_code == 201
        for line in tablet_lines(people["sam"], day):        # 2nd counts (out of tolerance) agree with the 1st
            assert count(people["sam"], line, counted[line["id"]], day).status_code == 201
    # Every line counted, coverage 100 %; differences still to accept.
    assert steps_done(text(manager.get(f"/cycles/{CODE}"))) == ["1", "2", "3", "4", "5", "7"]
    waiting = re.findall(r'name="plans" value="(\d+)"', people["claire"].get(f"/cycles/{CODE}/review")
                         .get_data(as_text=True))
    assert str(wrong["id"]) in waiting
    answer = people["claire"].post(f"/cycles/{CODE}/review", data={"plans": waiting, "cause": "counting_error",
                                                                    "note": ""})
    assert answer.status_code == 302
    assert steps_done(text(manager.get(f"/cycles/{CODE}"))) == ["1", "2", "3", "4", "5", "6", "7"]


def test_combined_mode_chooses_the_year_end_items_in_the_settings_page(people, make_campaign):
    from countapp.extensions import db
    from countapp.models import CycleItem

    make_campaign("FY2025", year=2025)
    manager = people["marie"]
    assert manager.post("/cycles/new", data={"code": CODE, "fiscal_year": "2025", "campaign": "FY2025"}
                        ).status_code == 302
    answer = manager.post(f"/cycles/{CODE}/imports", data={"kind": "stock", "as_of": "2025-12-01",
                                                           "file": (io.BytesIO(STOCK.read_bytes()), STOCK.name)},
                          content_type="multipart/form-data")
    assert "Import finished" in text(manager.get(answer.headers["Location"]))
    page = text(manager.get(f"/cycles/{CODE}/settings"))
    assert "Items counted at year-end" in page and "FY2025" in page
    assert re.search(r'name="year_end_classes" value="A" checked', page)          # the default: class A
    # No class at year end, only the items worth 1,000 or more.
    answer = manager.post(f"/cycles/{CODE}/settings", data={"year_end_value": "1000", "weekdays": ["0", "1", "2"]})
    assert answer.status_code == 302, text(answer)[:3000]
    assert manager.post(f"/cycles/{CODE}/classify").status_code == 302
    page = text(manager.get(f"/cycles/{CODE}/settings"))
    assert not re.search(r'name="year_end_classes" value="[ABC]" checked', page)
    assert re.search(r'name="year_end_value"[^>]*value="1000"', page)
    chosen = set(db.session.scalars(sa.select(CycleItem.reference).where(CycleItem.year_end.is_(True))))
    def number(text: str) -> Decimal:       # the French file's "1 250,5"
        return Decimal(text.replace(" ", "").replace(",", "."))

    worth: dict[str, Decimal] = {}
    for row in csv.DictReader(io.StringIO(STOCK.read_bytes().decode("cp1252")), delimiter=";"):
        if row["Propriétaire"] == "propre":      # own stock: the programme's items
            worth[row["Référence"]] = worth.get(row["Référence"], Decimal(0)) + \
                number(row["Quantité théorique"]) * number(row["Coût unitaire"])
    assert chosen == {reference for reference, value in worth.items() if value >= 1000}
    assert 0 < len(chosen) < len(worth)
    # A bad threshold is refused with its field named, and nothing changes.
    refused = text(manager.post(f"/cycles/{CODE}/settings", data={"year_end_value": "-5"}, follow_redirects=True))
    assert "not valid" in refused
    # A programme without a campaign has no year-end choice to make.
    assert manager.post("/cycles/new", data={"code": "SOLO", "fiscal_year": "2025", "campaign": ""}).status_code == 302
    assert "Items counted at year-end" not in text(manager.get("/cycles/SOLO/settings"))


def test_the_cycle_tablet_has_its_service_worker_for_reloads_without_network(people, app):
    make_programme(people)
    response = people["paul"].get("/cycles/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/cycles/" and "no-cache" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    for path in ("/static/cycle_tablet.js", "/static/cycles.css", "/static/counting.css", "/static/countapp.css"):
        assert f'"{path}"' in body
    assert "zxing" not in body and 'var NAME = "cycles"' in body and "{{" not in body
    assert 'request.method !== "GET"' in body                           # counts never go through a cache
    # Only the tablet pages are kept: /cycles/<programme>/count, whatever the day.
    pages = re.search(r"var PAGES = new RegExp\((\"[^\"]+\")\)", body).group(1)
    pattern = re.compile(json.loads(pages))
    assert pattern.search(f"/cycles/{CODE}/count") and not pattern.search(f"/cycles/{CODE}/coverage")
    assert not pattern.search(f"/cycles/{CODE}/count/12")
    page = people["paul"].get(f"/cycles/{CODE}/count?day=2025-12-29").get_data(as_text=True)
    assert 'data-sw="/cycles/sw.js"' in page and 'data-from-copy="0"' in page and 'id="copy-note"' in page
    assert app.test_client().get("/cycles/sw.js").status_code in (302, 401)     # no session, no worker
    # The campaign tablet's worker keeps its own pages and files.
    counting = people["paul"].get("/count/sw.js").get_data(as_text=True)
    assert 'var NAME = "count"' in counting and "cycle_tablet.js" not in counting


def test_a_tablet_count_after_the_session_ended_is_answered_in_json_not_taken(people, app):
    """The cycle tablet posts JSON to a page address: once its session has ended, the answer is a JSON 401
    (it keeps the count and asks to log in again), not the log-in page after a redirect, which the tablet
    read as an answer and dropped the count; a stale CSRF token is a JSON 400 naming CSRF, as on the API."""
    make_programme(people)
    day = first_days(people, 1)[0]
    paul = people["paul"]
    line = tablet_lines(paul, day)[0]
    assert paul.post("/logout").status_code in (302, 303)
    answer = count(paul, line, "5", day)
    assert answer.status_code == 401 and answer.is_json, answer.get_data(as_text=True)[:300]
    assert answer.get_json()["error"]["message"] == "Log in first."
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        sam = people["sam"]
        answer = sam.post(f"/cycles/{CODE}/count/{line['id']}", headers={"X-CSRFToken": "stale"},
                          json={"quantity": "5", "round": line["round"], "day": day.isoformat(), "client_id": "x"})
        assert answer.status_code == 400 and answer.is_json
        assert "CSRF" in answer.get_json()["error"]["message"]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    from countapp.extensions import db
    from countapp.models import CycleCount

    assert db.session.scalar(sa.select(sa.func.count()).select_from(CycleCount)) == 0
