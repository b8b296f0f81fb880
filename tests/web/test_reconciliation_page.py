"""The review page: who sees it, filters, order, paging, causes, sign-off and downloads."""
from __future__ import annotations

import io
import re
from html import unescape

import openpyxl
import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import AuditEvent, LineCause, SignOff, User
from countapp.services import campaigns, reconciliation

from ..conftest import PASSWORD
from .test_reconciliation import CODE, book_key, count, counted_campaign

URL = f"/campaigns/{CODE}/review"


@pytest.fixture
def scenario(app, tmp_path):
    return counted_campaign(tmp_path)


@pytest.fixture
def as_user(app, login_as):
    def make(user, language="en"):
        client = app.test_client()
        login_as(client, user)
        client.post("/language", data={"language": language})  # the texts checked below are English
        return client
    return make


def line_rows(html: str) -> list[dict]:
    """The lines table's rows: the ticket, reference, location, zone, status and cause, and the row's key
    (cells and parts of cells marked ``data-col``: the goods fold reference, place and zone into one cell)."""
    body = html.split('id="lines"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    rows = []
    for match in re.finditer(r'<tr class="([^"]*)" data-key="([^"]*)">(.*?)</tr>', body, re.S):
        cols = {name: re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", text))).strip()
                for name, text in re.findall(r'<(?:td|th|span|strong)[^>]*data-col="(\w+)"[^>]*>(.*?)</(?:td|th|span|strong)>',
                                             match.group(3), re.S)}
        rows.append({"class": match.group(1), "key": match.group(2), **{k: cols.get(k, "") for k in (
            "ticket", "reference", "location", "zone", "diff_qty", "status", "cause")}})
    return rows


def places(html: str) -> list[str]:
    return [f"{r['reference']}@{r['location']}" for r in line_rows(html)]


def selection(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html.split('id="selection"', 1)[1]
                                               .split("</p>", 1)[0]))).strip()


@pytest.mark.parametrize("role, status", [("manager", 200), ("centraliser", 200), ("auditor", 200),
                                          ("lead1", 403), ("ann", 403)])
def test_page_is_for_managers_centralisers_and_auditors(scenario, as_user, role, status):
    client = as_user(scenario.users[role])
    assert client.get(URL).status_code == status
    assert client.get(f"{URL}/reconciliation.csv").status_code == status


def test_page_shows_totals_and_largest_differences_first(scenario, as_user):
    html = as_user(scenario.users["centraliser"]).get(URL + "?status=all").get_data(as_text=True)
    # |diff value|: the unknown line (1.25), then the short one (0.50), then the rest.
    assert places(html)[:2] == ["A-1@L-03", "A-1@L-02"]
    assert line_rows(html)[-1]["status"].startswith("Voided ticket")  # no difference at all: last
    assert "8 lines match" in selection(html) and "gross 502.70" in selection(html)
    assert "4 exceptions" in selection(html)
    by_category = html.split('id="by-category"', 1)[1].split("</table>", 1)[0]
    assert "Raw materials and supplies" in by_category and "362.70" in by_category
    assert "LIFO" not in html  # the method's warning only shows for LIFO


@pytest.mark.parametrize("query, expected", [
    ("?zone=Z1", {"A-1@L-01", "A-1@L-02", "B-2@L-02"}),
    ("?category=products", {"D-4@L-04", "E-5@EXT-1"}),
    ("?status=not_counted", {"D-4@L-04"}),
    ("?status=third_party", {"C-3@L-03"}),
    ("?min_diff=0.5", {"A-1@L-03"}),                 # strictly above: the −0.50 line stays out
    ("?min_diff=0,49", {"A-1@L-03", "A-1@L-02"}),    # a decimal comma is read too
    ("?min_diff=1&diff_on=qty", {"A-1@L-03", "A-1@L-02"}),
    ("?min_diff=2&diff_on=qty", {"A-1@L-03"}),
    ("?exceptions=1&zone=Z2", {"A-1@L-03", "D-4@L-04"}),
    ("?q=lot9", {"B-2@L-02"}),
    ("?q=cutting", {"B-2@L-02"}),
    ("?cause=breakage", set()),
])
def test_filters(scenario, as_user, query, expected):
    html = as_user(scenario.users["auditor"]).get(URL + query).get_data(as_text=True)
    assert set(places(html)) == expected


