"""`flask assess`: scores, frozen runs and exports of a period (DESIGN.md section 5)."""

from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.assessment import export as ex
from app.assessment import service as assessment
from app.assessment.service import period_label
from app.cli.common import fail
from app.clock import local_today
from app.domain import scoring
from app.extensions import db
from app.models import AssessmentRun, Role, Unit, User
from app.quality import queries as quality
from app.reports import document
from app.settings import current_settings

assess_cli = AppGroup("assess", help="Assessment (DESIGN.md section 5): scores, frozen runs, exports.")
PERIOD_HELP = "2026 (năm), 2026-H1 (6 tháng), 2026-Q3 (quý) hoặc 2026-07 (tháng)."


def _assess_inputs(period_code: str, as_of_text: str | None, unit_code: str | None):
    """The period, the as-of date (default: the period's last day, or today if earlier;
    after today refused), the scope unit and the settings in force; bad input fails."""
    try:
        period = scoring.parse_period(period_code)
    except ValueError:
        fail(f"kỳ đánh giá không hợp lệ / not a period: {period_code!r} (cần dạng / expected: {PERIOD_HELP})")
    today = local_today()
    if as_of_text is None:
        as_of = scoring.default_as_of(period, today)
    else:
        try:
            as_of = date.fromisoformat(as_of_text.strip())
        except ValueError:
            fail(f"ngày không hợp lệ, cần dạng YYYY-MM-DD / not a date (YYYY-MM-DD): {as_of_text!r}")
        if as_of > today:
            fail(f"ngày tính điểm {as_of:%d/%m/%Y} sau ngày hôm nay {today:%d/%m/%Y} / "
                  f"the as-of date is after today")
    unit = None
    if unit_code is not None:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code.strip()))
        if unit is None:
            fail(f"không có đơn vị mã / no unit with code: {unit_code!r}")
    return period, as_of, unit, current_settings().scoring


def _assessor() -> User:
    """Whom the command line reads as: it is run by the administrator or the assessor, who
    see every unit's quality result (quality.designs). Never added to the session."""
    return User(role=Role.ASSESSOR, extra_roles="", unit_id=None)


def _as_the_assessor_sees_it(report):
    """The report with what the assessor's web pages and export show beside the task score:
    each unit's and leader's quality of operation (DESIGN.md 8). Both `run` and `export`
    go through here, so the terminal and the files carry the same columns."""
    quality.attach_results(_assessor(), report, report.settings)
    return report


def _echo_report(report) -> None:
    run = f", bản chốt phiên bản {report.run.version}" if report.run is not None else ""
    click.echo(f"{period_label(report.period.code)} ({report.period.start:%d/%m/%Y} - {report.period.end:%d/%m/%Y}), "
               f"tính đến ngày {report.as_of:%d/%m/%Y}{run}")
    click.echo("")
    click.echo("ĐƠN VỊ")
    # On a terminal the code leads each line (the files number their rows instead).
    depths = {u.code: max(u.depth, 0) for u in report.units}
    rows, depth = [], 0
    for row in ex.unit_rows(report):
        # a "kể cả đơn vị trực thuộc" line (no code) is indented as its unit's line above
        depth = depths.get(row[2], depth) if row[2] is not None else depth
        rows.append([row[2], "  " * depth + row[1], *row[3:]])
    h = ex.unit_headers(report)
    for line in ex.text_table((h[2], h[1], *h[3:]), rows):
        click.echo(line)
    click.echo("")
    click.echo("LÃNH ĐẠO")
    h = ex.leader_headers(report)
    leaders = ([r[4], r[1], r[2], r[3], *r[5:]] for r in ex.leader_rows(report))
    for line in ex.text_table((h[4], h[1], h[2], h[3], *h[5:]), leaders, numeric_from=4):
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
    _echo_report(_as_the_assessor_sees_it(report))
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
            fail("--as-of không dùng cùng --version: bản chốt có ngày tính riêng / "
                  "--as-of cannot be combined with --version")
        scope_key = unit.code if unit is not None else "all"
        run = db.session.scalar(select(AssessmentRun).where(
            AssessmentRun.period == period.code, AssessmentRun.scope_key == scope_key,
            AssessmentRun.version == version))
        if run is None:
            fail(f"không có bản chốt kỳ {period.code} ({scope_key}) phiên bản {version} / no such frozen run")
        report = assessment.load_run(run)
    else:
        report = assessment.live(period, as_of, settings, unit, today=local_today())
    _as_the_assessor_sees_it(report)
    path = Path(output)
    lines = issuer or document.default_issuer(unit)
    where = place if place is not None else document.default_place(unit)
    if fmt == "xlsx":
        if path.is_dir():
            fail(f"--output là một thư mục, cần tên tệp .xlsx / --output is a folder: {output}")
        if not path.parent.is_dir():
            fail(f"không có thư mục / no such folder: {path.parent}")
        with path.open("wb") as f:
            ex.write_xlsx(report, f, lines, where, local_today())
        written = [path]
    else:
        if path.exists() and not path.is_dir():
            fail(f"--output phải là một thư mục / --output must be a folder: {output}")
        written = ex.write_csv_folder(report, path)
    for p in written:
        click.echo(f"Đã ghi / wrote {p}")
