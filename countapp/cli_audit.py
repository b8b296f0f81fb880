"""Audit commands: check the audit log's chain, export the auditor's evidence file; and the
PostgreSQL rights that keep the evidence append-only for the app's own role (``db grant-app-role``)."""
from __future__ import annotations

import os
import sys

import click
from flask.cli import AppGroup
from flask_migrate.cli import db as db_cli

from tickets.errors import N_, Nn_, translate

from .cli import _gettext_for_cli, command, root
from .cli_output import counted

audit_cli = AppGroup("audit", help="The audit log's integrity and the auditor's evidence file.")
root.add_command(audit_cli)


def _say(message: str, **params) -> str:
    return translate(message, params, _gettext_for_cli)


def verification_lines(check, anchors: int, *, broken: bool = False) -> list[str]:
    """What was checked: the events, the head, from which event the chain is keyed, and what only an
    anchor held outside the database can catch (a broken log: the events and the head only)."""
    lines = [_say(Nn_("%(num)d event checked, every hash and link.", "%(num)d events checked, every hash and link."),
                  num=check.events)]
    if check.seals:
        lines.append(_say(Nn_("%(num)d seal checked.", "%(num)d seals checked."), num=check.seals))
    if check.sub_chains:
        lines.append(_say(Nn_("%(num)d sub-chain of count events checked, and every join into the main chain.",
                              "%(num)d sub-chains of count events checked, and every join into the main chain."),
                          num=len(check.sub_chains)))
    if check.events:
        lines.append(_say(N_("Head: event #%(seq)s %(hash)s"), seq=check.head_seq, hash=check.head_hash))
    if broken:
        return lines
    if check.unjoined:
        lines.append(_say(Nn_("%(num)d count event is not joined into the main chain yet: the head above does not "
                              "vouch for it. Run countapp audit join %(code)s before noting the head.",
                              "%(num)d count events are not joined into the main chain yet: the head above does "
                              "not vouch for them. Run countapp audit join %(code)s before noting the head."),
                          num=check.unjoined, code=check.campaign))
    if check.keyed_from == 1:
        lines.append(_say(N_("Keyed with this installation's audit key (HMAC-SHA256, key id %(key)s) from the "
                             "first event on."), key=check.key_id))
    elif check.keyed_from:
        lines.append(_say(N_("Keyed with this installation's audit key (HMAC-SHA256, key id %(key)s) from event "
                             "#%(seq)s on; events #1 to #%(last)s were written before (plain SHA-256) and the "
                             "keyed events after them vouch for them."),
                          key=check.key_id, seq=check.keyed_from, last=check.keyed_from - 1))
    if anchors:
        lines.append(_say(Nn_("%(num)d anchor checked.", "%(num)d anchors checked."), num=anchors))
    else:
        lines.append(_say(N_("Events cut off the end of the log are caught only against an anchor held outside "
                             "the database: note the head above (SEQ:HASH) somewhere safe, or keep the evidence "
                             "file's manifest, and check again with --anchor SEQ:HASH.")))
    return lines


@command(audit_cli, "verify")
@click.argument("code")
@click.option("--anchor", "anchors", multiple=True, metavar="SEQ:HASH",
              help="An event noted earlier (e.g. the head in an evidence file's manifest): it must still be there, "
                   "unchanged. Repeatable.")
def audit_verify(code, anchors):
    """Check the campaign's audit log: every hash (keyed with the audit key), link, seal and anchor; print how many
    events were checked and the head (note it outside the database: it is the next check's anchor); exit 1 naming
    the first break."""
    from .services import audit_review, campaigns

    campaign = campaigns.get(code)
    check = audit_review.verify(campaign)
    breaks = list(check.breaks)
    for anchor in anchors:
        found = audit_review.check_anchor(campaign, anchor)
        if found is not None:
            breaks.append(found)
    breaks.sort(key=lambda b: b.order)
    if not breaks:
        click.echo(_say(N_("Audit log of %(code)s is intact."), code=campaign.code))
        for line in verification_lines(check, len(anchors)):
            click.echo("  " + line)
        return
    click.echo(click.style("error: ", fg="red", bold=True)
               + _say(N_("the audit log of %(code)s is broken. First break: %(first)s"), code=campaign.code,
                      first=breaks[0].render(_gettext_for_cli)), err=True)
    for more in breaks[1:]:
        click.echo("  " + _say(N_("also: %(other)s"), other=more.render(_gettext_for_cli)), err=True)
    for line in verification_lines(check, len(anchors), broken=True):
        click.echo("  " + line, err=True)
    sys.exit(1)


@command(audit_cli, "join")
@click.argument("code")
def audit_join(code):
    """Commit every sub-chain's head (each user's count events) into the campaign's main chain with one audit.join
    event; then the main chain's head vouches for every count written so far."""
    from .extensions import db
    from .services import audit, campaigns

    campaign = campaigns.get(code)
    row = audit.join(campaign, reason="on demand")
    db.session.commit()
    if row is None:
        click.echo(_say(N_("Nothing to join in %(code)s: every sub-chain is already joined."), code=campaign.code))
        return
    click.echo(_say(Nn_("%(num)d sub-chain joined into the main chain of %(code)s: event #%(seq)s %(hash)s",
                        "%(num)d sub-chains joined into the main chain of %(code)s: event #%(seq)s %(hash)s"),
                    num=len(row["after"]["chains"]), code=campaign.code, seq=row["seq"], hash=row["hash"]))


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
    click.echo(f"Evidence file {out}: {counted(len(manifest['files']), 'file')}, audit log "
               f"{'intact' if log['ok'] else 'BROKEN'} (head #{log['head_seq']}).")
    if not log["ok"]:
        click.echo(click.style("warning: ", fg="yellow", bold=True) + log["first_break"], err=True)


@command(db_cli, "grant-app-role")
@click.argument("role")
@click.option("--apply", "apply_", is_flag=True,
              help="Run the statements (connected as the tables' owner) instead of printing them.")
def grant_app_role(role, apply_):
    """PostgreSQL: the rights of the app's own ROLE: INSERT and SELECT only on the append-only tables, no
    DELETE of tickets, no TRUNCATE, no schema change. Prints the SQL (or runs it with --apply); run it
    again after each `countapp init`."""
    from .services import db_roles

    if not apply_:
        for statement in db_roles.app_role_statements(role):
            click.echo(statement + ";")
        return
    statements = db_roles.grant_app_role(role)
    click.echo(_say(Nn_("Rights of role %(role)s set: %(num)s statement run.",
                        "Rights of role %(role)s set: %(num)s statements run."), role=role, num=len(statements)))
