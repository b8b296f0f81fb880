"""Commands for counts and third counts: ``import counts`` (transcribed paper parts) and ``recounts``."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from .cli import command, fail, root
from .cli_output import counted
from .cli_setup import import_cli


@command(import_cli, "counts")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", "by_login", help="Login of the centraliser or manager entering the counts (default: system).")
def import_counts_command(code, file, by_login):
    """Counts transcribed from the paper parts (ticket, round, quantity...), checked whole first."""
    from .services import count_import, users

    by = users.find_user(by_login) if by_login else None
    try:
        result = count_import.import_counts(code, file, by=by)
    except count_import.ImportRefused as refused:
        for error in refused.errors:
            click.echo(error.render(), err=True)
        fail(refused)
    click.echo(count_import.describe(result))


@command(root, "recounts")
@click.argument("code")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="FILE.csv (default: the terminal).")
@click.option("--excel", is_flag=True, help="CSV for a spreadsheet: UTF-8 with BOM, ';', decimal comma, headers in "
                                            "the campaign's language.")
def recounts_command(code, out, excel):
    """Tickets that need a third count, and why, as CSV."""
    from .services import campaigns, recounts

    campaign = campaigns.get(code)
    if out is None:
        recounts.write_recounts_csv(campaign, click.get_text_stream("stdout"), excel=excel)
        return
    # Written beside the target, then moved over it: a failure never leaves half a file.
    handle, temporary = tempfile.mkstemp(dir=out.resolve().parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            n = recounts.write_recounts_csv(campaign, stream, excel=excel)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    click.echo(f"{counted(n, 'ticket')} needing a third count written to {out}.", err=True)
