"""The scoring methods through the pages: the set's tree editor takes each method's
parameters with its messages beside the field (and keeps what was typed), the sheet shows
every automatic figure with a link to its sources, a bonus over its cap is clipped with a
warning; and the key-task flag on tasks, locked once the plan is issued."""

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import update

from app.clock import local_today
from app.common.errors import RuleViolations
from app.extensions import db
from app.models import Task
from app.quality import commands
from app.settings import current_settings
from app.tasks import commands as tasks
from tests.quality.conftest import sheet_of

D = Decimal


def html(resp) -> str:
    return resp.get_data(as_text=True)


def criterion(w, **data) -> dict:
    base = {"parent_id": str(w.c["2"].id), "code": "2.9", "title": "Tiêu chí mới",
            "max_points": "10", "method": "manual", "plan_kind": "", "field_id": "",
            "basis": "tasks", "steps": "", "event_kind": "", "per_event": "", "min_points": ""}
    return base | data


def test_bad_steps_are_refused_beside_the_field_keeping_what_was_typed(qworld, as_user):
    w = qworld
    c = as_user("assessor")
    resp = c.post(f"/quality/{w.set.id}/criteria",
                  data=criterion(w, method="stepped", steps="từ 90 được 10"))
    assert resp.status_code == 422
    page = html(resp)
    assert "Nhập các mức theo dạng" in page and 'value="từ 90 được 10"' in page
    assert 'id="steps"' in page and "is-invalid" in page
    resp = c.post(f"/quality/{w.set.id}/criteria",
                  data=criterion(w, method="deduction", event_kind="overdue", per_event="1",
                                 min_points="10"))
    assert resp.status_code == 422
    assert "Điểm tối thiểu phải nhỏ hơn điểm tối đa." in html(resp)


def test_the_assessor_adds_each_method_and_the_tree_describes_it(qworld, as_user):
    w = qworld
    c = as_user("assessor")
    for data in ({"code": "2.7", "method": "stepped", "steps": "90: 10; 70: 5; 0: 0"},
                 {"code": "2.8", "method": "deduction", "event_kind": "late", "per_event": "0,5"},
                 {"code": "2.9", "method": "targets", "is_key_only": "y"}):
        assert c.post(f"/quality/{w.set.id}/criteria", data=criterion(w, **data)).status_code == 302
    resp = c.post(f"/quality/{w.set.id}/criteria",
                  data=criterion(w, parent_id="", code="T", method="bonus", max_points="5"))
    assert resp.status_code == 302
    page = html(c.get(f"/quality/{w.set.id}"))
    assert "≥ 90%: 10 · ≥ 70%: 5 · ≥ 0%: 0" in page
    assert "trừ 0,5 điểm/lần" in page and "chỉ nhiệm vụ trọng tâm" in page
    assert 'data-method="bonus"' in page


def test_the_sheet_links_each_automatic_figure_to_its_sources(mworld, as_user):
    w = mworld
    sid = w.msheet[w.a.id].id
    c = as_user("head_a")
    page = html(c.get(f"/quality/sheets/{sid}"))
    for code in ("1.1", "1.2", "1.3", "1.4", "1.5"):
        assert f"/criteria/{w.m[code].id}/sources" in page
    assert f"/criteria/{w.m['1.6'].id}/sources" not in page     # declared: no tracker source
    page = html(c.get(f"/quality/sheets/{sid}/criteria/{w.m['1.1'].id}/sources"))
    assert 'id="sources"' in page and page.count("data-task=") == 3 and "8,67" in page


def test_another_unit_does_not_see_the_sources(mworld, as_user):
    w = mworld
    sid = w.msheet[w.a.id].id
    assert as_user("head_b").get(f"/quality/sheets/{sid}/criteria/{w.m['1.1'].id}/sources").status_code == 404


def test_a_bonus_over_its_cap_is_clipped_with_a_warning(mworld, as_user):
    w = mworld
    sid = w.msheet[w.a.id].id
    c = as_user("head_a")
    resp = c.post(f"/quality/sheets/{sid}/criteria/{w.m['B'].id}/self",
                  data={"sB-points": "8", "sB-note": "Bằng khen của Thủ tướng"}, follow_redirects=True)
    assert resp.status_code == 200
    assert "Điểm thưởng tối đa 5 điểm: số điểm 8 đã được đưa về 5." in html(resp)


