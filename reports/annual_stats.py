"""The annual report's derived figures, computed from plain frames: pure, exact, fast.

- ``count_stats``: agreement between rounds, third counts, by team and zone, progress over time;
- ``activity``: what teams actually did (dates, hours) from the count timestamps;
- ``third_count_rows``: the discrepancies that called for a third count, with the three counts;
- ``largest_differences`` / ``causes_summary``: from the engine's exact integers;
- ``indicators``: rotation and coverage in days, dormant stock (DOMAIN.md, Stock indicators);
- ``result_effect``: what the entries do to the year's result.

Input frames (one row each; quantities as whole numbers of 10⁻⁴, ``reports.exact.QTY``):

``tickets``  ticket_id, ticket (printed number), status, reasons (``counts_disagree``,
             ``far_from_book``, comma-separated), zone, reference, location
``entries``  every count entry: ticket_id, round, qty, team (number or None), counted_at (aware
             datetime), counted_by, source, supersedes (a correction), superseded (a newer entry
             of the same round exists)
``decisions`` ticket_id, kind, reason
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from . import exact
from .annual_data import (Actual, CountStats, IndicatorRow, ProgressPoint, RateRow, TeamActivity, ThirdCountRow)
from .model import CATEGORIES
from .reconcile import Reconciliation

COUNTS_DISAGREE = "counts_disagree"
TICKET_COLUMNS = ("ticket_id", "ticket", "status", "reasons", "zone", "reference", "location")
ENTRY_COLUMNS = ("ticket_id", "round", "qty", "team", "counted_at", "counted_by", "source", "supersedes",
                 "superseded")
DECISION_COLUMNS = ("ticket_id", "kind", "reason")
_DAYS = Decimal(365)
_TENTH = Decimal("0.1")


def empty_tickets() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in TICKET_COLUMNS})


def empty_entries() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in ENTRY_COLUMNS})


def _qty(value) -> Decimal | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return Decimal(int(value)).scaleb(-exact.QTY).normalize() + Decimal(0)


def _current(entries: pd.DataFrame) -> pd.DataFrame:
    """The newest entry of each ticket and round (the original, or its latest correction)."""
    current = entries[~entries["superseded"].astype(bool)]
    return current.drop_duplicates(["ticket_id", "round"], keep="last")


def ticket_flags(tickets: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """Per ticket with at least one count: the flags the rates are made of, indexed by ticket_id."""
    current = _current(entries)
    by_round = {r: current[current["round"] == r].set_index("ticket_id")["qty"] for r in (1, 2, 3)}
    counted_ids = pd.Index(pd.unique(current["ticket_id"]))
    info = tickets.set_index("ticket_id").reindex(counted_ids)
    flags = pd.DataFrame(index=counted_ids)
    flags["zone"] = info["zone"].fillna("").astype(str).to_numpy()
    reasons = info["reasons"].fillna("").astype(str)
    status = info["status"].fillna("").astype(str)
    has = {r: counted_ids.isin(by_round[r].index) for r in (1, 2, 3)}
    both = has[1] & has[2]
    exact_eq = np.zeros(len(counted_ids), dtype=bool)
    if both.any():
        ids = counted_ids[both]
        q1 = by_round[1].reindex(ids).to_numpy(dtype=np.int64)
        q2 = by_round[2].reindex(ids).to_numpy(dtype=np.int64)
        exact_eq[both] = q1 == q2
    disagree = reasons.str.contains(COUNTS_DISAGREE, regex=False).to_numpy(dtype=bool)
    needed = (reasons != "").to_numpy(dtype=bool) | has[3] | (status == "recount").to_numpy(dtype=bool)
    flags["both"] = both
    flags["exact"] = both & exact_eq
    flags["within"] = both & ~disagree
    flags["third_needed"] = both & needed
    flags["third_done"] = has[3]
    flags["pending"] = (status == "recount").to_numpy(dtype=bool)
    flags["reasons"] = reasons.to_numpy(dtype=object)
    return flags


def _rate_row(key: str, flags: pd.DataFrame, round_: int | None = None) -> RateRow:
    return RateRow(key=key, round=round_, tickets=len(flags), both=int(flags["both"].sum()),
                   exact=int(flags["exact"].sum()), within=int(flags["within"].sum()),
                   third_needed=int(flags["third_needed"].sum()), third_done=int(flags["third_done"].sum()))


def _progress(entries: pd.DataFrame) -> list[ProgressPoint]:
    """Counts entered by the end of each hour (each day past a week), per round, cumulative."""
    originals = entries[~entries["supersedes"].astype(bool)]
    if originals.empty:
        return []
    at = pd.to_datetime(originals["counted_at"], utc=True)
    span = at.max() - at.min()
    freq = "h" if span <= pd.Timedelta(days=7) else "D"
    step = pd.Timedelta(hours=1) if freq == "h" else pd.Timedelta(days=1)
    frame = pd.DataFrame({"round": originals["round"].to_numpy(dtype=np.int64), "bucket": at.dt.floor(freq)})
    points: list[ProgressPoint] = []
    for round_, group in frame.groupby("round", sort=True):
        cumulative = group.groupby("bucket").size().sort_index().cumsum()
        # each round's line starts from zero when its first count came in
        points.append(ProgressPoint(cumulative.index[0].to_pydatetime(), int(round_), 0))
        points += [ProgressPoint((when + step).to_pydatetime(), int(round_), int(n)) for when, n in cumulative.items()]
    return points


def count_stats(tickets: pd.DataFrame, entries: pd.DataFrame, flags: pd.DataFrame | None = None) -> CountStats:
    """Agreement between rounds, third-count rate, by team and by zone, and progress over time.

    ``flags``: ``ticket_flags(tickets, entries)`` when the caller has it already.
    """
    if entries.empty:
        return CountStats()
    flags = ticket_flags(tickets, entries) if flags is None else flags
    stats = CountStats(overall=_rate_row("all", flags), pending_third=int(flags["pending"].sum()))
    current = _current(entries)
    teamed = current[current["round"].isin((1, 2)) & current["team"].notna()]
    for (team, round_), group in teamed.groupby(["team", "round"], sort=True):
        ids = pd.unique(group["ticket_id"])
        stats.by_team.append(_rate_row(str(int(team)), flags.loc[flags.index.intersection(ids)], int(round_)))
    for zone, group in flags.groupby("zone", sort=True):
        stats.by_zone.append(_rate_row(str(zone), group))
    reasons: dict[str, int] = {}
    for text in flags.loc[flags["third_needed"], "reasons"]:
        for reason in filter(None, str(text).split(",")):
            reasons[reason] = reasons.get(reason, 0) + 1
    stats.reasons = dict(sorted(reasons.items()))
    stats.progress = _progress(entries)
    return stats


def activity(entries: pd.DataFrame, teams: dict[int, tuple[int, str]], tz: dt.tzinfo = dt.timezone.utc) -> Actual:
    """What happened, from the count timestamps: ``teams`` maps a team number to (round, leader).

    Every planned team is listed, even one that entered nothing; counts entered without a team
    (third counts, a manager's entries) form their own rows, keyed by round. A team's hours are
    the time between its first and last count of each day, summed over its days.
    """
    actual = Actual()
    groups: dict[tuple[int | None, int], dict] = {}
    if not entries.empty:
        originals = entries[~entries["supersedes"].astype(bool)]
        actual.counts = len(originals)
        actual.corrections = int(entries["supersedes"].astype(bool).sum())
        actual.imported = int((originals["source"].astype(str) == "import").sum())
        names = entries["counted_by"].fillna("").astype(str).str.strip()
        actual.people = int(names[names != ""].nunique())
        # Local wall-clock times as plain datetime64 (no Timestamp objects: 200,000 counts stay fast).
        local = pd.to_datetime(originals["counted_at"], utc=True).dt.tz_convert(tz).dt.tz_localize(None)
        ns = local.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        day = local.dt.floor("D").to_numpy(dtype="datetime64[ns]").astype(np.int64)
        team = pd.to_numeric(pd.Series(originals["team"].to_numpy(dtype=object)), errors="coerce")
        frame = pd.DataFrame({"team": team.fillna(-1).to_numpy(dtype=np.int64),
                              "round": originals["round"].to_numpy(dtype=np.int64), "ns": ns, "day": day,
                              "who": originals["counted_by"].fillna("").astype(str).to_numpy(dtype=object)})
        if len(frame):
            actual.first_at, actual.last_at = _aware(ns.min(), tz), _aware(ns.max(), tz)
            actual.days = [_aware(d, tz).date() for d in np.unique(day)]
        spans = frame.groupby(["team", "round", "day"], sort=True)["ns"].agg(["min", "max"]).reset_index()
        spans["span"] = spans["max"] - spans["min"]
        for (team_, round_), group in spans.groupby(["team", "round"], sort=False):
            seconds = int(group["span"].sum()) // 1_000_000_000
            groups[(None if team_ < 0 else int(team_), int(round_))] = {
                "first": int(group["min"].min()), "last": int(group["max"].max()),
                "hours": (Decimal(seconds) / Decimal(3600)).quantize(_TENTH),
                "days": [_aware(d, tz).date() for d in group["day"]]}
        counts = frame.groupby(["team", "round"]).agg(n=("ns", "size"),
                                                     people=("who", lambda w: w[w != ""].nunique()))
        for (team_, round_), row in counts.iterrows():
            found = groups[(None if team_ < 0 else int(team_), int(round_))]
            found["counts"], found["people"] = int(row["n"]), int(row["people"])
    keys = [(number, round_) for number, (round_, _) in sorted(teams.items())]
    keys += sorted((k for k in groups if k not in keys), key=lambda k: (k[0] is None, k[0] or 0, k[1]))
    for team_, round_ in keys:
        leader = teams.get(team_, (round_, ""))[1] if team_ is not None else ""
        row = TeamActivity(team=team_, round=round_, leader=leader)
        found = groups.get((team_, round_))
        if found is not None:
            row.counts, row.people = found["counts"], found["people"]
            row.hours, row.days = found["hours"], found["days"]
            row.first_at, row.last_at = _aware(found["first"], tz), _aware(found["last"], tz)
        actual.teams.append(row)
    return actual


def _aware(ns: int, tz: dt.tzinfo) -> dt.datetime:
    """A local wall-clock time in nanoseconds (as numpy gives it) back as an aware datetime."""
    naive = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(ns) // 1000)
    return pd.Timestamp(naive).tz_localize(tz, ambiguous=False, nonexistent="shift_forward").to_pydatetime()


def third_count_rows(tickets: pd.DataFrame, entries: pd.DataFrame, decisions: pd.DataFrame | None = None,
                     flags: pd.DataFrame | None = None) -> list[ThirdCountRow]:
    """Every ticket that called for a third count, in number order, with its counts and outcome."""
    if entries.empty:
        return []
    flags = ticket_flags(tickets, entries) if flags is None else flags
    ids = flags.index[flags["third_needed"].to_numpy(dtype=bool)]
    if not len(ids):
        return []
    current = _current(entries)
    quantities = {r: current[current["round"] == r].set_index("ticket_id")["qty"].astype("Int64").reindex(ids)
                  for r in (1, 2, 3)}
    info = tickets.drop_duplicates("ticket_id").set_index("ticket_id").reindex(ids)
    decided = {} if decisions is None or decisions.empty else {
        int(t): (str(k), str(r)) for t, k, r in zip(decisions["ticket_id"], decisions["kind"], decisions["reason"])}
    columns = {name: info[name].fillna("").astype(str).tolist()
               for name in ("ticket", "reference", "location", "zone", "reasons", "status")}
    q = {r: quantities[r].tolist() for r in (1, 2, 3)}
    rows = []
    for i, ticket_id in enumerate(ids.tolist()):
        kind, reason = decided.get(int(ticket_id), ("", ""))
        rows.append(ThirdCountRow(
            ticket=columns["ticket"][i], reference=columns["reference"][i], location=columns["location"][i],
            zone=columns["zone"][i], count1=_qty(q[1][i]), count2=_qty(q[2][i]), count3=_qty(q[3][i]),
            reasons=columns["reasons"][i], status=columns["status"][i], decision=kind, decision_reason=reason))
    return sorted(rows, key=lambda r: r.ticket)


# --- from the reconciliation --------------------------------------------------------------------

def _difference_rows(result: Reconciliation) -> np.ndarray:
    """Own rows with a difference at the count date (third-party rows carry no value)."""
    value, value_missing = result.numbers["diff_value"]
    diff, diff_missing = result.numbers["diff_qty"]
    own = result.lines["owner"].to_numpy(dtype=object) != "third_party"
    return own & ~value_missing & ~diff_missing & ((value != 0) | (diff != 0))


def largest_differences(result: Reconciliation, n: int | None = None) -> pd.DataFrame:
    """Own rows with a difference, largest |difference value| first (then |quantity|); ``n`` first ones."""
    rows = np.flatnonzero(_difference_rows(result))
    value = np.abs(result.numbers["diff_value"][0][rows])
    diff = np.abs(result.numbers["diff_qty"][0][rows])
    order = rows[np.lexsort((rows, -diff, -value))]
    if n is not None:
        order = order[:n]
    return result.lines.iloc[order]


def causes_summary(result: Reconciliation) -> list[tuple[str, int, Decimal]]:
    """Per cause given ("" for none): lines with a difference and their net difference value."""
    rows = _difference_rows(result)
    causes = result.lines["cause"].to_numpy(dtype=object)[rows]
    values = result.numbers["diff_value"][0][rows]
    out: dict[str, list[int]] = {}
    for cause, value in zip(causes, values.tolist()):
        entry = out.setdefault(cause or "", [0, 0])
        entry[0] += 1
        entry[1] += value
    return [(cause, n, Decimal(total).scaleb(-exact.MONEY)) for cause, (n, total) in
            sorted(out.items(), key=lambda kv: (kv[0] == "", -abs(kv[1][1]), kv[0]))]


def difference_totals(result: Reconciliation) -> tuple[Decimal, Decimal]:
    """Surpluses (positive differences) and shortages (negative), in value, over own rows."""
    rows = _difference_rows(result)
    values = result.numbers["diff_value"][0][rows]
    return (Decimal(int(values[values > 0].sum())).scaleb(-exact.MONEY),
            Decimal(int(values[values < 0].sum())).scaleb(-exact.MONEY))


def dormant_mask(result: Reconciliation, closing_date: dt.date, days: int = 365) -> np.ndarray:
    """Own valued rows with stock at closing and no movement for ``days`` days or more."""
    lines = result.lines
    closing, closing_missing = result.numbers["closing_qty"]
    _, value_missing = result.numbers["closing_value"]
    last = pd.to_datetime(pd.Series(lines["last_movement_date"].to_numpy(dtype=object)), errors="coerce")
    limit = pd.Timestamp(closing_date) - pd.Timedelta(days=days)
    old = (last.notna() & (last <= limit)).to_numpy(dtype=bool)
    own = lines["owner"].to_numpy(dtype=object) != "third_party"
    return own & ~value_missing & ~closing_missing & (closing > 0) & old


def dormant_lines(result: Reconciliation, closing_date: dt.date, days: int = 365, n: int | None = None
                  ) -> pd.DataFrame:
    """Dormant rows, largest closing value first."""
    rows = np.flatnonzero(dormant_mask(result, closing_date, days))
    value = result.numbers["closing_value"][0][rows]
    order = rows[np.lexsort((rows, -value))]
    return result.lines.iloc[order if n is None else order[:n]]


def _money(value) -> Decimal | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value) or value == "":
        return None
    return exact.cents(Decimal(str(value)))


def indicators(result: Reconciliation, opening: pd.DataFrame | None, receipts: dict[str, Decimal] | None,
               closing_date: dt.date, dormant_days: int = 365) -> list[IndicatorRow]:
    """Rotation and coverage in days and dormant stock, per category in chart order.

    Consumed = opening + purchases − closing (purchases from the opening file, else the receipts
    of the year's movements); rotation = average stock ÷ consumed × 365; coverage = closing
    stock ÷ consumed × 365. With nothing consumed (or no opening value) the days stay empty.
    """
    closing = {c: v for c, v in zip(result.by_category["category"], result.by_category["closing_value"]) if c}
    opened: dict[str, tuple[Decimal | None, Decimal | None]] = {}
    if opening is not None and len(opening):
        for _, row in opening.iterrows():
            opened[str(row["category"])] = (_money(row.get("opening_value")), _money(row.get("purchases")))
    mask = dormant_mask(result, closing_date, dormant_days)
    categories = result.lines["category"].to_numpy(dtype=object)
    values = result.numbers["closing_value"][0]
    rows = []
    for category in (c for c in CATEGORIES if c in closing or c in opened):
        opening_value, purchases = opened.get(category, (None, None))
        source = "opening" if purchases is not None else ""
        if purchases is None and receipts and category in receipts:
            purchases, source = exact.cents(receipts[category]), "movements"
        close = closing.get(category, Decimal("0.00"))
        row = IndicatorRow(category=category, opening_value=opening_value, purchases=purchases,
                           purchases_source=source, closing_value=close)
        if opening_value is not None:
            row.average_stock = exact.cents((opening_value + close) / 2)
            if purchases is not None:
                row.consumed = opening_value + purchases - close
                if row.consumed > 0:
                    row.rotation_days = (row.average_stock / row.consumed * _DAYS).quantize(_TENTH)
                    row.coverage_days = (close / row.consumed * _DAYS).quantize(_TENTH)
        here = mask & (categories == category)
        row.dormant_lines = int(here.sum())
        row.dormant_value = Decimal(int(values[here].sum())).scaleb(-exact.MONEY)
        rows.append(row)
    return rows


def result_effect(entries: pd.DataFrame) -> Decimal:
    """The entries' effect on the year's result: credits less debits on expense and income accounts."""
    if entries is None or entries.empty:
        return Decimal("0.00")
    accounts = entries["account"].astype(str)
    pl = accounts.str.startswith(("6", "7")).to_numpy(dtype=bool)
    credit = sum((v for v in entries.loc[pl, "credit"] if v is not None and v == v), Decimal("0.00"))
    debit = sum((v for v in entries.loc[pl, "debit"] if v is not None and v == v), Decimal("0.00"))
    return credit - debit


def entries_balance(entries: pd.DataFrame) -> list[tuple[int, Decimal, Decimal]]:
    """Each entry's number, total debit and total credit (equal when the entry balances)."""
    out = []
    if entries is None or entries.empty:
        return out
    for number, group in entries.groupby("entry", sort=True):
        debit = sum((v for v in group["debit"] if v is not None and v == v), Decimal("0.00"))
        credit = sum((v for v in group["credit"] if v is not None and v == v), Decimal("0.00"))
        out.append((int(number), debit, credit))
    return out
