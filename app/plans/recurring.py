"""Recurring rules of a plan (nhiệm vụ định kỳ, DESIGN.md 9; docs/recurring.md): add, edit,
retire, and the occurrences they make, set-based.

A rule holds a schedule (app/domain/recurrence.py) and the six clears every occurrence takes.
Occurrences are tasks (each scored on its own) naming their rule and period; a draft plan has
none: they are made when the plan is issued (`generate_for_plan`, from plans.service.issue),
or, when a rule is added to an issued plan, for the periods not yet due.

Integrity (DESIGN.md 4, docs/integrity.md): after issue a rule is edited or retired by the
head of the plan's unit, with a reason, like an amendment of a task. The edit reaches only
the occurrences that are free (`domain.recurrence.is_free`: not started, not submitted, due
after today); one that is due or overdue, started, finished or excluded stays exactly as it
is, so nobody can use the rule to move or cancel a deadline already missed. A free
occurrence whose new date would already be past keeps its date too. Date moves of a free
occurrence are amendments (counted beside every score, with the reason).
"""

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import selectinload

from app.common import access, audit
from app.common.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    RuleViolation,
    RuleViolations,
)
from app.deadlines import sweep as overdue
from app.domain import recurrence as rec
from app.domain import task_rules as rules
from app.domain.six_clears import Step, check_six_clears
from app.domain.status import Lifecycle
from app.domain.task_rules import RuleSettings
from app.domain.text import fold, normalize_space
from app.domain.workdays import vietnam_holidays
from app.extensions import db
from app.models import (
    Amendment,
    AuditLog,
    Plan,
    PlanStatus,
    ProcessStep,
    RecurringRule,
    Task,
    User,
)
from app.models.base import utcnow
from app.models.task import title_sort_key
from app.tasks.commands import (
    actor_facts,
    load_directory,
    plan_facts,
    require_plan_open,
)
from app.tasks.messages import message
from app.tasks.queries import get_plan

DECREE = "decree"
CUSTOM = "custom"


@dataclass
class RuleInput:
    """A rule as plain values, from the form or an import row."""

    title: str
    frequency: str = rec.Frequency.MONTHLY
    cutoff_kind: str = DECREE
    cutoff_day: int | None = None
    due_kind: str = rec.DueKind.DAY
    due_day: int | None = None
    due_next_month: bool = False
    working_days: int | None = None
    description: str = ""
    assignee_id: int | None = None
    lead_unit_id: int | None = None
    leader_id: int | None = None
    responsibility: str = ""
    steps_text: str = ""
    output_product: str = ""
    weight: Decimal = Decimal(1)

    @property
    def steps(self) -> list[str]:
        return [s.strip() for s in (self.steps_text or "").splitlines() if s.strip()]

    def schedule(self) -> rec.Schedule:
        return rec.Schedule(
            frequency=self.frequency, due_kind=self.due_kind,
            due_day=self.due_day if self.due_kind == rec.DueKind.DAY else None,
            due_next_month=bool(self.due_next_month) if self.due_kind == rec.DueKind.DAY else False,
            working_days=self.working_days if self.due_kind == rec.DueKind.WORKING_DAYS else None,
            cutoff_day=self.cutoff_day if self.cutoff_kind == CUSTOM else None)


def input_of(rule: RecurringRule) -> RuleInput:
    """A stored rule as the form's values."""
    return RuleInput(
        title=rule.title, frequency=rule.frequency,
        cutoff_kind=CUSTOM if rule.cutoff_day is not None else DECREE, cutoff_day=rule.cutoff_day,
        due_kind=rule.due_kind, due_day=rule.due_day, due_next_month=rule.due_next_month,
        working_days=rule.working_days, description=rule.description or "",
        assignee_id=rule.assignee_id, lead_unit_id=rule.lead_unit_id, leader_id=rule.leader_id,
        responsibility=rule.responsibility or "", steps_text=rule.steps_text or "",
        output_product=rule.output_product or "", weight=rule.weight)


def schedule_of(rule: RecurringRule) -> rec.Schedule:
    return rec.Schedule(frequency=rule.frequency, due_kind=rule.due_kind, due_day=rule.due_day,
                        due_next_month=rule.due_next_month, working_days=rule.working_days,
                        cutoff_day=rule.cutoff_day)


# --- words ---------------------------------------------------------------------------------

