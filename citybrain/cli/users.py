"""``citybrain users add|remove|list|sessions|token|revoke-token``: manage local users (auth mode
``local``), their sessions and their bearer tokens (``citybrain.auth.tokens``).

Removing a user or changing a role ends the user's sessions at once; removing a user or changing its
role or department also revokes its bearer tokens."""

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
    before = {u.name: u for u in store.list()}.get(name)
    try:
        store.add(name, role, password, list(settings.role_clearance), department)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    ended = open_store(settings).revoke_user(name) if before is not None else 0
    changed = before is not None and (before.role, before.department) != (role, department)
    revoked = _revoke_tokens(name) if changed else 0
    dept = f", {department}" if department else ""
    click.echo(f"user {name} ({role}{dept}) saved in {users_path(settings)}" + (f"; {ended} session(s) ended" if ended else "")
               + (f"; {revoked} token(s) revoked" if revoked else ""))


@users.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Remove a user."""
    settings = get_settings()
    if not UserStore(users_path(settings)).remove(name):
        raise click.ClickException(f"no user {name}")
    ended = open_store(settings).revoke_user(name)
    revoked = _revoke_tokens(name)
    click.echo(f"user {name} removed; {ended} session(s) ended, {revoked} token(s) revoked")


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


def _ops():
    from citybrain.ops.db import ensure, make_engine

    return ensure(make_engine(get_settings()))


def _revoke_tokens(name: str) -> int:
    """Revoke the tokens of ``name`` in the operational database (0 when it cannot be reached)."""
    from sqlalchemy.exc import SQLAlchemyError

    from citybrain.auth import tokens
    from citybrain.semantics.freshness import clock

    try:
        return tokens.revoke_user(_ops(), name, clock(get_settings().clock))
    except SQLAlchemyError as exc:
        click.secho(f"tokens of {name} not revoked: the operational database is unavailable: "
                    f"{exc.__class__.__name__}", fg="red", err=True)
        raise SystemExit(1) from None


@users.command("token")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="Revoke every token of NAME instead.")
@click.option("--list", "list_", is_flag=True, help="List the tokens of NAME (labels, never the tokens).")
def token(name: str, revoke: bool, list_: bool) -> None:
    """Issue a bearer token for NAME (printed as the last line, shown once), for scripts and
    integrations: send it as ``Authorization: Bearer <token>``; it acts with NAME's role."""
    from citybrain.auth import tokens
    from citybrain.semantics.freshness import clock

    settings = get_settings()
    if revoke:
        click.echo(f"{_revoke_tokens(name)} token(s) of {name} revoked")
        return
    if list_:
        for t in tokens.listing(_ops(), name):
            state = f"revoked {t['revoked_at']:%Y-%m-%d %H:%M}" if t["revoked_at"] else "live"
            used = f"{t['last_used_at']:%Y-%m-%d %H:%M}" if t["last_used_at"] else "never"
            click.echo(f"{t['label']}\t{t['role']}\tcreated {t['created_at']:%Y-%m-%d %H:%M}\tlast used {used}\t{state}")
        return
    user = {u.name: u for u in UserStore(users_path(settings)).list()}.get(name)
    if user is None:
        raise click.ClickException(f"no user {name} (add it first: citybrain users add {name} --role ...)")
    tok, label = tokens.issue(_ops(), user.name, user.role, clock(settings.clock))
    click.echo(f"token {label} of {name} ({user.role}); it is shown once: keep it secret. "
               f"Revoke: citybrain users revoke-token {label}")
    click.echo(tok)


@users.command("revoke-token")
@click.argument("label")
def revoke_token(label: str) -> None:
    """Revoke one token, named by its label (``users token NAME --list``) or by the token itself."""
    from citybrain.auth import tokens
    from citybrain.semantics.freshness import clock

    n = tokens.revoke(_ops(), label, clock(get_settings().clock))
    if not n:
        raise click.ClickException(f"no live token {label[:10]}")
    click.echo(f"token {label[:10]} revoked")
