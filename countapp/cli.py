"""The ``countapp`` command: a Flask CLI group whose commands call the same services as the web."""
from __future__ import annotations

import functools
import importlib
import sys
from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from tickets.errors import CountappError

from .cli_output import counted
from .extensions import db


def _gettext_for_cli(message: str) -> str:
    """CLI messages follow COUNTAPP_LANGUAGE (default English, as most terminals)."""
    import os

    language = os.environ.get("COUNTAPP_LANGUAGE", "en")
    if language == "en":
        return message
    from flask_babel import force_locale, gettext

    with force_locale(language):
        return gettext(message)


def _ngettext_for_cli(singular: str, plural: str, number: int) -> str:
    """The plural form a CLI message needs, in COUNTAPP_LANGUAGE (no ``%`` applied)."""
    import os

    language = os.environ.get("COUNTAPP_LANGUAGE", "en")
    if language == "en":
        return singular if number == 1 else plural
    from flask_babel import force_locale, get_translations

    with force_locale(language):
        return get_translations().ngettext(singular, plural, number)


_gettext_for_cli.ngettext = _ngettext_for_cli


def fail(error: CountappError) -> None:
    db.session.rollback()
    click.echo(click.style("error: ", fg="red", bold=True) + error.render(_gettext_for_cli), err=True)
    sys.exit(1)


def _database_problem(error: Exception) -> str | None:
    """Say plainly what is wrong when the database is out of reach or has no schema yet (else None)."""
    import sqlalchemy as sa

    db.session.rollback()
    url = db.engine.url.render_as_string(hide_password=True)
    try:
        tables = sa.inspect(db.engine).get_table_names()
    except sa.exc.OperationalError as unreachable:
        return f"cannot reach the database {url}: {getattr(unreachable, 'orig', unreachable)}"
    if "campaign" not in tables:
        return f"the database {url} has no countapp tables yet: run `countapp init` first."
    return None


