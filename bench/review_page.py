"""Time the reconciliation loader and the review page on a counted campaign of N book lines.

    python bench/review_page.py [--lines 100000] [--db sqlite|postgresql] [--pg-url URL]

Builds a fresh database (a temporary SQLite file, or a throw-away PostgreSQL database on the
server of --pg-url) holding one campaign counted to the end: N book lines (8 per item, 1 % held
for third parties, 1 % at third parties), one ticket per line with its two counts (3 % with a
third count on a difference, 2 % damaged or obsolete, 0.5 % never counted, 0.1 % voided), N/1000
blank tickets on places unknown to book, and a year of movements (an opening and ~5 receipts per
item, roll-forward on 5 % of lines). Rows go straight in with bulk inserts; the figures below
are what a user of the page waits for:

- the loader alone (database → the engine's frames), then the engine;
- the first page with nothing kept (what the first reader after a change waits for);
- the first page in a second process (the result read back from the instance folder's file);
- later pages: the default order, a filter, a sort, page 50, and after a cause is set;
- the CSV and XLSX downloads.
"""
from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import database_arguments, run_on_throwaway  # noqa: E402

PASSWORD = "bench-password-1"
CODE = "BENCH"
CATEGORIES = ("raw_materials", "other_supplies", "wip_goods", "wip_services", "products", "goods_for_resale")


def _insert(table: sa.Table, rows: list[dict], batch: int = 20_000) -> None:
    from countapp.extensions import db

    for start in range(0, len(rows), batch):
        db.session.execute(sa.insert(table), rows[start:start + batch])


