"""The task rule set as tables: the facts of a create or an edit -> every (field, rule) broken."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.domain.six_clears import Step
from app.domain.task_rules import (
    CODES,
    ActorFacts,
    Directory,
    PersonFacts,
    PlanFacts,
    RuleSettings,
    TaskValues,
    UnitFacts,
    amendment_changes,
    check_task,
    may_amend,
)

TODAY = date(2026, 6, 15)

# A province (1) with a department (2) and its section (3); another department (4); a retired
# unit (5) under the department.
UNITS = {
    1: UnitFacts(1, "/1/"),
    2: UnitFacts(2, "/1/2/"),
    3: UnitFacts(3, "/1/2/3/"),
    4: UnitFacts(4, "/1/4/"),
    5: UnitFacts(5, "/1/2/5/", is_active=False),
}
HEAD, DEPUTY, STAFF, SECTION_STAFF, OTHER_HEAD, GONE, PROV_HEAD, SECTION_HEAD = 10, 11, 12, 13, 14, 15, 16, 17
PEOPLE = {
    HEAD: PersonFacts(HEAD, 2, "/1/2/", "head"),
    DEPUTY: PersonFacts(DEPUTY, 2, "/1/2/", "deputy"),
    STAFF: PersonFacts(STAFF, 2, "/1/2/", "staff"),
    SECTION_STAFF: PersonFacts(SECTION_STAFF, 3, "/1/2/3/", "staff"),
    OTHER_HEAD: PersonFacts(OTHER_HEAD, 4, "/1/4/", "head"),
    GONE: PersonFacts(GONE, 2, "/1/2/", "deputy", is_active=False),
    PROV_HEAD: PersonFacts(PROV_HEAD, 1, "/1/", "head"),
    SECTION_HEAD: PersonFacts(SECTION_HEAD, 3, "/1/2/3/", "head"),
}
DIRECTORY = Directory(UNITS, PEOPLE)
DRAFT = PlanFacts(100, 2, "/1/2/", 2026, date(2026, 1, 1), date(2026, 12, 31), "draft")
ISSUED = replace(DRAFT, status="issued")
CLOSED = replace(DRAFT, status="closed")
ACTORS = {
    "head": ActorFacts(HEAD, "head", 2, "/1/2/"),
    "deputy": ActorFacts(DEPUTY, "deputy", 2, "/1/2/"),
    "staff": ActorFacts(STAFF, "staff", 2, "/1/2/"),
    "other_head": ActorFacts(OTHER_HEAD, "head", 4, "/1/4/"),
    "prov_head": ActorFacts(PROV_HEAD, "head", 1, "/1/"),
}

# A clear task: passes every rule, draft or issued.
CLEAR = TaskValues(
    title="Xây dựng bộ chỉ số đánh giá chất lượng hoạt động",
    description="Xây dựng và ban hành bộ chỉ số.",
    assignee_id=STAFF, lead_unit_id=2, leader_id=DEPUTY,
    responsibility="Dự thảo và trình ban hành đúng hạn.",
    steps=(Step("Dự thảo", date(2026, 3, 1)), Step("Lấy ý kiến", date(2026, 4, 1))),
    start_on=date(2026, 1, 15), due_on=date(2026, 6, 30),
    output_product="Quyết định ban hành bộ chỉ số", weight=Decimal(1),
)


DEFAULT_SETTINGS = RuleSettings()


def broken(plan=DRAFT, actor="head", before=None, after=CLEAR, parent_due_on=None,
           reason="", settings=DEFAULT_SETTINGS, amendments_allowed=True, today=TODAY):
    return {(v.field, v.code) for v in check_task(
        plan=plan, actor=ACTORS[actor], before=before, after=after, directory=DIRECTORY,
        today=today, settings=settings, parent_due_on=parent_due_on, amendment_reason=reason,
        amendments_allowed=amendments_allowed)}


def test_a_clear_task_breaks_nothing_in_a_draft_or_an_issued_plan():
    assert broken(DRAFT) == set()
    assert broken(ISSUED) == set()
    assert broken(ISSUED, before=CLEAR, reason="") == set()


CREATE_DRAFT = [
    # what is changed from CLEAR -> every (field, rule) broken
    ("blank title", {"title": "   "}, {("title", "title_required")}),
    ("due = start", {"start_on": date(2026, 5, 1), "due_on": date(2026, 5, 1)}, set()),
    ("due a day before start", {"start_on": date(2026, 5, 2), "due_on": date(2026, 5, 1)},
     {("due_on", "due_before_start")}),
    ("first day of the year", {"start_on": date(2026, 1, 1)}, set()),
    ("last day of the year", {"due_on": date(2026, 12, 31)}, set()),
    ("start the day before the year", {"start_on": date(2025, 12, 31)},
     {("start_on", "date_outside_year")}),
    ("due the day after the year", {"due_on": date(2027, 1, 1)}, {("due_on", "date_outside_year")}),
    ("weight at the minimum", {"weight": Decimal("0.1")}, set()),
    ("weight at the maximum", {"weight": Decimal(10)}, set()),
    ("blank weight is the default 1", {"weight": None}, set()),
    ("weight just below", {"weight": Decimal("0.09")}, {("weight", "weight_range")}),
    ("weight just above", {"weight": Decimal("10.01")}, {("weight", "weight_range")}),
    ("weight 0", {"weight": Decimal(0)}, {("weight", "weight_range")}),
    ("weight negative", {"weight": Decimal(-1)}, {("weight", "weight_range")}),
    ("weight 999,999", {"weight": Decimal(999999)}, {("weight", "weight_range")}),
    ("weight not a number", {"weight": Decimal("NaN")}, {("weight", "weight_range")}),
    ("lead unit a section below the plan's unit", {"lead_unit_id": 3, "assignee_id": SECTION_STAFF},
     set()),
    ("lead unit above the plan's unit", {"lead_unit_id": 1, "assignee_id": None},
     {("lead_unit_id", "lead_unit_outside_plan")}),
    ("lead unit a sibling department", {"lead_unit_id": 4, "assignee_id": None, "leader_id": HEAD},
     {("lead_unit_id", "lead_unit_outside_plan")}),
    ("lead unit retired", {"lead_unit_id": 5, "assignee_id": None},
     {("lead_unit_id", "lead_unit_unknown")}),
    ("lead unit does not exist", {"lead_unit_id": 99, "assignee_id": None},
     {("lead_unit_id", "lead_unit_unknown")}),
    ("coordinator anywhere active", {"coordinator_ids": (1, 4)}, set()),
    ("coordinator retired", {"coordinator_ids": (4, 5)}, {("coordinator_ids", "coordinator_unknown")}),
    ("coordinator unknown", {"coordinator_ids": (99,)}, {("coordinator_ids", "coordinator_unknown")}),
    ("coordinator is the lead unit", {"coordinator_ids": (2,)},
     {("coordinator_ids", "coordinator_is_lead")}),
    ("person of a section inside the lead unit", {"assignee_id": SECTION_STAFF}, set()),
    ("person outside the lead unit", {"assignee_id": OTHER_HEAD},
     {("assignee_id", "person_outside_lead_unit")}),
    ("person of the lead unit's parent", {"lead_unit_id": 3, "assignee_id": STAFF},
     {("assignee_id", "person_outside_lead_unit")}),
    ("person disabled", {"assignee_id": GONE}, {("assignee_id", "person_unknown")}),
    ("person unknown", {"assignee_id": 999}, {("assignee_id", "person_unknown")}),
    ("leader the head", {"leader_id": HEAD}, set()),
    ("leader staff", {"leader_id": STAFF}, {("leader_id", "leader_not_leader")}),
    ("leader disabled", {"leader_id": GONE}, {("leader_id", "leader_not_leader")}),
    ("leader unknown", {"leader_id": 999}, {("leader_id", "leader_not_leader")}),
    ("leader of another unit", {"leader_id": OTHER_HEAD}, {("leader_id", "leader_outside_units")}),
    ("leader the head of the lead section", {"lead_unit_id": 3, "assignee_id": SECTION_STAFF,
                                                 "leader_id": SECTION_HEAD}, set()),
    ("leader the head of the province", {"leader_id": PROV_HEAD},
     {("leader_id", "leader_outside_units")}),
    ("a head as person and leader", {"assignee_id": HEAD, "leader_id": HEAD},
     {("leader_id", "head_both_roles")}),
    ("a deputy as person and leader (the head confirms)", {"assignee_id": DEPUTY, "leader_id": DEPUTY},
     set()),
    ("30 steps", {"steps": tuple(Step(f"Bước {i}") for i in range(30))}, set()),
    ("31 steps", {"steps": tuple(Step(f"Bước {i}") for i in range(31))}, {("steps", "too_many_steps")}),
    ("31 rows, one blank", {"steps": tuple(Step(f"Bước {i}") for i in range(30)) + (Step(" "),)},
     set()),
    ("unclear in a draft: allowed", {"description": "", "output_product": "", "steps": ()}, set()),
    ("everything wrong at once", {"title": "", "weight": Decimal(0), "due_on": date(2027, 2, 1),
                                      "coordinator_ids": (2,), "assignee_id": OTHER_HEAD},
     {("title", "title_required"), ("weight", "weight_range"), ("due_on", "date_outside_year"),
      ("coordinator_ids", "coordinator_is_lead"), ("assignee_id", "person_outside_lead_unit")}),
]


@pytest.mark.parametrize("case, change, expected", CREATE_DRAFT, ids=[c[0] for c in CREATE_DRAFT])
def test_creating_in_a_draft_plan(case, change, expected):
    assert broken(DRAFT, after=replace(CLEAR, **change)) == expected


# A section's plan (unit 3, a phòng of department 2): the department's leaders may answer for
# its tasks (a deputy in charge of the section's field); never the province above the
# department, nor another department. A department's plan led by a team (6) of its section:
# the section's head, between the two, may answer for it.
SECTION_PLAN = replace(DRAFT, id=101, unit_id=3, unit_path="/1/2/3/", agency_path="/1/2/")
TEAM_STAFF, TEAM_HEAD = 18, 19
WIDER = Directory({**UNITS, 6: UnitFacts(6, "/1/2/3/6/")},
                  {**PEOPLE, TEAM_STAFF: PersonFacts(TEAM_STAFF, 6, "/1/2/3/6/", "staff"),
                   TEAM_HEAD: PersonFacts(TEAM_HEAD, 6, "/1/2/3/6/", "head")})
SECTION_TASK = replace(CLEAR, lead_unit_id=3, assignee_id=SECTION_STAFF)
LEADER_ABOVE = [
    ("the department's deputy, section plan", SECTION_PLAN, SECTION_TASK, DEPUTY, set()),
    ("the department's head, section plan", SECTION_PLAN, SECTION_TASK, HEAD, set()),
    ("the section's head, section plan", SECTION_PLAN, SECTION_TASK, SECTION_HEAD, set()),
    ("the province's head, section plan", SECTION_PLAN, SECTION_TASK, PROV_HEAD,
     {("leader_id", "leader_outside_units")}),
    ("another department's head, section plan", SECTION_PLAN, SECTION_TASK, OTHER_HEAD,
     {("leader_id", "leader_outside_units")}),
    ("the department's deputy, section plan led by its team", SECTION_PLAN,
     replace(CLEAR, lead_unit_id=6, assignee_id=TEAM_STAFF), DEPUTY, set()),
    ("the section's head between the plan and the team", DRAFT,
     replace(CLEAR, lead_unit_id=6, assignee_id=TEAM_STAFF), SECTION_HEAD, set()),
    ("the team's head, department plan", DRAFT,
     replace(CLEAR, lead_unit_id=6, assignee_id=TEAM_STAFF), TEAM_HEAD, set()),
    ("the team's head, task led by the department", DRAFT, CLEAR, TEAM_HEAD,
     {("leader_id", "leader_outside_units")}),
    ("the province's head, department plan (the department is an agency)", DRAFT, CLEAR,
     PROV_HEAD, {("leader_id", "leader_outside_units")}),
]


@pytest.mark.parametrize("case, plan, task, leader, expected", LEADER_ABOVE,
                         ids=[c[0] for c in LEADER_ABOVE])
def test_a_leader_of_the_agency_a_section_belongs_to_may_answer_for_its_plan(
        case, plan, task, leader, expected):
    found = {(v.field, v.code) for v in check_task(
        plan=plan, actor=ACTORS["head"], before=None, after=replace(task, leader_id=leader),
        directory=WIDER, today=TODAY, settings=DEFAULT_SETTINGS)}
    assert found == expected


def test_the_agency_of_a_section_is_the_nearest_unit_above_that_is_not_a_section():
    from app.domain.task_rules import agency_path

    assert agency_path([("/1/", "province"), ("/1/2/", "department"), ("/1/2/3/", "section")]) \
        == "/1/2/"
    assert agency_path([("/1/", "province"), ("/1/2/", "department"), ("/1/2/3/", "section"),
                        ("/1/2/3/6/", "section")]) == "/1/2/"
    assert agency_path([("/1/", "province"), ("/1/2/", "department")]) == "/1/2/"
    assert agency_path([("/9/", "section")]) == "/9/"


PARENT = [
    ("due on the parent's day", date(2026, 6, 30), set()),
    ("due a day after the parent", date(2026, 6, 29), {("due_on", "due_after_parent")}),
    ("no parent date", None, set()),
]


@pytest.mark.parametrize("case, parent_due, expected", PARENT, ids=[c[0] for c in PARENT])
def test_a_sub_task_is_not_due_after_its_parent(case, parent_due, expected):
    assert broken(DRAFT, parent_due_on=parent_due) == expected


DEPUTY_CASES = [
    ("deputy creates a task she leads", "deputy", {"leader_id": DEPUTY}, set()),
    ("deputy creates a task for the head", "deputy", {"leader_id": HEAD},
     {("leader_id", "deputy_not_leader")}),
    ("deputy creates a task with no leader", "deputy", {"leader_id": None},
     {("leader_id", "deputy_not_leader")}),
    ("head creates a task with no leader", "head", {"leader_id": None}, set()),
]


@pytest.mark.parametrize("case, actor, change, expected", DEPUTY_CASES, ids=[c[0] for c in DEPUTY_CASES])
def test_a_deputy_manages_only_tasks_they_lead(case, actor, change, expected):
    assert broken(DRAFT, actor=actor, after=replace(CLEAR, **change)) == expected


def test_a_closed_plan_refuses_everything():
    assert (None, "plan_closed") in broken(CLOSED, before=CLEAR)


EDIT_DRAFT = [
    ("move the due date", {"due_on": date(2026, 9, 30)}, set()),
    ("move the start date", {"start_on": date(2026, 2, 1)}, set()),
    ("flag a key task, lower is better", {"is_key": True, "indicator_direction": "lower"}, set()),
    ("an unknown direction", {"indicator_direction": "sideways"},
     {("indicator_direction", "direction_unknown")}),
    ("reassign and reweigh freely", {"assignee_id": SECTION_STAFF, "leader_id": HEAD,
                                         "weight": Decimal(3)}, set()),
    ("remove the output", {"output_product": ""}, set()),
]


@pytest.mark.parametrize("case, change, expected", EDIT_DRAFT, ids=[c[0] for c in EDIT_DRAFT])
def test_editing_a_draft_plan_is_free(case, change, expected):
    assert broken(DRAFT, actor="deputy" if "leader_id" not in change else "head", before=CLEAR,
                  after=replace(CLEAR, **change)) == expected


EDIT_ISSUED = [
    # actor, change, reason -> broken
    ("due date moved by editing", "head", {"due_on": date(2026, 9, 30)}, "",
     {("due_on", "due_locked")}),
    ("due date moved earlier", "head", {"due_on": date(2026, 6, 1)}, "", {("due_on", "due_locked")}),
    ("due date removed", "head", {"due_on": None}, "",
     {("due_on", "due_locked"), ("due_on", "unclear")}),
    ("start date moved", "head", {"start_on": date(2026, 2, 1)}, "", {("start_on", "start_locked")}),
    # DESIGN.md 8: the key flag and the direction decide quality criteria; locked after issue,
    # even for the head of the plan's unit with a reason.
    ("the head flags a late task as not key", "head", {"is_key": True}, "bỏ trọng tâm",
     {("is_key", "key_locked")}),
    ("the head turns a missed target around", "head", {"indicator_direction": "lower"}, "sai",
     {("indicator_direction", "direction_locked")}),
    # The target is the denominator of "from targets": locked like the key flag, with its
    # name and unit; a blank target cannot be filled in, whitespace and 100 = 100.00 are no change.
    ("the head lowers the target, with a reason", "head",
     {"indicator_name": "Tỷ lệ", "indicator_unit": "%", "indicator_target": Decimal(50)}, "",
     {("indicator_name", "indicator_locked"), ("indicator_unit", "indicator_locked"),
      ("indicator_target", "indicator_locked")}),
    ("the accountable deputy fills in a target", "deputy", {"indicator_target": Decimal(1)}, "",
     {("indicator_target", "indicator_locked")}),
    ("the head adds an indicator", "head", {"indicator_name": "Số hồ sơ"}, "lý do",
     {("indicator_name", "indicator_locked"), ("indicator_target", "unclear")}),
    # A criterion "from tasks" may count one field's tasks only: the field is locked too.
    ("the head moves a late task to another field", "head", {"field_id": 99}, "phân loại lại",
     {("field_id", "field_locked")}),
    ("the accountable deputy files a task under a field", "deputy", {"field_id": 7}, "",
     {("field_id", "field_locked")}),
    ("whitespace in the indicator's name is no change", "deputy", {"indicator_name": "  "}, "",
     set()),
    ("the accountable deputy moves her overdue task", "deputy", {"due_on": date(2026, 12, 31)}, "",
     {("due_on", "due_locked")}),
    ("head reassigns the person with a reason", "head", {"assignee_id": SECTION_STAFF}, "Nghỉ phép",
     set()),
    ("head reassigns the person without a reason", "head", {"assignee_id": SECTION_STAFF}, "  ",
     {("amendment_reason", "amend_reason_required")}),
    ("head changes the leader", "head", {"leader_id": HEAD}, "Phân công lại", set()),
    ("head changes the lead unit", "head", {"lead_unit_id": 3, "assignee_id": SECTION_STAFF}, "Giao phòng",
     set()),
    ("head changes the weight", "head", {"weight": Decimal(2)}, "Quan trọng hơn", set()),
    ("weight 1 written as 1.00 is no change", "deputy", {"weight": Decimal("1.00")}, "", set()),
    ("deputy changes the weight", "deputy", {"weight": Decimal(2)}, "lý do",
     {("weight", "amend_not_head")}),
    ("deputy reassigns the person", "deputy", {"assignee_id": SECTION_STAFF}, "",
     {("assignee_id", "amend_not_head")}),
    ("head of the province amends a department's task", "prov_head", {"weight": Decimal(2)}, "lý do",
     {("weight", "amend_not_head")}),
    ("another unit's head amends", "other_head", {"assignee_id": SECTION_STAFF}, "lý do",
     {("assignee_id", "amend_not_head")}),
    ("coordinators and steps change freely", "deputy",
     {"coordinator_ids": (4,), "steps": CLEAR.steps + (Step("Tổng kết", date(2026, 6, 1)),)}, "", set()),
    ("the output removed: unclear", "head", {"output_product": ""}, "",
     {("output_product", "unclear")}),
    ("the description removed: unclear", "deputy", {"description": " "}, "",
     {("description", "unclear")}),
    ("the steps removed: unclear", "deputy", {"steps": ()}, "", {("steps", "unclear")}),
    ("the person removed: unclear and an amendment", "head", {"assignee_id": None}, "lý do",
     {("assignee_id", "unclear")}),
    ("the title cut to two words", "deputy", {"title": "Chỉ số"}, "", {("title", "unclear")}),
]


@pytest.mark.parametrize("case, actor, change, reason, expected", EDIT_ISSUED,
                         ids=[c[0] for c in EDIT_ISSUED])
def test_editing_an_issued_plan(case, actor, change, reason, expected):
    assert broken(ISSUED, actor=actor, before=CLEAR, after=replace(CLEAR, **change),
                  reason=reason) == expected


def test_an_edit_may_leave_what_was_already_unclear_and_fix_it():
    before = replace(CLEAR, output_product="", description="")
    assert broken(ISSUED, before=before, after=replace(before, title=CLEAR.title + " mới")) == set()
    assert broken(ISSUED, before=before, after=replace(before, description="Có mô tả")) == set()
    # ...but not add a new gap beside the old one
    assert broken(ISSUED, before=before, after=replace(before, responsibility="")) == {
        ("responsibility", "unclear")}


def test_an_unchanged_date_of_an_issued_plan_is_not_held_against_the_edit():
    legacy = replace(CLEAR, start_on=date(2025, 12, 1))  # outside the year, stored before the rule
    assert broken(ISSUED, before=legacy, after=replace(legacy, title=CLEAR.title + " mới")) == set()
    # in a draft the dates are edited freely, so a wrong one is shown to be put right
    assert broken(DRAFT, before=legacy, after=legacy) == {("start_on", "date_outside_year")}


CARRIED = [
    ("extended into next year, unchanged", 1, date(2027, 1, 20), date(2027, 1, 20), set()),
    ("never extended, stored next year (legacy), unchanged", 0, date(2027, 1, 20), date(2027, 1, 20),
     set()),
]


@pytest.mark.parametrize("case, extensions, stored, posted, expected", CARRIED, ids=[c[0] for c in CARRIED])
def test_a_due_date_carried_over_by_an_extension_stays(case, extensions, stored, posted, expected):
    before = replace(CLEAR, due_on=stored, extension_count=extensions)
    assert broken(ISSUED, before=before, after=replace(before, due_on=posted,
                                                      extension_count=0)) == expected


def test_a_carried_over_due_date_is_allowed_in_the_year_check_only_when_extended():
    extended = replace(CLEAR, due_on=date(2027, 1, 20), extension_count=1)
    # the draft path re-checks every date: an extended task may keep its later date
    assert ("due_on", "date_outside_year") not in broken(DRAFT, before=extended,
                                                          after=replace(extended, extension_count=0))
    plain = replace(CLEAR, due_on=date(2027, 1, 20))
    assert ("due_on", "date_outside_year") in broken(DRAFT, before=plain, after=plain)


ADDED_TO_ISSUED = [
    ("clear, due today", "deputy", {"leader_id": DEPUTY, "due_on": TODAY}, set()),
    ("clear, due tomorrow", "head", {"due_on": date(2026, 6, 16)}, set()),
    ("clear, due yesterday", "head", {"due_on": date(2026, 6, 14)}, {("due_on", "added_due_past")}),
    ("title only", "head", {"description": "", "responsibility": "", "steps": (), "start_on": None,
                                "due_on": None, "output_product": "", "assignee_id": None, "leader_id": None},
     {("description", "unclear"), ("responsibility", "unclear"), ("steps", "unclear"),
      ("start_on", "unclear"), ("due_on", "unclear"), ("output_product", "unclear"),
      ("assignee_id", "unclear"), ("leader_id", "unclear")}),
    ("the deputy exploit: herself as person and leader, weight 999,999, due today, title only",
     "deputy", {"assignee_id": DEPUTY, "leader_id": DEPUTY, "weight": Decimal(999999), "due_on": TODAY,
                    "description": "", "output_product": ""},
     {("weight", "weight_range"), ("weight", "added_weight_not_head"), ("description", "unclear"),
      ("output_product", "unclear")}),
    # Red team (session 7): after issue a weight is the head's; a deputy's added work weighs 1.
    ("a deputy adds work of weight 10", "deputy", {"leader_id": DEPUTY, "weight": Decimal(10)},
     {("weight", "added_weight_not_head")}),
    ("a deputy adds work of weight 1.00", "deputy", {"leader_id": DEPUTY, "weight": Decimal("1.00")},
     set()),
    ("the head of the plan's unit adds work of weight 3", "head", {"weight": Decimal(3)}, set()),
    ("a head as both, added after issue", "head", {"assignee_id": HEAD, "leader_id": HEAD},
     {("leader_id", "head_both_roles")}),
    ("led by another department", "head", {"lead_unit_id": 4, "assignee_id": None, "leader_id": HEAD},
     {("lead_unit_id", "lead_unit_outside_plan"), ("assignee_id", "unclear")}),
]


@pytest.mark.parametrize("case, actor, change, expected", ADDED_TO_ISSUED,
                         ids=[c[0] for c in ADDED_TO_ISSUED])
def test_a_task_added_to_an_issued_plan(case, actor, change, expected):
    assert broken(ISSUED, actor=actor, after=replace(CLEAR, **change)) == expected


def test_the_import_cannot_amend_an_issued_plan():
    after = replace(CLEAR, weight=Decimal(2), leader_id=HEAD)
    assert broken(ISSUED, before=CLEAR, after=after, reason="lý do", amendments_allowed=False) == {
        ("weight", "amend_not_here"), ("leader_id", "amend_not_here")}


def test_the_weight_range_is_a_setting():
    s = RuleSettings(weight_min=Decimal(1), weight_max=Decimal(3))
    assert broken(after=replace(CLEAR, weight=Decimal("3.5")), settings=s) == {("weight", "weight_range")}
    assert broken(after=replace(CLEAR, weight=Decimal("0.5")), settings=s) == {("weight", "weight_range")}
    assert broken(after=replace(CLEAR, weight=Decimal(3)), settings=s) == set()


@pytest.mark.parametrize("lo, hi", [("0", "10"), ("-1", "10"), ("5", "4"), ("0.1", "1000000"),
                                    ("0.001", "10"), ("NaN", "10")])
def test_settings_that_would_bend_a_score_are_refused(lo, hi):
    with pytest.raises(ValueError):
        RuleSettings(weight_min=Decimal(lo), weight_max=Decimal(hi)).check()


def test_default_settings_are_valid():
    RuleSettings().check()


def test_amendment_changes_are_what_moved_on_an_issued_plan():
    after = replace(CLEAR, assignee_id=SECTION_STAFF, weight=Decimal("2.5"), title="Khác hẳn")
    assert amendment_changes(ISSUED, CLEAR, after) == {
        "assignee_id": [STAFF, SECTION_STAFF], "weight": [Decimal(1), Decimal("2.5")]}
    assert amendment_changes(DRAFT, CLEAR, after) == {}
    assert amendment_changes(ISSUED, None, after) == {}


def test_only_the_head_of_the_plans_unit_amends():
    assert [a for a in ACTORS if may_amend(ISSUED, ACTORS[a])] == ["head"]


def test_every_violation_is_reported_once_in_a_stable_order():
    after = replace(CLEAR, title="", weight=Decimal(0), coordinator_ids=(2, 5))
    first = check_task(plan=DRAFT, actor=ACTORS["head"], before=None, after=after,
                       directory=DIRECTORY, today=TODAY)
    again = check_task(plan=DRAFT, actor=ACTORS["head"], before=None, after=after,
                       directory=DIRECTORY, today=TODAY)
    assert first == again
    assert len(first) == len(set(first)) == 4
    assert {v.code for v in first} <= set(CODES)


def test_every_rule_has_exactly_one_message():
    from app.tasks.messages import MESSAGES

    assert set(MESSAGES) == set(CODES)
    assert len(CODES) == len(set(CODES))


def test_the_same_target_written_otherwise_is_no_change():
    before = replace(CLEAR, indicator_name="Tỷ lệ", indicator_unit="%", indicator_target=Decimal(90))
    after = replace(before, indicator_target=Decimal("90.00"), indicator_name=" Tỷ  lệ ")
    assert broken(ISSUED, before=before, after=after) == set()
    assert broken(ISSUED, before=before, after=replace(before, indicator_target=Decimal(80))) == {
        ("indicator_target", "indicator_locked")}
    assert broken(DRAFT, before=before, after=replace(before, indicator_target=Decimal(80))) == set()


PARENT_FALLEN_DUE = [
    # parent's plan, parent due, new sub-task? -> broken
    ("an issued parent due yesterday", "issued", date(2026, 6, 14), True,
     {(None, "parent_fallen_due")}),
    ("a closed plan's parent long past", "closed", date(2026, 3, 31), True,
     {(None, "parent_fallen_due"), (None, "plan_closed")}),
    ("an issued parent due today has not fallen due", "issued", TODAY, True, set()),
    ("a draft parent is still being planned", "draft", date(2026, 6, 14), True, set()),
    ("an existing sub-task is edited", "issued", date(2026, 6, 14), False, set()),
]


@pytest.mark.parametrize("case, status, due, new, expected", PARENT_FALLEN_DUE,
                         ids=[c[0] for c in PARENT_FALLEN_DUE])
def test_work_that_has_fallen_due_is_not_broken_down(case, status, due, new, expected):
    """Red team (session 7): a sub-task replaces its parent in the score; broken down after the
    parent fell due, it could only lighten the failure (a lower unit's draft plan)."""
    after = replace(CLEAR, start_on=date(2026, 2, 1), due_on=min(due, date(2026, 6, 14)))
    plan = DRAFT if status != "closed" else replace(DRAFT, status="closed")
    got = {(v.field, v.code) for v in check_task(
        plan=plan, actor=ACTORS["head"], before=None if new else after, after=after,
        directory=DIRECTORY, today=TODAY, parent_due_on=due, parent_plan_status=status)}
    assert got == expected
