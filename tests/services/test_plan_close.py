"""The end of a plan's life cycle (DESIGN.md 3: draft -> issued -> closed): a head closes an
issued plan and may reopen it; a closed plan is read-only, every change to its tasks is
refused and writes nothing; the sweep leaves its tasks alone while assessments still count
them.

The world's tasks are due 30/06/2026. world.task: staff_a responsible, deputy_a accountable;
world.task2: staff_a2 responsible, head_a accountable; world.task_b in unit B."""

import json
from datetime import date

import pytest
from flask_babel import gettext
from sqlalchemy import select

from app.assessment import service as assessment
from app.clock import local_today
from app.common.errors import NotFound, PermissionDenied, RuleViolation
from app.deadlines import extensions
from app.deadlines import sweep as overdue
from app.domain import scoring
from app.domain.status import Lifecycle
from app.extensions import db
from app.models import AuditLog, Notification, Plan, PlanStatus, Task
from app.plans import importing as plan_import
from app.plans import service as plans
from app.settings import current_settings
from app.tasks import commands as tasks
from app.tasks import evidence
from app.tasks import queries as task_queries
from tests.conftest import submit_with_evidence
from tests.plan_files import HEADERS, build, clear_row
from tests.web.web_support import PDF, diff_snapshots, snapshot

TODAY = date(2026, 6, 15)
CLOSED = "The plan is closed: its tasks can no longer be changed."


def said(error: RuleViolation) -> str:
    return str(error.message)


def text(msgid: str) -> str:
    """The message as the services say it here (whatever the catalogues hold)."""
    return gettext(msgid)


def reload_plan(plan_id: int) -> Plan:
    db.session.expire_all()
    return db.session.get(Plan, plan_id)


