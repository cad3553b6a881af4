"""`flask plans template` and `flask plans import` (issue 5)."""

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Plan, Task
from tests.plan_files import HEADERS, build, clear_row, real_plan


def invoke(runner, *args):
    db.session.commit()
    return runner.invoke(args=["plans", *args])


def n_tasks() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Task.id)))


def n_plans() -> int:
    return db.session.scalar(select(func.count(Plan.id)))


def test_template_writes_the_headers_and_the_units_lists(runner, world, tmp_path):
    target = tmp_path / "mau.xlsx"
    result = invoke(runner, "template", str(target), "--unit", "SNV")
    assert result.exit_code == 0, result.output
    assert f"Đã ghi / wrote {target}" in result.output
    wb = load_workbook(target)
    assert [c.value for c in wb["Kế hoạch"][1]] == HEADERS
    assert [c.value for c in wb["Danh mục"]["A"] if c.value] == ["Đơn vị", "Sở Nội vụ"]
    plain = invoke(runner, "template", str(tmp_path / "trong.xlsx"))
    assert plain.exit_code == 0 and load_workbook(tmp_path / "trong.xlsx")["Kế hoạch"].max_row == 1


def test_template_refuses_a_folder_and_an_unknown_unit(runner, world, tmp_path):
    assert invoke(runner, "template", str(tmp_path)).exit_code == 2
    bad = invoke(runner, "template", str(tmp_path / "x.xlsx"), "--unit", "KHONG")
    assert bad.exit_code == 2 and "no unit with code" in bad.output


def test_a_dry_run_prints_the_preview_and_writes_nothing(runner, world, tmp_path):
    data, _ = real_plan()
    path = tmp_path / "ke-hoach.xlsx"
    path.write_bytes(data)
    plans, tasks = n_plans(), n_tasks()
    result = invoke(runner, "import", str(path), "--unit", "SNV", "--year", "2026", "--kind", "work",
                    "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Kế hoạch / plan: Kế hoạch công tác năm 2026 (SNV, 2026) — tạo mới, bản nháp" in out
    assert "8 dòng nhiệm vụ: thêm 8, sửa 0, giữ nguyên 0." in out
    assert "2 dòng chưa đủ sáu rõ." in out
    assert "  II.1. Tăng cường công tác cải cách hành chính — Rõ người, Rõ việc" in out
    assert "Chạy thử: không ghi gì / dry run: nothing written." in out
    assert (n_plans(), n_tasks()) == (plans, tasks)


def test_import_creates_the_draft_plan_then_a_second_run_changes_nothing(runner, world, tmp_path):
    data, _ = real_plan()
    path = tmp_path / "ke-hoach.xlsx"
    path.write_bytes(data)
    tasks = n_tasks()
    result = invoke(runner, "import", str(path), "--unit", "SNV", "--year", "2026", "--kind", "digital",
                    "--title", "Kế hoạch chuyển đổi số của Sở Nội vụ năm 2026")
    assert result.exit_code == 0, result.output
    assert "Đã nhập trong" in result.output
    plan = db.session.scalar(select(Plan).where(Plan.unit_id == world.a.id, Plan.kind == "digital"))
    assert plan.title == "Kế hoạch chuyển đổi số của Sở Nội vụ năm 2026" and plan.status == "draft"
    assert n_tasks() == tasks + 8
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "plan",
                                                               AuditLog.object_id == plan.id)
                                 .order_by(AuditLog.id)).all()
    assert actions == ["plan.import", "plan.create"]
    again = invoke(runner, "import", str(path), "--unit", "SNV", "--year", "2026", "--kind", "digital")
    assert again.exit_code == 0, again.output
    assert "8 dòng nhiệm vụ: thêm 0, sửa 0, giữ nguyên 8." in again.output
    assert n_tasks() == tasks + 8


