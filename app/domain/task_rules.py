"""Every rule a task must satisfy when it is created or edited: the form, the Excel import and
(later) the API call `check_task` with the same facts and get the same answer.

Design
------
Pure: no Flask, no database, no clock. The caller loads the facts (the plan, the actor, the task
before and after, the parent's due date, a directory of the units and people the values name)
and passes `today` and the settings. `check_task` returns EVERY violation, not the first one, each
a `Violation(field, code, params)`:

- `field` is the form field (the names of `TaskForm`/`TaskInput`: "title", "due_on",
  "lead_unit_id", "coordinator_ids", "assignee_id", "leader_id", "weight", "steps",
  "amendment_reason", ...) or None for the task as a whole; the import maps it to its column.
- `code` names the rule (one code per rule, listed in `CODES`); `params` are plain values
  (numbers, dates, a six-clears `Reason`) the message needs.

The text is not here: `app/tasks/messages.py` is the one place mapping each code to one
message through Flask-Babel, so each rule is worded and translated once for every caller.

The rules (DESIGN.md 4 "The record cannot be bent", issue 11; docs/integrity.md has the list with
the decisions taken where DESIGN is silent) are the functions `_rule_*` below, run in order.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from app.domain.six_clears import Clear, Reason, Step, TaskFacts, check_six_clears

DRAFT, ISSUED, CLOSED = "draft", "issued", "closed"
HEAD, DEPUTY = "head", "deputy"
LEADER_ROLES = frozenset({HEAD, DEPUTY})

# The fields whose change after issue is an amendment (điều chỉnh): DESIGN.md 4.
AMENDED_FIELDS = ("assignee_id", "leader_id", "lead_unit_id", "weight")

DEFAULT_WEIGHT = Decimal(1)

# The longest text each of a task's fields may hold (the column's length, or a bound on a
# text column), for the task form, the plan import and the API alike: written once here and
# worded once ("title_too_long", "text_too_long" in app/tasks/messages.py). "step" is a process
# step's title, "field" the name of a field (lĩnh vực) the import creates.
TEXT_LIMITS: Mapping[str, int] = MappingProxyType({
    "title": 500, "description": 10000, "responsibility": 5000, "output_product": 5000,
    "indicator_name": 255, "indicator_unit": 64, "step": 500, "field": 255})
# The task's own text fields the rule set checks (the title has its own rule and message).
_TEXT_FIELDS = ("description", "responsibility", "output_product", "indicator_name",
                "indicator_unit")


@dataclass(frozen=True)
class RuleSettings:
    """The numbers the rules use (TASK_WEIGHT_MIN/TASK_WEIGHT_MAX in config)."""

    weight_min: Decimal = Decimal("0.1")
    weight_max: Decimal = Decimal(10)
    max_steps: int = 30
    max_title: int = TEXT_LIMITS["title"]  # the column's length (models.task.TITLE_LENGTH)

    def check(self) -> None:
        """Refuse settings that would let a weight bend a score (or break the column)."""
        if not (self.weight_min.is_finite() and self.weight_max.is_finite()):
            raise ValueError("TASK_WEIGHT_MIN and TASK_WEIGHT_MAX must be numbers")
        if self.weight_min <= 0:
            # A weight of 0 would take an overdue task out of Σ credit / Σ weight (DESIGN.md 5).
            raise ValueError(f"TASK_WEIGHT_MIN must be greater than 0: {self.weight_min}")
        if self.weight_max < self.weight_min:
            raise ValueError("TASK_WEIGHT_MAX must not be below TASK_WEIGHT_MIN: "
                             f"{self.weight_min} > {self.weight_max}")
        if self.weight_max >= 10**6:
            # tasks.weight holds 8 digits, 2 after the point.
            raise ValueError(f"TASK_WEIGHT_MAX must be below 1000000: {self.weight_max}")
        if self.weight_min != round(self.weight_min, 2) or self.weight_max != round(self.weight_max, 2):
            raise ValueError("TASK_WEIGHT_MIN and TASK_WEIGHT_MAX have at most 2 decimals")


@dataclass(frozen=True)
class PlanFacts:
    """The plan the task belongs to."""

    id: int | None
    unit_id: int
    unit_path: str
    year: int
    period_start: date
    period_end: date
    status: str = DRAFT
    # The agency the plan's unit is part of (`agency_path`): the unit itself, or for a section
    # (phòng) the unit it belongs to. "" is the plan's unit.
    agency_path: str = ""


SECTION = "section"


def agency_path(chain: list[tuple[str, str]]) -> str:
    """The path of the agency a unit is part of, from its ancestors-or-self `(path, kind)`
    root first: the nearest that is not a section (a section, phòng thuộc đơn vị, is a part
    of its unit, not an agency of its own); the unit's own path when none is."""
    for path, kind in reversed(chain):
        if kind != SECTION:
            return path
    return chain[-1][0] if chain else ""


