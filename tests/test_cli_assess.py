"""`flask assess run` and `flask assess export` (issue 4).

TODAY is 15/06/2026. The scenario: world.task (SNV, deputy_a accountable) completed on
01/06, on time; world.task2 (SNV, head_a accountable) moved to 10/06 and still open,
overdue; world.task_b (SKHCN) due 30/06, within its deadline."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AssessmentRun, AuditLog, Task
from tests.conftest import issue_world_plans


@pytest.fixture
def world(world):
    """The shared world with its plans issued: tasks of draft plans are neither flagged,
    reminded, listed as overdue nor scored (DESIGN.md 4)."""
    issue_world_plans(world)
    return world


@pytest.fixture
def scenario(world):
    db.session.execute(update(Task).where(Task.id == world.task.id)
                       .values(status="completed", completed_on=date(2026, 6, 1)))
    db.session.execute(update(Task).where(Task.id == world.task2.id).values(due_on=date(2026, 6, 10)))
    db.session.commit()
    return world


def invoke(runner, *args):
    db.session.commit()
    return runner.invoke(args=["assess", *args])


def line_of(output: str, start: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(start))


def runs() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(AssessmentRun.id)))


# ------------------------------------------------------------ run

def test_run_prints_unit_and_leader_tables(runner, scenario):
    result = invoke(runner, "run", "--period", "2026-Q2")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Quý II năm 2026 (01/04/2026 - 30/06/2026), tính đến ngày 15/06/2026" in out
    assert "ĐƠN VỊ" in out and "LÃNH ĐẠO" in out
    header = line_of(out, "Mã đơn vị")
    for h in ("Tên đơn vị", "Số nhiệm vụ", "Đến hạn", "Tỷ lệ hoàn thành (%)", "Điểm trách nhiệm",
              "Xếp loại", "Số lần gia hạn"):
        assert h in header
    snv = line_of(out, "SNV ")
    assert "Sở Nội vụ" in snv and "50.00" in snv and "Hoàn thành nhiệm vụ" in snv
    skhcn = line_of(out, "SKHCN")
    assert "Chưa đánh giá" in skhcn
    head = line_of(out, "head_a")
    assert "Trần Văn Hùng" in head and "Người đứng đầu" in head and "50.00" in head
    deputy = line_of(out, "deputy_a")
    assert "Cấp phó" in deputy and "100.00" in deputy and "Hoàn thành xuất sắc nhiệm vụ" in deputy
    assert "Chưa đánh giá" in line_of(out, "deputy_b")
    assert runs() == 0


def test_run_aligns_the_columns(runner, scenario):
    out = invoke(runner, "run", "--period", "2026-Q2").output.splitlines()
    start = out.index(line_of("\n".join(out), "Mã đơn vị"))
    header, rule = out[start], out[start + 1]
    col = header.index("Điểm trách nhiệm")
    width = len("Điểm trách nhiệm")
    # Numbers end at the right edge of their column, under the header.
    assert rule[col:col + width] == "-" * width
    assert line_of("\n".join(out), "SNV ")[col:col + width].strip() == "50.00"
    assert line_of("\n".join(out), "SNV ")[col + width - 1] == "0"
    assert line_of("\n".join(out), "SKHCN")[col:col + width].strip() == "-"


def test_run_defaults_as_of_to_the_end_of_a_past_period(runner, scenario):
    result = invoke(runner, "run", "--period", "2026-Q1")
    assert result.exit_code == 0, result.output
    assert "tính đến ngày 31/03/2026" in result.output


def test_run_with_as_of(runner, scenario):
    result = invoke(runner, "run", "--period", "2026-Q2", "--as-of", "2026-06-10")
    assert result.exit_code == 0, result.output
    assert "tính đến ngày 10/06/2026" in result.output
    # DESIGN.md 5: 10/06 is a past day (today is 15/06), so the whole of it is over: the
    # task due that day and not completed by its end is overdue beside the on-time one.
    snv = line_of(result.output, "SNV ")
    assert "50.00" in snv and "100.00" not in snv


def test_run_as_of_today_leaves_a_task_due_today_within_its_deadline(runner, scenario):
    """As of today, today is not over: a task due today is not overdue until tomorrow."""
    db.session.execute(update(Task).where(Task.id == scenario.task2.id)
                       .values(due_on=date(2026, 6, 15)))
    result = invoke(runner, "run", "--period", "2026-Q2", "--as-of", "2026-06-15")
    assert result.exit_code == 0, result.output
    assert "100.00" in line_of(result.output, "SNV ")
    result = invoke(runner, "run", "--period", "2026-Q2", "--as-of", "2026-06-14")
    assert "100.00" in line_of(result.output, "SNV ")  # not yet due on 14/06
    db.session.execute(update(Task).where(Task.id == scenario.task2.id)
                       .values(due_on=date(2026, 6, 14)))
    result = invoke(runner, "run", "--period", "2026-Q2", "--as-of", "2026-06-14")
    assert "50.00" in line_of(result.output, "SNV ")  # due on a past as-of day: overdue


def test_run_for_a_unit_and_its_sub_units(runner, scenario):
    out = invoke(runner, "run", "--period", "2026-Q2", "--unit", "SNV").output
    assert "SNV " in out and "SKHCN" not in out and "P66" not in out
    assert "head_b" not in out and "head_a" in out
    out = invoke(runner, "run", "--period", "2026-Q2", "--unit", "P66").output
    assert all(code in out for code in ("P66", "SNV", "SKHCN"))


def test_run_freeze_stores_versions(runner, scenario):
    result = invoke(runner, "run", "--period", "2026-Q2", "--freeze")
    assert result.exit_code == 0, result.output
    assert "Đã chốt kỳ 2026-Q2 (all), phiên bản 1" in result.output
    assert "bản chốt phiên bản 1" in result.output
    assert "50.00" in line_of(result.output, "SNV ")
    again = invoke(runner, "run", "--period", "2026-Q2", "--freeze")
    assert "phiên bản 2" in again.output
    scoped = invoke(runner, "run", "--period", "2026-Q2", "--unit", "SNV", "--freeze")
    assert "Đã chốt kỳ 2026-Q2 (SNV), phiên bản 1" in scoped.output
    assert runs() == 3
    assert db.session.scalar(select(func.count(AuditLog.id))
                             .where(AuditLog.action == "assessment.freeze")) == 3


# ------------------------------------------------------------ export

def test_export_xlsx(runner, scenario, tmp_path):
    path = tmp_path / "danh-gia.xlsx"
    result = invoke(runner, "export", "--period", "2026-Q2", "--format", "xlsx", "--output", str(path))
    assert result.exit_code == 0, result.output
    assert str(path) in result.output
    wb = load_workbook(path)
    assert wb.sheetnames == ["Đơn vị", "Lãnh đạo", "Nhiệm vụ"]
    ws = wb["Đơn vị"]
    assert ws["A1"].value == "UBND TỈNH ĐẮK LẮK"  # the root of the tree, in capitals
    assert any(c.value == "Đắk Lắk, ngày 15 tháng 6 năm 2026" for c in ws[3])
    codes = [r[2] for r in ws.iter_rows(values_only=True)]
    assert {"P66", "SNV", "SKHCN"} <= set(codes)


def test_export_xlsx_for_a_unit(runner, scenario, tmp_path):
    path = tmp_path / "snv.xlsx"
    result = invoke(runner, "export", "--period", "2026-Q2", "--unit", "SNV", "--format", "xlsx",
                    "--output", str(path), "--place", "Buôn Ma Thuột")
    assert result.exit_code == 0, result.output
    ws = load_workbook(path)["Nhiệm vụ"]
    assert [ws["A1"].value, ws["A2"].value] == ["UBND TỈNH ĐẮK LẮK", "SỞ NỘI VỤ"]
    assert any(c.value == "Buôn Ma Thuột, ngày 15 tháng 6 năm 2026" for c in ws[3])
    assert {r[1] for r in ws.iter_rows(min_row=9, values_only=True) if r[1]} == {"Sở Nội vụ"}


def test_export_csv_folder(runner, scenario, tmp_path):
    folder = tmp_path / "csv"
    result = invoke(runner, "export", "--period", "2026-Q2", "--as-of", "2026-06-15", "--format", "csv",
                    "--output", str(folder))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["don-vi.csv", "lanh-dao.csv", "nhiem-vu.csv"]
    data = (folder / "don-vi.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    # the Vietnamese Excel dialect (issue 17): ";" between fields, a decimal comma
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0][:3] == ["STT", "Tên đơn vị", "Mã đơn vị"]
    snv = next(r for r in rows if r[2] == "SNV")
    assert snv[11:13] == ["50,00", "Hoàn thành nhiệm vụ"]


def test_export_a_frozen_version(runner, scenario, tmp_path):
    invoke(runner, "run", "--period", "2026-Q2", "--freeze")
    db.session.execute(update(Task).where(Task.id == scenario.task2.id)
                       .values(status="completed", completed_on=date(2026, 6, 12)))
    db.session.commit()
    folder = tmp_path / "v1"
    result = invoke(runner, "export", "--period", "2026-Q2", "--version", "1", "--format", "csv",
                    "--output", str(folder))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO((folder / "don-vi.csv").read_text("utf-8-sig"), newline=""),
                           delimiter=";"))
    assert next(r for r in rows if r[2] == "SNV")[11] == "50,00"  # as frozen, not the live 87.50
    live = tmp_path / "live"
    invoke(runner, "export", "--period", "2026-Q2", "--format", "csv", "--output", str(live))
    rows = list(csv.reader(io.StringIO((live / "don-vi.csv").read_text("utf-8-sig"), newline=""),
                           delimiter=";"))
    assert next(r for r in rows if r[2] == "SNV")[11] == "87,50"


# ------------------------------------------------------------ bad input

@pytest.mark.parametrize("command", ["run", "export"])
@pytest.mark.parametrize("args, message", [
    (["--period", "2026-Q5"], "kỳ đánh giá không hợp lệ / not a period: '2026-Q5'"),
    (["--period", "abc"], "kỳ đánh giá không hợp lệ / not a period: 'abc'"),
    (["--period", "2026-13"], "kỳ đánh giá không hợp lệ"),
    (["--period", ""], "kỳ đánh giá không hợp lệ"),
    (["--period", "2026", "--as-of", "2026-02-30"], "ngày không hợp lệ, cần dạng YYYY-MM-DD"),
    (["--period", "2026", "--as-of", "abc"], "ngày không hợp lệ, cần dạng YYYY-MM-DD / not a date"),
    (["--period", "2026", "--as-of", "15/06/2026"], "ngày không hợp lệ"),
    (["--period", "2026", "--as-of", ""], "ngày không hợp lệ"),
    (["--period", "2026", "--as-of", "2026-06-16"],
     "ngày tính điểm 16/06/2026 sau ngày hôm nay 15/06/2026"),
    (["--period", "2026", "--unit", "NOPE"], "không có đơn vị mã / no unit with code: 'NOPE'"),
])
def test_bad_input_fails_clearly(runner, scenario, tmp_path, command, args, message):
    extra = ["--format", "xlsx", "--output", str(tmp_path / "x.xlsx")] if command == "export" else ["--freeze"]
    result = invoke(runner, command, *args, *extra)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert runs() == 0
    assert not (tmp_path / "x.xlsx").exists()


def test_export_refuses_bad_options(runner, scenario, tmp_path):
    base = ["export", "--period", "2026-Q2"]
    bad_format = invoke(runner, *base, "--format", "pdf", "--output", str(tmp_path / "x"))
    assert bad_format.exit_code == 2 and "'pdf' is not one of 'xlsx', 'csv'" in bad_format.stderr
    assert invoke(runner, *base, "--format", "xlsx").exit_code == 2  # --output missing
    no_folder = invoke(runner, *base, "--format", "xlsx", "--output", str(tmp_path / "no" / "x.xlsx"))
    assert no_folder.exit_code == 2 and "không có thư mục / no such folder" in no_folder.stderr
    a_folder = invoke(runner, *base, "--format", "xlsx", "--output", str(tmp_path))
    assert a_folder.exit_code == 2 and "--output is a folder" in a_folder.stderr
    (tmp_path / "file.txt").write_text("x")
    a_file = invoke(runner, *base, "--format", "csv", "--output", str(tmp_path / "file.txt"))
    assert a_file.exit_code == 2 and "--output must be a folder" in a_file.stderr
    no_run = invoke(runner, *base, "--version", "9", "--format", "csv", "--output", str(tmp_path / "c"))
    assert no_run.exit_code == 2 and "phiên bản 9" in no_run.stderr
    mixed = invoke(runner, *base, "--version", "1", "--as-of", "2026-06-01", "--format", "csv",
                   "--output", str(tmp_path / "c"))
    assert mixed.exit_code == 2 and "--as-of cannot be combined with --version" in mixed.stderr


def test_run_and_export_list_the_work_added_after_issue(runner, scenario, tmp_path):
    """The overdue task was added after issue (bổ sung): `flask assess run` lists it beside
    the unit's and the head's scores, as the amendments; a frozen version and its export too."""
    db.session.execute(update(Task).where(Task.id == scenario.task2.id).values(added_after_issue=True))
    db.session.commit()
    out = invoke(runner, "run", "--period", "2026-Q2", "--freeze").output
    lines = out.splitlines()
    for start, who in (("Mã đơn vị", "SNV "), ("Tên đăng nhập", "head_a"), ("Tên đăng nhập", "deputy_a")):
        header = line_of(out, start)
        col, width = header.index("Số nhiệm vụ bổ sung"), len("Số nhiệm vụ bổ sung")
        assert header.index("Số lần điều chỉnh") < col < header.index("Số nhiệm vụ hủy")
        row = next(line for line in lines[lines.index(header):] if line.startswith(who))
        assert row[col:col + width].strip() == ("0" if who == "deputy_a" else "1"), row
    folder = tmp_path / "v1"
    result = invoke(runner, "export", "--period", "2026-Q2", "--version", "1", "--format", "csv",
                    "--output", str(folder))
    assert result.exit_code == 0, result.output

    def read(name):
        return list(csv.reader(io.StringIO((folder / name).read_text("utf-8-sig"), newline=""),
                               delimiter=";"))

    units = read("don-vi.csv")
    assert next(r for r in units if r[2] == "SNV")[units[0].index("Số nhiệm vụ bổ sung")] == "1"
    tasks = read("nhiem-vu.csv")
    col = tasks[0].index("Bổ sung sau khi ban hành")
    assert {r[3]: r[col] for r in tasks[1:]}[scenario.task2.title] == "Có"
    assert {r[3]: r[col] for r in tasks[1:]}[scenario.task.title] == "Không"
