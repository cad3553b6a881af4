"""Tampering (issue 11): the head, a deputy, a staff member, another unit's head and the
assessor each try to move a score outside the workflow, by every path that writes a task and
that the workflow owns: extensions, cancel and suspend, confirm and return, create through the
service, and `flask plans issue`. Every attempt must be refused with a message the person
reads, and no score may move, live or in a frozen run.

Figure: [tampering] <paths>: attempts=N refused_with_message=N score_changes_live=0
score_changes_frozen=0. The Excel import's attempts are in test_tampering_import.py (same
harness, same figure); the edit form's (dates, weights, indicator targets, reassignment after issue) belong to
the task rules and are added to EDIT_FORM_ATTEMPTS below."""

from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from rel_support import PDF, dump, root
from rel_tampering import (
    ROLES,
    Attempt,
    Outcome,
    live_scores,
    refused_http,
    refused_service,
    run,
)
from rel_tampering import tampering_figure as show
from sqlalchemy import select, update

from app.clock import local_today
from app.extensions import db
from app.models import Extension, Plan, Task, User
from app.settings import current_settings

TODAY = date(2026, 6, 15)


def me(user) -> User:
    return db.session.get(User, user.id)


def vi(msgid: str, **kw) -> str:
    with force_locale("vi"):
        return _(msgid, **kw)


@pytest.fixture(scope="module")
def tw(shared):
    """The shared world with unit A's and B's plans issued and, in plan A, the tasks each
    attempt aims at; made pristine for every attempt."""
    from app.plans import service as plans
    from app.tasks import commands as tasks
    from app.tasks import evidence

    shared.restore()
    w = shared.w
    make = root().Factory()
    make.n = 1000
    head, deputy, staff, staff2 = me(w.head), me(w.deputy), me(w.staff), me(w.staff2)

    def task(title, assignee, leader, due, **kw):
        return make.task(w.plan, head, w.a, assignee, leader, title=title, due_on=due, **kw).id

    t = w.t = {}
    t["late_dep"] = task("Tổng hợp báo cáo kết quả cải cách hành chính quý II", staff, deputy,
                         date(2026, 6, 10))
    t["late_head"] = task("Rà soát thủ tục hành chính nội bộ của Sở", staff2, head, date(2026, 6, 5))
    # With an indicator: its target is the denominator of the quality method "from targets".
    t["own_dep"] = task("Rà soát quy chế làm việc của Sở", deputy, deputy, date(2026, 6, 30),
                        indicator_name="Tỷ lệ văn bản được rà soát", indicator_unit="%",
                        indicator_target=Decimal(100))
    t["late_ext"] = task("Cập nhật cơ sở dữ liệu cán bộ, công chức", deputy, deputy,
                         date(2026, 6, 12))
    # A head as both person and leader: refused on create since issue 11, but older rows hold
    # it, and the workflow must still keep the head from confirming it.
    t["own_head"] = make.legacy_task(w.plan, head, w.a, head, head,
                                     title="Chỉ đạo triển khai bộ chỉ số tại các phòng",
                                     due_on=date(2026, 6, 30)).id
    t["sub_staff"] = task("Số hóa hồ sơ lưu trữ của Sở năm 2025", staff, deputy, date(2026, 6, 30))
    t["parent"] = task("Triển khai đánh giá chất lượng dịch vụ công", staff, deputy,
                       date(2026, 6, 30))
    t["child"] = make.task(w.plan, head, w.a, staff2, deputy, parent=db.session.get(Task, t["parent"]),
                           title="Khảo sát mức độ hài lòng của người dân",
                           due_on=date(2026, 6, 25)).id
    t["staff_task"] = task("Cập nhật trang thông tin điện tử của Sở", staff, deputy, date(2026, 6, 25))
    t["paused"] = task("Xây dựng kho dữ liệu dùng chung của Sở", staff, deputy, date(2026, 6, 8))
    # A draft plan of unit B with a task not clear on all six: the CLI must refuse to issue it.
    w.plan_b_work = Plan(unit_id=w.b.id, year=2026, kind="work", title="Kế hoạch công tác năm 2026")
    db.session.add(w.plan_b_work)
    db.session.commit()
    make.task(w.plan_b_work, me(w.head_b), w.b, None, me(w.deputy_b),
              title="Tăng cường công tác cải cách hành chính", output_product="")
    for plan, by in ((w.plan, head), (w.plan_b, me(w.head_b))):
        _p, unclear = plans.issue_plan(by, plan.id)
        assert unclear == []
    db.session.commit()
    # Added after issue by the deputy (bổ sung), due today, her staff's: the head confirms it.
    t["added_dep"] = tasks.create_task(
        me(w.deputy), w.plan.id, make.task_input(w.a, staff, deputy, due_on=TODAY,
                                                 title="Báo cáo nhanh tình hình tuần"),
        today=TODAY, settings=current_settings().task_rules).id
    db.session.commit()
    for key, who in (("own_dep", deputy), ("own_head", head), ("sub_staff", staff),
                     ("added_dep", staff)):
        tasks.submit_task(me(who), t[key], "Đã hoàn thành", TODAY,
                          [evidence.Upload("bao-cao.pdf", PDF)], current_settings().files)
    # The parent was submitted before it was broken down (the rule now refuses that order).
    db.session.execute(update(Task).where(Task.id == t["parent"])
                       .values(status="submitted", submitted_on=TODAY))
    # Asked on 05/06 while the task was within its deadline, still undecided: approving it
    # now would take an overdue task out of the deputy's score.
    ext = Extension(task_id=t["late_ext"], requested_by_id=deputy.id, requested_on=date(2026, 6, 5),
                    previous_due_on=date(2026, 6, 12), proposed_due_on=date(2026, 7, 31),
                    reason="Chờ số liệu của các phòng", status="pending", decision_comment="")
    db.session.add(ext)
    tasks.suspend_task(me(w.head), t["paused"], "Chờ hướng dẫn của Bộ", TODAY)
    db.session.commit()
    w.ext_own = ext.id
    shared.pristine = dump()
    return shared


