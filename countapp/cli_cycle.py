"""``countapp cycle ...``: cycle counting (inventaire tournant, issue 21) from the command line.

The commands call the services the web calls (``services.cycles``, ``cycle_counts``, ``cycle_reports``).
Their sentences come in COUNTAPP_LANGUAGE as cli_audit's do (``_say``); the tab-separated lists stay as data.
"""
from __future__ import annotations

import io
from pathlib import Path

import click
from flask.cli import AppGroup

from tickets.errors import N_, Nn_, translate

from .cli import DATE, _gettext_for_cli, command, fail, read_toml, root
from .cli_reports import write_atomically

cycle_cli = AppGroup("cycle", help="Cycle counting (inventaire tournant): programmes, plan, counts, adjustments.")
root.add_command(cycle_cli)


def _say(message: str, **params) -> str:
    return translate(message, params, _gettext_for_cli)


def _user(login):
    if not login:
        return None
    from .services import users

    return users.find_user(login)


def _refused(refused) -> None:
    for error in getattr(refused, "errors", []):
        click.echo(error.render(), err=True)
    fail(refused)


def _money(amount_cents: int) -> str:
    from cycles.money import text

    return text(amount_cents)


def _write_to(out: Path | None, write) -> int:
    """``write(stream)`` to the terminal, or to ``out`` through a temporary file moved over it."""
    if out is None:
        buffer = io.StringIO()
        n = write(buffer)
        click.echo(buffer.getvalue(), nl=False)
        return n
    written = []

    def text(handle) -> None:
        stream = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        written.append(write(stream))
        stream.flush()
        stream.detach()   # the handle is write_atomically's to close

    write_atomically(out, text)
    return written[0]


@command(cycle_cli, "create")
@click.argument("code")
@click.option("--year", required=True, type=int, help="Fiscal year (exercice).")
@click.option("--start", type=DATE, help="First day of the fiscal year (default 1 January).")
@click.option("--end", type=DATE, help="Closing date (default 31 December).")
@click.option("--campaign", "campaign_code", help="Combined mode: the year-end campaign counting the chosen items.")
@click.option("--name", default="")
@click.option("--by", "by_login", help="Login of the manager (default: system).")
def cycle_create(code, year, start, end, campaign_code, name, by_login):
    """A cycle-count programme for a fiscal year."""
    from .services import cycles

    programme = cycles.create(code, year=year, start=start, end=end, name=name, campaign_code=campaign_code,
                              by=_user(by_login))
    if campaign_code:
        click.echo(_say(N_("Programme %(code)s created (%(start)s to %(end)s), combined with campaign %(campaign)s."),
                        code=programme.code, start=programme.start_date, end=programme.end_date,
                        campaign=campaign_code))
    else:
        click.echo(_say(N_("Programme %(code)s created (%(start)s to %(end)s)."), code=programme.code,
                        start=programme.start_date, end=programme.end_date))


@command(cycle_cli, "configure")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def cycle_configure(code, file):
    """Settings from a TOML file: abc, frequency, daily_lines, holidays, weekdays, year_end, [tolerance]."""
    from .services import cycles

    given = read_toml(file)
    given = given.get("cycle", given)
    cycles.configure(code, given)
    click.echo(_say(N_("Programme %(code)s configured."), code=code))


@command(cycle_cli, "import")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--as-of", type=DATE, help="The date the file's quantities are at (default today).")
def cycle_import(code, file, as_of):
    """The programme's items and places from a stock file (a campaign's stock format)."""
    from .filecheck import ImportRefused
    from .services import cycles

    try:
        result = cycles.import_stock(code, file, as_of=as_of)
    except ImportRefused as refused:
        _refused(refused)
    click.echo(_say(Nn_("%(num)d line imported at %(day)s (%(new)s new, %(updated)s updated, %(zeroed)s gone to 0).",
                        "%(num)d lines imported at %(day)s (%(new)s new, %(updated)s updated, %(zeroed)s gone to 0)."),
                    num=result.lines, day=result.as_of, new=result.inserted, updated=result.updated,
                    zeroed=result.zeroed))
    click.echo(_say(N_("Items: %(items)s; places: %(places)s."), items=result.items, places=result.places))
    if result.skipped:
        click.echo(_say(Nn_("%(num)d line of stock not own or not on site left out.",
                            "%(num)d lines of stock not own or not on site left out."), num=result.skipped))