def handles_errors(function):
    """Turn domain errors into a message and exit code 1; nothing is written (the session rolls back)."""
    import sqlalchemy as sa

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except CountappError as error:
            fail(error)
        except (sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
            problem = _database_problem(error)
            if problem is None:
                raise
            click.echo(click.style("error: ", fg="red", bold=True) + problem, err=True)
            sys.exit(1)

    return wrapper


def command(group, *args, **kwargs):
    def decorator(function):
        return group.command(*args, **kwargs)(with_appcontext(handles_errors(function)))
    return decorator


class DateParam(click.ParamType):
    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


DATE = DateParam()


def _create_app():
    from . import create_app

    # A command answers no request: its app has no pages (they load pandas and every view), so that
    # each command starts in half the time. The commands that serve add them (cli_serve.serves).
    return create_app(pages=False)


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """countapp: physical stock count campaigns (see README.md)."""


# Every command hangs off `root`; register_commands puts them on app.cli so that
# `countapp ...` and `flask --app countapp ...` offer the same commands.
root = click.Group("countapp")
user_cli = AppGroup("user", help="People who log in.")
campaign_cli = AppGroup("campaign", help="Count campaigns and their settings.")
root.add_command(user_cli)
root.add_command(campaign_cli)


@command(root, "init")
def init_command():
    """Create or upgrade the database schema (safe to run again)."""
    from .services.schema import upgrade

    before, after = upgrade()
    if before == after:
        click.echo(f"Database schema is up to date ({after}).")
    else:
        click.echo(f"Database schema upgraded {before or 'empty'} -> {after}.")


@command(root, "demo")
@click.option("--lines", default=300, show_default=True, help="Book lines in the demo campaign.")
@click.option("--password", default="demo-pass", show_default=True, help="Password of every demo user.")
def demo_command(lines, password):
    """Load a demo campaign with users of every role; prints how to log in."""
    from .services.demo import load_demo
    from .services.schema import upgrade

    upgrade()
    summary = load_demo(lines=lines, password=password)
    click.echo(summary)


@command(user_cli, "add")
@click.argument("login")
@click.option("--role", required=True, type=click.Choice(["manager", "centraliser", "leader", "counter", "auditor"]))
@click.option("--team", type=int, help="Add the user to this team of the newest campaign as a member.")
@click.option("--campaign", "campaign_code", help="Campaign of --team (default: the newest).")
@click.option("--password", help="Password (asked for when not given).")
@click.option("--name", default="", help="Full name shown on pages and documents.")
@click.option("--language", type=click.Choice(["fr", "en"]))
@click.option("--storekeeper", is_flag=True, help="Keeps stock in some zones: may answer questions, never count them.")
def user_add(login, role, team, campaign_code, password, name, language, storekeeper):
    """Add a user who can log in."""
    from .services import users

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = users.add_user(login, role, password, name=name, language=language, storekeeper=storekeeper)
    if team is not None:
        from .services import teams

        teams.add_member(team, user, campaign_code=campaign_code)
    click.echo(f"User {user.login} added ({user.role.value}).")


@command(campaign_cli, "create")
@click.argument("code")
@click.option("--year", required=True, type=int, help="Fiscal year (exercice).")
@click.option("--count-date", required=True, type=DATE)
@click.option("--closing-date", required=True, type=DATE)
@click.option("--valuation", default="wac", show_default=True, type=click.Choice(["book", "wac", "fifo", "lifo"]))
@click.option("--language", default="fr", show_default=True, type=click.Choice(["fr", "en"]))
@click.option("--name", default="")
def campaign_create(code, year, count_date, closing_date, valuation, language, name):
    """A new campaign, in planning."""
    from .services import campaigns

    campaign = campaigns.create(code, year=year, count_date=count_date, closing_date=closing_date,
                                valuation=valuation, language=language, name=name)
    if valuation == "lifo":
        click.echo("warning: LIFO is refused under IFRS and by French tax rules; it is kept for information.", err=True)
    click.echo(f"Campaign {campaign.code} created (fiscal year {campaign.fiscal_year}).")


def read_toml(file: str) -> dict:
    """A settings file (TOML, UTF-8 with or without BOM) as a dict; errors name the file and the line."""
    from . import campaign_settings

    with open(file, encoding="utf-8-sig") as handle:
        return campaign_settings.parse_toml(handle.read(), filename=file)


@command(campaign_cli, "configure")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def campaign_configure(code, file):
    """Set the campaign's settings from a TOML file (keys not given keep their value)."""
    from .services import campaigns

    campaign = campaigns.configure(campaigns.get(code), read_toml(file))
    click.echo(f"Campaign {campaign.code} configured.")


@command(campaign_cli, "show")
@click.argument("code")
def campaign_show(code):
    """Print the campaign's settings as TOML."""
    from .services import campaigns

    click.echo(campaigns.settings_toml(campaigns.get(code)), nl=False)


@command(campaign_cli, "start")
@click.argument("code")
@click.option("--override-reason", default="",
              help="Start although the pre-flight check finds something missing; the reason is logged.")
def campaign_start(code, override_reason):
    """Planning -> counting, after the pre-flight check (exit 1 naming what is missing)."""
    from .services import campaigns

    missing = campaigns.start(code, override_reason=override_reason)
    for item in missing:
        click.echo("warning: overridden: " + item.render(_gettext_for_cli), err=True)
    click.echo(f"Campaign {code} is counting" + (" (pre-flight check overridden; the reason is in the audit log)."
                                                 if missing else "."))


@command(campaign_cli, "finish-counting")
@click.argument("code")
@click.option("--confirm", is_flag=True, help="End counting although some tickets are still open.")
def campaign_finish_counting(code, confirm):
    """Counting -> reconciling: counting is over (refused while tickets are open, unless --confirm)."""
    from .services import campaigns

    still_open = campaigns.finish_counting(code, confirm_open=confirm)
    click.echo(f"Counting of campaign {code} is over; reconciliation may start"
               + (f" ({counted(still_open, 'ticket')} still open)." if still_open else "."))


# Modules whose commands add themselves to `root` when imported.
COMMAND_MODULES = ("cli_setup", "cli_tickets", "cli_counts", "cli_instructions", "cli_reports", "cli_audit",
                   "cli_close", "cli_users", "cli_serve", "cli_cycle")
main.commands.pop("run", None)  # `countapp run` is cli_serve's: Flask's development server plus a job worker
main.commands.pop("routes", None)  # cli_serve's too: the command line's app has no pages until it adds them


def register_commands(app: Flask) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.{name}")

    for name, cmd in root.commands.items():
        app.cli.add_command(cmd, name)