# ---- the attempts -----------------------------------------------------------------------

def post(role, url, data, expected=None):
    def go(shared):
        resp = shared.cached(role).post(url(shared.w) if callable(url) else url, data=data)
        return refused_http(resp, expected)
    return go


def svc(role, call):
    def go(shared):
        return refused_service(lambda: call(shared.w, me(actor_of(shared.w, role))))
    return go


def actor_of(w, role):
    return {"head": w.head, "deputy": w.deputy, "staff": w.staff, "head_b": w.head_b,
            "assessor": w.assessor}[role]


def decide(role, key_ext, expected=None):
    def url(w):
        task_id = w.t["late_ext"] if key_ext == "own" else w.task.id
        ext_id = w.ext_own if key_ext == "own" else w.extension
        return f"/tasks/{task_id}/extensions/{ext_id}/decision"
    return post(role, url, {"decision": "approve", "comment": "Đồng ý"}, expected)


def task_post(role, key, action, data, expected=None):
    return post(role, lambda w: f"/tasks/{w.t[key] if key in w.t else getattr(w, key).id}/{action}",
                data, expected)


def _tasks():
    from app.tasks import commands as tasks

    return tasks


OVERDUE = "The task is already overdue; an extension can no longer be requested."
ISSUED = ("The plan has been issued: only the head of the unit whose plan assigned this task can "
          "cancel, suspend or resume it.")
OWN = "You cannot confirm or return your own submission: the head of the unit decides on it."
OPEN_CHILDREN = ("This task has %(n)s sub-task(s) not yet completed: it is completed when the "
                 "last of them is confirmed.")
REASON = "Chờ ý kiến góp ý của các sở, ngành"
ADDED = ("This task was added to the plan after it was issued: %(heads)s, head of %(unit)s, "
         "confirms or returns it, not its accountable leader.")