def period_label(code: str | None, year: int) -> str:
    """The period in the reader's language: "Tháng 3/2026", "Quý II/2026", "6 tháng đầu năm
    2026", "9 tháng năm 2026", "Năm 2026"."""
    if not code:
        return ""
    kind, n = rec.period_parts(code)
    if kind == "month":
        return _("Month %(month)s/%(year)s", month=n, year=year)
    if kind == "quarter":
        return _("Quarter %(quarter)s/%(year)s", quarter=rec.roman(n), year=year)
    if kind == "half":
        return (_("First six months of %(year)s", year=year) if n == 1
                else _("Last six months of %(year)s", year=year))
    if kind == "nine":
        return _("Nine months of %(year)s", year=year)
    return _("Year %(year)s", year=year)


FREQUENCY_LABELS = {
    rec.Frequency.MONTHLY: _l("Monthly"),
    rec.Frequency.QUARTERLY: _l("Quarterly"),
    rec.Frequency.HALF_YEARLY: _l("Every six months"),
    rec.Frequency.NINE_MONTHS: _l("Nine months"),
    rec.Frequency.YEARLY: _l("Yearly"),
}


def schedule_text(rule: RecurringRule) -> str:
    """The rule's schedule in a line: "Hằng tháng; chốt số liệu ngày 14; hạn: ngày 20"."""
    cut = (_("cut-off: the 14th (Decree 09/2019)") if rule.cutoff_day is None
           else _("cut-off: day %(day)s", day=rule.cutoff_day))
    if rule.due_kind == rec.DueKind.WORKING_DAYS:
        due = _("due %(n)s working days after the cut-off", n=rule.working_days)
    elif rule.due_next_month:
        due = _("due on day %(day)s of the next month", day=rule.due_day)
    else:
        due = _("due on day %(day)s", day=rule.due_day)
    return f"{FREQUENCY_LABELS[rec.Frequency(rule.frequency)]}; {cut}; {due}"


_SCHEDULE_MESSAGES = {
    "frequency_unknown": lambda p: _l("Choose how often the task recurs."),
    "due_kind_unknown": lambda p: _l("Choose how the due date is set."),
    "cutoff_day_range": lambda p: _l("The cut-off day must be between 1 and 31."),
    "due_day_range": lambda p: _l("The due day must be between 1 and 31."),
    "working_days_range": lambda p: _l("The number of working days must be between 1 and "
                                       "%(max)s.", max=p["max"]),
    "due_before_cutoff": lambda p: _l(
        "The due date (%(due)s) would precede the cut-off (%(cutoff)s).",
        due=p["due"].strftime("%d/%m/%Y"), cutoff=p["cutoff"].strftime("%d/%m/%Y")),
    "outside_year": lambda p: _l(
        "An occurrence would fall due on %(due)s, outside the plan's year (%(year)s).",
        due=p["due"].strftime("%d/%m/%Y"), year=p["year"]),
}

# Where a task rule's field is shown on the rule form.
_FIELDS = {"due_on": "due_day", "start_on": "frequency", "steps": "steps_text",
           "indicator_target": "output_product", "coordinator_ids": "lead_unit_id"}


# --- reading -------------------------------------------------------------------------------

def rules_of(plan: Plan) -> list[RecurringRule]:
    """The plan's rules in force, with what the page shows."""
    return db.session.scalars(
        select(RecurringRule).where(RecurringRule.plan_id == plan.id, RecurringRule.is_active)
        .options(selectinload(RecurringRule.assignee), selectinload(RecurringRule.leader),
                 selectinload(RecurringRule.lead_unit))
        .order_by(RecurringRule.position, RecurringRule.id)).all()


def clear_of(plan: Plan, rules_: list[RecurringRule]) -> dict[int, bool]:
    """Whether each rule is clear on all six (an imported one may not be, on a draft)."""
    return _clear(plan, [_row(r) for r in rules_]) if rules_ else {}


def occurrence_counts(rule_ids: list[int]) -> dict[int, int]:
    """Occurrences not cancelled, per rule, in one GROUP BY."""
    if not rule_ids:
        return {}
    return dict(db.session.execute(
        select(Task.recurring_rule_id, func.count(Task.id))
        .where(Task.recurring_rule_id.in_(rule_ids), Task.status != Lifecycle.CANCELLED)
        .group_by(Task.recurring_rule_id)).all())