@command(cycle_cli, "import-movements")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def cycle_import_movements(code, file):
    """Movements since the stock file (a campaign's movements format); they replace the ones imported before."""
    from .filecheck import ImportRefused
    from .services import cycles

    try:
        n = cycles.import_movements(code, file)
    except ImportRefused as refused:
        _refused(refused)
    click.echo(_say(Nn_("%(num)d movement imported.", "%(num)d movements imported."), num=n))


@command(cycle_cli, "classify")
@click.argument("code")
def cycle_classify(code):
    """Classes A, B, C by share of annual consumption value (classes set by hand are kept)."""
    from .services import cycles

    summary = cycles.classify(code)
    click.echo(_say(N_("Classes by annual consumption value:") if summary.basis == "consumption" else
                    N_("Classes by stock value (no issue imported):")))
    for abc_class in ("A", "B", "C"):
        click.echo("  " + _say(Nn_("%(class)s: %(num)d item, %(value)s", "%(class)s: %(num)d items, %(value)s"),
                               num=summary.items[abc_class], value=_money(summary.value_cents[abc_class]),
                               **{"class": abc_class}))
    if summary.by_hand:
        click.echo("  " + _say(Nn_("%(num)d item kept the class set by hand.",
                                   "%(num)d items kept the class set by hand."), num=summary.by_hand))
    if summary.year_end:
        click.echo("  " + _say(Nn_("%(num)d item counted at year end by the campaign, not in cycles.",
                                   "%(num)d items counted at year end by the campaign, not in cycles."),
                               num=summary.year_end))


@command(cycle_cli, "set-class")
@click.argument("code")
@click.argument("reference")
@click.argument("abc_class", metavar="A|B|C")
def cycle_set_class(code, reference, abc_class):
    """Set an item's class by hand."""
    from .services import cycles

    item = cycles.set_class(code, reference, abc_class)
    click.echo(_say(N_("Item %(reference)s is class %(class)s."), reference=item.reference,
                    **{"class": item.abc_class}))


@command(cycle_cli, "plan")
@click.argument("code")
@click.option("--start", type=DATE, help="Plan from this day (default the first day of the year).")
@click.option("--replace", is_flag=True, help="Plan again the counts nothing was counted on.")
def cycle_plan(code, start, replace):
    """Spread the counts of the lines not planned yet over the working days."""
    from .services import cycles

    s = cycles.plan(code, start=start, replace=replace)
    if not s.lines:
        click.echo(_say(N_("Every line of programme %(code)s already has its counts planned: nothing new to plan "
                           "(--replace plans again the counts nothing was counted on)."), code=code))
        return
    click.echo(_say(Nn_("%(num)d count planned for %(lines)s lines over %(days)s working days: %(per_day)s lines a "
                        "day, busiest day %(busiest)s.",
                        "%(num)d counts planned for %(lines)s lines over %(days)s working days: %(per_day)s lines a "
                        "day, busiest day %(busiest)s."), num=s.entries, lines=s.lines, days=s.working_days,
                    per_day=s.needed_per_day, busiest=s.busiest_day))
    if s.dropped:
        click.echo(_say(Nn_("%(num)d former entry dropped.", "%(num)d former entries dropped."), num=s.dropped))
    if s.capacity and s.overloaded_days:
        click.echo(_say(Nn_("warning: %(num)d day above the capacity of %(capacity)s lines a day.",
                            "warning: %(num)d days above the capacity of %(capacity)s lines a day."),
                        num=s.overloaded_days, capacity=s.capacity), err=True)


@command(cycle_cli, "replan")
@click.argument("code")
@click.option("--date", "today", type=DATE, help="Today (default the real today).")
def cycle_replan(code, today):
    """Move the missed counts onto the next working days."""
    from .services import cycles

    n = cycles.replan(code, today=today)
    click.echo(_say(Nn_("%(num)d missed count re-planned.", "%(num)d missed counts re-planned."), num=n))


@command(cycle_cli, "due")
@click.argument("code")
@click.option("--date", "day", type=DATE, help="The day (default today).")
@click.option("--place", help="Only this site, zone or location.")
@click.option("--no-overdue", is_flag=True, help="Only the counts due that day, not the late ones.")
def cycle_due(code, day, place, no_overdue):
    """The counts due on a day, in walking order (blind: no book quantity)."""
    from .services import cycles

    lines = cycles.due(code, day, overdue=not no_overdue, place=place)
    for line in lines:
        late = f" late since {line.due_date}" if line.overdue else ""
        click.echo(f"{line.plan_id}\tround {line.round}\t{line.site}/{line.zone}/{line.location}\t{line.reference}"
                   f"\t{line.lot}\t{line.designation} ({line.unit}){late}")
    click.echo(_say(Nn_("%(num)d count due.", "%(num)d counts due."), num=len(lines)), err=True)