EXTENSIONS = [
    Attempt("extensions", "deputy", "approves her own request on her overdue task", decide("deputy", "own")),
    Attempt("extensions", "staff", "approves his own request", decide("staff", "other")),
    Attempt("extensions", "head_b", "another unit's head approves a request", decide("head_b", "other")),
    Attempt("extensions", "assessor", "the assessor approves a request", decide("assessor", "other")),
    Attempt("extensions", "staff", "asks to extend a task already overdue",
            task_post("staff", "late_dep", "extensions",
                      {"proposed_due_on": "31/07/2026", "reason": REASON}, lambda: vi(OVERDUE))),
    Attempt("extensions", "staff", "asks for a date past the end of next year",
            task_post("staff", "staff_task", "extensions",
                      {"proposed_due_on": "01/01/2028", "reason": REASON}, lambda: vi(
                          "An extension can move the due date at most to %(date)s (the end of the "
                          "year after the plan's).", date="31/12/2027"))),
    Attempt("extensions", "deputy", "asks to extend a task she leads but does not carry out",
            task_post("deputy", "late_dep", "extensions",
                      {"proposed_due_on": "31/07/2026", "reason": REASON})),
    Attempt("extensions", "head", "asks to extend an overdue task someone else carries out",
            task_post("head", "late_head", "extensions",
                      {"proposed_due_on": "31/07/2026", "reason": REASON})),
    Attempt("extensions", "head_b", "another unit's head asks to extend a task",
            task_post("head_b", "late_dep", "extensions",
                      {"proposed_due_on": "31/07/2026", "reason": REASON})),
]

CANCEL = [
    Attempt("cancel and suspend", "deputy", "cancels her overdue task",
            task_post("deputy", "late_dep", "cancel", {"reason": "Không còn phù hợp"},
                      lambda: vi(ISSUED))),
    Attempt("cancel and suspend", "deputy", "suspends her overdue task",
            task_post("deputy", "late_dep", "suspend", {"reason": "Chờ hướng dẫn"},
                      lambda: vi(ISSUED))),
    Attempt("cancel and suspend", "deputy", "resumes a task the head suspended",
            task_post("deputy", "paused", "resume", {"comment": ""}, lambda: vi(ISSUED))),
    Attempt("cancel and suspend", "staff", "cancels his overdue task",
            task_post("staff", "late_dep", "cancel", {"reason": "Không còn phù hợp"})),
    Attempt("cancel and suspend", "staff", "suspends his overdue task",
            task_post("staff", "late_dep", "suspend", {"reason": "Chờ hướng dẫn"})),
    Attempt("cancel and suspend", "head_b", "another unit's head cancels an overdue task",
            task_post("head_b", "late_dep", "cancel", {"reason": "Không còn phù hợp"})),
    Attempt("cancel and suspend", "head_b", "another unit's head suspends an overdue task",
            task_post("head_b", "late_dep", "suspend", {"reason": "Chờ hướng dẫn"})),
    Attempt("cancel and suspend", "assessor", "the assessor cancels an overdue task",
            task_post("assessor", "late_dep", "cancel", {"reason": "Không còn phù hợp"})),
    Attempt("cancel and suspend", "assessor", "the assessor suspends an overdue task",
            task_post("assessor", "late_dep", "suspend", {"reason": "Chờ hướng dẫn"})),
    Attempt("cancel and suspend", "deputy", "cancels through the service, not the page",
            svc("deputy", lambda w, a: _tasks().cancel_task(a, w.t["late_dep"], "Không còn phù hợp",
                                                             TODAY))),
]

