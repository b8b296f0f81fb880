"""Commands for setting a campaign up: imports and teams."""
from __future__ import annotations

from datetime import datetime

import click

from .cli import command, fail, root
from .cli_output import Progress, counted

import_cli = click.Group("import", help="Load ERP exports into a campaign (checked whole first).")
team_cli = click.Group("team", help="Counting teams.")
root.add_command(import_cli)
root.add_command(team_cli)


def _run_import(kind: str, code: str, file: str, as_of=None) -> None:
    from .services import imports

    bar = {"bar": None}

    def on_checked(total: int | None) -> None:
        if total is None:   # a stock file is checked and written in one pass
            click.echo(f"{file}: checking and writing...", err=True)
        else:
            click.echo(f"{file}: {counted(total, 'line')} checked, no error; writing...", err=True)
        bar["bar"] = Progress(total, "importing", ("line", "lines"))

    def progress(done: int, **_) -> None:
        if bar["bar"] is not None:
            bar["bar"].update(done)

    try:
        counts = imports.import_file(kind, code, file, progress=progress, on_checked=on_checked, as_of=as_of)
    except imports.ImportRefused as refused:
        for error in refused.errors:
            click.echo(error.render(), err=True)
        fail(refused)
    finally:
        if bar["bar"] is not None:
            bar["bar"].close()
    from flask_babel import force_locale

    with force_locale("en"):
        click.echo(imports.describe(kind, counts))


@command(import_cli, "stock", help="Items, locations and book stock at --as-of (default: the count date).")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The date the file's quantities are at (YYYY-MM-DD); default: the campaign's count date.")
def _import_stock(code, file, as_of):
    _run_import("stock", code, file, as_of.date() if as_of else None)


for _kind, _help in (("movements", "Dated stock movements (valuation layers, cut-off)."),
                     ("opening", "Last year's closing value and depreciation by category.")):
    def _make(kind):
        @command(import_cli, kind, help=_help)
        @click.argument("code")
        @click.argument("file", type=click.Path(exists=True, dir_okay=False))
        def _import(code, file):
            _run_import(kind, code, file)
        return _import
    _make(_kind)


def _datetime(value):
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date and time (YYYY-MM-DDTHH:MM)") from None


@command(team_cli, "add")
@click.argument("code")
@click.argument("number", type=int)
@click.option("--round", "round_", required=True, type=click.IntRange(1, 2), help="1st or 2nd count.")
@click.option("--leader", required=True, help="Login of the team leader.")
@click.option("--member", "members", multiple=True, help="Login of a member (repeat).")
@click.option("--zone", "zones", multiple=True, help="Zone the team counts (repeat).")
@click.option("--starts-at", help="When the team starts (YYYY-MM-DDTHH:MM).")
@click.option("--ends-at", help="When the team ends (YYYY-MM-DDTHH:MM).")
def team_add(code, number, round_, leader, members, zones, starts_at, ends_at):
    """Add counting team NUMBER to campaign CODE."""
    from .services import teams

    team = teams.add_team(code, number, round=round_, leader=leader, members=list(members), zones=list(zones),
                          starts_at=_datetime(starts_at), ends_at=_datetime(ends_at))
    click.echo(f"Team {team.number} (round {team.round}) added: leader {team.leader.login}, "
               f"{counted(len(team.members), 'member')}, zones {', '.join(sorted(z.code for z in team.zones)) or '-'}.")


@command(team_cli, "storekeeper")
@click.argument("code")
@click.argument("zone")
@click.argument("login")
def team_storekeeper(code, zone, login):
    """Mark LOGIN as the storekeeper of ZONE (they answer questions, never count it)."""
    from .services import teams

    teams.set_storekeeper(code, zone, login)
    click.echo(f"{login} is storekeeper of zone {zone}.")
