"""`flask seed-demo` and `flask banner`: the demo province (app/demo)."""

import click
from sqlalchemy import func, select

from app.cli.common import fail
from app.clock import local_today
from app.common.errors import RuleViolation
from app.demo import loader as demo
from app.extensions import db
from app.models import Unit
from app.settings import current_settings


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has units.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo province, its people and its 2026 CCHC plan."""
    if if_empty and db.session.scalar(select(func.count(Unit.id))):
        click.echo("Cơ sở dữ liệu đã có dữ liệu; bỏ qua dữ liệu mẫu.")
        return
    try:
        summary = demo.seed(local_today(), current_settings())
    except RuleViolation as e:
        fail(e.message)
    db.session.commit()
    click.echo(summary)


@click.command("banner")
def banner() -> None:
    """Print where the app listens and the demo accounts."""
    click.echo(demo.banner())