REVIEW = [
    Attempt("confirm and return", "deputy", "confirms her own submission",
            task_post("deputy", "own_dep", "review", {"decision": "confirm", "comment": ""},
                      lambda: vi(OWN))),
    Attempt("confirm and return", "deputy", "returns her own submission",
            task_post("deputy", "own_dep", "review", {"decision": "return", "comment": "Làm lại"},
                      lambda: vi(OWN))),
    Attempt("confirm and return", "head", "confirms his own submission",
            task_post("head", "own_head", "review", {"decision": "confirm", "comment": ""},
                      lambda: vi(OWN))),
    Attempt("confirm and return", "deputy", "confirms a parent whose sub-task is open",
            task_post("deputy", "parent", "review", {"decision": "confirm", "comment": ""},
                      lambda: vi(OPEN_CHILDREN, n=1))),
    Attempt("confirm and return", "deputy", "confirms the work she added after issue",
            task_post("deputy", "added_dep", "review", {"decision": "confirm", "comment": ""},
                      lambda: vi(ADDED).split("%(heads)s")[0])),
    Attempt("confirm and return", "staff", "confirms his own submission",
            task_post("staff", "sub_staff", "review", {"decision": "confirm", "comment": ""})),
    Attempt("confirm and return", "head_b", "another unit's head confirms a submission",
            task_post("head_b", "sub_staff", "review", {"decision": "confirm", "comment": ""})),
    Attempt("confirm and return", "assessor", "the assessor confirms a submission",
            task_post("assessor", "sub_staff", "review", {"decision": "confirm", "comment": ""})),
]


def _self_made(role):
    """Create a task due today, weight 999,999, oneself as person and leader; submit it with
    a 15-byte file and confirm it oneself (the third row of issue 11's table)."""
    def call(w, a):
        from app.tasks import commands as tasks
        from app.tasks import evidence
        from tests.conftest import Factory

        data = Factory().task_input(w.a, a, a, title="Tổng kết công tác cải cách hành chính",
                                    due_on=TODAY, weight=Decimal(999999))
        created = tasks.create_task(a, w.plan.id, data, today=local_today(), settings=current_settings().task_rules)
        db.session.flush()
        tasks.submit_task(a, created.id, "Xong", TODAY, [evidence.Upload("x.pdf", PDF)],
                          current_settings().files)
        tasks.confirm_task(a, created.id, "")
    return svc(role, call)


def _create_in_a(role):
    def call(w, a):
        from app.tasks import commands as tasks
        from tests.conftest import Factory

        tasks.create_task(a, w.plan.id, Factory().task_input(w.a, me(w.staff), me(w.deputy),
                                                             title="Nhiệm vụ bổ sung của Sở"), today=local_today(), settings=current_settings().task_rules)
    return svc(role, call)


CREATE = [
    Attempt("create", "deputy", "creates a task for herself and confirms it herself", _self_made("deputy")),
    Attempt("create", "head", "creates a task for himself and confirms it himself", _self_made("head")),
    Attempt("create", "staff", "adds a task to the unit's issued plan", _create_in_a("staff")),
    Attempt("create", "head_b", "another unit's head adds a task to the plan", _create_in_a("head_b")),
    Attempt("create", "assessor", "the assessor adds a task to the plan", _create_in_a("assessor")),
]


def cli(*args):
    def go(shared):
        db.session.commit()
        result = shared.app.test_cli_runner().invoke(args=["plans", "issue", *args])
        text = (result.output or "").strip()
        return Outcome(result.exit_code != 0 and bool(text), text, f"exit {result.exit_code}")
    return go


CLI = [
    Attempt("cli", "cli", "issues an issued plan again", cli("--unit", "SNV", "--year", "2026")),
    Attempt("cli", "cli", "issues a plan with a task not clear on all six",
            cli("--unit", "SKHCN", "--year", "2026", "--kind", "work")),
    Attempt("cli", "cli", "issues a plan without tasks", cli("--unit", "SNV-CCHC", "--year", "2026")),
]

# The task form after issue, through the pages a person uses (issue 11's first table: moving
# a due date, a weight, reassigning, removing an output, adding an unclear or already overdue
# task, leading another unit's work from one's own plan).
DUE_LOCKED = ("The plan has been issued: the due date moves only through an approved extension "
              "(request one on the task page).")
AMEND_NOT_HEAD = ("After issue, only the head of the plan's unit can reassign the task or change "
                  "its weight (an amendment).")
