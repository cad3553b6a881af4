"""What every command shares: how a refusal ends it."""

import sys

import click

from app.extensions import db


def fail(message) -> None:
    """Roll back, print the refusal (Vietnamese / English) on stderr and exit 2."""
    db.session.rollback()
    click.echo(f"Lỗi / Error: {message}", err=True)
    sys.exit(2)
