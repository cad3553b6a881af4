"""`flask tokens`: personal access tokens of the JSON API, for people and service accounts."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.cli.common import fail
from app.clock import local_today
from app.common.errors import NotFound, RuleViolation
from app.extensions import db
from app.formfields import parse_date
from app.models import User
from app.tokens import service as api_tokens

tokens_cli = AppGroup("tokens", help="API tokens (personal access tokens).")


@tokens_cli.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for (shown in the audit log).")
@click.option("--read-only", is_flag=True, help="The token can read but not change anything.")
@click.option("--expires", "expires_text", default=None, metavar="DD/MM/YYYY",
              help="The last day the token works (default: no expiry).")
def tokens_create(username: str, name: str, read_only: bool, expires_text: str | None) -> None:
    """Print a new API token for USERNAME (a person or a service account); shown once."""

    try:
        expires_on = parse_date(expires_text or "")
    except ValueError:
        fail(f"ngày không hợp lệ / not a date (DD/MM/YYYY): {expires_text}")
    owner = db.session.scalar(select(User).where(User.username == username))
    if owner is None:
        fail(f"không có người dùng / no such user: {username}")
    try:
        new = api_tokens.create_token(None, owner, name, read_only, expires_on, local_today())
    except RuleViolation as e:
        fail(e.message)
    db.session.commit()
    click.echo(new.secret)


@tokens_cli.command("list")
@click.option("--user", "username", default=None, help="Only this user's tokens.")
def tokens_list(username: str | None) -> None:
    """List tokens: id, user, name, access, expiry, last use, state (never the secret)."""

    today = local_today()
    for t in api_tokens.all_tokens(username):
        state = ("revoked" if t.revoked_at else
                 "expired" if t.expires_on and t.expires_on < today else "active")
        click.echo("\t".join([str(t.id), t.user.username, t.name, t.prefix + "…",
                              "read-only" if t.is_read_only else "read-write",
                              t.expires_on.strftime("%d/%m/%Y") if t.expires_on else "-",
                              f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "-",
                              state]))


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke the token TOKEN_ID (see `flask tokens list`)."""

    try:
        token = api_tokens.revoke_token(None, token_id)
    except NotFound:
        fail(f"không có token / no such token: {token_id}")
    db.session.commit()
    click.echo(f"Đã thu hồi / revoked: {token.id} {token.name}")