def may_lead_from(leader_unit_path: str, plan: PlanFacts, lead_path: str | None) -> bool:
    """Whether a head or deputy of the unit at `leader_unit_path` may be the accountable leader
    of a task of `plan` led by the unit at `lead_path`: a leader of the lead unit, of the plan's
    unit, of a unit between them, or, for a section's plan, of the agency the section belongs
    to and the units between (a department's deputy in charge of the section's field,
    docs/integrity.md). Never a unit above the plan's agency, nor one beside it."""
    top = plan.agency_path or plan.unit_path
    bottom = lead_path if lead_path and lead_path.startswith(plan.unit_path) else plan.unit_path
    return bool(leader_unit_path) and bottom.startswith(leader_unit_path) \
        and leader_unit_path.startswith(top)


@dataclass(frozen=True)
class ActorFacts:
    """Who creates or edits the task."""

    id: int
    role: str
    unit_id: int | None
    unit_path: str = ""


@dataclass(frozen=True)
class UnitFacts:
    id: int
    path: str
    is_active: bool = True


@dataclass(frozen=True)
class PersonFacts:
    id: int
    unit_id: int
    unit_path: str
    role: str
    is_active: bool = True


@dataclass(frozen=True)
class Directory:
    """The units and people the task's values name, already loaded (id -> facts).
    An id missing here does not exist."""

    units: Mapping[int, UnitFacts] = field(default_factory=dict)
    people: Mapping[int, PersonFacts] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskValues:
    """A task's six clears as plain values: the task before an edit, or what is to be saved.
    `extension_count` matters only before (a due date moved by approved extensions)."""

    title: str = ""
    description: str = ""
    assignee_id: int | None = None
    lead_unit_id: int | None = None
    coordinator_ids: tuple[int, ...] = ()
    leader_id: int | None = None
    responsibility: str = ""
    steps: tuple[Step, ...] = ()
    start_on: date | None = None
    due_on: date | None = None
    output_product: str = ""
    indicator_name: str = ""
    indicator_unit: str = ""
    indicator_target: Decimal | None = None
    field_id: int | None = None
    weight: Decimal | None = DEFAULT_WEIGHT
    extension_count: int = 0
    # Scoring-relevant (DESIGN.md 8): a key task (nhiệm vụ trọng tâm) and the indicator's
    # direction feed the quality criteria; locked once the plan is issued.
    is_key: bool = False
    indicator_direction: str = "higher"


@dataclass(frozen=True)
class Violation:
    """One broken rule: the field it concerns (None: the task), the rule's code, its values."""

    field: str | None
    code: str
    params: tuple[tuple[str, object], ...] = ()

    @property
    def values(self) -> dict:
        return dict(self.params)


def _v(field_name: str | None, code: str, **params) -> Violation:
    return Violation(field_name, code, tuple(sorted(params.items())))


