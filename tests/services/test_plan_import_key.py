"""The plan template's "Trọng tâm" (x / có) and "Chiều chỉ tiêu" (cao / thấp) columns
(issue 13): read on import, a blank cell keeps the stored value, an unknown word is refused
beside its column, and once the plan is issued a file cannot flip them; the export writes
them back with the indicator's achievement."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import Plan, Task
from app.plans import export as plan_export
from app.plans import importing as plan_import
from app.settings import current_settings
from tests.conftest import TODAY, issue_plans
from tests.plan_files import HEADERS, build, clear_row


@pytest.fixture
def empty_plan(world, make):
    return make.plan(world.a, kind="work", title="Kế hoạch công tác năm 2026")


def apply(plan, rows, actor):
    result = plan_import.apply(actor, plan, build([HEADERS] + rows), TODAY, "ke-hoach.xlsx",
                               settings=current_settings().task_rules)
    db.session.commit()
    return result


def tasks_of(plan) -> dict[str, Task]:
    db.session.expire_all()
    return {t.stt: t for t in db.session.query(Task).filter(Task.plan_id == plan.id)}


def messages(p) -> list[str]:
    return [f"{i.column}: {i.message}" for i in p.errors]


def test_key_and_direction_are_read_and_exported_back(world, empty_plan):
    apply(empty_plan, [clear_row(1, key="x", ind="Hồ sơ trễ hạn", ind_unit="hồ sơ", target=10,
                                 direction="thấp", actual=20),
                       clear_row(2, key="Có"), clear_row(3)], world.head)
    t = tasks_of(empty_plan)
    assert (t["1"].is_key, t["1"].indicator_direction) == (True, "lower")
    assert (t["2"].is_key, t["3"].is_key, t["3"].indicator_direction) == (True, False, "higher")
    assert t["1"].achievement == Decimal("50.00")
    rows = list(load_workbook(io.BytesIO(plan_export.export_bytes(db.session.get(Plan, empty_plan.id))),
                              read_only=True)[plan_export.DATA_SHEET].iter_rows(values_only=True))
    assert list(rows[0][-3:]) == ["Trọng tâm", "Chiều chỉ tiêu", "Tỷ lệ đạt (%)"]
    assert list(rows[1][-3:]) == ["x", "thấp", 50]


def test_a_blank_cell_keeps_the_flag_and_an_unknown_word_is_refused(world, empty_plan):
    apply(empty_plan, [clear_row(1, key="x")], world.head)
    apply(empty_plan, [clear_row(1)], world.head)
    assert tasks_of(empty_plan)["1"].is_key is True
    p = plan_import.preview(empty_plan, build([HEADERS, clear_row(1, key="hơi hơi", direction="ngang")]),
                            TODAY, settings=current_settings().task_rules)
    text = " ".join(messages(p))
    assert "Trọng tâm" in text and "Chiều chỉ tiêu" in text


def test_a_file_cannot_flip_the_key_flag_once_the_plan_is_issued(world, empty_plan):
    apply(empty_plan, [clear_row(1, key="x")], world.head)
    issue_plans(empty_plan)
    p = plan_import.preview(empty_plan, build([HEADERS, clear_row(1, key="không")]), TODAY,
                            world.head, settings=current_settings().task_rules)
    assert any(i.column == "Trọng tâm" for i in p.errors), messages(p)
    with pytest.raises(plan_import.ImportRefused):
        plan_import.apply(world.head, empty_plan, build([HEADERS, clear_row(1, key="không")]),
                          TODAY, "ke-hoach.xlsx", settings=current_settings().task_rules)
    db.session.rollback()
    assert tasks_of(empty_plan)["1"].is_key is True


@pytest.mark.parametrize("name", ["Cải cách hành chính", "Lĩnh vực mới chưa có"])
def test_a_file_cannot_move_a_task_to_another_field_once_the_plan_is_issued(world, empty_plan, name):
    """Red team (session 7): a criterion "from tasks" may count one field's tasks only, so the
    field is locked after issue (rule field_locked) — also a field the import would create."""
    from app.domain.text import sort_key
    from app.models import Field

    db.session.add(Field(unit_id=world.a.id, name="Cải cách hành chính",
                         name_sort=sort_key("Cải cách hành chính")))
    db.session.commit()
    apply(empty_plan, [clear_row(1)], world.head)
    issue_plans(empty_plan)
    p = plan_import.preview(empty_plan, build([HEADERS, clear_row(1, field=name)]), TODAY,
                            world.head, settings=current_settings().task_rules)
    assert any(i.column == "Lĩnh vực" and "lĩnh vực" in i.message for i in p.errors), messages(p)
    with pytest.raises(plan_import.ImportRefused):
        plan_import.apply(world.head, empty_plan, build([HEADERS, clear_row(1, field=name)]),
                          TODAY, "ke-hoach.xlsx", settings=current_settings().task_rules)
    db.session.rollback()
    assert tasks_of(empty_plan)["1"].field_id is None