def get_rule(actor: User, plan_id: int, rule_id: int) -> tuple[Plan, RecurringRule]:
    """The plan (in the actor's scope, else 404) and its rule in force (else 404)."""
    plan = get_plan(actor, plan_id)
    rule = db.session.scalar(select(RecurringRule).where(
        RecurringRule.id == rule_id, RecurringRule.plan_id == plan.id, RecurringRule.is_active))
    if rule is None:
        raise NotFound()
    return plan, rule


# --- the checks ----------------------------------------------------------------------------

def _values(data: RuleInput, occ: rec.Occurrence | None) -> rules.TaskValues:
    return rules.TaskValues(
        title=normalize_space(data.title), description=data.description.strip(),
        assignee_id=data.assignee_id, lead_unit_id=data.lead_unit_id, leader_id=data.leader_id,
        responsibility=data.responsibility.strip(),
        steps=tuple(Step(s, None) for s in data.steps),
        start_on=occ.start_on if occ else None, due_on=occ.due_on if occ else None,
        output_product=data.output_product.strip(), weight=data.weight)


def check_rule(actor: User | None, plan: Plan, data: RuleInput, settings: RuleSettings, *,
               draft_ok: bool = False) -> None:
    """Refuse `data` with every reason, each beside its field: the schedule (shape, due date
    before the cut-off, occurrences outside the plan's year) and the task rule set applied
    to an occurrence as if added to an issued plan (so every one of the six clears must hold).
    `draft_ok` (the import): on a draft plan a rule may lack a clear, as a task may; issuing
    the plan then refuses it until it is edited (`generate_for_plan`)."""
    found: list[RuleViolation] = []
    schedule = data.schedule()
    problems = rec.check(schedule, plan.year, vietnam_holidays(plan.year))
    for p in problems:
        found.append(RuleViolation(_SCHEDULE_MESSAGES[p.code](p.values), p.field))
    occ = None if problems else rec.occurrences(schedule, plan.year, vietnam_holidays(plan.year))[0]
    status = (PlanStatus.DRAFT if draft_ok and plan.status == PlanStatus.DRAFT
              else PlanStatus.ISSUED)
    facts = plan_facts(plan, status)
    values = _values(data, occ)
    directory = load_directory({values.lead_unit_id}, {values.assignee_id, values.leader_id})
    who = actor_facts(actor) if actor is not None else rules.ActorFacts(0, "system", None, "")
    for v in rules.check_task(plan=facts, actor=who, before=None, after=values,
                              directory=directory, today=plan.period_start, settings=settings):
        if occ is None and v.field in ("due_on", "start_on"):
            continue  # the schedule's own message says why there is no date
        found.append(RuleViolation(message(v), _FIELDS.get(v.field, v.field)))
    if found:
        raise RuleViolations(found)


def first_occurrence(data: RuleInput, year: int) -> rec.Occurrence:
    """The first occurrence of a rule that passed `check_rule` (the import shows its dates)."""
    return rec.occurrences(data.schedule(), year, vietnam_holidays(year))[0]


def _require_issued_editor(actor: User, plan: Plan, reason: str) -> None:
    """After issue a rule changes like an amendment: the head of the plan's unit, a reason."""
    if plan.status != PlanStatus.ISSUED:
        return
    if not rules.may_amend(plan_facts(plan), actor_facts(actor)):
        raise RuleViolation(_l("After issue, only the head of the plan's unit can change or "
                               "delete a recurring task."))
    if not reason.strip():
        raise RuleViolation(_l("Give the reason for the change."), "reason")


# --- the occurrences -----------------------------------------------------------------------

@dataclass(frozen=True)
class _Row:
    """What generating needs of a rule, read once."""

    id: int
    position: int
    schedule: rec.Schedule
    title: str
    description: str
    assignee_id: int | None
    lead_unit_id: int | None
    leader_id: int | None
    responsibility: str
    steps: tuple[str, ...]
    output_product: str
    weight: Decimal


def _row(rule: RecurringRule) -> _Row:
    return _Row(rule.id, rule.position, schedule_of(rule), rule.title, rule.description or "",
                rule.assignee_id, rule.lead_unit_id, rule.leader_id, rule.responsibility or "",
                tuple(rule.steps), rule.output_product or "", Decimal(rule.weight))


def stt_of(position: int, o: rec.Occurrence) -> tuple[str, str]:
    """(stt, order_key) of an occurrence: "ĐK2.3", after every numbered task of the plan,
    a rule's occurrences in the order of their due dates."""
    return f"ĐK{position}.{o.index}", f"z{position:04d}.{o.due_on:%Y%m%d}.{o.index:02d}"


