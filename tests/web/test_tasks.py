"""Task journeys through the test client: the six-clears form, breakdown, progress with
evidence, steps, submission, confirmation and return, history, stale edits, the lists."""

import io
import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from web_support import (
    PDF,
    PNG,
    control,
    field_errors,
    field_value,
    new_task_data,
    page,
    root,
    row,
    snapshot,
    task_form_data,
    tr,
)

from app.extensions import db
from app.models import (
    AuditLog,
    Evidence,
    ProcessStep,
    Task,
    task_coordinators,
)
from tests.settings_support import override_settings

TODAY = root().TODAY


def task_id_from(resp) -> int:
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    m = re.fullmatch(r"/tasks/(\d+)", urlsplit(resp.headers["Location"]).path)
    assert m, resp.headers["Location"]
    return int(m.group(1))


def steps_of(task_id):
    db.session.rollback()
    out = db.session.execute(select(ProcessStep.id, ProcessStep.title, ProcessStep.due_on,
                                    ProcessStep.position, ProcessStep.is_done)
                             .where(ProcessStep.task_id == task_id)
                             .order_by(ProcessStep.position)).all()
    db.session.rollback()
    return out


def history_texts(c, task_id) -> list[str]:
    doc = page(c.get(f"/tasks/{task_id}"))
    return [li.text() for li in doc.by_id("history-list").find_all("li")]


def three_step_task(w, **kw):
    data = new_task_data(w.a.id, w.staff.id, w.deputy.id, **{
        "title": "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính còn hiệu lực",
        "steps-0-title": "Rà soát hồ sơ còn hiệu lực", "steps-0-due_on": "28/02/2026",
        "steps-1-title": "Scan và nhập dữ liệu", "steps-1-due_on": "30/04/2026",
        "steps-2-title": "Kiểm tra, ký số và lưu trữ", "steps-2-due_on": "30/06/2026",
        "start_on": "15/01/2026", "due_on": "30/06/2026",
        "coordinator_ids": [str(w.b.id), str(w.a1.id)],
        "indicator_name": "Tỷ lệ hồ sơ được số hóa", "indicator_unit": "%",
        "indicator_target": "100"})
    data.update(kw)
    return data


# ---- create, edit, break down -------------------------------------------------------

def test_create_task_with_the_six_clears(sw):
    w, c = sw.w, sw.cached("head")
    resp = c.get(f"/plans/{w.plan.id}/tasks/new")
    assert resp.status_code == 200
    doc = page(resp)
    for name in ("title", "lead_unit_id", "assignee_id", "coordinator_ids", "leader_id",
                 "responsibility", "steps-0-title", "steps-0-due_on", "start_on", "due_on",
                 "output_product", "indicator_target", "weight"):
        assert field_value(doc, name) is not None, name
    assert doc.find("select", name="coordinator_ids").attrs.get("multiple") is not None

    tid = task_id_from(c.post(f"/plans/{w.plan.id}/tasks/new", data=three_step_task(w)))
    t = row(Task, tid)
    assert t["title"] == "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính còn hiệu lực"
    assert (t["assignee_id"], t["lead_unit_id"], t["leader_id"]) == (w.staff.id, w.a.id, w.deputy.id)
    assert (t["start_on"], t["due_on"], t["original_due_on"]) == (
        date(2026, 1, 15), date(2026, 6, 30), date(2026, 6, 30))
    assert t["is_clear"] and t["status"] == "assigned" and t["plan_id"] == w.plan.id
    assert t["stt"] == "3"
    assert [(s.title, s.due_on, s.position) for s in steps_of(tid)] == [
        ("Rà soát hồ sơ còn hiệu lực", date(2026, 2, 28), 1),
        ("Scan và nhập dữ liệu", date(2026, 4, 30), 2),
        ("Kiểm tra, ký số và lưu trữ", date(2026, 6, 30), 3)]
    coords = set(db.session.scalars(select(task_coordinators.c.unit_id)
                                    .where(task_coordinators.c.task_id == tid)))
    assert coords == {w.b.id, w.a1.id}

    view = c.get(f"/tasks/{tid}")
    assert view.status_code == 200
    doc = page(view)
    badges = [n for n in doc.iter() if "data-clear" in n.attrs]
    assert len(badges) == 6 and all(b.attrs["data-ok"] == "1" for b in badges)
    text = doc.text()
    assert "15/01/2026" in text and "30/06/2026" in text and "28/02/2026" in text
    assert "Sở Khoa học và Công nghệ" in text and "Phòng Cải cách hành chính" in text
    assert "2026-06-30" not in text
    history = history_texts(c, tid)
    assert len(history) == 1 and "Trần Văn Hùng" in history[0]
    assert tr("created the task") in history[0]


def test_create_keeps_a_sub_unit_person_and_defaults_weight(sw):
    w, c = sw.w, sw.cached("deputy")
    data = three_step_task(w, weight="")
    tid = task_id_from(c.post(f"/plans/{w.plan.id}/tasks/new", data=data))
    assert str(row(Task, tid)["weight"]) in ("1", "1.00")


