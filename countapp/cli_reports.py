"""Reconciliation, entries, report and audit commands.

One section per command, each calling the same service as the web page; commands added later
(``entries``, ``report``, ``audit``) go in their own section below.
"""
from __future__ import annotations

import os
from pathlib import Path

import click

from tickets.errors import CountappError, N_

from .cli import command, root
from .cli_output import counted


def _language() -> str:
    return os.environ.get("COUNTAPP_LANGUAGE", "en")


def write_atomically(path: Path, write) -> None:
    """Write through a temporary file beside ``path``: on any error the target is left untouched."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as handle:
            write(handle)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# --- countapp reconcile CODE --out FILE.(xlsx|csv) ----------------------------------------------

@command(root, "reconcile")
@click.argument("code")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.csv (one row per book line or counted ticket) or FILE.xlsx (with totals and exceptions).")
@click.option("--excel", is_flag=True, help="CSV for a spreadsheet: UTF-8 with BOM, ';', decimal comma, headers in "
                                            "the campaign's language.")
def reconcile_command(code: str, out: Path, excel: bool) -> None:
    """Counted vs book stock, rolled forward to the closing date, valued and written down."""
    from .services import campaigns, reconciliation

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in reconciliation.FORMATS:
        raise CountappError(N_("%(file)s: the reconciliation is written as .csv or .xlsx."), field="out",
                            file=str(out))
    if not out.parent.is_dir():
        raise CountappError(N_("%(file)s: the folder %(folder)s does not exist."), field="out", file=str(out),
                            folder=str(out.parent))
    campaign = campaigns.get(code)
    result = reconciliation.result(campaign)
    write_atomically(out, lambda handle: reconciliation.write(campaign, fmt, handle, reconciled=result,
                                                                         excel=excel))
    for notice in result.warnings:
        click.echo("warning: " + notice.message(_language()), err=True)
    totals = result.own_totals
    exceptions = int((result.frame["exception"] != "").sum())
    state = reconciliation.sign_state(campaign)
    signed = f"; signed off by {state.last.name} on {state.last.at:%Y-%m-%d}" if state.signed else ""
    click.echo(f"Reconciliation of {campaign.code}: {counted(len(result.frame), 'row')}, {counted(exceptions, 'exception')}; own stock "
               f"at closing {totals['closing_value']} gross, {totals['depreciation']} depreciation, "
               f"{totals['net_value']} net{signed}. Written to {out}.")