# Every rule code, for the message table (a test checks each has exactly one message).
CODES = (
    "plan_closed",
    "extension_draft_plan",
    "title_required",
    "title_too_long",
    "text_too_long",
    "due_before_start",
    "date_outside_year",
    "due_after_parent",
    "weight_range",
    "lead_unit_unknown",
    "lead_unit_outside_plan",
    "coordinator_unknown",
    "coordinator_is_lead",
    "person_unknown",
    "person_outside_lead_unit",
    "leader_not_leader",
    "leader_outside_units",
    "deputy_not_leader",
    "head_both_roles",
    "too_many_steps",
    "start_locked",
    "due_locked",
    "amend_not_head",
    "amend_reason_required",
    "amend_not_here",
    "unclear",
    "added_due_past",
    "progress_range",
    "direction_unknown",
    "key_locked",
    "direction_locked",
    "indicator_locked",
    "field_locked",
    "field_unknown",
    "parent_fallen_due",
    "added_weight_not_head",
)

DIRECTIONS = ("higher", "lower")


def weight_of(values: TaskValues) -> Decimal:
    """The weight the task is saved with (a blank weight is the default, 1)."""
    return DEFAULT_WEIGHT if values.weight is None else Decimal(values.weight)


def amendment_changes(plan: PlanFacts, before: TaskValues | None,
                      after: TaskValues) -> dict[str, list]:
    """What of an edit is an amendment: on an issued plan, the person, the leader, the lead
    unit or the weight changed ({field: [old, new]}); empty for a draft plan or a new task."""
    if before is None or plan.status != ISSUED:
        return {}
    out: dict[str, list] = {}
    for name in AMENDED_FIELDS:
        if name == "weight":
            old, new = weight_of(before), weight_of(after)
        else:
            old, new = getattr(before, name), getattr(after, name)
        if old != new:
            out[name] = [old, new]
    return out


def may_amend(plan: PlanFacts, actor: ActorFacts) -> bool:
    """Who amends the tasks of an issued plan: the head of the plan's unit (DESIGN.md 4), not
    a deputy, not a head above or below it."""
    return actor.role == HEAD and actor.unit_id == plan.unit_id


def head_confirms_addition(plan: PlanFacts, actor: ActorFacts | None) -> bool:
    """Whether a task being added to `plan` by `actor` (None: the command line) is confirmed
    by the head of the plan's unit (or a head above it) only, never by its accountable leader.
    Work added to an issued plan (bổ sung) by anyone but the head of the plan's unit, the
    assigner, is: a deputy could otherwise add easy tasks due today, have her staff submit
    them and confirm them herself, and outnumber her missed work (red team, session 7: one
    missed task and nine additions read 90.00). The form, the import and recurring rules
    store the answer on the task (`tasks.head_confirms`); `access.can_review` reads it."""
    return plan.status == ISSUED and (actor is None or not may_amend(plan, actor))


def added_after_issue(plan: PlanFacts, parent_added: bool = False) -> bool:
    """Whether a task being added to `plan` is added work (bổ sung), listed beside every
    score it is in as amendments are (docs/integrity.md): added to an issued plan, by anyone
    (the head of the plan's unit too, unlike `head_confirms_addition`), or a sub-task of added
    work (`parent_added`), wherever it is drafted: breaking added work down must not hide it
    (the parent then no longer counts for the unit). Every path that makes a task asks it:
    the form, the import, a recurring rule's occurrences made after issue."""
    return plan.status == ISSUED or parent_added


