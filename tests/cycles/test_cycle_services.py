"""Cycle counting services (issue 21) on SQLite and PostgreSQL: rules a counter, a manager and an auditor meet."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.filecheck import ImportRefused
from countapp.models import CycleCount, CycleItem, CycleLine, CyclePlan
from countapp.services import cycle_counts, cycle_reports, cycles
from tickets.errors import CountappError, Conflict, Forbidden

Count = cycle_counts.CycleCountInput


def _entry(code, reference, location, pass_no=1):
    return db.session.scalar(sa.select(CyclePlan).join(CycleLine).join(CycleItem).where(
        CycleItem.reference == reference, CycleLine.location == location, CyclePlan.pass_no == pass_no))


def test_import_keeps_own_stock_on_site_and_classify_uses_consumption(make_programme):
    programme = make_programme(plan=False)
    items = {i.reference: i for i in db.session.scalars(sa.select(CycleItem))}
    assert set(items) == {"A1", "B1", "C1", "C2"}
    # Issues: A1 2 × 500 = 1000, B1 20 × 10 = 200, C1 100 × 0.05 = 5; C2 nothing.
    assert {r: i.consumption_cents for r, i in items.items()} == {"A1": 100000, "B1": 20000, "C1": 500, "C2": 0}
    assert {r: i.abc_class for r, i in items.items()} == {"A1": "A", "B1": "B", "C1": "C", "C2": "C"}
    assert programme.stock_date == dt.date(2025, 1, 1)


def test_plan_gives_each_line_its_class_frequency(make_programme):
    make_programme()
    per_line = dict(db.session.execute(sa.select(CycleLine.location + "/" + CycleItem.reference,
                                                 sa.func.count(CyclePlan.id))
                                       .join(CycleItem).join(CyclePlan).group_by(CycleLine.id, CycleLine.location,
                                                                                CycleItem.reference)).all())
    assert per_line == {"L-01/A1": 4, "L-02/A1": 4, "L-01/B1": 2, "L-03/C1": 1, "L-03/C2": 1}


def test_a_second_plan_adds_only_new_lines_and_replace_plans_again(make_programme, people):
    make_programme()
    assert cycles.plan("CC2025", by=people["boss"]).entries == 0
    summary = cycles.plan("CC2025", replace=True, by=people["boss"])
    assert summary.dropped == 12 and summary.entries == 12


def test_a_programme_without_lines_is_not_planned_and_says_to_import_first(people):
    cycles.create("CC2025", year=2025, by=people["boss"])
    with pytest.raises(CountappError, match="import its stock file first") as refused:
        cycles.plan("CC2025", by=people["boss"])
    assert refused.value.field == "file"
    assert not db.session.scalar(sa.select(sa.func.count(CyclePlan.id)))


def test_only_a_manager_plans(make_programme, people):
    make_programme(plan=False)
    with pytest.raises(Forbidden):
        cycles.plan("CC2025", by=people["c1"])


def test_the_due_list_is_blind(make_programme, people):
    make_programme()
    lines = cycles.due("CC2025", dt.date(2025, 12, 31), user=people["c1"])
    assert lines
    fields = {f.name for f in dataclasses.fields(lines[0])}
    assert not fields & {"book_qty", "quantity", "final_qty"}
    orders = [(l.site, l.zone, l.location) for l in lines]
    assert orders == sorted(orders)


def test_book_at_counting_follows_the_movements_to_that_day(make_programme, people):
    make_programme()
    entry = _entry("CC2025", "A1", "L-01", 2)
    cycle_counts.record_count("CC2025", Count(entry.id, 1, "8", counted_on=dt.date(2025, 4, 1)), by=people["c1"])
    db.session.refresh(entry)
    assert entry.book_qty == D(8) and entry.status == "settled" and entry.final_qty == D(8)
    assert entry.first_within is True


def test_out_of_tolerance_needs_a_second_count_by_another_person(make_programme, people):
    make_programme()
    entry = _entry("CC2025", "C1", "L-03")
    outcome = cycle_counts.record_count("CC2025", Count(entry.id, 1, "990", counted_on=dt.date(2025, 2, 3)),
                                        by=people["c1"])
    assert (outcome.status, outcome.next_round) == ("round2", 2)
    with pytest.raises(Forbidden, match="another person"):
        cycle_counts.record_count("CC2025", Count(entry.id, 2, "990", counted_on=dt.date(2025, 2, 3)),
                                  by=people["c1"])
    due = {l.plan_id: l for l in cycles.due("CC2025", dt.date(2025, 2, 3))}
    assert due[entry.id].round == 2 and due[entry.id].counted_by_round1 == people["c1"].id
    outcome = cycle_counts.record_count("CC2025", Count(entry.id, 2, "990", counted_on=dt.date(2025, 2, 3)),
                                        by=people["c2"])
    assert outcome.status == "difference" and outcome.next_round is None


def test_counts_that_disagree_go_to_a_third_count_by_a_leader(make_programme, people):
    make_programme()
    entry = _entry("CC2025", "C2", "L-03")
    day = dt.date(2025, 2, 3)
    cycle_counts.record_count("CC2025", Count(entry.id, 1, "1990", counted_on=day), by=people["c1"])
    assert cycle_counts.record_count("CC2025", Count(entry.id, 2, "1980", counted_on=day),
                                     by=people["c2"]).next_round == 3
    with pytest.raises(Forbidden):
        cycle_counts.record_count("CC2025", Count(entry.id, 3, "2000", counted_on=day), by=people["c2"])
    outcome = cycle_counts.record_count("CC2025", Count(entry.id, 3, "2000", counted_on=day), by=people["lead"])
    assert outcome.status == "settled"


def test_a_round_already_counted_is_a_conflict_and_a_client_id_is_idempotent(make_programme, people):
    make_programme()
    entry = _entry("CC2025", "A1", "L-02")
    given = Count(entry.id, 1, "5", counted_on=dt.date(2025, 1, 6), client_id="tab-1:42")
    assert cycle_counts.record_count("CC2025", given, by=people["c1"]).created
    assert not cycle_counts.record_count("CC2025", given, by=people["c1"]).created
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CycleCount)) == 1
    with pytest.raises(Conflict):
        cycle_counts.record_count("CC2025", Count(entry.id, 1, "6", counted_on=dt.date(2025, 1, 6)),
                                  by=people["c2"])


def test_counts_are_never_changed(make_programme, people):
    make_programme()
    entry = _entry("CC2025", "A1", "L-02")
    cycle_counts.record_count("CC2025", Count(entry.id, 1, "5", counted_on=dt.date(2025, 1, 6)), by=people["c1"])
    with pytest.raises(sa.exc.DatabaseError):
        db.session.execute(sa.update(CycleCount).values(quantity=7))
        db.session.flush()
    db.session.rollback()


def test_an_auditor_reads_and_samples_but_does_not_count_nor_accept(make_programme, people):
    make_programme()
    entry = _entry("CC2025", "A1", "L-02")
    with pytest.raises(Forbidden):
        cycle_counts.record_count("CC2025", Count(entry.id, 1, "5", counted_on=dt.date(2025, 1, 6)),
                                  by=people["audit"])
    with pytest.raises(Forbidden):
        cycle_counts.accept("CC2025", [entry.id], cause="breakage", by=people["audit"])
    sample = cycle_reports.draw_test_sample("CC2025", size=3, seed=7, by=people["audit"])
    assert len(sample) == 3 and sum(1 for s in sample if s.abc_class == "A") == 2
    with pytest.raises(Forbidden):
        cycle_reports.draw_test_sample("CC2025", size=3, by=people["c1"])


def _confirmed_difference(people):
    """B1 at L-01 (book 100) counted 95 by two counters on 3 February: a difference both counts confirm."""
    entry = _entry("CC2025", "B1", "L-01")
    day = dt.date(2025, 2, 3)
    cycle_counts.record_count("CC2025", Count(entry.id, 1, "95", counted_on=day), by=people["c1"])
    cycle_counts.record_count("CC2025", Count(entry.id, 2, "95", counted_on=day), by=people["c2"])
    return entry


def test_accepted_differences_become_adjustments_and_entries(make_programme, people):
    make_programme()
    entry = _confirmed_difference(people)
    [difference] = cycle_counts.differences("CC2025", by=people["office"])
    assert (difference.difference, difference.value_cents) == (D(-5), -5000)
    with pytest.raises(Forbidden):
        cycle_counts.accept("CC2025", [entry.id], cause="breakage", by=people["c1"])
    assert cycle_counts.accept("CC2025", [entry.id], cause="breakage", by=people["office"]) == 1
    with pytest.raises(Conflict):
        cycle_counts.accept("CC2025", [entry.id], cause="breakage", by=people["office"])
    [line] = cycle_counts.adjustment_lines("CC2025")
    assert (line.reference, line.location, line.value_cents, line.cause) == ("B1", "L-01", -5000, "breakage")
    rows = cycle_counts.entries("CC2025")
    assert [(r["account"], r["debit"], r["credit"]) for r in rows] == [("6031", D("50.00"), None),
                                                                      ("31", None, D("50.00"))]


def test_the_adjustments_csv_guards_formulas_and_speaks_excel(make_programme, people):
    make_programme()
    entry = _confirmed_difference(people)
    cycle_counts.accept("CC2025", [entry.id], cause="breakage", by=people["office"])
    # A designation comes from the ERP's file: a spreadsheet must show it, never run it.
    entry.line.item.designation = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    plain, excel = io.StringIO(), io.StringIO()
    cycle_counts.write_adjustments_csv("CC2025", plain)
    cycle_counts.write_adjustments_csv("CC2025", excel, excel=True)
    row = plain.getvalue().splitlines()[1]
    assert row.startswith("B1,\"'=HYPERLINK(\"\"http://x\"\")\",") and row.endswith(",100,95,-5,10,-50.00,breakage")
    assert excel.getvalue().startswith("\ufeff") and ";-5;10;-50,00;breakage" in excel.getvalue()


def test_a_counts_file_is_all_or_nothing(make_programme, people, tmp_path):
    make_programme()
    a, b = _entry("CC2025", "A1", "L-02"), _entry("CC2025", "C2", "L-03")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"plan,round,quantity,counted_by,counted_on\n{a.id},1,5,Ann,2025-01-06\n"
                   f"{b.id},2,5,Ann,2025-01-06\n")
    with pytest.raises(ImportRefused):
        cycle_counts.import_counts("CC2025", bad, by=people["office"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CycleCount)) == 0
    good = tmp_path / "good.csv"
    good.write_text(f"plan,round,quantity,counted_by,counted_on\n{a.id},1,5,Ann,2025-01-06\n"
                    f"{b.id},1,1999,Ann,2025-01-06\n{b.id},2,1999,Bob,2025-01-07\n")
    result = cycle_counts.import_counts("CC2025", good, by=people["office"])
    assert (result["counts"], result["settled"], result["difference"]) == (3, 1, 1)


def test_a_new_stock_file_replaces_book_and_its_date(make_programme, people, tmp_path):
    make_programme()
    newer = tmp_path / "stock2.csv"
    newer.write_text("reference,designation,unit,category,location,book_qty,unit_cost\n"
                     "A1,Big pump,pc,products,L-01,9,500\n")
    result = cycles.import_stock("CC2025", newer, as_of=dt.date(2025, 6, 30), by=people["boss"])
    assert (result.updated, result.zeroed) == (1, 4)
    entry = _entry("CC2025", "A1", "L-01", 3)
    cycle_counts.record_count("CC2025", Count(entry.id, 1, "9", counted_on=dt.date(2025, 7, 1)), by=people["c1"])
    db.session.refresh(entry)
    assert entry.book_qty == D(9)   # the March issue is before the new stock date


def test_a_movement_into_a_new_bin_makes_a_line_in_that_place_s_zone(make_programme, people, tmp_path):
    make_programme()
    moved = tmp_path / "movements2.csv"
    moved.write_text("date,reference,location,quantity,kind,unit_cost\n"
                     "2025-05-02,C1,L-01,40,receipt,0.05\n"    # C1 into L-01, a place of zone Z1
                     "2025-05-03,C1,L-77,5,receipt,0.05\n")    # a place the stock file never named
    assert cycles.import_movements("CC2025", moved, by=people["boss"]) == 2
    made = {line.location: (line.site, line.zone, line.book_qty) for line in db.session.scalars(
        sa.select(CycleLine).join(CycleItem).where(CycleItem.reference == "C1"))}
    assert made["L-01"] == ("S1", "Z1", D(0))
    assert made["L-77"] == ("", "", D(0))


def test_a_stock_file_is_written_chunk_by_chunk_and_a_bad_last_line_writes_nothing(make_programme, people, tmp_path,
                                                                                     monkeypatch):
    from countapp.services import cycle_stock

    make_programme()
    monkeypatch.setattr(cycle_stock, "CHUNK", 2)      # the 5 own lines of the file below make three chunks
    before = sorted(db.session.execute(sa.select(CycleLine.id, CycleLine.book_qty)).all())
    lines = ["reference,designation,unit,category,location,zone,site,book_qty,unit_cost",
             "A1,Big pump,pc,products,L-01,Z1,S1,11,500", "A1,Big pump,pc,products,L-02,Z1,S1,6,500",
             "B1,Valve,pc,raw_materials,L-01,Z1,S1,90,10", "N1,New part,pc,raw_materials,L-05,Z2,S1,3,1",
             "N2,Other part,pc,raw_materials,L-05,Z2,S1,4,1"]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines + ["C1,Screw,pc,raw_materials,L-03,Z2,S1,-4,0.05"]) + "\n")
    with pytest.raises(ImportRefused):
        cycles.import_stock("CC2025", bad, as_of=dt.date(2025, 6, 30), by=people["boss"])
    assert sorted(db.session.execute(sa.select(CycleLine.id, CycleLine.book_qty)).all()) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CycleItem).where(CycleItem.reference == "N1")) == 0
    good = tmp_path / "good.csv"
    good.write_text("\n".join(lines) + "\n")
    result = cycles.import_stock("CC2025", good, as_of=dt.date(2025, 6, 30), by=people["boss"])
    assert (result.lines, result.inserted, result.updated, result.zeroed, result.items, result.places) == \
        (5, 2, 3, 2, 4, 3)
    book = {(ref, loc): qty for ref, loc, qty in db.session.execute(
        sa.select(CycleItem.reference, CycleLine.location, CycleLine.book_qty).join(CycleItem))}
    assert book[("A1", "L-01")] == D(11) and book[("N2", "L-05")] == D(4) and book[("C1", "L-03")] == D(0)
    assert cycles.get("CC2025").stock_date == dt.date(2025, 6, 30)


def test_replan_moves_missed_counts_after_today(make_programme, people):
    make_programme()
    moved = cycles.replan("CC2025", today=dt.date(2025, 3, 3), by=people["boss"])
    assert moved > 0
    assert not cycles.due("CC2025", dt.date(2025, 2, 28), overdue=True)


def test_combined_mode_leaves_year_end_items_to_the_campaign_and_reports_gaps(make_campaign, make_programme, people):
    make_campaign("FY2025", year=2025)
    make_programme(campaign_code="FY2025")
    year_end = set(db.session.scalars(sa.select(CycleItem.reference).where(CycleItem.year_end.is_(True))))
    assert year_end == {"A1"}
    planned = set(db.session.scalars(sa.select(CycleItem.reference).join(CycleLine).join(CyclePlan)))
    assert planned == {"B1", "C1", "C2"}
    check = cycles.combined_check("CC2025")
    assert check.combined and check.missing_from_campaign == ["A1"] and not check.ok
    coverage = cycle_reports.coverage("CC2025", today=dt.date(2025, 1, 1))
    assert coverage.items_total == 3 and coverage.year_end_items == 1


def test_a_combined_programme_is_for_its_campaign_s_fiscal_year(make_campaign, people):
    make_campaign("FY2025", year=2025)
    with pytest.raises(CountappError) as refused:
        cycles.create("CC2026", year=2026, campaign_code="FY2025", by=people["boss"])
    assert refused.value.field == "year" and "2025" in refused.value.render() and "2026" in refused.value.render()


def test_combined_mode_with_the_campaign_holding_the_year_end_items(make_campaign, make_programme, people, files):
    from countapp.services import imports

    make_campaign("FY2025", year=2025)
    imports.import_file("stock", "FY2025", files[0])
    make_programme(campaign_code="FY2025")
    assert cycles.combined_check("CC2025").ok


def test_a_combined_campaign_does_not_start_without_its_year_end_items(make_campaign, make_programme):
    from countapp.services import readiness

    campaign = make_campaign("FY2025", year=2025)
    make_programme(campaign_code="FY2025")
    found = {m.key: m for m in readiness.check(campaign)}
    assert "A1" in found["cycle_items"].render()


def test_the_calendar_lists_every_working_day_with_its_counts(make_programme, people):
    make_programme()
    entry = _entry("CC2025", "A1", "L-02")
    cycle_counts.record_count("CC2025", Count(entry.id, 1, "5", counted_on=dt.date(2025, 1, 6)), by=people["c1"])
    days = cycles.calendar("CC2025")
    assert len(days) == 261 and sum(d.planned for d in days) == 12
    assert sum(d.done for d in days) == 1 and sum(d.open for d in days) == 11


def test_the_tablet_offers_each_person_only_the_rounds_they_may_count():
    """countable: rounds 1 and 2 to the counting teams, round 3 to a leader or the office, never one's own 1st."""
    from types import SimpleNamespace

    from countapp.models import Role

    def line(plan_id, round_, first=None):
        return cycles.DueLine(plan_id, round_, dt.date(2025, 12, 29), False, "R", "", "", "", "", "L", "", "A", first)

    due = [line(1, 1), line(2, 2, first=7), line(3, 2, first=8), line(4, 3, first=7), line(5, 3, first=9)]
    offered = {role: [entry.plan_id for entry in cycle_counts.countable(due, SimpleNamespace(id=7, role=role))]
               for role in (Role.COUNTER, Role.LEADER, Role.MANAGER, Role.CENTRALISER, Role.AUDITOR)}
    assert offered == {Role.COUNTER: [1, 3], Role.LEADER: [1, 3, 5], Role.MANAGER: [5], Role.CENTRALISER: [5],
                       Role.AUDITOR: []}
