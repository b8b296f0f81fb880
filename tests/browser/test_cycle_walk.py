"""A cycle counting programme through the browser only: created, stocked, classed, planned, counted on the
tablet over three simulated days, a difference recounted by a second person and accepted, the adjustments
downloaded and coverage at 100 %.

The app runs as in production (``served.Served``: ``countapp serve`` and ``countapp worker`` in their own
processes, on the test's database: SQLite, or PostgreSQL with COUNTAPP_TEST_DB=postgresql); the stock file
is imported by the worker. The days are simulated the way a user would catch up on them: the tablet's day
picker (``?day=``) counts the lines due on the day chosen, dated that day. The programme is FY2025 (its
days are past), the 30 lines of the French stock file each counted once, planned from 29 December: ten
lines on each of the last three working days.

Each step leaves a screenshot ``NN-step.png`` in COUNTAPP_WALK_SHOTS (a temporary folder when unset); with
COUNTAPP_WALK_SHOTS set, the main pages are also shot in French and English at 1280 and 768 px.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest

from . import walking
from .network import Proxy, offline as network_down
from .scanner import scan
from .served import Served
from .walking import STOCK, book

pytestmark = pytest.mark.browser

expect = walking.sync_api.expect

CODE = "CC2025"
DAYS = ("2025-12-29", "2025-12-30", "2025-12-31")
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
PASSWORD = "Tournesol-bleu-4821"
JOB_WAIT = 90_000
PEOPLE = [("paul", "Paul Petit", "counter", "fr"), ("sam", "Sam Jones", "counter", "en"),
          ("claire", "Claire Martin", "centraliser", "en"), ("odile", "Odile Roux", "auditor", "fr")]


class Walk(walking.Walk):
    def __init__(self, browser, served: Served, shots: Path, extra: bool):
        super().__init__(browser, served, shots)
        self.extra = extra

    def context(self, language: str, viewport=DESKTOP, tablet: bool = False):
        return super().context(language, viewport, tablet)

    def log_in(self, context, login: str, base: str | None = None):
        return super().log_in(context, login, PASSWORD, base=base)


def tablet_lines(page) -> list[dict]:
    return json.loads(page.inner_text("#cycle-data"))["lines"]


def count_day(walk: Walk, page, day: str, expected: dict, wrong: dict, *, shot: str | None = None,
              offline: int = 0, network: Proxy | None = None) -> list[dict]:
    """Count every line the tablet offers on ``day``: the first by scanning its barcode, the others by a tap;
    the quantity on the keypad (or typed) and OK. ``wrong`` (plan id -> quantity) are counted off the book.
    The first ``offline`` lines are counted with the network down (``network``, the tablet's Wi-Fi): they
    wait on the tablet, a reload shows the page kept on the tablet with them, then they go."""
    base = re.match(r"https?://[^/]+", page.url).group(0)
    page.goto(f"{base}/cycles/{CODE}/count?day={day}")
    expect(page.locator("#cycle-tablet")).to_be_visible()
    lines = tablet_lines(page)
    if offline:     # the page is kept on the tablet before the network goes
        expect(page.locator("#cycle-tablet")).to_have_attribute("data-kept", "1", timeout=20_000)
    for index, line in enumerate(lines):
        if offline and index == 0:
            network_down(page.context, network)
        if offline and index == offline:
            expect(page.locator("#pending-count")).to_have_text(str(offline))
            expect(page.locator("#net")).to_have_class(re.compile(r"\boffline\b"))
            walk.shot(page, "tablet-offline")
            page.reload()
            expect(page.locator("#copy-note")).to_be_visible()
            expect(page.locator("#pending-count")).to_have_text(str(offline))
            expect(page.locator("#left-count")).to_have_text(str(len(lines) - offline))
            walk.shot(page, "tablet-offline-reloaded")
            network_down(page.context, network, False)
            expect(page.locator("#pending-count")).to_have_text("0", timeout=15_000)
        location = line["location"]
        quantity = wrong.get(line["id"]) or format(expected[(line["reference"], location, line["lot"])].normalize(), "f")
        if index == 0:
            scan(page, line["code"])        # the barcode of the printed sheet
        else:
            page.click(f".line-button[data-line='{line['id']}']")
        expect(page.locator("#line-panel")).to_be_visible()
        expect(page.locator("#l-reference")).to_have_text(line["reference"])
        if index == 0:  # gloved fingers: the keypad
            for char in quantity:
                page.click(f"#keypad button[data-key='{'decimal' if char == '.' else char}']")
            if shot:
                walk.shot(page, shot)
            page.click("#keypad button[data-key='ok']")
        else:
            page.fill("#qty", quantity)
            page.keyboard.press("Enter")
        expect(page.locator("#line-panel")).to_be_hidden()
    expect(page.locator("#pending-count")).to_have_text("0", timeout=15_000)
    expect(page.locator("#left-count")).to_have_text("0")
    return lines


def test_a_cycle_programme_through_the_browser(database_url, tmp_path):
    wanted = os.environ.get("COUNTAPP_WALK_SHOTS")
    shots = walking.shots_folder(Path(wanted) / "cycles" if wanted else tmp_path / "shots")
    served = Served(database_url, tmp_path).start()
    proxy = Proxy(served.port)
    started = time.monotonic()
    try:
        with walking.chromium(served, shots) as browser:
            walk = Walk(browser, served, shots, extra=bool(wanted))
            run(walk, proxy)
            assert walk.errors == []
    finally:
        print(f"the walk took {time.monotonic() - started:.0f} s")
        proxy.close()
        served.stop()


def run(walk: Walk, proxy: Proxy) -> None:
    url, home = walk.url, f"{walk.url}/cycles/{CODE}"
    expected = book()

    # 1. The first manager, then the people who count, settle and audit (their passwords given).
    desk = walk.context("fr")
    manager = desk.new_page()
    walking.first_manager(walk, manager, PASSWORD)
    walking.add_users(walk, manager, PEOPLE, PASSWORD, must_change=False)

    # 2. The programme, from the top bar's link.
    manager.click(".mainnav a[href='/cycles/']")
    manager.wait_for_url(url + "/cycles/")
    walk.shot(manager, "programmes-empty")
    manager.click("a[href='/cycles/new']")
    manager.fill("#code", CODE)
    manager.fill("#name", "Tournant Lyon")
    manager.fill("#fiscal_year", "2025")
    manager.fill("#start", "2025-01-01")
    manager.fill("#end", "2025-12-31")
    walk.shot(manager, "programme-new")
    manager.click("form:has(#code) button[type=submit]")
    manager.wait_for_url(home + "/imports")

    # 3. The stock file, imported by the worker process.
    manager.select_option("#kind", "stock")
    manager.set_input_files("#file", str(STOCK))
    manager.fill("#as_of", "2025-12-01")
    manager.click("form:has(#file) button[type=submit]")
    manager.wait_for_url("**/imports/jobs/**")
    imported = walk.wait_job(manager, "import-done", JOB_WAIT)
    assert re.search(r"\b30\b", imported), imported

    # 4. Classes computed, one set by hand; settings; the plan from 29 December.
    manager.goto(home)
    manager.click("form[action$='/classify'] button")
    expect(manager.locator(".flash-success")).to_be_visible()
    row = manager.locator("#items-table tr[data-reference='PF-3003']")
    row.locator("select").select_option("A")
    row.locator("button").click()
    expect(manager.locator("#items-table tr[data-reference='PF-3003'] .badge")).to_be_visible()
    walk.shot(manager, "classes")
    manager.goto(home + "/settings")
    for cls in "ABC":
        manager.fill(f"#freq_{cls}", "1")
    manager.fill("#daily_lines", "10")
    manager.fill("#holidays", "2025-05-01\n2025-12-25")
    manager.fill("#tol__between_counts__pct", "2")
    manager.fill("#tol__vs_book__pct", "5")
    manager.click("form:has(#daily_lines) button[type=submit]")
    expect(manager.locator(".flash-success")).to_be_visible()
    expect(manager.locator("#daily_lines")).to_have_value("10")
    walk.shot(manager, "settings")
    manager.goto(home + "/plan")
    manager.fill("#start", DAYS[0])
    manager.click("#plan-button")
    expect(manager.locator(".flash-success")).to_be_visible()
    expect(manager.locator("#planned")).to_have_text("30")
    december = manager.locator(".month").last
    for day in ("29", "30", "31"):
        expect(december.locator(f"a.day.has:has(span:text-is('{day}')) .n")).to_have_text("10")
    walk.shot(manager, "plan-calendar")

    # 5. The first day's due list, by place, and its printed sheet (barcodes, no quantity).
    december.locator("a.day:has(span:text-is('29'))").click()
    manager.wait_for_url(f"**/due?day={DAYS[0]}")
    expect(manager.locator("#due-figures")).to_contain_text("10")
    expect(manager.locator(".place-group h2").first).to_contain_text("ATELIER")
    walk.shot(manager, "due-list")
    if walk.extra:
        both_languages(walk, ("", "/plan", f"/due?day={DAYS[0]}", "/settings"), tablet_day=DAYS[0])
    sheet = manager.request.get(url + manager.locator("#sheet-link").get_attribute("href"))
    assert sheet.ok and sheet.body().startswith(b"%PDF-")

    # 6. Paul counts the three days on his tablet (French, 768 px); one line far off the book.
    paul_context = walk.context("fr", TABLET, tablet=True)
    paul = walk.log_in(paul_context, "paul", base=proxy.url)     # his tablet's Wi-Fi: the proxy
    paul.wait_for_url("**/count/")           # a counter lands on the counting page; no campaign team here
    paul.click("#cycle-note a")
    paul.wait_for_url("**/cycles/")
    walk.shot(paul, "tablet-programmes")
    paul.click(f"a[href='/cycles/{CODE}/count']")
    paul.wait_for_url(f"**/cycles/{CODE}/count")
    first = tablet_lines(walk_day(walk, paul, DAYS[0]))[0]
    off = first["id"]
    location = first["location"]
    far = format((expected[(first["reference"], location, first["lot"])] * Decimal("1.5") + 3).normalize(), "f")
    walk.shot(paul, "tablet-day1")
    count_day(walk, paul, DAYS[0], expected, {off: far}, shot="tablet-keypad")
    walk.shot(paul, "tablet-day1-done")
    # Done, greyed: his own 1st count, not offered again for the 2nd.
    expect(paul.locator(f".line-button[data-line='{off}']")).to_have_class(re.compile(r"\bdone\b"))
    count_day(walk, paul, DAYS[1], expected, {}, offline=3, network=proxy)
    count_day(walk, paul, DAYS[2], expected, {})
    walk.shot(paul, "tablet-day3-done")

    # 7. Sam (English) makes the 2nd count of the line Paul found off the book: the same quantity.
    sam_context = walk.context("en", TABLET, tablet=True)
    sam = walk.log_in(sam_context, "sam")
    sam.goto(f"{home}/count?day={DAYS[0]}")
    lines = tablet_lines(sam)
    assert [line["id"] for line in lines] == [off] and lines[0]["round"] == 2, lines
    sam.click(f".line-button[data-line='{off}']")
    expect(sam.locator("#l-note")).to_be_visible()
    sam.fill("#qty", far)
    walk.shot(sam, "tablet-second-count")
    # His session ends meanwhile (he logs out on another tab): the count is not lost but waits on the
    # tablet, which asks him to log in again; once he has, the page sends it.
    other = sam_context.new_page()
    other.goto(home + "/due")
    other.click("form[action$='/logout'] button")
    other.wait_for_url(lambda url: "/login" in url)
    other.close()
    sam.keyboard.press("Enter")
    expect(sam.locator("#toast")).to_contain_text("log in again")
    expect(sam.locator("#pending-count")).to_have_text("1")
    walk.shot(sam, "tablet-session-ended")
    walk.log_in(sam_context, "sam").close()
    sam.goto(f"{home}/count?day={DAYS[0]}")
    expect(sam.locator("#left-count")).to_have_text("0", timeout=15_000)
    expect(sam.locator("#pending-count")).to_have_text("0")

    # 8. The manager accepts the difference with its cause; the adjustments CSV for the ERP.
    manager.goto(home + "/review")
    expect(manager.locator(f"input[name=plans][value='{off}']")).to_be_checked()
    manager.select_option("#cause", "counting_error")
    walk.shot(manager, "differences")
    manager.click("#accept-button")
    expect(manager.locator("#no-difference")).to_be_visible()
    data = walk.download(manager, "#adjustments-csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data)))
    assert len(rows) == 1 and rows[0]["reference"] == first["reference"], data
    walk.shot(manager, "adjustments")
    manager.goto(home + "/entries")
    expect(manager.locator("#entries tbody tr").first).to_contain_text("INV")

    # 9. Coverage reaches 100 % of the items; the auditor reads it and draws a test sample.
    manager.goto(home + "/coverage")
    expect(manager.locator("#coverage-total")).to_have_text(re.compile(r"100(,0|\.0)?\s*%"))
    walk.shot(manager, "coverage")
    audit_context = walk.context("fr")
    auditor = walk.log_in(audit_context, "odile")
    auditor.goto(home + "/coverage")
    auditor.fill("#size", "5")
    auditor.click("#sample form button[type=submit]")
    expect(auditor.locator("#sample-lines tbody tr")).to_have_count(5)
    walk.shot(auditor, "auditor-sample")
    auditor.goto(home + "/plan")          # the auditor reads the plan but cannot make it
    expect(auditor.locator("#calendar")).to_be_visible()
    assert auditor.locator("#plan-button").count() == 0

    if walk.extra:
        both_languages(walk, ("/review", "/coverage"))


def walk_day(walk: Walk, page, day: str):
    """The tablet on ``day``, chosen with its day picker as a user catching up would."""
    page.fill("#day", day)
    page.click("form.day-picker button[type=submit]")
    page.wait_for_url(f"**/count?day={day}")
    return page


def both_languages(walk: Walk, pages: tuple[str, ...], tablet_day: str | None = None) -> None:
    """Pages in French and English, at 1280 and 768 px, for a person to look at (and the tablet on a day)."""
    for language, login in (("fr", "odile"), ("en", "claire")):
        for width in (1280, 768):
            context = walk.context(language, {"width": width, "height": 900 if width > 800 else 1024})
            page = walk.log_in(context, login)
            for path in pages:
                page.goto(f"{walk.url}/cycles/{CODE}{path}")
                name = path.strip("/").split("?")[0] or "home"
                page.screenshot(path=str(walk.shots / f"zz-{language}-{width}-{name}.png"), full_page=True)
            context.close()
    if tablet_day is None:
        return
    for language, login in (("en", "sam"), ("fr", "paul")):
        for width in (1280, 768):
            context = walk.context(language, {"width": width, "height": 900 if width > 800 else 1024}, tablet=True)
            page = walk.log_in(context, login)
            page.goto(f"{walk.url}/cycles/{CODE}/count?day={tablet_day}")
            page.screenshot(path=str(walk.shots / f"zz-{language}-{width}-tablet.png"), full_page=True)
            context.close()
