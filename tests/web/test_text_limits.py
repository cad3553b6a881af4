"""A task's text lengths are the rule set's (app/domain/task_rules.py TEXT_LIMITS), written
once and told in the same words by the task form, the API and the plan import
(tests/services/test_plan_import.py has the import's side)."""

import pytest
from web_support import field_errors, parse

from app.domain.task_rules import TEXT_LIMITS, Violation
from app.tasks.messages import message

CASES = [
    ("title", "Rà soát " * 70, "title_too_long", 559),
    ("description", "x" * 10001, "text_too_long", 10001),
    ("responsibility", "r" * 5001, "text_too_long", 5001),
    ("output_product", "p" * 5001, "text_too_long", 5001),
    ("indicator_name", "n" * 256, "text_too_long", 256),
    ("indicator_unit", "u" * 65, "text_too_long", 65),
]


@pytest.mark.parametrize("name, text, code, length", CASES, ids=[c[0] for c in CASES])
def test_the_task_form_refuses_a_long_text_in_the_rule_sets_words(world, as_user, name, text,
                                                                  code, length):
    resp = as_user("head_a").post(f"/plans/{world.plan.id}/tasks/new",
                                  data={"title": "Rà soát thủ tục hành chính", name: text})
    assert resp.status_code == 422
    said = str(message(Violation(name, code, (("length", length), ("max", TEXT_LIMITS[name])))))
    assert field_errors(parse(resp.get_data(as_text=True)), name) == [said]


def test_every_limit_is_the_columns_length():
    """The table is what the database holds: a limit above a column's length would let a
    form pass what PostgreSQL then refuses."""
    from app.models import Task
    from app.models.task import ProcessStep
    for name in ("title", "indicator_name", "indicator_unit"):
        assert Task.__table__.c[name].type.length == TEXT_LIMITS[name], name
    assert ProcessStep.__table__.c["title"].type.length == TEXT_LIMITS["step"]