def test_a_head_cannot_flip_the_key_flag_or_direction_once_the_plan_is_issued(qworld, as_user):
    w = qworld
    t = db.session.get(Task, w.overdue.id)       # overdue, in an issued plan of her unit
    before = tasks.values_of(t)
    data = tasks.TaskInput(
        title=t.title, description=t.description, assignee_id=t.assignee_id,
        lead_unit_id=t.lead_unit_id, coordinator_ids=[u.id for u in t.coordinators],
        leader_id=t.leader_id, responsibility=t.responsibility,
        steps=[tasks.StepInput(s.title, s.due_on, s.id) for s in t.steps],
        start_on=t.start_on, due_on=t.due_on, output_product=t.output_product,
        indicator_name=t.indicator_name, indicator_unit=t.indicator_unit,
        indicator_target=t.indicator_target, field_id=t.field_id, weight=t.weight,
        is_key=before.is_key, indicator_direction=before.indicator_direction)
    for change, field in (({"is_key": True}, "is_key"),
                          ({"indicator_direction": "lower"}, "indicator_direction")):
        with pytest.raises(RuleViolations) as e:
            tasks.update_task(w.head, t.id, replace(data, **change), t.version, today=local_today(),
                              settings=current_settings().task_rules, amendment_reason="Điều chỉnh")
        assert field in {v.field for v in e.value.violations}
        db.session.rollback()
    assert db.session.get(Task, t.id).is_key is False


def test_the_task_and_plan_pages_show_the_key_badge_and_the_achievement(qworld, as_user):
    w = qworld
    db.session.execute(update(Task).where(Task.id == w.task.id).values(
        is_key=True, indicator_name="Tỷ lệ hồ sơ", indicator_target=D(100), indicator_actual=D(80)))
    db.session.commit()
    c = as_user("head_a")
    page = html(c.get(f"/tasks/{w.task.id}"))
    assert 'id="key-badge"' in page and "đạt 80%" in page
    page = html(c.get(f"/plans/{w.task.plan_id}"))
    assert "key-badge" in page and 'data-achievement="80.00"' in page


def test_the_head_declares_a_criterion_not_applicable_through_the_sheet(qworld, as_user):
    w = qworld
    c = commands.add_criterion(w.assessor, w.set.id, commands.CriterionInput(
        w.c["1"].id, "1.3", "Thủ tục hành chính", D(5), "manual", is_na_allowed=True))
    db.session.execute(update(type(c)).where(type(c).id == w.c["1.2"].id).values(max_points=D(15)))
    db.session.commit()
    commands.publish_set(w.assessor, w.set.id)
    db.session.commit()
    sid = sheet_of(w, w.a).id
    client = as_user("head_a")
    page = html(client.get(f"/quality/sheets/{sid}"))
    assert 'name="s1_3-not_applicable"' in page and 'name="s1_2-not_applicable"' not in page
    resp = client.post(f"/quality/sheets/{sid}/criteria/{c.id}/self",
                       data={"s1_3-not_applicable": "y", "s1_3-note": ""})
    assert resp.status_code == 422
    assert "Nêu lý do tiêu chí không áp dụng đối với đơn vị." in html(resp)
    resp = client.post(f"/quality/sheets/{sid}/criteria/{c.id}/self",
                       data={"s1_3-not_applicable": "y", "s1_3-note": "Không có thủ tục"})
    assert resp.status_code == 302
    assert "data-na" in html(client.get(f"/quality/sheets/{sid}"))


def test_the_edit_form_refuses_a_lower_target_beside_the_field(qworld, as_user):
    """The target is the denominator of "from targets": once the plan is issued the form
    refuses to change it, even for the head with a reason, the message under the field."""
    from tests.support.payloads import task_form_data

    w = qworld
    db.session.execute(update(Task).where(Task.id == w.overdue.id).values(
        indicator_name="Tỷ lệ hồ sơ", indicator_unit="%", indicator_target=Decimal(100)))
    db.session.commit()
    data = task_form_data(w.overdue.id) | {"indicator_target": "10", "indicator_direction": "higher",
                                           "amendment_reason": "Điều chỉnh chỉ tiêu"}
    resp = as_user("head_a").post(f"/tasks/{w.overdue.id}/edit", data=data)
    assert resp.status_code == 422
    page = html(resp)
    after = page[page.index('id="indicator_target"'):]
    feedback = after[after.index('invalid-feedback'):][:400]
    assert "Kế hoạch đã ban hành: không thể thay đổi tên, đơn vị tính và giá trị mục tiêu" in feedback
    assert 'value="10"' in after[:300]   # the form keeps what was typed
    db.session.expire_all()
    assert db.session.get(Task, w.overdue.id).indicator_target == 100
