"""Closing and reopening a plan through the pages: the head is asked first, with the number
of tasks not completed; a closed plan's pages hide every change and say why; every change
posted anyway is refused with the message and writes nothing; reads, exports and print still
work; only the head over the plan may close or reopen it. Also: a task whose progress is
rolled up from sub-tasks in the units' plans shows no progress form."""

import io
import os
from datetime import date
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update
from web_support import (
    PDF,
    diff_snapshots,
    field_errors,
    field_value,
    form_alerts,
    new_task_data,
    page,
    parse,
    post_multipart,
    row,
    snapshot,
    task_form_data,
    tr,
)

from app.clock import local_today
from app.deadlines import extensions
from app.extensions import db
from app.models import AuditLog, Plan, Task, User
from app.settings import current_settings
from app.tasks import commands as tasks
from app.tasks import queries as task_queries

CLOSED = "The plan is closed: its tasks can no longer be changed."


def set_status(plan_id: int, status: str) -> None:
    db.session.execute(update(Plan).where(Plan.id == plan_id).values(status=status))
    db.session.commit()


def flashes(doc) -> list[str]:
    return [n.text().strip() for n in doc.find_all(role="alert")]


def ids(doc) -> set[str]:
    return {n.attrs["id"] for n in doc.iter() if "id" in n.attrs}


def forms_posting_to(doc, fragment: str) -> list:
    return [f for f in doc.find_all("form") if fragment in f.attrs.get("action", "")]


# ---- the head closes and reopens ---------------------------------------------------------

def test_the_head_is_told_how_many_tasks_are_open_closes_the_plan_and_reopens_it(sw):
    w, head = sw.w, sw.cached("head")
    set_status(w.plan.id, "issued")
    doc = page(head.get(f"/plans/{w.plan.id}"))
    count = doc.by_id("close-plan-count")
    assert count.attrs["data-not-completed"] == "2"
    assert count.text().strip() == tr("%(num)s task of this plan is not completed yet.",
                                       plural="%(num)s tasks of this plan are not completed yet.", num=2)
    assert forms_posting_to(doc.by_id("close-plan"), f"/plans/{w.plan.id}/close")
    assert "plan-closed" not in ids(doc)

    resp = head.post(f"/plans/{w.plan.id}/close")
    assert resp.status_code == 302
    assert urlsplit(resp.headers["Location"]).path == f"/plans/{w.plan.id}"
    assert row(Plan, w.plan.id)["status"] == "closed"
    doc = page(head.get(f"/plans/{w.plan.id}"))
    assert tr("The plan has been closed with %(num)s task not completed.",
              plural="The plan has been closed with %(num)s tasks not completed.", num=2) in flashes(doc)[0]
    assert doc.by_id("plan-status").attrs["data-status"] == "closed"
    assert doc.by_id("plan-status").text() == tr("Closed")
    assert tr(CLOSED) in doc.by_id("plan-closed").text()
    shown = ids(doc)
    assert "reopen-plan" in shown
    assert not shown & {"close-plan", "edit-plan", "import-plan", "issue-plan"}
    assert not forms_posting_to(doc, "/tasks/new") and tr("Add task") not in doc.text()
    # reads, exports and print stay
    assert {"export-plan", "print-plan", "plan-template"} <= shown

    resp = head.post(f"/plans/{w.plan.id}/reopen")
    assert resp.status_code == 302
    assert row(Plan, w.plan.id)["status"] == "issued"
    doc = page(head.get(f"/plans/{w.plan.id}"))
    assert tr("The plan has been reopened.") in flashes(doc)[0]
    assert {"close-plan", "edit-plan", "import-plan"} <= ids(doc)
    assert "plan-closed" not in ids(doc)
    actions = db.session.scalars(select(AuditLog.action).where(
        AuditLog.object_type == "plan", AuditLog.object_id == w.plan.id,
        AuditLog.actor_id == w.head.id).order_by(AuditLog.id)).all()
    assert actions == ["plan.close", "plan.reopen"]


