"""The authorization matrix: every URL rule x role x relation x method -> expected status.

Roles are played by the users of the `world` fixture: admin, assessor, head_a, deputy_a and
staff_a (unit A, Sở Nội vụ), and an anonymous visitor. The relation says which object the URL
names, seen from the actor:

- own:     a task assigned to me or that I am accountable for (staff_a and deputy_a: world.task;
           head_a: world.task2), my unit's plan (A), my own unit or account;
- unit:    a task of my unit that is not mine (staff_a, deputy_a: task2; head_a: task), the plan
           of sub-unit A1 of my unit, a colleague's account;
- other:   the same in unit B (task_b, plan_b, unit B, staff_b);
- missing: an id that exists nowhere.

Expected statuses: 200; L = 302 to the login page (anonymous); 302 = the redirect after a
successful request; 403; 404 (outside the actor's scope, or no such object); 422.
Requests that succeed by changing data run on a fresh world each; all others share one
world, and must leave every table exactly as it was. A "*" on any status marks a request
that runs on a fresh world (after its `prepare`, e.g. frozen assessment runs) and is put back.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from web_support import (
    PASSWORD_NEW,
    changes_besides_refusal_log,
    new_task_data,
    root,
    task_form_data,
)

from app.clock import local_today
from app.extensions import db
from app.models import ProcessStep, Task
from app.settings import current_settings
from tests.quality import world as qw
from tests.support import payloads
from tests.support.snapshot import current

ROLES = ("anonymous", "admin", "assessor", "head", "deputy", "staff")
USERNAMES = {"admin": "admin", "assessor": "assessor", "head": "head_a", "deputy": "deputy_a",
             "staff": "staff_a"}
R4 = ("own", "unit", "other", "missing")
R3 = ("own", "other", "missing")
Q2 = ("own", "missing")
NONE = ("-",)
MISSING = 999_999


@dataclass
class Rule:
    """One (endpoint, method): the relations it is checked with and, per role, the expected
    statuses in the order of those relations ("L" = to the login page, "302*" = a successful
    change, run on a fresh world)."""

    endpoint: str
    method: str
    relations: tuple
    expect: dict
    url: Callable
    data: Callable | None = None
    prepare: Callable | None = None
    files: bool = False
    extra: dict = field(default_factory=dict)


def _exp(spec: str, n: int) -> tuple:
    parts = spec.split()
    if len(parts) == 1:
        parts = parts * n
    assert len(parts) == n, spec
    return tuple(parts)


def expect(relations, anonymous="L", **roles) -> dict:
    n = len(relations)
    out = {"anonymous": _exp(anonymous, n)}
    for role in ROLES[1:]:
        out[role] = _exp(roles.get(role, roles.get("others", "403")), n)
    return out


# ---- what a relation names, seen from the actor ------------------------------------

def target_task(w, role, rel):
    if rel == "missing":
        return SimpleNamespace(id=MISSING)
    if rel == "other":
        return w.task_b
    mine, colleague = (w.task2, w.task) if role == "head" else (w.task, w.task2)
    return mine if rel == "own" else colleague


def target_plan(w, role, rel):
    return {"own": w.plan, "unit": w.plan_a1, "other": w.plan_b,
            "missing": SimpleNamespace(id=MISSING)}[rel]


def actor(w, role):
    return {"admin": w.admin, "assessor": w.assessor, "head": w.head, "deputy": w.deputy,
            "staff": w.staff, "anonymous": w.staff}[role]


def target_unit(w, role, rel):
    return {"own": actor(w, role).unit, "other": w.b, "missing": SimpleNamespace(id=MISSING)}[rel]


def target_user(w, role, rel):
    return {"own": actor(w, role), "other": w.staff_b, "missing": SimpleNamespace(id=MISSING)}[rel]


def target_deputy(w, role, rel):
    """own: the deputy of the actor's unit A (the province's admin and assessor: A's too),
    other: B's deputy."""
    return {"own": w.deputy, "other": w.deputy_b, "missing": SimpleNamespace(id=MISSING)}[rel]


def target_unit_for_plan(w, rel):
    return {"own": w.a.id, "unit": w.a1.id, "other": w.b.id}.get(rel, MISSING)


def first_step(task_id):
    if task_id == MISSING:
        return 1
    return db.session.scalar(select(ProcessStep.id).where(ProcessStep.task_id == task_id)
                             .order_by(ProcessStep.position)) or 1


def leader_for(w, role):
    return actor(w, role).id if role in ("head", "deputy") else w.deputy.id


def suspend_target(w, role, rel):
    """Suspend the task named by the relation (as the head of its plan's unit)."""
    from app.models import User
    from app.tasks import commands as tasks

    task = target_task(w, role, rel)
    if rel == "missing":
        return
    t = db.session.get(Task, task.id)
    head = w.head if t.owner_unit_id == w.a.id else w.head_b
    tasks.suspend_task(db.session.get(User, head.id), t.id, "Chờ ý kiến của tỉnh", local_today())
    db.session.commit()


def submit_target(w, role, rel):
    """Put the task named by the relation into 'awaiting confirmation'."""
    from app.clock import local_today
    from app.models import User
    from app.tasks import commands as tasks

    task = target_task(w, role, rel)
    if rel == "missing":
        return
    t = db.session.get(Task, task.id)
    assignee = db.session.get(User, t.assignee_id)
    tasks.submit_task(assignee, t.id, "Đã hoàn thành", local_today())
    db.session.commit()


def task_plan_issued(w, role, rel):
    """A prepare step: the plan of the task named by the relation issued (an extension is
    asked on an issued plan's task; a draft's have nothing due)."""
    from sqlalchemy import update

    from app.models import Plan

    if rel == "missing":
        return
    t = db.session.get(Task, target_task(w, role, rel).id)
    db.session.execute(update(Plan).where(Plan.id == t.plan_id).values(status="issued"))
    db.session.commit()


def ask_extension(w, role, rel):
    """A pending extension request, by its responsible person, on the task named by the
    relation (its plan issued)."""
    from datetime import date

    from app.clock import local_today
    from app.deadlines import extensions
    from app.models import User

    if rel == "missing":
        return
    task_plan_issued(w, role, rel)
    t = db.session.get(Task, target_task(w, role, rel).id)
    extensions.request_extension(db.session.get(User, t.assignee_id), t.id, date(2026, 7, 31),
                                 "Chờ ý kiến góp ý của các sở, ngành", local_today(), max_extensions=current_settings().max_extensions)
    db.session.commit()


def coordinate_task_b(w, role, rel):
    """Unit A coordinates task_b (unit B's), staff_a is named its contact person, the plans
    are issued (a coordinator's note is for issued work)."""
    from sqlalchemy import insert, update

    from app.models import Plan, task_coordinator_contacts, task_coordinators

    db.session.execute(update(Plan).where(Plan.id.in_([w.plan.id, w.plan_b.id]))
                       .values(status="issued"))
    db.session.execute(insert(task_coordinators).values(task_id=w.task_b.id, unit_id=w.a.id))
    db.session.execute(insert(task_coordinator_contacts).values(
        task_id=w.task_b.id, unit_id=w.a.id, user_id=w.staff.id))
    db.session.commit()


def pending_extension(task_id):
    from app.models import Extension

    return db.session.scalar(select(Extension.id).where(Extension.task_id == task_id,
                                                        Extension.status == "pending")) or MISSING


