"""Counting (DESIGN.md 4 and 5, issue 11) over real rows: each piece of work counts once
(parent and sub-tasks in one plan or across plans, mixed leaders), draft plans are quiet
(no score, no flag, no reminder, in no overdue list or count), cancellations cannot erase
a failure, imported completions are marked, amendments and cancellations are counted
beside the score, the quota is checked per group of units of one kind, and the competent
authority's final grade is recorded beside a frozen run's computed one.

TODAY is 15/06/2026 (tests/conftest.py)."""

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select, update

from app.assessment import browse
from app.assessment import export as ex
from app.assessment import service as assessment
from app.common.errors import NotFound, PermissionDenied, RuleViolation
from app.dashboard import queries as dashboard
from app.deadlines import overdue_list
from app.deadlines import sweep as overdue
from app.domain import scoring
from app.domain.scoring import Grade, ScoringSettings
from app.extensions import db
from app.models import (
    AssessmentLeaderRow,
    AssessmentTaskRow,
    AssessmentUnitRow,
    AuditLog,
    Notification,
    Plan,
    Task,
)
from app.settings import current_settings
from tests.conftest import TODAY, issue_world_plans

S = ScoringSettings()
Q2 = scoring.parse_period("2026-Q2")
YEAR = scoring.parse_period("2026")
AS_OF = date(2026, 6, 15)


@pytest.fixture
def world(world, make):
    """The world with its plans issued, its own three tasks moved to July (out of Q2, so
    that Q2 holds only what each test adds), and a draft plan of unit A."""
    issue_world_plans(world)
    db.session.execute(update(Task).where(Task.id.in_([world.task.id, world.task2.id,
                                                        world.task_b.id]))
                       .values(due_on=date(2026, 7, 15), original_due_on=date(2026, 7, 15)))
    db.session.commit()
    world.draft = make.plan(world.a, kind="work", title="Kế hoạch công tác (dự thảo)")
    return world


def add(w, plan=None, unit="a", leader="deputy", parent=None, **values) -> int:
    """Insert one task (straight to the table: the test is about counting, not editing)."""
    row = {"plan_id": (plan or w.plan).id, "owner_unit_id": (plan or w.plan).unit_id,
           "title": values.pop("title", "Nhiệm vụ"), "title_folded": "nhiem vu",
           "status": "in_progress", "due_on": date(2026, 5, 31), "weight": Decimal(1),
           "lead_unit_id": getattr(w, unit).id if unit else None,
           "leader_id": getattr(w, leader).id if leader else None,
           "assignee_id": w.staff.id, "parent_id": parent}
    row.update(values)
    row.setdefault("original_due_on", row["due_on"])
    task_id = db.session.scalar(insert(Task).returning(Task.id), [row])
    db.session.commit()
    return task_id


def live(as_of=AS_OF, period=Q2):
    return assessment.live(period, as_of, S, today=TODAY)


def unit_of(report, unit_id):
    return next(r for r in report.units if r.key == unit_id)


def leader_of(report, user_id):
    return next(r for r in report.leaders if r.key == user_id)


def drill_ids(cond, period=Q2):
    dd = browse.live_tasks(cond, period, AS_OF, S, None, 1, 500, today=TODAY)
    return {line.task_id for line in dd.lines}


# ------------------------------------------------------------ each piece of work counts once

