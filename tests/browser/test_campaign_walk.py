"""A whole campaign through the browser only, from an empty database to the closed report.

The app runs as in production (``served.Served``: ``countapp serve`` with two gunicorn workers and
``countapp worker`` for the jobs, each its own process, on the test's database: SQLite, or PostgreSQL
with COUNTAPP_TEST_DB=postgresql). Nothing here calls the CLI, a service or a job inline: every step is
a page, a form, a click or a keystroke. Each step leaves a screenshot ``NN-step.png`` in the folder
named by COUNTAPP_WALK_SHOTS (a temporary folder when unset): CI keeps them.

The campaign: the French stock file of the fixtures (30 lines, ATELIER 13 and MAGASIN 17, book value
39 946,93 €), one team per round, counters typing as a keyboard-wedge scanner does (number + Enter)
and their quantities by hand (quantity + Enter); the round-2 tablet loses its network for three
counts. Four lines end with a difference, three of them after a third count by the two leaders.
"""
from __future__ import annotations

import io
import os
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest

from . import walking
from .network import Proxy, offline
from .scanner import scan
from .served import Served
from .walking import STOCK, book, plain

pytestmark = pytest.mark.browser

expect = walking.sync_api.expect

CODE = "INV2025"
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 1024, "height": 768}
FIRST = "Premier-acces-7731"      # given by the manager
CHOSEN = "Tournesol-bleu-4821"    # chosen by each user at the first log-in
JOB_WAIT = 90_000

# Who is who: login, full name, role, language.
PEOPLE = [("claire", "Claire Martin", "centraliser", "en"), ("leon", "Léon Bernard", "leader", "fr"),
          ("lena", "Lena Smith", "leader", "en"), ("paul", "Paul Petit", "counter", "fr"),
          ("sam", "Sam Jones", "counter", "en"), ("odile", "Odile Roux", "auditor", "fr")]

# What the counters find where it differs from the book (reference, location) -> quantity; the rest is
# counted at the book quantity.
ROUND1 = {("AP-2001", "AT-04-01"): "400", ("MA-4004", "MA-03-02"): "350", ("MP-1002", "AT-01-03"): "2390"}
ROUND2 = {("PF-3003", "MA-01-03"): "290", ("MA-4004", "MA-03-02"): "350", ("MP-1002", "AT-01-03"): "2390"}
# Tolerances 2 % between counts and 5 % against the book: AP-2001 and PF-3003 disagree, MA-4004 agrees but
# far from the book; MP-1002 agrees within 0,4 %. Third counts:
THIRD = {"AP-2001": ("leon", "410"), "MA-4004": ("leon", "352"), "PF-3003": ("lena", "300")}
# Differences in value: AP-2001 -10 x 1,15; PF-3003 -15 x 8,45; MA-4004 -28 x 3,10; MP-1002 -10 x 0,42.
DIFFERENCE = Decimal("-11.50") + Decimal("-126.75") + Decimal("-86.80") + Decimal("-4.20")


def money_fr(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups)},{cents}"


def label(sequence: int) -> str:
    return f"{sequence:06d}/2025"


class Walk(walking.Walk):
    def shot(self, page, name: str) -> None:
        # A tablet as its user sees it (its toast sticks to the top of the screen); a desktop page whole.
        super().shot(page, name, full_page=page.viewport_size["width"] != TABLET["width"])

    def context(self, language: str, viewport=DESKTOP, tablet: bool = False):
        return super().context(language, viewport, tablet)

    def log_in(self, context, login: str, *, base: str | None = None, first_time: bool = True):
        """Log in; a user whose password was given by the manager chooses their own first."""
        page = super().log_in(context, login, FIRST if first_time else CHOSEN, base=base)
        if first_time:
            page.wait_for_url("**/password**")
            expect(page.locator("#confirmation")).to_be_visible()
            self.shot(page, f"password-{login}")
            page.fill("#password", CHOSEN)
            page.fill("#confirmation", CHOSEN)
            page.click("form:has(#confirmation) button[type=submit]")
            page.wait_for_url(lambda url: "/password" not in url and "/login" not in url)
        return page

    def wait_job(self, page, name: str) -> str:
        return super().wait_job(page, name, JOB_WAIT)


def pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader

    assert data.startswith(b"%PDF-"), data[:20]
    return len(PdfReader(io.BytesIO(data)).pages)