def _clear(plan: Plan, rows: list[_Row]) -> dict[int, bool]:
    """Whether each rule's occurrences are clear on all six (the dates are the schedule's and
    within the year, so one judgement a rule holds for all its occurrences)."""
    directory = load_directory({r.lead_unit_id for r in rows},
                               {p for r in rows for p in (r.assignee_id, r.leader_id)})
    facts = plan_facts(plan)
    out = {}
    for r in rows:
        values = rules.TaskValues(
            title=r.title, description=r.description, assignee_id=r.assignee_id,
            lead_unit_id=r.lead_unit_id, leader_id=r.leader_id, responsibility=r.responsibility,
            steps=tuple(Step(s, None) for s in r.steps), start_on=plan.period_start,
            due_on=plan.period_end, output_product=r.output_product)
        out[r.id] = check_six_clears(rules.six_clears_facts(facts, values, directory)).ok
    return out


def added_below_head(plan: Plan, actor_id: int | None) -> bool:
    """task_rules.head_confirms_addition for tasks `actor_id` (None: the command line) is
    adding to `plan` now, by any path (an occurrence, an imported row)."""
    if plan.status != PlanStatus.ISSUED:
        return False
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    return rules.head_confirms_addition(plan_facts(plan),
                                        actor_facts(actor) if actor is not None else None)


def _insert_occurrences(plan: Plan, rows: list[_Row], actor_id: int | None,
                        wanted: dict[int, list[rec.Occurrence]], tell: bool = True) -> int:
    """Insert the `wanted` occurrences of each rule in a few statements (tasks with RETURNING,
    then their steps and their audit rows), whatever the number of rules. `tell=False`: the
    caller sends the series notice itself (an edit, with the occurrences it reassigned)."""
    clear = _clear(plan, rows)
    by_id = {r.id: r for r in rows}
    now = utcnow()
    head_confirms = added_below_head(plan, actor_id)
    # Occurrences made at issue are the plan's (generate_for_plan runs while it is a draft);
    # those made after (a rule added, imported or given new periods) are added work.
    added = rules.added_after_issue(plan_facts(plan))
    task_rows = []
    for rule_id, occs in wanted.items():
        r = by_id[rule_id]
        title = normalize_space(r.title)
        folded, sort = fold(title), title_sort_key(title)
        for o in occs:
            stt, key = stt_of(r.position, o)
            task_rows.append({
                "plan_id": plan.id, "owner_unit_id": plan.unit_id, "stt": stt, "order_key": key,
                "title": title, "title_folded": folded, "title_sort": sort,
                "description": r.description, "assignee_id": r.assignee_id,
                "lead_unit_id": r.lead_unit_id, "leader_id": r.leader_id,
                "responsibility": r.responsibility, "start_on": o.start_on, "due_on": o.due_on,
                "original_due_on": o.due_on, "output_product": r.output_product,
                "weight": r.weight, "status": Lifecycle.ASSIGNED, "is_clear": clear[r.id],
                "recurring_rule_id": r.id, "period_code": o.period, "created_by_id": actor_id,
                "created_at": now, "updated_at": now, "version": 1, "progress": 0,
                "extension_count": 0, "amendment_count": 0, "cancel_reason": "",
                "head_confirms": head_confirms, "added_after_issue": added,
                "indicator_name": "", "indicator_unit": ""})
    if not task_rows:
        return 0
    made = db.session.execute(
        insert(Task.__table__).returning(Task.__table__.c.id, Task.__table__.c.recurring_rule_id,
                                         Task.__table__.c.period_code, Task.__table__.c.due_on),
        task_rows).all()
    steps = [{"task_id": tid, "position": pos, "title": s, "is_done": False}
             for tid, rid, _code, _due in made
             for pos, s in enumerate(by_id[rid].steps, start=1)]
    if steps:
        db.session.execute(insert(ProcessStep.__table__), steps)
    db.session.execute(insert(AuditLog.__table__), [
        {"actor_id": actor_id, "action": "task.create", "object_type": "task", "object_id": tid,
         "task_id": tid, "at": now, "comment": "",
         "changes": json.dumps({"recurring_rule_id": [None, rid], "period": [None, code],
                                "due_on": [None, str(due)]})}
        for tid, rid, code, due in made])
    if plan.status == PlanStatus.ISSUED and tell:
        # Added to an issued plan (a new rule, a new period): the responsible person is told
        # once for the rule's new occurrences, as at issue (`tell_series`).
        by_rule = {r.id: r.assignee_id for r in rows}
        series: dict[int, list[tuple[date, int]]] = {}
        for tid, rid, _code, due in made:
            series.setdefault(rid, []).append((due, tid))
        for rid, occs in series.items():
            who = by_rule.get(rid)
            if who and who != actor_id:
                due, tid = min(occs)
                overdue.notify([who], SERIES_NOTICE, tid, f"assigned:series:{tid}", about_on=due,
                               days=len(occs))
    return len(made)


