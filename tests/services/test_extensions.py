"""Deadline extensions (gia hạn) and the event notifications of the task use cases.

TODAY is 15/06/2026; the world's tasks are due 30/06/2026. world.task: staff_a responsible,
deputy_a accountable; world.task2: staff_a2 responsible, head_a accountable."""

import json
from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.clock import local_today
from app.common.errors import NotFound, PermissionDenied, RuleViolation
from app.deadlines import extensions
from app.deadlines import sweep as overdue
from app.extensions import db
from app.models import AuditLog, Extension, Notification, Task
from app.settings import current_settings
from app.tasks import commands as tasks
from tests.conftest import issue_world_plans, submit_with_evidence
from tests.settings_support import override_settings

TODAY = date(2026, 6, 15)
DUE = date(2026, 6, 30)
REASON = "Chờ ý kiến góp ý của các sở, ngành"


def ask(w, proposed=date(2026, 7, 31), reason=REASON, today=TODAY, actor=None, task=None):
    # Asked on an issued plan's task, issued quietly if not yet: a draft's tasks have
    # nothing due to extend (tests/web/test_extension_draft_plan.py).
    issue_world_plans(w)
    ext = extensions.request_extension(actor or w.staff, (task or w.task).id, proposed, reason, today, max_extensions=current_settings().max_extensions)
    db.session.commit()
    return ext


def decide(actor, ext, approve=True, comment="Đồng ý"):
    out = extensions.decide_extension(actor, ext.id, approve, comment)
    db.session.commit()
    return out


def fresh(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.get(Task, task_id)


def audit_rows(task_id: int, action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.task_id == task_id,
                                                          AuditLog.action == action)
                                   .order_by(AuditLog.id)))


def notes(kind: str) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.kind == kind)
                                   .order_by(Notification.id)))


def refused(fn, *args) -> RuleViolation:
    """The RuleViolation `fn` raises, its message read in English (the msgid)."""
    with pytest.raises(RuleViolation) as info:
        fn(*args)
    db.session.rollback()
    with force_locale("en"):
        info.value.message = str(info.value.message)
    return info.value


# ---- asking -----------------------------------------------------------------------

def test_request_creates_a_pending_extension_that_keeps_the_due_date_it_replaces(world):
    ext = ask(world)
    assert (ext.status, ext.requested_by_id, ext.requested_on) == ("pending", world.staff.id, TODAY)
    assert (ext.previous_due_on, ext.proposed_due_on, ext.reason) == (DUE, date(2026, 7, 31), REASON)
    task = fresh(world.task.id)
    assert task.due_on == DUE and task.extension_count == 0  # nothing moves until approved


def test_request_writes_an_audit_row_on_the_task(world):
    ext = ask(world)
    [row] = audit_rows(world.task.id, "extension.request")
    assert (row.actor_id, row.object_type, row.object_id) == (world.staff.id, "extension", ext.id)
    assert json.loads(row.changes) == {"proposed_due_on": ["2026-06-30", "2026-07-31"]}
    assert row.comment == REASON


def test_request_notifies_the_accountable_leader_and_the_unit_head(world):
    ext = ask(world)
    sent = notes("extension_requested")
    assert {n.user_id for n in sent} == {world.deputy.id, world.head.id}
    assert all(n.task_id == world.task.id and n.about_on == date(2026, 7, 31) for n in sent)
    assert all(n.dedupe_key.startswith(f"extreq:{ext.id}:") for n in sent)


def test_the_head_as_leader_is_told_once(world):
    ask(world, actor=world.staff2, task=world.task2)
    assert [n.user_id for n in notes("extension_requested")] == [world.head.id]


def test_a_request_on_the_due_date_itself_is_allowed(world):
    ext = ask(world, proposed=date(2026, 7, 15), today=DUE)
    assert ext.status == "pending"


def test_a_request_after_the_due_date_is_refused(world):
    e = refused(ask, world, date(2026, 7, 31), REASON, date(2026, 7, 1))
    assert e.field is None
    assert "overdue" in str(e.message) and "no longer" in str(e.message)
    assert db.session.scalar(select(Extension.id)) is None


