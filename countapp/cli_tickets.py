"""Ticket commands: generate, issue, return, list, print, void, control.

Numbers are typed as printed (``000123/2025``) or bare (``123``). Each command calls the same
service as the web pages, in one transaction; files are written through a temporary file, so
a refused command leaves nothing behind.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from tickets.errors import CountappError, N_

from .cli import command, root
from .cli_output import Progress, counted

tickets_cli = click.Group("tickets", help="Three-part tickets: numbering, ranges, printing, voids, control.")
root.add_command(tickets_cli)


def _write_atomically(path: Path, write, *, binary: bool) -> None:
    if not path.parent.is_dir():
        raise CountappError(N_("%(file)s: the folder %(folder)s does not exist."), field="out", file=str(path),
                            folder=str(path.parent))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with (tmp.open("wb") if binary else tmp.open("w", encoding="utf-8", newline="")) as handle:
            write(handle)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@command(tickets_cli, "generate")
@click.argument("code")
@click.option("--blank", default=0, show_default=True, type=click.IntRange(0, 100_000),
              help="Blank tickets to add after the pre-referenced ones.")
def generate_command(code, blank):
    """One pre-referenced ticket per book line that has none (route order), then N blank ones."""
    from .services import campaigns, tickets

    made = tickets.generate(code, blank=blank)
    campaign = campaigns.get(code)
    if made["first"] is None:
        click.echo(f"Nothing to generate in {code}: every book line counted on site already has a live ticket.")
        return
    click.echo(f"{counted(made['pre_referenced'] + made['blank'], 'ticket')} generated in {code}: {made['pre_referenced']} "
               f"pre-referenced, {made['blank']} blank, numbers {tickets.label(campaign, made['first'])} to "
               f"{tickets.label(campaign, made['last'])}.")


def _range_options(function):
    function = click.option("--last", required=True, help="Last number of the range (000123/2025 or 123).")(function)
    function = click.option("--first", required=True, help="First number of the range (000100/2025 or 100).")(function)
    function = click.option("--team", required=True, type=int, help="Team number.")(function)
    return function


@command(tickets_cli, "issue")
@click.argument("code")
@_range_options
def issue_command(code, team, first, last):
    """Hand the numbers FIRST..LAST to team N (no overlap with another range of its round)."""
    from .services import campaigns, tickets

    issued = tickets.issue(code, team=team, first=first, last=last)
    campaign = campaigns.get(code)
    click.echo(f"Tickets {tickets.label(campaign, issued.first)} to {tickets.label(campaign, issued.last)} "
               f"({issued.last - issued.first + 1}) issued to team {team} for round {issued.round}.")


@command(tickets_cli, "return")
@click.argument("code")
@_range_options
def return_command(code, team, first, last):
    """Team N hands back the numbers FIRST..LAST unused (refused once one of them is counted)."""
    from .services import campaigns, tickets

    returned = tickets.return_unused(code, team=team, first=first, last=last)
    campaign = campaigns.get(code)
    click.echo(f"Tickets {tickets.label(campaign, returned.first)} to {tickets.label(campaign, returned.last)} "
               f"({returned.last - returned.first + 1}) returned unused by team {team}.")


@command(tickets_cli, "list")
@click.argument("code")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="FILE.csv (default: the terminal).")
@click.option("--excel", is_flag=True, help="CSV for a spreadsheet: UTF-8 with BOM, ';', decimal comma, headers in "
                                            "the campaign's language.")
def list_command(code, out, excel):
    """Every ticket as CSV: ticket, reference, designation, location, lot, unit, owner, status, teams."""
    from .services import campaigns, tickets

    campaign = campaigns.get(code)
    if out is None:
        tickets.list_csv(campaign, click.get_text_stream("stdout"), excel=excel)
        return
    written = {}
    _write_atomically(out, lambda handle: written.setdefault("n", tickets.list_csv(campaign, handle, excel=excel)),
                      binary=False)
    click.echo(f"{counted(written['n'], 'ticket')} written to {out}.", err=True)


@command(tickets_cli, "print")
@click.argument("code")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="FILE.pdf")
@click.option("--first", help="First number to print (default: the first ticket).")
@click.option("--last", help="Last number to print (default: the last ticket).")
@click.option("--per-page", default=3, show_default=True, type=click.Choice(["1", "2", "3"]),
              help="Tickets per A4 sheet.")
@click.option("--language", type=click.Choice(["fr", "en"]), help="Language of the labels (default: the campaign's).")
@click.option("--workers", type=click.IntRange(1, 16), help="Drawing processes (default: up to 2).")
def print_command(code, out, first, last, per_page, language, workers):
    """The three-part tickets, as an A4 PDF (a range, or all); memory stays bounded whatever the count."""
    from .services import campaigns, tickets

    campaign = campaigns.get(code)
    _, _, total = tickets.print_bounds(campaign, first, last)
    result = {}
    with Progress(total, "printing", ("ticket", "tickets")) as bar:
        def progress(done, _total):
            bar.update(done)

        def write(handle):
            result.update(tickets.print_pdf(code, handle, first=first, last=last, per_page=int(per_page),
                                            language=language, workers=workers, progress=progress))

        _write_atomically(out, write, binary=True)
    click.echo(f"{counted(result['tickets'], 'ticket')} ({result['first']} to {result['last']}) printed on "
               f"{counted(result['pages'], 'page')}, {result['per_page']} per page, in {'French' if result['language'] == 'fr' else 'English'}: "
               f"{out}.")


@command(tickets_cli, "void")
@click.argument("code")
@click.argument("number")
@click.option("--reason", required=True, help="Why the ticket is voided (kept with it for ever).")
def void_command(code, number, reason):
    """Void ticket NUMBER with a reason; it is kept, never deleted, and can no longer be counted."""
    from .services import campaigns, tickets

    record = tickets.void(code, number, reason=reason)
    campaign = campaigns.get(code)
    click.echo(f"Ticket {tickets.label(campaign, record.ticket.sequence)} voided: {record.reason}")


@command(tickets_cli, "control")
@click.argument("code")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the control as FILE.csv.")
@click.option("--excel", is_flag=True, help="CSV for a spreadsheet: UTF-8 with BOM, ';', decimal comma, headers in "
                                            "the campaign's language.")
def control_command(code, out, excel):
    """Ticket control: every issued number counted, voided or returned; missing numbers and gaps."""
    from .services import campaigns, ticket_control

    campaign = campaigns.get(code)
    report = ticket_control.control_report(campaign)
    if out is not None:
        _write_atomically(out, lambda handle: ticket_control.control_csv(campaign, report, handle, excel=excel),
                          binary=False)
    for line in ticket_control.describe(campaign, report):
        click.echo(line)
    if out is not None:
        click.echo(f"Written to {out}.")
    sys.stdout.flush()
