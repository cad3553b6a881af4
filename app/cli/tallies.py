"""`flask tallies`: the home page's task counts (app/models/tally.py), recounted or checked."""

import click
from flask.cli import AppGroup

from app.cli.common import fail
from app.dashboard import tallies
from app.extensions import db

tallies_cli = AppGroup("tallies", help="The home page's task counts kept by the database.")


@tallies_cli.command("rebuild")
def tallies_rebuild() -> None:
    """Recount every tally from the tasks (after restoring a backup taken without them)."""
    keys = tallies.rebuild()
    db.session.commit()
    click.echo(f"Đã đếm lại: {keys} khóa. / Recounted: {keys} keys.")


@tallies_cli.command("check")
def tallies_check() -> None:
    """Compare the tallies with a recount from the tasks; exit 2 if they differ."""
    kept, recounted = tallies.stored(), tallies.recount()
    if kept != recounted:
        fail(f"khác {len(kept ^ recounted)} dòng, chạy `flask tallies rebuild` / "
             f"{len(kept ^ recounted)} rows differ: run `flask tallies rebuild`")
    click.echo(f"Khớp: {len(kept)} khóa. / Equal to a recount: {len(kept)} keys.")