def test_a_task_broken_down_within_its_unit_is_scored_on_its_sub_tasks_only(world):
    """Item "2" of unit A broken into "2.1" and "2.2" for A itself: A and its deputy are
    scored on 2.1 and 2.2, never on 2, 2.1 and 2.2."""
    parent = add(world, stt="2", status="in_progress")                     # overdue on its own
    c1 = add(world, stt="2.1", parent=parent, status="completed", completed_on=date(2026, 5, 30))
    c2 = add(world, stt="2.2", parent=parent, status="completed", completed_on=date(2026, 6, 2))
    report = live()
    a = unit_of(report, world.a.id).tally
    assert (a.tasks, a.on_time, a.late, a.overdue) == (2, 1, 1, 0)
    assert a.score == Decimal("87.50")
    deputy = leader_of(report, world.deputy.id).tally
    assert (deputy.tasks, deputy.on_time, deputy.late, deputy.overdue) == (2, 1, 1, 0)
    head = leader_of(report, world.head.id).tally
    assert head == a                                  # the head answers for the unit
    # The drill-downs open exactly the counted tasks.
    assert drill_ids(browse.live_unit_tasks(world.a)) == {c1, c2}
    assert drill_ids(browse.live_leader_tasks(world.deputy, browse.Scope(None))) == {c1, c2}
    assert parent not in drill_ids(browse.live_leader_tasks(world.head, browse.Scope(None)))


def test_a_task_handed_down_to_another_unit_counts_for_both_units_once(world):
    """Unit A's item "3" handed down to unit B's plan as a sub-task: A is scored on 3, B on
    the sub-task; each leader on their own."""
    parent = add(world, stt="3")                                            # A, deputy_a: overdue
    child = add(world, plan=world.plan_b, unit="b", leader="deputy_b", stt="1", parent=parent,
                status="completed", completed_on=date(2026, 5, 20))
    report = live()
    a, b = unit_of(report, world.a.id).tally, unit_of(report, world.b.id).tally
    assert (a.tasks, a.overdue, a.score) == (1, 1, Decimal("0.00"))
    assert (b.tasks, b.on_time, b.score) == (1, 1, Decimal("100.00"))
    assert leader_of(report, world.deputy.id).tally.overdue == 1
    assert leader_of(report, world.deputy_b.id).tally.on_time == 1
    assert drill_ids(browse.live_unit_tasks(world.a)) == {parent}
    assert drill_ids(browse.live_unit_tasks(world.b)) == {child}


def test_mixed_leaders_each_count_once(world):
    """A parent led by deputy_a with one sub-task kept by unit A under head_a and one
    handed to unit B: A's figures hold the sub-task, not the parent; deputy_a, who holds no
    sub-task, answers for the parent; head_a's own-leader figures hold the sub-task."""
    parent = add(world, stt="4", leader="deputy")
    mine = add(world, stt="4.1", leader="head", parent=parent)
    theirs = add(world, plan=world.plan_b, unit="b", leader="deputy_b", parent=parent,
                 status="completed", completed_on=date(2026, 5, 1))
    f = assessment.figures(Q2, AS_OF, S, today=TODAY)
    assert f.by_unit[world.a.id].tasks == 1                     # 4.1 only
    assert f.by_leader[world.deputy.id].tasks == 1              # the parent 4
    assert f.by_leader[world.head.id].tasks == 1                # 4.1
    assert f.by_unit[world.b.id].tasks == 1 and f.by_leader[world.deputy_b.id].tasks == 1
    run = assessment.freeze(world.assessor.id, Q2, AS_OF, S, today=TODAY)
    db.session.commit()
    flags = {r.task_id: (r.counts_for_unit, r.counts_for_leader) for r in db.session.scalars(
        select(AssessmentTaskRow).where(AssessmentTaskRow.run_id == run.id))}
    assert flags[parent] == (False, True)
    assert flags[mine] == (True, True) and flags[theirs] == (True, True)
    view = browse.open_run(world.assessor, run.id)
    t = AssessmentTaskRow
    unit_rows = db.session.scalars(select(t.task_id).where(
        browse.run_unit_tasks(view, browse.run_unit(view, world.a.id)))).all()
    assert set(unit_rows) == {mine}
    deputy_rows = db.session.scalars(select(t.task_id).where(
        browse.run_leader_tasks(view, browse.run_leader(view, world.deputy.id)))).all()
    assert set(deputy_rows) == {parent}
    # The export says why the parent is not in unit A's figures.
    # The export names the lead unit (column 2) and keeps the plan's number (column 3).
    notes = {(r[1], r[2]): r[-1] for r in ex.task_rows(assessment.load_run(run))}
    assert notes[(world.a.name, "4")] == ex.NOTE_NOT_FOR_UNIT
    assert notes[(world.a.name, "4.1")] == ""
    assert {r[2]: r[-1] for r in ex.task_rows(live()) if r[1] == world.a.name}["4"] == ex.NOTE_NOT_FOR_UNIT