def count_round(walk: Walk, page, expected: dict, overrides: dict, decimal: str, *, cut=None) -> None:
    """Count every ticket of the round on the tablet: the scanner types the number and Enter; the counter
    types the quantity (a person's pace: a fast burst would be a scan) and Enter. ``cut`` = (context,
    proxy, first, last): the network is down for those counts."""
    for sequence in range(1, 31):
        if cut and sequence == cut[2]:
            offline(cut[0], cut[1])
            expect(page.locator("#net")).not_to_have_class(re.compile(r"\bonline\b"))
        scan(page, label(sequence))
        expect(page.locator("#t-number")).to_have_text(label(sequence))
        expect(page.locator("#count-form")).to_be_visible()
        reference, location = page.inner_text("#t-reference"), page.inner_text("#t-location")
        lots = [lot for (ref, loc, lot) in expected if (ref, loc) == (reference, location)]
        lot = next((x for x in lots if x and x in page.inner_text("#t-lot")), lots[0])
        quantity = overrides.get((reference, location)) or format(expected[(reference, location, lot)].normalize(), "f")
        assert page.evaluate("document.activeElement.id") == "qty"
        page.keyboard.type(quantity.replace(".", decimal), delay=60)
        page.keyboard.press("Enter")
        expect(page.locator("#count-panel")).to_be_hidden()
        if cut and sequence == cut[3]:
            expect(page.locator("#pending-count")).to_have_text(str(cut[3] - cut[2] + 1))
            walk.shot(page, "tablet-offline")
            offline(cut[0], cut[1], False)
            expect(page.locator("#pending-count")).to_have_text("0", timeout=30_000)


def test_a_whole_campaign_through_the_browser(database_url, tmp_path):
    shots = walking.shots_folder(Path(os.environ.get("COUNTAPP_WALK_SHOTS") or tmp_path / "shots"))
    begun = time.monotonic()
    served = Served(database_url, tmp_path).start()
    proxy = Proxy(served.port)
    started = time.monotonic()
    print(f"served in {started - begun:.1f} s")
    try:
        with walking.chromium(served, shots) as browser:
            walk = Walk(browser, served, shots)
            run(walk, proxy)
            assert walk.errors == []
    finally:
        walked = time.monotonic()
        proxy.close()
        served.stop()
        print(f"the walk took {walked - started:.0f} s, stopping {time.monotonic() - walked:.1f} s")


