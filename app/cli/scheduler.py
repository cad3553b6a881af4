"""`flask scheduler`: the background scheduler in a process of its own."""

import click
from flask import current_app
from flask.cli import AppGroup

from app.scheduler import run_blocking

scheduler_cli = AppGroup("scheduler", help="The background scheduler.")


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """Run the scheduler in this process only (production: one such process)."""
    click.echo("Bộ lập lịch đang chạy / scheduler running (Ctrl+C to stop)")
    run_blocking(current_app._get_current_object())