# The "assigned" notice of a recurring task: one for the series, not one per occurrence (a
# monthly rule would otherwise send twelve at once). It links the first occurrence, says its
# due date (`about_on`) and how many occurrences it covers (`days`); each occurrence is then
# reminded before its own due date by the sweep's due-soon reminders (docs/recurring.md).
SERIES_NOTICE = "assigned_recurring"


def tell_series(plan_id: int, actor_id: int | None) -> int:
    """At issue: one INSERT ... SELECT of the series notice for each rule's open occurrences
    and their responsible person (not the one who issues the plan); returns how many."""
    cond = [Task.plan_id == plan_id, Task.recurring_rule_id.is_not(None),
            Task.assignee_id.is_not(None),
            Task.status.not_in([Lifecycle.CANCELLED, Lifecycle.COMPLETED])]
    if actor_id is not None:
        cond.append(Task.assignee_id != actor_id)
    part = (Task.recurring_rule_id, Task.assignee_id)
    ranked = select(
        Task.id.label("task_id"), Task.assignee_id.label("user_id"), Task.due_on.label("due_on"),
        func.row_number().over(partition_by=part, order_by=(Task.due_on, Task.id)).label("rn"),
        func.count().over(partition_by=part).label("n")).where(*cond).subquery()
    pairs = select(ranked.c.task_id, ranked.c.user_id, ranked.c.due_on, ranked.c.n).where(
        ranked.c.rn == 1)
    return overdue._insert(
        SERIES_NOTICE, pairs,
        lambda p: overdue._key("assigned:series:", p.c.task_id, ":", p.c.user_id),
        lambda p: p.c.due_on, lambda p: p.c.n)


def generate(plan: Plan, rules_: list[RecurringRule], actor_id: int | None,
             since: date | None = None, tell: bool = True) -> int:
    """Make the occurrences of `rules_` in the plan's year (only those due on or after
    `since`, when given), skipping periods that already have an occurrence not cancelled.
    Returns how many tasks were made."""
    if not rules_:
        return 0
    rows = [_row(r) for r in rules_]
    have = set(db.session.execute(
        select(Task.recurring_rule_id, Task.period_code)
        .where(Task.plan_id == plan.id, Task.recurring_rule_id.in_([r.id for r in rows]),
               Task.status != Lifecycle.CANCELLED)).all())
    days = vietnam_holidays(plan.year)
    wanted = {r.id: [o for o in rec.occurrences(r.schedule, plan.year, days)
                     if (r.id, o.period) not in have and (since is None or o.due_on >= since)]
              for r in rows}
    return _insert_occurrences(plan, rows, actor_id, wanted, tell)


def generate_for_plan(plan: Plan, actor_id: int | None) -> int:
    """At issue: every occurrence of every rule in force, for the whole year (like the plan's
    other tasks, one already past due counts as overdue from now on). A rule that is no
    longer clear (a person disabled since) stops the issue, naming it."""
    rules_ = db.session.scalars(select(RecurringRule).where(
        RecurringRule.plan_id == plan.id, RecurringRule.is_active)
        .order_by(RecurringRule.position)).all()
    if not rules_:
        return 0
    clear = _clear(plan, [_row(r) for r in rules_])
    unclear = [r for r in rules_ if not clear[r.id]]
    if unclear:
        raise RuleViolation(_l("The recurring task “%(title)s” is not clear on all six: edit it "
                               "before issuing the plan.", title=unclear[0].title))
    return generate(plan, list(rules_), actor_id)


# --- the commands --------------------------------------------------------------------------

