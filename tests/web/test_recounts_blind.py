"""The third count is blind: the leaders who recount never see count 1, count 2, the book, nor why.

Book quantities and counts 1 and 2 get distinctive 7-digit values no page would show by chance.
The two leaders of a recount sheet (and a leader of neither counting team) then read every page
of the centralisation area they can reach — the sheets list, the entry page before and after their
third count, refusals, the printed sheet — and none of those values, nor the words that say why a
ticket is recounted, may appear. Centralisers still see everything.
"""
from __future__ import annotations

import io
import re
from decimal import Decimal

import pypdf
import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import BookLine, Ticket, TicketStatus
from countapp.services import counting, recounts, teams

from ..scenario import build_scenario

CODE = "FY2025"
BASE = f"/campaigns/{CODE}"
BOOK = {"A-1@L-01": "7340101", "A-1@L-02": "7340202", "B-2@L-02": "7340303.5", "C-3@L-03": "7340404",
        "D-4@L-04": "7340505"}
ROUND1 = {"A-1@L-01": "9120301", "A-1@L-02": "9120402", "B-2@L-02": "9120503.25", "D-4@L-04": "9120604"}
ROUND2 = {"A-1@L-01": "9120377", "A-1@L-02": "9120402", "B-2@L-02": "9120599.5", "D-4@L-04": "9120688"}
THIRD = "5550123"
WORDS = ("far_from_book", "counts_disagree", "far from book", "counts 1 and 2 disagree", "agreed",
         "third count needed", "book_qty", "final_qty", "count 1", "count 2", "badge-recount", '"recount"')


def spellings(value: str) -> set[str]:
    """The ways a page could print a quantity: raw, decimal comma, grouped by locale."""
    number = Decimal(value)
    whole, _, decimals = format(number.normalize(), "f").partition(".")
    found = set()
    for sep in ("", ",", ".", " ", "\u00a0", "\u202f"):
        grouped = f"{int(whole):,}".replace(",", sep)
        found.add(grouped)
        if decimals:
            found.update({f"{grouped}.{decimals}", f"{grouped},{decimals}"})
    return found


SECRETS = set().union(*(spellings(v) for v in (*BOOK.values(), *ROUND1.values(), *ROUND2.values())))


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return sorted({s for s in SECRETS if s in text} | {w for w in WORDS if w in lowered})


@pytest.fixture
def world(app, tmp_path, make_user):
    s = build_scenario(tmp_path)
    for line in db.session.scalars(sa.select(BookLine)):
        key = f"{line.item.reference}@{line.location.code}"
        db.session.execute(sa.update(BookLine).where(BookLine.id == line.id).values(book_qty=Decimal(BOOK[key])))
    db.session.commit()
    for key, quantity in ROUND1.items():
        counting.submit_count(CODE, counting.CountInput(ticket=s.tickets[key], round=1, quantity=quantity,
                                                        state="damaged"), user=s.users["ann"])
    for key, quantity in ROUND2.items():
        counting.submit_count(CODE, counting.CountInput(ticket=s.tickets[key], round=2, quantity=quantity,
                                                        state="obsolete"), user=s.users["cat"])
    # every counted ticket needs a third count: counts disagree, or the agreed count is far from the book
    assert {t.status for t in db.session.scalars(sa.select(Ticket).where(Ticket.final_qty.is_(None),
                                                                         Ticket.status != "issued"))} == \
        {TicketStatus.RECOUNT}
    recounts.create_sheet(CODE, tickets=[s.tickets[k] for k in ("A-1@L-01", "A-1@L-02", "B-2@L-02")],
                          leader1="lead1", leader2="lead2", supervisor="centraliser", by=s.users["centraliser"])
    make_user("lead9", "leader", name="Lead9")
    teams.add_team(CODE, 9, round=1, leader="lead9", zones=[])
    recounts.create_sheet(CODE, tickets=[s.tickets["D-4@L-04"]], leader1="lead9", leader2="lead2",
                          supervisor="manager", by=s.users["manager"])
    s.users["lead9"] = db.session.scalar(sa.select(type(s.users["lead1"])).where(
        type(s.users["lead1"]).login == "lead9"))
    return s