@pytest.mark.parametrize("proposed, words", [
    (None, "Enter the proposed due date"),
    (date(2026, 6, 10), "before today"),                 # before today
    (date(2026, 6, 20), "after the current due date"),   # after today, before the due date
    (DUE, "after the current due date"),                 # the current due date itself
    (date(2028, 1, 1), "the end of the year after the plan's"),  # beyond the next year
])
def test_the_proposed_date_is_checked(world, proposed, words):
    e = refused(ask, world, proposed)
    assert e.field == "proposed_due_on"
    assert words in str(e.message)
    assert db.session.scalar(select(Extension.id)) is None


def test_the_last_day_of_the_plan_year_is_allowed(world):
    assert ask(world, proposed=date(2026, 12, 31)).proposed_due_on == date(2026, 12, 31)


@pytest.mark.parametrize("proposed", [date(2027, 1, 15), date(2027, 12, 31)])
def test_an_extension_may_carry_the_task_into_the_next_year(world, proposed):
    # Issue 11, item 1: a task due 31/12 could never be extended; now up to the end of the
    # next year, and the task says it is carried over.
    ext = ask(world, proposed=proposed)
    extensions.decide_extension(world.deputy, ext.id, True, "")
    db.session.commit()
    task = fresh(world.task.id)
    assert task.due_on == proposed and task.extension_count == 1
    assert task.original_due_on == DUE
    assert extensions.carried_over_year(task) == 2027


@pytest.mark.parametrize("reason", ["", "   \n ", None])
def test_a_reason_is_required(world, reason):
    e = refused(ask, world, date(2026, 7, 31), reason)
    assert e.field == "reason"


@pytest.mark.parametrize("who, error", [
    ("deputy", PermissionDenied), ("head", PermissionDenied), ("staff2", PermissionDenied),
    ("admin", PermissionDenied), ("assessor", PermissionDenied), ("staff_b", NotFound),
    ("head_b", NotFound),
])
def test_only_the_responsible_person_may_ask(world, who, error):
    with pytest.raises(error):
        extensions.request_extension(getattr(world, who), world.task.id, date(2026, 7, 31),
                                     REASON, TODAY, max_extensions=current_settings().max_extensions)
    db.session.rollback()
    assert db.session.scalar(select(Extension.id)) is None


def test_only_one_request_may_wait_at_a_time(world):
    ask(world)
    e = refused(ask, world, date(2026, 8, 31))
    assert "already awaiting a decision" in str(e.message)
    assert len(db.session.scalars(select(Extension)).all()) == 1


def test_after_a_refusal_a_new_request_may_be_made(world):
    decide(world.deputy, ask(world), approve=False, comment="Chưa đủ căn cứ")
    assert ask(world, proposed=date(2026, 7, 20)).status == "pending"


def test_at_most_two_extensions_are_approved(world):
    decide(world.deputy, ask(world, proposed=date(2026, 7, 31)))
    decide(world.deputy, ask(world, proposed=date(2026, 8, 31)))
    assert fresh(world.task.id).extension_count == 2
    e = refused(ask, world, date(2026, 9, 30))
    assert "extended 2 times" in str(e.message)


def test_the_maximum_is_a_setting(world, app, monkeypatch):
    override_settings(monkeypatch, app, MAX_EXTENSIONS=1)
    decide(world.deputy, ask(world, proposed=date(2026, 7, 31)))
    refused(ask, world, date(2026, 8, 31))
    override_settings(monkeypatch, app, MAX_EXTENSIONS=3)
    assert ask(world, proposed=date(2026, 8, 31)).status == "pending"


def test_refused_requests_do_not_count_towards_the_maximum(world):
    decide(world.deputy, ask(world, proposed=date(2026, 7, 31)), approve=False, comment="Không")
    decide(world.deputy, ask(world, proposed=date(2026, 7, 31)))
    decide(world.deputy, ask(world, proposed=date(2026, 8, 31)))
    assert fresh(world.task.id).extension_count == 2


@pytest.mark.parametrize("status", ["completed", "cancelled", "suspended", "submitted"])
def test_a_task_that_is_closed_or_awaiting_confirmation_cannot_be_extended(world, status):
    task = db.session.get(Task, world.task.id)
    task.status = status
    db.session.commit()
    e = refused(ask, world)
    assert e.field is None