def load_task(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.scalars(select(Task).where(Task.id == task_id)
                              .options(*task_queries.detail_options())).one()


def plan_audit(plan_id: int) -> list[tuple[str, dict]]:
    rows = db.session.execute(select(AuditLog.action, AuditLog.changes)
                              .where(AuditLog.object_type == "plan", AuditLog.object_id == plan_id)
                              .order_by(AuditLog.id)).all()
    return [(a, json.loads(c)) for a, c in rows]


def issue(world) -> None:
    plans.issue_plan(world.head, world.plan.id)
    db.session.commit()


def close(world) -> int:
    _plan, n = plans.close_plan(world.head, world.plan.id)
    db.session.commit()
    return n


# ---- closing and reopening ----------------------------------------------------------

def test_a_head_closes_an_issued_plan_and_reopens_it_each_audited(world, make):
    done = make.task(world.plan, world.head, world.a, world.staff, world.deputy,
                     title="Tổ chức hội nghị tập huấn nghiệp vụ")
    tasks.record_progress(world.staff, done.id, 100, "", None, TODAY)
    submit_with_evidence(world.staff, done.id, "", TODAY)
    tasks.confirm_task(world.deputy, done.id, "")
    suspended = make.task(world.plan, world.head, world.a, world.staff, world.deputy,
                          title="Khảo sát mức độ hài lòng của người dân")
    dropped = make.task(world.plan, world.head, world.a, world.staff, world.deputy,
                        title="Tổ chức đối thoại với doanh nghiệp")
    tasks.cancel_task(world.head, dropped.id, "Gộp vào nhiệm vụ khác", local_today())
    db.session.commit()
    db.session.execute(Task.__table__.update().where(Task.id == suspended.id)
                       .values(status=Lifecycle.SUSPENDED))
    db.session.commit()
    issue(world)
    # task, task2 and the suspended one are not completed; the cancelled one does not count
    assert plans.summary(reload_plan(world.plan.id)).not_completed == 3
    assert close(world) == 3
    plan = reload_plan(world.plan.id)
    assert plan.status == PlanStatus.CLOSED
    assert plan.issued_by_id == world.head.id        # the issue stays on record
    plans.reopen_plan(world.head, world.plan.id)
    db.session.commit()
    assert reload_plan(world.plan.id).status == PlanStatus.ISSUED
    assert plan_audit(world.plan.id) == [
        # issuing tells the three open tasks' people they are assigned (issue 11)
        ("plan.issue", {"status": ["draft", "issued"], "assigned_notices": [None, 3]}),
        ("plan.close", {"status": ["issued", "closed"], "not_completed": [None, 3]}),
        ("plan.reopen", {"status": ["closed", "issued"]}),
    ]


def test_a_plan_whose_tasks_are_all_done_closes_with_none_left(world):
    issue(world)
    for t, person, leader in ((world.task, world.staff, world.deputy),
                              (world.task2, world.staff2, world.head)):
        submit_with_evidence(person, t.id, "", TODAY)
        tasks.confirm_task(leader, t.id, "")
    db.session.commit()
    assert close(world) == 0


@pytest.mark.parametrize("status, action, message", [
    ("draft", "close", "Only an issued plan can be closed."),
    ("closed", "close", "Only an issued plan can be closed."),
    ("draft", "reopen", "Only a closed plan can be reopened."),
    ("issued", "reopen", "Only a closed plan can be reopened."),
])
def test_only_issued_plans_close_and_only_closed_plans_reopen(world, status, action, message):
    world.plan.status = status
    db.session.commit()
    before = snapshot()
    fn = plans.close_plan if action == "close" else plans.reopen_plan
    with pytest.raises(RuleViolation) as e:
        fn(world.head, world.plan.id)
    assert said(e.value) == text(message)
    db.session.rollback()
    assert diff_snapshots(before, snapshot()) == {}


@pytest.mark.parametrize("who, error", [
    ("deputy", PermissionDenied), ("staff", PermissionDenied), ("admin", PermissionDenied),
    ("assessor", PermissionDenied), ("head_b", NotFound), ("staff_b", NotFound),
])
@pytest.mark.parametrize("action", ["close", "reopen"])
def test_only_the_head_over_the_plan_closes_or_reopens_it(world, who, error, action):
    world.plan.status = "issued" if action == "close" else "closed"
    db.session.commit()
    fn = plans.close_plan if action == "close" else plans.reopen_plan
    with pytest.raises(error):
        fn(getattr(world, who), world.plan.id)
    db.session.rollback()
    assert reload_plan(world.plan.id).status == ("issued" if action == "close" else "closed")


def test_a_head_closes_a_sub_units_plan_but_not_a_sibling_units(world, make):
    a1 = make.unit("Phòng Cải cách hành chính", parent=world.a, code="SNV-CCHC")
    plan_a1 = make.plan(a1, title="Kế hoạch CCHC của Phòng")
    plan_a1.status = "issued"
    world.plan_b.status = "issued"
    db.session.commit()
    plans.close_plan(world.head, plan_a1.id)
    db.session.commit()
    assert reload_plan(plan_a1.id).status == "closed"
    with pytest.raises(NotFound):
        plans.close_plan(world.head, world.plan_b.id)


# ---- a closed plan is read-only ---------------------------------------------------------

def _edit_input(task_id: int):
    t = load_task(task_id)
    return tasks.TaskInput(title=t.title + " (sửa)", description=t.description,
                           assignee_id=t.assignee_id, lead_unit_id=t.lead_unit_id,
                           leader_id=t.leader_id, responsibility=t.responsibility,
                           steps=[tasks.StepInput(s.title, s.due_on, s.id) for s in t.steps],
                           start_on=t.start_on, due_on=t.due_on, output_product=t.output_product)


REFUSED = {
    "create a task": lambda w, make: tasks.create_task(
        w.head, w.plan.id, make.task_input(w.a, w.staff, w.deputy, title="Tập huấn nghiệp vụ"), today=local_today(), settings=current_settings().task_rules),
    "break a task down": lambda w, make: tasks.create_task(
        w.deputy, w.plan.id, make.task_input(w.a, w.staff, w.deputy, title="Dự thảo bộ chỉ số",
                                             due_on=date(2026, 5, 31)), parent_id=w.task.id, today=local_today(), settings=current_settings().task_rules),
    "edit a task": lambda w, make: tasks.update_task(
        w.head, w.task.id, _edit_input(w.task.id), load_task(w.task.id).version, today=local_today(), settings=current_settings().task_rules),
    "cancel a task": lambda w, make: tasks.cancel_task(w.deputy, w.task.id, "Không còn phù hợp", local_today()),
    "report progress": lambda w, make: tasks.record_progress(
        w.staff, w.task.id, 60, "Đã dự thảo", None, TODAY),
    "tick a step": lambda w, make: tasks.set_step_done(
        w.staff, w.task.id, load_task(w.task.id).steps[1].id, True),
    "untick a step": lambda w, make: tasks.set_step_done(
        w.staff, w.task.id, load_task(w.task.id).steps[0].id, False),
    "attach evidence": lambda w, make: evidence.store(
        w.staff, load_task(w.task.id), [evidence.Upload("bao-cao.pdf", PDF)], None, current_settings().files),
    "submit": lambda w, make: tasks.submit_task(w.staff, w.task.id, "Đã xong", TODAY),
    "confirm": lambda w, make: tasks.confirm_task(w.head, w.task2.id, "Đạt"),
    "return": lambda w, make: tasks.return_task(w.head, w.task2.id, "Bổ sung số liệu"),
    "request an extension": lambda w, make: extensions.request_extension(
        w.staff2, w.task2.id, date(2026, 7, 31), "Chờ ý kiến", TODAY, max_extensions=current_settings().max_extensions),
    "approve an extension": lambda w, make: extensions.decide_extension(
        w.deputy, w.pending, True, "Đồng ý"),
    "refuse an extension": lambda w, make: extensions.decide_extension(
        w.head, w.pending, False, "Không đồng ý"),
    "import": lambda w, make: plan_import.apply(
        w.head, db.session.get(Plan, w.plan.id),
        plan_import.read_sheet(build([HEADERS, clear_row(5, title="Tập huấn nghiệp vụ CCHC")])),
        TODAY, "ke-hoach.xlsx", settings=current_settings().task_rules),
}
MESSAGES = {"import": "This plan is closed."}


@pytest.fixture
def closed_world(world):
    """world.plan issued then closed, with a step ticked, a submission awaiting the head
    (task2) and a pending extension request on world.task (w.pending)."""
    t = load_task(world.task.id)
    tasks.set_step_done(world.staff, t.id, t.steps[0].id, True)
    submit_with_evidence(world.staff2, world.task2.id, "Đã hoàn thành", TODAY)
    db.session.commit()
    issue(world)
    # Asked once the plan is issued: a draft's tasks have nothing due to extend.
    world.pending = extensions.request_extension(world.staff, t.id, date(2026, 7, 31),
                                                 "Chờ ý kiến góp ý của các sở", TODAY, max_extensions=current_settings().max_extensions).id
    db.session.commit()
    close(world)
    return world


@pytest.mark.parametrize("action", list(REFUSED))
def test_every_change_to_a_closed_plans_tasks_is_refused_and_writes_nothing(closed_world, make,
                                                                            action):
    before = snapshot()
    with pytest.raises(RuleViolation) as e:
        REFUSED[action](closed_world, make)
    assert said(e.value) == text(MESSAGES.get(action, CLOSED))
    db.session.rollback()
    assert diff_snapshots(before, snapshot()) == {}


def test_editing_a_closed_plan_itself_is_refused(closed_world):
    with pytest.raises(RuleViolation) as e:
        plans.update_plan(closed_world.head, closed_world.plan.id, "Kế hoạch mới", "", None)
    assert said(e.value) == text("The plan is closed: reopen it to change it.")


def test_the_extension_blocker_says_the_plan_is_closed(closed_world):
    t = load_task(closed_world.task2.id)
    assert str(extensions.request_blocker(t, TODAY, False, current_settings().max_extensions)) == text(CLOSED)


def test_a_reopened_plan_takes_changes_again(closed_world):
    plans.reopen_plan(closed_world.head, closed_world.plan.id)
    db.session.commit()
    tasks.record_progress(closed_world.staff, closed_world.task.id, 60, "", None, TODAY)
    tasks.confirm_task(closed_world.head, closed_world.task2.id, "Đạt")
    db.session.commit()
    assert load_task(closed_world.task.id).progress == 60
    assert load_task(closed_world.task2.id).status == Lifecycle.COMPLETED


def test_reads_still_work_on_a_closed_plan(closed_world):
    plan = reload_plan(closed_world.plan.id)
    items, total = plans.plan_tasks(plan)
    assert total == 2 and {t.id for t in items} == {closed_world.task.id, closed_world.task2.id}
    assert task_queries.get_task(closed_world.staff, closed_world.task.id).id == closed_world.task.id


# ---- the sweep and the assessments ---------------------------------------------------------

def test_the_sweep_leaves_a_closed_plans_tasks_alone_until_it_is_reopened(world):
    issue(world)
    plans.issue_plan(world.head_b, world.plan_b.id)   # elsewhere: issued (a draft is quiet too)
    db.session.commit()
    close(world)
    late = date(2026, 7, 3)                           # three days after the due date
    overdue.sweep(date(2026, 6, 29), reminders=current_settings().reminders)                  # due tomorrow: a reminder, elsewhere only
    overdue.sweep(late, reminders=current_settings().reminders)
    db.session.commit()
    noted = set(db.session.execute(select(Notification.task_id, Notification.kind)
                                   .where(Notification.kind.in_(("due_soon", "overdue")))).all())
    assert noted == {(world.task_b.id, "due_soon"), (world.task_b.id, "overdue")}
    flagged = set(db.session.scalars(select(Task.id).where(Task.overdue_flagged_at.is_not(None))))
    assert flagged == {world.task_b.id}

    plans.reopen_plan(world.head, world.plan.id)
    db.session.commit()
    overdue.sweep(late, reminders=current_settings().reminders)
    db.session.commit()
    flagged = set(db.session.scalars(select(Task.id).where(Task.overdue_flagged_at.is_not(None))))
    assert flagged == {world.task.id, world.task2.id, world.task_b.id}
    assert db.session.scalar(select(Notification.id).where(
        Notification.task_id == world.task.id, Notification.kind == "overdue")) is not None


def test_a_closed_plans_tasks_still_count_in_the_assessment_of_their_period(world):
    period, as_of, s = scoring.parse_period("2026"), date(2026, 7, 3), scoring.ScoringSettings()
    issue(world)
    open_figures = assessment.figures(period, as_of, s, today=as_of)
    close(world)
    closed_figures = assessment.figures(period, as_of, s, today=as_of)
    assert closed_figures == open_figures
    assert closed_figures.by_unit[world.a.id].overdue == 2
