"""Blind counting, checked over every route: a 2nd-count team never sees the book quantity, nor the 1st
count's quantity or state, nor whether its count agreed with the 1st (DOMAIN.md, Rules).

Book quantities and 1st counts get distinctive values no page would show by chance; the round-2
counter and leader then read every GET route of the app (walking the URL map) and the API, and post
wrong things to see the refusals. Then the 1st counts are corrected to other quantities and states:
every page the round-2 team can read must stay exactly the same.
"""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import BookLine
from countapp.services import counting

from ..scenario import build_scenario
from .conftest_helpers import example_url

CODE = "FY2025"
# 7-digit values: no timestamp, id or token of a page holds such a run of digits by chance.
BOOK = {1: Decimal("7340101"), 2: Decimal("7340202"), 3: Decimal("7340303.5"), 4: Decimal("7340404"),
        5: Decimal("7340505")}
ROUND1 = {1: ("9120301", "obsolete"), 2: ("9120402", "damaged"), 3: ("9120503.25", "expired"),
          4: ("9120604", "damaged"), 5: ("9120705", "obsolete")}
ROUND1_CORRECTED = {1: ("8455501", "expired"), 3: ("8455603.75", "damaged"), 5: ("8455705", "good")}
ROUND2 = {2: "9120402", 4: "9120699"}          # ticket 2 agrees with round 1, ticket 4 does not
# States are words every counting page offers (good, damaged, obsolete, expired): they are checked by the
# corrections below, which must leave every page unchanged.
SECRET_WORDS = ('"recount"', '"final"', "badge-recount", "badge-final", "third count needed", "agreed",
                "book_qty", "unit_cost", "final_qty", "recount_reasons", "far_from_book", "counts_disagree")
DOCUMENTATION = ("/api/openapi.json",)


def spellings(value: str) -> set[str]:
    """The ways a page could print a quantity: raw, decimal comma, grouped by locale."""
    number = Decimal(value)
    whole, _, decimals = format(number.normalize(), "f").partition(".")
    grouped = [whole]
    for sep in (",", ".", " ", "\u00a0", "\u202f"):
        grouped.append(f"{int(whole):,}".replace(",", sep))
    found = set()
    for g in grouped:
        found.add(g)
        if decimals:
            found.add(f"{g}.{decimals}")
            found.add(f"{g},{decimals}")
    return found


SECRETS = set().union(*(spellings(str(v)) for v in BOOK.values()),
                      *(spellings(q) for q, _ in ROUND1.values()),
                      *(spellings(q) for q, _ in ROUND1_CORRECTED.values())) \
    - set().union(*(spellings(q) for q in ROUND2.values()))   # the team's own counts (ticket 2 agrees)
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{10,}")


@pytest.fixture
def world(app, tmp_path):
    s = build_scenario(tmp_path)
    for line in db.session.scalars(sa.select(BookLine)):
        sequence = int(s.tickets[f"{line.item.reference}@{line.location.code}"].split("/")[0])
        db.session.execute(sa.update(BookLine).where(BookLine.id == line.id).values(book_qty=BOOK[sequence]))
    db.session.commit()
    for sequence, (quantity, state) in ROUND1.items():
        counting.submit_count(CODE, counting.CountInput(ticket=str(sequence), round=1, quantity=quantity, state=state),
                              user=s.users["ann"])
    for sequence, quantity in ROUND2.items():
        counting.submit_count(CODE, counting.CountInput(ticket=str(sequence), round=2, quantity=quantity),
                              user=s.users["cat"])
    return s


def leaks(text: str) -> list[str]:
    found = [secret for secret in SECRETS if secret in text]
    lowered = text.lower()
    found += [word for word in SECRET_WORDS if word in lowered]
    return found


NUMBER_ARGS = ("number", "sequence", "ticket")


