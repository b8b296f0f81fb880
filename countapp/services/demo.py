"""A demo campaign: a few hundred book lines over two sites, teams for both rounds, a user per role.

Everything goes through the same services a manager uses (campaign, imports, teams), so the
demo also shows the product's real paths working end to end.
"""
from __future__ import annotations

import csv
import random
import tempfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from ..extensions import db
from ..models import BookLine, Campaign, Location, Ticket, User, Zone
from . import campaigns, counting, imports, instructions, teams, tickets, users

CODE = "DEMO"
YEAR = 2026
COUNT_DATE = date(2026, 12, 28)
CLOSING_DATE = date(2026, 12, 31)

USERS = [
    ("manager", "manager", "Marie Lefèvre"),
    ("centraliser", "centraliser", "Karim Benali"),
    ("auditor", "auditor", "Audrey Martin (CAC)"),
    ("leader1", "leader", "Luc Moreau"), ("leader2", "leader", "Inès Garnier"),
    ("leader3", "leader", "Paul Roux"), ("leader4", "leader", "Sofia Petit"),
    ("counter1", "counter", "Hugo Faure"), ("counter2", "counter", "Léa Girard"),
    ("counter3", "counter", "Nathan Blanc"), ("counter4", "counter", "Chloé Mercier"),
    ("counter5", "counter", "Yanis Bonnet"), ("counter6", "counter", "Emma Lambert"),
    ("counter7", "counter", "Jules Fontaine"), ("counter8", "counter", "Manon Chevalier"),
    ("storekeeper", "counter", "Bruno Lemaire"),
]
# (site, zone, aisles) and what is stored there
ZONES = [("LYON", "MP", "raw_materials"), ("LYON", "EMB", "other_supplies"), ("LYON", "PF", "products"),
         ("PARIS", "MAG", "goods_for_resale")]
ITEMS = {
    "raw_materials": [("Tôle acier 2 mm", "kg", 1.85), ("Vis inox M6", "pc", 0.12), ("Peinture époxy", "l", 14.5),
                      ("Profilé alu 40x40", "m", 6.2), ("Granulés PEHD", "kg", 1.32)],
    "other_supplies": [("Carton 60x40", "pc", 0.95), ("Film étirable", "roll", 11.4), ("Palette EUR", "pc", 9.0)],
    "products": [("Armoire métallique A1", "pc", 185.0), ("Étagère E120", "pc", 64.0), ("Caisson C3", "pc", 92.5)],
    "goods_for_resale": [("Lampe LED 12 W", "pc", 4.3), ("Rallonge 5 m", "pc", 6.9), ("Gants nitrile (boîte)", "box", 5.2),
                         ("Casque antibruit", "pc", 17.8)],
}


