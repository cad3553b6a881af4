"""The task form under the task rule set: dates read-only on an issued plan with the way to
an extension, the amendment reason beside its field, every violation beside its field, typed
input kept, never a 500."""

import json
from datetime import date

from sqlalchemy import func, select, update
from web_support import (
    field_errors,
    field_value,
    form_alerts,
    new_task_data,
    page,
    row,
    task_form_data,
    tr,
)

from app.extensions import db
from app.models import Amendment, Plan, Task


def issue(w):
    db.session.execute(update(Plan).where(Plan.id == w.plan.id).values(status="issued"))
    db.session.commit()


def amendment_rows(task_id):
    db.session.rollback()
    out = db.session.scalars(select(Amendment).where(Amendment.task_id == task_id)).all()
    db.session.rollback()
    return out


def test_on_a_draft_plan_the_dates_are_edited_in_the_form(sw):
    w, c = sw.w, sw.cached("head")
    doc = page(c.get(f"/tasks/{w.task.id}/edit"))
    assert "readonly" not in [k for k in doc.find("input", name="due_on").attrs]
    assert doc.by_id("dates-locked") is None and doc.by_id("amendment") is None
    data = task_form_data(w.task.id)
    data["due_on"] = "30/09/2026"
    assert c.post(f"/tasks/{w.task.id}/edit", data=data).status_code == 302
    t = row(Task, w.task.id)
    assert t["due_on"] == t["original_due_on"] == date(2026, 9, 30)


def test_on_an_issued_plan_the_due_date_is_read_only_and_points_to_an_extension(sw):
    w = sw.w
    issue(w)
    # the accountable deputy is also the responsible person here: she may ask for an extension
    db.session.execute(update(Task).where(Task.id == w.task.id).values(assignee_id=w.deputy.id))
    db.session.commit()
    doc = page(sw.cached("deputy").get(f"/tasks/{w.task.id}/edit"))
    for name in ("start_on", "due_on"):
        assert "readonly" in doc.find("input", name=name).attrs, name
    assert field_value(doc, "due_on") == "30/06/2026"
    link = doc.by_id("request-extension-link")
    assert link is not None and link.attrs["href"] == f"/tasks/{w.task.id}#extension-card"
    assert link.text() == tr("Request an extension") == "Đề nghị gia hạn"
    assert doc.by_id("amendment") is None  # a deputy does not amend
    # the head is not the responsible person: read-only, no link; she may amend
    doc = page(sw.cached("head").get(f"/tasks/{w.task.id}/edit"))
    assert "readonly" in doc.find("input", name="due_on").attrs
    assert doc.by_id("request-extension-link") is None
    assert doc.by_id("amendment") is not None


def test_a_due_date_posted_anyway_is_refused_beside_it_and_kept(sw):
    w, c = sw.w, sw.cached("deputy")
    issue(w)
    data = task_form_data(w.task.id)
    data["due_on"] = "31/12/2026"
    resp = c.post(f"/tasks/{w.task.id}/edit", data=data)
    assert resp.status_code == 422
    doc = page(resp)
    assert field_errors(doc, "due_on") == [tr(
        "The plan has been issued: the due date moves only through an approved extension "
        "(request one on the task page).")]
    assert field_value(doc, "due_on") == "31/12/2026"
    t = row(Task, w.task.id)
    assert t["due_on"] == t["original_due_on"] == date(2026, 6, 30)


def test_an_amendment_needs_its_reason_beside_the_field_then_is_listed_on_the_task(sw):
    w, c = sw.w, sw.cached("head")
    issue(w)
    data = task_form_data(w.task.id)
    data["assignee_id"] = str(w.staff2.id)
    data["weight"] = "2"
    resp = c.post(f"/tasks/{w.task.id}/edit", data=data)
    assert resp.status_code == 422
    doc = page(resp)
    assert field_errors(doc, "amendment_reason") == [tr("Give the reason for the amendment.")]
    assert field_value(doc, "assignee_id") == str(w.staff2.id) and field_value(doc, "weight") == "2"
    assert row(Task, w.task.id)["assignee_id"] == w.staff.id and amendment_rows(w.task.id) == []

    data["amendment_reason"] = "Anh Đăng được điều động sang phòng khác"
    assert c.post(f"/tasks/{w.task.id}/edit", data=data).status_code == 302
    t = row(Task, w.task.id)
    assert (t["assignee_id"], str(t["weight"]).rstrip("0").rstrip("."), t["amendment_count"]) == (
        w.staff2.id, "2", 1)
    [a] = amendment_rows(w.task.id)
    assert set(json.loads(a.changes)) == {"assignee_id", "weight"}
    doc = page(c.get(f"/tasks/{w.task.id}"))
    listed = doc.by_id("amendment-list").text()
    assert "Anh Đăng được điều động sang phòng khác" in listed
    assert "Trần Văn Hùng" in listed and "Ngô Thị Lan" in listed and "Phạm Văn Đăng" in listed
    assert tr("amended the task") in doc.by_id("history-list").text()


