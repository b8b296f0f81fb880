"""``countapp cycle``: a year simulated day by day from the command line reaches 100 % coverage."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from cycles.planning import working_days

from .conftest import MOVEMENTS

# What is really on the shelves: the book, except B1 where 5 valves broke unseen in January.
TRUE = {("A1", "L-01"): D(10), ("A1", "L-02"): D(5), ("B1", "L-01"): D(100), ("C1", "L-03"): D(1000),
        ("C2", "L-03"): D(2000)}
BROKEN_ON = dt.date(2025, 1, 20)


def _on_shelf(reference, location, day, adjusted):
    quantity = TRUE[(reference, location)]
    for line in MOVEMENTS.strip().splitlines()[1:]:
        date, ref, loc, qty = line.split(",")[:4]
        if (ref, loc) == (reference, location) and dt.date.fromisoformat(date) <= day:
            quantity += D(qty)
    if (reference, location) == ("B1", "L-01") and day >= BROKEN_ON:
        quantity -= 5
    return quantity


def invoke(runner, *args):
    result = runner.invoke(args=["cycle", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_year_counted_day_by_day_reaches_full_coverage(runner, people, files, tmp_path):
    stock, movements = files
    invoke(runner, "create", "CC2025", "--year", 2025, "--by", "boss")
    settings = tmp_path / "cycle.toml"
    settings.write_text('[cycle]\nholidays = ["2025-05-01"]\nfrequency = { A = 4, B = 2, C = 1 }\n')
    invoke(runner, "configure", "CC2025", settings)
    assert "5 lines imported" in invoke(runner, "import", "CC2025", stock, "--as-of", "2025-01-01")
    invoke(runner, "import-movements", "CC2025", movements)
    assert "Classes by annual consumption value" in invoke(runner, "classify", "CC2025")
    assert "12 counts planned for 5 lines" in invoke(runner, "plan", "CC2025")
    assert "already has its counts planned: nothing new to plan" in invoke(runner, "plan", "CC2025")
    adjusted, recounts = False, 0
    for day in working_days(dt.date(2025, 1, 1), dt.date(2025, 12, 31), holidays=[dt.date(2025, 5, 1)]):
        for line in invoke(runner, "due", "CC2025", "--date", day, "--no-overdue").splitlines():
            if "\t" not in line:
                continue
            plan_id, round_, place, reference = line.split("\t")[:4]
            location = place.split("/")[-1]
            quantity = _on_shelf(reference, location, day, adjusted)
            out = invoke(runner, "count", "CC2025", plan_id, quantity, "--by", "c1", "--date", day)
            if "round 2" in out:
                recounts += 1
                invoke(runner, "count", "CC2025", plan_id, quantity, "--round", 2, "--by", "c2", "--date", day)
        differences = invoke(runner, "differences", "CC2025")
        if "\t" in differences:
            invoke(runner, "accept", "CC2025", "--all", "--cause", "breakage", "--by", "office")
            adjusted = True
    assert recounts == 1 and adjusted
    coverage = invoke(runner, "coverage", "CC2025", "--date", "2025-12-31")
    assert "Items counted at least once: 4/4 (100.0%)" in coverage
    total = [l for l in coverage.splitlines() if l.startswith("all")][0].split("\t")
    assert total[3:6] == ["5", "5", "100.0%"] and total[6] == "0"
    csv = invoke(runner, "export-adjustments", "CC2025")
    assert "B1,Valve,S1,Z1,L-01,,pc,raw_materials" in csv and ",-5,10,-50.00,breakage" in csv
    assert "1 adjustment line written to" in invoke(runner, "export-adjustments", "CC2025", "--out", tmp_path / "a.csv")
    assert csv.startswith((tmp_path / "a.csv").read_text(encoding="utf-8") + "1 adjustment line written.")   # stderr follows
    entries = invoke(runner, "entries", "CC2025")
    assert "6031,Cycle count adjustments – raw materials and supplies,50.00" in entries


def test_cli_refusals_say_what_is_wrong(runner, people, files):
    result = runner.invoke(args=["cycle", "plan", "NOPE"])
    assert result.exit_code == 1 and "Unknown cycle-count programme NOPE" in result.output
    invoke(runner, "create", "CC2025", "--year", 2025)
    result = runner.invoke(args=["cycle", "set-class", "CC2025", "X", "D"])
    assert result.exit_code == 1 and "The class must be A, B or C" in result.output
    result = runner.invoke(args=["cycle", "accept", "CC2025", "1", "--cause", "weather"])
    assert result.exit_code == 1 and "Unknown cause weather" in result.output
