"""Adversarial review (session 7, red team): paths by which the people being scored could
move their own task or quality-of-operation result outside the workflow. Each test is the
attack, written first; it passes once the path is closed (docs/integrity.md)."""

from dataclasses import replace

import pytest
from sqlalchemy import select

from app.common.errors import RuleViolations
from app.extensions import db
from app.models import Field, Task
from app.plans import service as plans
from app.settings import current_settings
from app.tasks import commands as tasks
from app.tasks import queries as task_queries
from app.domain.text import sort_key
from tests.conftest import TODAY
from tests.services.test_task_rules_service import form_of


def reload(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.scalars(select(Task).where(Task.id == task_id)
                              .options(*task_queries.detail_options())).one()


def edit(actor, task_id, reason="", **change):
    t = reload(task_id)
    return tasks.update_task(actor, task_id, replace(form_of(t), **change), t.version,
                             today=TODAY, amendment_reason=reason,
                             settings=current_settings().task_rules)


def two_fields(world):
    a = Field(unit_id=world.a.id, name="Cải cách hành chính", name_sort=sort_key("Cải cách hành chính"))
    b = Field(unit_id=world.a.id, name="Chính quyền số", name_sort=sort_key("Chính quyền số"))
    db.session.add_all([a, b])
    db.session.commit()
    return a, b


# ---- 1. the field of an issued task ------------------------------------------------------
# A quality criterion "from tasks" may count only the tasks of one field (DESIGN.md 8): moving
# a late task out of that field after issue raises the unit's result as surely as flipping
# its key-task flag, which is locked. The field is locked the same way.

def test_in_a_draft_plan_the_field_is_chosen_freely(world):
    cchc, _ = two_fields(world)
    edit(world.head, world.task.id, field_id=cchc.id)
    assert reload(world.task.id).field_id == cchc.id


@pytest.mark.parametrize("who", ["head", "deputy"])
def test_after_issue_nobody_moves_a_task_to_another_field(world, who):
    cchc, digital = two_fields(world)
    edit(world.head, world.task.id, field_id=cchc.id)
    plans.issue_plan(world.head, world.plan.id)
    db.session.commit()
    actor = getattr(world, who)
    for new in (digital.id, None):
        with pytest.raises(RuleViolations) as e:
            edit(actor, world.task.id, reason="phân loại lại", field_id=new)
        assert {v.field for v in e.value.violations} == {"field_id"}
        assert "lĩnh vực" in str(e.value.violations[0].message).lower() or \
            "field" in str(e.value.violations[0].message).lower()
        db.session.rollback()
    assert reload(world.task.id).field_id == cchc.id