def test_a_plan_with_every_task_done_says_so_before_closing(sw):
    w, head = sw.w, sw.cached("head")
    db.session.execute(update(Task).where(Task.plan_id == w.plan.id)
                       .values(status="completed", completed_on=date(2026, 6, 1), progress=100))
    set_status(w.plan.id, "issued")
    doc = page(head.get(f"/plans/{w.plan.id}"))
    assert doc.by_id("close-plan-count").attrs["data-not-completed"] == "0"
    assert doc.by_id("close-plan-count").text().strip() == tr(
        "Every task of this plan is completed or cancelled.")
    head.post(f"/plans/{w.plan.id}/close")
    assert tr("The plan has been closed.") in flashes(page(head.get(f"/plans/{w.plan.id}")))[0]


@pytest.mark.parametrize("status, action, message", [
    ("draft", "close", "Only an issued plan can be closed."),
    ("closed", "close", "Only an issued plan can be closed."),
    ("draft", "reopen", "Only a closed plan can be reopened."),
    ("issued", "reopen", "Only a closed plan can be reopened."),
])
def test_closing_or_reopening_in_the_wrong_state_says_why_and_changes_nothing(sw, status, action,
                                                                              message):
    w, head = sw.w, sw.cached("head")
    set_status(w.plan.id, status)
    before = snapshot()
    resp = head.post(f"/plans/{w.plan.id}/{action}")
    assert resp.status_code == 302
    assert diff_snapshots(before, snapshot()) == {}
    assert tr(message) in flashes(page(head.get(f"/plans/{w.plan.id}")))[0]


@pytest.mark.parametrize("who, expected", [
    ("deputy", 403), ("staff", 403), ("admin", 403), ("assessor", 403), ("head_b", 404),
    ("deputy_b", 404), ("staff_b", 404),
])
@pytest.mark.parametrize("action", ["close", "reopen"])
def test_only_the_head_over_the_plan_closes_or_reopens_it(sw, who, expected, action):
    w = sw.w
    status = "issued" if action == "close" else "closed"
    set_status(w.plan.id, status)
    c = sw.client(who)
    assert c.post(f"/plans/{w.plan.id}/{action}").status_code == expected
    assert c.post(f"/plans/999999/{action}").status_code == 404
    assert row(Plan, w.plan.id)["status"] == status
    assert not db.session.scalar(select(AuditLog.id).where(AuditLog.action == f"plan.{action}"))


def test_only_the_head_sees_the_close_and_reopen_buttons(sw):
    w = sw.w
    set_status(w.plan.id, "issued")
    for role in ("deputy", "staff", "admin", "assessor"):
        assert "close-plan" not in ids(page(sw.cached(role).get(f"/plans/{w.plan.id}"))), role
    set_status(w.plan.id, "closed")
    for role in ("deputy", "staff", "admin", "assessor"):
        doc = page(sw.cached(role).get(f"/plans/{w.plan.id}"))
        assert "plan-closed" in ids(doc) and "reopen-plan" not in ids(doc), role


# ---- a closed plan is read-only -----------------------------------------------------------

@pytest.fixture
def closed(sw):
    """world.plan closed, with a submission awaiting the head (task2) and a pending extension
    request on world.task (sw.w.pending)."""
    w = sw.w
    set_status(w.plan.id, "issued")  # an extension is asked on an issued plan's task
    tasks.submit_task(db.session.get(User, w.staff2.id), w.task2.id, "Đã hoàn thành", local_today())
    w.pending = extensions.request_extension(db.session.get(User, w.staff.id), w.task.id,
                                             date(2026, 7, 31), "Chờ ý kiến góp ý",
                                             local_today(), max_extensions=current_settings().max_extensions).id
    db.session.commit()
    set_status(w.plan.id, "closed")
    yield sw
    del w.pending


def test_a_closed_plans_task_page_offers_no_change_and_says_why(closed):
    w = closed.w
    staff = page(closed.cached("staff").get(f"/tasks/{w.task.id}"))
    head = page(closed.cached("head").get(f"/tasks/{w.task2.id}"))
    deputy = page(closed.cached("deputy").get(f"/tasks/{w.task.id}"))
    for doc in (staff, head, deputy):
        assert tr(CLOSED) in doc.by_id("plan-closed").text()
        assert not ids(doc) & {"edit-task", "break-down-task", "progress-form", "submit-form",
                               "review-form", "extension-card", "extension-form", "decision-form"}
        assert not forms_posting_to(doc, "/steps/") and not forms_posting_to(doc, "/cancel")
    for doc in (staff, deputy):
        # what was recorded stays readable: the request still awaiting a decision
        assert doc.by_id("extension-history").find("tr", **{"data-status": "pending"}) is not None
    # before closing, the same people had those forms
    set_status(w.plan.id, "issued")
    assert "progress-form" in ids(page(closed.cached("staff").get(f"/tasks/{w.task.id}")))
    assert {"edit-task", "review-form"} <= ids(page(closed.cached("head").get(f"/tasks/{w.task2.id}")))