def test_edit_reorders_and_removes_steps(sw):
    w, c = sw.w, sw.cached("head")
    tid = task_id_from(c.post(f"/plans/{w.plan.id}/tasks/new", data=three_step_task(w)))
    first, second, third = steps_of(tid)
    form = page(c.get(f"/tasks/{tid}/edit"))
    assert field_value(form, "steps-0-title") == "Rà soát hồ sơ còn hiệu lực"
    assert field_value(form, "steps-2-due_on") == "30/06/2026"
    assert field_value(form, "start_on") == "15/01/2026"
    data = task_form_data(tid)
    assert data["version"] == field_value(form, "version")
    # the browser moved step 3 to the top and removed step 2
    for k in [k for k in data if k.startswith("steps-")]:
        del data[k]
    data.update({"steps-0-id": str(third.id), "steps-0-title": third.title, "steps-0-due_on": "30/06/2026",
                 "steps-1-id": str(first.id), "steps-1-title": "Rà soát toàn bộ hồ sơ",
                 "steps-1-due_on": "31/03/2026"})
    resp = c.post(f"/tasks/{tid}/edit", data=data)
    assert task_id_from(resp) == tid
    after = steps_of(tid)
    assert [(s.id, s.title, s.due_on, s.position) for s in after] == [
        (third.id, "Kiểm tra, ký số và lưu trữ", date(2026, 6, 30), 1),
        (first.id, "Rà soát toàn bộ hồ sơ", date(2026, 3, 31), 2)]
    assert db.session.get(ProcessStep, second.id) is None
    assert row(Task, tid)["version"] == int(data["version"]) + 1
    history = history_texts(c, tid)
    assert len(history) == 2 and "Trần Văn Hùng" in history[1]
    assert tr("edited the task") in history[1] and "Rà soát toàn bộ hồ sơ" in history[1]


