"""Merging units (issue 17 §2, the 2025 reform): merge A into B — open work, people, plans
not yet closed and sub-units move to B; completed and cancelled tasks and closed plans stay
attributed to A as they were; A is retired with B as its successor, shown on its page."""

import json
from datetime import date

from sqlalchemy import select, update
from web_support import page

from app.extensions import db
from app.models import AuditLog, Plan, Task, Unit, User


def _merge(client, source, target, confirm=True):
    data = {"target_id": str(target)}
    if confirm:
        data["confirm"] = "y"
    return client.post(f"/admin/units/{source}/merge", data=data)


def _get(model, obj_id, *cols):
    db.session.rollback()
    row = db.session.execute(select(*(getattr(model, c) for c in cols))
                             .where(model.id == obj_id)).one()
    db.session.rollback()
    return tuple(row)


def test_merge_a_into_b_moves_what_runs_and_keeps_history_with_a(sw):
    w = sw.w
    # B's plan is of another kind, so A's plan of 2026 can move; one of A's tasks is done.
    db.session.execute(update(Plan).where(Plan.id == w.plan_b.id).values(kind="work"))
    old = Plan(unit_id=w.a.id, year=2025, kind="cchc", title="Kế hoạch CCHC năm 2025",
               status="closed")
    db.session.add(old)
    db.session.execute(update(Task).where(Task.id == w.task2.id)
                       .values(status="completed", completed_on=date(2026, 5, 1), progress=100))
    db.session.commit()
    old_id = old.id
    admin = sw.client("admin")
    resp = _merge(admin, w.a.id, w.b.id)
    assert resp.status_code == 302, page(resp).text()[:800]
    assert _get(Unit, w.a.id, "is_active", "successor_id") == (False, w.b.id)
    # people and the open plan move; the closed plan stays
    assert _get(User, w.deputy.id, "unit_id") == (w.b.id,)
    assert _get(User, w.head.id, "unit_id") == (w.b.id,)
    assert _get(Plan, w.plan.id, "unit_id") == (w.b.id,)
    assert _get(Plan, old_id, "unit_id") == (w.a.id,)
    # the open task is now led by B; the completed one stays A's (its score is A's)
    assert _get(Task, w.task.id, "lead_unit_id", "owner_unit_id") == (w.b.id, w.b.id)
    assert _get(Task, w.task2.id, "lead_unit_id")[0] == w.a.id
    # the sub-unit A1 hangs under B now
    parent, path = _get(Unit, w.a1.id, "parent_id", "path")
    assert parent == w.b.id and path.startswith(_get(Unit, w.b.id, "path")[0])
    # audited, and the successor is shown on A's page and in the list
    db.session.rollback()
    changes = json.loads(db.session.scalar(select(AuditLog.changes).where(
        AuditLog.action == "unit.merge", AuditLog.object_id == w.a.id)))
    db.session.rollback()
    assert changes["successor_id"] == [None, w.b.id] and changes["people"][1] >= 4
    # every moved row has its own audit row; the completed task has none
    db.session.rollback()
    moved = {(a, o): json.loads(c) for a, o, c in db.session.execute(
        select(AuditLog.action, AuditLog.object_id, AuditLog.changes)
        .where(AuditLog.action.in_(["task.unit_merge", "plan.unit_merge", "user.update"])))}
    db.session.rollback()
    assert moved[("task.unit_merge", w.task.id)] == {"owner_unit_id": [w.a.id, w.b.id],
                                                     "lead_unit_id": [w.a.id, w.b.id]}
    assert ("task.unit_merge", w.task2.id) in moved  # its plan moved: owner only
    assert moved[("task.unit_merge", w.task2.id)] == {"owner_unit_id": [w.a.id, w.b.id]}
    assert moved[("plan.unit_merge", w.plan.id)] == {"unit_id": [w.a.id, w.b.id]}
    assert moved[("user.update", w.deputy.id)] == {"unit_id": [w.a.id, w.b.id]}
    text = page(admin.get(f"/admin/units/{w.a.id}")).text()
    assert "Sở Khoa học và Công nghệ" in text and 'id="merge"' not in admin.get(
        f"/admin/units/{w.a.id}").get_data(as_text=True)
    assert "→ Sở Khoa học và Công nghệ" in page(admin.get("/admin/units")).text()
    # the head of B now sees A's former open task
    assert sw.client("head_b").get(f"/tasks/{w.task.id}").status_code == 200


def test_a_clash_of_plans_is_refused_and_names_the_plan(sw):
    w = sw.w
    resp = _merge(sw.client("admin"), w.a.id, w.b.id)  # both have a CCHC plan for 2026
    assert resp.status_code == 422
    assert "Kế hoạch CCHC năm 2026" in page(resp).text()
    assert _get(Unit, w.a.id, "is_active", "successor_id") == (True, None)
    assert _get(User, w.deputy.id, "unit_id") == (w.a.id,)


def test_bad_merges_are_refused_beside_the_field(sw):
    w = sw.w
    admin = sw.client("admin")
    for source, target, confirm in ((w.a.id, w.a.id, True), (w.a.id, w.a1.id, True),
                                    (w.a1.id, w.b.id, False), (w.a1.id, 999999, True),
                                    (w.a1.id, "", True)):
        resp = _merge(admin, source, target, confirm)
        assert resp.status_code == 422, (source, target, confirm)
        assert 'class="invalid-feedback' in resp.get_data(as_text=True)
    assert _get(Unit, w.a1.id, "is_active") == (True,)


def test_only_the_admin_merges(sw):
    w = sw.w
    for who in ("head", "assessor", "deputy", "staff"):
        assert _merge(sw.client(who), w.a1.id, w.b.id).status_code == 403
    assert _get(Unit, w.a1.id, "is_active") == (True,)
