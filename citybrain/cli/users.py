"""``citybrain users add|remove|list``: manage local users (auth mode ``local``)."""

from __future__ import annotations

import sys

import click

from citybrain.auth.identity import users_path
from citybrain.auth.users import UserStore
from citybrain.settings import get_settings


@click.group()
def users() -> None:
    """Local users for CITYBRAIN_AUTH=local (stored with scrypt password hashes)."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, help="duty, handler, leader, analyst, admin or wall "
                                           "(see CITYBRAIN_ROLE_CLEARANCE).")
@click.option("--department", default=None, help="A handler's department (部门); required for --role handler.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def add(name: str, role: str, department: str | None, password_stdin: bool) -> None:
    """Add or update a user."""
    settings = get_settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        UserStore(users_path(settings)).add(name, role, password, list(settings.role_clearance), department)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    dept = f", {department}" if department else ""
    click.echo(f"user {name} ({role}{dept}) saved in {users_path(settings)}")


@users.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Remove a user."""
    if not UserStore(users_path(get_settings())).remove(name):
        raise click.ClickException(f"no user {name}")
    click.echo(f"user {name} removed")


@users.command("list")
def list_users() -> None:
    """List users and roles."""
    for u in UserStore(users_path(get_settings())).list():
        click.echo(f"{u.name}\t{u.role}" + (f"\t{u.department}" if u.department else ""))