def build(n: int, seed: int = 1, password: str = PASSWORD) -> None:
    """One campaign counted to the end, written with bulk inserts (inside an app context)."""
    from countapp.extensions import db
    from countapp.models import (BookLine, Count, Item, Location, Movement, Site, Team, Ticket, TicketVoid, User,
                                 Zone)
    from countapp.services import audit, campaigns, users

    rng = np.random.default_rng(seed)
    campaigns.create(CODE, year=2025, count_date=dt.date(2025, 12, 28), closing_date=dt.date(2025, 12, 31))
    campaign = campaigns.get(CODE)
    campaign.status = "counting"
    for login, role in (("manager", "manager"), ("centraliser", "centraliser"), ("auditor", "auditor"),
                        ("lead1", "leader"), ("lead2", "leader")):
        users.add_user(login, role, password, name=login.title())
    cid = campaign.id
    site = Site(campaign_id=cid, code="LYON", name="")
    db.session.add(site)
    db.session.flush()
    _insert(Zone.__table__, [{"campaign_id": cid, "site_id": site.id, "code": f"Z{i:02d}"} for i in range(40)])
    zones = dict(db.session.execute(sa.select(Zone.code, Zone.id).where(Zone.campaign_id == cid)).all())
    n_items = max(1, -(-n // 8))
    n_loc = max(8, n // 8) + n // 1000 + 1
    _insert(Location.__table__, [{"campaign_id": cid, "zone_id": zones[f"Z{i % 40:02d}"], "code": f"L{i:07d}",
                                  "added_by_hand": False} for i in range(n_loc)])
    locations = dict(db.session.execute(sa.select(Location.code, Location.id).where(Location.campaign_id == cid)).all())
    _insert(Item.__table__, [{"campaign_id": cid, "reference": f"REF{i:07d}", "designation": f"Article {i}",
                              "unit": "pc", "category": CATEGORIES[i % 6]} for i in range(n_items)])
    items = dict(db.session.execute(sa.select(Item.reference, Item.id).where(Item.campaign_id == cid)).all())

    line = np.arange(n)
    item = line // 8
    cost = rng.integers(1, 50_000, n_items) / 100
    qty = rng.integers(0, 2_000, n)
    roll = rng.random(n)
    owner = np.where(roll < 0.01, "third_party", np.where(roll < 0.02, "at_third_party", "own")).astype(object)
    last = rng.integers(0, 1_000, n)
    _insert(BookLine.__table__, [{
        "campaign_id": cid, "item_id": items[f"REF{item[i]:07d}"],
        "location_id": locations[f"L{(item[i] * 8 + i % 8) % (n // 8 or 1):07d}"], "lot": "",
        "book_qty": int(qty[i]), "unit_cost": float(cost[item[i]]), "owner": owner[i], "holder": "",
        "last_movement_date": dt.date(2025, 12, 1) - dt.timedelta(days=int(last[i])),
        "market_price": float(cost[item[i]]) * 0.9 if i % 10 == 0 else None} for i in range(n)])
    line_ids = db.session.scalars(sa.select(BookLine.id).where(BookLine.campaign_id == cid).order_by(BookLine.id)).all()

    manager = db.session.scalar(sa.select(User).where(User.login == "manager"))
    teams = []
    for number, leader in ((1, "lead1"), (2, "lead2")):
        team = Team(campaign_id=cid, number=number, round=number,
                    leader_id=db.session.scalar(sa.select(User.id).where(User.login == leader)))
        db.session.add(team)
        teams.append(team)
    db.session.flush()

    counted = np.flatnonzero(owner != "at_third_party")
    n_blank = max(1, n // 1000)
    ticket_rows = []
    for seq, i in enumerate(counted, start=1):
        ticket_rows.append({"campaign_id": cid, "sequence": seq, "book_line_id": line_ids[i], "is_blank": False,
                            "item_id": None, "location_id": None, "lot": "", "status": "issued",
                            "team1_id": teams[0].id, "team2_id": teams[1].id})
    for k in range(n_blank):
        ticket_rows.append({"campaign_id": cid, "sequence": len(counted) + k + 1, "book_line_id": None,
                            "is_blank": True, "item_id": items[f"REF{k % n_items:07d}"],
                            "location_id": locations[f"L{n_loc - 1 - k % (n // 1000 + 1):07d}"], "lot": "",
                            "status": "issued", "team1_id": teams[0].id, "team2_id": teams[1].id})
    _insert(Ticket.__table__, ticket_rows)
    ticket_ids = db.session.scalars(sa.select(Ticket.id).where(Ticket.campaign_id == cid)
                                    .order_by(Ticket.sequence)).all()

    fate = rng.random(len(ticket_ids))
    book_qty = np.concatenate([qty[counted], rng.integers(1, 50, n_blank)])
    found = np.where(fate < 0.03, np.maximum(book_qty + rng.integers(-5, 6, len(book_qty)), 0), book_qty)
    state = np.where(rng.random(len(ticket_ids)) < 0.02, "damaged", "good").astype(object)
    state[rng.random(len(ticket_ids)) < 0.005] = "obsolete"
    now = dt.datetime(2025, 12, 28, 10, tzinfo=dt.timezone.utc)
    counts, updates, voids = [], [], []
    for k, ticket_id in enumerate(ticket_ids):
        if fate[k] > 0.999:
            voids.append({"ticket_id": ticket_id, "reason": "Spoiled", "voided_by_id": manager.id})
            updates.append({"t_id": ticket_id, "status": "voided", "final_qty": None})
            continue
        if 0.99 < fate[k] <= 0.995:
            continue  # never counted
        rounds = (1, 2, 3) if fate[k] < 0.03 else (1, 2)
        for r in rounds:
            counts.append({"ticket_id": ticket_id, "round": r, "quantity": int(found[k]),
                           "state": state[k] if r >= 2 else "good", "method": "counted",
                           "team_id": teams[0].id if r == 1 else (teams[1].id if r == 2 else None),
                           "counted_by_name": "bench", "counted_at": now, "source": "import"})
        updates.append({"t_id": ticket_id, "status": "final", "final_qty": int(found[k])})
    _insert(Count.__table__, counts)
    _insert(TicketVoid.__table__, voids)
    table = Ticket.__table__
    statement = sa.update(table).where(table.c.id == sa.bindparam("t_id")).values(
        status=sa.bindparam("status"), final_qty=sa.bindparam("final_qty"))
    for start in range(0, len(updates), 20_000):
        db.session.execute(statement, updates[start:start + 20_000])

    per_item = 1 + rng.poisson(5, n_items)
    moves = []
    for i in range(n_items):
        ref_id = items[f"REF{i:07d}"]
        loc_id = locations[f"L{(i * 8) % (n // 8 or 1):07d}"]
        for k in range(per_item[i]):
            opening = k == 0
            moves.append({"campaign_id": cid, "item_id": ref_id, "location_id": loc_id, "lot": "",
                          "date": dt.date(2025, 1, 1) if opening else dt.date(2025, 1, 2) + dt.timedelta(
                              days=int(rng.integers(0, 360))),
                          "quantity": int(rng.integers(1, 800)), "unit_cost": round(float(cost[i]) *
                                                                                      rng.uniform(0.8, 1.2), 4),
                          "kind": "opening" if opening else "receipt", "document": ""})
    for i in np.flatnonzero(rng.random(n) < 0.05):
        delta = int(rng.integers(-20, 40))
        moves.append({"campaign_id": cid, "item_id": items[f"REF{item[i]:07d}"],
                      "location_id": locations[f"L{(item[i] * 8 + i % 8) % (n // 8 or 1):07d}"], "lot": "",
                      "date": dt.date(2025, 12, 29) + dt.timedelta(days=int(rng.integers(0, 3))), "quantity": delta,
                      "unit_cost": None, "kind": "receipt" if delta >= 0 else "issue", "document": ""})
    _insert(Movement.__table__, moves)
    audit.record("bench.load", campaign=campaign, entity="campaign", entity_id=CODE,
                 after={"book_lines": n, "tickets": len(ticket_ids), "counts": len(counts), "movements": len(moves)})
    db.session.commit()


def _timed(label: str, function, results: dict):
    # CPU time beside wall time: on a shared machine the wall clock also counts the neighbours' work.
    started, cpu = time.perf_counter(), time.process_time()
    value = function()
    results[label] = time.perf_counter() - started
    print(f"  {label:<52} {results[label]:7.3f} s wall {time.process_time() - cpu:7.3f} s cpu", flush=True)
    return value



def main(argv: list[str] | None = None) -> int:
    args = database_arguments(__doc__.splitlines()[0], 100_000).parse_args(argv)
    return run_on_throwaway(args, lambda url, args, work: _run(url, args))


def _run(url: str, args) -> int:
    from countapp import create_app
    from countapp.extensions import db
    from countapp.services import campaigns, reconciliation
    from countapp.services.schema import upgrade

    from reports.reconcile import reconcile

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    results: dict[str, float] = {}
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        build(args.lines)
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does within a minute of a bulk load: without statistics the planner
            # picks nested loops and the figures say nothing about a server in use.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
        print(f"{args.db}: campaign of {args.lines:,} book lines built in {time.perf_counter() - started:.1f} s")
        campaign = campaigns.get(CODE)
        frames = _timed("loader (database -> frames)", lambda: reconciliation.load_frames(campaign), results)
        settings = reconciliation.reconcile_settings(campaign)
        result = _timed("engine (reconcile, wac)",
                        lambda: reconcile(frames.book, frames.counts, frames.movements, settings), results)
        print(f"  ({len(result.lines):,} rows, {len(frames.counts):,} tickets, {len(frames.movements):,} movements)")
        del frames, result
        db.session.remove()

    def page(client, query: str = "") -> int:
        response = client.get(f"/campaigns/{CODE}/review{query}")
        assert response.status_code == 200, response.status_code
        return len(response.data)

    client = app.test_client()
    client.post("/login", data={"login": "centraliser", "password": PASSWORD})
    reconciliation._memory.clear()
    print("review page (as the centraliser):")
    _timed("first page, nothing kept (loader + engine + page)", lambda: page(client), results)
    _timed("first page again (kept in memory)", lambda: page(client), results)
    reconciliation._memory.clear()
    _timed("first page, another process (kept file read back)", lambda: page(client), results)
    _timed("filter: one zone and |diff value| > 10", lambda: page(client, "?zone=Z07&min_diff=10"), results)
    _timed("sort by reference, ascending", lambda: page(client, "?sort=reference&dir=asc"), results)
    _timed("page 50 of the default order", lambda: page(client, "?page=50"), results)
    _timed("search a reference", lambda: page(client, "?q=REF00012"), results)
    with app.app_context():
        kept = reconciliation.kept(campaigns.get(CODE))
        row = kept.result.lines[kept.result.lines["status"] == "difference"].iloc[0]
        key = kept.line_key(row)
    client.post(f"/campaigns/{CODE}/review/cause", data={"line": key, "cause": "breakage", "note": ""})
    _timed("first page after a cause is set", lambda: page(client), results)
    _timed("download CSV", lambda: len(client.get(f"/campaigns/{CODE}/review/reconciliation.csv").data), results)
    _timed("download XLSX", lambda: len(client.get(f"/campaigns/{CODE}/review/reconciliation.xlsx").data), results)
    with app.app_context():
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
