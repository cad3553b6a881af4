"""More than one role per person (issue 17 §2, DESIGN.md 3): the post stays single (it is
what the score is counted for), the assessor and administrator capabilities may be added
to it by an administrator (audited), permissions are the union, and the assessor capability
never lets anyone bend their own unit's score."""

import json
from datetime import date

from sqlalchemy import select, update
from web_support import page, tr

from app.extensions import db
from app.models import AuditLog, QualityScore, QualitySheet, Task, User
from tests.quality import world as qw


def _user(user_id) -> User:
    db.session.rollback()
    u = db.session.get(User, user_id)
    out = (u.role, u.extra_roles)
    db.session.rollback()
    return out


def _grant(sw, who, roles):
    resp = sw.client("admin").post(f"/people/{who.id}/roles", data={"extra_roles": roles})
    assert resp.status_code == 302, page(resp).text()[:600]


def test_the_admin_grants_and_removes_a_capability_audited_and_the_post_stays(sw):
    w = sw.w
    _grant(sw, w.deputy, ["assessor"])
    assert _user(w.deputy.id) == ("deputy", "assessor")
    _grant(sw, w.deputy, [])
    assert _user(w.deputy.id) == ("deputy", "")
    db.session.rollback()
    rows = db.session.execute(select(AuditLog.actor_id, AuditLog.changes).where(
        AuditLog.action == "user.roles", AuditLog.object_id == w.deputy.id).order_by(AuditLog.id)).all()
    assert [(a, json.loads(c)) for a, c in rows] == [
        (w.admin.id, {"extra_roles": ["", "assessor"]}), (w.admin.id, {"extra_roles": ["assessor", ""]})]
    # the user list and the account page name both roles
    _grant(sw, w.head, ["admin"])
    assert f"{tr('Head')}, {tr('Administrator')}" in page(sw.client("admin").get("/admin/users")).text()


def test_nobody_but_an_admin_grants_and_never_to_themselves(sw):
    w = sw.w
    for who in ("head", "assessor", "deputy", "staff"):
        resp = sw.client(who).post(f"/people/{w.deputy.id}/roles", data={"extra_roles": ["assessor"]})
        assert resp.status_code in (403, 404), who
    # a head who is also admin cannot widen nor narrow her own powers
    _grant(sw, w.head, ["admin"])
    resp = sw.client("head").post(f"/people/{w.head.id}/roles", data={"extra_roles": ["admin", "assessor"]})
    assert resp.status_code == 403
    assert _user(w.head.id) == ("head", "admin")
    # a post is not an extra role; an unknown role is refused beside the list
    for roles in (["head"], ["deputy"], ["superuser"]):
        resp = sw.client("admin").post(f"/people/{w.deputy.id}/roles", data={"extra_roles": roles})
        assert resp.status_code == 422, roles
    assert _user(w.deputy.id) == ("deputy", "")


def test_a_head_who_is_also_admin_administers_and_keeps_her_post(sw):
    w = sw.w
    _grant(sw, w.head, ["admin"])
    head = sw.client("head")
    assert head.get("/admin/users").status_code == 200
    assert head.get(f"/plans/{w.plan.id}/tasks/new").status_code == 200  # still the head
    # she cannot change her own post through the account form either
    from tests.support import payloads
    resp = head.post(f"/admin/users/{w.head.id}", data=payloads.user_form(w.head, role="staff"))
    assert resp.status_code == 422 and _user(w.head.id) == ("head", "admin")


def test_a_deputy_who_is_also_assessor_appraises_other_units_not_her_own(sw):
    """Conflict of interest: the deputy of A, made an assessor, appraises B's sheet; A's
    sheet (her own unit's score) is refused on every appraisal action, and nothing changes."""
    w = sw.w
    qw.submitted(w)
    _grant(sw, w.deputy, ["assessor"])
    deputy = sw.client("deputy")
    own, other = qw.sheet_id(w, "own"), qw.sheet_id(w, "other")
    c = qw.criterion_id(w)
    # the form is offered on B's sheet only
    assert 'name="a1_1-points"' in deputy.get(f"/quality/sheets/{other}").get_data(as_text=True)
    assert 'name="a1_1-points"' not in deputy.get(f"/quality/sheets/{own}").get_data(as_text=True)
    assert deputy.post(f"/quality/sheets/{other}/criteria/{c}/appraise",
                       data=qw.appraisal_data()).status_code == 302
    for url, data in ((f"/quality/sheets/{own}/criteria/{c}/appraise", qw.appraisal_data()),
                      (f"/quality/sheets/{own}/finalize", {}),
                      (f"/quality/sheets/{own}/return", {"reason": "Bổ sung"})):
        assert deputy.post(url, data=data).status_code == 403, url
    db.session.rollback()
    assert db.session.scalar(select(QualitySheet.status).where(QualitySheet.id == own)) == "submitted"
    assert db.session.scalar(select(QualityScore.appraised_points).where(
        QualityScore.sheet_id == own, QualityScore.criterion_id == c)) is None
    db.session.rollback()


def test_a_deputy_who_is_also_assessor_cannot_confirm_her_own_work(sw):
    w = sw.w
    _grant(sw, w.deputy, ["assessor"])
    from app.clock import local_today
    from app.settings import current_settings
    from app.tasks import commands as tasks
    db.session.rollback()
    t = tasks.create_task(w.head, w.plan.id, sw_task_input(w), today=local_today(),
                          settings=current_settings().task_rules)
    db.session.commit()
    tid = t.id
    db.session.execute(update(Task).where(Task.id == tid).values(status="submitted",
                                                                 submitted_on=date(2026, 5, 1)))
    db.session.commit()
    resp = sw.client("deputy").post(f"/tasks/{tid}/review", data={"decision": "confirm", "comment": "Xong"})
    assert resp.status_code in (403, 422)
    db.session.rollback()
    assert db.session.scalar(select(Task.status).where(Task.id == tid)) == "submitted"
    db.session.rollback()


def sw_task_input(w):
    from tests.conftest import Factory
    return Factory.task_input(None, w.a, w.deputy, w.deputy)
