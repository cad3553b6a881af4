"""Flask commands: units, users, demo data."""

import sys

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from .extensions import db
from .services.errors import RuleViolation

units_cli = AppGroup("units", help="Manage the unit tree.")
users_cli = AppGroup("users", help="Manage user accounts.")


def _fail(message) -> None:
    db.session.rollback()
    click.echo(f"Lỗi / Error: {message}", err=True)
    sys.exit(2)


@units_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--parent", "parent_code", default=None, help="Code of the parent unit.")
@click.option("--kind", default="office", help="province, department, office, commune, ward, ...")
def units_add(code: str, name: str, parent_code: str | None, kind: str) -> None:
    """Add a unit CODE named NAME."""
    from .services import units

    try:
        unit = units.add_unit(code, name, parent_code, kind)
    except RuleViolation as e:
        _fail(e.message)
    db.session.commit()
    click.echo(f"Đã thêm đơn vị {unit.code}: {unit.name}")


@units_cli.command("import-official")
@click.argument("province_code")
@click.option("--parent", "parent_code", default=None, help="Hang the communes and wards under this unit.")
def units_import_official(province_code: str, parent_code: str | None) -> None:
    """Create a province's communes and wards from the official 2025 list."""
    from .services import units

    if not province_code.isdigit():
        _fail(f"mã tỉnh không hợp lệ / not a province code: {province_code}")
    try:
        added, kept = units.import_official(int(province_code), parent_code)
    except RuleViolation as e:
        _fail(e.message)
    db.session.commit()
    click.echo(f"Đã thêm {added} đơn vị, giữ nguyên {kept} / added {added}, unchanged {kept}")


@users_cli.command("add")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--unit", "unit_code", required=True, help="Unit code.")
@click.option("--role", required=True, help="admin, assessor, head, deputy or staff.")
@click.option("--email", default=None)
def users_add(username: str, full_name: str, unit_code: str, role: str, email: str | None) -> None:
    """Add a user; the password is read from standard input."""
    from .services import users

    password = sys.stdin.readline().rstrip("\r\n") if not sys.stdin.isatty() else click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users.add_user(username, full_name, unit_code, role, password, email)
    except RuleViolation as e:
        _fail(e.message)
    db.session.commit()
    click.echo(f"Đã thêm người dùng {user.username} ({user.role})")


overdue_cli = AppGroup("overdue", help="The overdue engine.")
scheduler_cli = AppGroup("scheduler", help="The background scheduler.")


@overdue_cli.command("sweep")
@click.option("--today", "today_text", default=None, metavar="YYYY-MM-DD",
              help="Judge as of this date (default: today in Asia/Ho_Chi_Minh).")
def overdue_sweep(today_text: str | None) -> None:
    """Flag overdue tasks and send due reminders once, now."""
    from datetime import date

    from . import local_today
    from .services import mail, overdue

    if today_text is not None:  # an empty --today is a mistake, not "today"
        try:
            today = date.fromisoformat(today_text)
        except ValueError:
            _fail(f"ngày không hợp lệ, cần dạng YYYY-MM-DD / not a date (YYYY-MM-DD): {today_text}")
    else:
        today = local_today()
    result = overdue.sweep(today)
    db.session.commit()
    sent = mail.send_pending()
    db.session.commit()
    click.echo(f"Ngày {today:%d/%m/%Y}: gắn cờ quá hạn {result.flagged} nhiệm vụ; "
               f"gửi {result.due_soon} nhắc sắp đến hạn, {result.overdue} thông báo quá hạn, "
               f"{result.escalated} báo cáo vượt cấp; {sent} email.")
    click.echo(f"As of {today.isoformat()}: flagged {result.flagged}; sent due_soon={result.due_soon} "
               f"overdue={result.overdue} escalated={result.escalated} emails={sent}; "
               f"{result.statements} SQL statements.")


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """Run the scheduler in this process only (production: one such process)."""
    from flask import current_app

    from .scheduler import run_blocking

    click.echo("Bộ lập lịch đang chạy / scheduler running (Ctrl+C to stop)")
    run_blocking(current_app._get_current_object())


def register(app: Flask) -> None:
    app.cli.add_command(units_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(overdue_cli)
    app.cli.add_command(scheduler_cli)

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database already has units.")
    def seed_demo(if_empty: bool) -> None:
        """Load the demo province, its people and its 2026 CCHC plan."""
        from .models import Unit
        from .services import demo

        if if_empty and db.session.scalar(select(func.count(Unit.id))):
            click.echo("Cơ sở dữ liệu đã có dữ liệu; bỏ qua dữ liệu mẫu.")
            return
        try:
            summary = demo.seed()
        except RuleViolation as e:
            _fail(e.message)
        db.session.commit()
        click.echo(summary)

    @app.cli.command("banner")
    def banner() -> None:
        """Print where the app listens and the demo accounts."""
        from .services import demo

        click.echo(demo.banner())
