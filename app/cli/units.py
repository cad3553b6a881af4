"""`flask units`: the unit tree."""

import click
from flask.cli import AppGroup

from app.cli.common import fail
from app.common.errors import RuleViolation
from app.directory import units
from app.extensions import db
from app.settings import current_settings

units_cli = AppGroup("units", help="Manage the unit tree.")


@units_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--parent", "parent_code", default=None, help="Code of the parent unit.")
@click.option("--kind", default="office", help="province, department, office, commune, ward, ...")
def units_add(code: str, name: str, parent_code: str | None, kind: str) -> None:
    """Add a unit CODE named NAME."""
    try:
        unit = units.add_unit(code, name, parent_code, kind,
                              max_depth=current_settings().max_unit_depth)
    except RuleViolation as e:
        fail(e.message)
    db.session.commit()
    click.echo(f"Đã thêm đơn vị {unit.code}: {unit.name}")


@units_cli.command("import-official")
@click.argument("province_code")
@click.option("--parent", "parent_code", default=None, help="Hang the communes and wards under this unit.")
def units_import_official(province_code: str, parent_code: str | None) -> None:
    """Create a province's communes and wards from the official 2025 list."""
    if not province_code.isdigit():
        fail(f"mã tỉnh không hợp lệ / not a province code: {province_code}")
    try:
        added, kept = units.import_official(int(province_code), parent_code,
                                            max_depth=current_settings().max_unit_depth)
    except RuleViolation as e:
        fail(e.message)
    db.session.commit()
    click.echo(f"Đã thêm {added} đơn vị, giữ nguyên {kept} / added {added}, unchanged {kept}")