def test_the_deputy_cannot_amend_from_the_form(sw):
    w, c = sw.w, sw.cached("deputy")
    issue(w)
    data = task_form_data(w.task.id)
    data["weight"] = "5"
    data["amendment_reason"] = "tự nâng trọng số"
    resp = c.post(f"/tasks/{w.task.id}/edit", data=data)
    assert resp.status_code == 422
    doc = page(resp)
    assert field_errors(doc, "weight") == [tr(
        "After issue, only the head of the plan's unit can reassign the task or change its "
        "weight (an amendment).")]
    assert field_value(doc, "weight") == "5"
    assert str(row(Task, w.task.id)["weight"]) in ("1", "1.00")


def test_an_edit_that_makes_an_issued_task_unclear_is_refused_beside_the_field(sw):
    w, c = sw.w, sw.cached("head")
    issue(w)
    data = task_form_data(w.task.id)
    data["output_product"] = ""
    resp = c.post(f"/tasks/{w.task.id}/edit", data=data)
    assert resp.status_code == 422
    [msg] = field_errors(page(resp), "output_product")
    assert msg.startswith(tr("The task would no longer be clear: %(reason)s", reason="")[:20])
    assert "Chưa có sản phẩm đầu ra" in msg


def test_every_violation_is_shown_beside_its_own_field(sw):
    w, c = sw.w, sw.cached("head")
    data = new_task_data(w.a.id, w.head.id, w.head.id, weight="999999", due_on="31/01/2027",
                         coordinator_ids=[str(w.a.id)])
    resp = c.post(f"/plans/{w.plan.id}/tasks/new", data=data)
    assert resp.status_code == 422
    doc = page(resp)
    assert field_errors(doc, "weight") == [tr("The weight must be between %(min)s and %(max)s.",
                                              min="0,1", max="10")]
    assert field_errors(doc, "due_on") == [tr("The date must fall within the plan's year (%(year)s).",
                                              year=2026)]
    assert field_errors(doc, "leader_id") == [tr(
        "A head cannot be both the responsible person and the accountable leader of a task: "
        "nobody would confirm it.")]
    assert field_errors(doc, "coordinator_ids") == [tr("The lead unit cannot also be a coordinating unit.")]
    assert form_alerts(doc) == []
    # what was typed is kept
    assert (field_value(doc, "weight"), field_value(doc, "due_on")) == ("999999", "31/01/2027")
    assert field_value(doc, "title") == data["title"]


def test_the_weight_field_says_its_range(sw):
    doc = page(sw.cached("head").get(f"/plans/{sw.w.plan.id}/tasks/new"))
    assert tr("From %(min)s to %(max)s; default 1", min="0,1", max="10") in doc.text()


def test_a_title_only_task_added_to_an_issued_plan_is_refused_with_no_500(sw):
    w, c = sw.w, sw.cached("head")
    issue(w)
    db.session.rollback()
    before = db.session.scalar(select(func.count(Task.id)))
    db.session.rollback()
    resp = c.post(f"/plans/{w.plan.id}/tasks/new", data={
        "title": "Rà soát thủ tục hành chính lĩnh vực nội vụ năm 2026", "weight": "1"})
    assert resp.status_code == 422
    doc = page(resp)
    for name in ("description", "responsibility", "due_on", "output_product", "assignee_id"):
        assert field_errors(doc, name), name
    assert field_value(doc, "title") == "Rà soát thủ tục hành chính lĩnh vực nội vụ năm 2026"
    db.session.rollback()
    assert db.session.scalar(select(func.count(Task.id))) == before