def give_notification(w, role, rel):
    """A notification to the actor (admin and assessor have none in the world)."""
    from app.deadlines import sweep as overdue

    if rel == "own":
        overdue.notify([actor(w, role).id], "due_soon", w.task.id, f"matrix:{role}", days=3)
        db.session.commit()


def notification_for(w, role, rel):
    from app.models import Notification

    if rel == "missing":
        return MISSING
    owner = actor(w, role) if rel == "own" else w.staff_b
    return db.session.scalar(select(Notification.id).where(Notification.user_id == owner.id)
                             .order_by(Notification.id.desc())) or MISSING


def target_leader(w, role, rel):
    """A head or deputy row of the assessment, seen from the actor: own = themselves (admin,
    assessor and staff: deputy_a), unit = a colleague of unit A, other = deputy_b."""
    if rel == "missing":
        return SimpleNamespace(id=MISSING)
    if rel == "other":
        return w.deputy_b
    if rel == "own":
        return w.head if role == "head" else w.deputy
    return w.deputy if role == "head" else w.head


def freeze_runs(w, role, rel):
    """Two frozen runs of 2026-Q2: every unit (covers unit A) and unit B alone."""
    from app.assessment import service as assessment
    from app.clock import local_today
    from app.domain.scoring import ScoringSettings, parse_period
    from app.models import Unit

    period = parse_period("2026-Q2")
    for scope in (None, db.session.get(Unit, w.b.id)):
        assessment.freeze(w.assessor.id, period, local_today(), ScoringSettings(), scope,
                          today=local_today())
    db.session.commit()


def run_for(rel):
    """The run named by the relation: own = the run of every unit, other = unit B's run."""
    from app.models import AssessmentRun

    if rel == "missing":
        return MISSING
    return db.session.scalar(select(AssessmentRun.id).where(
        AssessmentRun.scope_key == ("all" if rel in ("own", "unit") else "SKHCN"))) or MISSING


def final_row_for(rel):
    """The unit row of the run named by the relation: unit A in the run of every unit (own),
    unit B in unit B's run (other)."""
    from app.models import AssessmentUnitRow

    run = run_for(rel)
    if run == MISSING:
        return MISSING
    code = "SNV" if rel in ("own", "unit") else "SKHCN"
    return db.session.scalar(select(AssessmentUnitRow.id).where(
        AssessmentUnitRow.run_id == run, AssessmentUnitRow.unit_code == code)) or MISSING


def plan_status(status: str) -> Callable:
    """A prepare step: the plan named by the relation put into `status` (issued to be
    closed, closed to be reopened)."""
    def prepare(w, role, rel):
        from sqlalchemy import update

        from app.models import Plan

        if rel != "missing":
            db.session.execute(update(Plan).where(Plan.id == target_plan(w, role, rel).id)
                               .values(status=status))
            db.session.commit()
    return prepare


def recurring_data(w, role, rel) -> dict:
    """A clear monthly recurring task of unit A (plan A's people)."""
    return {"frequency": "monthly", "cutoff_kind": "decree", "due_kind": "day", "due_day": "20",
            "title": "Báo cáo tình hình thực hiện công tác CCHC hằng tháng",
            "description": "Tổng hợp kết quả CCHC của tháng.", "lead_unit_id": str(w.a.id),
            "assignee_id": str(w.staff.id), "leader_id": str(w.deputy.id),
            "responsibility": "Chịu trách nhiệm tổng hợp và gửi báo cáo đúng hạn.",
            "steps_text": "Tổng hợp số liệu\nTrình ký", "output_product": "Báo cáo tháng",
            "weight": "1"}


def make_rule(w, role, rel):
    """A prepare step: a recurring rule on the plan named by the relation (written directly:
    the plan of A1 has no people to make it clear), its id kept for the URL."""
    from app.models import RecurringRule

    if rel == "missing":
        return
    plan = target_plan(w, role, rel)
    rule = RecurringRule(plan_id=plan.id, position=1, frequency="monthly", due_kind="day",
                         due_day=20, title="Báo cáo CCHC hằng tháng", description="Báo cáo.",
                         responsibility="", steps_text="", output_product="Báo cáo")
    db.session.add(rule)
    db.session.commit()
    w.rule_ids = getattr(w, "rule_ids", {}) | {plan.id: rule.id}


def rule_url(w, role, rel, tail: str) -> str:
    plan = target_plan(w, role, rel)
    rule_id = getattr(w, "rule_ids", {}).get(plan.id, MISSING)
    return f"/plans/{plan.id}/recurring/{rule_id}/{tail}"


def import_file(rel: str = "own") -> bytes:
    """A small valid plan file for the plan named by the relation: one clear task led by
    unit A; for plan A1 ("unit") led by A1 with nobody named yet (issue 11: a plan's tasks
    are led by its unit or below, and A1 has no people; a draft's task may be unclear)."""
    from tests.plan_files import HEADERS, build, clear_row

    title = "Tập huấn nghiệp vụ cải cách hành chính"
    if rel == "unit":
        return build([HEADERS, clear_row(5, title=title, lead="SNV-CCHC", assignee=None,
                                         leader=None)])
    return build([HEADERS, clear_row(5, title=title)])


def stage_import(w, role, rel):
    """A previewed file waiting for confirmation by the actor, for the plan named."""
    from app.models import Plan
    from app.plans import importing as plan_import

    if rel == "missing":
        return
    plan = db.session.get(Plan, target_plan(w, role, rel).id)
    sheet = plan_import.read_sheet(import_file(rel))
    w.import_token = plan_import.store_upload(actor(w, role), plan, sheet, "ke-hoach.xlsx",
                                              current_settings().files)


def user_form(u, **kw):
    return payloads.user_form(u, **({"full_name": u.full_name + " (sửa)"} | kw))


def unit_form(u):
    return {"name": u.name + " (sửa)", "parent_id": str(u.parent_id or ""), "is_active": "y"}


