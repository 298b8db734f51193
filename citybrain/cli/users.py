"""``citybrain users add|remove|list|sessions``: manage local users (auth mode ``local``) and their sessions.

Removing a user or changing a role ends the user's sessions at once."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from citybrain.auth.identity import users_path
from citybrain.auth.sessions import open_store
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
    store = UserStore(users_path(settings))
    before = store.role_of(name)
    try:
        store.add(name, role, password, list(settings.role_clearance), department)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    ended = open_store(settings).revoke_user(name) if before is not None else 0
    dept = f", {department}" if department else ""
    click.echo(f"user {name} ({role}{dept}) saved in {users_path(settings)}" + (f"; {ended} session(s) ended" if ended else ""))


@users.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Remove a user."""
    settings = get_settings()
    if not UserStore(users_path(settings)).remove(name):
        raise click.ClickException(f"no user {name}")
    ended = open_store(settings).revoke_user(name)
    click.echo(f"user {name} removed; {ended} session(s) ended")


@users.command("list")
def list_users() -> None:
    """List users and roles."""
    for u in UserStore(users_path(get_settings())).list():
        click.echo(f"{u.name}\t{u.role}" + (f"\t{u.department}" if u.department else ""))


@users.command("sessions")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="End every session of NAME now.")
def sessions(name: str, revoke: bool) -> None:
    """List the live sessions of NAME (``wall`` for wall displays), or end them with --revoke."""
    store = open_store(get_settings())
    if revoke:
        click.echo(f"{store.revoke_user(name)} session(s) of {name} ended")
        return
    for s in store.list_user(name):
        started = datetime.fromtimestamp(s.created).isoformat(timespec="seconds")
        seen = datetime.fromtimestamp(s.last_seen).isoformat(timespec="seconds")
        click.echo(f"{s.id_hash[:12]}\t{s.role}\t{s.via}\t{s.addr or '-'}\tstarted {started}\tlast used {seen}")