def get_urls(app) -> list[str]:
    """Every GET route, with each ticket number where a route takes one, and the API's queries."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        base = example_url(rule)
        numbered = [a for a in rule.arguments if a in NUMBER_ARGS]
        if not numbered:
            urls.append(base)
            continue
        for sequence in range(1, 8):
            for text in (str(sequence), f"{sequence:06d}/2025"):
                url = rule.rule
                for arg in rule.arguments:
                    value = text if arg in NUMBER_ARGS else base  # placeholder replaced below
                    url = re.sub(r"<(?:[\w]+:)?%s>" % arg, value if arg in NUMBER_ARGS else "FY2025", url)
                urls.append(url)
    extra = ["/api/v1/campaigns/FY2025/items?q=", "/api/v1/campaigns/FY2025/locations?q=L",
             "/api/v1/campaigns/FY2025/lots?reference=B-2", "/api/v1/campaigns/FY2025/tickets",
             "/api/v1/campaigns/FY2025/counts?limit=200", "/count/FY2025", "/count/", "/",
             "/count/FY2025/progress", "/count/FY2025/progress/live", "/api/v1/campaigns/FY2025/progress"]
    return sorted(set(urls + extra))


def crawl(app, client) -> dict[str, tuple[int, str]]:
    pages = {}
    for url in get_urls(app):
        response = client.get(url)
        body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/json")) \
            else response.get_data().decode("latin-1")
        pages[url] = (response.status_code, TOKEN.sub("<token>", body))
    return pages


def own_routes(url: str) -> bool:
    return url.startswith(("/count", "/api/"))


@pytest.mark.parametrize("who", ["cat", "lead2"])
def test_round_two_team_never_sees_book_or_round_one(app, world, login_as, who):
    client = app.test_client()
    login_as(client, world.users[who])
    before = crawl(app, client)
    assert len(before) > 20
    for url, (status, body) in before.items():
        assert status < 500 or not own_routes(url), (url, status)
        if url not in DOCUMENTATION:
            assert not leaks(body), (url, leaks(body))
    # The team's own tickets are readable, and say nothing of the other round or the decision.
    for sequence in range(1, 6):
        view = client.get(f"/api/v1/tickets/{sequence}").get_json()
        assert view["round"] == 2 and "book_qty" not in view and "counts" not in view
        assert view["status"] == ("counted" if sequence in ROUND2 else "to_count")
    # Refusals are blind too.
    refusals = [
        client.post("/api/v1/counts", json={"ticket": "2", "round": 2, "quantity": "5"}),
        client.post("/api/v1/counts", json={"ticket": "1", "round": 1, "quantity": "5"}),
        client.post("/api/v1/counts", json={"ticket": "3", "round": 2, "quantity": "5.123456"}),
        client.post("/api/v1/counts", json={"ticket": "3", "round": 3, "quantity": "5"}),
        client.post("/api/v1/counts", json={"ticket": "4", "round": 3, "quantity": "5"}),
        client.post("/api/v1/corrections", json={"ticket": "1", "round": 1, "quantity": "5", "reason": "x"}),
        client.post("/api/v1/corrections", json={"ticket": "2", "round": 1, "quantity": "5", "reason": "x"}),
    ]
    for response in refusals:
        assert 400 <= response.status_code < 500
        assert not leaks(response.get_data(as_text=True)), response.get_data(as_text=True)
    # ticket 4 needs a third count, ticket 3 does not: the refusal cannot tell them apart
    third = [r.get_json()["error"]["message"].replace("000003", "N").replace("000004", "N") for r in refusals[3:5]]
    assert third[0] == third[1]

    # 1st counts corrected to other quantities and states: the 2nd team's view does not move.
    for sequence, (quantity, state) in ROUND1_CORRECTED.items():
        counting.correct_count(CODE, str(sequence), 1, quantity=quantity, state=state, reason="recounted",
                               user=world.users["ben"])
    after = crawl(app, client)
    changed = [url for url in before if before[url] != after[url]]
    assert changed == []


def test_round_two_corrections_do_not_tell_whether_it_agreed(app, world, login_as):
    client = app.test_client()
    login_as(client, world.users["dan"])
    # ticket 2 agreed with round 1, ticket 4 did not: the 2nd team sees both the same way
    views = [client.get(f"/api/v1/tickets/{n}").get_json() for n in (2, 4)]
    assert [v["status"] for v in views] == ["counted", "counted"]
    assert [v["can_correct"] for v in views] == [True, True]
    for n, quantity in ((2, "9120400"), (4, "9120611")):
        response = client.post("/api/v1/corrections", json={"ticket": str(n), "round": 2, "quantity": quantity,
                                                            "reason": "recounted"})
        assert response.status_code == 201
        assert set(response.get_json()) == {"count"}
        assert not leaks(response.get_data(as_text=True))


def test_round_one_team_sees_its_own_count_only(app, world, login_as):
    client = app.test_client()
    login_as(client, world.users["ben"])
    view = client.get("/api/v1/tickets/2").get_json()
    assert view["count"]["quantity"] == "9120402" and view["round"] == 1
    assert "book_qty" not in view and view["status"] == "counted"
    body = client.get("/api/v1/tickets/4").get_data(as_text=True)
    assert "9120699" not in body and "7340404" not in body


def test_staff_see_book_and_both_rounds(app, world, login_as):
    client = app.test_client()
    login_as(client, world.users["centraliser"])
    view = client.get("/api/v1/tickets/4?campaign=FY2025").get_json()
    assert view["book_qty"] == "7340404" and view["counts"]["1"]["count"]["quantity"] == "9120604"
    assert view["counts"]["2"]["count"]["quantity"] == "9120699" and view["status"] == "recount"
