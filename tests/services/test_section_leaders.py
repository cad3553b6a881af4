"""The accountable leader of a section's plan (docs/integrity.md): a section (phòng thuộc đơn
vị) is part of its department, so the department's head or a deputy in charge of the section's
field may answer for the tasks of the section's own plan: the rule set, the form's choices, the
import and a recurring rule agree. Never the province above the department, nor another
department's leader; an office that is not a section stays an agency of its own."""

from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import update

from app.common.errors import RuleViolations
from app.extensions import db
from app.models import Unit
from app.plans import importing as plan_import
from app.plans import recurring
from app.plans.recurring import RuleInput
from app.settings import current_settings
from app.tasks import commands as tasks
from app.tasks import queries as task_queries
from tests.conftest import TODAY
from tests.plan_files import HEADERS, build, clear_row


@pytest.fixture
def section(world, make):
    s = make.unit("Phòng Cải cách hành chính", parent=world.a, code="SNV-CCHC")
    db.session.execute(update(Unit).where(Unit.id == s.id).values(kind="section"))
    db.session.commit()
    s.head = make.user(s, "head", "Nguyễn Văn Phòng", "head_cchc")
    s.staff = make.user(s, "staff", "Đinh Thị Hà", "staff_cchc")
    s.plan = make.plan(s, kind="cchc", title="Kế hoạch CCHC của phòng năm 2026")
    return s


# The refusal names everything the rule allows, the section's department too (commit 304e3b7).
VI_REFUSAL = ("Lãnh đạo phụ trách phải là lãnh đạo của đơn vị chủ trì, đơn vị lập kế hoạch hoặc "
              "đơn vị ở giữa; với kế hoạch của phòng, cả lãnh đạo đơn vị mà phòng trực thuộc.")
EN_REFUSAL = ("The accountable leader must lead the lead unit, the plan's unit or a unit between "
              "them; for a section's plan, also the department it belongs to.")


def _create(make, section, leader, lead=None, assignee=None):
    return tasks.create_task(section.head, section.plan.id,
                             make.task_input(lead or section, assignee or section.staff, leader),
                             today=TODAY, settings=current_settings().task_rules)


def _codes(e: RuleViolations) -> set:
    return {(v.field, str(v.message)) for v in e.violations}


def test_the_departments_deputy_may_answer_for_a_sections_task(world, make, section):
    t = _create(make, section, world.deputy)
    db.session.commit()
    assert t.leader_id == world.deputy.id
    assert _create(make, section, world.head).leader_id == world.head.id
    assert _create(make, section, section.head, assignee=section.staff).leader_id == section.head.id


def test_never_the_province_above_nor_another_department(world, make, section):
    province = db.session.get(Unit, world.a.parent_id)
    governor = make.user(province, "head", "Cao Văn Tỉnh", "chairman")
    for leader in (governor, world.deputy_b):
        with pytest.raises(RuleViolations) as e:
            _create(make, section, leader)
        assert _codes(e.value) == {("leader_id", VI_REFUSAL)}
        with force_locale("en"):
            assert _codes(e.value) == {("leader_id", EN_REFUSAL)}
        db.session.rollback()


def test_an_office_that_is_no_section_is_an_agency_of_its_own(world, make, section):
    db.session.execute(update(Unit).where(Unit.id == section.id).values(kind="office"))
    db.session.commit()
    with pytest.raises(RuleViolations):
        _create(make, section, world.deputy)


def test_the_form_offers_the_departments_leaders_first(world, section):
    plan = task_queries.get_plan(section.head, section.plan.id)
    leaders = [p.id for p in task_queries.choices_for_plan(plan).leaders]
    assert leaders == [world.head.id, world.deputy.id, section.head.id]


def test_the_import_finds_the_departments_deputy_by_name(world, section):
    plan = task_queries.get_plan(section.head, section.plan.id)
    data = build([HEADERS, clear_row(1, lead="SNV-CCHC", assignee="Đinh Thị Hà", leader="Lê Thị Mai"),
                  clear_row(2, lead="SNV-CCHC", assignee="staff_cchc", leader="Võ Văn Bình")])
    p = plan_import.preview(plan, data, TODAY, section.head, settings=current_settings().task_rules)
    assert p.rows[0].values["leader_id"] == world.deputy.id and not p.rows[0].has_error
    # Another department's head is not looked for: named as not found where leaders may be.
    assert [e.text for e in p.errors] == [
        ("Dòng 3, cột Lãnh đạo phụ trách: không tìm thấy người dùng “Võ Văn Bình” trong Sở Nội vụ / "
        "Phòng Cải cách hành chính (ghi tên đăng nhập, email hoặc họ tên)")]


def test_a_recurring_rule_of_a_sections_plan_may_name_the_departments_deputy(world, section):
    rule, _made = recurring.add_rule(section.head, section.plan.id, RuleInput(
        title="Báo cáo tình hình thực hiện công tác cải cách hành chính",
        description="Tổng hợp, báo cáo kết quả thực hiện nhiệm vụ CCHC của kỳ.",
        frequency="quarterly", due_kind="day", due_day=20, assignee_id=section.staff.id,
        lead_unit_id=section.id, leader_id=world.deputy.id,
        responsibility="Chịu trách nhiệm tổng hợp số liệu và gửi báo cáo đúng hạn.",
        steps_text="Tổng hợp số liệu\nTrình ký, gửi báo cáo", output_product="Báo cáo CCHC",
        weight=Decimal(1)), today=TODAY, settings=current_settings().task_rules)
    db.session.commit()
    assert rule.leader_id == world.deputy.id


def test_the_import_template_offers_the_departments_leaders(world, make, section):
    """The template a section downloads to fill its plan lists in its "Lãnh đạo phụ trách"
    drop-down whom the rule set lets it name: its department's head and deputies too, first
    as in the form, never the province's or another department's."""
    import io

    from openpyxl import load_workbook

    from app.plans import export as plan_export
    province = db.session.get(Unit, world.a.parent_id)
    make.user(province, "head", "Cao Văn Tỉnh", "chairman")
    wb = load_workbook(io.BytesIO(plan_export.template_bytes(section)))
    listed = [c.value for c in wb["Danh mục"]["C"]][1:]
    listed = [v for v in listed if v is not None]
    assert listed == [world.head.full_name, world.deputy.full_name, section.head.full_name]
    refs = {str(dv.sqref): dv.formula1 for dv in wb["Kế hoạch"].data_validations.dataValidation}
    assert refs["G2:G5001"] == "'Danh mục'!$C$2:$C$4"
    # What the list offers, the import finds.
    plan = task_queries.get_plan(section.head, section.plan.id)
    data = build([HEADERS, *(clear_row(i, lead="SNV-CCHC", assignee="staff_cchc", leader=name)
                             for i, name in enumerate(listed, start=1))])
    p = plan_import.preview(plan, data, TODAY, section.head, settings=current_settings().task_rules)
    assert p.errors == []
    assert [r.values["leader_id"] for r in p.rows] == [world.head.id, world.deputy.id,
                                                       section.head.id]
