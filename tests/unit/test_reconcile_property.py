"""The vectorised engine agrees with a plain, line-by-line Decimal reading of DOMAIN.md's rules."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports import exact
from reports.model import DepreciationRates
from tests.unit.conftest_reports import COUNT_DATE, CLOSING_DATE, line, move, run, ticket

CENT, MILLIONTH = Decimal("0.01"), Decimal("0.000001")
COMPARED = ("book_qty", "counted_qty", "diff_qty", "rollforward_qty", "closing_qty", "unit_cost", "book_value",
            "counted_value", "diff_value", "closing_value", "depreciation", "net_value", "depreciation_reason")


def cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def item_cost(method, qty, book_cost, layers):
    """DOMAIN.md: the item's closing value by the method, over its closing quantity."""
    if method == "book" or qty <= 0:
        return book_cost
    if method == "wac":
        total_q = sum(q for q, _ in layers)
        total_v = sum(q * c for q, c in layers)
        value = qty * total_v / total_q if total_q >= qty else total_v + (qty - total_q) * book_cost
    else:
        order = layers[::-1] if method == "fifo" else layers  # fifo keeps the most recent
        remaining, value = qty, Decimal(0)
        for q, c in order:
            take = min(q, remaining)
            value += take * c
            remaining -= take
        value += remaining * book_cost
    return (value / qty).quantize(MILLIONTH, rounding=ROUND_HALF_UP)


def reference(lines, tickets, moves, method, rates):
    """Rows keyed by (reference, location, lot), computed one at a time with Decimals."""
    places = {}
    by_id = {}
    for b in lines:
        key = (b["reference"], b["location"], b["lot"])
        by_id[b["book_line_id"]] = key
        places[key] = {"book": b, "book_qty": b["book_qty"], "counted": None, "states": set(), "owner": b["owner"],
                       "kind": "book"}
    for t in tickets:
        if t["status"] == "voided":
            continue
        key = by_id[t["book_line_id"]] if t["book_line_id"] is not None else (t["reference"], t["location"],
                                                                               t["lot"])
        if key not in places:
            if t["counted_qty"] is None:
                continue
            places[key] = {"book": None, "book_qty": Decimal(0), "counted": None, "states": set(), "owner": "own",
                           "kind": "unknown"}
        if t["counted_qty"] is not None:
            p = places[key]
            p["counted"] = (p["counted"] or 0) + t["counted_qty"]
            p["states"].add(t["state"])
    rollforward = defaultdict(Decimal)
    for m in moves:
        if COUNT_DATE < m["date"] <= CLOSING_DATE:
            rollforward[(m["reference"], m["location"], m["lot"])] += m["quantity"]
    for key, q in rollforward.items():
        if key not in places and q != 0:
            places[key] = {"book": None, "book_qty": Decimal(0), "counted": None, "states": set(), "owner": "own",
                           "kind": "rollforward_only"}

    quantity = defaultdict(Decimal)
    for key, p in places.items():
        rf = rollforward.get(key, Decimal(0))
        if p["owner"] == "at_third_party":
            p["closing"] = p["book_qty"] + rf
        elif p["kind"] == "rollforward_only":
            p["closing"] = rf
        else:
            p["closing"] = None if p["counted"] is None else p["counted"] + rf
        p["rf"] = rf
        if p["owner"] != "third_party" and p["closing"] is not None:
            quantity[key[0]] += p["closing"]

    costs = {}
    for ref in {k[0] for k in places}:
        own = [b for b in lines if b["reference"] == ref and b["owner"] != "third_party"]
        total = sum(b["book_qty"] for b in own)
        if total > 0:
            book_cost = (sum(b["book_qty"] * b["unit_cost"] for b in own) / total).quantize(MILLIONTH, ROUND_HALF_UP)
        elif own:
            book_cost = (sum(b["unit_cost"] for b in own) / len(own)).quantize(MILLIONTH, ROUND_HALF_UP)
        else:
            book_cost = Decimal(0)
        layers = sorted(((m["date"], m["kind"] != "opening", i), m) for i, m in enumerate(moves)
                        if m["reference"] == ref and m["kind"] in ("opening", "receipt")
                        and m["date"] <= CLOSING_DATE and m["quantity"] > 0)
        layers = [(m["quantity"], m["unit_cost"] if m["unit_cost"] is not None else book_cost) for _, m in layers]
        costs[ref] = item_cost(method, quantity[ref], book_cost, layers)

    rows = {}
    for key, p in places.items():
        b = p["book"]
        market = b["market_price"] if b else min(
            (x["market_price"] for x in lines if x["reference"] == key[0] and x["market_price"] is not None),
            default=None)
        moved = [m["date"] for m in moves if (m["reference"], m["location"], m["lot"]) == key
                 and m["kind"] != "opening" and m["date"] <= CLOSING_DATE]
        last = max([d for d in [b["last_movement_date"] if b else None] + moved if d is not None], default=None)
        third = p["owner"] == "third_party"
        cost = None if third else costs[key[0]]
        counted = p["counted"] if p["kind"] != "rollforward_only" else None
        diff = None if counted is None else counted - p["book_qty"]
        r = {"book_qty": p["book_qty"], "counted_qty": counted, "diff_qty": diff, "rollforward_qty": p["rf"],
             "closing_qty": p["closing"], "unit_cost": cost,
             "book_value": None if third else cents(p["book_qty"] * cost),
             "counted_value": None if third or counted is None else cents(counted * cost),
             "diff_value": None if third or diff is None else cents(diff * cost),
             "closing_value": None, "depreciation": None, "net_value": None, "depreciation_reason": ""}
        if not third and p["closing"] is not None:
            value = cents(p["closing"] * cost)
            candidates = [(cents(getattr(rates, s) / 100 * value), s) for s in ("damaged", "obsolete", "expired")
                          if s in p["states"]]
            if last is not None and (CLOSING_DATE - last).days >= rates.slow_moving_days:
                candidates.append((cents(rates.slow_moving / 100 * value), "slow_moving"))
            if rates.market_price and market is not None and market < cost:
                candidates.append((cents((cost - market) * p["closing"]), "market_price"))
            best = max(candidates, key=lambda c: c[0], default=(Decimal(0), ""))
            best = best if best[0] > 0 else (Decimal("0.00"), "")
            r.update(closing_value=value, depreciation=best[0], net_value=value - best[0], depreciation_reason=best[1])
        rows[key] = r
    return rows


