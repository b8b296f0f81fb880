"""A campaign ready to count, built through the services as a manager would.

    FY2025 (count 2025-12-28, closing 2025-12-31), stock in two zones:
      Z1: L-01 A-1 (1200 pc), L-02 A-1 (30 pc), L-02 B-2 lot LOT9 (12.5 l)
      Z2: L-03 C-3 (4 pc, third party), L-04 D-4 (10 pc)
    Teams: 1 (round 1, Z1+Z2, leader lead1, members ann, ben),
           2 (round 2, Z1+Z2, leader lead2, members cat, dan).
    Tickets generated (5 pre-referenced + ``blank`` blank), all issued to team 1 and team 2,
    campaign counting. Every user's password is ``tests.conftest.PASSWORD``.

Tests of later capabilities (counting, recounts, reconciliation, report, audit) start here:
``scenario = build_scenario()`` inside the ``app`` fixture, then log in as ``scenario.users[...]``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from countapp.models import User

STOCK = """reference;designation;unit;category;location;zone;site;lot;book_qty;unit_cost;owner;last_movement_date
A-1;Bolt M6;pc;31;L-01;Z1;S1;;1200;0,25;own;2025-11-02
A-1;Bolt M6;pc;31;L-02;Z1;S1;;30;0,25;own;2025-11-02
B-2;Cutting oil;l;raw_materials;L-02;Z1;S1;LOT9;12,5;3,10;own;2025-10-15
C-3;Customer pallet;pc;37;L-03;Z2;S1;;4;0;third_party;
D-4;Gear box;pc;35;L-04;Z2;S1;;10;150;own;2023-01-10
"""

PEOPLE = (("manager", "manager"), ("centraliser", "centraliser"), ("auditor", "auditor"),
          ("lead1", "leader"), ("lead2", "leader"), ("ann", "counter"), ("ben", "counter"),
          ("cat", "counter"), ("dan", "counter"))


@dataclass
class Scenario:
    code: str
    users: dict[str, User]
    tickets: dict[str, str] = field(default_factory=dict)   # "A-1@L-01" -> "000001/2025"; "blank1"...
    blanks: list[str] = field(default_factory=list)


def build_scenario(tmp_path: Path, *, code: str = "FY2025", blank: int = 2, issue: bool = True,
                   start: bool = True) -> Scenario:
    """Build the campaign described above (inside an application context)."""
    from countapp.services import campaigns, imports, teams, tickets, users

    from .conftest import PASSWORD

    campaigns.create(code, year=2025, count_date=date(2025, 12, 28), closing_date=date(2025, 12, 31))
    stock = tmp_path / f"{code}-stock.csv"
    stock.write_text(STOCK, encoding="utf-8")
    imports.import_file("stock", code, stock)
    people = {}
    for login, role in PEOPLE:
        people[login] = users.add_user(login, role, PASSWORD, name=login.title())
    teams.add_team(code, 1, round=1, leader="lead1", members=["ann", "ben"], zones=["Z1", "Z2"])
    teams.add_team(code, 2, round=2, leader="lead2", members=["cat", "dan"], zones=["Z1", "Z2"])
    made = tickets.generate(code, blank=blank)
    scenario = Scenario(code, people)
    campaign = campaigns.get(code)
    for row in tickets.rows(campaign):
        if row["blank"]:
            scenario.blanks.append(row["ticket"])
        else:
            scenario.tickets[f"{row['reference']}@{row['location']}"] = row["ticket"]
    if issue and made["first"] is not None:
        tickets.issue(code, team=1, first=made["first"], last=made["last"])
        tickets.issue(code, team=2, first=made["first"], last=made["last"])
    if start:
        tickets.start_counting(code)
    return scenario
