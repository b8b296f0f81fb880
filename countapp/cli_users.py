"""``countapp user list|disable|enable|password``: the same services as the Users page."""
from __future__ import annotations

import click

from .cli import command, user_cli


@command(user_cli, "list")
def user_list():
    """Every user: login, role, name, active, storekeeper, teams."""
    from .services import users

    rows = users.list_users()
    table = [("LOGIN", "ROLE", "NAME", "ACTIVE", "STOREKEEPER", "TEAMS")]
    for row in rows:
        u = row.user
        teams = ", ".join(f"{code}/{number}{'*' if leads else ''}" for code, number, leads in row.teams)
        table.append((u.login, u.role.value, u.name or "-", "yes" if u.active else "no",
                      "yes" if u.is_storekeeper else "no", teams or "-"))
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]) - 1)]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths)) + "  " + line[-1])
    if any(leads for row in rows for _code, _number, leads in row.teams):
        click.echo("(* team leader)")


@command(user_cli, "disable")
@click.argument("login")
def user_disable(login):
    """Stop LOGIN from logging in; their sessions and API token stop working at once."""
    from .services import users

    user = users.disable(users.find_user(login))
    click.echo(f"User {user.login} disabled: sessions and API token no longer work.")


@command(user_cli, "enable")
@click.argument("login")
def user_enable(login):
    """Let a disabled user log in again."""
    from .services import users

    user = users.enable(users.find_user(login))
    click.echo(f"User {user.login} enabled.")


@command(user_cli, "password")
@click.argument("login")
@click.option("--password", help="The new password; without it one is generated, printed, and must be changed "
                                 "at the next log-in.")
def user_password(login, password):
    """Set LOGIN's password; their other sessions end."""
    from .services import users

    user = users.find_user(login)
    generated = users.reset_password(user, password, must_change=password is None)
    if generated:
        click.echo(f"New password of {user.login}: {generated}")
        click.echo("It must be changed at the next log-in.")
    else:
        click.echo(f"Password of {user.login} set.")
