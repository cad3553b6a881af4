"""The plan's Excel pages (issue 5): upload -> preview -> confirm, the errors page (422),
the stored upload and its token, the template, the export and the printable plan (breaking
a plan down is in test_breakdown_web.py)."""

import io
from datetime import date
from pathlib import Path

from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import func, select
from web_support import parse

from app.extensions import db
from app.models import Plan, Task, User
from tests.plan_files import HEADERS, build, clear_row, real_plan


def n_tasks() -> int:
    db.session.rollback()
    n = db.session.scalar(select(func.count(Task.id)))
    db.session.rollback()
    return n


def upload(client, plan_id: int, data: bytes, name: str = "ke-hoach.xlsx"):
    # Redirect after post: the preview is its own page, read by GET (issue 17).
    return client.post(f"/plans/{plan_id}/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def new_plan(world, make):
    return make.plan(world.a, kind="work", title="Kế hoạch công tác năm 2026")


def stored() -> list[Path]:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "imports"
    return sorted(folder.glob("*.json")) if folder.exists() else []


def test_upload_shows_the_preview_then_confirm_imports_it(world, make, as_user):
    plan = new_plan(world, make)
    c = as_user("head_a")
    page = parse(c.get(f"/plans/{plan.id}").get_data(as_text=True))
    assert page.by_id("import-plan").attrs["href"] == f"/plans/{plan.id}/import"
    form_page = c.get(f"/plans/{plan.id}/import")
    assert form_page.status_code == 200
    assert "Nhập từ Excel" in form_page.get_data(as_text=True)

    before = n_tasks()
    data, exp = real_plan()
    resp = upload(c, plan.id, data)
    assert resp.status_code == 200
    doc = parse(resp.get_data(as_text=True))
    rows = doc.by_id("import-rows").find_all("tr", **{"data-action": "add"})
    assert [r.attrs["data-stt"] for r in rows] == exp["stts"]
    # Sub-tasks indented by the depth of their number (issue 17); a Roman section's own
    # number (I.2 is the second task of section I) is not a level.
    def depth(stt: str) -> int:
        parts = stt.strip(".").split(".")
        roman = len(parts) > 1 and parts[0] and not parts[0].strip("IVXLC")
        return min(len(parts) - 1 - (1 if roman else 0), 4)

    assert [int(r.attrs["data-depth"]) for r in rows] == [depth(s) for s in exp["stts"]]
    assert any("sub-depth-1" in r.classes for r in rows) == any(depth(s) == 1 for s in exp["stts"])
    for r in rows:
        assert len([b for b in r.iter() if "data-clear" in b.attrs]) == 6
    vague = doc.find("tr", **{"data-stt": "II.1"})
    assert vague.find(**{"data-clear": "person", "data-ok": "0"}) is not None
    summary = doc.by_id("import-summary").text()
    assert "8 nhiệm vụ sẽ được thêm" in summary
    assert "2 nhiệm vụ chưa đủ sáu rõ" in summary
    assert "Lĩnh vực mới sẽ được tạo: Cải cách thể chế" in summary
    assert n_tasks() == before                               # a preview writes nothing
    token = doc.find("input", name="token").attrs["value"]
    assert [p.name for p in stored()] == [f"{token}.json"]

    done = c.post(f"/plans/{plan.id}/import/confirm", data={"token": token})
    assert done.status_code == 302 and done.headers["Location"] == f"/plans/{plan.id}"
    assert n_tasks() == before + 8
    assert stored() == []
    html = c.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "Đã nhập tệp: thêm 8 nhiệm vụ, sửa 0, giữ nguyên 0." in html
    assert "2 nhiệm vụ chưa đủ sáu rõ: kế hoạch chưa thể ban hành" in html
    assert len([n for n in parse(html).iter() if n.tag == "tr" and "data-task-id" in n.attrs]) == 8
    # The token is spent: confirming again finds nothing.
    assert c.post(f"/plans/{plan.id}/import/confirm", data={"token": token}).status_code == 404
    assert n_tasks() == before + 8


def test_the_preview_is_reached_by_redirect_after_post(world, make, as_user):
    """Issue 17: the upload answers 303 to the preview's own address, which is read by GET
    (reloading or coming back never posts the file again); once imported, that address sends
    back to the upload form with a word, and it is nobody else's."""
    plan = new_plan(world, make)
    c = as_user("head_a")
    data, _exp = real_plan()
    resp = c.post(f"/plans/{plan.id}/import", data={"file": (io.BytesIO(data), "kh.xlsx")},
                  content_type="multipart/form-data")
    assert resp.status_code == 303
    location = resp.headers["Location"]
    token = location.rsplit("/", 1)[1]
    assert location == f"/plans/{plan.id}/import/{token}" and len(token) == 32
    first, again = c.get(location), c.get(location)   # a reload: the same preview, nothing posted
    assert first.status_code == again.status_code == 200
    assert parse(again.get_data(as_text=True)).find("input", name="token").attrs["value"] == token
    before = n_tasks()
    assert as_user("head_b").get(location).status_code in (403, 404)  # not theirs
    c = as_user("head_a")
    assert c.post(f"/plans/{plan.id}/import/confirm", data={"token": token}).status_code == 302
    assert n_tasks() > before
    back = c.get(location)
    assert back.status_code == 302 and back.headers["Location"] == f"/plans/{plan.id}/import"
    assert "tải tệp lên lại" in c.get(back.headers["Location"]).get_data(as_text=True)


def test_a_broken_file_answers_422_with_every_error_and_nothing_to_confirm(world, make, as_user):
    plan = new_plan(world, make)
    c = as_user("head_a")
    before = n_tasks()
    data = build([["DANH MỤC NHIỆM VỤ"], HEADERS, clear_row(1, due="31/02/2026"),
                  clear_row(2, assignee="Nguyễn Văn Vắng")])
    resp = upload(c, plan.id, data)
    assert resp.status_code == 422
    doc = parse(resp.get_data(as_text=True))
    errors = [li.text() for li in doc.by_id("import-errors").find_all("li")]
    assert errors == ["Dòng 3, cột Hạn hoàn thành: 31/02/2026 không phải là ngày hợp lệ",
                      ("Dòng 4, cột Người thực hiện: không tìm thấy người dùng “Nguyễn Văn Vắng” trong "
                      "Sở Nội vụ (ghi tên đăng nhập, email hoặc họ tên)")]
    # The rows are kept so that the columns may be corrected (issue 14); there is nothing to
    # confirm, and confirming the token anyway is refused with the same errors.
    assert doc.by_id("confirm-import") is None and len(stored()) == 1
    token = doc.find("input", name="token").attrs["value"]
    again = c.post(f"/plans/{plan.id}/import/confirm", data={"token": token})
    assert again.status_code == 422
    assert "31/02/2026 không phải là ngày hợp lệ" in again.get_data(as_text=True)
    assert n_tasks() == before


def test_refused_uploads_keep_the_form(world, make, as_user):
    plan = new_plan(world, make)
    c = as_user("head_a")
    empty = c.post(f"/plans/{plan.id}/import", data={}, content_type="multipart/form-data")
    assert empty.status_code == 422
    assert "Hãy chọn tệp kế hoạch." in empty.get_data(as_text=True)
    # The body built by hand: the test client would leave its own temporary file open.
    boundary = "sauro-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="lon.xlsx"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() \
        + b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024 + 10) + f"\r\n--{boundary}--\r\n".encode()
    big = c.post(f"/plans/{plan.id}/import", data=body,
                 content_type=f"multipart/form-data; boundary={boundary}")
    assert big.status_code == 422 and "Tệp lớn hơn 10 MB." in big.get_data(as_text=True)
    text = upload(c, plan.id, "STT,Nhiệm vụ".encode(), "ke-hoach.csv")
    assert text.status_code == 422
    assert "Tệp không phải là tệp Excel (.xlsx, .xls) hay Word (.docx) đọc được." in text.get_data(as_text=True)


def test_a_closed_plan_refuses_uploads(world, make, as_user):
    plan = new_plan(world, make)
    plan.status = "closed"
    db.session.commit()
    c = as_user("head_a")
    assert "Nhập từ Excel" not in c.get(f"/plans/{plan.id}").get_data(as_text=True)
    resp = upload(c, plan.id, build([HEADERS, clear_row(1)]))
    assert resp.status_code == 422 and "Kế hoạch này đã kết thúc." in resp.get_data(as_text=True)
    assert stored() == []


def test_a_token_belongs_to_its_user_and_plan(world, make, as_user):
    plan = new_plan(world, make)
    other_plan = make.plan(world.a, kind="digital", title="Kế hoạch chuyển đổi số")
    c = as_user("head_a")
    resp = upload(c, plan.id, build([HEADERS, clear_row(1)]))
    token = parse(resp.get_data(as_text=True)).find("input", name="token").attrs["value"]
    assert c.post(f"/plans/{other_plan.id}/import/confirm", data={"token": token}).status_code == 404
    for forged in ("../../etc/passwd", "0" * 32, token.upper(), ""):
        assert c.post(f"/plans/{plan.id}/import/confirm", data={"token": forged}).status_code in (400, 404)
    # Another head of the same unit cannot spend it.
    make.user(world.a, "head", "Phó Giám Đốc Thường Trực", "head_a2")
    c2 = as_user("head_a2")
    assert c2.post(f"/plans/{plan.id}/import/confirm", data={"token": token}).status_code == 404
    assert n_tasks() == 3


def test_confirm_checks_again_and_refuses_what_became_wrong(world, make, as_user):
    plan = new_plan(world, make)
    c = as_user("head_a")
    resp = upload(c, plan.id, build([HEADERS, clear_row(1, assignee="staff_a2")]))
    token = parse(resp.get_data(as_text=True)).find("input", name="token").attrs["value"]
    person = db.session.get(User, world.staff2.id)
    person.is_active = False
    db.session.commit()
    again = c.post(f"/plans/{plan.id}/import/confirm", data={"token": token})
    assert again.status_code == 422
    assert ("Dòng 2, cột Người thực hiện: không tìm thấy người dùng “staff_a2” trong Sở Nội vụ"
            in again.get_data(as_text=True))
    assert n_tasks() == 3


def test_the_template_and_the_export_download_as_xlsx(world, as_user):
    c = as_user("staff_a")
    resp = c.get(f"/plans/{world.plan.id}/template.xlsx")
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "ke-hoach-SNV-2026-cchc-mau.xlsx" in resp.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.get_data()))
    assert [c_.value for c_ in wb["Kế hoạch"][1]] == HEADERS
    resp = c.get(f"/plans/{world.plan.id}/export.xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.get_data()))["Kế hoạch"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    assert [r[0] for r in rows[1:]] == ["1", "2"]
    assert rows[1][3] == "Sở Nội vụ" and rows[1][5] == "Phạm Văn Đăng" and rows[1][6] == "Lê Thị Mai"
    assert rows[1][8] == "Dự thảo bộ chỉ số (hạn 01/03/2026)\nLấy ý kiến các sở, ngành (hạn 01/04/2026)"
    assert rows[1][10].date() == date(2026, 6, 30)


def test_the_printable_plan_has_the_official_header_and_every_task(world, as_user):
    plan = db.session.get(Plan, world.plan.id)
    plan.doc_number, plan.doc_date = "15/KH-SNV", date(2026, 1, 10)
    db.session.commit()
    resp = as_user("staff_a").get(f"/plans/{world.plan.id}/print")
    assert resp.status_code == 200
    doc = parse(resp.get_data(as_text=True))
    head = doc.by_id("letterhead").text()
    for text in ("UBND TỈNH ĐẮK LẮK", "SỞ NỘI VỤ", "Số: 15/KH-SNV", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Độc lập - Tự do - Hạnh phúc", "Đắk Lắk, ngày 10 tháng 01 năm 2026"):
        assert text in head, text
    assert doc.find("h1").text() == "KẾ HOẠCH"
    assert doc.find("h2").text() == "CCHC năm 2026"  # "KẾ HOẠCH" is not repeated (issue 17)
    rows = doc.by_id("plan-table").find("tbody").find_all("tr")
    assert [r.find("td").text() for r in rows] == ["1", "2"]
    assert "Số hóa hồ sơ thủ tục hành chính còn hiệu lực" in rows[1].text()
    assert doc.find("link", rel="stylesheet").attrs["href"].endswith("/css/plan-print.css")
    # The closing block: the recipients and who signs (the unit's head, until the plan is issued).
    closing = doc.by_id("closing")
    assert [d.text() for d in closing.find("td", cls="recipients").find_all("div")] == [
        "Nơi nhận:", "- UBND tỉnh Đắk Lắk (để báo cáo);",
        "- Các đơn vị, cá nhân có tên tại Kế hoạch (để thực hiện);", "- Lưu: VT."]
    assert closing.find(cls="signer-title").text() == "THỦ TRƯỞNG ĐƠN VỊ"
    assert closing.find(cls="signer-name").text() == "Trần Văn Hùng"


def test_the_printable_plan_of_a_department_is_signed_by_its_director(world, make, as_user):
    from app.directory import units

    dept = units.add_unit("STC", "Sở Tài chính", "P66", kind="department")
    db.session.commit()
    plan = make.plan(dept, title="Kế hoạch CCHC năm 2026 của Sở Tài chính")
    doc = parse(as_user("admin").get(f"/plans/{plan.id}/print").get_data(as_text=True))
    assert [d.text() for d in doc.by_id("letterhead").find("td", cls="issuer").find_all("div")][:2] == [
        "UBND TỈNH ĐẮK LẮK", "SỞ TÀI CHÍNH"]
    assert doc.by_id("plan-table").find("tbody").text() == "Kế hoạch này chưa có nhiệm vụ."
    assert [d.text() for d in doc.by_id("closing").find_all(cls="signer-title")] == ["GIÁM ĐỐC"]
    assert doc.by_id("closing").find(cls="signer-name").text() == ""


# ---- a score the scored cannot bend (issue 11) ---------------------------------------------

def _import(c, plan_id: int, data: bytes):
    resp = upload(c, plan_id, data)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    token = parse(resp.get_data(as_text=True)).find("input", name="token").attrs["value"]
    assert c.post(f"/plans/{plan_id}/import/confirm", data={"token": token}).status_code == 302


def _task(plan_id: int, stt: str) -> Task:
    db.session.rollback()
    t = db.session.scalar(select(Task).where(Task.plan_id == plan_id, Task.stt == stt))
    db.session.rollback()
    return t


def test_the_preview_shows_old_to_new_and_an_issued_plan_refuses_naming_the_column(
        world, make, as_user):
    from app.domain.task_rules import Violation
    from app.plans import service as plans
    from app.tasks.messages import message

    plan = new_plan(world, make)
    c = as_user("head_a")
    _import(c, plan.id, build([HEADERS, clear_row(1, weight=2)]))
    changed = build([HEADERS, clear_row(1, due="31/10/2026", weight=3)])
    resp = upload(c, plan.id, changed)
    assert resp.status_code == 200
    doc = parse(resp.get_data(as_text=True))
    row = doc.find("tr", **{"data-stt": "1"})
    assert row.attrs["data-action"] == "change"
    shown = {li.attrs["data-column"]: li.text() for li in row.find_all("li")}
    assert shown == {"Hạn hoàn thành": "Hạn hoàn thành: 30/09/2026 → 31/10/2026",
                     "Trọng số": "Trọng số: 2 → 3"}
    assert _task(plan.id, "1").due_on == date(2026, 9, 30)     # the preview wrote nothing

    plans.issue_plan(db.session.get(User, world.head.id), plan.id)
    db.session.commit()
    resp = upload(c, plan.id, changed)
    assert resp.status_code == 422
    errors = [li.text() for li in parse(resp.get_data(as_text=True)).by_id("import-errors").find_all("li")]
    with current_app.test_request_context():
        due = str(message(Violation("due_on", "due_locked")))
        weight = str(message(Violation("weight", "amend_not_here")))
    assert errors == [f"Dòng 2, cột Hạn hoàn thành: {due}", f"Dòng 2, cột Trọng số: {weight}"]
    t = _task(plan.id, "1")
    assert (t.due_on, t.original_due_on, t.weight) == (date(2026, 9, 30), date(2026, 9, 30), 2)


def test_a_completion_imported_into_a_draft_says_so_on_the_task_page(world, make, as_user):
    plan = new_plan(world, make)
    c = as_user("head_a")
    _import(c, plan.id, build([HEADERS, clear_row(1, completed="01/06/2026")]))
    t = _task(plan.id, "1")
    assert t.completion_imported_by_id == world.head.id
    html = c.get(f"/tasks/{t.id}").get_data(as_text=True)
    note = parse(html).by_id("completion-imported").text()
    assert note.startswith("Hoàn thành theo số liệu nhập (Trần Văn Hùng, ")
    assert "ghi nhận hoàn thành theo số liệu nhập từ tệp" in parse(html).by_id("history-list").text()
    # The plan export marks it too, on the completion date's cell.
    data = c.get(f"/plans/{plan.id}/export.xlsx").data
    ws = load_workbook(io.BytesIO(data))["Kế hoạch"]
    assert ws["S2"].value is not None
    assert ws["S2"].comment.text.startswith("Hoàn thành theo số liệu nhập (Trần Văn Hùng, ")