def six_clears_facts(plan: PlanFacts, values: TaskValues, directory: Directory) -> TaskFacts:
    """The six-clears facts of `values`, the people and units looked up in `directory`."""
    person = directory.people.get(values.assignee_id) if values.assignee_id is not None else None
    lead = directory.units.get(values.lead_unit_id) if values.lead_unit_id is not None else None
    leader = directory.people.get(values.leader_id) if values.leader_id is not None else None
    return TaskFacts(
        title=values.title or "", description=values.description or "",
        assignee_id=values.assignee_id, lead_unit_id=values.lead_unit_id,
        assignee_in_lead_unit=(person is None or lead is None
                               or person.unit_path.startswith(lead.path)),
        leader_id=values.leader_id,
        leader_is_leader=leader is None or leader.role in LEADER_ROLES,
        responsibility=values.responsibility or "", steps=tuple(values.steps),
        start_on=values.start_on, due_on=values.due_on,
        period_start=plan.period_start, period_end=plan.period_end,
        output_product=values.output_product or "", indicator_name=values.indicator_name or "",
        indicator_unit=values.indicator_unit or "", indicator_target=values.indicator_target,
    )


# Where each six-clears reason is shown: by its English text, else by its clear.
_REASON_FIELDS = {
    "No responsible person": "assignee_id",
    "No lead unit": "lead_unit_id",
    "The responsible person is not in the lead unit": "assignee_id",
    "No description": "description",
    "No accountable leader": "leader_id",
    "The accountable leader must be the head or a deputy": "leader_id",
    "What the person answers for is not stated": "responsibility",
    "No start date": "start_on",
    "No expected output product": "output_product",
    "The indicator lacks a unit or a target value": "indicator_target",
    "The start date is outside the plan's year": "start_on",
}
_CLEAR_FIELDS = {
    Clear.PERSON: "assignee_id", Clear.TASK: "title", Clear.RESPONSIBILITY: "responsibility",
    Clear.PROCESS: "steps", Clear.DEADLINE: "due_on", Clear.RESULT: "output_product",
}


def _reasons(plan: PlanFacts, values: TaskValues, directory: Directory) -> list[tuple[Clear, Reason]]:
    result = check_six_clears(six_clears_facts(plan, values, directory))
    return [(r.clear, reason) for r in result.results for reason in r.reasons]


# --- the rules -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Ctx:
    plan: PlanFacts
    actor: ActorFacts
    before: TaskValues | None
    after: TaskValues
    directory: Directory
    today: date
    settings: RuleSettings
    parent_due_on: date | None
    amendment_reason: str
    amendments_allowed: bool
    parent_plan_status: str | None = None

    @property
    def issued(self) -> bool:
        return self.plan.status == ISSUED

    def changed(self, name: str) -> bool:
        return self.before is None or getattr(self.before, name) != getattr(self.after, name)

    def dates_checked(self, name: str) -> bool:
        """Dates are checked when new or changed; on a draft plan always (they are freely
        edited there, so a wrong stored date can be put right). An unchanged date of an
        issued plan cannot be edited, so it is not held against the rest of the edit."""
        return self.plan.status == DRAFT or self.changed(name)


def check_plan_open(plan_status: str) -> list[Violation]:
    """A closed plan is read-only (DESIGN.md 3: draft -> issued -> closed): no task of it is
    created, edited, reported on, submitted, reviewed or excluded until a head reopens it.
    Every task command checks it after its permission check (so 403/404 still come first)."""
    return [_v(None, "plan_closed")] if plan_status == CLOSED else []


def check_extension_plan(plan_status: str) -> list[Violation]:
    """Whether a task's plan lets its responsible person ask for an extension: only an
    issued plan. On a draft nothing is due (DESIGN.md 4: its tasks are not flagged, reminded
    or scored, and their dates are edited freely), so there is nothing to extend; a closed
    plan is read-only. The task page, its form and the API ask it (deadlines.extensions)."""
    if plan_status == DRAFT:
        return [_v(None, "extension_draft_plan")]
    return check_plan_open(plan_status)


def check_progress(percent) -> list[Violation]:
    """A progress report's percent: a whole share of the work, 0 to 100 (the form and the
    import's progress column)."""
    return [] if 0 <= percent <= 100 else [_v("percent", "progress_range")]