def test_the_default_kind_is_the_cchc_plan(runner, world, tmp_path):
    path = tmp_path / "them.xlsx"
    path.write_bytes(build([HEADERS, clear_row(3)]))
    result = invoke(runner, "import", str(path), "--unit", "SNV", "--year", "2026")
    assert result.exit_code == 0, result.output
    assert "Kế hoạch / plan: Kế hoạch CCHC năm 2026 (SNV, 2026)" in result.output
    assert "2 nhiệm vụ của kế hoạch không có trong tệp và được giữ nguyên." in result.output
    stts = db.session.scalars(select(Task.stt).where(Task.plan_id == world.plan.id)
                              .order_by(Task.order_key)).all()
    assert stts == ["1", "2", "3"]


def test_errors_exit_1_with_every_message_and_nothing_written(runner, world, tmp_path):
    path = tmp_path / "loi.xlsx"
    path.write_bytes(build([HEADERS, clear_row(1, due="31/02/2026"), clear_row(1, lead="XYZ")]))
    plans, tasks = n_plans(), n_tasks()
    result = invoke(runner, "import", str(path), "--unit", "SNV", "--year", "2026", "--kind", "work")
    assert result.exit_code == 1
    assert "3 lỗi, không nhập gì" in result.stderr
    assert "  Dòng 2, cột Hạn hoàn thành: 31/02/2026 không phải là ngày hợp lệ" in result.stderr
    assert "  Dòng 3, cột STT: số thứ tự 1 đã có ở dòng 2" in result.stderr
    assert "  Dòng 3, cột Đơn vị chủ trì: không có đơn vị nào có mã hoặc tên “XYZ”" in result.stderr
    assert (n_plans(), n_tasks()) == (plans, tasks)


def test_bad_arguments_are_refused(runner, world, tmp_path):
    missing = invoke(runner, "import", str(tmp_path / "khong-co.xlsx"), "--unit", "SNV", "--year", "2026")
    assert missing.exit_code == 2 and "no such file" in missing.output
    path = tmp_path / "a.xlsx"
    path.write_bytes(build([HEADERS, clear_row(1)]))
    unit = invoke(runner, "import", str(path), "--unit", "KHONG", "--year", "2026")
    assert unit.exit_code == 2 and "KHONG" in unit.output
    year = invoke(runner, "import", str(path), "--unit", "SNV", "--year", "1990")
    assert year.exit_code == 2
    kind = invoke(runner, "import", str(path), "--unit", "SNV", "--year", "2026", "--kind", "x")
    assert kind.exit_code == 2
    not_xlsx = tmp_path / "b.xlsx"
    not_xlsx.write_text("STT;Nhiệm vụ")
    refused = invoke(runner, "import", str(not_xlsx), "--unit", "SNV", "--year", "2026")
    assert refused.exit_code == 1
    assert "Tệp không phải là tệp Excel (.xlsx, .xls) hay Word (.docx) đọc được." in refused.stderr


def test_a_dry_run_prints_each_change_old_to_new(runner, world, tmp_path):
    path = tmp_path / "ke-hoach.xlsx"
    path.write_bytes(build([HEADERS, clear_row(1, weight=2)]))
    assert invoke(runner, "import", str(path), "--unit", "SNV", "--year", "2026",
                  "--kind", "work").exit_code == 0
    path.write_bytes(build([HEADERS, clear_row(1, due="31/10/2026", weight=3)]))
    result = invoke(runner, "import", str(path), "--unit", "SNV", "--year", "2026", "--kind", "work",
                    "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    i = lines.index("Dòng 2 (nhiệm vụ 1) sẽ thay đổi:")
    assert lines[i + 1:i + 3] == ["  Hạn hoàn thành: 30/09/2026 → 31/10/2026", "  Trọng số: 2 → 3"]
    task = db.session.scalar(select(Task).join(Plan).where(Plan.kind == "work", Task.stt == "1"))
    assert task.due_on.isoformat() == "2026-09-30"      # a dry run writes nothing
# ---- flask plans issue (issue 11, item 7) ----------------------------------------------------

def test_issue_issues_the_draft_and_tells_each_person(runner, world):
    from app.models import Notification

    result = invoke(runner, "issue", "--unit", "SNV", "--year", "2026")
    assert result.exit_code == 0, result.output
    assert "Đã ban hành kế hoạch / issued" in result.output
    db.session.expire_all()
    plan = db.session.get(Plan, world.plan.id)
    assert plan.status == "issued" and plan.issued_by_id is None
    assert db.session.scalar(select(func.count(Notification.id))
                             .where(Notification.kind == "assigned")) == 2
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "plan.issue"))
    assert log is not None and log.actor_id is None
    again = invoke(runner, "issue", "--unit", "SNV", "--year", "2026")
    assert again.exit_code == 2 and "Chỉ ban hành được kế hoạch đang ở trạng thái dự thảo" in again.output


