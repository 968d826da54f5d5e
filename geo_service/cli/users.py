"""``geo-service users ...``: accounts and API tokens from the command line.

``users create-admin USERNAME`` makes the first community admin; ``users add USERNAME --role
ROLE [--grid N ...] [--building SOURCE_ID ...]`` any other account; passwords are asked for
twice on a terminal, or read from the first line of stdin with ``--password-stdin`` (never
from the command line, where other users and the shell history would see them).
``users token USERNAME NAME`` prints a new API token once (only its SHA-256 is stored);
``users list`` shows the accounts; ``users set-password`` and ``users deactivate`` /
``users activate`` look after them.
"""

from __future__ import annotations

import sys

import click

from geo_service.auth import accounts
from geo_service.auth.messages import translate
from geo_service.auth.passwords import PasswordRefused, check_new_password
from geo_service.auth.policy import COMMUNITY_ADMIN, ROLES
from geo_service.cli.common import echo_err, ready_engine
from geo_service.config import Settings


def english(error: accounts.AccountError | PasswordRefused) -> str:
    """The refusal in English (the command line speaks English)."""
    template = translate(error.key, "en")
    return template.format(**error.params)


def read_password(username: str, from_stdin: bool) -> str:
    """The new password: stdin's first line, or asked twice without echo."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(f"Password for {username}", hide_input=True,
                                confirmation_prompt=True)
    try:
        check_new_password(password, username)
    except PasswordRefused as refused:
        raise click.ClickException(english(refused)) from None
    return password


password_stdin = click.option("--password-stdin", is_flag=True,
                              help="Read the password from the first line of stdin.")


@click.group("users")
def users() -> None:
    """Accounts and API tokens."""


def add_user(settings: Settings, username: str, role: str, password: str, **more: object) -> None:
    engine = ready_engine(settings)
    try:
        with engine.begin() as conn:
            new_id = accounts.create_user(conn, username, password, role, **more)
    except (accounts.AccountError, PasswordRefused) as refused:
        raise click.ClickException(english(refused)) from None
    echo_err(f"added {username} ({role}, id {new_id})")


@users.command("create-admin")
@click.argument("username")
@click.option("--display-name", help="The name pages show.")
@password_stdin
@click.pass_obj
def create_admin(settings: Settings, username: str, display_name: str | None,
                 password_stdin: bool) -> None:
    """Make a community admin account (the first one, or another)."""
    password = read_password(username, password_stdin)
    add_user(settings, username, COMMUNITY_ADMIN, password, display_name=display_name)


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the account may do.")
@click.option("--grid", "grids", type=int, multiple=True, metavar="N",
              help="A grid number the account looks after (repeat for several).")
@click.option("--building", "buildings", multiple=True, metavar="SOURCE_ID",
              help="A building (its source id, e.g. B0001) a building leader looks after.")
@click.option("--display-name", help="The name pages show.")
@click.option("--phone", help="Phone number (personal data: only admins see it).")
@password_stdin
@click.pass_obj
def add(settings: Settings, username: str, role: str, grids: tuple[int, ...],
        buildings: tuple[str, ...], display_name: str | None, phone: str | None,
        password_stdin: bool) -> None:
    """Add an account with its role, grids and buildings."""
    password = read_password(username, password_stdin)
    add_user(settings, username, role, password, display_name=display_name, phone=phone,
             grids=grids, buildings=buildings)


@users.command("token")
@click.argument("username")
@click.argument("name")
@click.pass_obj
def token(settings: Settings, username: str, name: str) -> None:
    """Print a new API token for USERNAME (shown only now; send it as
    ``Authorization: Bearer <token>``)."""
    engine = ready_engine(settings)
    try:
        with engine.begin() as conn:
            value = accounts.create_token(conn, username, name)
    except accounts.AccountError as refused:
        raise click.ClickException(english(refused)) from None
    click.echo(value)
    echo_err(f"token {name!r} for {username}: keep it now, it is not stored and cannot be shown "
             "again")


@users.command("list")
@click.pass_obj
def list_users(settings: Settings) -> None:
    """The accounts: username, role, active, grids, buildings, live tokens."""
    engine = ready_engine(settings)
    with engine.connect() as conn:
        rows = accounts.list_users(conn)
    click.echo("username\trole\tactive\tgrids\tbuildings\ttokens\tname")
    for row in rows:
        click.echo("\t".join([row["username"], row["role"], "yes" if row["active"] else "no",
                              ",".join(map(str, row["grids"])), ",".join(row["buildings"]),
                              str(row["tokens"]), row["display_name"] or ""]))
    echo_err(f"{len(rows)} account(s)")


@users.command("set-password")
@click.argument("username")
@password_stdin
@click.pass_obj
def set_password(settings: Settings, username: str, password_stdin: bool) -> None:
    """Give USERNAME a new password (their sessions end)."""
    password = read_password(username, password_stdin)
    engine = ready_engine(settings)
    try:
        with engine.begin() as conn:
            accounts.set_password(conn, username, password)
    except (accounts.AccountError, PasswordRefused) as refused:
        raise click.ClickException(english(refused)) from None
    echo_err(f"password of {username} changed")


@users.command("deactivate")
@click.argument("username")
@click.pass_obj
def deactivate(settings: Settings, username: str) -> None:
    """Switch USERNAME off: no sign-in, sessions and tokens stop at once."""
    switch(settings, username, False)


@users.command("activate")
@click.argument("username")
@click.pass_obj
def activate(settings: Settings, username: str) -> None:
    """Switch USERNAME on again."""
    switch(settings, username, True)


def switch(settings: Settings, username: str, active: bool) -> None:
    engine = ready_engine(settings)
    try:
        with engine.begin() as conn:
            accounts.set_active(conn, accounts.user_id(conn, username), active)
    except accounts.AccountError as refused:
        raise click.ClickException(english(refused)) from None
    echo_err(f"{username} {'activated' if active else 'deactivated'}")
