"""Time the centralisation page, recount sheets and ``countapp recounts`` on a campaign of N tickets.

    python bench/centralisation_page.py [--lines 100000] [--db sqlite|postgresql] [--pg-url URL]

Builds the counted campaign of bench/review_page.py (N book lines, one ticket each, two counts,
3 % with a third count, 0.5 % never counted, 0.1 % voided), then puts it where a centraliser finds
it half-way: 2 % of the tickets need a third count (two thirds because the counts disagree, the
rest far from book, some both), 1 % have their 1st count only, and 0.2 % were settled by a decision.
Then it prints what a centraliser waits for, through the pages as a logged-in user (HTML rendered):
the first page with the summary by state, a page deep in the campaign (keyset), the previous page,
each filter (state, zone, team + category, reason, search), one ticket's file; then making a recount
sheet of 200 tickets, printing it (PDF), and ``countapp recounts`` for every ticket waiting.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.review_page import CODE, PASSWORD, build  # noqa: E402
from bench.common import database_arguments, run_on_throwaway  # noqa: E402


def _timed(label: str, function, results: dict, repeat: int = 1):
    best, value = None, None
    for _ in range(repeat):
        started = time.perf_counter()
        value = function()
        took = time.perf_counter() - started
        best = took if best is None else min(best, took)
    results[label] = best
    print(f"  {label:<58} {best * 1000:9.1f} ms", flush=True)
    return value


def shape(seed: int = 2) -> dict:
    """Move some final tickets back to the states a centraliser meets half-way (bulk updates)."""
    from countapp.extensions import db
    from countapp.models import Count, Ticket, TicketDecision, User
    from countapp.services import campaigns

    campaign = campaigns.get(CODE)
    rng = np.random.default_rng(seed)
    has3 = sa.select(Count.ticket_id).where(Count.round == 3)
    finals = db.session.scalars(sa.select(Ticket.id).where(
        Ticket.campaign_id == campaign.id, Ticket.status == "final", Ticket.id.not_in(has3))
        .order_by(Ticket.id)).all()
    picked = rng.permutation(len(finals))
    n = len(finals)
    recount = [finals[i] for i in picked[: n // 50]]
    counted1 = [finals[i] for i in picked[n // 50: n // 50 + n // 100]]
    decided = [finals[i] for i in picked[n // 50 + n // 100: n // 50 + n // 100 + n // 500]]
    table = Ticket.__table__
    reasons = np.where(rng.random(len(recount)) < 0.66, "counts_disagree",
                       np.where(rng.random(len(recount)) < 0.8, "far_from_book", "counts_disagree,far_from_book"))
    update = sa.update(table).where(table.c.id == sa.bindparam("t_id")).values(
        status=sa.bindparam("status"), final_qty=sa.bindparam("final_qty"), recount_reasons=sa.bindparam("why"))
    rows = ([{"t_id": t, "status": "recount", "final_qty": None, "why": str(r)} for t, r in zip(recount, reasons)]
            + [{"t_id": t, "status": "counted_1", "final_qty": None, "why": ""} for t in counted1]
            + [{"t_id": t, "status": "final", "final_qty": 1, "why": "far_from_book"} for t in decided])
    for start in range(0, len(rows), 20_000):
        db.session.execute(update, rows[start:start + 20_000])
    # A ticket with a third count was recounted for a reason, kept with it (as counting.decide_ticket does).
    db.session.execute(sa.update(table).where(table.c.id.in_(has3)).values(recount_reasons="counts_disagree"))
    manager = db.session.scalar(sa.select(User.id).where(User.login == "manager"))
    db.session.execute(sa.insert(TicketDecision), [{"ticket_id": t, "kind": "accept_book", "reason": "bench",
                                                     "decided_by_id": manager} for t in decided])
    db.session.commit()
    return {"recount": len(recount), "count_1": len(counted1), "decided": len(decided)}


def main(argv: list[str] | None = None) -> int:
    args = database_arguments(__doc__.splitlines()[0], 100_000).parse_args(argv)
    return run_on_throwaway(args, _run)


def _run(url: str, args, work: Path) -> int:
    from countapp import create_app
    from countapp.extensions import db
    from countapp.models import Ticket
    from countapp.services import campaigns, recounts
    from countapp.services.schema import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    results: dict[str, float] = {}
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        build(args.lines)
        moved = shape()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket))
        last = db.session.scalar(sa.select(sa.func.max(Ticket.sequence)))
        waiting = db.session.scalars(sa.select(Ticket.sequence).where(Ticket.status == "recount")
                                     .order_by(Ticket.sequence).limit(200)).all()
        one = waiting[len(waiting) // 2]
        db.session.remove()
    print(f"{args.db}: {total:,} tickets built in {time.perf_counter() - started:.1f} s "
          f"({moved['recount']:,} needing a third count, {moved['count_1']:,} with count 1 only, "
          f"{moved['decided']:,} settled by decision)")

    client = app.test_client()
    assert client.post("/login", data={"login": "centraliser", "password": PASSWORD}).status_code in (302, 303)
    base = f"/campaigns/{CODE}"

    def get(path: str) -> int:
        response = client.get(base + path)
        assert response.status_code == 200, (path, response.status_code)
        return len(response.data)

    print("centralisation page (as the centraliser, HTML rendered; best of 3):")
    _timed("first page and the summary by state", lambda: get("/centralisation"), results, 3)
    _timed(f"deep page (after ticket {last - 150:,})", lambda: get(f"/centralisation?after={last - 150}"), results, 3)
    _timed("previous page from there", lambda: get(f"/centralisation?before={last - 150}"), results, 3)
    _timed("state: third count needed", lambda: get("/centralisation?state=recount"), results, 3)
    _timed("state: agreed, deep (keyset)", lambda: get(f"/centralisation?state=agreed&after={last // 2}"),
           results, 3)
    _timed("reason: far from book", lambda: get("/centralisation?reason=far_from_book"), results, 3)
    _timed("zone Z07", lambda: get("/centralisation?zone=Z07"), results, 3)
    _timed("team 1 + category products", lambda: get("/centralisation?team=1&category=products"), results, 3)
    _timed("zone Z07 + state recount + reason counts disagree",
           lambda: get("/centralisation?zone=Z07&state=recount&reason=counts_disagree"), results, 3)
    _timed("search a reference", lambda: get("/centralisation?q=REF0001234"), results, 3)
    _timed("one ticket's file (counts side by side, log)", lambda: get(f"/centralisation/tickets/{one}"), results, 3)
    _timed("new recount sheet page (candidates)", lambda: get("/recounts/new"), results, 3)

    print("recount sheets and countapp recounts:")

    def make_sheet():
        response = client.post(f"{base}/recounts", data={"tickets": [str(n) for n in waiting],
                                                         "leader_round1": "lead1", "leader_round2": "lead2",
                                                         "supervisor": "centraliser"})
        assert response.status_code == 302, response.status_code
        return response

    _timed("make a sheet of 200 tickets", make_sheet, results)
    _timed("print it (PDF, 200 tickets)", lambda: len(client.get(f"{base}/recounts/1.pdf").data), results)
    _timed("the leaders' entry page (200 tickets)", lambda: get("/recounts/1/enter"), results)
    with app.app_context():
        out = work / "recounts.csv"
        with out.open("w", encoding="utf-8", newline="") as handle:
            n = _timed("countapp recounts (every ticket waiting, CSV)",
                       lambda: recounts.write_recounts_csv(campaigns.get(CODE), handle), results)
        print(f"  ({n:,} tickets written)")
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
