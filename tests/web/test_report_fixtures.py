"""Campaigns for the report and closing tests, counted through the real services (no test here).

``counted(tmp_path)`` is the shared scenario (tests/scenario.py) counted as a team would:

    A-1 @ L-01   1200 pc   counts 1200 / 1200: agreed
    A-1 @ L-02     30 pc   counts 28 / 29: apart, third count 28 (a shortage of 2)
    B-2 @ L-02   12.5 l    counts 12.5 / 12.5, the 2nd count says damaged (written down 50 %)
    C-3 @ L-03      4 pc   held for a customer: counts 4 / 4, listed, never valued
    D-4 @ L-04     10 pc   counts 10 / 9 and 9 differs from book: a third count pending (unless ``settle``)
    blank 1               voided (spoiled); blank 2 left in the teams' hands (unaccounted for)
    opening               raw materials 400 (depreciation 20, purchases 900), products 1,600 (purchases 500)

``worked_example(tmp_path)`` is seed 004's example: raw materials 15,000 → 2,000 and goods for
resale 100,000 → 105,000, counted on site.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from countapp.services import campaigns, counting, imports, teams, tickets, users

from ..conftest import PASSWORD
from ..scenario import build_scenario

CODE = "FY2025"
OPENING = """category;opening_value;opening_depreciation;purchases
raw_materials;400;20;900
products;1600;0;500
"""
COUNTED_AT = dt.datetime(2025, 12, 28, 8, 0, tzinfo=dt.timezone.utc)


def count(scenario, ticket: str, round_: int, quantity: str, *, state: str = "good", minutes: int = 0,
          code: str = CODE, who: str | None = None):
    who = who or {1: "ann", 2: "cat", 3: "centraliser"}[round_]
    at = COUNTED_AT + dt.timedelta(hours=2 * (round_ - 1), minutes=minutes)
    return counting.submit_count(code, counting.CountInput(ticket=ticket, round=round_, quantity=quantity,
                                                           state=state, counted_at=at),
                                 user=scenario.users[who])


def counted(tmp_path: Path, *, language: str = "fr", settle: bool = False, void_blank: bool = True):
    """The scenario above; ``settle`` also enters D-4's third count and returns blank 2 unused."""
    scenario = build_scenario(tmp_path)
    campaign = campaigns.get(CODE)
    campaigns.configure(campaign, {"valuation": "book", "language": language, "person_in_charge": "Jeanne Martin",
                                   "company": "Ateliers Lapomme"})
    path = tmp_path / "opening.csv"
    path.write_text(OPENING, encoding="utf-8")
    imports.import_file("opening", CODE, path)
    t = scenario.tickets
    plan = [("A-1@L-01", "1200", "1200", "good"), ("A-1@L-02", "28", "29", "good"),
            ("B-2@L-02", "12.5", "12.5", "damaged"), ("C-3@L-03", "4", "4", "good"), ("D-4@L-04", "10", "9", "good")]
    for minute, (key, first, second, state) in enumerate(plan):
        count(scenario, t[key], 1, first, minutes=10 * minute)
        count(scenario, t[key], 2, second, state=state, minutes=10 * minute)
    count(scenario, t["A-1@L-02"], 3, "28", minutes=30)
    if void_blank:
        tickets.void(CODE, scenario.blanks[0], reason="Spoiled: coffee on it")
    if settle:
        count(scenario, t["D-4@L-04"], 3, "9", minutes=40)
        blank = int(scenario.blanks[1].split("/")[0])
        tickets.return_unused(CODE, team=1, first=blank, last=blank)
        tickets.return_unused(CODE, team=2, first=blank, last=blank)
    return scenario


WORKED_STOCK = """reference;designation;unit;category;location;zone;site;book_qty;unit_cost
RM-1;Steel sheet;pc;raw_materials;R-01;Z1;S1;100;20
GR-1;Apple juice;pc;goods_for_resale;G-01;Z1;S1;1000;105
"""
WORKED_OPENING = """category;opening_value;purchases
raw_materials;15000;30000
goods_for_resale;100000;90000
"""


def worked_example(tmp_path: Path, *, code: str = "LAPOMME") -> dict:
    """Seed 004's campaign, counted at book quantities: closing raw materials 2,000, goods 105,000."""
    campaigns.create(code, year=2025, count_date=dt.date(2025, 12, 31), closing_date=dt.date(2025, 12, 31),
                     valuation="book", language="fr")
    for name, text in (("stock.csv", WORKED_STOCK), ("opening.csv", WORKED_OPENING)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    imports.import_file("stock", code, tmp_path / "stock.csv")
    imports.import_file("opening", code, tmp_path / "opening.csv")
    people = {login: users.add_user(login, role, PASSWORD) for login, role in
              (("w-manager", "manager"), ("w-lead1", "leader"), ("w-lead2", "leader"))}
    teams.add_team(code, 1, round=1, leader="w-lead1", zones=["Z1"])
    teams.add_team(code, 2, round=2, leader="w-lead2", zones=["Z1"])
    made = tickets.generate(code)
    tickets.issue(code, team=1, first=made["first"], last=made["last"])
    tickets.issue(code, team=2, first=made["first"], last=made["last"])
    tickets.start_counting(code)
    campaign = campaigns.get(code)
    quantities = {"RM-1": "100", "GR-1": "1000"}
    for row in list(tickets.rows(campaign)):   # streamed: read them all before counting commits
        for round_, who in ((1, "w-lead1"), (2, "w-lead2")):
            counting.submit_count(code, counting.CountInput(ticket=row["ticket"], round=round_,
                                                            quantity=quantities[row["reference"]]),
                                  user=people[who])
    return people