def run(walk: Walk, proxy: Proxy) -> None:
    url, home = walk.url, f"{walk.url}/campaigns/{CODE}"
    expected = book()
    assert len(expected) == 30

    # 1. An empty installation opens on the first manager's form.
    desk = walk.context("fr")
    manager = desk.new_page()
    walking.first_manager(walk, manager, CHOSEN, shot="welcome")
    expect(manager.locator("a[href='/campaigns/new']").first).to_be_visible()
    assert manager.evaluate("document.documentElement.lang") == "fr"

    # 2. The users, each with a first password to change at the first log-in (the default tick).
    walking.add_users(walk, manager, PEOPLE, FIRST, must_change=True)
    listed = plain(manager.inner_text("main"))
    for login, name, _role, _language in PEOPLE:
        assert login in listed and name in listed
    walk.shot(manager, "users")

    # 3. The campaign, its documents in French.
    manager.goto(home.replace(CODE, "new"))
    manager.fill("#code", CODE)
    manager.fill("#name", "Inventaire annuel Lyon")
    manager.fill("#fiscal_year", "2025")
    manager.fill("#count_date", "2025-12-31")
    manager.fill("#closing_date", "2025-12-31")
    manager.select_option("#valuation", "wac")
    manager.select_option("#language", "fr")
    walk.shot(manager, "campaign-new")
    manager.click("form:has(#code) button[type=submit]")
    manager.wait_for_url(home)
    expect(manager.locator("h1 .badge-planning")).to_be_visible()

    # 4. The French stock file (cp1252, ';', decimal comma) through the import page; the worker imports it.
    manager.goto(home + "/imports")
    manager.select_option("#kind", "stock")
    manager.set_input_files("#file", str(STOCK))
    manager.get_by_role("button", name=re.compile("Check the file|Contrôler le fichier")).click()
    confirm = manager.locator("form[action$='confirm'] button[type=submit]")
    expect(confirm).to_contain_text("30")
    preview = plain(manager.inner_text("main"))
    assert "1 250,5" in preview and "15/12/2025" in preview
    walk.shot(manager, "import-preview")
    confirm.click()
    manager.wait_for_url("**/imports/jobs/**")
    summary = walk.wait_job(manager, "import-done")
    assert re.search(r"\b30\b", summary) and ("importées" in summary or "imported" in summary), summary
    manager.goto(home + "/imports")
    figures = manager.locator("dl").filter(has_text=re.compile("Lignes|Book lines")).first
    assert re.search(r"(Lignes[^\n]*|Book lines)\s*30\b", figures.inner_text()), figures.inner_text()

    # 5. Settings (tolerances), teams, instructions, tickets generated, printed and issued.
    manager.goto(home + "/settings")
    manager.fill("#person_in_charge", "Marie Durand")
    manager.fill("#company", "Ateliers Lyonnais SAS")
    manager.fill("#tol__all__between_counts__pct", "2")
    manager.fill("#tol__all__vs_book__pct", "5")
    manager.click("form:has(#person_in_charge) button[type=submit]")
    manager.wait_for_url(home + "/settings")
    expect(manager.locator(".flash-success")).to_be_visible()
    expect(manager.locator("#tol__all__vs_book__pct")).to_have_value("5")
    walk.shot(manager, "settings")

    manager.goto(home + "/teams")
    for number, round_, leader, member in ((1, "1", "leon", "paul"), (2, "2", "lena", "sam")):
        manager.fill("#team-number", str(number))
        manager.select_option("#team-round", round_)
        manager.select_option("#team-leader", leader)
        manager.select_option("#team-members", [member])
        manager.select_option("#team-zones", ["ATELIER", "MAGASIN"])
        manager.click("form:has(#team-number) button[type=submit]")
        manager.wait_for_url(home + "/teams")
        expect(manager.locator(".flash-success")).to_contain_text(str(number))
    walk.shot(manager, "teams")

    manager.goto(home + "/instructions")
    allow = manager.locator(".issue-form input[name=allow_missing]")
    if allow.count():
        allow.check()
    manager.click(".issue-form button[type=submit]")
    expect(manager.locator("a[href$='/instructions/v1.pdf']").first).to_be_visible()
    walk.shot(manager, "instructions")

    manager.goto(home + "/tickets")
    manager.fill("#generate-blank", "0")
    manager.click("form[action$='/tickets/generate'] button[type=submit]")
    manager.wait_for_url("**/tickets/generate/**")
    summary = walk.wait_job(manager, "tickets-generated")
    assert re.search(r"\b30\b", summary) and label(1) in summary and label(30) in summary, summary

    manager.goto(home + "/tickets/print")
    manager.select_option("#per_page", "3")
    manager.select_option("#language", "fr")
    manager.click("form:has(#per_page) button[type=submit]")
    manager.wait_for_url("**/tickets/print/**")
    summary = walk.wait_job(manager, "tickets-printed")
    assert re.search(r"\b30\b", summary) and re.search(r"\b10\b", summary), summary
    assert pdf_pages(walk.download(manager, "#download")) == 10          # 30 tickets, 3 per A4 sheet

    manager.goto(home + "/tickets/ranges")
    for team in ("1", "2"):
        manager.select_option("#issue-team", team)
        manager.fill("#issue-first", "1")
        manager.fill("#issue-last", label(30))
        manager.click("form[action$='/ranges/issue'] button[type=submit]")
        manager.wait_for_url(home + "/tickets/ranges")
        expect(manager.locator(".flash-success")).to_contain_text("30")
    walk.shot(manager, "ranges")

    # 6. Nothing missing: the manager starts counting.
    manager.goto(home)
    expect(manager.locator("#start .ready")).to_be_visible()
    walk.shot(manager, "ready")
    manager.click("#start button[type=submit]")
    expect(manager.locator("h1 .badge-counting")).to_be_visible()
    expect(manager.locator(".round-progress[data-round='1']")).to_contain_text("0 / 30")
    walk.shot(manager, "counting")

    # 7. Round 1 on a French tablet, round 2 on an English one whose network drops for three counts.
    tablet1 = walk.context("fr", TABLET, tablet=True)
    paul = walk.log_in(tablet1, "paul")
    paul.goto(f"{url}/count/{CODE}")
    expect(paul.locator(".team-bar")).to_contain_text("1")
    assert paul.evaluate("document.activeElement.id") == "ticket-input"
    count_round(walk, paul, expected, ROUND1, ",")
    expect(paul.locator("#left-count")).to_have_text("0")
    walk.shot(paul, "tablet-round1")

    tablet2 = walk.context("en", TABLET, tablet=True)
    sam = walk.log_in(tablet2, "sam", base=proxy.url)
    sam.goto(f"{proxy.url}/count/{CODE}")
    expect(sam.locator("#counting")).to_have_attribute("data-kept", "1")
    count_round(walk, sam, expected, ROUND2, ".", cut=(tablet2, proxy, 11, 13))
    expect(sam.locator("#left-count")).to_have_text("0")
    walk.shot(sam, "tablet-round2")

    manager.goto(f"{url}/count/{CODE}/progress")
    for round_ in ("1", "2"):                     # the three counts kept offline reached the server
        expect(manager.locator(f"p.stat[data-round='{round_}']")).to_have_text("30 / 30")
    walk.shot(manager, "progress")
    manager.goto(home)
    expect(manager.locator("#progress")).to_contain_text("3")     # three tickets need a third count

    # 8. The centraliser makes the recount sheet; the two leaders enter the third counts.
    office = walk.context("en")
    claire = walk.log_in(office, "claire")
    claire.goto(home + "/recounts/new")
    picks = claire.locator("input[name=tickets]")
    expect(picks).to_have_count(3)
    rows = plain(claire.inner_text("main"))
    for reference in THIRD:
        assert reference in rows
    claire.select_option("#leader_round1", "leon")
    claire.select_option("#leader_round2", "lena")
    walk.shot(claire, "recount-new")
    claire.click("form:has(#leader_round1) button[type=submit]")
    claire.wait_for_url(re.compile(r".*/recounts/\d+$"))
    sheet = claire.url.rsplit("/", 1)[1]

    leaders = {"leon": walk.context("fr", TABLET, tablet=True), "lena": walk.context("en", TABLET, tablet=True)}
    entry = {}
    for login, context in leaders.items():
        page = walk.log_in(context, login)
        page.goto(f"{url}/count/{CODE}")
        page.click("#nav-sheets")
        page.goto(f"{home}/recounts/{sheet}/enter")
        expect(page.locator("#left")).to_have_text("3" if login == "leon" else "1")
        entry[login] = page
        for reference, (who, quantity) in THIRD.items():
            if who != login:
                continue
            card = page.locator("section.rc-ticket", has_text=reference)
            card.locator(".rc-qty").fill(quantity)
            card.locator(".rc-qty").press("Enter")
            page.wait_for_load_state()
            expect(page.locator("section.rc-ticket", has_text=reference)).to_have_class(re.compile("rc-counted"))
        walk.shot(page, f"third-counts-{login}")
    expect(entry["lena"].locator("#left")).to_have_text("0")

    # 9. Causes (one inline, the rest in bulk), counting over, reconciliation signed off.
    claire.goto(home + "/review")
    lines = claire.locator("#lines tbody tr[data-key]")
    expect(lines).to_have_count(4)                      # the page opens on the differences
    first = lines.filter(has_text="AP-2001")
    first.locator("select[name=cause]").select_option("counting_error")
    first.locator(".cause-form button[type=submit]").click()
    expect(first.locator("[data-msg]")).not_to_be_empty()
    for reference in ("PF-3003", "MA-4004", "MP-1002"):
        lines.filter(has_text=reference).locator("input[name=lines]").check()
    claire.select_option("#bulk-cause", "shrinkage")
    claire.click("#bulk button[type=submit]")
    expect(claire.locator("#bulk [data-msg]")).to_contain_text("3")
    walk.shot(claire, "causes")
    claire.reload()
    causes = {claire.locator("#lines tbody tr[data-key]").nth(i).locator("th").inner_text():
              claire.locator("#lines tbody tr[data-key]").nth(i).locator("select[name=cause]").input_value()
              for i in range(4)}
    assert sorted(causes.values()) == ["counting_error", "shrinkage", "shrinkage", "shrinkage"], causes

    manager.goto(home)
    manager.click("#finish button[type=submit]")
    expect(manager.locator("h1 .badge-reconciling")).to_be_visible()
    manager.goto(home + "/review")
    totals = plain(manager.inner_text(".review-totals"))
    assert money_fr(Decimal("39946.93")) in totals, totals
    assert money_fr(Decimal("39946.93") + DIFFERENCE) in totals and money_fr(DIFFERENCE) in totals, totals
    manager.click("#sign-off button[type=submit]")
    expect(manager.locator("#sign-state .badge-final")).to_be_visible()
    walk.shot(manager, "signed-off")

    # 10. The report (a job), downloaded; the campaign closed; the audit log tells the story.
    manager.goto(home + "/report")
    manager.click("#generate")
    manager.wait_for_url("**/report/job/**")
    summary = walk.wait_job(manager, "report-generated")
    pages = int(re.search(r"(\d+) pages?", summary).group(1))
    assert pdf_pages(walk.download(manager, "#download-pdf")) == pages
    manager.goto(home + "/report")
    expect(manager.locator("#blockers-ok")).to_be_visible()
    manager.click("#close")
    expect(manager.locator("#closed-note")).to_be_visible()
    assert pdf_pages(walk.download(manager, "#final-pdf")) >= pages
    manager.goto(home)
    expect(manager.locator("h1 .badge-closed")).to_be_visible()
    walk.shot(manager, "closed")
    manager.goto(home + "/audit/log")
    events = manager.locator("tr[id^='event-']")
    assert events.count() > 20
    log = plain(manager.inner_text("main"))
    for who in ("marie", "paul", "sam", "leon", "lena", "claire"):
        assert who in log, who
    walk.shot(manager, "audit-log")