@pytest.mark.parametrize("child_state, hides", [
    ({"status": "in_progress"}, True),
    ({"status": "cancelled", "excluded_on": date(2026, 5, 1)}, False),   # left before its date
    ({"status": "cancelled", "excluded_on": date(2026, 6, 5)}, True),    # left after: a failure
    ({"draft": True}, False),                                            # a draft breakdown
])
def test_only_a_counted_sub_task_hides_its_parent(world, child_state, hides):
    """A draft breakdown, or a sub-task cancelled before falling due, never hides the
    parent's own record: otherwise an overdue parent could be made to vanish."""
    parent = add(world, stt="5")                                             # overdue
    state = dict(child_state)
    plan = world.draft if state.pop("draft", False) else world.plan
    add(world, plan=plan, stt="5.1", parent=parent, **state)
    ids = drill_ids(browse.live_unit_tasks(world.a))
    assert (parent not in ids) == hides


# ------------------------------------------------------------ draft plans are quiet

def test_a_draft_plans_tasks_count_in_no_score(world):
    before = live()
    late = add(world, plan=world.draft, status="in_progress", due_on=date(2026, 4, 1))
    add(world, plan=world.draft, unit="b", leader="deputy_b", due_on=date(2026, 4, 1))
    after = live()
    for r0, r1 in zip(before.units + before.leaders, after.units + after.leaders, strict=True):
        assert r0.tally == r1.tally, r0.code
    run = assessment.freeze(world.assessor.id, Q2, AS_OF, S, today=TODAY)
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(
        AssessmentTaskRow.run_id == run.id, AssessmentTaskRow.task_id == late)) == 0
    assert late not in drill_ids(browse.live_unit_tasks(world.a))
    months = dict(browse.monthly_trend(browse.live_unit_tasks(world.a), 2026, AS_OF, S,
                                       today=TODAY))
    assert months[4] is None
    # Issued, the same task counts (DESIGN.md 4: the work starts when the plan is issued).
    db.session.execute(update(Plan).where(Plan.id == world.draft.id).values(status="issued"))
    db.session.commit()
    assert unit_of(live(), world.a.id).tally.overdue == 1


def test_a_draft_plans_tasks_are_neither_flagged_nor_reminded_nor_listed(world):
    late = add(world, plan=world.draft, due_on=date(2026, 6, 1))
    soon = add(world, plan=world.draft, due_on=date(2026, 6, 16))
    issued_late = add(world, due_on=date(2026, 6, 1))
    result = overdue.sweep(TODAY, reminders=current_settings().reminders)
    db.session.commit()
    flagged = set(db.session.scalars(select(Task.id).where(Task.overdue_flagged_at.is_not(None))))
    assert issued_late in flagged and late not in flagged
    noted = set(db.session.scalars(select(Notification.task_id).where(
        Notification.kind.in_(("due_soon", "overdue", "escalation")))))
    assert issued_late in noted and not noted & {late, soon}
    # 5 for the overdue engine, 2 for the reviewer reminders (issue 17 §3)
    assert result.statements == 7
    listed = overdue_list.build_overdue_list(world.head, overdue_list.OverdueFilter(), TODAY, 3)
    ids = {r.task.id for r in listed.rows}
    assert issued_late in ids and not ids & {late, soon}
    assert listed.overdue == 1
    board = dashboard.build(world.head, TODAY, 3)
    assert [d.task.id for d in board.most_overdue] == [issued_late]
    assert board.counts["overdue"] == 1
    assert soon not in {d.task.id for d in board.due_this_week}