def test_filter_by_cause_and_by_no_cause(scenario, as_user):
    client = as_user(scenario.users["centraliser"])
    response = client.post(f"{URL}/cause", data={"line": book_key("A-1", "L-02"), "cause": "breakage",
                                                 "note": "Crushed box", "back": "zone=Z1&sort=reference&dir=asc"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{URL}?zone=Z1&sort=reference&dir=asc")
    html = client.get(URL + "?cause=breakage").get_data(as_text=True)
    assert places(html) == ["A-1@L-02"] and "Crushed box" in html
    without = client.get(URL + "?cause=none&status=difference").get_data(as_text=True)
    assert places(without) == []
    assert "0 lines match" in selection(without)


def test_sort_by_a_column_either_way(scenario, as_user):
    client = as_user(scenario.users["manager"])
    up = places(client.get(URL + "?sort=reference&dir=asc").get_data(as_text=True))
    down = places(client.get(URL + "?sort=reference&dir=desc").get_data(as_text=True))
    references = [p.split("@")[0] for p in up]
    # The voided blank ticket has no reference: empty cells sort last both ways.
    assert references[:-1] == sorted(references[:-1]) and references[-1] == ""
    assert [p.split("@")[0] for p in down][:-1] == sorted(references[:-1], reverse=True)
    quantities = [r["diff_qty"] for r in line_rows(client.get(URL + "?sort=diff_qty&dir=asc").get_data(as_text=True))]
    assert quantities[:3] == ["-2", "0", "0"] and quantities[-1] == "—"


def test_header_links_toggle_the_order(scenario, as_user):
    html = as_user(scenario.users["manager"]).get(URL + "?sort=reference&dir=asc&zone=Z1").get_data(as_text=True)
    link = re.search(r'<th[^>]*aria-sort="ascending"[^>]*>\s*<a href="\?([^"]+)"', html).group(1)
    assert "dir=desc" in unescape(link) and "zone=Z1" in unescape(link)


def test_paging_keeps_filters_and_order(app, as_user):
    from bench.review_page import CODE as BENCH, build

    build(260, password=PASSWORD)
    campaign = campaigns.get(BENCH)
    client = as_user(db.session.scalar(sa.select(User).where(User.login == "auditor")))
    url = f"/campaigns/{BENCH}/review"
    total = len(reconciliation.result(campaign).lines)
    first = client.get(url + "?sort=ticket&dir=asc").get_data(as_text=True)
    assert f"{total} lines match" in selection(first) and f"Page 1 of {-(-total // 50)}" in first
    seen = []
    for page in range(1, -(-total // 50) + 1):
        html = client.get(url + f"?sort=ticket&dir=asc&page={page}").get_data(as_text=True)
        rows = line_rows(html)
        assert len(rows) == (50 if page * 50 <= total else total - (page - 1) * 50)
        seen += [r["ticket"] for r in rows]
    assert len(seen) == total and len(set(seen) - {"—"}) == len([s for s in seen if s != "—"])
    tickets = [s for s in seen if s != "—"]
    assert tickets == sorted(tickets)
    # A page past the end shows the last one; a bigger page size is honoured.
    last = client.get(url + "?sort=ticket&dir=asc&page=999").get_data(as_text=True)
    assert line_rows(last) == line_rows(client.get(url + f"?sort=ticket&dir=asc&page={-(-total // 50)}")
                                        .get_data(as_text=True))
    assert len(line_rows(client.get(url + "?per_page=200").get_data(as_text=True))) == 200
    # Next-page links carry the filters.
    zone = client.get(url + "?zone=Z03&per_page=50").get_data(as_text=True)
    assert all(r["zone"] == "Z03" for r in line_rows(zone))


def test_centraliser_gets_cause_forms_others_do_not(scenario, as_user):
    centraliser = as_user(scenario.users["centraliser"]).get(URL + "?status=all").get_data(as_text=True)
    keys = {r["key"] for r in line_rows(centraliser)}
    assert book_key("A-1", "L-02") in keys
    assert centraliser.count(f'action="{URL}/cause"') == 4  # difference, unknown, not counted, third party
    for role in ("manager", "auditor"):
        html = as_user(scenario.users[role]).get(URL).get_data(as_text=True)
        assert f'action="{URL}/cause"' not in html
    manager = as_user(scenario.users["manager"]).get(URL).get_data(as_text=True)
    assert f'action="{URL}/sign"' in manager


def test_auditor_reads_but_changes_nothing(scenario, as_user):
    auditor = as_user(scenario.users["auditor"])
    html = auditor.get(URL).get_data(as_text=True)
    assert "<form method=\"post\"" not in html.split('id="lines"', 1)[1]
    assert f'action="{URL}/sign"' not in html
    assert auditor.post(f"{URL}/cause", data={"line": book_key("A-1", "L-02"), "cause": "breakage"}).status_code == 403
    assert auditor.post(f"{URL}/sign", data={"sign-name": "Auditor"}).status_code == 403
    assert auditor.post(f"{URL}/reopen", data={"reopen-reason": "x"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineCause)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignOff)) == 0
    xlsx = auditor.get(f"{URL}/reconciliation.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    names = openpyxl.load_workbook(io.BytesIO(xlsx.data)).sheetnames
    assert {"Rapprochement", "Reconciliation"} & set(names)


def test_sign_off_and_reopen_from_the_page(scenario, as_user):
    manager = as_user(scenario.users["manager"])
    centraliser = as_user(scenario.users["centraliser"])
    response = manager.post(f"{URL}/sign", data={"sign-name": "Marie Curie"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Signed off" in html and "Marie Curie" in html and f'action="{URL}/reopen"' in html
    # Frozen: no cause form, and a posted cause is refused with a message.
    assert f'action="{URL}/cause"' not in centraliser.get(URL).get_data(as_text=True)
    refused = centraliser.post(f"{URL}/cause", data={"line": book_key("A-1", "L-02"), "cause": "breakage"},
                               follow_redirects=True)
    assert "signed off" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineCause)) == 0

    # A count arriving after the sign-off: the page says the figures are no longer those signed.
    count(scenario, scenario.tickets["D-4@L-04"], 1, "10")
    count(scenario, scenario.tickets["D-4@L-04"], 2, "10")
    assert "have changed since the sign-off" in manager.get(URL).get_data(as_text=True)

    empty = manager.post(f"{URL}/reopen", data={"reopen-reason": ""}, follow_redirects=True)
    assert "needs a written reason" in empty.get_data(as_text=True)
    manager.post(f"{URL}/reopen", data={"reopen-reason": "Late count of D-4"})
    page = manager.get(URL).get_data(as_text=True)
    history = page.split('id="sign-history"', 1)[1]
    assert "Late count of D-4" in history and "Reopened" in history
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "reconciliation.reopen"))
    assert event.after["reason"] == "Late count of D-4"
    centraliser.post(f"{URL}/cause", data={"line": book_key("A-1", "L-02"), "cause": "breakage"})
    assert db.session.scalar(sa.select(LineCause.cause)) == "breakage"


def test_cause_form_refuses_unknown_causes(scenario, as_user):
    client = as_user(scenario.users["centraliser"])
    response = client.post(f"{URL}/cause", data={"line": book_key("A-1", "L-02"), "cause": "theft"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineCause)) == 0


def test_back_link_never_leaves_the_page(scenario, as_user):
    client = as_user(scenario.users["centraliser"])
    response = client.post(f"{URL}/cause", data={"line": book_key("A-1", "L-02"), "cause": "breakage",
                                                 "back": "next=https://evil.example/&zone=Z1"})
    assert response.headers["Location"].endswith(f"{URL}?zone=Z1")


def test_downloads_match_the_command(scenario, as_user, runner, tmp_path):
    csv = as_user(scenario.users["centraliser"]).get(f"{URL}/reconciliation.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert f"reconciliation-{CODE}-" in csv.headers["Content-Disposition"]
    out = tmp_path / "r.csv"
    assert runner.invoke(args=["reconcile", CODE, "--out", str(out)]).exit_code == 0
    assert out.read_bytes() == csv.data
    assert as_user(scenario.users["manager"]).get(f"{URL}/reconciliation.pdf").status_code == 404


def test_french_page(scenario, as_user):
    html = as_user(scenario.users["manager"], language="fr").get(URL).get_data(as_text=True)
    assert "1 ligne de stock théorique sans comptage définitif" in html


def test_a_campaign_without_stock_shows_an_empty_page(app, make_campaign, client_as):
    make_campaign()
    client = client_as("manager")
    client.post("/language", data={"language": "en"})
    html = client.get(URL).get_data(as_text=True)
    assert "0 lines match" in selection(html) and "No own stock yet." in html
    assert client.get(f"{URL}/reconciliation.xlsx").status_code == 200


def test_lifo_is_valued_with_its_warning(scenario, as_user, runner, tmp_path):
    campaigns.configure(campaigns.get(CODE), {"valuation": "lifo"})
    html = as_user(scenario.users["auditor"]).get(URL).get_data(as_text=True)
    assert "LIFO (last in, first out) is refused under IFRS and by French tax rules" in html
    result = runner.invoke(args=["reconcile", CODE, "--out", str(tmp_path / "r.csv")])
    assert result.exit_code == 0 and "LIFO" in result.output


def test_category_filter_lists_categories_in_chart_order(scenario, as_user):
    html = as_user(scenario.users["manager"]).get(URL).get_data(as_text=True)
    select = html.split('id="f-category"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'option value="(\w+)"', select) == ["raw_materials", "products", "goods_for_resale"]


def test_manager_cannot_post_a_cause(scenario, as_user):
    response = as_user(scenario.users["manager"]).post(f"{URL}/cause", data={"line": book_key("A-1", "L-02"),
                                                                              "cause": "breakage"})
    assert response.status_code == 403
