"""The review page as the centraliser works it: it opens on the differences, causes are set from
the row without reloading the page (JSON) or by the form without script, and one cause is set for
several ticked lines at once: one transaction, one audit event per line, all or nothing."""
from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import AuditEvent, LineCause
from countapp.services import reconciliation

from .test_reconciliation import CODE, book_key, counted_campaign
from .test_reconciliation_page import line_rows, places, selection

URL = f"/campaigns/{CODE}/review"
JSON = {"Accept": "application/json"}


@pytest.fixture
def scenario(app, tmp_path):
    return counted_campaign(tmp_path)


@pytest.fixture
def as_user(app, login_as):
    def make(user):
        client = app.test_client()
        login_as(client, user)
        client.post("/language", data={"language": "en"})
        return client
    return make


def causes() -> dict[str, str]:
    db.session.expire_all()
    return {key: cause for key, cause in db.session.execute(sa.select(LineCause.line_key, LineCause.cause)
                                                            .order_by(LineCause.id))}


def cause_events() -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "reconciliation.cause")
                                   .order_by(AuditEvent.seq)))


# --- the opening filter ---------------------------------------------------------------------------

def test_a_bare_page_opens_on_the_differences_with_one_click_to_every_line(scenario, as_user):
    client = as_user(scenario.users["auditor"])
    html = client.get(URL).get_data(as_text=True)
    assert {r["status"].split(" Difference without")[0] for r in line_rows(html)} == {"Difference"}
    assert "Showing: Difference" in selection(html)
    every = re.search(r'href="(\?[^"]*status=all[^"]*)"[^>]*>\s*Show all lines', html)
    assert every is not None
    whole = client.get(URL + unescape(every.group(1))).get_data(as_text=True)
    assert "8 lines match" in selection(whole) and "Showing:" not in selection(whole)
    # the page's own links say status=all, so that paging or sorting never falls back to the differences
    assert all("status=all" in unescape(h) for h in re.findall(r'<th[^>]*>\s*<a href="([^"]+)"', whole))
    # a link with filters is taken as written (a shared URL shows what its sender saw)
    assert len(line_rows(client.get(URL + "?zone=Z1").get_data(as_text=True))) == 3


def test_a_page_without_differences_opens_on_every_line(app, make_campaign, client_as):
    make_campaign()
    client = client_as("centraliser")
    client.post("/language", data={"language": "en"})
    html = client.get(URL).get_data(as_text=True)
    assert "Showing:" not in selection(html) and "0 lines match" in selection(html)


# --- one line, from its row --------------------------------------------------------------------------

def test_a_cause_set_from_the_row_answers_json_and_is_logged(scenario, as_user):
    client = as_user(scenario.users["centraliser"])
    key = book_key("A-1", "L-02")
    response = client.post(f"{URL}/cause", headers=JSON,
                           data={"line": key, "cause": "breakage", "note": "Crushed box", "back": "status=all"})
    assert response.status_code == 200 and response.is_json
    assert response.json == {"ok": True, "message": "Cause saved.",
                             "lines": {key: {"cause": "breakage", "label": "Breakage", "note": "Crushed box"}}}
    assert causes() == {key: "breakage"}
    (event,) = cause_events()
    assert event.entity_id == key and event.after["cause"] == "breakage" and event.user_login == "centraliser"
    again = client.post(f"{URL}/cause", headers=JSON, data={"line": key, "cause": "breakage", "note": "Crushed box"})
    assert again.json["message"] == "Nothing changed." and len(cause_events()) == 1


@pytest.mark.parametrize("data, words", [
    ({"cause": "theft"}, "Choose a cause from the list."),
    ({"cause": "breakage", "line": "b999999"}, "There is no reconciliation line b999999"),
])
def test_a_refused_cause_answers_json_with_the_reason(scenario, as_user, data, words):
    client = as_user(scenario.users["centraliser"])
    response = client.post(f"{URL}/cause", headers=JSON, data={"line": book_key("A-1", "L-02"), **data})
    assert response.status_code == 400 and response.json["ok"] is False and words in response.json["message"]
    assert causes() == {} and cause_events() == []


def test_a_signed_off_reconciliation_refuses_the_row_in_json(scenario, as_user):
    as_user(scenario.users["manager"]).post(f"{URL}/sign", data={"sign-name": "Marie Curie"})
    response = as_user(scenario.users["centraliser"]).post(f"{URL}/cause", headers=JSON,
                                                           data={"line": book_key("A-1", "L-02"), "cause": "breakage"})
    assert response.status_code == 400 and "signed off" in response.json["message"]
    assert causes() == {}