@command(cycle_cli, "count")
@click.argument("code")
@click.argument("plan_id", type=int)
@click.argument("quantity")
@click.option("--round", "round_", type=click.IntRange(1, 3), default=1, show_default=True)
@click.option("--by", "by_login", required=True, help="Login of the person who counted (or of the office "
                                                      "member entering a paper sheet, with --counted-by).")
@click.option("--counted-by", default="", help="Name written on the paper sheet (entered by the office).")
@click.option("--date", "day", type=DATE, help="The day counted (default today).")
@click.option("--state", default="good", type=click.Choice(["good", "damaged", "obsolete", "expired"]))
def cycle_count(code, plan_id, quantity, round_, by_login, counted_by, day, state):
    """Enter one round of a planned count."""
    from .services import cycle_counts

    given = cycle_counts.CycleCountInput(plan_id, round_, quantity, state, day, None, counted_by)
    outcome = cycle_counts.record_count(code, given, by=_user(by_login),
                                        source="import" if counted_by else "tablet")
    if outcome.next_round:
        click.echo(_say(N_("Count %(plan)s round %(round)s recorded; a round %(next)s count by another person is "
                           "needed."), plan=plan_id, round=round_, next=outcome.next_round))
    else:
        click.echo(_say(N_("Count %(plan)s round %(round)s recorded."), plan=plan_id, round=round_))


@command(cycle_cli, "import-counts")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", "by_login", help="Login of the manager or centraliser entering the sheets (default: system).")
def cycle_import_counts(code, file, by_login):
    """Counts from count sheets (columns plan, round, quantity, counted_by, [state, counted_on]), all or nothing."""
    from .filecheck import ImportRefused
    from .services import cycle_counts

    try:
        result = cycle_counts.import_counts(code, file, by=_user(by_login))
    except ImportRefused as refused:
        _refused(refused)
    click.echo(_say(Nn_("%(num)d count imported: %(settled)s settled, %(difference)s with a difference, %(round2)s "
                        "needing a second count, %(recount)s a third.",
                        "%(num)d counts imported: %(settled)s settled, %(difference)s with a difference, "
                        "%(round2)s needing a second count, %(recount)s a third."),
                    num=result["counts"], settled=result["settled"], difference=result["difference"],
                    round2=result["round2"], recount=result["recount"]))


@command(cycle_cli, "differences")
@click.argument("code")
def cycle_differences(code):
    """Counts done with a difference to book waiting to be accepted."""
    from .services import cycle_counts

    rows = cycle_counts.differences(code)
    for d in rows:
        click.echo(f"{d.plan_id}\t{d.counted_on}\t{d.location}\t{d.reference}\t{d.lot}\tbook {d.book_qty.normalize():f}"
                   f"\tcounted {d.final_qty.normalize():f}\tdifference {d.difference.normalize():f}"
                   f"\t{_money(d.value_cents)}")
    click.echo(_say(Nn_("%(num)d difference waiting.", "%(num)d differences waiting."), num=len(rows)), err=True)


@command(cycle_cli, "accept")
@click.argument("code")
@click.argument("plan_ids", type=int, nargs=-1)
@click.option("--cause", required=True, help="unbilled_delivery, supplier_error, unit_error, mislocation, breakage, "
                                             "shrinkage, counting_error, book_error or other.")
@click.option("--note", default="")
@click.option("--all", "all_", is_flag=True, help="Every difference waiting.")
@click.option("--by", "by_login", help="Login of the manager or centraliser (default: system).")
def cycle_accept(code, plan_ids, cause, note, all_, by_login):
    """Accept differences with a cause: they become adjustments for the ERP and the accounts."""
    from .services import cycle_counts

    ids = list(plan_ids)
    if all_:
        ids += [d.plan_id for d in cycle_counts.differences(code)]
    n = cycle_counts.accept(code, ids, cause=cause, note=note, by=_user(by_login))
    click.echo(_say(Nn_("%(num)d adjustment accepted.", "%(num)d adjustments accepted."), num=n))


def _export_options(function):
    """The options of a CSV export of the accepted adjustments over a period."""
    for option in reversed((
            click.argument("code"),
            click.option("--start", type=DATE),
            click.option("--end", type=DATE),
            click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                         help="FILE.csv (default: the terminal)."),
            click.option("--excel", is_flag=True, help="UTF-8 with BOM, ';' and decimal comma."))):
        function = option(function)
    return function