def _stock_rows(lines: int, rng: random.Random) -> list[dict]:
    rows, n = [], 0
    catalogue = [(site, zone, cat, i, d) for site, zone, cat in ZONES for i, d in enumerate(ITEMS[cat])]
    while n < lines:
        site, zone, category, i, (designation, unit, cost) = catalogue[n % len(catalogue)]
        aisle, shelf = 1 + (n // len(catalogue)) % 12, 1 + n % 5
        reference = f"{zone}-{i + 1:03d}"
        location = f"{site[:3]}-{zone}-{aisle:02d}-{shelf}"
        lot = f"L{YEAR}{rng.randint(1, 40):03d}" if category in ("raw_materials", "products") else ""
        decimals = unit in ("kg", "l", "m")
        # a shelf holds a few thousand euros' worth: many cheap screws, a few cabinets
        most = max(5, int(3000 / cost))
        quantity = Decimal(rng.randint(0, most * (10 if decimals else 1))) / (10 if decimals else 1)
        owner = "third_party" if n % 97 == 13 else ("at_third_party" if n % 89 == 7 else "own")
        rows.append({
            "reference": reference, "designation": designation, "unit": unit, "category": category,
            "site": site, "zone": zone, "location": location, "lot": lot, "book_qty": f"{quantity}",
            "unit_cost": f"{Decimal(str(cost)) * Decimal(rng.randint(95, 105)) / 100:.4f}", "owner": owner,
            "last_movement_date": (COUNT_DATE - timedelta(days=rng.choice([3, 20, 90, 200, 500]))).isoformat(),
            "market_price": f"{cost * 0.8:.2f}" if n % 23 == 0 else "",
        })
        n += 1
    # one line per (reference, location, lot): drop accidental repeats
    seen, unique = set(), []
    for row in rows:
        key = (row["reference"], row["location"], row["lot"])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


def _movements(rows: list[dict], rng: random.Random) -> list[dict]:
    result, done = [], set()
    for row in rows:
        if row["reference"] in done:
            continue
        done.add(row["reference"])
        cost = Decimal(row["unit_cost"])
        result.append({"date": date(YEAR - 1, 12, 31).isoformat(), "reference": row["reference"],
                       "location": row["location"], "lot": row["lot"], "quantity": "500",
                       "unit_cost": f"{cost * Decimal('0.96'):.4f}", "kind": "opening", "document": ""})
        for k in range(3):
            day = date(YEAR, 2 + 4 * k, 10 + k)
            result.append({"date": day.isoformat(), "reference": row["reference"], "location": row["location"],
                           "lot": row["lot"], "quantity": str(rng.randint(50, 400)), "unit_cost": f"{cost * Decimal(98 + 2 * k) / 100:.4f}",
                           "kind": "receipt", "document": f"BR-{YEAR}-{rng.randint(1000, 9999)}"})
        # after the count, before closing: rolled forward
        result.append({"date": (COUNT_DATE + timedelta(days=1)).isoformat(), "reference": row["reference"],
                       "location": row["location"], "lot": row["lot"], "quantity": str(-rng.randint(1, 20)), "unit_cost": "",
                       "kind": "issue", "document": f"BL-{YEAR}-{rng.randint(1000, 9999)}"})
    return result


def _write_csv(folder: Path, name: str, rows: list[dict]) -> Path:
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


# Teams by zone: (round 1 team, round 2 team, counters of round 1, counters of round 2)
ZONE_TEAMS = {"MP": (1, 3), "EMB": (1, 3), "PF": (2, 4), "MAG": (2, 4)}
TEAM_COUNTERS = {1: ("counter1", "counter2"), 2: ("counter3", "counter4"), 3: ("counter5", "counter6"),
                 4: ("counter7", "counter8")}
BLANK_TICKETS = 12


def _at(hour: int, minute: int = 0, day: date = COUNT_DATE) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def _issue_instructions() -> None:
    """The written instructions settled and issued; two leaders and the auditor have read them."""
    manager = _user("manager")
    instructions.save_facts(CODE, instructions.Facts(
        person_in_charge="Marie Lefèvre", person_in_charge_title="Responsable logistique",
        committee=["Marie Lefèvre", "Karim Benali"], centraliser="Karim Benali",
        count_start=_at(7, 30), count_end=_at(18, 0),
        freeze_from=_at(18, 0, COUNT_DATE - timedelta(days=1)), freeze_to=_at(19, 0),
        categories=["raw_materials", "other_supplies", "products", "goods_for_resale"],
        auditors=[{"kind": "statutory_auditor", "name": "Audrey Martin", "firm": "Martin & Associés"}],
        last_receipt_document=f"BR-{YEAR}-9999", last_shipment_document=f"BL-{YEAR}-9999"), by=manager)
    instructions.issue(CODE, by=manager)
    for login in ("leader1", "leader2", "auditor"):
        instructions.acknowledge(CODE, _user(login))


def _user(login: str) -> User:
    return db.session.scalar(sa.select(User).where(User.login == login))


def _count_floor(rng: random.Random) -> None:
    """Tickets printed and issued, counting under way: most first counts in, many second counts, a few
    differences that need a third count, a voided ticket and a blank ticket used for goods found on the floor."""
    made = tickets.generate(CODE, blank=BLANK_TICKETS)
    campaign = campaigns.get(CODE)
    zone_of = dict(db.session.execute(
        sa.select(Ticket.sequence, Zone.code).join(BookLine, BookLine.id == Ticket.book_line_id)
        .join(Location, Location.id == BookLine.location_id).join(Zone, Zone.id == Location.zone_id)
        .where(Ticket.campaign_id == campaign.id)).all())
    # Route order keeps each zone's numbers together: one range per team and zone; blanks go to teams 2 and 4.
    spans: dict[tuple[int, int], list[int]] = {}
    for sequence, zone in zone_of.items():
        for team in ZONE_TEAMS[zone]:
            spans.setdefault((team, _zone_rank(zone)), []).append(sequence)
    for (team, _), numbers in sorted(spans.items()):
        tickets.issue(CODE, team=team, first=min(numbers), last=max(numbers))
    first_blank = max(zone_of) + 1
    for team in (2, 4):
        tickets.issue(CODE, team=team, first=first_blank, last=made["last"])
    # the same pre-flight check as a manager's "Start counting": the demo is ready, so nothing is overridden
    campaigns.start(CODE, by=_user("manager"))
    voided = min(zone_of)
    tickets.void(CODE, voided, reason="Ticket déchiré à la pose",
                 by=_user("manager"))
    book = {r["sequence"]: r for r in tickets.rows(campaign)}
    quantities = dict(db.session.execute(
        sa.select(Ticket.sequence, BookLine.book_qty).join(BookLine, BookLine.id == Ticket.book_line_id)
        .where(Ticket.campaign_id == campaign.id)).all())
    for sequence, zone in sorted(zone_of.items()):
        if sequence == voided or rng.random() > 0.85:
            continue                                   # not counted yet
        book_qty = quantities[sequence]
        first = _found(book_qty, rng, book[sequence]["unit"])
        team1, team2 = ZONE_TEAMS[zone]
        _count(sequence, 1, first, team1, rng)
        if rng.random() < 0.7:
            second = first if rng.random() < 0.9 else _found(book_qty, rng, book[sequence]["unit"])
            _count(sequence, 2, second, team2, rng)
    # goods found on the floor with no book line: counted on a blank ticket
    sample = next(r for r in book.values() if not r["blank"] and r["location"].startswith("PAR"))
    counting.submit_count(CODE, counting.CountInput(
        ticket=str(first_blank), round=1, quantity="6", reference=sample["reference"],
        location=sample["location"], lot=""), user=_user(TEAM_COUNTERS[2][0]))


def _zone_rank(zone: str) -> int:
    return list(ZONE_TEAMS).index(zone)


def _found(book_qty, rng: random.Random, unit: str) -> Decimal:
    """What a team finds: mostly the book quantity, sometimes a little more or less."""
    book_qty = Decimal(book_qty)
    roll = rng.random()
    if roll < 0.8:
        return book_qty
    delta = Decimal(rng.randint(1, 12)) / (10 if unit in ("kg", "l", "m") else 1)
    return max(Decimal(0), book_qty - delta if roll < 0.93 else book_qty + delta)


def _count(sequence: int, round_: int, quantity: Decimal, team: int, rng: random.Random) -> None:
    state = "damaged" if rng.random() < 0.03 else "good"
    counting.submit_count(CODE, counting.CountInput(ticket=str(sequence), round=round_, quantity=str(quantity),
                                                    state=state), user=_user(rng.choice(TEAM_COUNTERS[team])))


def load_demo(lines: int = 300, password: str = "demo-pass") -> str:
    """Create the demo (once) and say how to log in."""
    if db.session.scalar(sa.select(Campaign.id).where(Campaign.code == CODE)) is None:
        rng = random.Random(2026)
        for login, role, name in USERS:
            if db.session.scalar(sa.select(User.id).where(User.login == login)) is None:
                users.add_user(login, role, password, name=name, storekeeper=login == "storekeeper")
        campaigns.create(CODE, year=YEAR, count_date=COUNT_DATE, closing_date=CLOSING_DATE, valuation="wac",
                         language="fr", name="Inventaire de fin d'exercice")
        campaigns.configure(campaigns.get(CODE), {
            "person_in_charge": "Marie Lefèvre", "company": "Ateliers Démo SAS",
            "tolerance": {"between_counts": {"pct": 2}, "vs_book": {"pct": 5, "value": 200},
                          "category": {"goods_for_resale": {"vs_book": {"value": 100}}}},
        })
        rows = _stock_rows(lines, rng)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            imports.import_file("stock", CODE, _write_csv(folder, "stock.csv", rows))
            imports.import_file("movements", CODE, _write_csv(folder, "movements.csv", _movements(rows, rng)))
            imports.import_file("opening", CODE, _write_csv(folder, "opening.csv", [
                {"category": c, "opening_value": v, "opening_depreciation": d}
                for c, v, d in (("raw_materials", "15000", "400"), ("other_supplies", "2500", "0"),
                                ("products", "42000", "1500"), ("goods_for_resale", "100000", "2200"))]))
        first_round, second_round = _at(7, 30), _at(13, 30)
        teams.add_team(CODE, 1, round=1, leader="leader1", members=["counter1", "counter2"], zones=["MP", "EMB"],
                       starts_at=first_round, ends_at=_at(12, 0))
        teams.add_team(CODE, 2, round=1, leader="leader2", members=["counter3", "counter4"], zones=["PF", "MAG"],
                       starts_at=first_round, ends_at=_at(12, 0))
        teams.add_team(CODE, 3, round=2, leader="leader3", members=["counter5", "counter6"], zones=["MP", "EMB"],
                       starts_at=second_round, ends_at=_at(18, 0))
        teams.add_team(CODE, 4, round=2, leader="leader4", members=["counter7", "counter8"], zones=["PF", "MAG"],
                       starts_at=second_round, ends_at=_at(18, 0))
        teams.set_storekeeper(CODE, "MP", "storekeeper")
        _issue_instructions()
        _count_floor(rng)
        created = True
    else:
        created = False
    logins = ", ".join(login for login, _, _ in USERS)
    return "\n".join([
        f"Demo campaign {CODE} {'created' if created else 'already there'}.",
        f"Users (password '{password}'): {logins}.",
        "Start the server with `countapp run` and open http://127.0.0.1:5000 ; log in as 'manager' to see the campaign.",
    ])
