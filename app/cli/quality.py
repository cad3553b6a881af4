"""`flask quality export`: the ranking of a year's set for one group of units, as XLSX (the
command line is a boundary, as app/cli.py: it reads the settings and commits nothing)."""

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.domain.quality import UNIT_GROUPS
from app.extensions import db
from app.models import IndicatorSet
from app.quality import export, queries
from app.settings import current_settings

quality_cli = AppGroup("quality", help="Quality of operation (DESIGN.md 8): the indicator sets.")


@quality_cli.command("export")
@click.option("--year", type=int, required=True, help="The set's year.")
@click.option("--group", "group", type=click.Choice(sorted(UNIT_GROUPS)), required=True,
              help="The group of units.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The XLSX file to write.")
def export_ranking(year: int, group: str, output: Path) -> None:
    """Write the ranking of the latest version of the set (STT · Đơn vị · Điểm tự chấm ·
    Điểm thẩm định · Xếp hạng · Xếp loại)."""
    s = db.session.scalar(select(IndicatorSet).where(
        IndicatorSet.year == year, IndicatorSet.unit_group == group, IndicatorSet.status != "draft")
        .order_by(IndicatorSet.version.desc()).limit(1))
    if s is None:
        raise click.ClickException(f"No published indicator set for {year} and group {group}.")
    rows = queries.sheets(s, current_settings().scoring)
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit_name))
    output.write_bytes(export.ranking_xlsx(s, rows))
    click.echo(f"{output}: {len(rows)} units, set {s.name} (version {s.version}, {s.status}).")