amounts = st.decimals(min_value=0, max_value=40, places=2)
costs = st.decimals(min_value=0, max_value=30, places=4)
dates = st.dates(min_value=dt.date(2024, 11, 1), max_value=dt.date(2026, 1, 3))
refs, locs, lots = st.sampled_from(["A", "B", "C"]), st.sampled_from(["L1", "L2", "L3"]), st.sampled_from(["", "X"])


@st.composite
def campaigns(draw):
    places = draw(st.lists(st.tuples(refs, locs, lots), min_size=1, max_size=6, unique=True))
    lines = [line(i, r, loc, str(draw(amounts)), str(draw(costs)), lot=lot,
                  owner=draw(st.sampled_from(["own", "own", "own", "third_party", "at_third_party"])),
                  market_price=draw(st.none() | costs.map(str)), last_movement_date=draw(st.none() | dates))
             for i, (r, loc, lot) in enumerate(places, start=1)]
    tickets = []
    for number, b in enumerate(lines, start=1):
        kind = draw(st.sampled_from(["counted", "counted", "counted", "none", "voided", "absent"]))
        if kind == "absent":
            continue
        qty = str(draw(amounts)) if kind == "counted" else None
        tickets.append(ticket(number, b["book_line_id"], qty, state=draw(st.sampled_from(
            ["good", "good", "damaged", "obsolete", "expired"])), status="voided" if kind == "voided" else "final"))
    for number in range(100, 100 + draw(st.integers(0, 3))):  # blank tickets, known or unknown places
        r, loc, lot = draw(st.tuples(refs, st.sampled_from(["L1", "NEW", "NEW2"]), lots))
        tickets.append(ticket(number, None, str(draw(amounts)), reference=r, location=loc, lot=lot,
                              state=draw(st.sampled_from(["good", "damaged"]))))
    moves = []
    for _ in range(draw(st.integers(0, 10))):
        r, loc, lot = draw(st.tuples(refs, st.sampled_from(["L1", "L2", "DOCK"]), lots))
        kind = draw(st.sampled_from(["opening", "receipt", "receipt", "issue", "transfer"]))
        qty = draw(st.decimals(min_value=-10, max_value=30, places=2))
        moves.append(move(draw(dates), str(qty), reference=r, location=loc, lot=lot, kind=kind,
                          unit_cost=draw(st.none() | costs.map(str))))
    rates = DepreciationRates(damaged=draw(st.sampled_from([0, 50, Decimal("33.33")])), obsolete=100, expired=80,
                              slow_moving=draw(st.sampled_from([0, 25])), slow_moving_days=365,
                              market_price=draw(st.booleans()))
    return lines, tickets, moves, draw(st.sampled_from(["book", "wac", "fifo", "lifo"])), rates


def check(campaign):
    """The engine against the Decimal reference on one drawn campaign: same rows, same own totals; the result."""
    lines, tickets, moves, method, rates = campaign
    result = run(lines, tickets, moves, method=method, rates=rates)
    expected = reference(lines, tickets, moves, method, rates)
    got = result.lines[result.lines["status"] != "voided"]
    assert len(got) == len(expected)
    for r in got.to_dict("records"):
        want = expected[(r["reference"], r["location"], r["lot"])]
        for column in COMPARED:
            assert r[column] == want[column], (column, r, want)
    own = got[got["owner"] != "third_party"]
    for name in ("book_value", "closing_value", "net_value"):
        assert result.own_totals[name] == sum((v for v in own[name] if v is not None), Decimal("0.00"))
    assert (result.lines["status"] == "voided").sum() == sum(t["status"] == "voided" for t in tickets)
    return result


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns())
def test_engine_agrees_with_the_decimal_reference(campaign):
    check(campaign)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns())
def test_python_integer_path_agrees_with_the_decimal_reference(campaign):
    saved = exact.SAFE
    exact.SAFE = 0.0  # every product through the arbitrary-precision path
    try:
        check(campaign)
    finally:
        exact.SAFE = saved