def _export(out: Path | None, said, write) -> None:
    """``said``: the sentence without a file and the one with it (``%(file)s``), each a plural message."""
    n = _write_to(out, write)
    click.echo(_say(said[1], num=n, file=out) if out else _say(said[0], num=n), err=True)


@command(cycle_cli, "export-adjustments")
@_export_options
def cycle_export_adjustments(code, start, end, out, excel):
    """Adjustment lines for the ERP: one per item × place × lot, valued at the item's cost."""
    from .services import cycle_counts

    _export(out, (Nn_("%(num)d adjustment line written.", "%(num)d adjustment lines written."),
                  Nn_("%(num)d adjustment line written to %(file)s.", "%(num)d adjustment lines written to %(file)s.")),
            lambda s: cycle_counts.write_adjustments_csv(code, s, start=start, end=end, excel=excel))


@command(cycle_cli, "entries")
@_export_options
def cycle_entries(code, start, end, out, excel):
    """Accounting entries of the accepted adjustments (journal INV)."""
    from .services import cycle_counts

    _export(out, (Nn_("%(num)d entry line written.", "%(num)d entry lines written."),
                  Nn_("%(num)d entry line written to %(file)s.", "%(num)d entry lines written to %(file)s.")),
            lambda s: cycle_counts.write_entries_csv(code, s, start=start, end=end, excel=excel))


@command(cycle_cli, "coverage")
@click.argument("code")
@click.option("--date", "today", type=DATE, help="Overdue as of this day (default today).")
def cycle_coverage(code, today):
    """Coverage and accuracy per class and place."""
    from .services import cycle_reports

    c = cycle_reports.coverage(code, today=today)

    def pct(value):
        return "-" if value is None else f"{value}%"

    click.echo("class\tsite\tzone\tlines\tcounted\tcoverage\toverdue\tcounts\twithin\taccuracy\tdifferences\tnet")
    for row in [*c.rows, *c.by_class, c.total]:
        click.echo(f"{row.abc_class or 'all'}\t{row.site}\t{row.zone}\t{row.lines}\t{row.counted_once}\t"
                   f"{pct(row.coverage_pct)}\t{row.overdue}\t{row.counts}\t{row.within}\t{pct(row.accuracy_pct)}\t"
                   f"{_money(row.difference_cents)}\t{_money(row.net_cents)}")
    click.echo(_say(N_("Items counted at least once: %(counted)s/%(total)s (%(pct)s)."), counted=c.items_counted,
                    total=c.items_total, pct=pct(c.items_pct)))
    if c.year_end_items:
        click.echo(_say(Nn_("%(num)d item counted at year end.", "%(num)d items counted at year end."),
                        num=c.year_end_items))
    if not c.combined.ok:
        click.echo(_say(N_("warning: items counted by neither part: %(items)s"),
                        items=", ".join((c.combined.missing_from_campaign + c.combined.not_planned)[:20])), err=True)


@command(cycle_cli, "check")
@click.argument("code")
def cycle_check(code):
    """Combined mode: every item is counted by the year-end campaign or in cycles (exit 1 naming the others)."""
    from .services import cycles

    check = cycles.combined_check(code)
    if check.missing_from_campaign:
        click.echo(_say(N_("Year-end items not in the campaign's stock: %(items)s"),
                        items=", ".join(check.missing_from_campaign)), err=True)
    if check.not_planned:
        click.echo(_say(N_("Cycle items with no planned count: %(items)s"), items=", ".join(check.not_planned)),
                   err=True)
    if not check.ok:
        raise SystemExit(1)
    click.echo(_say(N_("Every item is counted by the year-end campaign or in cycles.")))


@command(cycle_cli, "sample")
@click.argument("code")
@click.option("--size", type=int, required=True)
@click.option("--seed", type=int)
@click.option("--by", "by_login", help="Login of the auditor (default: system).")
def cycle_sample(code, size, seed, by_login):
    """Draw lines for the auditor's test counts (class A first)."""
    from .services import cycle_reports

    for s in cycle_reports.draw_test_sample(code, size=size, seed=seed, by=_user(by_login)):
        last = f"last counted {s.last_counted_on}: {s.last_final_qty.normalize():f}" if s.last_counted_on else \
            "not counted yet"
        click.echo(f"{s.site}/{s.zone}/{s.location}\t{s.reference}\t{s.lot}\t{s.abc_class}\t{last}")


# `cycle adjust` says what accepting does: the difference becomes an adjustment.
cycle_cli.add_command(cycle_accept, "adjust")
