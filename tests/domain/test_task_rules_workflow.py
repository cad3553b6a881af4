"""The rules the task commands share with the rule set: a closed plan, a progress percent."""

from decimal import Decimal

import pytest

from app.domain import task_rules as rules


@pytest.mark.parametrize("status, codes", [
    ("draft", []), ("issued", []), ("closed", ["plan_closed"]),
])
def test_only_a_closed_plan_refuses_its_tasks_changes(status, codes):
    assert [v.code for v in rules.check_plan_open(status)] == codes


@pytest.mark.parametrize("percent, refused", [
    (0, False), (1, False), (100, False), (Decimal("99.5"), False),
    (-1, True), (101, True), (Decimal("100.01"), True),
])
def test_progress_is_a_percent_from_0_to_100(percent, refused):
    violations = rules.check_progress(percent)
    assert bool(violations) is refused
    assert all((v.field, v.code) == ("percent", "progress_range") for v in violations)
