"""Flask commands: units, users, demo data."""

import sys
from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.assessment import export as ex
from app.assessment import service as assessment
from app.assessment.service import period_label
from app.backup import register as register_backup
from app.clock import local_today
from app.common.errors import RuleViolation
from app.deadlines import sweep as overdue
from app.demo import loader as demo
from app.directory import units, users
from app.domain import scoring
from app.extensions import db
from app.models import AssessmentRun, Unit
from app.notifications import mail
from app.plans import export as plan_export
from app.plans import service as plans
from app.plans.importing import importer as plan_import
from app.quality.cli import quality_cli
from app.scheduler import run_blocking
from app.settings import current_settings

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

    try:
        unit = units.add_unit(code, name, parent_code, kind,
                              max_depth=current_settings().max_unit_depth)
    except RuleViolation as e:
        _fail(e.message)
    db.session.commit()
    click.echo(f"Đã thêm đơn vị {unit.code}: {unit.name}")


@units_cli.command("import-official")
@click.argument("province_code")
@click.option("--parent", "parent_code", default=None, help="Hang the communes and wards under this unit.")
def units_import_official(province_code: str, parent_code: str | None) -> None:
    """Create a province's communes and wards from the official 2025 list."""

    if not province_code.isdigit():
        _fail(f"mã tỉnh không hợp lệ / not a province code: {province_code}")
    try:
        added, kept = units.import_official(int(province_code), parent_code,
                                            max_depth=current_settings().max_unit_depth)
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


    if today_text is not None:  # an empty --today is a mistake, not "today"
        try:
            today = date.fromisoformat(today_text)
        except ValueError:
            _fail(f"ngày không hợp lệ, cần dạng YYYY-MM-DD / not a date (YYYY-MM-DD): {today_text}")
    else:
        today = local_today()
    settings = current_settings()
    result = overdue.sweep(today, reminders=settings.reminders)
    db.session.commit()
    sent = mail.send_pending(settings.mail)
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


    click.echo("Bộ lập lịch đang chạy / scheduler running (Ctrl+C to stop)")
    run_blocking(current_app._get_current_object())


assess_cli = AppGroup("assess", help="Assessment (DESIGN.md section 5): scores, frozen runs, exports.")
PERIOD_HELP = "2026 (năm), 2026-H1 (6 tháng), 2026-Q3 (quý) hoặc 2026-07 (tháng)."


def _assess_inputs(period_code: str, as_of_text: str | None, unit_code: str | None):
    """The period, the as-of date (default: the period's last day, or today if earlier;
    after today refused), the scope unit and the settings in force; bad input fails."""



    try:
        period = scoring.parse_period(period_code)
    except ValueError:
        _fail(f"kỳ đánh giá không hợp lệ / not a period: {period_code!r} (cần dạng / expected: {PERIOD_HELP})")
    today = local_today()
    if as_of_text is None:
        as_of = scoring.default_as_of(period, today)
    else:
        try:
            as_of = date.fromisoformat(as_of_text.strip())
        except ValueError:
            _fail(f"ngày không hợp lệ, cần dạng YYYY-MM-DD / not a date (YYYY-MM-DD): {as_of_text!r}")
        if as_of > today:
            _fail(f"ngày tính điểm {as_of:%d/%m/%Y} sau ngày hôm nay {today:%d/%m/%Y} / "
                  f"the as-of date is after today")
    unit = None
    if unit_code is not None:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code.strip()))
        if unit is None:
            _fail(f"không có đơn vị mã / no unit with code: {unit_code!r}")
    return period, as_of, unit, current_settings().scoring


def _echo_report(report) -> None:

    run = f", bản chốt phiên bản {report.run.version}" if report.run is not None else ""
    click.echo(f"{period_label(report.period.code)} ({report.period.start:%d/%m/%Y} - {report.period.end:%d/%m/%Y}), "
               f"tính đến ngày {report.as_of:%d/%m/%Y}{run}")
    click.echo("")
    click.echo("ĐƠN VỊ")
    rows = [[row[0], "  " * max(u.depth, 0) + row[1], *row[2:]]
            for u, row in zip(report.units, ex.unit_rows(report), strict=True)]
    for line in ex.text_table(ex.unit_headers(report), rows):
        click.echo(line)
    click.echo("")
    click.echo("LÃNH ĐẠO")
    for line in ex.text_table(ex.leader_headers(report), ex.leader_rows(report), numeric_from=4):
        click.echo(line)
    for sheet in (ex.UNIT_SHEET, ex.LEADER_SHEET):
        for note in ex.warning_lines(report, sheet):
            click.echo(note)


@assess_cli.command("run")
@click.option("--period", "period_code", required=True, help=PERIOD_HELP)
@click.option("--as-of", "as_of_text", default=None, metavar="YYYY-MM-DD",
              help="Tính đến ngày (mặc định: ngày cuối kỳ, hoặc hôm nay nếu sớm hơn).")