def test_a_sub_task_cannot_be_extended_past_its_parent(world, make):
    sub = make.task(world.plan, world.head, world.a, world.staff, world.deputy, parent=world.task,
                    due_on=date(2026, 6, 20), steps=[], title="Dự thảo tờ trình")
    e = refused(ask, world, date(2026, 7, 5), REASON, TODAY, None, sub)
    assert e.field == "proposed_due_on" and "parent" in str(e.message)
    assert ask(world, proposed=date(2026, 6, 30), task=sub).status == "pending"


# ---- deciding ---------------------------------------------------------------------

def test_approval_moves_the_due_date_and_keeps_the_original(world):
    ext = ask(world)
    decide(world.deputy, ext, comment="Đồng ý gia hạn")
    task = fresh(world.task.id)
    assert (task.due_on, task.original_due_on, task.extension_count) == (date(2026, 7, 31), DUE, 1)
    ext = db.session.get(Extension, ext.id)
    assert (ext.status, ext.decided_by_id, ext.decision_comment) == ("approved", world.deputy.id,
                                                                     "Đồng ý gia hạn")
    assert ext.decided_at is not None


def test_a_second_approval_keeps_the_first_original_date(world):
    decide(world.deputy, ask(world, proposed=date(2026, 7, 31)))
    ext = decide(world.head, ask(world, proposed=date(2026, 8, 31)))
    task = fresh(world.task.id)
    assert (task.due_on, task.original_due_on, task.extension_count) == (date(2026, 8, 31), DUE, 2)
    assert db.session.get(Extension, ext.id).previous_due_on == date(2026, 7, 31)


def test_approval_clears_the_overdue_flag(world):
    issue_world_plans(world)  # a draft plan's tasks are never flagged (DESIGN.md 4)
    ext = ask(world, proposed=date(2026, 7, 31), today=DUE)
    overdue.sweep(date(2026, 7, 2), reminders=current_settings().reminders)  # the leader decides late: the sweep flags the task first
    db.session.commit()
    assert fresh(world.task.id).overdue_flagged_at is not None
    decide(world.deputy, ext)
    assert fresh(world.task.id).overdue_flagged_at is None
    overdue.sweep(date(2026, 7, 3), reminders=current_settings().reminders)
    db.session.commit()
    assert fresh(world.task.id).overdue_flagged_at is None
    assert fresh(world.task.id).timeliness(date(2026, 7, 3)) == "within"


def test_approval_writes_an_audit_row_with_the_due_dates(world):
    ext = ask(world)
    decide(world.deputy, ext, comment="Đồng ý")
    [row] = audit_rows(world.task.id, "extension.approve")
    changes = json.loads(row.changes)
    assert (row.actor_id, row.object_id, row.comment) == (world.deputy.id, ext.id, "Đồng ý")
    assert changes["due_on"] == ["2026-06-30", "2026-07-31"]
    assert changes["extension_count"] == [0, 1]


def test_approval_notifies_the_requester(world):
    ext = ask(world)
    decide(world.deputy, ext)
    [n] = notes("extension_approved")
    assert (n.user_id, n.task_id, n.about_on) == (world.staff.id, world.task.id, date(2026, 7, 31))
    assert n.dedupe_key.startswith(f"extdec:{ext.id}:")


def test_refusal_needs_a_comment(world):
    ext = ask(world)
    for comment in ("", "  "):
        e = refused(decide, world.deputy, ext, False, comment)
        assert e.field == "comment"
    assert db.session.get(Extension, ext.id).status == "pending"


def test_refusal_keeps_the_due_date_and_tells_the_requester(world):
    ext = ask(world)
    decide(world.head, ext, approve=False, comment="Đề nghị tập trung hoàn thành đúng hạn")
    task = fresh(world.task.id)
    assert (task.due_on, task.original_due_on, task.extension_count) == (DUE, DUE, 0)
    ext = db.session.get(Extension, ext.id)
    assert (ext.status, ext.decided_by_id) == ("refused", world.head.id)
    [row] = audit_rows(world.task.id, "extension.refuse")
    assert json.loads(row.changes) == {"due_on": ["2026-06-30", "2026-06-30"]}
    assert row.comment == "Đề nghị tập trung hoàn thành đúng hạn"
    [n] = notes("extension_refused")
    assert n.user_id == world.staff.id