def _rule_plan_open(c: _Ctx):
    yield from check_plan_open(c.plan.status)


def _rule_title(c: _Ctx):
    title = (c.after.title or "").strip()
    if not title:
        yield _v("title", "title_required")
    else:
        v = check_text("title", title, c.settings.max_title)
        if v is not None:
            yield v


def text_length(name: str, text: str) -> int:
    """The length a limit of TEXT_LIMITS is measured on: a title's runs of spaces count once
    (it is saved so), any other text as typed."""
    return len(" ".join(text.split())) if name == "title" else len(text)


def check_text(name: str, text: str | None, limit: int | None = None) -> Violation | None:
    """The violation of a text over its limit in TEXT_LIMITS (or `limit`), None when it fits:
    said, never cut (a text cut short silently changes what the task asks, issue 17)."""
    limit = TEXT_LIMITS[name] if limit is None else limit
    length = text_length(name, text or "")
    if length <= limit:
        return None
    return _v(name, "title_too_long" if name == "title" else "text_too_long", max=limit,
              length=length)


def _rule_texts(c: _Ctx):
    for name in _TEXT_FIELDS:
        v = check_text(name, getattr(c.after, name))
        if v is not None:
            yield v
    for step in c.after.steps:
        v = check_text("step", step.title)
        if v is not None:
            yield Violation("steps", v.code, v.params)


def _rule_dates(c: _Ctx):
    a = c.after
    if (a.start_on and a.due_on and a.due_on < a.start_on
            and (c.dates_checked("start_on") or c.dates_checked("due_on"))):
        yield _v("due_on", "due_before_start")
    for name in ("start_on", "due_on"):
        value = getattr(a, name)
        if value is None or not c.dates_checked(name):
            continue
        if c.plan.period_start <= value <= c.plan.period_end:
            continue
        carried = (name == "due_on" and c.before is not None and c.before.extension_count > 0
                   and value == c.before.due_on and value > c.plan.period_end)
        if not carried:
            # An approved extension may carry a task into a later year (chuyển tiếp); nothing
            # else moves a date out of the plan's year.
            yield _v(name, "date_outside_year", year=c.plan.year)
    if (c.parent_due_on and a.due_on and a.due_on > c.parent_due_on
            and c.dates_checked("due_on")):
        yield _v("due_on", "due_after_parent", date=c.parent_due_on)


def _rule_weight(c: _Ctx):
    w = weight_of(c.after)
    s = c.settings
    if not (w.is_finite() and s.weight_min <= w <= s.weight_max):
        yield _v("weight", "weight_range", min=s.weight_min, max=s.weight_max)


def _rule_lead_unit(c: _Ctx):
    uid = c.after.lead_unit_id
    if uid is None:
        return
    unit = c.directory.units.get(uid)
    if unit is None or not unit.is_active:
        yield _v("lead_unit_id", "lead_unit_unknown")
    elif not unit.path.startswith(c.plan.unit_path):
        # A plan assigns work to its own unit and the units below it: a commune's plan
        # cannot make a department answer for a task (issue 11).
        yield _v("lead_unit_id", "lead_unit_outside_plan")


def _rule_coordinators(c: _Ctx):
    ids = c.after.coordinator_ids
    if any((u := c.directory.units.get(i)) is None or not u.is_active for i in ids):
        yield _v("coordinator_ids", "coordinator_unknown")
    if c.after.lead_unit_id is not None and c.after.lead_unit_id in ids:
        yield _v("coordinator_ids", "coordinator_is_lead")


def _rule_person(c: _Ctx):
    pid = c.after.assignee_id
    if pid is None:
        return
    person = c.directory.people.get(pid)
    if person is None or not person.is_active:
        yield _v("assignee_id", "person_unknown")
        return
    lead = c.directory.units.get(c.after.lead_unit_id) if c.after.lead_unit_id is not None else None
    if lead is not None and not person.unit_path.startswith(lead.path):
        yield _v("assignee_id", "person_outside_lead_unit")


