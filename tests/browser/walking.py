"""What the browser walks (a campaign, a cycle programme) share: the stock file's book, the walk's pages,
screenshots and downloads, the first manager and the users, and Chromium with what it leaves on failure."""
from __future__ import annotations

import csv
import io
import re
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from .chromium import executable, playwright_or_skip
from .served import Served

sync_api = playwright_or_skip()

STOCK = Path(__file__).resolve().parent.parent / "fixtures" / "stock_fr_cp1252.csv"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def book() -> dict[tuple[str, str, str], Decimal]:
    """The French stock file's book quantities by (reference, location, lot)."""
    rows = csv.DictReader(io.StringIO(STOCK.read_bytes().decode("cp1252")), delimiter=";")
    return {(r["Référence"], r["Emplacement"], r["Lot"]):
            Decimal(r["Quantité théorique"].replace(" ", "").replace(",", ".")) for r in rows}


def plain(text: str) -> str:
    """Page text with every kind of space as one plain space."""
    return re.sub(r"[\s\u202f\xa0]+", " ", text)


def shots_folder(folder: Path) -> Path:
    """The folder for the walk's screenshots, emptied of a former walk's."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


class Walk:
    """The served app, the browser and the screenshots of one walk."""

    def __init__(self, browser, served: Served, shots: Path):
        self.browser, self.served, self.shots = browser, served, shots
        self.url = served.url
        self.step = 0
        self.started = time.monotonic()
        self.errors: list[str] = []

    def shot(self, page, name: str, *, full_page: bool = True) -> None:
        self.step += 1
        print(f"{time.monotonic() - self.started:6.1f} s  {self.step:02d}-{name}")
        page.screenshot(path=str(self.shots / f"{self.step:02d}-{name}.png"), full_page=full_page)

    def context(self, language: str, viewport: dict, tablet: bool = False):
        context = self.browser.new_context(viewport=viewport, has_touch=tablet, accept_downloads=True,
                                           locale="fr-FR" if language == "fr" else "en-GB")
        context.set_default_timeout(20_000)
        context.on("page", lambda page: page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}")))
        return context

    def log_in(self, context, login: str, password: str, *, base: str | None = None):
        page = context.new_page()
        page.goto((base or self.url) + "/login")
        page.fill("#login", login)
        page.fill("#password", password)
        page.click("form:has(#login) button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    def wait_job(self, page, name: str, timeout: int) -> str:
        """Wait on a job's page for the worker process to finish it; its text."""
        page.locator("#job[data-state=done], #job[data-state=failed]").wait_for(timeout=timeout)
        state = page.get_attribute("#job", "data-state")
        assert state == "done", (name, page.inner_text("#job"), self.served.log("worker"))
        self.shot(page, name)
        return plain(page.inner_text("#job"))

    def download(self, page, selector: str) -> bytes:
        with page.expect_download() as info:
            page.click(selector)
        return Path(info.value.path()).read_bytes()


def first_manager(walk: Walk, manager, password: str, *, shot: str | None = None) -> None:
    """An empty installation opens on the first manager's form: Marie Durand, in French."""
    manager.goto(walk.url + "/login")
    manager.wait_for_url("**/welcome")
    manager.fill("#login", "marie")
    manager.fill("#name", "Marie Durand")
    manager.select_option("#language", "fr")
    manager.fill("#password", password)
    manager.fill("#confirm", password)
    if shot:
        walk.shot(manager, shot)
    manager.click("form:has(#confirm) button[type=submit]")
    manager.wait_for_url(walk.url + "/")


def add_users(walk: Walk, manager, people, password: str, *, must_change: bool) -> None:
    """The manager adds ``people`` (login, name, role, language), each with ``password``."""
    for login, name, role, language in people:
        manager.goto(walk.url + "/users/new")
        manager.fill("#login", login)
        manager.fill("#name", name)
        manager.select_option("#role", role)
        manager.select_option("#language", language)
        manager.fill("#password", password)
        if must_change:
            sync_api.expect(manager.locator("#must_change")).to_be_checked()
        else:
            manager.uncheck("#must_change")
        manager.click("form:has(#must_change) button[type=submit]")
        manager.wait_for_url("**/users/")


@contextmanager
def chromium(served: Served, shots: Path):
    """Chromium for a walk; when the walk fails, a screenshot of every page open and the app's logs."""
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable(), args=CHROMIUM_ARGS)
            try:
                try:
                    yield browser
                except BaseException:
                    for n, page in enumerate(page for context in browser.contexts for page in context.pages):
                        page.screenshot(path=str(shots / f"failed-{n}.png"), full_page=True)
                    raise
            finally:
                browser.close()
    except BaseException:
        print("--- web log ---\n" + served.log("web") + "\n--- worker log ---\n" + served.log("worker"))
        raise