def _apply(rule: RecurringRule, data: RuleInput) -> None:
    s = data.schedule()
    rule.frequency = s.frequency
    rule.cutoff_day = s.cutoff_day
    rule.due_kind = s.due_kind
    rule.due_day = s.due_day
    rule.due_next_month = s.due_next_month
    rule.working_days = s.working_days
    rule.title = normalize_space(data.title)
    rule.description = data.description.strip()
    rule.assignee_id = data.assignee_id
    rule.lead_unit_id = data.lead_unit_id
    rule.leader_id = data.leader_id
    rule.responsibility = data.responsibility.strip()
    rule.steps_text = "\n".join(data.steps)
    rule.output_product = data.output_product.strip()
    rule.weight = data.weight if data.weight is not None else Decimal(1)


def snapshot(rule: RecurringRule) -> dict:
    return {k: getattr(rule, k) for k in (
        "frequency", "cutoff_day", "due_kind", "due_day", "due_next_month", "working_days",
        "title", "description", "assignee_id", "lead_unit_id", "leader_id", "responsibility",
        "steps_text", "output_product", "weight")}


def add_rule(actor: User, plan_id: int, data: RuleInput, *, today: date,
             settings: RuleSettings) -> tuple[RecurringRule, int]:
    """Add a rule to a plan (the plan's managers). On an issued plan its occurrences not yet
    due are made at once (added work cannot start life overdue); returns the rule and how
    many occurrences were made."""
    plan = get_plan(actor, plan_id)
    if not access.can_manage_plan(actor, plan):
        raise PermissionDenied()
    require_plan_open(plan)
    check_rule(actor, plan, data, settings)
    position = (db.session.scalar(select(func.max(RecurringRule.position))
                                  .where(RecurringRule.plan_id == plan.id)) or 0) + 1
    rule = RecurringRule(plan_id=plan.id, position=position, created_by_id=actor.id)
    _apply(rule, data)
    db.session.add(rule)
    db.session.flush()
    audit.record(actor.id, "recurring.create", "recurring_rule", rule.id,
                 audit.diff({}, snapshot(rule)))
    made = generate(plan, [rule], actor.id, since=today) if plan.status == PlanStatus.ISSUED else 0
    return rule, made


def import_rules(actor_id: int | None, plan: Plan, inputs: list[RuleInput], today: date,
                 filename: str = "") -> int:
    """The rules of an imported file (checked by the importer with `check_rule`), added like
    the form adds them; on an issued plan their occurrences not yet due are made. Returns how
    many occurrences were made."""
    if not inputs:
        return 0
    position = db.session.scalar(select(func.max(RecurringRule.position))
                                 .where(RecurringRule.plan_id == plan.id)) or 0
    made = []
    for data in inputs:
        position += 1
        rule = RecurringRule(plan_id=plan.id, position=position, created_by_id=actor_id)
        _apply(rule, data)
        db.session.add(rule)
        made.append(rule)
    db.session.flush()
    for rule in made:
        audit.record(actor_id, "recurring.create", "recurring_rule", rule.id,
                     audit.diff({}, snapshot(rule)), comment=filename)
    if plan.status == PlanStatus.ISSUED:
        return generate(plan, made, actor_id, since=today)
    return 0


@dataclass(frozen=True)
class EditResult:
    changed: int     # free occurrences brought in line with the rule
    cancelled: int   # free occurrences of periods the rule no longer has
    made: int        # occurrences of new periods
    kept: int        # occurrences left as they are (started, finished, due or overdue)


_AMENDED = ("assignee_id", "leader_id", "lead_unit_id", "weight", "due_on", "start_on")


def _occurrences(rule_id: int):
    """The rule's occurrences not cancelled (at most one a period: a dozen rows)."""
    return db.session.execute(
        select(Task.id, Task.period_code, Task.status, Task.progress, Task.submitted_on,
               Task.due_on, Task.start_on, Task.assignee_id, Task.leader_id, Task.lead_unit_id,
               Task.weight, Task.version)
        .where(Task.recurring_rule_id == rule_id, Task.status != Lifecycle.CANCELLED)).all()


def _free(rows, today: date):
    return [r for r in rows if rec.is_free(rec.OccurrenceState(
        str(r.status), r.progress or 0, r.submitted_on is not None, r.due_on), today)]