def _lead_path(c: _Ctx) -> str | None:
    lead = c.directory.units.get(c.after.lead_unit_id) if c.after.lead_unit_id is not None else None
    return lead.path if lead is not None else None


def _rule_leader(c: _Ctx):
    lid = c.after.leader_id
    if lid is not None:
        leader = c.directory.people.get(lid)
        if leader is None or not leader.is_active or leader.role not in LEADER_ROLES:
            yield _v("leader_id", "leader_not_leader")
        elif (leader.unit_id not in {c.plan.unit_id, c.after.lead_unit_id}
              and not may_lead_from(leader.unit_path, c.plan, _lead_path(c))):
            yield _v("leader_id", "leader_outside_units")
        elif leader.role == HEAD and c.after.assignee_id == lid:
            # Nobody confirms their own submission; above a head nobody in the unit could.
            yield _v("leader_id", "head_both_roles")
    if c.actor.role == DEPUTY and lid != c.actor.id:
        # A deputy manages only what they answer for: a task led by someone else (or by
        # nobody) would slip out of their hands the moment it is saved.
        yield _v("leader_id", "deputy_not_leader")


def _rule_steps(c: _Ctx):
    n = sum(1 for s in c.after.steps if (s.title or "").strip())
    if n > c.settings.max_steps:
        yield _v("steps", "too_many_steps", n=c.settings.max_steps)


def _rule_issued_dates(c: _Ctx):
    if not c.issued or c.before is None:
        return
    if c.after.start_on != c.before.start_on:
        yield _v("start_on", "start_locked")
    if c.after.due_on != c.before.due_on:
        # DESIGN.md 4: after issue a due date moves only through an approved extension.
        yield _v("due_on", "due_locked")


def _rule_direction(c: _Ctx):
    if c.after.indicator_direction not in DIRECTIONS:
        yield _v("indicator_direction", "direction_unknown")


def _rule_scoring_locked(c: _Ctx):
    """The key-task flag, the field and the indicator's direction decide quality criteria
    (from tasks of key tasks or of one field only, from targets): once the plan is issued
    nobody flips them — not even the head of the plan's unit, who may be the one scored — so
    a result cannot be moved by re-labelling a late task or turning a missed target around
    (docs/integrity.md)."""
    if not c.issued or c.before is None:
        return
    if c.after.is_key != c.before.is_key:
        yield _v("is_key", "key_locked")
    if c.after.indicator_direction != c.before.indicator_direction:
        yield _v("indicator_direction", "direction_locked")
    if c.after.field_id != c.before.field_id:
        # A criterion "from tasks" may read only one field's tasks (DESIGN.md 8): moving a late
        # task out of that field (or an on-time one into it) moves the unit's result, so the
        # field is locked like the key flag (red team, session 7).
        yield _v("field_id", "field_locked")
    # The indicator's target is the denominator of "from targets" (achievement = actual /
    # target): lowering it raises the score as surely as raising the actual. DESIGN.md 4 makes
    # only reassignment and the weight amendable; the target, its name and its unit are locked
    # like the key flag (a blank one cannot be filled in either: that would add a target
    # already met). Whitespace alone is no change.
    for name in ("indicator_name", "indicator_unit"):
        if _words(getattr(c.after, name)) != _words(getattr(c.before, name)):
            yield _v(name, "indicator_locked")
    old, new = c.before.indicator_target, c.after.indicator_target
    if (old is None) != (new is None) or (old is not None and Decimal(old) != Decimal(new)):
        yield _v("indicator_target", "indicator_locked")


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


def _rule_amendment(c: _Ctx):
    changes = amendment_changes(c.plan, c.before, c.after)
    if not changes:
        return
    if not c.amendments_allowed:
        for name in changes:
            yield _v(name, "amend_not_here")
        return
    if not may_amend(c.plan, c.actor):
        # Not theirs to amend: asking them for a reason as well would only mislead.
        for name in changes:
            yield _v(name, "amend_not_head")
    elif not (c.amendment_reason or "").strip():
        yield _v("amendment_reason", "amend_reason_required")


