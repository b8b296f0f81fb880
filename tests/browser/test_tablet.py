"""The counting tablet in a real browser: Debian's headless Chromium driven by Playwright, at a 10-inch
tablet's size, against the app served by a real HTTP server thread on a file database.

A keyboard-wedge scanner types the number and presses Enter: ``keyboard.type`` then ``press("Enter")``
does exactly that, wherever the focus is. The network goes down at both ends (``Live.offline``): the
browser's offline mode and the server resetting every connection, as a dropped Wi-Fi would. Desktop
Chromium has no BarcodeDetector, so the camera test runs the bundled ZXing WebAssembly decoder on a
photo of a ticket's barcode.
"""
from __future__ import annotations

import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from countapp import create_app
from countapp.extensions import db
from countapp.models import Count, CountSource, Ticket

from ..conftest import PASSWORD
from ..scenario import build_scenario
from .chromium import executable, playwright_or_skip
from .network import Network, offline
from .scanner import scan

pytestmark = pytest.mark.browser
LANDSCAPE = {"width": 1280, "height": 800}
PORTRAIT = {"width": 800, "height": 1280}
PHONE = {"width": 390, "height": 844}

sync_api = playwright_or_skip()
# Waits are Playwright's assertions: wait_for_function with a string is an eval, which the app's
# Content-Security-Policy (script-src without 'unsafe-eval') refuses.
expect = sync_api.expect


class Live:
    def __init__(self, app, url, scenario, network=None):
        self.app, self.url, self.scenario, self.network = app, url, scenario, network

    def offline(self, context, down: bool = True) -> None:
        """The tablet loses (or finds again) the network."""
        offline(context, self.network, down)

    def counts(self) -> list[Count]:
        with self.app.app_context():
            rows = db.session.scalars(sa.select(Count).order_by(Count.id)).all()
            for row in rows:
                db.session.expunge(row)
            return rows

    def ticket_of(self, count: Count) -> int:
        with self.app.app_context():
            return db.session.get(Ticket, count.ticket_id).sequence


