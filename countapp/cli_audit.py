"""Audit commands: check the audit log's chain, export the auditor's evidence file."""
from __future__ import annotations

import os
import sys

import click
from flask.cli import AppGroup

from .cli import _gettext_for_cli, command, root
from .cli_output import counted

audit_cli = AppGroup("audit", help="The audit log's integrity and the auditor's evidence file.")
root.add_command(audit_cli)


@command(audit_cli, "verify")
@click.argument("code")
@click.option("--anchor", "anchors", multiple=True, metavar="SEQ:HASH",
              help="An event noted earlier (e.g. the head in an evidence file's manifest): it must still be there, "
                   "unchanged. Repeatable.")
def audit_verify(code, anchors):
    """Check the campaign's audit log: every hash, every link, every seal; exit 1 naming the first break."""
    from .services import audit_review, campaigns

    campaign = campaigns.get(code)
    check = audit_review.verify(campaign)
    breaks = list(check.breaks)
    for anchor in anchors:
        found = audit_review.check_anchor(campaign, anchor)
        if found is not None:
            breaks.append(found)
    breaks.sort(key=lambda b: b.seq)
    if not breaks:
        click.echo(f"Audit log of {campaign.code} is intact: {counted(check.events, 'event')}, "
                   f"{counted(check.seals, 'seal')} checked; head #{check.head_seq} {check.head_hash or '-'}.")
        return
    click.echo(click.style("error: ", fg="red", bold=True) + f"the audit log of {campaign.code} is broken. "
               "First break: " + breaks[0].render(_gettext_for_cli), err=True)
    for more in breaks[1:]:
        click.echo("  also: " + more.render(_gettext_for_cli), err=True)
    sys.exit(1)


@command(audit_cli, "export")
@click.argument("code")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The evidence file to write (.zip).")
def audit_export(code, out):
    """The auditor's evidence file: log and its check, ticket control, counts, test counts, confirmations,
    cut-off, instructions, reconciliation, with a SHA-256 manifest."""
    from tickets.errors import CountappError, N_

    from .services import audit_export as evidence
    from .services import campaigns

    if not out.lower().endswith(".zip"):
        raise CountappError(N_("The evidence file is a .zip: %(file)s."), field="out", file=out)
    campaign = campaigns.get(code)
    partial = out + ".part"
    try:
        manifest = evidence.export(campaign, partial)
        os.replace(partial, out)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    log = manifest["audit_log"]
    click.echo(f"Evidence file {out}: {len(manifest['files'])} files, audit log "
               f"{'intact' if log['ok'] else 'BROKEN'} (head #{log['head_seq']}).")
    if not log["ok"]:
        click.echo(click.style("warning: ", fg="yellow", bold=True) + log["first_break"], err=True)