INDICATOR_LOCKED = ("The plan has been issued: the indicator's name, unit and target can no "
                    "longer be changed (they decide quality scores).")
ADDED_DUE_PAST = "A task added to an issued plan cannot be due before today (%(date)s)."


def edit(role, key, expected=None, **changes):
    """Post the task's own edit form with `changes` (the rest as the page shows it)."""
    def go(shared):
        from rel_support import task_form_data

        task_id = shared.w.t[key]
        data = task_form_data(task_id) | {k: v(shared.w) if callable(v) else v
                                         for k, v in changes.items()}
        resp = shared.cached(role).post(f"/tasks/{task_id}/edit", data=data)
        return refused_http(resp, expected)
    return go


def add(role, plan, expected=None, lead=lambda w: w.a.id, **changes):
    """Post the create form of `plan` ("a" or "b") with a clear task and `changes`."""
    def go(shared):
        from rel_support import new_task_data

        w = shared.w
        target = w.plan if plan == "a" else w.plan_b
        who = (w.staff.id, w.deputy.id) if plan == "a" else (w.staff_b.id, w.deputy_b.id)
        data = new_task_data(lead(w), *who) | {k: v(w) if callable(v) else v
                                               for k, v in changes.items()}
        resp = shared.cached(role).post(f"/plans/{target.id}/tasks/new", data=data)
        return refused_http(resp, expected)
    return go


def msg(msgid, **kw):
    return lambda: vi(msgid, **kw)


# What the form says before the six-clears reason it names (the reason varies with the field).
UNCLEAR = msg("The task would no longer be clear: %(reason)s", reason="")


EDIT_FORM_ATTEMPTS: list[Attempt] = [
    Attempt("edit form", "deputy", "moves her overdue task's due date",
            edit("deputy", "late_dep", msg(DUE_LOCKED), due_on="31/07/2026")),
    Attempt("edit form", "head", "moves an overdue task's due date",
            edit("head", "late_head", msg(DUE_LOCKED), due_on="31/07/2026")),
    Attempt("edit form", "deputy", "raises the weight of her task confirmed on time",
            edit("deputy", "own_dep", msg(AMEND_NOT_HEAD), weight="10")),
    Attempt("edit form", "head", "lowers an overdue task's weight without a reason",
            edit("head", "late_dep", msg("Give the reason for the amendment."), weight="0.1")),
    Attempt("edit form", "head", "raises a weight beyond the range, with a reason",
            edit("head", "own_head", msg("The weight must be between %(min)s and %(max)s.",
                                         min="0,1", max="10"),
                 weight="999999", amendment_reason="Nhiệm vụ trọng tâm")),
    Attempt("edit form", "deputy", "lowers the indicator target of her own task",
            edit("deputy", "own_dep", msg(INDICATOR_LOCKED), indicator_target="10")),
    Attempt("edit form", "head", "lowers an indicator target, with a reason",
            edit("head", "own_dep", msg(INDICATOR_LOCKED), indicator_target="10",
                 amendment_reason="Điều chỉnh chỉ tiêu")),
    Attempt("edit form", "head", "adds an indicator with a target already met",
            edit("head", "late_dep", msg(INDICATOR_LOCKED), indicator_name="Số báo cáo",
                 indicator_unit="báo cáo", indicator_target="1")),
    Attempt("edit form", "deputy", "hands her overdue task to the other deputy",
            edit("deputy", "late_dep", msg(AMEND_NOT_HEAD), leader_id=lambda w: str(w.head.id))),
    Attempt("edit form", "head", "removes the output of a task of the issued plan",
            edit("head", "late_dep", UNCLEAR, output_product="")),
    Attempt("edit form", "staff", "edits the task he carries out",
            edit("staff", "late_dep", None, due_on="31/07/2026")),
    Attempt("edit form", "head_b", "another unit's head edits a task",
            edit("head_b", "late_dep", None, due_on="31/07/2026")),
    Attempt("edit form", "assessor", "the assessor edits a task",
            edit("assessor", "late_dep", None, due_on="31/07/2026")),
    Attempt("create form", "head", "adds a title-only task to the issued plan",
            add("head", "a", UNCLEAR, description="", responsibility="", output_product="",
                indicator_name="", indicator_unit="", indicator_target="",
                **{"steps-0-title": "", "steps-1-title": ""})),
    Attempt("create form", "head", "adds a task already overdue to the issued plan",
            add("head", "a", msg(ADDED_DUE_PAST, date="15/06/2026"),
                start_on="01/05/2026", due_on="10/06/2026",
                **{"steps-0-due_on": "", "steps-1-due_on": ""})),
    Attempt("create form", "deputy", "adds a task weighing 999,999 to the issued plan",
            add("deputy", "a", msg("The weight must be between %(min)s and %(max)s.",
                                   min="0,1", max="10"), weight="999999")),
    Attempt("create form", "head_b", "another unit's head adds to her plan a task led by unit A",
            add("head_b", "b", msg("The lead unit must be the plan's unit or a unit below it."))),
]