@pytest.fixture
def live(database_url, tmp_path):
    """The app (CSRF on, as in production) behind werkzeug's threaded server on a free port."""
    from werkzeug.serving import make_server

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "browser-test-" + "x" * 20})
    with app.app_context():
        scenario = build_scenario(tmp_path)
        db.session.remove()
    network = Network(app)
    server = make_server("127.0.0.1", 0, network, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Live(app, f"http://127.0.0.1:{server.server_port}", scenario, network)
    server.shutdown()
    thread.join(10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        yield browser
        browser.close()


def tablet(browser, live, login="ann", viewport=LANDSCAPE):
    context = browser.new_context(viewport=viewport, has_touch=True, locale="en-GB")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(live.url + "/login")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/count/FY2025")
    return context, page


def active_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def scan_like_a_scanner(page, number: str) -> None:
    scan(page, number)
    page.wait_for_selector("#count-panel:not([hidden])")


def tap_quantity(page, digits: str) -> None:
    for digit in digits:
        page.tap(f"#keypad [data-key='{digit}']")


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_scan_count_and_back_to_the_ticket_field(browser, live, viewport):
    context, page = tablet(browser, live, viewport=viewport)
    assert active_id(page) == "ticket-input"          # the scanner's keystrokes land in the ticket field
    assert "Team 1" in page.inner_text(".team-bar") and "1st count" in page.inner_text(".team-bar")
    scan_like_a_scanner(page, live.scenario.tickets["A-1@L-02"])
    assert page.inner_text("#t-designation") == "Bolt M6" and page.inner_text("#t-location") == "L-02"
    assert page.is_hidden("#key-decimal") or not page.is_enabled("#key-decimal")     # pieces: whole numbers
    # Every control a gloved finger needs is at least 44 px in both directions.
    for selector in ("#keypad button:not(#key-decimal)", ".choice span", "#submit-button", "#cancel-button",
                     "#ticket-input", "#qty", "#packaging summary"):
        for box in [h.bounding_box() for h in page.query_selector_all(selector)]:
            assert box and box["height"] >= 44 and box["width"] >= 44, (selector, box)
    tap_quantity(page, "30")
    page.tap(".choice:has(input[value='damaged']) span")
    page.tap("#submit-button")
    page.wait_for_selector("#count-panel", state="hidden")
    assert "Saved" in page.inner_text("#toast")
    assert active_id(page) == "ticket-input"
    assert page.input_value("#ticket-input") == ""
    # back at the top: the team bar (left, waiting, offline) is in view, not scrolled off with the form
    bar = page.locator(".team-bar").bounding_box()
    assert bar and bar["y"] >= 0, bar
    counts = live.counts()
    assert len(counts) == 1 and counts[0].quantity == Decimal("30") and counts[0].state.value == "damaged"
    assert counts[0].source == CountSource.TABLET and live.ticket_of(counts[0]) == 2
    assert page.errors == []
    context.close()


def test_packaging_conversion_is_shown_before_submitting(browser, live):
    context, page = tablet(browser, live)
    scan_like_a_scanner(page, "1")
    page.click("#packaging summary")
    for field, value in (("pallets", "2"), ("cartons_per_pallet", "10"), ("units_per_carton", "12"),
                         ("loose_units", "5")):
        page.fill(f"#p-{field}", value)
    assert "245 pc" in page.inner_text("#pack-total") and page.input_value("#qty") == "245"
    page.click("#submit-button")
    page.wait_for_selector("#count-panel", state="hidden")
    counts = live.counts()
    assert counts[0].quantity == 245 and counts[0].packaging["units_per_carton"] == "12"
    context.close()


def test_decimal_keypad_only_for_weighed_units(browser, live):
    context, page = tablet(browser, live)
    scan_like_a_scanner(page, "3")                     # cutting oil, litres
    assert page.is_enabled("#key-decimal") and page.is_visible("#key-decimal")
    tap_quantity(page, "12")
    page.tap("#key-decimal")
    tap_quantity(page, "5")
    assert page.input_value("#qty") == "12.5"
    page.tap("#submit-button")
    page.wait_for_selector("#count-panel", state="hidden")
    assert live.counts()[0].quantity == Decimal("12.5")
    context.close()


def test_refusal_is_shown_and_nothing_is_written(browser, live):
    context, page = tablet(browser, live)
    scan_like_a_scanner(page, "2")
    page.fill("#qty", "1.5")            # a hand-typed decimal on pieces: refused on the tablet already
    page.click("#submit-button")
    assert "whole numbers" in page.inner_text("#qty-error")
    page.click("#cancel-button")
    page.keyboard.type("999999")
    page.keyboard.press("Enter")
    page.wait_for_selector("#ticket-error:not([hidden])")
    assert "does not exist" in page.inner_text("#ticket-error")
    assert live.counts() == []
    context.close()


def test_offline_count_is_kept_then_sent_once(browser, live):
    context, page = tablet(browser, live)
    scan_like_a_scanner(page, live.scenario.tickets["D-4@L-04"])
    tap_quantity(page, "10")
    live.offline(context)
    page.tap("#submit-button")
    page.wait_for_selector("#count-panel", state="hidden")
    assert page.inner_text("#pending-count") == "1"
    assert "000005/2025" in page.inner_text("#pending-list")
    assert "Offline" in page.inner_text("#net")
    assert active_id(page) == "ticket-input"
    stored = page.evaluate("Object.keys(localStorage).filter(k => k.endsWith(':queue')).map(k => localStorage[k])")
    assert "000005/2025" in stored[0] and "client_id" in stored[0]
    assert live.counts() == []
    live.offline(context, False)
    expect(page.locator("#pending-count")).to_have_text("0", timeout=20000)
    assert page.is_hidden("#pending-card")
    counts = live.counts()
    assert len(counts) == 1 and counts[0].quantity == 10 and counts[0].client_id
    context.close()


def test_a_lost_answer_is_retried_without_a_second_count(browser, live):
    """The server records the count but the answer never reaches the tablet: the resend is a replay."""
    context, page = tablet(browser, live)
    lost = {"n": 0}

    def lose_first_answer(route):
        if lost["n"] == 0:
            lost["n"] += 1
            route.fetch()               # the request reaches the server...
            route.abort("failed")       # ...but the tablet never hears back
        else:
            route.continue_()

    page.route("**/api/v1/counts", lose_first_answer)
    scan_like_a_scanner(page, "2")
    tap_quantity(page, "30")
    page.tap("#submit-button")
    page.wait_for_selector("#count-panel", state="hidden")
    assert len(live.counts()) == 1
    expect(page.locator("#pending-count")).to_have_text("0", timeout=20000)
    assert len(live.counts()) == 1 and lost["n"] == 1
    context.close()


def test_camera_scan_with_the_bundled_zxing_decoder(browser, live, tmp_path):
    from PIL import Image, ImageDraw

    from tickets.barcodes import code128_modules

    number = live.scenario.tickets["C-3@L-03"]
    modules = "0" * 15 + code128_modules(number) + "0" * 15
    scale, height = 4, 160
    image = Image.new("L", (len(modules) * scale, height + 40), 255)
    draw = ImageDraw.Draw(image)
    for i, module in enumerate(modules):
        if module == "1":
            draw.rectangle([i * scale, 20, (i + 1) * scale - 1, 20 + height], fill=0)
    photo = tmp_path / "ticket.png"
    image.save(photo)

    context, page = tablet(browser, live)
    hosts = []
    page.on("request", lambda request: hosts.append(request.url.split("/")[2]))
    assert page.evaluate("'BarcodeDetector' in window") is False
    page.set_input_files("#scan-file", str(photo))
    page.wait_for_selector("#count-panel:not([hidden])", timeout=30000)
    assert page.input_value("#ticket-input") == number
    assert page.inner_text("#t-number") == number and page.inner_text("#t-reference") == "C-3"
    assert "third party" in page.inner_text("#t-note")
    assert set(hosts) == {live.url.split("/")[2]}      # decoder and .wasm from our own server, no CDN
    assert page.errors == []
    context.close()


def test_team_correction_keeps_the_earlier_value(browser, live):
    context, page = tablet(browser, live)
    scan_like_a_scanner(page, "2")
    tap_quantity(page, "31")
    page.tap("#submit-button")
    page.wait_for_selector("#count-panel", state="hidden")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    page.wait_for_selector("#t-counted:not([hidden])")
    assert "31" in page.inner_text("#t-counted-text")
    page.tap("#correct-button")
    page.fill("#c-reason", "one carton counted twice")
    tap_quantity(page, "30")
    page.tap("#submit-button")
    page.wait_for_selector("#count-panel", state="hidden")
    counts = live.counts()
    assert [c.quantity for c in counts] == [31, 30]
    assert counts[1].supersedes_id == counts[0].id and counts[1].correction_reason == "one carton counted twice"
    context.close()


def scan_into_whatever_has_the_focus(page, number: str) -> None:
    """A keyboard-wedge scanner: a few milliseconds per character, then Enter, wherever the focus is."""
    scan(page, number)


def test_after_a_refusal_or_a_scan_in_the_quantity_the_next_scan_opens_the_ticket(browser, live):
    from countapp.services import campaigns, tickets

    with live.app.app_context():
        tickets.void("FY2025", "1", reason="torn")
        campaign = campaigns.get("FY2025")
        campaign.settings = {**(campaign.settings or {}), "company": {"time_zone": "America/Montreal"}}
        db.session.commit()
    context, page = tablet(browser, live, viewport=PORTRAIT)
    # Voided: the panel says so, and the ticket field is empty and has the focus for the next scan.
    scan_like_a_scanner(page, "000001/2025")
    assert "voided" in page.inner_text("#t-message") and page.is_hidden("#count-form")
    assert active_id(page) == "ticket-input" and page.input_value("#ticket-input") == ""
    # Unknown: the message stays, naming the ticket; the panel before goes.
    scan_into_whatever_has_the_focus(page, "000999/2025")
    page.wait_for_selector("#count-panel", state="hidden")
    assert "000999/2025" in page.inner_text("#ticket-error") and "does not exist" in page.inner_text("#ticket-error")
    assert active_id(page) == "ticket-input" and page.input_value("#ticket-input") == ""
    # The next scan is taken whole.
    scan_into_whatever_has_the_focus(page, live.scenario.tickets["A-1@L-02"])
    page.wait_for_selector("#count-form:not([hidden])")
    assert page.is_hidden("#ticket-error") and active_id(page) == "qty"
    # A scan landing in the quantity being typed is the next ticket; the half-typed count is not sent.
    tap_quantity(page, "3")
    scan_into_whatever_has_the_focus(page, live.scenario.tickets["C-3@L-03"])
    expect(page.locator("#t-number")).to_have_text("000004/2025")
    assert "000002/2025 was not saved" in page.inner_text("#toast") and page.input_value("#qty") == ""
    # So is a number typed as printed, submitted with the keypad's OK.
    page.fill("#qty", live.scenario.tickets["D-4@L-04"])
    page.tap("#key-ok")
    expect(page.locator("#t-number")).to_have_text("000005/2025")
    assert live.counts() == []
    # OK saves a count, as Enter does.
    tap_quantity(page, "9")
    page.tap("#key-ok")
    page.wait_for_selector("#count-panel", state="hidden")
    (count,) = live.counts()
    assert count.quantity == 9 and live.ticket_of(count) == 5
    # Already counted: the time is the campaign's (Montreal), not the tablet's clock (UTC here).
    scan_into_whatever_has_the_focus(page, "000005/2025")
    page.wait_for_selector("#t-counted:not([hidden])")
    at = count.counted_at.replace(tzinfo=count.counted_at.tzinfo or ZoneInfo("UTC"))
    text = page.inner_text("#t-counted-text")
    assert at.astimezone(ZoneInfo("America/Montreal")).strftime("%I:%M") in text
    assert at.astimezone(ZoneInfo("UTC")).strftime("%I:%M") not in text
    assert page.is_visible("#correct-button")                 # round 2 has not started: the server would take it
    assert active_id(page) == "ticket-input" and page.input_value("#ticket-input") == ""
    with live.app.app_context():                              # round 2 counts it: round 1 can no longer correct
        from countapp.models import User
        from countapp.services import counting
        counting.submit_count("FY2025", counting.CountInput(ticket="5", round=2, quantity="9"),
                              user=db.session.scalar(sa.select(User).filter_by(login="cat")))
    scan_into_whatever_has_the_focus(page, "000005/2025")
    expect(page.locator("#t-counted-text")).to_contain_text("no longer")
    assert page.is_hidden("#correct-button")
    assert page.errors == []
    context.close()


def test_a_reload_without_network_shows_the_page_and_its_waiting_counts(browser, live):
    context, page = tablet(browser, live, viewport=PHONE)
    expect(page.locator("#counting")).to_have_attribute("data-kept", "1", timeout=20000)
    left = int(page.inner_text("#left-count"))
    live.offline(context)
    scan_like_a_scanner(page, live.scenario.tickets["D-4@L-04"])
    tap_quantity(page, "10")
    page.tap("#key-ok")
    page.wait_for_selector("#count-panel", state="hidden")
    # Waiting to be sent, and already no longer "still to count".
    assert page.inner_text("#pending-count") == "1" and int(page.inner_text("#left-count")) == left - 1
    assert "000005/2025" not in page.inner_text("#left-list")
    page.reload()
    page.wait_for_selector("#ticket-input")
    assert "Team 1" in page.inner_text(".team-bar") and page.is_visible("#copy-note")
    assert page.inner_text("#pending-count") == "1" and int(page.inner_text("#left-count")) == left - 1
    assert "000005/2025" not in page.inner_text("#left-list") and active_id(page) == "ticket-input"
    # On a phone, what is still to count comes before what was counted.
    assert page.locator(".left-card").bounding_box()["y"] < page.locator(".recent-card").bounding_box()["y"]
    assert live.counts() == []
    live.offline(context, False)
    expect(page.locator("#pending-count")).to_have_text("0", timeout=20000)
    (count,) = live.counts()
    assert count.quantity == 10 and live.ticket_of(count) == 5
    # Whoever logs out takes the kept page with them.
    page.click("form[action$='/logout'] button")
    page.wait_for_url("**/login**")
    assert page.evaluate("caches.has('countapp-pages')") is False
    assert page.errors == []
    context.close()
