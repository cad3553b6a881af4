"""`flask plans`: the Excel template, importing a plan from Excel, issuing a plan."""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.cli.common import fail
from app.clock import local_today
from app.common.errors import RuleViolation
from app.extensions import db
from app.models import Unit
from app.plans import export as plan_export
from app.plans import importing as plan_import
from app.plans import service as plans
from app.settings import current_settings

plans_cli = AppGroup("plans", help="Plans: the Excel template and importing a plan from Excel or Word.")


@plans_cli.command("template")
@click.argument("path")
@click.option("--unit", "unit_code", default=None,
              help="Mã đơn vị: danh sách chọn đơn vị, người, lĩnh vực của đơn vị này.")
def plans_template(path: str, unit_code: str | None) -> None:
    """Write the empty import template (XLSX) to PATH."""
    unit = None
    if unit_code is not None:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code.strip()))
        if unit is None:
            fail(f"không có đơn vị mã / no unit with code: {unit_code!r}")
    target = Path(path)
    if target.is_dir() or not target.parent.is_dir():
        fail(f"cần một tên tệp .xlsx trong một thư mục có sẵn / not a file path: {path}")
    target.write_bytes(plan_export.template_bytes(unit))
    click.echo(f"Đã ghi / wrote {target}")


@plans_cli.command("import")
@click.argument("path")
@click.option("--unit", "unit_code", required=True, help="Mã đơn vị của kế hoạch.")
@click.option("--year", type=int, required=True, help="Năm kế hoạch.")
@click.option("--kind", default="cchc", show_default=True,
              type=click.Choice(["cchc", "work", "digital", "socioeconomic", "other"]))
@click.option("--title", default=None, help="Tên kế hoạch khi phải tạo mới (bản nháp).")
@click.option("--dry-run", is_flag=True, help="Chỉ xem trước, không ghi gì.")
def plans_import(path: str, unit_code: str, year: int, kind: str, title: str | None,
                 dry_run: bool) -> None:
    """Import the plan in the file PATH (.xlsx, .xls or .docx, told from its content) into the
    unit's plan of that year and kind (created as a draft when missing); prints the preview,
    and exits 1 on errors."""
    source = Path(path)
    if not source.is_file():
        fail(f"không có tệp / no such file: {path}")
    with source.open("rb") as f:
        data = f.read(plan_import.MAX_FILE_BYTES + 1)  # one byte over is enough to refuse
    try:
        plan, created = plan_import.plan_for(unit_code, year, kind, title)
        plan_import.check_can_import(None, plan)
    except RuleViolation as e:
        fail(e.message)
    where = f"{plan.title} ({plan.unit.code}, {plan.year})" + (" — tạo mới, bản nháp" if created else "")
    click.echo(f"Kế hoạch / plan: {where}")
    today = local_today()
    if dry_run:
        result = plan_import.preview(plan, data, today, settings=current_settings().task_rules)
        db.session.rollback()
    else:
        try:
            result = plan_import.apply(None, plan, data, today, source.name,
                                       settings=current_settings().task_rules)
        except plan_import.ImportRefused as e:
            db.session.rollback()
            result = e.preview
        else:
            if created:
                plan_import.record_plan_created(plan)
            db.session.commit()
    for line in result.summary_lines():
        click.echo(line)
    if result.errors:
        click.echo(f"{len(result.errors)} lỗi, không nhập gì / {len(result.errors)} errors, nothing imported:",
                   err=True)
        for issue in result.errors:
            click.echo(f"  {issue.text}", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("Chạy thử: không ghi gì / dry run: nothing written.")
    else:
        click.echo(f"Đã nhập trong {result.seconds:.2f} giây / imported in {result.seconds:.2f} s.")


@plans_cli.command("issue")
@click.option("--unit", "unit_code", required=True, help="Mã đơn vị của kế hoạch.")
@click.option("--year", type=int, required=True, help="Năm kế hoạch.")
@click.option("--kind", default="cchc", show_default=True,
              type=click.Choice(["cchc", "work", "digital", "socioeconomic", "other"]))
def plans_issue(unit_code: str, year: int, kind: str) -> None:
    """Issue (ban hành) the unit's draft plan of that year and kind; refused, with the list
    of tasks not clear on all six (as the plan page shows it), and exit 1."""
    try:
        plan = plans.plan_by_code(unit_code, year, kind)
        plan, unclear = plans.issue(plan, None, local_today())
    except RuleViolation as e:
        fail(e.message)
    where = f"{plan.title} ({plan.unit.code}, {plan.year})"
    if unclear:
        db.session.commit()  # keeps the refreshed six-clears flags, as the page does
        click.echo(f"Không thể ban hành {where}: {len(unclear)} nhiệm vụ chưa đủ sáu rõ / "
                   f"cannot issue: {len(unclear)} tasks are not clear on all six:", err=True)
        for task, result in unclear:
            click.echo(f"  {task.stt}. {task.title}", err=True)
            for r in result.failed:
                for x in r.reasons:
                    click.echo(f"     - {r.label('vi')}: {x.text('vi')}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Đã ban hành kế hoạch / issued: {where}")
