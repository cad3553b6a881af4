"""Writing through the API: the same use cases and rules as the task page, audited with
the token's name; a read-only token writes nothing; the API cannot do what a form cannot
(a few of tests/reliability/test_tampering.py's attempts, sent through the API)."""

import io
import json
from datetime import date

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AuditLog, Evidence, Extension, ProcessStep, ProgressUpdate, Task
from tests.api.conftest import make_token
from tests.conftest import EVIDENCE_PDF, issue_world_plans, submit_with_evidence

TODAY = date(2026, 6, 15)


def vi(msgid: str, **kw) -> str:
    with force_locale("vi"):
        return _(msgid, **kw)


def rows(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def task(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.get(Task, task_id)


@pytest.fixture
def issued(world):
    issue_world_plans(world)
    return world


def test_progress_is_recorded_and_audited_with_the_tokens_name(issued, api):
    staff = api(issued.staff, name="Hệ thống QLVB")
    resp = staff.post(f"/tasks/{issued.task.id}/progress", json={"percent": 40, "note": "Đã dự thảo"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["progress"] == 40 and body["status"] == "in_progress"
    assert body["progress_updates"][0]["note"] == "Đã dự thảo"
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "task.progress")).one()
    assert row.actor_id == issued.staff.id
    assert json.loads(row.changes)["api_token"] == [None, "Hệ thống QLVB"]


def test_progress_with_an_evidence_file_checks_it_as_the_page_does(issued, api):
    staff = api(issued.staff)
    resp = staff.post(f"/tasks/{issued.task.id}/progress",
                      data={"percent": "60", "note": "Kèm báo cáo",
                            "files": [(io.BytesIO(EVIDENCE_PDF), "bao-cao.pdf")]},
                      content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    assert [e["name"] for e in resp.get_json()["evidence"]] == ["bao-cao.pdf"]
    # A program renamed to .pdf is refused beside the files, nothing written.
    resp = staff.post(f"/tasks/{issued.task.id}/progress",
                      data={"percent": "70", "files": [(io.BytesIO(b"MZ\x90\x00" * 50), "x.pdf")]},
                      content_type="multipart/form-data")
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["files"]
    assert rows(Evidence) == 1 and rows(ProgressUpdate) == 1 and task(issued.task.id).progress == 60


def test_a_read_only_token_writes_nothing(issued, client):
    secret = make_token(issued.staff, "Chỉ đọc", read_only=True)
    resp = client.post(f"/api/v1/tasks/{issued.task.id}/progress", json={"percent": 50},
                       headers={"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 403
    assert resp.get_json()["type"] == "urn:sauro:problem:read-only-token"
    assert rows(ProgressUpdate) == 0 and task(issued.task.id).progress == 0
    assert client.get(f"/api/v1/tasks/{issued.task.id}",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 200


@pytest.mark.parametrize("payload, kwargs, status, field", [
    ({"percent": 150}, {}, 422, "percent"),
    ({"percent": -1}, {}, 422, "percent"),
    ({"percent": "50"}, {}, 422, "percent"),
    ({"percent": 50, "progress": 60}, {}, 422, "progress"),
    ({}, {}, 422, "percent"),
    ([1, 2], {}, 422, ""),
    (None, {"data": b"{not json", "content_type": "application/json"}, 400, None),
    (None, {"data": "percent=50", "content_type": "text/plain"}, 415, None),
    ({"percent": 5, "note": "x" * 5001}, {}, 422, "note"),
    (None, {"data": b'{"percent": 5, "actual_value": NaN}', "content_type": "application/json"},
     400, None),
    ({"percent": 5, "actual_value": 1e300}, {}, 422, "actual_value"),
    (None, {"data": b'{"percent": 5, "note": "' + b"x" * 300_000 + b'"}',
            "content_type": "application/json"}, 413, None),
])
def test_bad_bodies_are_refused_and_nothing_is_written(issued, api, payload, kwargs, status, field):
    staff = api(issued.staff)
    resp = staff.post(f"/tasks/{issued.task.id}/progress", json=payload, **kwargs)
    assert resp.status_code == status, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    if field is not None:
        assert [e["field"] or "" for e in resp.get_json()["errors"]] == [field]
    assert rows(ProgressUpdate) == 0


def test_submit_confirm_and_return_go_through_the_workflow(issued, api):
    staff, deputy = api(issued.staff), api(issued.deputy)
    # No evidence: refused beside the files, as on the page.
    resp = staff.post(f"/tasks/{issued.task.id}/submit", json={"note": "Xong"})
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "files"
    resp = staff.post(f"/tasks/{issued.task.id}/submit",
                      data={"note": "Xong", "files": [(io.BytesIO(EVIDENCE_PDF), "kq.pdf")]},
                      content_type="multipart/form-data")
    assert resp.status_code == 200 and resp.get_json()["status"] == "submitted"
    # Returning needs a reason; the staff member cannot review his own work.
    resp = deputy.post(f"/tasks/{issued.task.id}/return", json={"comment": ""})
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "comment"
    assert staff.post(f"/tasks/{issued.task.id}/confirm", json={}).status_code == 403
    resp = deputy.post(f"/tasks/{issued.task.id}/confirm", json={"comment": "Đạt"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "completed" and body["completed_on"] == "2026-06-15"
    assert body["timeliness"] == "done_on_time"


def test_steps_are_ticked_by_the_responsible_person(issued, api):
    t = task(issued.task.id)
    step_id = db.session.scalars(select(ProcessStep.id).where(ProcessStep.task_id == t.id)
                                 .order_by(ProcessStep.position)).first()
    resp = api(issued.staff).post(f"/tasks/{t.id}/steps/{step_id}", json={"done": True})
    assert resp.status_code == 200 and resp.get_json()["steps"][0]["is_done"] is True
    assert api(issued.staff_b).post(f"/tasks/{t.id}/steps/{step_id}",
                                    json={"done": False}).status_code == 404


def test_an_extension_is_asked_and_decided(issued, api):
    staff, deputy = api(issued.staff), api(issued.deputy)
    resp = staff.post(f"/tasks/{issued.task.id}/extensions",
                      json={"proposed_due_on": "2026-05-01", "reason": "Chờ số liệu"})
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "proposed_due_on"
    resp = staff.post(f"/tasks/{issued.task.id}/extensions",
                      json={"proposed_due_on": "2026-07-31", "reason": "Chờ số liệu của các phòng"})
    assert resp.status_code == 201, resp.get_json()
    ext_id = resp.get_json()["id"]
    # The person who asked cannot decide; the accountable leader can.
    assert staff.post(f"/tasks/{issued.task.id}/extensions/{ext_id}/decision",
                      json={"approve": True}).status_code == 403
    resp = deputy.post(f"/tasks/{issued.task.id}/extensions/{ext_id}/decision",
                       json={"approve": True, "comment": "Đồng ý"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "approved"
    t = task(issued.task.id)
    assert t.due_on == date(2026, 7, 31) and t.original_due_on == date(2026, 6, 30)


# ---- what a form cannot do, the API cannot either (tests/reliability/test_tampering.py) ----

OWN = "You cannot confirm or return your own submission: the head of the unit decides on it."
DUE_LOCKED = ("The plan has been issued: the due date moves only through an approved extension "
              "(request one on the task page).")
AMEND_NOT_HEAD = ("After issue, only the head of the plan's unit can reassign the task or change "
                  "its weight (an amendment).")


@pytest.fixture
def tw(world, make):
    """World A's plan with a deputy's own task submitted, an overdue one of hers with a pending
    request she made, issued."""
    w = world
    w.own = make.task(w.plan, w.head, w.a, w.deputy, w.deputy,
                      title="Rà soát quy chế làm việc của Sở", due_on=date(2026, 6, 30)).id
    w.late = make.task(w.plan, w.head, w.a, w.deputy, w.deputy,
                       title="Cập nhật cơ sở dữ liệu cán bộ, công chức", due_on=date(2026, 6, 12)).id
    issue_world_plans(w)
    submit_with_evidence(db.session.get(type(w.deputy), w.deputy.id), w.own, "Xong", TODAY)
    ext = Extension(task_id=w.late, requested_by_id=w.deputy.id, requested_on=date(2026, 6, 5),
                    previous_due_on=date(2026, 6, 12), proposed_due_on=date(2026, 7, 31),
                    reason="Chờ số liệu", status="pending", decision_comment="")
    db.session.add(ext)
    db.session.commit()
    w.ext = ext.id
    return w


def _refused(resp, expected: str | None):
    assert resp.status_code in (403, 404, 422), resp.get_json()
    if expected is not None:
        assert resp.status_code == 422
        assert vi(expected) in json.dumps(resp.get_json(), ensure_ascii=False)


def test_a_deputy_cannot_confirm_or_return_her_own_submission(tw, api):
    deputy = api(tw.deputy)
    _refused(deputy.post(f"/tasks/{tw.own}/confirm", json={}), OWN)
    _refused(deputy.post(f"/tasks/{tw.own}/return", json={"comment": "Làm lại"}), OWN)
    assert task(tw.own).status == "submitted"


def test_a_deputy_cannot_approve_her_own_extension(tw, api):
    resp = api(tw.deputy).post(f"/tasks/{tw.late}/extensions/{tw.ext}/decision",
                               json={"approve": True})
    _refused(resp, None)
    assert task(tw.late).due_on == date(2026, 6, 12)
    assert db.session.get(Extension, tw.ext).status == "pending"


def test_nobody_moves_an_issued_plans_due_date_by_editing(tw, api):
    for who in (tw.deputy, tw.head):
        t = task(tw.late)
        reader = api(who)
        resp = reader.client.patch(f"/api/v1/tasks/{tw.late}",
                                   json={"version": t.version, "due_on": "2026-07-31"},
                                   headers={"Authorization": f"Bearer {reader.secret}"})
        _refused(resp, DUE_LOCKED)
        assert resp.get_json()["errors"][0]["field"] == "due_on"
    assert task(tw.late).due_on == date(2026, 6, 12)


def test_a_deputy_cannot_raise_her_own_tasks_weight(tw, api):
    reader = api(tw.deputy)
    t = task(tw.own)
    resp = reader.client.patch(f"/api/v1/tasks/{tw.own}", json={"version": t.version, "weight": 10},
                               headers={"Authorization": f"Bearer {reader.secret}"})
    _refused(resp, AMEND_NOT_HEAD)
    assert task(tw.own).weight == 1


INDICATOR_LOCKED = ("The plan has been issued: the indicator's name, unit and target can no "
                    "longer be changed (they decide quality scores).")


def test_nobody_lowers_or_adds_an_indicator_target_after_issue(tw, api):
    """The target is the denominator of the quality method "from targets": locked after
    issue, even for the head with a reason (docs/quality.md)."""
    db.session.execute(update(Task).where(Task.id == tw.late).values(
        indicator_name="Tỷ lệ hồ sơ", indicator_unit="%", indicator_target=100))
    db.session.commit()
    for who, body in ((tw.deputy, {"indicator_target": 10}),
                      (tw.head, {"indicator_target": 10, "amendment_reason": "Điều chỉnh"}),
                      (tw.head, {"indicator_unit": "hồ sơ"})):
        reader = api(who)
        resp = reader.client.patch(f"/api/v1/tasks/{tw.late}",
                                   json={"version": task(tw.late).version, **body},
                                   headers={"Authorization": f"Bearer {reader.secret}"})
        _refused(resp, INDICATOR_LOCKED)
        fields = {e["field"] for e in resp.get_json()["errors"]}
        assert fields == set(body) - {"amendment_reason"}
    reader = api(tw.head)
    resp = reader.client.patch(f"/api/v1/tasks/{tw.own}",
                               json={"version": task(tw.own).version, "indicator_name": "Số hồ sơ",
                                     "indicator_unit": "hồ sơ", "indicator_target": 1},
                               headers={"Authorization": f"Bearer {reader.secret}"})
    _refused(resp, INDICATOR_LOCKED)
    t, own = task(tw.late), task(tw.own)
    assert (t.indicator_name, t.indicator_unit, t.indicator_target) == ("Tỷ lệ hồ sơ", "%", 100)
    assert (own.indicator_name or "", own.indicator_target) == ("", None)


KEY_LOCKED = ("The plan has been issued: whether the task is a key task can no longer be "
              "changed (it decides quality scores).")
DIRECTION_LOCKED = ("The plan has been issued: the indicator's direction can no longer be "
                    "changed (it decides quality scores).")


def test_the_key_flag_and_direction_are_set_on_a_draft_and_locked_after_issue(world, api):
    """Settable through the API with the form's rules (docs/quality.md): free while the plan
    is a draft; after issue nobody flips them, not even the head with a reason, since the
    head of a unit is the very person its quality criteria score."""
    head = api(world.head)
    auth = {"Authorization": f"Bearer {head.secret}"}
    t = task(world.task.id)
    resp = head.client.patch(f"/api/v1/tasks/{t.id}", headers=auth, json={
        "version": t.version, "is_key": True, "indicator_name": "Hồ sơ trễ hạn",
        "indicator_unit": "hồ sơ", "indicator_target": 10, "indicator_direction": "lower"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["is_key"] is True and body["indicator"]["direction"] == "lower"
    assert body["indicator"]["achievement"] == 0.0       # nothing reported yet
    t = task(world.task.id)
    assert t.is_key and t.indicator_direction == "lower"
    # A direction that is neither: a 422 naming the field, nothing changed.
    resp = head.client.patch(f"/api/v1/tasks/{t.id}", headers=auth,
                             json={"version": t.version, "indicator_direction": "sideways"})
    assert resp.status_code == 422 and task(t.id).indicator_direction == "lower"
    issue_world_plans(world)
    for who, data, message, field in (
            (world.head, {"is_key": False, "amendment_reason": "Điều chỉnh"}, KEY_LOCKED, "is_key"),
            (world.head, {"indicator_direction": "higher"}, DIRECTION_LOCKED, "indicator_direction"),
            (world.deputy, {"is_key": False}, KEY_LOCKED, "is_key")):
        reader = api(who)
        resp = reader.client.patch(f"/api/v1/tasks/{t.id}",
                                   headers={"Authorization": f"Bearer {reader.secret}"},
                                   json={"version": task(t.id).version, **data})
        _refused(resp, message)
        assert field in {e["field"] for e in resp.get_json()["errors"]}
    t = task(world.task.id)
    assert t.is_key and t.indicator_direction == "lower"
    # Sending them unchanged after issue is no change: the edit of another field passes.
    resp = head.client.patch(f"/api/v1/tasks/{t.id}", headers=auth, json={
        "version": t.version, "is_key": True, "indicator_direction": "lower",
        "title": "Tiêu đề đã sửa"})
    assert resp.status_code == 200, resp.get_json()


@pytest.mark.parametrize("who", ["staff", "head_b", "assessor"])
def test_others_cannot_edit_confirm_or_decide(tw, api, who):
    reader = api(getattr(tw, who))
    t = task(tw.late)
    resp = reader.client.patch(f"/api/v1/tasks/{tw.late}", json={"version": t.version,
                                                                 "due_on": "2026-07-31"},
                               headers={"Authorization": f"Bearer {reader.secret}"})
    _refused(resp, None)
    _refused(reader.post(f"/tasks/{tw.own}/confirm", json={}), None)
    _refused(reader.post(f"/tasks/{tw.late}/extensions/{tw.ext}/decision", json={"approve": True}),
             None)
    assert task(tw.own).status == "submitted" and task(tw.late).due_on == date(2026, 6, 12)


def test_the_head_edits_a_draft_plans_task_and_a_stale_version_is_409(world, api):
    head = api(world.head)
    t = task(world.task.id)
    read = t.version
    resp = head.client.patch(f"/api/v1/tasks/{t.id}", json={"version": read,
                                                            "due_on": "2026-07-31"},
                             headers={"Authorization": f"Bearer {head.secret}"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["due_on"] == "2026-07-31"
    resp = head.client.patch(f"/api/v1/tasks/{t.id}", json={"version": read,
                                                            "title": "Tiêu đề khác hẳn"},
                             headers={"Authorization": f"Bearer {head.secret}"})
    assert resp.status_code == 409 and task(t.id).title != "Tiêu đề khác hẳn"


FIELD_LOCKED = ("The plan has been issued: the task's field can no longer be changed (it "
                "decides quality scores).")


def test_nobody_re_files_an_issued_task_under_another_field(tw, api):
    """Red team (session 7): a criterion "from tasks" may read one field's tasks only, so a late
    task moved out of that field after issue would raise the unit's quality result."""
    from app.domain.text import sort_key
    from app.models import Field

    f = Field(unit_id=tw.a.id, name="Chính quyền số", name_sort=sort_key("Chính quyền số"))
    db.session.add(f)
    db.session.commit()
    for who, body in ((tw.deputy, {"field_id": f.id}),
                      (tw.head, {"field_id": f.id, "amendment_reason": "Phân loại lại"})):
        reader = api(who)
        resp = reader.client.patch(f"/api/v1/tasks/{tw.late}",
                                   json={"version": task(tw.late).version, **body},
                                   headers={"Authorization": f"Bearer {reader.secret}"})
        _refused(resp, FIELD_LOCKED)
        assert resp.get_json()["errors"][0]["field"] == "field_id"
    assert task(tw.late).field_id is None


def test_a_deputy_cannot_confirm_through_the_api_the_work_she_added_after_issue(issued, api, make):
    """task_rules.head_confirms_addition: the API confirms through the same service, so the
    deputy who added the task is refused with the head named; the head confirms it."""
    from app.settings import current_settings
    from app.tasks import commands as tasks

    w = issued
    data = make.task_input(w.a, w.staff, w.deputy, due_on=TODAY, title="Báo cáo nhanh tuần")
    tid = tasks.create_task(db.session.get(type(w.deputy), w.deputy.id), w.plan.id, data,
                            today=TODAY, settings=current_settings().task_rules).id
    db.session.commit()
    submit_with_evidence(db.session.get(type(w.staff), w.staff.id), tid, "Xong", TODAY)
    db.session.commit()
    resp = api(w.deputy).post(f"/tasks/{tid}/confirm", json={"comment": "Đạt"})
    assert resp.status_code == 422
    assert w.head.full_name in json.dumps(resp.get_json(), ensure_ascii=False)
    assert task(tid).status == "submitted"
    assert api(w.deputy).get(f"/tasks/{tid}").get_json()["permissions"]["review"] is False
    resp = api(w.head).post(f"/tasks/{tid}/confirm", json={"comment": "Đạt"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "completed"
