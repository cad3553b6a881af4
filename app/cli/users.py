"""`flask users`: user accounts."""

import sys

import click
from flask.cli import AppGroup

from app.cli.common import fail
from app.common.errors import RuleViolation
from app.directory import users
from app.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("add")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--unit", "unit_code", required=True, help="Unit code.")
@click.option("--role", required=True, help="admin, assessor, head, deputy or staff.")
@click.option("--email", default=None)
def users_add(username: str, full_name: str, unit_code: str, role: str, email: str | None) -> None:
    """Add a user; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\r\n") if not sys.stdin.isatty() else click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users.add_user(username, full_name, unit_code, role, password, email)
    except RuleViolation as e:
        fail(e.message)
    db.session.commit()
    click.echo(f"Đã thêm người dùng {user.username} ({user.role})")