def _posts(w):
    """(role, url, data, status) of every change a closed plan's pages could post."""
    steps = task_queries.get_task(db.session.get(User, w.staff.id), w.task.id).steps
    return [
        ("staff", f"/tasks/{w.task.id}/progress", {"percent": "60", "note": "Đã dự thảo xong"}, 422),
        ("staff", f"/tasks/{w.task.id}/steps/{steps[0].id}", {"done": "1"}, 400),
        ("deputy", f"/tasks/{w.task.id}/steps/{steps[0].id}", {"done": "1"}, 400),
        ("staff", f"/tasks/{w.task.id}/submit", {"submit-note": "Đã hoàn thành"}, 400),
        ("head", f"/tasks/{w.task2.id}/review", {"decision": "confirm", "comment": "Đạt"}, 422),
        ("head", f"/tasks/{w.task2.id}/review", {"decision": "return", "comment": "Bổ sung"}, 422),
        ("deputy", f"/tasks/{w.task.id}/cancel", {"reason": "Không còn phù hợp"}, 400),
        ("staff2", f"/tasks/{w.task2.id}/extensions",
         {"proposed_due_on": "31/07/2026", "reason": "Chờ ý kiến các sở"}, 422),
        ("deputy", f"/tasks/{w.task.id}/extensions/{w.pending}/decision",
         {"decision": "approve", "comment": "Đồng ý"}, 422),
        ("head", f"/tasks/{w.task.id}/extensions/{w.pending}/decision",
         {"decision": "refuse", "comment": "Không đồng ý"}, 422),
    ]


def test_every_change_posted_on_a_closed_plans_task_is_refused_and_writes_nothing(closed):
    w = closed.w
    for role, url, data, status in _posts(w):
        client = closed.cached(role) if role in closed.clients else closed.client(role)
        before = snapshot()
        resp = client.post(url, data=data)
        assert resp.status_code == status, (role, url, resp.status_code)
        assert tr(CLOSED) in resp.get_data(as_text=True), (role, url)
        assert diff_snapshots(before, snapshot()) == {}, (role, url)


def test_evidence_posted_on_a_closed_plans_task_is_not_stored(closed):
    w = closed.w
    folder = closed.app.config["UPLOAD_FOLDER"]
    files_before, before = sorted(os.listdir(folder)), snapshot()
    resp = post_multipart(closed.cached("staff"), f"/tasks/{w.task.id}/progress",
                          {"percent": "60", "note": "Kèm báo cáo",
                           "files": [(io.BytesIO(PDF), "bao-cao.pdf")]})
    assert resp.status_code == 422 and tr(CLOSED) in resp.get_data(as_text=True)
    assert diff_snapshots(before, snapshot()) == {}
    assert sorted(os.listdir(folder)) == files_before


def test_the_forms_of_a_closed_plan_keep_what_was_typed_and_say_why(closed):
    w, head = closed.w, closed.cached("head")
    before = snapshot()
    data = task_form_data(w.task.id) | {"title": "Xây dựng bộ chỉ số đánh giá (bản sửa)"}
    resp = head.post(f"/tasks/{w.task.id}/edit", data=data)
    assert resp.status_code == 422
    doc = page(resp)
    assert tr(CLOSED) in form_alerts(doc)
    assert field_value(doc, "title") == "Xây dựng bộ chỉ số đánh giá (bản sửa)"

    new = new_task_data(w.a.id, w.staff.id, w.deputy.id, title="Tập huấn nghiệp vụ cải cách hành chính")
    resp = head.post(f"/plans/{w.plan.id}/tasks/new", data=new)
    assert resp.status_code == 422
    doc = page(resp)
    assert tr(CLOSED) in form_alerts(doc)
    assert field_value(doc, "title") == "Tập huấn nghiệp vụ cải cách hành chính"

    resp = head.post(f"/plans/{w.plan.id}/edit", data={"title": "Kế hoạch CCHC (sửa)",
                                                       "doc_number": "02/KH-SNV", "doc_date": ""})
    assert resp.status_code == 422
    doc = page(resp)
    assert tr("The plan is closed: reopen it to change it.") in form_alerts(doc)
    assert field_value(doc, "title") == "Kế hoạch CCHC (sửa)"
    assert diff_snapshots(before, snapshot()) == {}