def test_issue_is_refused_with_the_unclear_tasks_as_the_page_lists_them(runner, world, make):
    vague = make.task(world.plan, world.head, world.a, None, world.deputy,
                      title="Tăng cường công tác cải cách hành chính", output_product="")
    result = invoke(runner, "issue", "--unit", "SNV", "--year", "2026", "--kind", "cchc")
    assert result.exit_code == 1
    assert "1 nhiệm vụ chưa đủ sáu rõ" in result.output
    assert f"{vague.stt}. Tăng cường công tác cải cách hành chính" in result.output
    assert "Rõ người: Chưa có người thực hiện" in result.output
    db.session.expire_all()
    assert db.session.get(Plan, world.plan.id).status == "draft"


def test_issue_names_a_missing_unit_or_plan(runner, world):
    bad = invoke(runner, "issue", "--unit", "KHONG", "--year", "2026")
    assert bad.exit_code == 2 and "Không có đơn vị mã KHONG" in bad.output
    none = invoke(runner, "issue", "--unit", "SNV", "--year", "2026", "--kind", "digital")
    assert none.exit_code == 2 and "chưa có kế hoạch loại này" in none.output


def test_import_reads_a_word_document_and_an_old_xls(runner, world, tmp_path):
    """Issue 14: `flask plans import` takes the plan as it was issued."""
    from tests.plan_docs import word, xls
    from tests.services.test_plan_import_formats import WORD_PLAN

    tasks = n_tasks()
    doc = tmp_path / "ke-hoach.docx"
    doc.write_bytes(word(WORD_PLAN))
    result = invoke(runner, "import", str(doc), "--unit", "SNV", "--year", "2026", "--kind", "work")
    assert result.exit_code == 0, result.output
    assert "4 dòng nhiệm vụ: thêm 4, sửa 0, giữ nguyên 0." in result.output
    old = tmp_path / "ke-hoach-cu.xls"
    old.write_bytes(xls("ke-hoach-cu.xls"))
    result = invoke(runner, "import", str(old), "--unit", "SNV", "--year", "2026", "--kind", "other")
    assert result.exit_code == 0, result.output
    assert n_tasks() == tasks + 7


def test_import_reads_word_and_old_excel_plans_as_written(runner, world, tmp_path):
    """Issue 14: the corpus's Word plan with groups of units and its old .xls, by content."""
    from pathlib import Path

    from app.directory import units
    units.add_unit("XEK", "UBND xã Ea Kao", "P66", kind="commune")
    units.add_unit("PTL", "UBND phường Tân Lập", "P66", kind="ward")
    corpus = Path(__file__).parent / "data" / "plans" / "corpus"
    path = tmp_path / "nhom.bin"  # the name says nothing: the content decides
    path.write_bytes((corpus / "05-nhom-don-vi.docx").read_bytes())
    tasks = n_tasks()
    result = invoke(runner, "import", str(path), "--unit", "P66", "--year", "2026", "--kind", "work")
    assert result.exit_code == 0, result.output
    assert ("Nhiệm vụ 1 giao cho nhóm “Các sở, ban, ngành”: mỗi đơn vị một nhiệm vụ con: "
            "Sở Khoa học và Công nghệ, Sở Nội vụ.") in result.output
    assert n_tasks() == tasks + 7
    old = tmp_path / "cu.xls"
    old.write_bytes((corpus / "02-ke-hoach-cu.xls").read_bytes())
    result = invoke(runner, "import", str(old), "--unit", "P66", "--year", "2026", "--kind", "cchc",
                    "--dry-run")
    assert result.exit_code == 0, result.output
    assert "3 dòng nhiệm vụ: thêm 3, sửa 0, giữ nguyên 0." in result.output