def test_the_edit_form_posted_unchanged_changes_nothing(sw):
    """task_form_data is the edit form as the browser posts it: a key task with a "lower is
    better" indicator stays so (the checkbox and the select are in the payload, as in the page)."""
    from sqlalchemy import update

    w, c = sw.w, sw.cached("deputy")
    db.session.execute(update(Task).where(Task.id == w.task.id).values(
        is_key=True, indicator_name="Số ngày giải quyết hồ sơ", indicator_unit="ngày",
        indicator_target=5, indicator_direction="lower"))
    db.session.commit()
    form = page(c.get(f"/tasks/{w.task.id}/edit"))
    data = task_form_data(w.task.id)
    assert data["indicator_direction"] == field_value(form, "indicator_direction") == "lower"
    assert data["is_key"] == "y" and "checked" in control(form, "is_key").attrs
    before = row(Task, w.task.id)
    assert c.post(f"/tasks/{w.task.id}/edit", data=data).status_code == 302
    after = row(Task, w.task.id)
    assert {k: v for k, v in after.items() if k not in ("version", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("version", "updated_at")}


def test_edit_blank_step_rows_are_ignored_and_a_step_can_be_added(sw):
    w, c = sw.w, sw.cached("deputy")
    data = task_form_data(w.task.id)
    n = len([k for k in data if k.endswith("-title") and k.startswith("steps-")])
    data[f"steps-{n}-title"] = "Trình ban hành"
    data[f"steps-{n}-due_on"] = "20/06/2026"
    data[f"steps-{n + 1}-title"] = "   "
    assert c.post(f"/tasks/{w.task.id}/edit", data=data).status_code == 302
    assert [s.title for s in steps_of(w.task.id)][-1] == "Trình ban hành"
    assert len(steps_of(w.task.id)) == n + 1


def test_break_down_into_a_child(sw):
    w, c = sw.w, sw.cached("deputy")     # the parent's accountable leader
    url = f"/plans/{w.plan.id}/tasks/new?parent={w.task.id}"
    doc = page(c.get(url))
    assert field_value(doc, "lead_unit_id") == str(w.a.id)
    assert field_value(doc, "leader_id") == str(w.deputy.id)
    data = new_task_data(w.a.id, w.staff2.id, w.deputy.id, title="Dự thảo bộ chỉ số chi tiết",
                         due_on="15/06/2026", **{"steps-1-due_on": "15/05/2026"})
    child = task_id_from(c.post(url, data=data))
    t = row(Task, child)
    assert t["parent_id"] == w.task.id and t["stt"] == "1.1"
    parent_page = page(c.get(f"/tasks/{w.task.id}"))
    assert "1.1. Dự thảo bộ chỉ số chi tiết" in parent_page.text()
    # a second child gets the next number; a child may not be due after its parent
    late = dict(data, title="Tổng hợp ý kiến góp ý", due_on="31/07/2026")
    resp = c.post(url, data=late)
    assert resp.status_code == 422
    assert field_errors(page(resp), "due_on") == [
        tr("A sub-task cannot be due after its parent task (%(date)s).", date="30/06/2026")]
    ok = dict(data, title="Tổng hợp ý kiến góp ý")
    assert row(Task, task_id_from(c.post(url, data=ok)))["stt"] == "1.2"


def test_break_down_of_a_task_in_another_plan_is_not_found(sw):
    w, c = sw.w, sw.cached("head")
    resp = c.post(f"/plans/{w.plan_a1.id}/tasks/new?parent={w.task.id}",
                  data=new_task_data(w.a.id, w.staff.id, w.head.id))
    assert resp.status_code == 404


# ---- progress, evidence, steps, submission, review -------------------------------------

def report(c, task_id, percent, note="", files=(), **extra):
    data = {"percent": str(percent), "note": note, **extra}
    if files:
        data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return c.post(f"/tasks/{task_id}/progress", data=data, content_type="multipart/form-data")


def test_staff_reports_progress_with_evidence_ticks_a_step_and_submits(sw):
    w, staff = sw.w, sw.cached("staff")
    tid = w.task.id
    resp = report(staff, tid, 60, "Đã dự thảo xong bộ chỉ số.",
                  [("Báo cáo tiến độ.pdf", PDF), ("ảnh chụp.png", PNG)])
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    assert resp.headers["Location"].endswith(f"/tasks/{tid}#progress")
    t = row(Task, tid)
    assert (t["progress"], t["status"]) == (60, "in_progress")
    files = db.session.execute(select(Evidence.id, Evidence.original_name, Evidence.content_type,
                                      Evidence.size_bytes, Evidence.progress_update_id)
                               .where(Evidence.task_id == tid).order_by(Evidence.id)).all()[1:]
    assert [(f.original_name, f.content_type, f.size_bytes) for f in files] == [
        ("Báo cáo tiến độ.pdf", "application/pdf", len(PDF)), ("ảnh chụp.png", "image/png", len(PNG))]
    assert files[0].progress_update_id is not None
    view = page(staff.get(f"/tasks/{tid}"))
    links = {a.text(): a.attrs["href"] for a in view.find_all("a") if "/evidence/" in a.attrs.get("href", "")}
    assert any("Báo cáo tiến độ.pdf" in k for k in links) and any("ảnh chụp.png" in k for k in links)
    pdf = staff.get(f"/tasks/{tid}/evidence/{files[0].id}")
    assert pdf.status_code == 200 and pdf.data == PDF and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    pdf.close()
    # the deputy, who reads the unit, can open it too; another unit cannot
    ok = sw.cached("deputy").get(f"/tasks/{tid}/evidence/{files[1].id}")
    assert ok.status_code == 200 and ok.data == PNG
    ok.close()
    assert sw.client("staff_b").get(f"/tasks/{tid}/evidence/{files[1].id}").status_code == 404

    step = steps_of(tid)[0]
    resp = staff.post(f"/tasks/{tid}/steps/{step.id}", data={"done": "1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#steps")
    assert steps_of(tid)[0].is_done
    resp = staff.post(f"/tasks/{tid}/submit", data={"submit-note": "Đã hoàn thành, gửi kèm báo cáo."})
    assert resp.status_code == 302
    t = row(Task, tid)
    assert (t["status"], t["submitted_on"], t["completed_on"]) == ("submitted", TODAY, None)
    # while awaiting confirmation, no more progress reports
    resp = report(staff, tid, 70)
    assert resp.status_code == 422
    assert row(Task, tid)["progress"] == 60
    history = history_texts(staff, tid)
    assert any(tr("reported progress") in h and "Phạm Văn Đăng" in h for h in history)
    assert any(tr("attached evidence") in h and "ảnh chụp.png" in h for h in history)
    assert any(tr("ticked a process step") in h for h in history)
    assert any(tr("submitted for confirmation") in h and "Đã hoàn thành" in h for h in history)


def test_evidence_of_another_task_is_not_served_under_my_task(sw):
    w = sw.w
    other_ev = w.evidence[w.task_b.id]
    resp = sw.cached("staff").get(f"/tasks/{w.task.id}/evidence/{other_ev}")
    assert resp.status_code == 404
    resp = sw.cached("admin").get(f"/tasks/{w.task.id}/evidence/{w.evidence[w.task2.id]}")
    assert resp.status_code == 404


def test_deputy_confirms_and_completion_date_is_the_submission_date(sw, monkeypatch):
    w = sw.w
    staff, deputy = sw.cached("staff"), sw.cached("deputy")
    assert staff.post(f"/tasks/{w.task.id}/submit", data={"submit-note": ""}).status_code == 302
    # the leader gets to it ten days later
    monkeypatch.setitem(sw.app.config, "TODAY", date(2026, 6, 25))
    page_ = page(deputy.get(f"/tasks/{w.task.id}"))
    assert page_.by_id("review-form") is not None
    assert tr("Submitted on %(date)s.", date="15/06/2026") in page_.text()
    # the leader sees, beside the buttons, the evidence the work comes with
    listed = page_.by_id("review-evidence")
    assert [a.text() for a in listed.find_all("a")] == ["bao-cao.pdf"]
    assert listed.find("a").attrs["href"] == f"/tasks/{w.task.id}/evidence/{w.evidence[w.task.id]}"
    resp = deputy.post(f"/tasks/{w.task.id}/review", data={"decision": "confirm",
                                                           "comment": "Đạt yêu cầu."})
    assert resp.status_code == 302
    t = row(Task, w.task.id)
    assert (t["status"], t["completed_on"], t["progress"]) == ("completed", TODAY, 100)
    doc = page(deputy.get(f"/tasks/{w.task.id}"))
    assert [n.attrs["data-timeliness"] for n in doc.iter() if "data-timeliness" in n.attrs] == [
        "done_on_time"]
    assert tr("Completed on %(date)s", date="15/06/2026") in doc.text()
    history = history_texts(deputy, w.task.id)
    assert any(tr("confirmed completion") in h and "Lê Thị Mai" in h and "Đạt yêu cầu." in h
               for h in history)
    # a completed task can be neither edited nor confirmed again
    assert deputy.post(f"/tasks/{w.task.id}/review",
                       data={"decision": "confirm"}).status_code in (400, 422)
    assert deputy.get(f"/tasks/{w.task.id}").status_code == 200


def test_head_may_confirm_a_deputys_task(sw):
    w = sw.w
    sw.cached("staff").post(f"/tasks/{w.task.id}/submit", data={})
    resp = sw.cached("head").post(f"/tasks/{w.task.id}/review", data={"decision": "confirm"})
    assert resp.status_code == 302
    assert row(Task, w.task.id)["status"] == "completed"


def test_return_needs_a_comment(sw):
    w = sw.w
    staff, deputy = sw.cached("staff"), sw.cached("deputy")
    staff.post(f"/tasks/{w.task.id}/submit", data={"submit-note": "Xong."})
    before = row(Task, w.task.id)
    resp = deputy.post(f"/tasks/{w.task.id}/review", data={"decision": "return", "comment": "  "})
    assert resp.status_code == 422
    doc = page(resp)
    assert field_errors(doc, "comment") == [tr("Say why the task is returned.")]
    assert row(Task, w.task.id) == before
    resp = deputy.post(f"/tasks/{w.task.id}/review",
                       data={"decision": "return", "comment": "Thiếu phụ lục số liệu."})
    assert resp.status_code == 302
    t = row(Task, w.task.id)
    assert (t["status"], t["submitted_on"], t["completed_on"]) == ("returned", None, None)
    history = history_texts(staff, w.task.id)
    assert any(tr("returned for rework") in h and "Thiếu phụ lục số liệu." in h and "Lê Thị Mai" in h
               for h in history)
    # the staff member works on and submits again
    assert report(staff, w.task.id, 90, "Đã bổ sung phụ lục.").status_code == 302
    assert row(Task, w.task.id)["status"] == "in_progress"
    assert staff.post(f"/tasks/{w.task.id}/submit", data={}).status_code == 302


def test_review_with_an_unknown_decision_changes_nothing(sw):
    w = sw.w
    sw.cached("staff").post(f"/tasks/{w.task.id}/submit", data={})
    before = row(Task, w.task.id)
    resp = sw.cached("deputy").post(f"/tasks/{w.task.id}/review", data={"decision": "approve"})
    assert resp.status_code == 422
    assert row(Task, w.task.id) == before


def submit(c, task_id, note="", files=()):
    data = {"submit-note": note}
    if files:
        data["submit-files"] = [(io.BytesIO(content), name) for name, content in files]
    return c.post(f"/tasks/{task_id}/submit", data=data, content_type="multipart/form-data")


def test_submitting_without_evidence_is_refused_beside_the_form_and_saves_nothing(sw):
    """The QA case: a task at 0 %, nothing reported, no file, submitted and then confirmed."""
    w, head, staff = sw.w, sw.cached("head"), sw.cached("staff")
    tid = task_id_from(head.post(f"/plans/{w.plan.id}/tasks/new",
                                 data=new_task_data(w.a.id, w.staff.id, w.deputy.id)))
    doc = page(staff.get(f"/tasks/{tid}"))
    assert doc.by_id("submit-form").attrs["enctype"] == "multipart/form-data"
    assert doc.by_id("submit-evidence").text() == tr(
        "Attach at least one evidence file (the product or a report on the work done), here or "
        "with a progress report.")
    before = snapshot()
    resp = submit(staff, tid, "Đã hoàn thành.")
    assert resp.status_code == 422
    form = page(resp).by_id("submit-form")
    assert field_errors(form, "submit-files") == [tr(
        "Attach at least one evidence file (the product or a report on the work done) before "
        "submitting.")]
    assert field_value(form, "submit-note") == "Đã hoàn thành."
    assert snapshot() == before
    # the leader has nothing to confirm
    assert sw.cached("deputy").post(f"/tasks/{tid}/review",
                                    data={"decision": "confirm"}).status_code == 422
    assert snapshot() == before


def test_files_sent_with_the_submission_are_stored_and_shown_to_the_leader(sw):
    w, head, staff = sw.w, sw.cached("head"), sw.cached("staff")
    tid = task_id_from(head.post(f"/plans/{w.plan.id}/tasks/new",
                                 data=new_task_data(w.a.id, w.staff.id, w.deputy.id)))
    # a file that is not what its name says refuses the submission and stores nothing
    before = snapshot()
    resp = submit(staff, tid, "Kèm quyết định.", [("Quyết định.pdf", PDF), ("giả.pdf", b"MZ\x90")])
    assert resp.status_code == 422
    form = page(resp).by_id("submit-form")
    assert field_errors(form, "submit-files") == [
        tr("%(name)s is not really a .%(ext)s file.", name="giả.pdf", ext="pdf")]
    assert field_value(form, "submit-note") == "Kèm quyết định."
    assert snapshot() == before
    resp = submit(staff, tid, "Kèm quyết định.", [("Quyết định.pdf", PDF)])
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    t = row(Task, tid)
    assert (t["status"], t["submitted_on"]) == ("submitted", TODAY)
    files = db.session.execute(select(Evidence.id, Evidence.original_name, Evidence.progress_update_id)
                               .where(Evidence.task_id == tid)).all()
    db.session.rollback()
    assert [(f.original_name, f.progress_update_id) for f in files] == [("Quyết định.pdf", None)]
    href = f"/tasks/{tid}/evidence/{files[0].id}"
    staff_page = page(staff.get(f"/tasks/{tid}"))
    assert [a.attrs["href"] for a in staff_page.by_id("submitted-files").find_all("a")] == [href]
    review = page(sw.cached("deputy").get(f"/tasks/{tid}")).by_id("review-evidence")
    assert [(a.text(), a.attrs["href"]) for a in review.find_all("a")] == [("Quyết định.pdf", href)]
    assert "Phạm Văn Đăng" in review.text()


def test_a_refused_progress_report_fills_only_its_own_form(sw):
    w, staff = sw.w, sw.cached("staff")
    resp = report(staff, w.task.id, "50.5", "Ghi chú của báo cáo tiến độ")
    assert resp.status_code == 422
    doc = page(resp)
    progress = doc.by_id("progress-form")
    # one message, in the user's language: not also "between 0 and 100"
    assert field_errors(progress, "percent") == [tr("Enter the progress as a whole number from 0 to 100.")]
    assert field_value(progress, "percent") == "50.5"
    assert field_value(progress, "note") == "Ghi chú của báo cáo tiến độ"
    assert field_value(doc.by_id("submit-form"), "submit-note") == ""
    # and the other way round
    resp = staff.post(f"/tasks/{w.task.id}/submit", data={"submit-note": "x" * 5001})
    assert resp.status_code == 422
    doc = page(resp)
    assert field_value(doc.by_id("progress-form"), "note") == ""
    assert field_value(doc.by_id("progress-form"), "percent") == "0"
    assert len(field_value(doc.by_id("submit-form"), "submit-note")) == 5001
    # each label points at its own field: no two visible fields share an id
    ids = [n.attrs.get("id") for n in doc.iter()
           if n.tag in ("input", "textarea", "select") and n.attrs.get("type") != "hidden"]
    assert len(ids) == len(set(ids)) and {"note", "submit-note", "files", "submit-files"} <= set(ids)


def test_a_narrow_progress_bar_shows_its_label_beside_it(sw):
    w, staff = sw.w, sw.cached("staff")

    def bar(doc):
        node = next(n for n in doc.iter() if "app-progress" in n.classes)
        return node.find(cls="progress-bar"), node.find(cls="app-progress-out")
    inner, out = bar(page(staff.get(f"/tasks/{w.task.id}")))
    assert out.text() == "0%" and inner.text() == "" and "pw-0" in inner.classes
    assert report(staff, w.task.id, 1).status_code == 302
    inner, out = bar(page(staff.get(f"/tasks/{w.task.id}")))
    assert out.text() == "1%" and "pw-1" in inner.classes      # a sliver, not nothing
    assert report(staff, w.task.id, 60).status_code == 302
    inner, out = bar(page(staff.get(f"/tasks/{w.task.id}")))
    assert out is None and inner.text() == "60%" and "pw-60" in inner.classes


def test_cancel_needs_a_reason_and_is_shown(sw):
    w, head = sw.w, sw.cached("head")
    resp = head.post(f"/tasks/{w.task2.id}/cancel", data={"reason": ""})
    assert resp.status_code == 422
    assert field_errors(page(resp), "reason") == [tr("Give the reason for cancelling.")]
    assert row(Task, w.task2.id)["status"] == "assigned"
    assert head.post(f"/tasks/{w.task2.id}/cancel",
                     data={"reason": "Gộp vào nhiệm vụ 1."}).status_code == 302
    assert row(Task, w.task2.id)["status"] == "cancelled"
    assert "Gộp vào nhiệm vụ 1." in page(head.get(f"/tasks/{w.task2.id}")).text()
    # a cancelled task takes no more reports and cannot be edited
    assert head.get(f"/tasks/{w.task2.id}/edit").status_code in (200, 400, 403)
    data = task_form_data(w.task2.id)
    resp = head.post(f"/tasks/{w.task2.id}/edit", data=data)
    assert resp.status_code == 422
    assert tr("A completed or cancelled task can no longer be edited.") in " ".join(
        n.text() for n in page(resp).find_all(cls="alert-danger"))
    assert row(Task, w.task2.id)["status"] == "cancelled"
    assert report(sw.client("staff2"), w.task2.id, 10).status_code == 422


def test_history_shows_each_change_with_who(sw):
    w = sw.w
    head, staff = sw.cached("head"), sw.cached("staff")
    data = task_form_data(w.task.id)
    data.update(due_on="15/06/2026", assignee_id=str(w.staff2.id))
    assert head.post(f"/tasks/{w.task.id}/edit", data=data).status_code == 302
    history = history_texts(head, w.task.id)
    assert "Trần Văn Hùng" in history[-1]
    assert "30/06/2026" in history[-1] and "15/06/2026" in history[-1]
    assert "Phạm Văn Đăng" in history[-1] and "Ngô Thị Lan" in history[-1]
    assert staff.get(f"/tasks/{w.task.id}").status_code == 200  # same unit still reads it
    n_before = len(history)
    report(sw.client("staff2"), w.task.id, 20, "Bắt đầu thực hiện")
    history = history_texts(head, w.task.id)
    assert len(history) == n_before + 1 and "Ngô Thị Lan" in history[-1]
    assert "0" in history[-1] and "20" in history[-1]


# ---- two editors at once ---------------------------------------------------------------

def test_stale_edit_gets_409_and_overwrites_nothing(sw):
    w = sw.w
    first, second = sw.client("head"), sw.client("head")
    tid = w.task.id
    form1 = page(first.get(f"/tasks/{tid}/edit"))
    form2 = page(second.get(f"/tasks/{tid}/edit"))
    version = field_value(form1, "version")
    assert version == field_value(form2, "version")
    data1 = task_form_data(tid) | {"title": "Xây dựng bộ chỉ số (bản của người thứ nhất)",
                                   "version": version}
    data2 = task_form_data(tid) | {"title": "Xây dựng bộ chỉ số (bản của người thứ hai)",
                                   "output_product": "Sản phẩm của người thứ hai",
                                   "version": version}
    assert first.post(f"/tasks/{tid}/edit", data=data1).status_code == 302
    saved = row(Task, tid)
    audit_before = db.session.query(AuditLog).count()
    resp = second.post(f"/tasks/{tid}/edit", data=data2)
    assert resp.status_code == 409
    doc = page(resp)
    notice = doc.by_id("conflict")
    assert notice is not None
    assert tr("Someone else saved this task while you were editing it.") in notice.text()
    assert "Xây dựng bộ chỉ số (bản của người thứ nhất)" in notice.text()
    assert "Trần Văn Hùng" in notice.text()
    # nothing overwritten, nothing logged; the second editor's input is kept
    assert row(Task, tid) == saved
    assert db.session.query(AuditLog).count() == audit_before
    assert field_value(doc, "title") == "Xây dựng bộ chỉ số (bản của người thứ hai)"
    assert field_value(doc, "output_product") == "Sản phẩm của người thứ hai"
    # the form now carries the current version: saving again is a deliberate overwrite
    assert field_value(doc, "version") == str(saved["version"])
    data2["version"] = field_value(doc, "version")
    assert second.post(f"/tasks/{tid}/edit", data=data2).status_code == 302
    assert row(Task, tid)["title"] == "Xây dựng bộ chỉ số (bản của người thứ hai)"


def test_stale_edit_between_head_and_deputy(sw):
    w = sw.w
    head, deputy = sw.cached("head"), sw.cached("deputy")
    tid = w.task.id
    loaded = task_form_data(tid)
    assert deputy.post(f"/tasks/{tid}/edit", data=loaded | {"weight": "2"}).status_code == 302
    resp = head.post(f"/tasks/{tid}/edit", data=loaded | {"weight": "3"})
    assert resp.status_code == 409
    assert str(row(Task, tid)["weight"]) in ("2", "2.00")


# ---- lists: filters, search, sort, pagination ---------------------------------------------

def add_tasks(sw):
    """Five more tasks in plan A with distinct titles, people and dates."""
    w = sw.w
    make = root().Factory()
    specs = [
        ("Cải cách thủ tục hành chính lĩnh vực đất đai", w.staff, w.deputy, date(2026, 3, 31)),
        ("Đẩy mạnh cải cách chế độ công vụ", w.staff2, w.head, date(2026, 6, 16)),
        ("Ứng dụng chữ ký số trong văn bản điện tử", w.staff, w.head, date(2026, 9, 30)),
        ("Tổ chức đối thoại với doanh nghiệp", w.staff2, w.deputy, date(2026, 11, 30)),
        ("Khảo sát mức độ hài lòng của người dân", w.staff, w.deputy, date(2026, 5, 31)),
    ]
    from app.tasks.commands import StepInput

    out = {}
    for title, person, leader, due in specs:
        t = make.task(w.plan, w.head, w.a, person, leader, title=title, due_on=due,
                      steps=[StepInput("Thực hiện", due)])
        out[title] = t.id
    return out


def titles(resp) -> list[str]:
    assert resp.status_code == 200, resp.status_code
    doc = page(resp)
    return [td.find("a").text() for td in doc.by_id("task-table").find_all("td", cls="task-title")]


def test_search_ignores_diacritics_and_case(sw):
    add_tasks(sw)
    c = sw.cached("head")
    found = titles(c.get("/tasks", query_string={"q": "cai cach"}))
    assert sorted(found) == sorted(["Cải cách thủ tục hành chính lĩnh vực đất đai",
                                    "Đẩy mạnh cải cách chế độ công vụ"])
    assert titles(c.get("/tasks", query_string={"q": "CẢI CÁCH THỦ TỤC"})) == [
        "Cải cách thủ tục hành chính lĩnh vực đất đai"]
    assert titles(c.get("/tasks", query_string={"q": "day manh"})) == ["Đẩy mạnh cải cách chế độ công vụ"]
    assert titles(c.get("/tasks", query_string={"q": "100%_"})) == []
    doc = page(c.get("/tasks", query_string={"q": "cai cach"}))
    assert doc.by_id("q").attrs["value"] == "cai cach"
    assert tr("%(num)s task", plural="%(num)s tasks", num=2) in doc.by_id("result-count").text()


def test_filters_by_person_leader_timeliness_and_dates(sw):
    ids = add_tasks(sw)
    w, c = sw.w, sw.cached("head")
    # Issued once its tasks are in: a draft plan's tasks are never overdue nor due soon.
    root().issue_world_plans(w)
    by_person = titles(c.get("/tasks", query_string={"person": w.staff2.id}))
    assert sorted(by_person) == sorted(["Số hóa hồ sơ thủ tục hành chính còn hiệu lực",
                                        "Đẩy mạnh cải cách chế độ công vụ",
                                        "Tổ chức đối thoại với doanh nghiệp"])
    by_leader = titles(c.get("/tasks", query_string={"leader": w.head.id}))
    assert "Ứng dụng chữ ký số trong văn bản điện tử" in by_leader
    assert "Tổ chức đối thoại với doanh nghiệp" not in by_leader
    # today is 15/06/2026: two tasks are overdue, one is due tomorrow
    overdue = titles(c.get("/tasks", query_string={"timeliness": "overdue"}))
    assert sorted(overdue) == sorted(["Cải cách thủ tục hành chính lĩnh vực đất đai",
                                      "Khảo sát mức độ hài lòng của người dân"])
    soon = titles(c.get("/tasks", query_string={"timeliness": "due_soon"}))
    assert "Đẩy mạnh cải cách chế độ công vụ" in soon
    ranged = titles(c.get("/tasks", query_string={"due_from": "01/09/2026", "due_to": "30/11/2026"}))
    assert sorted(ranged) == sorted(["Ứng dụng chữ ký số trong văn bản điện tử",
                                     "Tổ chức đối thoại với doanh nghiệp"])
    doc = page(c.get("/tasks", query_string={"due_from": "01/09/2026"}))
    assert doc.by_id("due_from").attrs["value"] == "01/09/2026"
    # other units' tasks never appear, whatever the filter says
    assert titles(c.get("/tasks", query_string={"plan": w.plan_b.id})) == []
    # Unit B is not among the head's units: the filter is ignored (docs/dashboard-and-overdue-list.md).
    assert titles(c.get("/tasks", query_string={"unit": w.b.id})) == titles(c.get("/tasks"))
    assert ids


def test_my_tasks_lists_only_mine(sw):
    add_tasks(sw)
    mine = titles(sw.cached("staff").get("/tasks/mine"))
    assert "Ứng dụng chữ ký số trong văn bản điện tử" in mine
    assert "Đẩy mạnh cải cách chế độ công vụ" not in mine
    assert "Số hóa hồ sơ thủ tục hành chính còn hiệu lực" not in mine


def test_sort_orders(sw):
    add_tasks(sw)
    c = sw.cached("head")
    by_due = titles(c.get("/tasks", query_string={"sort": "due"}))
    assert by_due[0] == "Cải cách thủ tục hành chính lĩnh vực đất đai"
    assert by_due[-1] == "Tổ chức đối thoại với doanh nghiệp"
    assert titles(c.get("/tasks", query_string={"sort": "-due"})) == by_due[::-1] or \
        titles(c.get("/tasks", query_string={"sort": "-due"}))[0] == "Tổ chức đối thoại với doanh nghiệp"
    by_title = titles(c.get("/tasks", query_string={"sort": "title"}))
    assert by_title[0] == "Cải cách thủ tục hành chính lĩnh vực đất đai"
    assert by_title.index("Đẩy mạnh cải cách chế độ công vụ") < by_title.index(
        "Khảo sát mức độ hài lòng của người dân")
    assert titles(c.get("/tasks", query_string={"sort": "nonsense"})) == by_due


def test_sorted_by_title_the_list_follows_the_vietnamese_alphabet(sw):
    """d < đ and u < ư: without diacritics "Đẩy" (day) would come before "Dự" (du) and
    "Ứng" (ung) before "Ủy" (uy)."""
    add_tasks(sw)
    w = sw.w
    make = root().Factory()
    for title in ("Ủy quyền ký văn bản hành chính", "Dự thảo quy chế phối hợp liên ngành"):
        make.task(w.plan, w.head, w.a, w.staff, w.deputy, title=title)
    expected = ["Cải cách thủ tục hành chính lĩnh vực đất đai",
                "Dự thảo quy chế phối hợp liên ngành",
                "Đẩy mạnh cải cách chế độ công vụ",
                "Khảo sát mức độ hài lòng của người dân",
                "Số hóa hồ sơ thủ tục hành chính còn hiệu lực",
                "Tổ chức đối thoại với doanh nghiệp",
                "Ủy quyền ký văn bản hành chính",
                "Ứng dụng chữ ký số trong văn bản điện tử",
                "Xây dựng bộ chỉ số đánh giá chất lượng hoạt động"]
    c = sw.cached("head")
    assert titles(c.get("/tasks", query_string={"plan": w.plan.id, "sort": "title"})) == expected
    assert titles(c.get("/tasks", query_string={"plan": w.plan.id, "sort": "-title"})) == expected[::-1]
    doc = page(c.get("/tasks", query_string={"plan": w.plan.id, "sort": "title"}))
    assert "selected" in doc.by_id("sort").find("option", value="title").attrs


def test_pagination(sw, monkeypatch):
    add_tasks(sw)
    override_settings(monkeypatch, sw.app, PAGE_SIZE=3)
    c = sw.cached("head")
    seen = []
    for p in (1, 2, 3):
        got = titles(c.get("/tasks", query_string={"page": p, "sort": "due"}))
        assert len(got) == (3 if p < 3 else 1), (p, got)
        seen += got
    assert len(set(seen)) == 7
    doc = page(c.get("/tasks", query_string={"page": 2, "sort": "due", "q": ""}))
    pager = [a.attrs["href"] for a in doc.find_all("a", cls="page-link")]
    assert any("page=3" in h and "sort=due" in h for h in pager), pager
    assert titles(c.get("/tasks", query_string={"page": 99})) == []


def test_list_survives_nonsense_query_strings(sw):
    c = sw.cached("head")
    for qs in ({"page": "abc"}, {"page": "-5"}, {"page": "9" * 40}, {"due_from": "31/02/2026"},
               {"plan": "x"}, {"unit": "99999999999999999999"}, {"timeliness": "<b>"},
               {"q": "x" * 5000}, {"q": "\x00"}, {"sort": "'; drop table tasks; --"}):
        for url in ("/tasks", "/tasks/mine"):
            assert c.get(url, query_string=qs).status_code == 200, (url, qs)


@pytest.fixture
def desk(world, make):
    """Staff A's tasks: two open ones of the world, one completed, one cancelled, one
    suspended, and an open one of another person."""
    from app.domain.status import Lifecycle

    w = world

    def t(title, due, status):
        task = make.task(w.plan, w.head, w.a, w.staff, w.deputy, title=title, due_on=due)
        task.status = status
        if status == Lifecycle.COMPLETED:
            task.completed_on = task.submitted_on = due
        return task

    w.done = t("Đã hoàn thành từ tháng 2", date(2026, 2, 28), Lifecycle.COMPLETED)
    w.cancelled = t("Đã hủy", date(2026, 3, 31), Lifecycle.CANCELLED)
    w.suspended = t("Tạm dừng chờ kinh phí", date(2026, 4, 30), Lifecycle.SUSPENDED)
    db.session.commit()
    return w


def _ids(resp) -> list[int]:
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    return [int(i) for i in re.findall(r'data-task-id="(\d+)"', html)]


def test_my_tasks_opens_on_unfinished_work_with_everything_one_click_away(desk, as_user):
    w = desk
    c = as_user("staff_a")
    resp = c.get("/tasks/mine")
    html = resp.get_data(as_text=True)
    unfinished = {w.task.id, w.suspended.id}  # task2 is staff_a2's
    assert set(_ids(resp)) == unfinished
    tabs = re.search(r'id="mine-tabs".*?</ul>', html, re.DOTALL).group(0)
    assert re.search(r'class="nav-link active"[^>]*data-tab="unfinished"', tabs)
    everything = re.search(r'href="([^"]+)" data-tab="all"', tabs).group(1)
    assert set(_ids(c.get(everything.replace("&amp;", "&")))) == unfinished | {w.done.id, w.cancelled.id}
    # The tab is kept by the filter form, and the other tab's link keeps the filters.
    assert '<input type="hidden" name="status" value="unfinished">' in html
    assert set(_ids(c.get("/tasks/mine?status=unfinished&q=tam+dung"))) == {w.suspended.id}
    html = c.get("/tasks/mine?status=unfinished&q=hoan+thanh").get_data(as_text=True)
    assert 'href="/tasks/mine?status=all&amp;q=hoan+thanh" data-tab="all"' in html
    assert set(_ids(c.get("/tasks/mine?status=all&q=hoan+thanh"))) == {w.done.id}


def test_my_tasks_keeps_explicit_filters_working(desk, as_user):
    w = desk
    c = as_user("staff_a")
    # An address choosing tasks (the home page's counts, a bookmark) means all of them.
    assert _ids(c.get("/tasks/mine?timeliness=done_on_time")) == [w.done.id]
    assert set(_ids(c.get("/tasks/mine?timeliness=excluded"))) == {w.cancelled.id, w.suspended.id}
    html = c.get("/tasks/mine?timeliness=done_on_time").get_data(as_text=True)
    assert re.search(r'class="nav-link active"[^>]*data-tab="all"', html)
    # Sorting and paging keep the default tab.
    assert set(_ids(c.get("/tasks/mine?sort=-due"))) == {w.task.id, w.suspended.id}
    # On the unfinished tab, a completed timeliness is neither offered nor applied.
    html = c.get("/tasks/mine?status=unfinished&timeliness=done_on_time").get_data(as_text=True)
    assert set(_ids(c.get("/tasks/mine?status=unfinished&timeliness=done_on_time"))) == {
        w.task.id, w.suspended.id}
    timeliness = re.search(r'<select[^>]*id="timeliness".*?</select>', html, re.DOTALL).group(0)
    assert 'value="done_on_time"' not in timeliness and "selected" not in timeliness
    assert 'value="overdue"' in timeliness
    # Junk in status= is ignored: the default applies.
    assert set(_ids(c.get("/tasks/mine?status=zzz"))) == {w.task.id, w.suspended.id}
    # The full task list is unchanged: all tasks unless asked.
    assert w.done.id in _ids(as_user("head_a").get("/tasks"))
    assert w.done.id not in _ids(c.get("/tasks?status=unfinished"))
