"""A campaign's pages in five ordered groups, each role seeing only the pages it may use.

The groups follow the campaign's life: set-up, counting, centralisation, results, audit. The
layout shows one bar of groups and, under it, the pages of the group the user is in.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

M, C, A, L, T = "manager", "centraliser", "auditor", "leader", "counter"
STAFF = (M, C, A)


@dataclass(frozen=True)
class Page:
    key: str
    label: object
    endpoint: str
    roles: tuple[str, ...]
    # the endpoints that are this page (or its forms, jobs and downloads): prefixes of their names
    matches: tuple[str, ...]

    def is_current(self, endpoint: str) -> bool:
        return endpoint.startswith(self.matches)


@dataclass(frozen=True)
class Group:
    key: str
    label: object
    pages: tuple[Page, ...]


GROUPS = (
    Group("setup", _l("Set-up"), (
        Page("settings", _l("Settings"), "campaigns.settings", STAFF, ("campaigns.settings",)),
        Page("imports", _l("Imports"), "setup.imports", STAFF, ("setup.import",)),
        Page("teams", _l("Teams"), "setup.teams", STAFF, ("setup.teams", "setup.storekeeper")),
        Page("instructions", _l("Instructions"), "instructions.index", (M, C, A, L, T), ("instructions.",)),
        Page("tickets", _l("Tickets"), "tickets.index", STAFF,
             ("tickets.index", "tickets.detail", "tickets.generate", "tickets.void", "tickets.list_csv")),
        Page("print", _l("Print"), "tickets.print_form", (M, C), ("tickets.print_",)),
        Page("ranges", _l("Ranges"), "tickets.ranges", STAFF, ("tickets.ranges", "tickets.issue", "tickets.give_back")),
    )),
    Group("counting", _l("Counting"), (
        Page("progress", _l("Progress"), "counting.progress", (M, C, A, L), ("counting.progress",)),
        Page("tablet", _l("Count"), "counting.tablet", (L, T), ("counting.tablet",)),
    )),
    Group("centralisation", _l("Centralisation"), (
        Page("centralisation", _l("Centralisation"), "centralisation.index", STAFF,
             ("centralisation.index", "centralisation.ticket", "centralisation.decide", "centralisation.import_")),
        Page("sheets", _l("Recount sheets"), "centralisation.sheets", (M, C, A, L),
             ("centralisation.sheet", "centralisation.new_sheet", "centralisation.create_sheet",
              "centralisation.enter")),
        Page("control", _l("Ticket control"), "tickets.control", STAFF, ("tickets.control",)),
    )),
    Group("results", _l("Results"), (
        Page("review", _l("Reconciliation"), "review.index", STAFF, ("review.",)),
        Page("report", _l("Annual report"), "report.index", STAFF, ("report.",)),
    )),
    Group("audit", _l("Audit"), (
        Page("audit", _l("Audit"), "audit.overview", STAFF, ("audit.",)),
    )),
)
PAGES = {page.key: page for group in GROUPS for page in group.pages}


@dataclass
class NavGroup:
    key: str
    label: object
    endpoint: str          # the group's first page this role may use
    current: bool
    pages: list[tuple[Page, bool]]   # (page, is the current page)


def for_role(role: str, endpoint: str | None) -> list[NavGroup]:
    """The groups this role may use, with their visible pages and which one is current."""
    endpoint = endpoint or ""
    groups = []
    for group in GROUPS:
        pages = [(page, page.is_current(endpoint)) for page in group.pages if role in page.roles]
        if pages:
            groups.append(NavGroup(group.key, group.label, pages[0][0].endpoint,
                                   any(current for _, current in pages), pages))
    return groups