@pytest.mark.parametrize("who, task_attr, allowed", [
    ("deputy", "task", True),      # the accountable leader
    ("head", "task", True),        # the head over the unit
    ("head", "task2", True),       # the head as accountable leader
    ("deputy", "task2", False),    # a deputy who is not this task's leader
    ("staff", "task", False),      # the requester cannot decide
    ("staff2", "task", False),
    ("admin", "task", False),
    ("assessor", "task", False),
])
def test_only_the_accountable_leader_or_the_head_decides(world, who, task_attr, allowed):
    task = getattr(world, task_attr)
    assignee = world.staff if task_attr == "task" else world.staff2
    ext = ask(world, actor=assignee, task=task)
    actor = getattr(world, who)
    if allowed:
        assert decide(actor, ext).status == "approved"
    else:
        with pytest.raises(PermissionDenied):
            decide(actor, ext)
        db.session.rollback()
        assert db.session.get(Extension, ext.id).status == "pending"


@pytest.mark.parametrize("who", ["head_b", "deputy_b", "staff_b"])
def test_people_of_another_unit_do_not_see_the_request(world, who):
    ext = ask(world)
    with pytest.raises(NotFound):
        decide(getattr(world, who), ext)
    db.session.rollback()


def test_a_request_is_decided_once(world):
    ext = ask(world)
    decide(world.deputy, ext)
    e = refused(decide, world.head, ext, False, "Không đồng ý")
    assert "already been decided" in str(e.message)
    assert fresh(world.task.id).extension_count == 1


def test_a_request_named_under_another_task_is_not_found(world):
    ext = ask(world)
    with pytest.raises(NotFound):
        extensions.decide_extension(world.head, ext.id, True, "", task_id=world.task2.id)
    with pytest.raises(NotFound):
        extensions.decide_extension(world.head, 999_999, True, "")
    db.session.rollback()


def test_a_cancelled_task_cannot_have_its_request_approved_but_can_have_it_refused(world):
    ext = ask(world)
    tasks.cancel_task(world.head, world.task.id, "Gộp vào nhiệm vụ khác", local_today())
    db.session.commit()
    refused(decide, world.deputy, ext, True, "")
    assert decide(world.deputy, ext, approve=False, comment="Nhiệm vụ đã hủy").status == "refused"


# ---- lists ------------------------------------------------------------------------

def test_every_request_is_kept_newest_first(world):
    first = ask(world, proposed=date(2026, 7, 31))
    decide(world.deputy, first, approve=False, comment="Chưa đủ căn cứ")
    second = ask(world, proposed=date(2026, 7, 20))
    decide(world.deputy, second)
    third = ask(world, proposed=date(2026, 8, 15))
    rows = extensions.list_for_task(fresh(world.task.id))
    assert [e.id for e in rows] == [third.id, second.id, first.id]
    assert [e.status for e in rows] == ["pending", "approved", "refused"]
    assert rows[0].requested_by.full_name == world.staff.full_name  # loaded up front
    assert rows[1].decided_by.full_name == world.deputy.full_name


def test_pending_for_lists_what_each_leader_may_decide(world):
    e1 = ask(world)                                            # task: deputy_a accountable
    e2 = ask(world, actor=world.staff2, task=world.task2)      # task2: head_a accountable
    eb = ask(world, actor=world.staff_b, task=world.task_b)    # unit B
    ids = lambda user: [e.id for e in extensions.pending_for(user)]
    assert ids(world.head) == [e1.id, e2.id]
    assert ids(world.deputy) == [e1.id]
    assert ids(world.head_b) == [eb.id]
    assert ids(world.deputy_b) == [eb.id]
    assert ids(world.staff) == [] and ids(world.admin) == [] and ids(world.assessor) == []
    row = extensions.pending_for(world.deputy)[0]
    assert row.task.title and row.requested_by.full_name == world.staff.full_name  # loaded
    decide(world.deputy, e1)
    tasks.cancel_task(world.head, world.task2.id, "Gộp vào nhiệm vụ khác", local_today())
    db.session.commit()
    assert ids(world.head) == [] and ids(world.deputy) == []


# ---- event notifications of the task use cases --------------------------------------

