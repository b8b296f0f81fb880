"""The centralisation and reconciliation tables in a real browser, on the demo campaign (third
counts waiting, differences): at 1366 x 768, in French and English, the deciding columns are on
the screen without scrolling sideways; on an 800 px tablet the table scrolls under a pinned
ticket column; and a cause is set from its row, then for two ticked lines, without a page load.
"""
from __future__ import annotations

import os

import pytest

from .chromium import executable, playwright_or_skip
from .demo_server import demo_server

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 800, "height": 1280}
# The columns a centraliser decides with, by their header's position (a leading tick box aside).
DECIDING = {
    "centralisation": ("#tickets", ["Ticket", "Book", "Count 1", "Count 2", "Count 3", "Final", "Final − book", "Why"]),
    "review": ("#lines", ["Ticket", "Book qty", "Counted", "Diff. qty", "Diff. value", "Status", "Cause"]),
}

sync_api = playwright_or_skip()

MEASURE = """(table) => {
  const wrap = table.closest('.table-wrap');
  const heads = Array.from(table.querySelectorAll('thead th')).map((th) => {
    const box = th.getBoundingClientRect();
    return {text: th.innerText.replace(/\\s+/g, ' ').trim(), left: box.left, right: box.right};
  });
  return {page: document.documentElement.scrollWidth, viewport: window.innerWidth,
          inner: wrap.scrollWidth, outer: wrap.clientWidth, heads: heads};
}"""


@pytest.fixture
def demo(database_url):
    with demo_server(database_url, lines=300) as url:
        yield url


def test_deciding_columns_fit_a_desk_screen_and_causes_are_set_in_place(demo, tmp_path):
    shots = os.environ.get("COUNTAPP_SCREENSHOTS")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])

        def open_as_centraliser(viewport, language):
            context = browser.new_context(viewport=viewport, locale=language,
                                          extra_http_headers={"Accept-Language": language})
            page = context.new_page()
            page.errors = []
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            page.goto(demo + "/login")
            page.fill("#login", "centraliser")
            page.fill("#password", "demo-pass")
            page.click("button[type=submit]")
            page.wait_for_load_state()
            return context, page

        for language in ("en", "fr"):
            context, page = open_as_centraliser(DESKTOP, language)
            for name, (selector, deciding) in DECIDING.items():
                page.goto(f"{demo}/campaigns/DEMO/{name}")
                # the page opens on what needs deciding (third counts, differences), and says so
                assert page.locator(".cz-showing, .review-showing").count() == 1, name
                rows = page.locator(f"{selector} tbody tr[class]")
                assert rows.count() > 0, name
                got = page.eval_on_selector(selector, MEASURE)
                assert got["page"] <= got["viewport"], (name, language, got)
                assert got["inner"] <= got["outer"] + 1, (name, language, got)   # no sideways scroll at all
                if language == "en":
                    texts = [h["text"] for h in got["heads"]]
                    for header in deciding:
                        assert any(t == header or t.startswith(header + " ") for t in texts), (name, header, texts)
                assert all(h["right"] <= got["viewport"] for h in got["heads"]), (name, language, got["heads"])
                if shots:
                    page.screenshot(path=os.path.join(shots, f"{name}-{language}-1366.png"))
            assert page.errors == []
            context.close()

        # A tablet: the table scrolls sideways inside its frame and the ticket column stays put.
        context, page = open_as_centraliser(TABLET, "en")
        for name, (selector, _) in DECIDING.items():
            page.goto(f"{demo}/campaigns/DEMO/{name}")
            assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
            pin = page.locator(f"{selector} tbody tr[class] th").first
            before = pin.bounding_box()["x"]
            page.eval_on_selector(selector, "(t) => { t.closest('.table-wrap').scrollLeft = 400; }")
            page.wait_for_timeout(50)
            assert page.eval_on_selector(selector, "(t) => t.closest('.table-wrap').scrollLeft") > 0, name
            assert abs(pin.bounding_box()["x"] - before) < 1, name
            if shots:
                page.screenshot(path=os.path.join(shots, f"{name}-en-800.png"))
        context.close()

        # Causes: from a row, then for two ticked lines; the page never reloads.
        context, page = open_as_centraliser(DESKTOP, "en")
        page.goto(f"{demo}/campaigns/DEMO/review")
        assert page.locator("#selection").inner_text().startswith("Showing: Difference")
        page.evaluate("window.stayed = true")
        first = page.locator("#lines tbody tr[data-key]").first
        first.locator("select[name=cause]").select_option("counting_error")
        first.locator("input[name=note]").fill("Recount sheet 1")
        first.locator("button[type=submit]").click()
        page.wait_for_function("() => document.querySelector('#lines [data-msg].is-ok')")
        assert first.locator("[data-msg]").inner_text() == "Cause saved."
        rows = page.locator("#lines tbody tr[data-key]")
        for index in (1, 2):
            rows.nth(index).locator("input[name=lines]").check()
        assert page.locator("#bulk [data-picked]").inner_text() == "2"
        page.select_option("#bulk-cause", "mislocation")
        page.click("#bulk button[type=submit]")
        page.wait_for_function("() => document.querySelector('#bulk [data-msg].is-ok')")
        assert page.locator("#bulk [data-msg]").inner_text() == "Cause saved for 2 lines."
        assert [rows.nth(i).locator("select[name=cause]").input_value() for i in (1, 2)] == ["mislocation"] * 2
        assert page.evaluate("window.stayed") is True                          # no navigation happened
        page.reload()
        assert page.locator("#lines tbody tr[data-key]").first.locator("select[name=cause]").input_value() == \
            "counting_error"
        page.goto(f"{demo}/campaigns/DEMO/review?cause=mislocation")
        assert page.locator("#lines tbody tr[data-key]").count() == 2
        assert page.errors == []
        context.close()
        browser.close()