ATTEMPTS = EXTENSIONS + CANCEL + REVIEW + CREATE + CLI + EDIT_FORM_ATTEMPTS


def test_every_role_tries_every_path():
    people = {a.role for a in ATTEMPTS} - {"cli"}
    assert people == set(ROLES)
    for group in (EXTENSIONS, CANCEL, REVIEW, CREATE):
        assert {a.role for a in group} >= {"deputy", "staff", "head_b", "assessor"}


def test_the_measure_sees_a_legitimate_change(tw):
    """The control: the head confirming a submission moves the scores the harness compares,
    so 0 below means nothing moved, not that nothing was measured."""
    from app.tasks import commands as tasks

    tw.restore()
    before = live_scores()
    tasks.confirm_task(me(tw.w.deputy), tw.w.t["sub_staff"], "Đạt")
    db.session.commit()
    assert live_scores() != before
    tw.restore()


def test_tampering(tw):
    result = run(tw, ATTEMPTS)
    show("extensions, cancel and suspend, confirm and return, create, cli, edit and create forms",
         result)
    assert result.failures == []
    assert result.refused == result.attempts == len(ATTEMPTS)
    assert (result.live_changes, result.frozen_changes) == (0, 0)


def test_the_messages_are_the_ones_the_rules_give(tw):
    """Refusals read as the person should read them, in Vietnamese, and change nothing."""
    tw.restore()
    w = tw.w
    resp = tw.cached("deputy").post(f"/tasks/{w.t['late_dep']}/cancel", data={"reason": "x"})
    assert resp.status_code == 422 and vi(ISSUED) in resp.get_data(as_text=True)
    resp = tw.cached("deputy").post(f"/tasks/{w.t['own_dep']}/review",
                                    data={"decision": "confirm", "comment": ""})
    assert resp.status_code == 422 and vi(OWN) in resp.get_data(as_text=True)
    statuses = dict(db.session.execute(select(Task.id, Task.status).where(
        Task.id.in_([w.t["late_dep"], w.t["own_dep"]]))).all())
    assert statuses == {w.t["late_dep"]: "assigned", w.t["own_dep"]: "submitted"}
    tw.restore()


def test_the_head_cancelling_an_overdue_task_changes_no_score(tw):
    """The head may cancel (the decision is hers, with a reason), but a task that had already
    fallen due still counts as not completed, live and in a run frozen afterwards (DESIGN 4)."""
    from rel_tampering import frozen_scores

    tw.restore()
    w = tw.w
    before_live = live_scores()
    before_frozen, _run = frozen_scores()
    db.session.rollback()
    resp = tw.cached("head").post(f"/tasks/{w.t['late_dep']}/cancel",
                                  data={"reason": "Không còn phù hợp với chỉ đạo của tỉnh"})
    assert resp.status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(Task.status).where(Task.id == w.t["late_dep"])) == "cancelled"
    assert live_scores() == before_live
    after_frozen, _run = frozen_scores()
    db.session.rollback()
    assert after_frozen == before_frozen
    tw.restore()