def client_of(app, login_as, user):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as(client, user)
    return client


def area_urls(app) -> list[str]:
    """Every GET page of the centralisation area, for sheet and ticket numbers 1 to 7, and the campaign page."""
    urls = {BASE}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("centralisation.") or "GET" not in rule.methods:
            continue
        url = rule.rule.replace("<code>", CODE)
        urls.update(url.replace("<int:number>", str(n)) for n in range(1, 8))
    return sorted(urls)


def text_of(response) -> str:
    if response.mimetype == "application/pdf":
        reader = pypdf.PdfReader(io.BytesIO(response.data))
        return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    return response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["lead1", "lead2", "lead9"])
def test_leaders_never_see_earlier_counts_book_or_reasons(app, world, login_as, who):
    client = client_of(app, login_as, world.users[who])
    seen = 0
    for url in area_urls(app):
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code == 200:
            seen += 1
            assert not leaks(text_of(response)), (url, leaks(text_of(response)))
    assert seen >= 3     # the sheets list, at least one entry page and its PDF
    mine = 2 if who == "lead9" else 1
    page = client.get(f"{BASE}/recounts/{mine}/enter")
    assert page.status_code == 200 and 'name="quantity"' in page.get_data(as_text=True)


def test_entering_the_third_count_shows_only_the_third_count(app, world, login_as):
    s = world
    client = client_of(app, login_as, s.users["lead1"])
    number = int(s.tickets["A-1@L-02"].split("/")[0])
    done = client.post(f"{BASE}/recounts/1/enter", data={"ticket": str(number), "quantity": THIRD,
                                                         "state": "good"}, follow_redirects=True)
    assert done.status_code == 200
    body = done.get_data(as_text=True)
    assert "5,550,123" in body and not leaks(body)
    # the other leader sees the third count, never the first two
    other = client_of(app, login_as, s.users["lead2"]).get(f"{BASE}/recounts/1/enter").get_data(as_text=True)
    assert "5,550,123" in other and not leaks(other)
    # refusals are blind too: a second third count, a ticket of another sheet, a bad quantity
    for ticket, quantity in ((number, "3"), (int(s.tickets["D-4@L-04"].split("/")[0]), "3"),
                             (int(s.tickets["A-1@L-01"].split("/")[0]), "-1")):
        refused = client.post(f"{BASE}/recounts/1/enter", data={"ticket": str(ticket), "quantity": quantity})
        assert refused.status_code == 400 and not leaks(refused.get_data(as_text=True))


def test_the_leaders_sheets_list_and_printed_sheet_are_blind(app, world, login_as):
    client = client_of(app, login_as, world.users["lead2"])
    listing = client.get(f"{BASE}/recounts").get_data(as_text=True)
    assert f"{BASE}/recounts/1/enter" in listing and f"{BASE}/recounts/2/enter" in listing
    assert f"{BASE}/recounts/1\"" not in listing          # the centraliser's view of the sheet is not offered
    assert not leaks(listing)
    pdf = client.get(f"{BASE}/recounts/1.pdf?language=en")
    text = text_of(pdf)
    assert "Third count sheet no. 1" in text and world.tickets["A-1@L-02"] in text and not leaks(text)


def test_the_centraliser_sees_every_count_of_the_sheet(app, world, login_as):
    client = client_of(app, login_as, world.users["centraliser"])
    page = client.get(f"{BASE}/recounts/1").get_data(as_text=True)
    for key in ("A-1@L-01", "A-1@L-02", "B-2@L-02"):
        assert f"{int(ROUND1[key].split('.')[0]):,}" in page and f"{int(BOOK[key].split('.')[0]):,}" in page
    assert "Counts 1 and 2 disagree" in page and "Far from book stock" in page
