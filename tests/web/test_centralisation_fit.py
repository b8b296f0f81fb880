"""The centralisation page as the centraliser opens it: on the tickets that need a third count when
there are any, with the filter said and one click to every state; links that keep the filters, so a
copied URL or the back button shows the same list; a table that folds its secondary columns."""
from __future__ import annotations

import re
from html import unescape

from countapp.services import centralisation

from .test_recounts import BASE, count, counted, states_on_page  # noqa: F401  (fixtures)

URL = f"{BASE}/centralisation"


def tickets_listed(html: str) -> list[str]:
    table = html.split('id="tickets"', 1)[1].split("</table>", 1)[0]
    return sorted(set(re.findall(r"(\d{6}/2025)</a>", table)))


def links(html: str, rel: str) -> list[str]:
    return [unescape(h) for h in re.findall(rf'<a[^>]*rel="{rel}"[^>]*href="([^"]+)"', html)
            + re.findall(rf'<a[^>]*href="([^"]+)"[^>]*rel="{rel}"', html)]


def test_a_bare_page_opens_on_the_third_counts_with_one_click_to_every_state(counted, as_user):
    s = counted
    html = as_user("centraliser").get(URL).get_data(as_text=True)
    assert tickets_listed(html) == sorted([s.tickets["A-1@L-02"], s.tickets["D-4@L-04"]])
    assert "Showing: Third count needed" in html and "2 tickets match." in html
    # the state chips still count every state, and the "all" chip and button say state=all
    assert states_on_page(html)["agreed"] == 1
    every = re.search(r'href="([^"]*state=all[^"]*)"[^>]*>\s*Show every state', html)
    assert every is not None
    all_html = as_user("centraliser").get(unescape(every.group(1))).get_data(as_text=True)
    assert len(tickets_listed(all_html)) == 7 and "Showing:" not in all_html
    assert 'aria-current="true"' in all_html.split('data-total', 1)[0].rsplit("<li>", 1)[1]


def test_without_third_counts_the_page_opens_on_every_ticket(s, as_user):
    count(as_user, "ann", s.tickets["A-1@L-01"], 1, "1200")
    html = as_user("centraliser").get(URL).get_data(as_text=True)
    assert "Showing:" not in html and len(tickets_listed(html)) == 7


def test_filters_in_the_url_are_taken_as_written(counted, as_user):
    s = counted
    client = as_user("centraliser")
    # any filter given: no opening filter added (a shared link means what it says)
    assert tickets_listed(client.get(URL, query_string={"zone": "Z2"}).get_data(as_text=True)) == sorted(
        [s.tickets["C-3@L-03"], s.tickets["D-4@L-04"]])
    assert len(tickets_listed(client.get(URL, query_string={"state": "all"}).get_data(as_text=True))) == 7
    assert tickets_listed(client.get(URL, query_string={"state": "agreed"}).get_data(as_text=True)) == [
        s.tickets["A-1@L-01"]]


def test_paging_links_keep_every_state_and_the_other_filters(counted, as_user, monkeypatch):
    monkeypatch.setattr(centralisation.page, "__kwdefaults__", {"after": None, "before": None, "size": 3})
    client = as_user("centraliser")
    first = client.get(URL, query_string={"state": "all", "team": "1"}).get_data(as_text=True)
    (following,) = links(first, "next")
    assert "state=all" in following and "team=1" in following
    second = client.get(following).get_data(as_text=True)
    (back,) = links(second, "prev")
    assert "state=all" in back and tickets_listed(client.get(back).get_data(as_text=True)) == tickets_listed(first)


def test_the_table_folds_the_goods_and_pins_the_ticket(counted, as_user):
    s = counted
    html = as_user("centraliser").get(URL, query_string={"state": "all"}).get_data(as_text=True)
    head = html.split('id="tickets"', 1)[1].split("</thead>", 1)[0]
    headers = [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", h))).strip()
               for h in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]
    assert [h.split(" location")[0] for h in headers] == [
        "Ticket", "State", "Goods", "Book", "Count 1", "Count 2", "2 − 1", "Count 3", "Final", "Final − book", "Why"]
    assert 'class="cz-pin"' in head
    row = re.search(r"<tr class=\"cz-row-count_1\">(.*?)</tr>", html, re.S).group(1)
    goods = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", row.split('class="cz-goods"', 1)[1])))
    assert s.tickets["B-2@L-02"] in row and "B-2" in goods and "L-02 · Z1" in goods   # place and zone folded in
    select = html.split('id="state"', 1)[1].split("</select>", 1)[0]
    assert '<option value="all">' in select   # "any state" is said in the URL too
