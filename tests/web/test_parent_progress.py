"""A task broken down into sub-tasks takes its progress from them (DESIGN.md 5, issue 5):
its page says so, with the rolled-up figure and how many sub-tasks it comes from, instead
of "no progress reported yet", which read as if nothing had been done."""

from datetime import date

from web_support import parse

from app.extensions import db
from app.models import Task, User
from app.tasks import commands as tasks
from tests.conftest import TODAY

EMPTY_VI, EMPTY_EN = "Chưa có báo cáo tiến độ.", "No progress reported yet."


def progress_section(html: str) -> str:
    doc = parse(html)
    node = doc.by_id("progress-from-sub-tasks")
    return node.text() if node is not None else ""


def test_a_parent_shows_the_progress_it_takes_from_its_sub_tasks(world, make, as_user):
    w = world
    kids = [make.task(w.plan, w.head, w.a, w.staff, w.deputy, parent=w.task, due_on=date(2026, 6, 25),
                      title=f"Bước {i} của nhiệm vụ") for i in (1, 2)]
    cancelled = make.task(w.plan, w.head, w.a, w.staff, w.deputy, parent=w.task,
                          due_on=date(2026, 6, 25), title="Bước bỏ")
    for kid, percent in zip(kids, (20, 60), strict=True):
        tasks.record_progress(db.session.get(User, w.staff.id), kid.id, percent, "", None, TODAY)
    tasks.cancel_task(db.session.get(User, w.head.id), cancelled.id, "Không cần nữa", TODAY)
    db.session.commit()
    assert db.session.get(Task, w.task.id).progress == 40  # (20 + 60) / 2: equal weights
    c = as_user("head_a")
    html = c.get(f"/tasks/{w.task.id}").get_data(as_text=True)
    assert EMPTY_VI not in html
    assert progress_section(html) == (
        "Tiến độ của nhiệm vụ này là 40%, tổng hợp (theo trọng số) từ 2 nhiệm vụ con; "
        "không báo cáo trực tiếp tại đây.")
    c.post("/language/en", data={"next": "/"})
    html = c.get(f"/tasks/{w.task.id}").get_data(as_text=True)
    assert EMPTY_EN not in html
    assert progress_section(html) == (
        "This task's progress, 40%, is the weighted progress of its 2 sub-tasks; "
        "it is not reported here.")


def test_a_task_without_sub_tasks_still_says_nothing_was_reported(world, as_user):
    html = as_user("head_a").get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert EMPTY_VI in html and progress_section(html) == ""