@pytest.mark.parametrize("url, back", [
    ("/tasks/{task}/edit", "/tasks/{task}"),
    ("/plans/{plan}/tasks/new", "/plans/{plan}"),
    ("/plans/{plan}/tasks/new?parent={task}", "/plans/{plan}"),
    ("/plans/{plan}/edit", "/plans/{plan}"),
    ("/plans/{plan}/import", "/plans/{plan}"),
])
def test_the_forms_of_a_closed_plan_are_not_offered(closed, url, back):
    w = closed.w
    names = {"task": w.task.id, "plan": w.plan.id}
    resp = closed.cached("head").get(url.format(**names))
    assert resp.status_code == 302
    assert urlsplit(resp.headers["Location"]).path == back.format(**names)


def test_reads_exports_and_print_still_work_on_a_closed_plan(closed):
    w = closed.w
    for role in ("head", "deputy", "staff", "assessor"):
        c = closed.cached(role)
        for url in (f"/plans/{w.plan.id}", f"/plans/{w.plan.id}/export.xlsx",
                    f"/plans/{w.plan.id}/print", f"/plans/{w.plan.id}/template.xlsx",
                    f"/tasks/{w.task.id}", f"/tasks/{w.task.id}/evidence/{w.evidence[w.task.id]}",
                    f"/tasks?plan={w.plan.id}"):
            resp = c.get(url)
            assert resp.status_code == 200, (role, url, resp.status_code)
            resp.close()


def test_a_reopened_plan_takes_progress_again(closed):
    w = closed.w
    assert closed.cached("head").post(f"/plans/{w.plan.id}/reopen").status_code == 302
    resp = closed.cached("staff").post(f"/tasks/{w.task.id}/progress",
                                       data={"percent": "60", "note": "Đã dự thảo xong"})
    assert resp.status_code == 302
    assert row(Task, w.task.id)["progress"] == 60


# ---- progress rolled up from sub-tasks -----------------------------------------------------

def test_a_rolled_up_task_shows_no_progress_form_and_says_where_its_progress_comes_from(
        world, make, as_user):
    plan = make.plan(world.province, title="Kế hoạch CCHC năm 2026 của UBND tỉnh")
    head_p = make.user(world.province, "head", "Chủ Tịch Tỉnh", "head_p")
    parent = make.task(plan, head_p, world.a, world.staff, world.head,
                       title="Triển khai bộ chỉ số đánh giá tại các sở", due_on=date(2026, 8, 31))
    c = as_user("staff_a")                                   # the parent's responsible person
    doc = page(c.get(f"/tasks/{parent.id}"))
    assert "progress-form" in ids(doc) and "progress-rolled-up" not in ids(doc)

    make.task(world.plan, world.head, world.a, world.staff, world.deputy, parent=parent,
              title="Áp dụng bộ chỉ số tại Sở Nội vụ", due_on=date(2026, 7, 31))
    doc = page(c.get(f"/tasks/{parent.id}"))
    assert "progress-form" not in ids(doc)
    assert doc.by_id("progress-rolled-up").text() == tr(
        "The progress of this task comes from its sub-tasks in the units’ plans (their weighted "
        "progress): it is not reported here.")
    assert "submit-form" in ids(doc)                        # it is still submitted when done
    # a report posted anyway: 422, the message beside the percent, the note kept
    resp = c.post(f"/tasks/{parent.id}/progress", data={"percent": "90", "note": "Xong phần lớn"})
    assert resp.status_code == 422
    doc = parse(resp.get_data(as_text=True))
    assert field_errors(doc, "percent") == [tr(
        "This task is broken down in the units' plans: its progress is the weighted progress of "
        "those tasks.")]
    assert field_value(doc, "note") == "Xong phần lớn"
    assert db.session.scalar(select(Task.progress).where(Task.id == parent.id)) == 0