def test_without_script_the_row_form_posts_and_comes_back_to_the_same_filters(scenario, as_user):
    client = as_user(scenario.users["centraliser"])
    html = client.get(URL + "?status=all&zone=Z1").get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+)" class="cause-form">(.*?)</form>', html, re.S)
    assert form.group(1) == f"{URL}/cause" and 'name="csrf_token"' in form.group(2)
    back = unescape(re.search(r'name="back" value="([^"]*)"', form.group(2)).group(1))
    assert "status=all" in back and "zone=Z1" in back
    response = client.post(f"{URL}/cause", data={"line": book_key("A-1", "L-02"), "cause": "mislocation",
                                                 "back": back})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{URL}?{back}")
    assert "Cause saved." in client.get(response.headers["Location"]).get_data(as_text=True)


# --- several lines at once ---------------------------------------------------------------------------

def test_one_cause_for_the_lines_ticked_one_event_each(scenario, as_user):
    client = as_user(scenario.users["centraliser"])
    html = client.get(URL + "?status=all").get_data(as_text=True)
    assert f'action="{URL}/causes"' in html and 'id="bulk"' in html
    ticks = re.findall(r'<input type="checkbox" name="lines" value="([^"]+)" form="bulk"', html)
    assert len(ticks) == 4                                   # the lines whose cause may be set
    keys = [book_key("A-1", "L-02"), book_key("D-4", "L-04"), book_key("C-3", "L-03")]
    response = client.post(f"{URL}/causes", headers=JSON,
                           data={"lines": keys, "bulk-cause": "counting_error", "bulk-note": "Recount sheet 1"})
    assert response.status_code == 200 and response.json["message"] == "Cause saved for 3 lines."
    assert set(response.json["lines"]) == set(keys)
    assert causes() == dict.fromkeys(keys, "counting_error")
    events = cause_events()
    assert [e.entity_id for e in events] == keys
    assert {e.after["note"] for e in events} == {"Recount sheet 1"}
    # once more, one of them changed by hand in between: only the others are said unchanged
    client.post(f"{URL}/cause", headers=JSON, data={"line": keys[0], "cause": "breakage"})
    again = client.post(f"{URL}/causes", headers=JSON,
                        data={"lines": keys, "bulk-cause": "counting_error", "bulk-note": "Recount sheet 1"})
    assert again.json["message"] == "Cause saved for 1 line. 2 lines already had it."
    assert len(cause_events()) == 5
    page = client.get(URL + "?cause=counting_error").get_data(as_text=True)
    assert sorted(places(page)) == ["A-1@L-02", "C-3@L-03", "D-4@L-04"]


def test_a_bulk_change_is_all_or_nothing(scenario, as_user):
    client = as_user(scenario.users["centraliser"])
    response = client.post(f"{URL}/causes", headers=JSON,
                           data={"lines": [book_key("A-1", "L-02"), "b999999"], "bulk-cause": "breakage"})
    assert response.status_code == 400 and "There is no reconciliation line b999999" in response.json["message"]
    assert causes() == {} and cause_events() == []
    nothing = client.post(f"{URL}/causes", headers=JSON, data={"bulk-cause": "breakage"})
    assert nothing.status_code == 400 and nothing.json["message"] == "Tick at least one line."


def test_without_script_the_bulk_form_posts_and_says_how_many(scenario, as_user):
    client = as_user(scenario.users["centraliser"])
    response = client.post(f"{URL}/causes", data={"lines": [book_key("A-1", "L-02")], "bulk-cause": "breakage",
                                                  "bulk-back": "status=difference"}, follow_redirects=True)
    assert response.request.query_string.decode() == "status=difference"
    assert "Cause saved for 1 line." in response.get_data(as_text=True)


def test_only_the_centraliser_sets_causes_in_bulk(scenario, as_user):
    for role in ("manager", "auditor"):
        client = as_user(scenario.users[role])
        assert 'id="bulk"' not in client.get(URL).get_data(as_text=True)
        assert client.post(f"{URL}/causes", data={"lines": [book_key("A-1", "L-02")],
                                                  "bulk-cause": "breakage"}).status_code == 403
    with pytest.raises(Exception, match="Only the centraliser"):
        reconciliation.set_causes(CODE, [book_key("A-1", "L-02")], "breakage", by=scenario.users["manager"])
    assert causes() == {}
