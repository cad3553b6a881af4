"""Flask commands, one module per group; `register(app)` adds them all. Commands are a
boundary, as views are: they read the clock and the settings, call the use cases, and commit."""

from flask import Flask

from app.backup import register as register_backup
from app.cli.assess import assess_cli
from app.cli.demo import banner, seed_demo
from app.cli.indicators import indicators_cli
from app.cli.overdue import overdue_cli
from app.cli.plans import plans_cli
from app.cli.quality import quality_cli
from app.cli.scheduler import scheduler_cli
from app.cli.tallies import tallies_cli
from app.cli.tokens import tokens_cli
from app.cli.units import units_cli
from app.cli.users import users_cli


def register(app: Flask) -> None:
    """Add every command to the app's `flask` group."""
    register_backup(app)  # flask db backup / backup-check / restore
    for command in (plans_cli, units_cli, users_cli, overdue_cli, scheduler_cli, assess_cli,
                    tokens_cli, quality_cli, indicators_cli, tallies_cli, seed_demo, banner):
        app.cli.add_command(command)