def _cancel(rows, actor_id: int, reason: str, today: date) -> int:
    """Cancel free occurrences in one UPDATE, each with its audit row (the reason)."""
    ids = [r.id for r in rows]
    if not ids:
        return 0
    t = Task.__table__
    db.session.execute(update(t).where(t.c.id.in_(ids)).values(
        status=Lifecycle.CANCELLED, cancel_reason=reason, excluded_on=today,
        version=t.c.version + 1, updated_at=utcnow()))
    now = utcnow()
    db.session.execute(insert(AuditLog.__table__), [
        {"actor_id": actor_id, "action": "task.cancel", "object_type": "task", "object_id": i,
         "task_id": i, "at": now, "comment": reason,
         "changes": json.dumps({"status": [Lifecycle.ASSIGNED, Lifecycle.CANCELLED],
                                "excluded_on": [None, str(today)]})} for i in ids])
    return len(ids)


def _expire_tasks(plan_id: int) -> None:
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Task) and obj.plan_id == plan_id:
            db.session.expire(obj)


def update_rule(actor: User, plan_id: int, rule_id: int, data: RuleInput, expected_version: int,
                *, today: date, settings: RuleSettings, reason: str = "") -> EditResult:
    """Save the rule's form. On an issued plan (the head of the plan's unit, with a reason):
    each free occurrence takes the new values (a new date only when it is not yet past; a
    moved date or a new person, leader, lead unit or weight is an amendment); free ones of
    periods the rule no longer has are cancelled with the reason; new periods not yet due get
    an occurrence. Every other occurrence stays as it is."""
    if not access.can_manage_plan(actor, get_plan(actor, plan_id)):
        raise PermissionDenied()
    plan, rule = get_rule(actor, plan_id, rule_id)
    require_plan_open(plan)
    if rule.version != expected_version:
        raise Conflict(str(_l("Someone else saved this recurring task while you were editing "
                              "it.")), [])
    reason = (reason or "").strip()
    found: list[RuleViolation] = []
    try:
        _require_issued_editor(actor, plan, reason)
    except RuleViolation as e:
        if e.field is None:
            raise
        found.append(e)  # the missing reason, shown with whatever else is wrong
    try:
        check_rule(actor, plan, data, settings)
    except RuleViolation as e:
        found += getattr(e, "violations", [e])
    if found:
        raise RuleViolations(found)
    before = snapshot(rule)
    _apply(rule, data)
    db.session.flush()
    changes = audit.diff(before, snapshot(rule))
    result = EditResult(0, 0, 0, 0)
    if plan.status == PlanStatus.ISSUED and changes:
        result = _reschedule(plan, rule, actor.id, reason, today)
    if changes:
        changes["occurrences"] = [None, {"changed": result.changed, "cancelled": result.cancelled,
                                         "made": result.made, "kept": result.kept}]
        audit.record(actor.id, "recurring.update", "recurring_rule", rule.id, changes,
                     comment=reason)
    return result


def _reschedule(plan: Plan, rule: RecurringRule, actor_id: int, reason: str,
                today: date) -> EditResult:
    rows = _occurrences(rule.id)
    free = _free(rows, today)
    new = {o.period: o for o in rec.occurrences(schedule_of(rule), plan.year,
                                                  vietnam_holidays(plan.year))}
    gone = [r for r in free if r.period_code not in new]
    stay = [r for r in free if r.period_code in new and new[r.period_code].due_on >= today]
    cancelled = _cancel(gone, actor_id, reason, today)
    changed = _rewrite(plan, rule, stay, new, actor_id, reason)
    made = generate(plan, [rule], actor_id, since=today, tell=False)
    # The responsible person is told once for the occurrences they now hold: those the edit
    # handed over from someone else and the new ones (as `tell_series` does at issue).
    reassigned = {r.id for r in stay if r.assignee_id != rule.assignee_id}
    if reassigned or made:
        _tell_holder(rule, reassigned, {r.id for r in rows}, actor_id)
    _expire_tasks(plan.id)
    return EditResult(changed, cancelled, made, len(rows) - cancelled - changed)


def _tell_holder(rule: RecurringRule, reassigned: set[int], existing: set[int],
                 actor_id: int) -> None:
    """One series notice to the rule's responsible person for the occurrences an edit gave
    them (`reassigned`) and those it made (not among the `existing` ones); none when they
    made the edit themselves."""
    who = rule.assignee_id
    if not who or who == actor_id:
        return
    held = sorted((r.due_on, r.id) for r in _occurrences(rule.id)
                  if r.assignee_id == who and (r.id in reassigned or r.id not in existing))
    if not held:
        return
    due, tid = held[0]
    # The rule's version makes the key unique per edit (a series handed back to someone
    # already told at issue is told again).
    overdue.notify([who], SERIES_NOTICE, tid, f"assigned:series:{tid}:rule{rule.version}",
                   about_on=due, days=len(held))


