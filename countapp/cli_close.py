"""Entries, the annual report, closing and reopening a campaign.

    countapp entries CODE --out FILE.csv [--excel] | --format fec --out FILE.txt|FOLDER
    countapp report CODE --out FILE.pdf [--xlsx FILE.xlsx]
    countapp campaign close CODE [--override-reason TEXT]
    countapp campaign reopen CODE --reason TEXT

Each calls the same service as the report page (services.annual_report, services.closing).
"""
from __future__ import annotations

import os
from pathlib import Path

import click

from tickets.errors import CountappError, N_

from .cli import campaign_cli, command, root
from .cli_output import counted


def _language() -> str:
    return os.environ.get("COUNTAPP_LANGUAGE", "en")


def _target(path: Path, suffix: str, what: str) -> Path:
    if path.suffix.lower() != suffix:
        raise CountappError(N_("%(file)s: the %(what)s is written as a %(suffix)s file."), field="out",
                            file=str(path), what=what, suffix=suffix)
    if not path.parent.is_dir():
        raise CountappError(N_("%(file)s: the folder %(folder)s does not exist."), field="out", file=str(path),
                            folder=str(path.parent))
    return path


def _write(path: Path, data: bytes) -> None:
    """Through a temporary file beside the target: on any error the target is left untouched."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# --- countapp entries CODE --out FILE [--format csv|fec] [--excel] -------------------------------

@command(root, "entries")
@click.argument("code")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="FILE.csv: journal, date, account, label, debit, credit, entry. With --format fec: FILE.txt, "
                   "or a folder to write <SIREN>FEC<AAAAMMJJ>.txt in.")
@click.option("--format", "fmt", type=click.Choice(["csv", "fec"]), default="csv", show_default=True,
              help="csv (SPEC.md) or fec: the statutory fichier des écritures comptables (18 columns, tab-separated, "
                   "UTF-8, CRLF).")
@click.option("--excel", is_flag=True, help="CSV for a spreadsheet: UTF-8 with BOM, ';', decimal comma, headers in "
                                            "the campaign's language.")
def entries_command(code: str, out: Path, fmt: str, excel: bool) -> None:
    """The closing entries: stock variation and depreciation per category, journal INV."""
    from reports import annual_stats
    from reports.export import entries_csv

    from .services import annual_report, campaigns

    if fmt == "fec":
        _entries_fec(code, out)
        return
    _target(out, ".csv", "entries file")
    campaign = campaigns.get(code)
    result = annual_report.reconciliation_result(campaign)
    frame = annual_report.entries(campaign, result)
    _write(out, entries_csv(frame, excel=excel, language=campaign.language))
    for notice in result.warnings:
        click.echo("warning: " + notice.message(_language()), err=True)
    balances = annual_stats.entries_balance(frame)
    debit = sum((d for _, d, _ in balances), 0)
    credit = sum((c for _, _, c in balances), 0)
    click.echo(f"Entries of {campaign.code} at {campaign.closing_date.isoformat()}: {counted(len(balances), 'entry', 'entries')}, "
               f"{counted(len(frame), 'line')}, debit {debit} = credit {credit}; effect on the result "
               f"{annual_stats.result_effect(frame)}. Written to {out}.")


def _entries_fec(code: str, out: Path) -> None:
    from reports import annual_stats

    from .services import campaigns, fec

    campaign = campaigns.get(code)
    built = fec.build(campaign)
    if out.is_dir():
        out = out / built.name
    elif out.suffix.lower() != ".txt":
        raise CountappError(N_("%(file)s: the FEC is written as a .txt file (or give a folder)."), field="out",
                            file=str(out))
    elif not out.parent.is_dir():
        raise CountappError(N_("%(file)s: the folder %(folder)s does not exist."), field="out", file=str(out),
                            folder=str(out.parent))
    _write(out, built.data)
    balances = annual_stats.entries_balance(built.entries)
    if built.valid_date is None:
        click.echo("warning: the reconciliation is not signed off: ValidDate is empty.", err=True)
    if not built.siren:
        click.echo("warning: no SIREN in the settings ([company] siren): the statutory file name is "
                   "<SIREN>FEC<AAAAMMJJ>.txt.", err=True)
    click.echo(f"FEC of {campaign.code} at {campaign.closing_date.isoformat()}: {counted(len(balances), 'entry', 'entries')}, "
               f"{counted(len(built.entries), 'line')} (UTF-8, tab-separated, CRLF). Written to {out}.")


# --- countapp report CODE --out FILE.pdf [--xlsx FILE.xlsx] ------------------------------------

@command(root, "report")
@click.argument("code")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.pdf: the annual inventory report.")
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.xlsx: the workbook with the same figures.")
def report_command(code: str, out: Path, xlsx: Path | None) -> None:
    """The annual inventory report (the frozen one once the campaign is closed)."""
    from .services import annual_report, campaigns, closing

    _target(out, ".pdf", "report")
    if xlsx is not None:
        _target(xlsx, ".xlsx", "workbook")
    campaign = campaigns.get(code)
    archive = closing.frozen(campaign)
    if archive is not None:
        _write(out, archive.pdf)
        if xlsx is not None and archive.xlsx is not None:
            _write(xlsx, archive.xlsx)
        click.echo(f"Report of {campaign.code}: the final report frozen at closing (SHA-256 {archive.sha256}). "
                   f"Written to {out}" + (f" and {xlsx}." if xlsx is not None else "."))
        return
    files = annual_report.build_files(campaign)
    _write(out, files.pdf)
    if xlsx is not None:
        _write(xlsx, files.xlsx)
    for notice in files.report.reconciliation.warnings:
        click.echo("warning: " + notice.message(_language()), err=True)
    click.echo(f"Report of {campaign.code} (draft, {counted(files.pages, 'page')}, SHA-256 {files.sha256}). Written to {out}"
               + (f" and {xlsx}." if xlsx is not None else "."))


# --- countapp campaign close / reopen ------------------------------------------------------------

@command(campaign_cli, "close")
@click.argument("code")
@click.option("--override-reason", default="",
              help="Close although tickets are unaccounted for or third counts pending; the report shows why.")
def campaign_close(code: str, override_reason: str) -> None:
    """Close the campaign: the report is frozen and the campaign's data can no longer change."""
    from .services import closing

    archive = closing.close(code, override_reason=override_reason)
    click.echo(f"Campaign {code} closed. Final report frozen (SHA-256 {archive.sha256}); "
               f"`countapp report {code} --out FILE.pdf` writes it.")


@command(campaign_cli, "reopen")
@click.argument("code")
@click.option("--reason", required=True, help="Why the campaign is reopened (kept and logged).")
def campaign_reopen(code: str, reason: str) -> None:
    """Reopen a closed campaign (a reason is required; logged)."""
    from .services import closing

    closing.reopen(code, reason=reason)
    click.echo(f"Campaign {code} reopened: its data may change again; the report frozen at closing is kept.")