def _rule_clear_after_issue(c: _Ctx):
    if not c.issued:
        return
    after = _reasons(c.plan, c.after, c.directory)
    if c.before is None:
        # A task added to an issued plan (bổ sung) is clear at once.
        new = after
    else:
        # An edit may leave what was already unclear (and fix it); it may not add a gap.
        old = {(cl, r.en) for cl, r in _reasons(c.plan, c.before, c.directory)}
        new = [(cl, r) for cl, r in after if (cl, r.en) not in old]
    for clear, reason in new:
        name = _REASON_FIELDS.get(reason.en) or _CLEAR_FIELDS[clear]
        yield _v(name, "unclear", reason=reason)


def _rule_added_due(c: _Ctx):
    if c.issued and c.before is None and c.after.due_on is not None and c.after.due_on < c.today:
        # Added after issue: it cannot start life already overdue (or back-dated).
        yield _v("due_on", "added_due_past", date=c.today)


def _rule_added_weight(c: _Ctx):
    """After issue a weight is the head's (DESIGN.md 4: changing it is an amendment by the
    head of the plan's unit). Work added then (bổ sung) by another leader takes the default
    weight: a deputy could otherwise add an easy task of the maximum weight, due today, and
    outweigh her missed work with it once confirmed (red team, session 7)."""
    if (c.issued and c.before is None and weight_of(c.after) != DEFAULT_WEIGHT
            and c.actor.role in LEADER_ROLES and not may_amend(c.plan, c.actor)):
        yield _v("weight", "added_weight_not_head", weight=DEFAULT_WEIGHT)


def _rule_parent_fallen_due(c: _Ctx):
    """A sub-task replaces its parent in its lead unit's and leader's score (DESIGN.md 5:
    each piece of work counts once). Once an issued parent has fallen due, a breakdown made
    after the fact could only re-weigh a failure or a late completion (a sub-task of weight
    0.1 in a lower unit's draft plan, issued later): work that has fallen due is not broken
    down any more (red team, session 7; a draft parent is still being planned)."""
    if (c.before is None and c.parent_due_on is not None and c.parent_due_on < c.today
            and c.parent_plan_status in (ISSUED, CLOSED)):
        yield _v(None, "parent_fallen_due", date=c.parent_due_on)


_RULES = (
    _rule_plan_open, _rule_title, _rule_texts, _rule_dates, _rule_weight, _rule_lead_unit,
    _rule_coordinators, _rule_person, _rule_leader, _rule_steps, _rule_issued_dates,
    _rule_direction, _rule_scoring_locked,
    _rule_amendment, _rule_clear_after_issue, _rule_added_due, _rule_parent_fallen_due,
    _rule_added_weight,
)


def check_task(*, plan: PlanFacts, actor: ActorFacts, before: TaskValues | None,
               after: TaskValues, directory: Directory, today: date,
               settings: RuleSettings = RuleSettings(), parent_due_on: date | None = None,
               amendment_reason: str = "", amendments_allowed: bool = True,
               parent_plan_status: str | None = None) -> list[Violation]:
    """Every rule `after` breaks, as (field, code, params), in a stable order; [] when it may
    be saved. `before` is None for a new task. `amendments_allowed=False` (the import) refuses
    an amendment outright instead of asking for the head and a reason. `parent_due_on` and
    `parent_plan_status`: those of the task's parent (in its own plan or a higher one)."""
    c = _Ctx(plan, actor, before, after, directory, today, settings, parent_due_on,
             amendment_reason, amendments_allowed, parent_plan_status)
    out: list[Violation] = []
    for rule in _RULES:
        for v in rule(c):
            if v not in out:
                out.append(v)
    return out