@click.option("--unit", "unit_code", default=None, help="Mã đơn vị (gồm cả các đơn vị trực thuộc).")
@click.option("--freeze", is_flag=True, help="Chốt kết quả: lưu một phiên bản không đổi.")
def assess_run(period_code: str, as_of_text: str | None, unit_code: str | None, freeze: bool) -> None:
    """Print the unit and leader tables of a period; --freeze stores a frozen run."""

    period, as_of, unit, settings = _assess_inputs(period_code, as_of_text, unit_code)
    if freeze:
        run = assessment.freeze(None, period, as_of, settings, unit, today=local_today())
        db.session.commit()
        report = assessment.load_run(run)
    else:
        report = assessment.live(period, as_of, settings, unit, today=local_today())
    _echo_report(report)
    if freeze:
        click.echo("")
        click.echo(f"Đã chốt kỳ {period.code} ({run.scope_key}), phiên bản {run.version} / "
                   f"frozen {period.code} ({run.scope_key}) as version {run.version} (run {run.id}).")


@assess_cli.command("export")
@click.option("--period", "period_code", required=True, help=PERIOD_HELP)
@click.option("--as-of", "as_of_text", default=None, metavar="YYYY-MM-DD",
              help="Tính đến ngày (mặc định: ngày cuối kỳ, hoặc hôm nay nếu sớm hơn).")
@click.option("--unit", "unit_code", default=None, help="Mã đơn vị (gồm cả các đơn vị trực thuộc).")
@click.option("--format", "fmt", required=True, type=click.Choice(["xlsx", "csv"]))
@click.option("--output", "output", required=True, metavar="PATH",
              help="Tệp .xlsx, hoặc thư mục nhận don-vi.csv, lanh-dao.csv, nhiem-vu.csv.")
@click.option("--version", "version", type=int, default=None,
              help="Xuất một bản đã chốt (phiên bản) thay vì số liệu trực tiếp.")
@click.option("--issuer", multiple=True, help="Cơ quan ban hành, mỗi lần một dòng (mặc định: theo đơn vị).")
@click.option("--place", default=None, help="Địa danh ở dòng ngày tháng (mặc định: theo tỉnh).")
def assess_export(period_code: str, as_of_text: str | None, unit_code: str | None, fmt: str,
                  output: str, version: int | None, issuer: tuple[str, ...], place: str | None) -> None:
    """Write the assessment as XLSX (one file) or CSV (one file per table in a folder)."""


    period, as_of, unit, settings = _assess_inputs(period_code, as_of_text, unit_code)
    if version is not None:
        if as_of_text is not None:
            _fail("--as-of không dùng cùng --version: bản chốt có ngày tính riêng / "
                  "--as-of cannot be combined with --version")
        scope_key = unit.code if unit is not None else "all"
        run = db.session.scalar(select(AssessmentRun).where(
            AssessmentRun.period == period.code, AssessmentRun.scope_key == scope_key,
            AssessmentRun.version == version))
        if run is None:
            _fail(f"không có bản chốt kỳ {period.code} ({scope_key}) phiên bản {version} / no such frozen run")
        report = assessment.load_run(run)
    else:
        report = assessment.live(period, as_of, settings, unit, today=local_today())
    path = Path(output)
    lines = issuer or ex.default_issuer(unit)
    where = place if place is not None else ex.default_place(unit)
    if fmt == "xlsx":
        if path.is_dir():
            _fail(f"--output là một thư mục, cần tên tệp .xlsx / --output is a folder: {output}")
        if not path.parent.is_dir():
            _fail(f"không có thư mục / no such folder: {path.parent}")
        with path.open("wb") as f:
            ex.write_xlsx(report, f, lines, where, local_today())
        written = [path]
    else:
        if path.exists() and not path.is_dir():
            _fail(f"--output phải là một thư mục / --output must be a folder: {output}")
        written = ex.write_csv_folder(report, path)
    for p in written:
        click.echo(f"Đã ghi / wrote {p}")


plans_cli = AppGroup("plans", help="Plans: the Excel template and importing a plan from Excel.")


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
            _fail(f"không có đơn vị mã / no unit with code: {unit_code!r}")
    target = Path(path)
    if target.is_dir() or not target.parent.is_dir():
        _fail(f"cần một tên tệp .xlsx trong một thư mục có sẵn / not a file path: {path}")
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
    """Import the plan in the XLSX file PATH into the unit's plan of that year and kind
    (created as a draft when missing); prints the preview, and exits 1 on errors."""


    source = Path(path)
    if not source.is_file():
        _fail(f"không có tệp / no such file: {path}")
    with source.open("rb") as f:
        data = f.read(plan_import.MAX_FILE_BYTES + 1)  # one byte over is enough to refuse
    try:
        plan, created = plan_import.plan_for(unit_code, year, kind, title)
        plan_import.check_can_import(None, plan)
    except RuleViolation as e:
        _fail(e.message)
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
        plan, unclear = plans.issue(plan, None)
    except RuleViolation as e:
        _fail(e.message)
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


def register(app: Flask) -> None:

    register_backup(app)  # flask db backup / backup-check / restore
    app.cli.add_command(plans_cli)
    app.cli.add_command(units_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(overdue_cli)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(assess_cli)
    app.cli.add_command(quality_cli)

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database already has units.")
    def seed_demo(if_empty: bool) -> None:
        """Load the demo province, its people and its 2026 CCHC plan."""

        if if_empty and db.session.scalar(select(func.count(Unit.id))):
            click.echo("Cơ sở dữ liệu đã có dữ liệu; bỏ qua dữ liệu mẫu.")
            return
        try:
            summary = demo.seed(local_today(), current_settings())
        except RuleViolation as e:
            _fail(e.message)
        db.session.commit()
        click.echo(summary)

    @app.cli.command("banner")
    def banner() -> None:
        """Print where the app listens and the demo accounts."""

        click.echo(demo.banner())