# ------------------------------------------------------------ cancellations, amendments, imports

def test_cancelling_an_overdue_task_does_not_erase_the_failure(world):
    """Cancelled on 05/06, due 31/05: still overdue in the live view, a frozen run and the
    export; cancelled before its date it is left out. Both are counted as cancellations."""
    late_cancel = add(world, status="cancelled", due_on=date(2026, 5, 31),
                      excluded_on=date(2026, 6, 5), cancel_reason="Không còn phù hợp")
    add(world, status="cancelled", due_on=date(2026, 6, 10), excluded_on=date(2026, 5, 2))
    add(world, status="completed", due_on=date(2026, 5, 20), completed_on=date(2026, 5, 19),
        amendment_count=2, added_after_issue=True)
    a = unit_of(live(), world.a.id).tally
    assert (a.on_time, a.overdue, a.excluded, a.cancellations, a.amendments) == (1, 1, 1, 2, 2)
    assert a.additions == 1
    assert a.score == Decimal("50.00")
    run = assessment.freeze(world.assessor.id, Q2, AS_OF, S, today=TODAY)
    db.session.commit()
    frozen = db.session.scalar(select(AssessmentUnitRow).where(
        AssessmentUnitRow.run_id == run.id, AssessmentUnitRow.unit_id == world.a.id))
    assert (frozen.overdue, frozen.cancellations, frozen.amendments, frozen.score) == (
        1, 2, 2, Decimal("50.00"))
    assert frozen.additions == 1
    row = db.session.scalar(select(AssessmentTaskRow).where(
        AssessmentTaskRow.run_id == run.id, AssessmentTaskRow.task_id == late_cancel))
    assert row.outcome == "overdue" and row.status == "cancelled"
    dd = browse.frozen_tasks(browse.run_unit_tasks(browse.open_run(world.assessor, run.id),
                                                   browse.run_unit(browse.open_run(world.assessor, run.id),
                                                                   world.a.id)), S, None, 1, 50)
    assert (dd.breakdown.cancellations, dd.breakdown.amendments) == (2, 2)
    assert dd.breakdown.additions == 1
    units = list(ex.unit_rows(assessment.load_run(run)))
    snv = next(r for r in units if r[2] == "SNV")  # STT, name, code, figures
    assert snv[13:17] == [0, 2, 1, 2]       # extensions, amendments, additions, cancellations
    note = next(r[-1] for r in ex.task_rows(assessment.load_run(run)) if r[8] == "Quá hạn chưa hoàn thành"
                and "hủy" in r[-1])
    assert note == ex.NOTE_LEFT_LATE


def test_an_imported_completion_is_marked_in_the_drill_down_and_the_exports(world):
    imported = add(world, status="completed", due_on=date(2026, 5, 31),
                   completed_on=date(2026, 5, 30), title="Nhiệm vụ nhập từ tệp",
                   completion_imported_by_id=world.head.id,
                   completion_imported_at=datetime(2026, 2, 1, 3, 0))
    lines = browse.live_tasks(browse.live_unit_tasks(world.a), Q2, AS_OF, S, None, 1, 50,
                              today=TODAY).lines
    assert next(line for line in lines if line.task_id == imported).is_imported
    assert not any(line.is_imported for line in lines if line.task_id != imported)
    live_rows = {r[3]: r[-1] for r in ex.task_rows(live())}
    assert live_rows["Nhiệm vụ nhập từ tệp"] == ex.NOTE_IMPORTED
    run = assessment.freeze(world.assessor.id, Q2, AS_OF, S, today=TODAY)
    db.session.commit()
    frozen = db.session.scalar(select(AssessmentTaskRow).where(
        AssessmentTaskRow.run_id == run.id, AssessmentTaskRow.task_id == imported))
    assert frozen.is_imported
    assert {r[3]: r[-1] for r in ex.task_rows(assessment.load_run(run))} == live_rows
    view = browse.open_run(world.assessor, run.id)
    dd = browse.frozen_tasks(browse.run_unit_tasks(view, browse.run_unit(view, world.a.id)), S,
                             None, 1, 50)
    assert [line.task_id for line in dd.lines if line.is_imported] == [imported]


