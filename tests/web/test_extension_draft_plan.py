"""No extension on a task of a draft plan (DESIGN.md 4: nothing is due on a draft, its
dates are edited freely): one rule (domain.task_rules.check_extension_plan) refuses it on
every path, with a message that says why, in Vietnamese and English. TODAY is 15/06/2026;
world.task (staff_a responsible) is due 30/06/2026 in unit A's plan, a draft until issued."""

import json
from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.common.errors import RuleViolation
from app.deadlines import extensions
from app.domain import task_rules
from app.extensions import db
from app.models import Extension, User
from app.settings import current_settings
from tests.api.conftest import make_token

VI = "Kế hoạch còn là dự thảo: chưa có hạn nào được tính nên không cần gia hạn; trước khi ban hành, hạn hoàn thành được sửa ngay trong nhiệm vụ."
EN = ("The plan is still a draft: nothing is due yet, so there is nothing to extend; "
      "until it is issued, its dates are changed by editing the task.")


def extensions_count() -> int:
    return db.session.scalar(select(func.count(Extension.id)))


@pytest.mark.parametrize(("status", "codes"), [
    ("draft", ["extension_draft_plan"]), ("issued", []), ("closed", ["plan_closed"])])
def test_the_rule_refuses_a_draft_and_a_closed_plan(status, codes):
    assert [v.code for v in task_rules.check_extension_plan(status)] == codes


def test_the_use_case_refuses_a_task_of_a_draft_plan(world):
    assert world.plan.status == "draft"
    with pytest.raises(RuleViolation) as info:
        extensions.request_extension(db.session.get(User, world.staff.id), world.task.id,
                                     date(2026, 7, 31), "Chờ số liệu", date(2026, 6, 15),
                                     max_extensions=current_settings().max_extensions)
    db.session.rollback()
    with force_locale("vi"):
        assert str(info.value.message) == VI
    with force_locale("en"):
        assert str(info.value.message) == EN
    assert extensions_count() == 0


def test_the_page_says_why_instead_of_offering_the_form_and_a_post_is_refused(world, as_user):
    c = as_user("staff_a")
    html = c.get(f"/tasks/{world.task.id}").get_data(as_text=True)
    assert 'id="extension-form"' not in html
    assert 'id="extension-blocker"' in html and VI in html
    resp = c.post(f"/tasks/{world.task.id}/extensions",
                  data={"proposed_due_on": "31/07/2026", "reason": "Chờ số liệu"})
    assert resp.status_code == 422
    assert VI in resp.get_data(as_text=True)
    assert extensions_count() == 0
    c.post("/language/en", data={"next": "/"})
    assert EN in c.get(f"/tasks/{world.task.id}").get_data(as_text=True)


def test_the_api_refuses_it_with_the_same_message(world, client):
    token = make_token(world.staff)
    resp = client.post(f"/api/v1/tasks/{world.task.id}/extensions",
                       json={"proposed_due_on": "2026-07-31", "reason": "Chờ số liệu"},
                       headers={"Authorization": f"Bearer {token}"})
    assert 400 <= resp.status_code < 500
    assert VI in json.dumps(resp.get_json(), ensure_ascii=False)
    assert extensions_count() == 0
