"""The instructions command: print the written count instructions, issue a version, get an old one."""
from __future__ import annotations

import click

from .cli import command, root
from .cli_output import counted

HELP = """Write the written count instructions of campaign CODE to FILE.pdf.

\b
Which document is written:
  (default)     the latest issued version, exactly as it was issued; when nothing
                has been issued yet, the current draft, marked DRAFT on every page
                and opening with the list of what is still missing
  --draft       the current draft, even when a version has been issued
  --version N   issued version N, byte for byte as it was communicated
  --issue       issue the current draft as a new numbered version first, then write
                it; refused while something is missing (unless --allow-missing) and
                when nothing has changed since the latest version

The document is in the campaign's language. What is missing, the SHA-256 of an
issued version and who has not yet acknowledged it are printed as well.
"""


def _echo_missing(campaign, items) -> None:
    from instructions import render_missing

    if not items:
        click.echo("Nothing is missing: the draft can be issued.", err=True)
        return
    click.echo(f"{counted(len(items), 'point')} still missing before the instructions of {campaign.code} can be issued:",
               err=True)
    for item in items:
        click.echo(f"  - {render_missing(item, 'en')}", err=True)


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


@command(root, "instructions", help=HELP, short_help="The written count instructions (PDF).")
@click.argument("code")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True), help="The PDF to write.")
@click.option("--draft", "want_draft", is_flag=True, help="Write the current draft, marked DRAFT.")
@click.option("--version", "number", type=click.IntRange(min=1), help="Write issued version N.")
@click.option("--issue", "do_issue", is_flag=True, help="Issue the draft as a new version, then write it.")
@click.option("--allow-missing", is_flag=True, help="With --issue: issue even though points are still missing.")
@click.option("--by", "by_login", help="With --issue: login of the person issuing (recorded in the audit log).")
def instructions_command(code, out, want_draft, number, do_issue, allow_missing, by_login):
    from instructions import missing_items

    from .services import campaigns as campaign_service
    from .services import instructions as service
    from .services.users import find_user

    chosen = [name for name, on in (("--draft", want_draft), ("--version", number is not None),
                                    ("--issue", do_issue)) if on]
    if len(chosen) > 1:
        raise click.UsageError(f"choose one of {', '.join(chosen)}")
    if (allow_missing or by_login) and not do_issue:
        raise click.UsageError("--allow-missing and --by go with --issue")
    campaign = campaign_service.get(code)
    if do_issue:
        by = find_user(by_login) if by_login else None
        gaps = service.missing(campaign)
        if gaps:
            _echo_missing(campaign, gaps)
        version = service.issue(code, by=by, allow_missing=allow_missing)
        _write(out, version.pdf)
        click.echo(f"Version {version.version} of the instructions of {campaign.code} issued; written to {out} "
                   f"(sha256 {version.sha256}).")
        return
    latest = service.latest_version(campaign)
    if number is not None or (latest is not None and not want_draft):
        version = service.get_version(campaign, number) if number is not None else latest
        _write(out, version.pdf)
        click.echo(f"Version {version.version} of the instructions of {campaign.code}, issued on "
                   f"{version.data.get('issued_on')}, written to {out} (sha256 {version.sha256}).")
        status = service.ack_status(campaign, version)
        if status.pending:
            click.echo(f"Acknowledged by {len(status.done)} of {len(status.done) + len(status.pending)}; not yet: "
                       + ", ".join(f"{u.display_name} ({u.login})" for u in status.pending), err=True)
        elif status.done:
            click.echo(f"Acknowledged by every team leader and auditor ({len(status.done)}).", err=True)
        if version.version == latest.version and service.changed_since(campaign, latest):
            click.echo("note: the draft has changed since this version; --draft prints it, --issue issues it.",
                       err=True)
        return
    data = service.build(campaign)
    _write(out, service.pdf_bytes(data))
    click.echo(f"Draft of the instructions of {campaign.code} written to {out}.")
    _echo_missing(campaign, missing_items(data))