# ------------------------------------------------------------ the quota per group of one kind

def test_the_quota_is_checked_per_group_of_units_of_one_kind(world, make):
    """Three departments excellent and none good: warned. Two communes excellent beside ten
    good: within the quota, and never mixed with the departments."""
    from app.directory import units

    def unit(code, kind, done=True):
        u = units.add_unit(code, f"Đơn vị {code}", "P66", kind)
        db.session.commit()
        add(world, unit=None, leader=None, lead_unit_id=u.id, status="completed" if done else "in_progress",
            completed_on=date(2026, 5, 1) if done else None, due_on=date(2026, 5, 10))
        return u

    for i in range(3):
        unit(f"D{i}", "department")
    for i in range(2):
        unit(f"X{i}", "commune")
    for i in range(10):
        u = unit(f"W{i}", "ward", done=False)
        # "tốt": 3 of 4 on time (75.00)
        for _ in range(3):
            add(world, unit=None, leader=None, lead_unit_id=u.id, status="completed",
                completed_on=date(2026, 5, 1), due_on=date(2026, 5, 10))
    report = live()
    groups = {(w.who, w.group): w.warning for w in report.warnings}
    assert ("units", "department") in groups and groups[("units", "department")].excellent == 3
    assert ("units", "commune") not in groups      # 2 <= 20% of 10
    run = assessment.freeze(world.assessor.id, Q2, AS_OF, S, today=TODAY)
    db.session.commit()
    kinds = dict(db.session.execute(select(AssessmentUnitRow.unit_code, AssessmentUnitRow.unit_kind)
                                    .where(AssessmentUnitRow.run_id == run.id)).all())
    assert kinds["D0"] == "department" and kinds["W3"] == "ward" and kinds["SNV"] == "office"
    frozen = assessment.load_run(run)
    assert {(w.who, w.group) for w in frozen.warnings} == set(groups)
    lines = ex.warning_lines(frozen, ex.UNIT_SHEET)
    assert any("sở, ban, ngành" in line and "(3)" in line for line in lines)
    assert not any("xã, phường" in line for line in lines)


# ------------------------------------------------------------ the competent authority's final grade

def final(grade="good", no="125/QĐ-UBND", on=date(2026, 6, 12), reason="Theo kết quả họp Hội đồng"):
    return assessment.FinalGradeInput(grade, no, on, reason)


@pytest.fixture
def frozen_run(world):
    add(world, status="completed", due_on=date(2026, 5, 20), completed_on=date(2026, 5, 19))
    run = assessment.freeze(world.assessor.id, Q2, AS_OF, S, today=TODAY)
    db.session.commit()
    return run


def unit_row(run, unit_id):
    return db.session.scalar(select(AssessmentUnitRow).where(
        AssessmentUnitRow.run_id == run.id, AssessmentUnitRow.unit_id == unit_id))


def figures_of(row) -> tuple:
    return tuple(getattr(row, f) for f in assessment.FIGURE_FIELDS)


