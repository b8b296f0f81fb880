"""The blind rule and the campaign scope, swept over every GET a counter or a leader can reach.

Two campaigns with distinctive figures: FY2025 (tests/scenario.py: team 1 counts round 1, team 2
round 2, both rounds entered) and OTHER, counted by a team of its own. Every GET route of the URL map
(with each ticket number, in both spellings, and both campaign codes) is read by a counter and a
leader of each round of FY2025: no page or JSON shows FY2025's book quantities, the other round's
counts, or anything of OTHER (figures, items, places); OTHER's addresses answer 404 (web.scope).
tests/web/test_counting_blind.py holds the same rule for corrections and refusals.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import BookLine
from countapp.services import campaigns, counting, imports, teams, tickets, users

from ..conftest import PASSWORD
from ..scenario import build_scenario
from .conftest_helpers import example_url
from .test_counting_blind import SECRET_WORDS, TOKEN, spellings

CODE, OTHER = "FY2025", "OTHER"
# Distinctive values no page shows by chance (ticket n of FY2025 is the book line below).
BOOK = {1: "9876541", 2: "9876542", 3: "987654.321", 4: "9876544", 5: "9876545"}
ROUND1 = {1: "5550001", 2: "5550002", 3: "5550003.5", 4: "5550004", 5: "5550005"}
ROUND2 = {1: "6660001", 2: "6660002", 3: "6660003.25", 4: "6660004", 5: "6660005"}
OTHER_STOCK = """reference;designation;unit;category;location;zone;site;lot;book_qty;unit_cost;owner;last_movement_date
ZX-9;Zircon flange;pc;31;OX-01;OZ1;OS1;;4443331;0,25;own;2026-11-02
ZY-8;Yttrium paste;kg;31;OX-02;OZ1;OS1;QLOT7;4443332.75;3,10;own;2026-10-15
"""
OTHER_COUNTS = {1: "3332221", 2: "3332222.5"}
OTHER_WORDS = ("ZX-9", "ZY-8", "Zircon flange", "Yttrium paste", "OX-01", "OX-02", "QLOT7", "Oleg", "Olga")
NUMBER_ARGS = ("number",)
VIEWERS = {"ann": 1, "lead1": 1, "cat": 2, "lead2": 2}


def _all(values) -> set[str]:
    return set().union(*(spellings(v) for v in values))


@pytest.fixture
def world(app, tmp_path):
    s = build_scenario(tmp_path)
    for line in db.session.scalars(sa.select(BookLine)):
        sequence = int(s.tickets[f"{line.item.reference}@{line.location.code}"].split("/")[0])
        db.session.execute(sa.update(BookLine).where(BookLine.id == line.id).values(book_qty=Decimal(BOOK[sequence])))
    db.session.commit()
    for sequence, quantity in ROUND1.items():
        counting.submit_count(CODE, counting.CountInput(ticket=str(sequence), round=1, quantity=quantity),
                              user=s.users["ann"])
    for sequence, quantity in ROUND2.items():
        counting.submit_count(CODE, counting.CountInput(ticket=str(sequence), round=2, quantity=quantity),
                              user=s.users["cat"])
    # Another campaign, its own people, its own figures.
    campaigns.create(OTHER, year=2026, count_date=date(2026, 12, 28), closing_date=date(2026, 12, 31))
    stock = tmp_path / "other-stock.csv"
    stock.write_text(OTHER_STOCK, encoding="utf-8")
    imports.import_file("stock", OTHER, stock)
    for login, role in (("oleg", "leader"), ("olga", "counter"), ("omar", "leader"), ("otto", "counter")):
        s.users[login] = users.add_user(login, role, PASSWORD, name=login.title())
    teams.add_team(OTHER, 1, round=1, leader="oleg", members=["olga"], zones=["OZ1"])
    teams.add_team(OTHER, 2, round=2, leader="omar", members=["otto"], zones=["OZ1"])
    made = tickets.generate(OTHER, blank=0)
    tickets.issue(OTHER, team=1, first=made["first"], last=made["last"])
    tickets.issue(OTHER, team=2, first=made["first"], last=made["last"])
    tickets.start_counting(OTHER)
    for sequence, quantity in OTHER_COUNTS.items():
        counting.submit_count(OTHER, counting.CountInput(ticket=str(sequence), round=1, quantity=quantity),
                              user=s.users["olga"])
    return s


def get_urls(app) -> list[str]:
    """Every GET route with both campaign codes, each ticket number in both spellings, and the API's queries."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        for code, year in ((CODE, 2025), (OTHER, 2026)):
            base = example_url(rule).replace("FY2025", code)
            if not any(a in NUMBER_ARGS for a in rule.arguments):
                urls.add(base)
                continue
            for sequence in range(1, 8):
                for text in (str(sequence), f"{sequence:06d}/{year}"):
                    url = re.sub(r"<(?:\w+:)?number>", text, rule.rule)
                    urls.add(re.sub(r"<(?:\w+:)?\w+>", lambda m: code if "code" in m.group(0) else "1", url))
    for code in (CODE, OTHER):
        urls.update({f"/api/v1/campaigns/{code}/items?q=", f"/api/v1/campaigns/{code}/items?q=Z",
                     f"/api/v1/campaigns/{code}/locations?q=", f"/api/v1/campaigns/{code}/lots?reference=B-2",
                     f"/api/v1/campaigns/{code}/lots?reference=ZY-8", f"/api/v1/campaigns/{code}/counts?limit=200",
                     f"/api/v1/campaigns/{code}/tickets", f"/api/v1/campaigns/{code}/progress", f"/count/{code}",
                     f"/count/{code}/progress", f"/count/{code}/progress/live"})
        urls.update(f"/api/v1/tickets/{n}?campaign={code}" for n in range(1, 8))
    urls.update({"/", "/count/", "/api/v1/me"})
    return sorted(urls)


def _body(response) -> str:
    data = response.get_data()
    text = data.decode("utf-8") if response.mimetype.startswith(("text/", "application/json")) \
        else data.decode("latin-1")
    return TOKEN.sub("<token>", text)


@pytest.mark.parametrize("who", list(VIEWERS))
def test_counting_teams_never_see_book_other_round_or_other_campaign(app, world, login_as, who):
    other_round = ROUND2 if VIEWERS[who] == 1 else ROUND1
    own_round = ROUND1 if VIEWERS[who] == 1 else ROUND2
    secrets = (_all(BOOK.values()) | _all(other_round.values()) | _all(OTHER_COUNTS.values())
               | _all(["4443331", "4443332.75"])) - _all(own_round.values())
    client = login_as(app.test_client(), world.users[who])
    read = scoped = 0
    for url in get_urls(app):
        response = client.get(url)
        body = _body(response)
        where = (who, url, response.status_code)
        assert response.status_code < 500, where
        if url == "/api/openapi.json":
            continue  # the API's description: examples, no data
        found = [s for s in secrets if s in body] + [w for w in SECRET_WORDS if w in body.lower()]
        assert not found, (where, found)
        assert not [w for w in OTHER_WORDS if w in body], (where, [w for w in OTHER_WORDS if w in body])
        if f"/{OTHER}" in url or url.endswith(f"={OTHER}"):
            assert response.status_code == 404, where
            scoped += 1
        elif response.status_code == 200:
            read += 1
    assert read >= 10 and scoped >= 20, (read, scoped)
    # What the team may see is really there: its own round's counts (the sweep did not pass on empty pages).
    mine = client.get(f"/api/v1/campaigns/{CODE}/counts?limit=200").get_json()["counts"]
    assert sorted(c["quantity"] for c in mine) == sorted(own_round.values())