RULES = [
    # ---- auth ---------------------------------------------------------------
    Rule("auth.login", "GET", NONE, expect(NONE, anonymous="200", others="302"),
         lambda w, r, x: "/login"),
    Rule("auth.login", "POST", NONE, expect(NONE, anonymous="302*", others="302"),
         lambda w, r, x: "/login",
         data=lambda w, r, x: {"username": "staff_a", "password": root().PASSWORD}),
    Rule("auth.logout", "POST", NONE, expect(NONE, others="302*"), lambda w, r, x: "/logout",
         data=lambda w, r, x: {}),
    Rule("auth.password", "GET", NONE, expect(NONE, others="200"), lambda w, r, x: "/password"),
    Rule("auth.password", "POST", NONE, expect(NONE, others="302*"), lambda w, r, x: "/password",
         data=lambda w, r, x: {"current_password": root().PASSWORD, "new_password": PASSWORD_NEW,
                               "confirm": PASSWORD_NEW}),
    Rule("auth.language", "POST", NONE, expect(NONE, anonymous="302", others="302*"),
         lambda w, r, x: "/language/en", data=lambda w, r, x: {"next": "/plans"}),
    Rule("dashboard.index", "GET", NONE, expect(NONE, others="200"), lambda w, r, x: "/"),
    Rule("dashboard.overdue", "GET", NONE, expect(NONE, others="200"),
         lambda w, r, x: "/overdue"),
    Rule("dashboard.overdue_export", "GET", NONE, expect(NONE, others="200"),
         lambda w, r, x: "/overdue.xlsx"),
    Rule("dashboard.overdue_print", "GET", NONE, expect(NONE, others="200"),
         lambda w, r, x: "/overdue/print"),
    Rule("healthz", "GET", NONE, expect(NONE, anonymous="200", others="200"),
         lambda w, r, x: "/healthz"),
    Rule("bootstrap.static", "GET", NONE, expect(NONE, anonymous="200", others="200"),
         lambda w, r, x: "/bootstrap/static/css/bootstrap.min.css"),
    # ---- plans ----------------------------------------------------------------
    Rule("plans.index", "GET", NONE, expect(NONE, others="200"), lambda w, r, x: "/plans"),
    Rule("plans.create", "GET", NONE, expect(NONE, head="200"), lambda w, r, x: "/plans/new"),
    Rule("plans.create", "POST", ("own", "unit", "other", "missing"),
         expect(R4, head="302* 302* 403 422"), lambda w, r, x: "/plans/new",
         data=lambda w, r, x: {"unit_id": str(target_unit_for_plan(w, x)), "year": "2026",
                               "kind": "digital", "title": "Kế hoạch chuyển đổi số năm 2026"}),
    Rule("plans.edit", "GET", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="200 200 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/edit"),
    Rule("plans.edit", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/edit",
         data=lambda w, r, x: {"title": "Kế hoạch CCHC năm 2026 (sửa đổi)",
                               "doc_number": "01/KH-SNV", "doc_date": "18/01/2026"}),
    Rule("plans.recurring_new", "GET", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="200 200 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/recurring/new"),
    Rule("plans.recurring_new", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 422 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/recurring/new", data=recurring_data),
    Rule("plans.recurring_edit", "GET", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="200* 200* 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: rule_url(w, r, x, "edit"), prepare=make_rule),
    Rule("plans.recurring_edit", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 422* 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: rule_url(w, r, x, "edit"), prepare=make_rule,
         data=lambda w, r, x: recurring_data(w, r, x) | {"version": "1"}),
    Rule("plans.recurring_delete", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: rule_url(w, r, x, "delete"), prepare=make_rule,
         data=lambda w, r, x: {"reason": "Không còn yêu cầu báo cáo"}),
    Rule("plans.view", "GET", R4,
         expect(R4, admin="200 200 200 404", assessor="200 200 200 404",
                head="200 200 404 404", deputy="200 200 404 404", staff="200 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}"),
    Rule("plans.issue", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/issue", data=lambda w, r, x: {}),
    Rule("plans.close", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/close", data=lambda w, r, x: {},
         prepare=plan_status("issued")),
    Rule("plans.reopen", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/reopen", data=lambda w, r, x: {},
         prepare=plan_status("closed")),
    # ---- plans: Excel import (preview, then confirm), template, export, print ---------
    Rule("plans.import_file", "GET", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="200 200 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/import"),
    # A preview writes nothing to the database (the rows wait in the upload folder); the
    # upload answers 303 to the preview's own page (redirect after post, issue 17).
    Rule("plans.import_file", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="303 303 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/import",
         data=lambda w, r, x: {"file": (io.BytesIO(import_file(x)), "ke-hoach.xlsx")}),
    # The preview of a stored upload, by GET: the actor's own (staged) upload; another's
    # token or none sends back to the upload form (302).
    Rule("plans.import_preview", "GET", R4,
         expect(R4, admin="403* 403* 403* 404", assessor="403* 403* 403* 404",
                head="200* 200* 404 404", deputy="403* 403* 404 404", staff="403* 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/import/{getattr(w, 'import_token', '0' * 32)}",
         prepare=stage_import),
    Rule("plans.import_preview", "GET", ("own",),
         expect(("own",), admin="403", assessor="403", head="302", deputy="403", staff="403"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/import/{'0' * 32}"),
    Rule("plans.import_confirm", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/import/confirm",
         data=lambda w, r, x: {"token": getattr(w, "import_token", "0" * 32)},
         prepare=stage_import),
    # Reading the stored upload again with other columns writes nothing either.
    Rule("plans.import_columns", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="303* 303* 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/import/columns",
         data=lambda w, r, x: {"token": getattr(w, "import_token", "0" * 32), "column-1": "title"},
         prepare=stage_import),
    Rule("plans.template", "GET", R4,
         expect(R4, admin="200 200 200 404", assessor="200 200 200 404",
                head="200 200 404 404", deputy="200 200 404 404", staff="200 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/template.xlsx"),
    Rule("plans.export", "GET", R4,
         expect(R4, admin="200 200 200 404", assessor="200 200 200 404",
                head="200 200 404 404", deputy="200 200 404 404", staff="200 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/export.xlsx"),
    Rule("plans.print", "GET", R4,
         expect(R4, admin="200 200 200 404", assessor="200 200 200 404",
                head="200 200 404 404", deputy="200 200 404 404", staff="200 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/print"),
    Rule("plans.print_docx", "GET", R4,
         expect(R4, admin="200 200 200 404", assessor="200 200 200 404",
                head="200 200 404 404", deputy="200 200 404 404", staff="200 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/print.docx"),
    # ---- tasks ----------------------------------------------------------------
    Rule("tasks.index", "GET", NONE, expect(NONE, others="200"), lambda w, r, x: "/tasks"),
    Rule("tasks.mine", "GET", NONE, expect(NONE, others="200"), lambda w, r, x: "/tasks/mine"),
    Rule("tasks.create", "GET", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="200 200 404 404", deputy="200 200 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/tasks/new"),
    # Issue 11: a plan's tasks are led by its unit or a unit below it, and the leader is a
    # leader of the plan's unit or the lead unit. Sub-unit A1 has no people, so its plan
    # ("unit") gets a task led by A1 with nobody assigned yet; the head of A may add it. A
    # deputy of A may open the form (access) but cannot lead a task of A1's plan, and a deputy
    # only saves tasks she leads: refused by the rules (422, nothing written).
    Rule("tasks.create", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="302* 422 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/tasks/new",
         data=lambda w, r, x: (
             new_task_data(w.a1.id, "", "" if r == "head" else leader_for(w, r)) if x == "unit"
             else new_task_data(w.a.id, w.staff.id, leader_for(w, r)))),
    Rule("tasks.edit", "GET", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="200 200 404 404", deputy="200 403 404 404", staff="403 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/edit"),
    Rule("tasks.edit", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="302* 403 404 404", staff="403 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/edit",
         data=lambda w, r, x: (task_form_data(target_task(w, r, x).id) | {
             "title": "Xây dựng bộ chỉ số đánh giá (đã sửa)"}) if x != "missing"
         else {"title": "x", "version": "1"}),
    Rule("tasks.view", "GET", R4,
         expect(R4, admin="200 200 200 404", assessor="200 200 200 404",
                head="200 200 404 404", deputy="200 200 404 404", staff="200 200 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}"),
    Rule("tasks.progress", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="403 403 404 404", deputy="403 403 404 404", staff="302* 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/progress",
         data=lambda w, r, x: {"percent": "40", "note": "Đã dự thảo xong."}),
    Rule("tasks.step", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="302* 403 404 404", staff="302* 403 404 404"),
         lambda w, r, x: (f"/tasks/{target_task(w, r, x).id}/steps/"
                          f"{first_step(target_task(w, r, x).id)}"),
         data=lambda w, r, x: {"done": "1"}),
    Rule("tasks.submit", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="403 403 404 404", deputy="403 403 404 404", staff="302* 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/submit",
         data=lambda w, r, x: {"submit-note": "Đã hoàn thành, kèm báo cáo."}),
    Rule("tasks.review", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="302* 403 404 404", staff="403 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/review",
         data=lambda w, r, x: {"decision": "confirm", "comment": "Đạt yêu cầu."},
         prepare=submit_target),
    # Issue 17: only the responsible person takes back a submission not yet decided.
    Rule("tasks.withdraw", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="403 403 404 404", deputy="403 403 404 404", staff="302* 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/withdraw",
         data=lambda w, r, x: {"note": "Bổ sung số liệu."}, prepare=submit_target),
    # Coordinating units (issue 17 §2), after coordinate_task_b: head_a heads the coordinating
    # unit A of task_b, staff_a is its named contact; nobody else coordinates anything. A
    # coordinator writes notes (302) but never names contacts unless head of the unit.
    Rule("tasks.coordinator_note", "POST", R4,
         expect(R4, admin="403* 403* 403* 404", assessor="403* 403* 403* 404",
                head="403* 403* 302* 404", deputy="403* 403* 404* 404",
                staff="403* 403* 302* 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/coordinator-note",
         data=lambda w, r, x: {"note": "Sở đã gửi số liệu phối hợp."}, prepare=coordinate_task_b),
    Rule("tasks.coordinator_contacts", "POST", R4,
         expect(R4, admin="404 404 403* 404", assessor="404 404 403* 404",
                head="404 404 302* 404", deputy="404 404 404* 404", staff="404 404 403* 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/coordination/{w.a.id}/contacts",
         data=lambda w, r, x: {f"u{w.a.id}-user_ids": str(w.staff.id)},
         prepare=coordinate_task_b),
    Rule("tasks.cancel", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="302* 403 404 404", staff="403 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/cancel",
         data=lambda w, r, x: {"reason": "Nhiệm vụ được gộp vào nhiệm vụ khác."}),
    # A draft plan (the matrix's world): suspending and resuming as cancelling; on an
    # issued plan only the head of the plan's unit (tests/web/test_workflow_web.py).
    Rule("tasks.suspend", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="302* 403 404 404", staff="403 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/suspend",
         data=lambda w, r, x: {"reason": "Chờ ý kiến của tỉnh."}),
    Rule("tasks.resume", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="302* 403 404 404", staff="403 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/resume",
         data=lambda w, r, x: {"comment": "Đã có ý kiến của tỉnh."}, prepare=suspend_target),
    Rule("tasks.download", "GET", R4,
         expect(R4, admin="200 200 200 404", assessor="200 200 200 404",
                head="200 200 404 404", deputy="200 200 404 404", staff="200 200 404 404"),
         lambda w, r, x: (f"/tasks/{target_task(w, r, x).id}/evidence/"
                          f"{w.evidence.get(target_task(w, r, x).id, 1)}")),
    # ---- extensions (gia hạn) -------------------------------------------------
    Rule("tasks.request_extension", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="403 403 404 404", deputy="403 403 404 404", staff="302* 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/extensions",
         data=lambda w, r, x: {"proposed_due_on": "31/07/2026",
                               "reason": "Chờ ý kiến góp ý của các sở, ngành"},
         prepare=task_plan_issued),
    Rule("tasks.decide_extension", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="302* 403 404 404", staff="403 403 404 404"),
         lambda w, r, x: (f"/tasks/{target_task(w, r, x).id}/extensions/"
                          f"{pending_extension(target_task(w, r, x).id)}/decision"),
         data=lambda w, r, x: {"decision": "approve", "comment": "Đồng ý gia hạn."},
         prepare=ask_extension),
    # ---- notifications ----------------------------------------------------------
    Rule("notifications.index", "GET", NONE, expect(NONE, others="200"),
         lambda w, r, x: "/notifications"),
    Rule("notifications.read", "POST", R3, expect(R3, others="302* 404 404"),
         lambda w, r, x: f"/notifications/{notification_for(w, r, x)}/read",
         data=lambda w, r, x: {}, prepare=give_notification),
    Rule("notifications.open", "POST", R3, expect(R3, others="302* 404 404"),
         lambda w, r, x: f"/notifications/{notification_for(w, r, x)}/open",
         data=lambda w, r, x: {}, prepare=give_notification),
    Rule("notifications.read_all", "POST", NONE, expect(NONE, others="302*"),
         lambda w, r, x: "/notifications/read-all", data=lambda w, r, x: {}),
    Rule("notifications.settings", "POST", NONE, expect(NONE, others="302*"),
         lambda w, r, x: "/notifications/settings", data=lambda w, r, x: {"email_digest": "y"}),
    # ---- admin ----------------------------------------------------------------
    Rule("admin.units", "GET", NONE, expect(NONE, admin="200"), lambda w, r, x: "/admin/units"),
    Rule("admin.units", "POST", NONE, expect(NONE, admin="302*"), lambda w, r, x: "/admin/units",
         data=lambda w, r, x: {"code": "SNV-VP", "name": "Văn phòng Sở", "kind": "office",
                               "parent_id": str(w.a.id)}),
    Rule("admin.unit", "GET", R3, expect(R3, admin="200 200 404"),
         lambda w, r, x: f"/admin/units/{target_unit(w, r, x).id}"),
    Rule("admin.unit", "POST", R3, expect(R3, admin="302* 302* 404"),
         lambda w, r, x: f"/admin/units/{target_unit(w, r, x).id}",
         data=lambda w, r, x: unit_form(target_unit(w, r, x)) if x != "missing"
         else {"name": "x", "is_active": "y"}),
    # merge sub-unit A1 into the province (which has no plan of its kind and year)
    Rule("admin.unit_merge", "POST", NONE, expect(NONE, admin="302*"),
         lambda w, r, x: f"/admin/units/{w.a1.id}/merge",
         data=lambda w, r, x: {"target_id": str(w.province.id), "confirm": "y"}),
    Rule("admin.users", "GET", NONE, expect(NONE, admin="200"), lambda w, r, x: "/admin/users"),
    Rule("admin.user_new", "GET", NONE, expect(NONE, admin="200"),
         lambda w, r, x: "/admin/users/new"),
    Rule("admin.user_new", "POST", NONE, expect(NONE, admin="302*"),
         lambda w, r, x: "/admin/users/new",
         data=lambda w, r, x: {"username": "cv.moi", "full_name": "Nguyễn Văn Mới",
                               "unit_id": str(w.a.id), "role": "staff", "is_active": "y",
                               "new_password": PASSWORD_NEW}),
    Rule("admin.user_edit", "GET", R3, expect(R3, admin="200 200 404"),
         lambda w, r, x: f"/admin/users/{target_user(w, r, x).id}"),
    Rule("admin.user_edit", "POST", R3, expect(R3, admin="302* 302* 404"),
         lambda w, r, x: f"/admin/users/{target_user(w, r, x).id}",
         data=lambda w, r, x: user_form(target_user(w, r, x)) if x != "missing"
         else {"full_name": "x", "role": "staff"}),
    # ---- the organisation: a person's page, a deputy's fields, extra roles ----------
    Rule("org.person", "GET", R3,
         expect(R3, admin="200 200 404", assessor="200 200 404", head="200 404 404",
                deputy="200 404 404", staff="200 404 404"),
         lambda w, r, x: f"/people/{target_user(w, r, x).id}"),
    Rule("org.fields", "POST", R3,
         expect(R3, admin="302* 302* 404", assessor="403 403 404", head="302* 404 404",
                deputy="403 404 404", staff="403 404 404"),
         lambda w, r, x: f"/people/{target_deputy(w, r, x).id}/fields",
         data=lambda w, r, x: {"field_ids": []}),
    Rule("org.roles", "POST", R3,
         expect(R3, admin="403 302* 404", assessor="403 403 403", head="403 403 403",
                deputy="403 403 403", staff="403 403 403"),
         lambda w, r, x: f"/people/{target_user(w, r, x).id}/roles",
         data=lambda w, r, x: {"extra_roles": ["assessor"]}),
    Rule("org.audit", "GET", NONE, expect(NONE, admin="200", assessor="200", head="403",
                                         deputy="403", staff="403"),
         lambda w, r, x: "/audit?type=task&from=01/01/2026&to=31/12/2026"),
    Rule("org.audit_xlsx", "GET", NONE, expect(NONE, admin="200", assessor="200", head="403",
                                              deputy="403", staff="403"),
         lambda w, r, x: "/audit.xlsx?type=task"),
    # ---- assessment (a run exists only on a fresh world: "200*" = prepared, then put back) ----
    Rule("assessment.index", "GET", NONE, expect(NONE, admin="200", assessor="200", head="200",
                                                  deputy="200"), lambda w, r, x: "/assessment"),
    Rule("assessment.print_view", "GET", NONE,
         expect(NONE, admin="200", assessor="200", head="200", deputy="200"),
         lambda w, r, x: "/assessment/print?period=2026"),
    Rule("assessment.report_docx", "GET", NONE,
         expect(NONE, admin="200", assessor="200", head="200", deputy="200"),
         lambda w, r, x: "/assessment/report.docx?period=2026-Q2&due_only=1"),
    Rule("assessment.export_xlsx", "GET", NONE,
         expect(NONE, admin="200", assessor="200", head="200", deputy="200"),
         lambda w, r, x: "/assessment/export.xlsx?period=2026-Q2"),
    Rule("assessment.export_csv", "GET", NONE,
         expect(NONE, admin="200", assessor="200", head="200", deputy="200"),
         lambda w, r, x: "/assessment/export/tasks.csv?period=2026-Q2"),
    Rule("assessment.unit", "GET", R3,
         expect(R3, admin="200 200 404", assessor="200 200 404", head="200 404 404",
                deputy="200 404 404"),
         lambda w, r, x: f"/assessment/unit/{target_unit(w, r, x).id}?period=2026-Q2"),
    Rule("assessment.leader", "GET", R4,
         expect(R4, admin="200 200 200 404", assessor="200 200 200 404",
                head="200 200 404 404", deputy="200 404 404 404"),
         lambda w, r, x: f"/assessment/leader/{target_leader(w, r, x).id}?period=2026-Q2"),
    Rule("assessment.freeze", "POST", NONE, expect(NONE, assessor="302*"),
         lambda w, r, x: "/assessment/freeze",
         data=lambda w, r, x: {"period": "2026-Q2", "as_of": "15/06/2026", "unit": ""}),
    Rule("assessment.runs", "GET", NONE,
         expect(NONE, admin="200", assessor="200", head="200", deputy="200"),
         lambda w, r, x: "/assessment/runs"),
    Rule("assessment.run", "GET", R3,
         expect(R3, admin="200* 200* 404", assessor="200* 200* 404", head="200* 404* 404",
                deputy="200* 404* 404"),
         lambda w, r, x: f"/assessment/runs/{run_for(x)}", prepare=freeze_runs),
    Rule("assessment.run_print", "GET", R3,
         expect(R3, admin="200* 200* 404", assessor="200* 200* 404", head="200* 404* 404",
                deputy="200* 404* 404"),
         lambda w, r, x: f"/assessment/runs/{run_for(x)}/print", prepare=freeze_runs),
    Rule("assessment.run_report_docx", "GET", R3,
         expect(R3, admin="200* 200* 404", assessor="200* 200* 404", head="200* 404* 404",
                deputy="200* 404* 404"),
         lambda w, r, x: f"/assessment/runs/{run_for(x)}/report.docx", prepare=freeze_runs),
    Rule("assessment.run_export_xlsx", "GET", R3,
         expect(R3, admin="200* 200* 404", assessor="200* 200* 404", head="200* 404* 404",
                deputy="200* 404* 404"),
         lambda w, r, x: f"/assessment/runs/{run_for(x)}/export.xlsx", prepare=freeze_runs),
    Rule("assessment.run_export_csv", "GET", R3,
         expect(R3, admin="200* 200* 404", assessor="200* 200* 404", head="200* 404* 404",
                deputy="200* 404* 404"),
         lambda w, r, x: f"/assessment/runs/{run_for(x)}/export/units.csv", prepare=freeze_runs),
    # The competent authority's final grade: the assessor's alone (admins only read).
    Rule("assessment.final_grade", "GET", R3,
         expect(R3, admin="403 403 403", assessor="200* 200* 404*", head="403 403 403",
                deputy="403 403 403", staff="403 403 403"),
         lambda w, r, x: f"/assessment/runs/{run_for(x)}/final/unit/{final_row_for(x)}",
         prepare=freeze_runs),
    Rule("assessment.final_grade", "POST", R3,
         expect(R3, admin="403 403 403", assessor="302* 302* 404*", head="403 403 403",
                deputy="403 403 403", staff="403 403 403"),
         lambda w, r, x: f"/assessment/runs/{run_for(x)}/final/unit/{final_row_for(x)}",
         prepare=freeze_runs,
         data=lambda w, r, x: {"grade": "good", "decision_no": "125/QĐ-UBND",
                               "decision_on": "12/06/2026", "reason": "Theo kết luận của Hội đồng"}),
    Rule("assessment.run_unit", "GET", R3,
         expect(R3, admin="200* 200* 404*", assessor="200* 200* 404*", head="200* 404* 404*",
                deputy="200* 404* 404*"),
         lambda w, r, x: f"/assessment/runs/{run_for('own')}/unit/{target_unit(w, r, x).id}",
         prepare=freeze_runs),
    Rule("assessment.run_leader", "GET", R4,
         expect(R4, admin="200* 200* 200* 404*", assessor="200* 200* 200* 404*",
                head="200* 200* 404* 404*", deputy="200* 404* 404* 404*"),
         lambda w, r, x: f"/assessment/runs/{run_for('own')}/leader/{target_leader(w, r, x).id}",
         prepare=freeze_runs),
    # Quality of operation (issue 13): tests/quality/world.py builds the set and its stages.
    Rule("quality.index", "GET", NONE, expect(NONE, others="200"), lambda w, r, x: "/quality/"),
    Rule("quality.new_set", "GET", NONE, expect(NONE, admin="200", assessor="200"),
         lambda w, r, x: "/quality/new"),
    Rule("quality.new_set", "POST", NONE, expect(NONE, admin="302*", assessor="302*"),
         lambda w, r, x: "/quality/new", data=lambda w, r, x: dict(qw.SET_FORM)),
    Rule("quality.view_set", "GET", Q2, expect(Q2, others="200* 404"),
         lambda w, r, x: f"/quality/{qw.set_id(w, x)}", prepare=lambda w, r, x: qw.published(w)),
    Rule("quality.add_criterion", "POST", Q2,
         expect(Q2, admin="302* 404", assessor="302* 404"),
         lambda w, r, x: f"/quality/{qw.set_id(w, x)}/criteria",
         data=lambda w, r, x: dict(qw.CRITERION_FORM), prepare=lambda w, r, x: qw.draft(w)),
    Rule("quality.delete_criterion", "POST", Q2,
         expect(Q2, admin="302* 404", assessor="302* 404"),
         lambda w, r, x: f"/quality/{qw.set_id(w, x)}/criteria/{qw.criterion_id(w)}/delete",
         prepare=lambda w, r, x: qw.draft(w)),
    Rule("quality.copy_set", "POST", Q2, expect(Q2, admin="302* 404", assessor="302* 404"),
         lambda w, r, x: f"/quality/{qw.set_id(w, x)}/copy", data=lambda w, r, x: {"year": "2027"},
         prepare=lambda w, r, x: qw.published(w)),
    Rule("quality.publish_set", "POST", Q2, expect(Q2, admin="302* 404", assessor="302* 404"),
         lambda w, r, x: f"/quality/{qw.set_id(w, x)}/publish", prepare=lambda w, r, x: qw.draft(w)),
    Rule("quality.publish_results", "POST", Q2, expect(Q2, assessor="302* 404"),
         lambda w, r, x: f"/quality/{qw.set_id(w, x)}/results",
         data=lambda w, r, x: dict(qw.RESULTS_FORM), prepare=lambda w, r, x: qw.appraised(w)),
    Rule("quality.ranking", "GET", Q2,
         expect(Q2, admin="200* 404", assessor="200* 404", others="404* 404"),
         lambda w, r, x: f"/quality/{qw.set_id(w, x)}/ranking", prepare=lambda w, r, x: qw.published(w)),
    Rule("quality.ranking_print", "GET", Q2,
         expect(Q2, admin="200* 404", assessor="200* 404", others="404* 404"),
         lambda w, r, x: f"/quality/{qw.set_id(w, x)}/ranking/print",
         prepare=lambda w, r, x: qw.published(w)),
    Rule("quality.ranking_xlsx", "GET", Q2,
         expect(Q2, admin="200* 404", assessor="200* 404", others="404* 404"),
         lambda w, r, x: f"/quality/{qw.set_id(w, x)}/ranking.xlsx",
         prepare=lambda w, r, x: qw.published(w)),
    Rule("quality.sheet", "GET", R3,
         expect(R3, admin="200* 200* 404", assessor="200* 200* 404", others="200* 404* 404"),
         lambda w, r, x: f"/quality/sheets/{qw.sheet_id(w, x)}", prepare=lambda w, r, x: qw.published(w)),
    Rule("quality.sheet_print", "GET", R3,
         expect(R3, admin="200* 200* 404", assessor="200* 200* 404", others="200* 404* 404"),
         lambda w, r, x: f"/quality/sheets/{qw.sheet_id(w, x)}/print",
         prepare=lambda w, r, x: qw.published(w)),
    Rule("quality.sheet_xlsx", "GET", R3,
         expect(R3, admin="200* 200* 404", assessor="200* 200* 404", others="200* 404* 404"),
         lambda w, r, x: f"/quality/sheets/{qw.sheet_id(w, x)}.xlsx",
         prepare=lambda w, r, x: qw.published(w)),
    # Where an automatic figure came from: seen by exactly those who see the sheet.
    Rule("quality.sources", "GET", R3,
         expect(R3, admin="200* 200* 404", assessor="200* 200* 404", others="200* 404* 404"),
         lambda w, r, x: f"/quality/sheets/{qw.sheet_id(w, x)}/criteria/{qw.criterion_id(w, '2.1')}/sources",
         prepare=lambda w, r, x: qw.published(w)),
    Rule("quality.evidence", "GET", R3,
         expect(R3, admin="200* 200* 404", assessor="200* 200* 404", others="200* 404* 404"),
         lambda w, r, x: f"/quality/sheets/{qw.sheet_id(w, x)}/evidence/{qw.evidence_id(w, x)}",
         prepare=lambda w, r, x: qw.scored(w)),
    # The unit's head alone scores and submits her unit's sheet; the sheet is out of sight
    # (404) for other units, and the assessor and admin, who read it, may not write it.
    Rule("quality.self_score", "POST", R3,
         expect(R3, admin="403* 403* 404", assessor="403* 403* 404", head="302* 404* 404",
                others="403* 404* 404"),
         lambda w, r, x: f"/quality/sheets/{qw.sheet_id(w, x)}/criteria/{qw.criterion_id(w)}/self",
         data=lambda w, r, x: qw.self_data(w), prepare=lambda w, r, x: qw.published(w)),
    Rule("quality.submit", "POST", R3,
         expect(R3, admin="403* 403* 404", assessor="403* 403* 404", head="302* 404* 404",
                others="403* 404* 404"),
         lambda w, r, x: f"/quality/sheets/{qw.sheet_id(w, x)}/submit",
         prepare=lambda w, r, x: qw.scored(w)),
    # Appraisal is the assessor's alone: everyone else is refused before the sheet is looked up.
    Rule("quality.appraise", "POST", R3, expect(R3, assessor="302* 302* 404"),
         lambda w, r, x: f"/quality/sheets/{qw.sheet_id(w, x)}/criteria/{qw.criterion_id(w)}/appraise",
         data=lambda w, r, x: qw.appraisal_data(w), prepare=lambda w, r, x: qw.submitted(w)),
    Rule("quality.finalize", "POST", R3, expect(R3, assessor="302* 302* 404"),
         lambda w, r, x: f"/quality/sheets/{qw.sheet_id(w, x)}/finalize",
         prepare=lambda w, r, x: qw.submitted(w)),
    Rule("quality.send_back", "POST", R3, expect(R3, assessor="302* 302* 404"),
         lambda w, r, x: f"/quality/sheets/{qw.sheet_id(w, x)}/return",
         data=lambda w, r, x: {"reason": "Bổ sung tài liệu kiểm chứng"},
         prepare=lambda w, r, x: qw.submitted(w)),
    # The set's Excel file: read by whoever reads the set; imported (preview, then confirm
    # of the actor's own preview) by admin and assessor into a draft.
    Rule("quality.criteria_xlsx", "GET", Q2, expect(Q2, others="200* 404"),
         lambda w, r, x: f"/quality/{qw.set_id(w, x)}/criteria.xlsx",
         prepare=lambda w, r, x: qw.published(w)),
    Rule("quality.import_preview", "POST", Q2, expect(Q2, admin="200* 404", assessor="200* 404"),
         lambda w, r, x: f"/quality/{qw.set_id(w, x)}/import",
         data=lambda w, r, x: {"file": (io.BytesIO(qw.set_file()), "bo-chi-so.xlsx")},
         prepare=lambda w, r, x: qw.draft(w)),
    Rule("quality.import_confirm", "POST", Q2, expect(Q2, admin="404 404", assessor="302* 404"),
         lambda w, r, x: f"/quality/{qw.set_id(w, x)}/import/confirm",
         data=lambda w, r, x: {"token": getattr(w, "q_token", "0" * 32)},
         prepare=lambda w, r, x: qw.staged_import(w)),
    # The window is the assessor's; drafts are the unit's staff and deputies' (the head
    # scores instead); the explanation is asked by the assessor, answered by the head.
    Rule("quality.set_window", "POST", Q2, expect(Q2, assessor="302* 404"),
         lambda w, r, x: f"/quality/{qw.set_id(w, x)}/window",
         data=lambda w, r, x: dict(qw.WINDOW_FORM), prepare=lambda w, r, x: qw.published(w)),
    Rule("quality.draft_score", "POST", R3,
         expect(R3, admin="403* 403* 404", assessor="403* 403* 404", head="403* 404* 404",
                others="302* 404* 404"),
         lambda w, r, x: f"/quality/sheets/{qw.sheet_id(w, x)}/criteria/{qw.criterion_id(w)}/draft",
         data=lambda w, r, x: qw.draft_data(w), prepare=lambda w, r, x: qw.published(w)),
    Rule("quality.ask_explanation", "POST", R3, expect(R3, assessor="302* 302* 404"),
         lambda w, r, x: f"/quality/sheets/{qw.sheet_id(w, x)}/explanations",
         data=lambda w, r, x: dict(qw.ASK_FORM), prepare=lambda w, r, x: qw.submitted(w)),
    Rule("quality.answer_explanation", "POST", R3,
         expect(R3, admin="403* 403* 404", assessor="403* 403* 404", head="302* 404* 404",
                others="403* 404* 404"),
         lambda w, r, x: f"/quality/sheets/{qw.sheet_id(w, x)}/explanations/{qw.explanation_id(w)}/answer",
         data=lambda w, r, x: qw.answer_data(w), prepare=lambda w, r, x: qw.asked(w)),
]

# ---- API tokens, calendar addresses (issue 15) -----------------------------------------

def token_of(w, role, rel):
    """The id of a token of the actor (own) or of staff_b (other), made when missing."""
    from app.models import ApiToken, User
    from app.tokens import service as tokens

    if rel == "missing":
        return MISSING
    owner = actor(w, role) if rel == "own" else w.staff_b
    found = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == owner.id,
                                                        ApiToken.revoked_at.is_(None)))
    if found:
        return found
    new = tokens.create_token(None, db.session.get(User, owner.id), "Ma trận", False, None,
                              local_today())
    db.session.commit()
    return new.token.id


def make_feed(w, role, rel):
    from app.calendar import service as calendar
    from app.models import User

    w.feed_secret = calendar.new_feed(db.session.get(User, actor(w, role).id))
    db.session.commit()


def make_tokens(w, role, rel):
    token_of(w, role, rel)


RULES += [
    Rule("tokens.index", "GET", NONE, expect(NONE, others="200"), lambda w, r, x: "/tokens"),
    Rule("tokens.create", "POST", NONE, expect(NONE, others="201*"), lambda w, r, x: "/tokens",
         data=lambda w, r, x: {"name": "LGSP Đắk Lắk", "read_only": "y"}),
    Rule("tokens.revoke", "POST", R3,
         expect(R3, admin="302* 302* 404", others="302* 404* 404"),
         lambda w, r, x: f"/tokens/{token_of(w, r, x) if r != 'anonymous' else MISSING}/revoke",
         prepare=make_tokens),
    Rule("calendar.index", "GET", NONE, expect(NONE, others="200"), lambda w, r, x: "/calendar"),
    Rule("calendar.create", "POST", NONE, expect(NONE, others="201*"),
         lambda w, r, x: "/calendar"),
    Rule("calendar.revoke", "POST", NONE, expect(NONE, others="302"),
         lambda w, r, x: "/calendar/revoke"),
    # The feed is opened by a phone, without a session: the secret is the key (own: the
    # actor's live address, staff_a's for the anonymous visitor).
    Rule("calendar.feed", "GET", R3, expect(R3, anonymous="200* 404 404", others="200* 404 404"),
         lambda w, r, x: {"own": f"/calendar/{getattr(w, 'feed_secret', 'x')}.ics",
                          "other": "/calendar/not-a-live-secret.ics"}.get(
                              x, "/calendar/" + "0" * 43 + ".ics"),
         prepare=make_feed),
]


# ---- the JSON API (issue 15): the same cases with a token of the role's user ------------
# A write through the API is allowed exactly where the page's form is (the same use case):
# each API rule takes the page rule's statuses, with 401 for no token (instead of the
# login page) and its own success code. Sent with a token (Rule.extra["api"]); the session
# cookie alone is refused everywhere (tests/api/test_reads.py).

def _api_statuses(spec: tuple, ok: str) -> str:
    out = []
    for s in spec:
        out.append({"L": "401", "302*": ok + "*", "302": ok}.get(s, s))
    return " ".join(out)


def api_rule(page: tuple, endpoint: str, method: str, url, data=None, ok: str = "200",
             prepare=None) -> Rule:
    base = next(r for r in RULES if (r.endpoint, r.method) == page)
    return Rule(endpoint, method, base.relations,
                {role: tuple(_api_statuses(spec, ok).split()) for role, spec in base.expect.items()},
                url, data=data, prepare=prepare or base.prepare, extra={"api": True})


def _version(task_id):
    return db.session.scalar(select(Task.version).where(Task.id == task_id)) or 1


def _api_read(endpoint, path):
    return Rule(endpoint, "GET", NONE, expect(NONE, anonymous="401", others="200"),
                lambda w, r, x: path, extra={"api": True})


RULES += [
    _api_read("api.me", "/api/v1/me"),
    _api_read("api.units", "/api/v1/units"),
    _api_read("api.users", "/api/v1/users"),
    _api_read("api.plan_list", "/api/v1/plans"),
    _api_read("api.task_list", "/api/v1/tasks"),
    _api_read("api.overdue", "/api/v1/overdue"),
    _api_read("api.notification_list", "/api/v1/notifications"),
    api_rule(("assessment.index", "GET"), "api.assessment", "GET",
             lambda w, r, x: "/api/v1/assessment?period=2026-Q2"),
    api_rule(("assessment.unit", "GET"), "api.assessment_unit", "GET",
             lambda w, r, x: f"/api/v1/assessment/units/{target_unit(w, r, x).id}?period=2026-Q2"),
    api_rule(("assessment.leader", "GET"), "api.assessment_leader", "GET",
             lambda w, r, x: f"/api/v1/assessment/leaders/{target_leader(w, r, x).id}"
                             "?period=2026-Q2"),
    api_rule(("assessment.runs", "GET"), "api.assessment_runs", "GET",
             lambda w, r, x: "/api/v1/assessment/runs"),
    api_rule(("assessment.run", "GET"), "api.assessment_run", "GET",
             lambda w, r, x: f"/api/v1/assessment/runs/{run_for(x)}"),
    api_rule(("assessment.run_unit", "GET"), "api.assessment_run_unit", "GET",
             lambda w, r, x: f"/api/v1/assessment/runs/{run_for('own')}/units/"
                             f"{target_unit(w, r, x).id}"),
    api_rule(("assessment.run_leader", "GET"), "api.assessment_run_leader", "GET",
             lambda w, r, x: f"/api/v1/assessment/runs/{run_for('own')}/leaders/"
                             f"{target_leader(w, r, x).id}"),
    Rule("api.notification_read", "POST", NONE, expect(NONE, anonymous="401", others="200*"),
         lambda w, r, x: "/api/v1/notifications/read", data=lambda w, r, x: {},
         extra={"api": True}),
    Rule("api.openapi_json", "GET", NONE, expect(NONE, anonymous="200", others="200"),
         lambda w, r, x: "/api/v1/openapi.json", extra={"api": True}),
    Rule("api.openapi_page", "GET", NONE, expect(NONE, anonymous="200", others="200"),
         lambda w, r, x: "/api/v1/docs", extra={"api": True}),
    api_rule(("plans.view", "GET"), "api.plan_view", "GET",
             lambda w, r, x: f"/api/v1/plans/{target_plan(w, r, x).id}"),
    api_rule(("tasks.view", "GET"), "api.task_view", "GET",
             lambda w, r, x: f"/api/v1/tasks/{target_task(w, r, x).id}"),
    api_rule(("tasks.edit", "POST"), "api.edit", "PATCH",
             lambda w, r, x: f"/api/v1/tasks/{target_task(w, r, x).id}",
             data=lambda w, r, x: {"version": _version(target_task(w, r, x).id),
                                   "title": "Xây dựng bộ chỉ số đánh giá (đã sửa)"}),
    api_rule(("tasks.progress", "POST"), "api.progress", "POST",
             lambda w, r, x: f"/api/v1/tasks/{target_task(w, r, x).id}/progress",
             data=lambda w, r, x: {"percent": 40, "note": "Đã dự thảo xong."}, ok="201"),
    api_rule(("tasks.step", "POST"), "api.step", "POST",
             lambda w, r, x: (f"/api/v1/tasks/{target_task(w, r, x).id}/steps/"
                              f"{first_step(target_task(w, r, x).id)}"),
             data=lambda w, r, x: {"done": True}),
    api_rule(("tasks.submit", "POST"), "api.submit", "POST",
             lambda w, r, x: f"/api/v1/tasks/{target_task(w, r, x).id}/submit",
             data=lambda w, r, x: {"note": "Đã hoàn thành, kèm báo cáo."}),
    api_rule(("tasks.review", "POST"), "api.confirm", "POST",
             lambda w, r, x: f"/api/v1/tasks/{target_task(w, r, x).id}/confirm",
             data=lambda w, r, x: {"comment": "Đạt yêu cầu."}),
    api_rule(("tasks.review", "POST"), "api.return_", "POST",
             lambda w, r, x: f"/api/v1/tasks/{target_task(w, r, x).id}/return",
             data=lambda w, r, x: {"comment": "Bổ sung số liệu."}),
    api_rule(("tasks.request_extension", "POST"), "api.request_extension", "POST",
             lambda w, r, x: f"/api/v1/tasks/{target_task(w, r, x).id}/extensions",
             data=lambda w, r, x: {"proposed_due_on": "2026-07-31",
                                   "reason": "Chờ ý kiến góp ý của các sở, ngành"}, ok="201"),
    api_rule(("tasks.decide_extension", "POST"), "api.decide_extension", "POST",
             lambda w, r, x: (f"/api/v1/tasks/{target_task(w, r, x).id}/extensions/"
                              f"{pending_extension(target_task(w, r, x).id)}/decision"),
             data=lambda w, r, x: {"approve": True, "comment": "Đồng ý gia hạn."}),
] + [
    # Addresses under /api/v1 that are no operation: a problem document, after the token.
    Rule("api.unknown", m, NONE, expect(NONE, anonymous="401", others="404"),
         lambda w, r, x: "/api/v1/khong-co", extra={"api": True})
    for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
]


def api_secret(w, role) -> str:
    """A new token of the role's user (committed), marked as just used so that this case's
    requests do not stamp it again (the matrix compares every table before and after)."""
    from app.models import ApiToken, User
    from app.models.base import utcnow
    from app.tokens import service as tokens

    new = tokens.create_token(None, db.session.get(User, actor(w, role).id),
                              f"Ma trận {next(_SECRETS)}", False, None, local_today())
    db.session.get(ApiToken, new.token.id).last_used_at = utcnow()
    db.session.commit()
    return new.secret


_SECRETS = iter(range(1, 10**9))

TABLE = {(r.endpoint, r.method): r for r in RULES}
CASES = [(rule, role, rel, rule.expect[role][i])
         for rule in RULES for role in ROLES for i, rel in enumerate(rule.relations)]


def _case_id(case) -> str:
    rule, role, rel, exp = case
    return f"{rule.endpoint}-{rule.method}-{role}-{rel}-{exp}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_matrix(case, shared):
    rule, role, rel, exp = case
    w = shared.w
    fresh = exp.endswith("*")
    before, ok = None, False
    try:
        if fresh:
            # a success changes data: a client of its own, and every row put back afterwards
            client = shared.client(None if role == "anonymous" else role)
            if rule.prepare:
                rule.prepare(w, role, rel)
            before = None
        else:
            client = shared.cached(role)
            # the previous case's "after", when nothing has been put back or written since
            # (rows, write counter: tests/support/snapshot.current)
            before = current(getattr(shared, "last_snapshot", None))
        url = rule.url(w, role, rel)
        if rule.extra.get("api"):
            headers = {}
            if role != "anonymous":
                headers["Authorization"] = f"Bearer {api_secret(w, role)}"
                if before is not None:
                    before = shared.last_snapshot = current(None)  # with the new token
            resp = client.open(url, method=rule.method, headers=headers,
                               json=rule.data(w, role, rel) if rule.data else None)
        elif rule.method == "GET":
            resp = client.get(url)
        else:
            resp = client.post(url, data=rule.data(w, role, rel) if rule.data else {})
        data = resp.get_data()
        resp.close()
        status = exp.rstrip("*")
        body = (data.decode("utf-8", "replace")[:1500]
                if resp.mimetype in ("text/html", "application/problem+json") else "")
        where = f"{rule.method} {url} as {role} ({rel})"
        if status == "L":
            assert resp.status_code == 302, (where, resp.status_code, body)
            assert urlsplit(resp.headers["Location"]).path == "/login", (where, resp.headers["Location"])
        else:
            assert resp.status_code == int(status), (where, resp.status_code, body)
            if status == "302" and role != "anonymous" and rule.endpoint != "auth.logout":
                # a success is not a bounce to the login page
                assert urlsplit(resp.headers["Location"]).path != "/login", where
        if before is not None:
            # a refusal may leave its one 'access.denied' audit row, nothing else
            # read again only if the request wrote a row (its write counter moved)
            after = shared.last_snapshot = current(before)
            changed = changes_besides_refusal_log(
                before[0], after[0], None if role == "anonymous" else actor(w, role).id,
                resp.status_code)
            assert not changed, (where, "changed data although it should not", changed)
        ok = True
    finally:
        if fresh or not ok:
            shared.last_snapshot = None
        if fresh:
            shared.restore()


def test_every_url_rule_is_in_the_matrix(app):
    """A new route fails here until the matrix says who may use it."""
    seen = set()
    for r in app.url_map.iter_rules():
        if r.endpoint == "static":
            continue
        for method in sorted(r.methods - {"HEAD", "OPTIONS"}):
            seen.add((r.endpoint, method))
    missing = sorted(seen - set(TABLE))
    assert not missing, f"url_map rules missing from the permission matrix: {missing}"
    stale = sorted(set(TABLE) - seen)
    assert not stale, f"matrix rows for rules that no longer exist: {stale}"
    for key, rule in TABLE.items():
        assert set(rule.expect) == set(ROLES), key
    assert len(CASES) == sum(len(r.relations) * len(ROLES) for r in RULES)
    print(f"\nauthorization matrix: {len(CASES)} cases over {len(TABLE)} (endpoint, method) "
          f"pairs and {len(ROLES)} roles")