def test_creating_a_task_in_a_draft_tells_no_one_until_the_plan_is_issued(world):
    # Draft plans are quiet (issue 11, item 7): the notice goes out at issue, once.
    assert notes("assigned") == []
    from app.plans import service as plans

    plans.issue_plan(world.head, world.plan.id)
    plans.issue_plan(world.head_b, world.plan_b.id)
    db.session.commit()
    got = {(n.user_id, n.task_id) for n in notes("assigned")}
    assert got == {(world.staff.id, world.task.id), (world.staff2.id, world.task2.id),
                   (world.staff_b.id, world.task_b.id)}


def test_creating_a_task_in_an_issued_plan_tells_the_responsible_person(world, make):
    from app.plans import service as plans

    plans.issue_plan(world.head, world.plan.id)
    db.session.commit()
    added = make.task(world.plan, world.head, world.a, world.staff2, world.deputy,
                      title="Rà soát quy trình nội bộ giải quyết thủ tục hành chính",
                      due_on=date(2026, 9, 30))
    assert (world.staff2.id, added.id) in {(n.user_id, n.task_id) for n in notes("assigned")}


def test_changing_the_responsible_person_tells_the_new_one(world, make):
    from app.plans import service as plans

    plans.issue_plan(world.head, world.plan.id)
    db.session.commit()
    task = db.session.get(Task, world.task.id)
    # After issue a reassignment is an amendment by the head, with its reason (issue 11).
    tasks.update_task(world.head, task.id, make.task_input(world.a, world.staff2, world.deputy),
                      task.version, today=local_today(), settings=current_settings().task_rules,
                      amendment_reason="Anh Đăng được điều động sang phòng khác")
    db.session.commit()
    assert (world.staff2.id, world.task.id) in {(n.user_id, n.task_id) for n in notes("assigned")}
    before = len(notes("assigned"))
    task = fresh(world.task.id)
    tasks.update_task(world.head, task.id, make.task_input(world.a, world.staff2, world.deputy,
                                                           title="Tiêu đề mới"), task.version, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    assert len(notes("assigned")) == before  # an edit that keeps the person tells no one


def test_submit_confirm_and_return_tell_the_other_side(world):
    submit_with_evidence(world.staff, world.task.id, "Xong", TODAY)
    db.session.commit()
    assert [(n.user_id, n.task_id) for n in notes("submitted")] == [(world.deputy.id, world.task.id)]
    tasks.return_task(world.deputy, world.task.id, "Bổ sung số liệu")
    db.session.commit()
    assert [n.user_id for n in notes("returned")] == [world.staff.id]
    tasks.submit_task(world.staff, world.task.id, "Đã bổ sung", TODAY)
    db.session.commit()
    assert len(notes("submitted")) == 2  # a second submission is a second notice
    tasks.confirm_task(world.deputy, world.task.id, "Đạt")
    db.session.commit()
    assert [n.user_id for n in notes("confirmed")] == [world.staff.id]


@pytest.mark.parametrize("who, leader", [("head", "deputy"), ("deputy", "deputy")])
def test_no_one_is_told_of_their_own_action(world, make, who, leader):
    # Issue 11: a head can no longer be both the responsible person and the accountable
    # leader (nobody would confirm it), so the head assigns the task to himself under the
    # deputy, and the deputy to herself as her own leader.
    actor, lead = getattr(world, who), getattr(world, leader)
    t = make.task(world.plan, actor, world.a, actor, lead, title="Tự giao cho mình")
    assert (actor.id, t.id) not in {(n.user_id, n.task_id) for n in notes("assigned")}
    submit_with_evidence(actor, t.id, "Xong", TODAY)
    db.session.commit()
    assert actor.id not in {n.user_id for n in notes("submitted")}


def test_notification_texts_are_written_for_each_kind(world):
    from app.notifications.service import text_of

    ext = ask(world)
    decide(world.deputy, ext)
    rows = db.session.scalars(select(Notification)
                              .options(selectinload(Notification.task))).all()
    kinds = {n.kind: text_of(n) for n in rows}
    assert "31/07/2026" in kinds["extension_requested"]
    assert "31/07/2026" in kinds["extension_approved"]
    assert all(world.task.title in kinds[k] for k in ("extension_requested", "extension_approved"))