def _rewrite(plan: Plan, rule: RecurringRule, rows, new: dict, actor_id: int,
             reason: str) -> int:
    """Bring free occurrences in line with the rule: one UPDATE a statement for all of them
    (their dates through an executemany), their steps replaced, an amendment where it is one."""
    if not rows:
        return 0
    t = Task.__table__
    title = normalize_space(rule.title)
    now = utcnow()
    amended = []
    params = []
    for r in rows:
        o = new[r.period_code]
        old = {"assignee_id": r.assignee_id, "leader_id": r.leader_id,
               "lead_unit_id": r.lead_unit_id, "weight": Decimal(r.weight), "due_on": r.due_on,
               "start_on": r.start_on}
        now_ = {"assignee_id": rule.assignee_id, "leader_id": rule.leader_id,
                "lead_unit_id": rule.lead_unit_id, "weight": Decimal(rule.weight),
                "due_on": o.due_on, "start_on": o.start_on}
        diff = {k: [old[k], now_[k]] for k in _AMENDED if old[k] != now_[k]}
        if diff:
            amended.append((r.id, diff))
        params.append({"b_id": r.id, "b_start": o.start_on, "b_due": o.due_on,
                       "b_key": stt_of(rule.position, o)[1], "b_amend": 1 if diff else 0})
    db.session.execute(
        update(t).where(t.c.id == bindparam("b_id")).values(
            start_on=bindparam("b_start"), due_on=bindparam("b_due"),
            original_due_on=bindparam("b_due"), order_key=bindparam("b_key"),
            amendment_count=t.c.amendment_count + bindparam("b_amend"),
            version=t.c.version + 1, updated_at=now),
        params)
    ids = [r.id for r in rows]
    db.session.execute(update(t).where(t.c.id.in_(ids)).values(
        title=title, title_folded=fold(title), title_sort=title_sort_key(title),
        description=rule.description, assignee_id=rule.assignee_id,
        lead_unit_id=rule.lead_unit_id, leader_id=rule.leader_id,
        responsibility=rule.responsibility, output_product=rule.output_product,
        weight=rule.weight, is_clear=_clear(plan, [_row(rule)])[rule.id]))
    db.session.execute(delete(ProcessStep.__table__).where(ProcessStep.__table__.c.task_id.in_(ids)))
    steps = [{"task_id": i, "position": pos, "title": s, "is_done": False}
             for i in ids for pos, s in enumerate(rule.steps, start=1)]
    if steps:
        db.session.execute(insert(ProcessStep.__table__), steps)
    if amended:
        db.session.execute(insert(Amendment.__table__), [
            {"task_id": i, "actor_id": actor_id, "at": now, "reason": reason,
             "changes": json.dumps({k: [str(a), str(b)] for k, (a, b) in d.items()},
                                   ensure_ascii=False)} for i, d in amended])
    amended_ids = {i for i, _d in amended}
    db.session.execute(insert(AuditLog.__table__), [
        {"actor_id": actor_id, "action": "task.amend" if i in amended_ids else "task.update",
         "object_type": "task", "object_id": i, "task_id": i, "at": now, "comment": reason,
         "changes": json.dumps({"recurring_rule_id": [rule.id, rule.id]}
                               | {k: [str(a), str(b)] for k, (a, b) in dict(amended).get(i, {}).items()},
                               ensure_ascii=False)} for i in ids])
    return len(ids)


def delete_rule(actor: User, plan_id: int, rule_id: int, reason: str, *, today: date) -> int:
    """Retire a rule. On an issued plan (the head of the plan's unit, with a reason) its free
    occurrences are cancelled with that reason; the others stay and count. Returns how many
    were cancelled."""
    if not access.can_manage_plan(actor, get_plan(actor, plan_id)):
        raise PermissionDenied()
    plan, rule = get_rule(actor, plan_id, rule_id)
    require_plan_open(plan)
    reason = (reason or "").strip()
    _require_issued_editor(actor, plan, reason)
    cancelled = _cancel(_free(_occurrences(rule.id), today), actor.id, reason, today)
    rule.is_active = False
    rule.deleted_reason = reason
    db.session.flush()
    _expire_tasks(plan.id)
    audit.record(actor.id, "recurring.delete", "recurring_rule", rule.id,
                 {"is_active": [True, False], "cancelled": [None, cancelled]}, comment=reason)
    return cancelled
