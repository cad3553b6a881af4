"""Notifications are listed newest first and stop being new once the person has dealt with
the task: opened from the list, or acted on (confirmed, returned, an extension decided,
progress reported, submitted). TODAY is 15/06/2026."""

from datetime import date, datetime, timedelta

from sqlalchemy import select
from web_support import parse

from app.deadlines import extensions
from app.deadlines import sweep as overdue
from app.extensions import db
from app.models import Extension, Notification, User
from app.settings import current_settings
from tests.conftest import issue_world_plans, submit_with_evidence


def items(c) -> list:
    resp = c.get("/notifications")
    assert resp.status_code == 200
    return parse(resp.get_data(as_text=True)).by_id("notification-list").find_all("li")


def unread(user_id: int, task_id: int | None = None) -> int:
    q = select(Notification.id).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if task_id is not None:
        q = q.where(Notification.task_id == task_id)
    return len(db.session.scalars(q).all())


def test_the_list_is_newest_first_by_when_each_was_written(world, as_user):
    # A sweep catching up writes an older reminder after a newer one: ids are not the order.
    for key, day in (("a", 9), ("b", 5), ("c", 10)):
        overdue.notify([world.staff.id], "due_soon", world.task.id, f"t:{key}",
                       about_on=date(2026, 6, 30), days=3)
        db.session.flush()
        n = db.session.scalars(select(Notification)
                               .where(Notification.dedupe_key == f"t:{key}:{world.staff.id}")).one()
        n.created_at = datetime(2020, 11, day, 8, 0)
    db.session.commit()
    got = items(as_user("staff_a"))
    keys = [db.session.get(Notification, int(i.attrs["data-notification"])).created_at for i in got]
    assert keys == sorted(keys, reverse=True)
    # The assignment, written now, comes first; the three follow by date, not by id.
    assert [k.day for k in keys if k.year == 2020] == [10, 9, 5]


def issue(world) -> None:
    """Issue plan A: the "assigned" notices go out then (a draft plan is quiet)."""
    from app.plans import service as plans

    plans.issue_plan(db.session.get(User, world.head.id), world.plan.id)
    db.session.commit()


def test_opening_a_notification_marks_it_and_the_others_about_the_task_read(world, as_user, make):
    issue(world)
    other = make.task(world.plan, world.head, world.a, world.staff, world.deputy, title="Nhiệm vụ khác")
    overdue.notify([world.staff.id], "due_soon", world.task.id, "t:soon", about_on=date(2026, 6, 30), days=3)
    db.session.commit()
    assert unread(world.staff.id, world.task.id) == 2 and unread(world.staff.id, other.id) == 1
    c = as_user("staff_a")
    first = next(i for i in items(c) if i.attrs["data-kind"] == "due_soon")
    resp = c.post(f"/notifications/{first.attrs['data-notification']}/open")
    assert resp.status_code == 302 and resp.headers["Location"] == f"/tasks/{world.task.id}"
    assert unread(world.staff.id, world.task.id) == 0
    assert unread(world.staff.id, other.id) == 1  # about another task: still new
    # Read ones are plain links to the task.
    read = [i for i in items(c) if i.attrs["data-unread"] == "0"]
    assert read and all(i.find("a").attrs["href"] == f"/tasks/{world.task.id}" for i in read)
    # Someone else's notification cannot be opened, and stays unread.
    theirs = db.session.scalar(select(Notification.id).where(Notification.user_id == world.staff2.id))
    assert c.post(f"/notifications/{theirs}/open").status_code == 404
    assert db.session.get(Notification, theirs).read_at is None


def test_confirming_and_returning_mark_the_leader_s_notifications_about_the_task_read(world, as_user):
    issue(world)
    submit_with_evidence(db.session.get(User, world.staff.id), world.task.id, "Xong", date(2026, 6, 15))
    db.session.commit()
    assert unread(world.deputy.id, world.task.id) == 1  # "submitted"
    c = as_user("deputy_a")
    resp = c.post(f"/tasks/{world.task.id}/review", data={"decision": "return", "comment": "Bổ sung"})
    assert resp.status_code == 302
    assert unread(world.deputy.id, world.task.id) == 0
    assert unread(world.staff.id, world.task.id) == 2  # assigned, returned: the staff's are theirs
    # The responsible person acting on it (reporting progress) sees theirs as read.
    c = as_user("staff_a")
    assert c.post(f"/tasks/{world.task.id}/progress", data={"percent": "90", "note": "Đã bổ sung"}).status_code == 302
    assert unread(world.staff.id, world.task.id) == 0
    submit_with_evidence(db.session.get(User, world.staff.id), world.task.id, "Xong", date(2026, 6, 15))
    db.session.commit()
    assert unread(world.deputy.id, world.task.id) == 1
    resp = as_user("deputy_a").post(f"/tasks/{world.task.id}/review", data={"decision": "confirm", "comment": ""})
    assert resp.status_code == 302 and unread(world.deputy.id, world.task.id) == 0


def test_deciding_an_extension_marks_the_request_read(world, as_user):
    issue_world_plans(world)  # a draft's tasks have nothing due to extend
    extensions.request_extension(db.session.get(User, world.staff.id), world.task.id,
                                 date(2026, 7, 31), "Chờ ý kiến các sở", date(2026, 6, 15), max_extensions=current_settings().max_extensions)
    db.session.commit()
    assert unread(world.deputy.id, world.task.id) == 1
    ext_id = db.session.scalar(select(Extension.id))
    resp = as_user("deputy_a").post(f"/tasks/{world.task.id}/extensions/{ext_id}/decision",
                                    data={"decision": "approve", "comment": ""})
    assert resp.status_code == 302
    assert unread(world.deputy.id, world.task.id) == 0


def test_a_refused_action_marks_nothing_read(world, as_user):
    submit_with_evidence(db.session.get(User, world.staff.id), world.task.id, "Xong",
                         date(2026, 6, 15) - timedelta(days=1))
    db.session.commit()
    # Returning without a comment is refused: the notification stays new.
    resp = as_user("deputy_a").post(f"/tasks/{world.task.id}/review", data={"decision": "return", "comment": ""})
    assert resp.status_code == 422
    assert unread(world.deputy.id, world.task.id) == 1