def test_the_assessor_records_the_final_grade_beside_the_frozen_one(world, frozen_run):
    row = unit_row(frozen_run, world.a.id)
    before = figures_of(row)
    assert row.grade == "excellent"
    assessment.record_final_grade(world.assessor, frozen_run.id, "unit", row.id, final(), TODAY)
    db.session.commit()
    db.session.expire_all()
    row = unit_row(frozen_run, world.a.id)
    assert figures_of(row) == before                 # the frozen figures never change
    assert (row.final_grade, row.final_decision_no, row.final_decision_on, row.final_reason,
            row.final_by_id) == ("good", "125/QĐ-UBND", date(2026, 6, 12),
                                 "Theo kết quả họp Hội đồng", world.assessor.id)
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "assessment.final_grade"))
    assert (log.actor_id, log.object_type, log.object_id) == (
        world.assessor.id, "assessment_unit_row", row.id)
    changes = json.loads(log.changes)
    assert changes["final_grade"] == [None, "good"] and changes["computed_grade"] == [None, "excellent"]
    report = assessment.load_run(frozen_run)
    shown = unit_of(report, world.a.id)
    assert shown.grade == Grade.EXCELLENT and shown.final.grade == Grade.GOOD
    units = list(ex.unit_rows(report))
    snv = next(r for r in units if r[2] == "SNV")
    assert snv[-4:] == ["Hoàn thành tốt nhiệm vụ", "125/QĐ-UBND", date(2026, 6, 12),
                        "Theo kết quả họp Hội đồng"]
    assert ex.unit_headers(report)[-4:] == ex.FINAL_HEADERS
    assert ex.unit_headers(live()) == ex.UNIT_HEADERS          # live figures have no decision
    # A leader's row too.
    head = db.session.scalar(select(AssessmentLeaderRow).where(
        AssessmentLeaderRow.run_id == frozen_run.id, AssessmentLeaderRow.user_id == world.head.id))
    assessment.record_final_grade(world.assessor, frozen_run.id, "leader", head.id,
                                  final("pass", "7/QĐ-UBND"), TODAY)
    db.session.commit()
    leaders = list(ex.leader_rows(assessment.load_run(frozen_run)))
    assert next(r for r in leaders if r[4] == "head_a")  # STT, name, position, unit, username[-4:-2] == ["Hoàn thành nhiệm vụ", "7/QĐ-UBND"]


@pytest.mark.parametrize("who", ["admin", "head", "deputy", "staff", "head_b"])
def test_only_the_assessor_records_a_final_grade(world, frozen_run, who):
    row = unit_row(frozen_run, world.a.id)
    with pytest.raises(PermissionDenied):
        assessment.record_final_grade(getattr(world, who), frozen_run.id, "unit", row.id, final(),
                                      TODAY)
    assert unit_row(frozen_run, world.a.id).final_grade is None


@pytest.mark.parametrize("data, field", [
    (final(grade=""), "grade"),
    (final(grade="not_rated"), "grade"),
    (final(grade="great"), "grade"),
    (final(no="   "), "decision_no"),
    (final(no="x" * 65), "decision_no"),
    (final(on=None), "decision_on"),
    (final(on=date(2026, 6, 16)), "decision_on"),      # after today
    (final(on=date(2025, 12, 31)), "decision_on"),     # before the period it grades
    (final(reason=" "), "reason"),
    (final(reason="x" * 2001), "reason"),
])
def test_a_bad_final_grade_is_refused_beside_its_field(world, frozen_run, data, field):
    row = unit_row(frozen_run, world.a.id)
    with pytest.raises(RuleViolation) as err:
        assessment.record_final_grade(world.assessor, frozen_run.id, "unit", row.id, data, TODAY)
    assert err.value.field == field
    db.session.rollback()
    assert unit_row(frozen_run, world.a.id).final_grade is None


def test_a_final_grade_names_a_row_of_that_run(world, frozen_run):
    other = assessment.freeze(world.assessor.id, YEAR, AS_OF, S, today=TODAY)
    db.session.commit()
    row = unit_row(other, world.a.id)
    with pytest.raises(NotFound):
        assessment.record_final_grade(world.assessor, frozen_run.id, "unit", row.id, final(), TODAY)
    with pytest.raises(NotFound):
        assessment.record_final_grade(world.assessor, frozen_run.id, "plan", row.id, final(), TODAY)
