"""Demo data: the province of Đắk Lắk, its people and its CCHC plans. The data are data files
beside this module (province.toml and the plan-*.toml it lists); this module reads them and
builds the demo through the same services as the pages."""

import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources

from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from app.common.errors import RuleViolation
from app.demo import quality as quality_demo
from app.directory import units, users
from app.domain.status import Timeliness, timeliness
from app.domain.text import sort_key
from app.extensions import db
from app.models import Field, Plan, PlanKind, ProcessStep, Task, Unit, User
from app.models.base import utcnow
from app.models.user import Role, user_fields
from app.plans import recurring
from app.plans import service as plans
from app.settings import Settings
from app.tasks import breakdown, evidence
from app.tasks import commands as tasks

DEMO_PASSWORD = "SauRo@2026"
URL = "http://127.0.0.1:5000"

# ---------------------------------------------------------------- the data files


def _read(name: str) -> dict:
    """One data file of this package: read through importlib.resources, so that it is found
    wherever the package is (a source tree, an installed wheel)."""
    return tomllib.loads(resources.files(__package__).joinpath(name).read_text("utf-8"))


@dataclass(frozen=True)
class Person:
    username: str
    full_name: str
    unit: str  # a unit code
    role: Role
    title: str  # the position (chức vụ)
    fields: tuple[str, ...] = ()  # a deputy's fields (keys of Province.fields)


@dataclass(frozen=True)
class Province:
    """province.toml: the unit tree, the fields and the people."""

    root_code: str
    root_name: str
    official_code: int  # its communes and wards come from the official list
    departments: tuple[tuple[str, str], ...]  # (code, name)
    sub_units: tuple[tuple[str, str, str, str], ...]  # (code, name, parent code, kind)
    local_units: dict[str, str]  # official code -> name, the wards and commune with people
    fields: dict[str, str]  # key -> name
    role_labels: dict[Role, str]
    people: tuple[Person, ...]  # the administrator first: they create the rest
    plans: tuple[str, ...]  # the plan files, in the order they are created


@cache
def province() -> Province:
    """The demo province as province.toml describes it (read once)."""
    data = _read("province.toml")
    return Province(
        root_code=data["root"]["code"], root_name=data["root"]["name"],
        official_code=data["root"]["official_code"],
        departments=tuple((d["code"], d["name"]) for d in data["departments"]),
        sub_units=tuple((s["code"], s["name"], s["parent"], s["kind"]) for s in data["sub_units"]),
        local_units=dict(data["local_units"]), fields=dict(data["fields"]),
        role_labels={Role(k): v for k, v in data["role_labels"].items()},
        people=tuple(Person(p["username"], p["full_name"], p["unit"], Role(p["role"]), p["title"],
                            tuple(p.get("fields", ()))) for p in data["people"]),
        plans=tuple(data["plans"]))


@dataclass(frozen=True)
class Item:
    """One task of a demo plan, with how far along it should be as of the seed's today.

    `when` picks the dates relative to today and the lifecycle to walk:
    done / early (completed on time), late (completed after its due date), overdue,
    soon (due within the reminder window), within, year (the whole year), later (not
    started), submitted (awaiting confirmation), returned (sent back for rework),
    fixed (the dates in `dates`; completed on time once due), undated (no dates at all).
    """

    title: str
    description: str
    output: str
    steps: tuple[str, ...]
    when: str
    assignee: str | None
    leader: str | None
    k: int = 0
    lead: str | None = None
    coordinators: tuple[str, ...] = ()
    responsibility: str = ""
    indicator: tuple[str, str, int] | None = None
    # The latest progress note of an open task, the submission note of a completed one,
    # the reviewer's comment on a returned one.
    note: str = ""
    dates: tuple[tuple[int, int], tuple[int, int]] | None = None
    weight: int = 1
    children: tuple["Item", ...] = ()
    # Added by the head after the plan was issued (bổ sung): listed beside the score. Its
    # `when` must leave it due today or later (work added to an issued plan cannot start
    # life overdue).
    added: bool = False


# A plan's tasks: (field key, items) in the order the plan lists them.
Groups = tuple[tuple[str, tuple[Item, ...]], ...]

WHENS = frozenset(("done", "early", "late", "overdue", "soon", "within", "submitted", "returned",
                   "later", "year", "fixed", "undated"))
ITEM_KEYS = frozenset(("title", "description", "output", "steps", "when", "assignee", "leader",
                       "k", "lead", "coordinators", "responsibility", "indicator", "note", "dates",
                       "weight", "children", "added"))


@dataclass(frozen=True)
class PlanSpec:
    """A plan-*.toml file, its texts set in the seed's year."""

    unit: str  # the unit code of the plan
    head: str  # the username that creates (and issues) it
    title: str
    doc_number: str
    doc_day: tuple[int, int]  # (month, day) of its decision
    issue: bool
    groups: Groups
    kind: str = PlanKind.CCHC  # plans.kind; one plan per unit, year and kind
    recurring: tuple[dict, ...] = ()  # [[recurring]] rules, their texts in the seed's year


def _in_year(text: str, year: int) -> str:
    return text.replace("{year}", str(year)).replace("{last_year}", str(year - 1))


def _item(data: dict, year: int, where: str) -> Item:
    """One task of a plan file; a key or a `when` the loader does not know is refused, so a
    typo in the data fails the seed rather than quietly dropping a value."""
    unknown = data.keys() - ITEM_KEYS
    if unknown or data.get("when") not in WHENS:
        raise ValueError(f"{where}: {data.get('title')!r}: unknown keys {sorted(unknown)} "
                         f"or `when` {data.get('when')!r}")
    indicator, dates = data.get("indicator"), data.get("dates")
    return Item(
        title=_in_year(data["title"], year), description=_in_year(data["description"], year),
        output=_in_year(data["output"], year),
        steps=tuple(_in_year(s, year) for s in data["steps"]), when=data["when"],
        assignee=data.get("assignee"), leader=data.get("leader"), k=data.get("k", 0),
        lead=data.get("lead"), coordinators=tuple(data.get("coordinators", ())),
        responsibility=_in_year(data.get("responsibility", ""), year),
        indicator=((_in_year(indicator["name"], year), indicator["unit"], indicator["target"])
                   if indicator else None),
        note=_in_year(data.get("note", ""), year),
        dates=(tuple(dates[0]), tuple(dates[1])) if dates else None,
        weight=data.get("weight", 1),
        children=tuple(_item(c, year, where) for c in data.get("children", ())),
        added=bool(data.get("added", False)))


@cache
def _plan_data(name: str) -> dict:
    return _read(name)


def plan_spec(name: str, year: int) -> PlanSpec:
    """A plan file (one of Province.plans) as the seed of `year` creates it."""
    data = _plan_data(name)
    return PlanSpec(
        unit=data["unit"], head=data["head"], title=_in_year(data["title"], year),
        doc_number=data["doc_number"], doc_day=tuple(data["doc_day"]), issue=data["issue"],
        kind=PlanKind(data.get("kind", PlanKind.CCHC)),
        groups=tuple((g["field"], tuple(_item(t, year, name) for t in g["tasks"]))
                     for g in data["groups"]),
        recurring=tuple(_rule(r, year, name) for r in data.get("recurring", ())))


RULE_KEYS = frozenset(("title", "description", "output", "steps", "frequency", "due_day",
                       "working_days", "cutoff_day", "assignee", "leader", "lead",
                       "responsibility"))


def _rule(data: dict, year: int, where: str) -> dict:
    """One [[recurring]] rule of a plan file (an unknown key fails the seed)."""
    unknown = data.keys() - RULE_KEYS
    if unknown:
        raise ValueError(f"{where}: {data.get('title')!r}: unknown keys {sorted(unknown)}")
    return {k: (_in_year(v, year) if isinstance(v, str) else v) for k, v in data.items()}


# ---------------------------------------------------------------- dates


def _clamp(d: date, lo: date, hi: date) -> date:
    return min(max(d, lo), hi)


def _window(item: Item, today: date, year: int, soon_days: int) -> tuple[date | None, date | None]:
    """Start and due dates for the item as of `today`, before fitting them into the year."""
    k = item.k

    def ago(n: int) -> date:
        return today - timedelta(days=n)

    if item.dates:
        (m1, d1), (m2, d2) = item.dates
        return date(year, m1, d1), date(year, m2, d2)
    return {
        "done": (ago(75 + 5 * k), ago(6 + 4 * k)),
        "early": (ago(50 + 3 * k), ago(-20 - 5 * k)),
        "late": (ago(80 + 5 * k), ago(22 + 3 * k)),
        "overdue": (ago(70 + 4 * k), ago(3 + 5 * k)),
        "soon": (ago(40 + 6 * k), ago(-min(k, soon_days))),
        "within": (ago(30 + 7 * k), ago(-25 - 12 * k)),
        "submitted": (ago(45 + 5 * k), ago(-8 - 4 * k)),
        "returned": (ago(60 + 5 * k), ago(-15 - 5 * k)),
        "later": (ago(-12 - 6 * k), ago(-60 - 15 * k)),
        "year": (date(year, 1, 15), date(year, 12, 15)),
        "undated": (None, None),
    }[item.when]


def _fit(start: date | None, due: date | None, lo: date, hi: date) -> tuple[date | None, date | None]:
    """Keep both dates inside [lo, hi] (the plan's year, or the parent task's dates)."""
    if start is None or due is None:
        return start, due
    due = _clamp(due, lo, hi)
    start = min(_clamp(start, lo, hi), due)
    return start, due


def _step_dates(n: int, start: date | None, due: date | None) -> list[date | None]:
    """`n` step dates spread over the task's dates; the last step falls on the due date."""
    if start is None or due is None:
        return [None] * n
    span = (due - start).days
    return [start + timedelta(days=span * i // n) for i in range(1, n + 1)]


# ---------------------------------------------------------------- the clock


class _Clock:
    """Stamps the rows each seeding step creates with the moment it pretends to happen,
    so that histories, progress reports and audit rows read in calendar order."""

    STAMPED = ("at", "created_at", "requested_at", "uploaded_at")

    def __init__(self) -> None:
        self.now: datetime | None = None

    def on(self, day: date, minute: int = 0) -> datetime:
        """Set the clock to `day` at 8 o'clock local time (+ `minute`), never after now."""
        db.session.flush()  # rows of the previous step keep the previous moment
        local = datetime.combine(day, time(8, 0)) + timedelta(minutes=minute)
        self.now = min(local - timedelta(hours=7), utcnow())  # Asia/Ho_Chi_Minh is UTC+7, no DST
        return self.now

    def before_flush(self, session, flush_context, instances) -> None:
        if self.now is None:
            return
        for obj in session.new:
            for name in self.STAMPED:
                if hasattr(obj, name) and getattr(obj, name) is None:
                    setattr(obj, name, self.now)
        for obj in session.dirty:
            if isinstance(obj, Task):
                obj.updated_at = self.now


# ---------------------------------------------------------------- seeding


@dataclass
class _Ctx:
    today: date
    year: int
    clock: _Clock
    soon_days: int
    settings: Settings
    users: dict[str, User]
    units: dict[str, Unit]
    fields: dict[str, Field]


def seed(today: date, settings: Settings) -> str:
    """Create the demo province, its people and plans as of `today` (the CLI passes today
    in Asia/Ho_Chi_Minh), with the app's `settings`; returns a summary to print. The
    caller commits."""
    province_ = province()
    if units.by_code(province_.root_code) is not None:
        raise RuleViolation(f"Dữ liệu mẫu đã có (đơn vị {province_.root_code}) / "
                            "the demo data is already loaded.")
    clock = _Clock()
    session = db.session()
    event.listen(session, "before_flush", clock.before_flush)
    try:
        ctx = _Ctx(today, today.year, clock, settings.due_soon_days, settings, {}, {}, {})
        clock.on(min(date(ctx.year, 1, 2), today))
        with _one_hash():
            _seed_units_and_people(ctx)
        made = [(_seed_plan(ctx, spec), spec) for spec in
                (plan_spec(name, ctx.year) for name in province_.plans)]
        db.session.flush()
    finally:
        event.remove(session, "before_flush", clock.before_flush)
    quality_demo.seed(today, settings)
    return _summary(ctx, made)


@contextmanager
def _one_hash() -> Iterator[None]:
    """Hash the shared demo password once: argon2 takes ~0.1-0.5 s per hash, and every
    demo account has the same published password anyway."""
    real = users.hash_password
    digest = real(DEMO_PASSWORD)
    users.hash_password = lambda password: digest if password == DEMO_PASSWORD else real(password)
    try:
        yield
    finally:
        users.hash_password = real


def _seed_units_and_people(ctx: _Ctx) -> None:
    """The unit tree, the fields and every demo account."""
    p = province()
    root = units.add_unit(p.root_code, p.root_name, None, "province")
    first = p.people[0]
    admin = users.add_user(first.username, first.full_name, p.root_code, first.role, DEMO_PASSWORD,
                           title=first.title)
    for code, name in p.departments:
        units.add_unit(code, name, p.root_code, "department", actor_id=admin.id)
    for code, name, parent, kind in p.sub_units:
        units.add_unit(code, name, parent, kind, actor_id=admin.id)
    units.import_official(p.official_code, parent_code=p.root_code, actor_id=admin.id)
    ctx.units = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.path.like(root.path + "%")))}
    for key, name in p.fields.items():
        field = Field(unit_id=None, name=name, name_sort=sort_key(name))
        db.session.add(field)
        ctx.fields[key] = field
    db.session.flush()
    ctx.users[admin.username] = admin
    links = []
    for person in p.people[1:]:
        user = users.add_user(person.username, person.full_name, person.unit, person.role,
                              DEMO_PASSWORD, title=person.title, actor_id=admin.id)
        ctx.users[person.username] = user
        links += [{"user_id": user.id, "field_id": ctx.fields[k].id} for k in person.fields]
    # The relationship is lazy="raise"; linking rows directly avoids loading it.
    db.session.execute(insert(user_fields), links)


def _seed_plan(ctx: _Ctx, spec: PlanSpec) -> Plan:
    """Create a plan as its unit's head, add its tasks, issue it if asked, then walk each task."""
    actor = ctx.users[spec.head]
    doc_date = min(date(ctx.year, *spec.doc_day), ctx.today)
    ctx.clock.on(doc_date - timedelta(days=3))
    plan = plans.create_plan(actor, plans.PlanInput(
        unit_id=ctx.units[spec.unit].id, year=ctx.year, kind=spec.kind, title=spec.title,
        doc_number=spec.doc_number, doc_date=doc_date))
    created: list[tuple[Task, Item]] = []
    for field_key, items in spec.groups:
        for item in items:
            if not item.added:
                _create(ctx, actor, plan, field_key, item, None, created)
    for rule in spec.recurring:
        _add_rule(ctx, actor, plan, rule)
    if spec.issue:
        ctx.clock.on(doc_date, 120)
        plan, unclear = plans.issue_plan(actor, plan.id)
        if unclear:  # a mistake in the demo data itself, not a user error
            raise RuntimeError(f"demo plan {spec.doc_number} has unclear tasks: {[t.title for t, _ in unclear]}")
        plan.issued_at = ctx.clock.now
    if spec.issue:
        created += _occurrences(plan, spec)
        # Work the head adds after issue (bổ sung), a few weeks later: through the same
        # service, so it carries the mark (task_rules.added_after_issue).
        ctx.clock.on(min(doc_date + timedelta(days=30), ctx.today), 60)
        for field_key, items in spec.groups:
            for item in items:
                if item.added:
                    _create(ctx, actor, plan, field_key, item, None, created)
    for minute, (task, item) in enumerate(created):
        _walk(ctx, plan, task, item, minute % 240)
    return plan


def _add_rule(ctx: _Ctx, actor: User, plan: Plan, rule: dict) -> None:
    """A recurring task through the service (a draft: its occurrences come at issue)."""
    leader = ctx.users.get(rule.get("leader")) if rule.get("leader") else None
    recurring.add_rule(actor, plan.id, recurring.RuleInput(
        title=rule["title"], description=rule["description"], frequency=rule["frequency"],
        cutoff_kind=recurring.CUSTOM if rule.get("cutoff_day") else recurring.DECREE,
        cutoff_day=rule.get("cutoff_day"),
        due_kind="working_days" if rule.get("working_days") else "day",
        due_day=rule.get("due_day"), working_days=rule.get("working_days"),
        assignee_id=ctx.users[rule["assignee"]].id, leader_id=leader.id if leader else None,
        lead_unit_id=ctx.units[rule.get("lead") or plan.unit.code].id,
        responsibility=rule.get("responsibility") or (
            f"Chủ trì tổng hợp, tham mưu báo cáo; chịu trách nhiệm trước {leader.title} về thời "
            f"hạn và chất lượng báo cáo." if leader else "Chịu trách nhiệm về báo cáo."),
        steps_text="\n".join(rule["steps"]), output_product=rule["output"]),
        today=ctx.today, settings=ctx.settings.task_rules)


def _occurrences(plan: Plan, spec: PlanSpec) -> list[tuple[Task, Item]]:
    """The occurrences made at issue, each played like a fixed-date task: reported on time
    once due, in progress while its window is open, untouched before it opens."""
    by_title = {r["title"]: r for r in spec.recurring}
    rules = {r.id: r for r in recurring.rules_of(plan)}
    out = []
    for k, task in enumerate(db.session.scalars(
            select(Task).where(Task.plan_id == plan.id, Task.recurring_rule_id.is_not(None))
            .order_by(Task.due_on, Task.id))):
        rule = by_title[rules[task.recurring_rule_id].title]
        out.append((task, Item(
            title=task.title, description=task.description, output=rule["output"],
            steps=tuple(rule["steps"]), when="fixed", assignee=rule["assignee"],
            leader=rule.get("leader"), k=k % 10, lead=None, coordinators=(),
            responsibility="", indicator=None, note="", dates=None, weight=1, children=())))
    return out


def _create(ctx: _Ctx, actor: User, plan: Plan, field_key: str, item: Item, parent: Task | None,
            out: list[tuple[Task, Item]]) -> None:
    """Create one task (and its sub-tasks) through the service, dates fitted into the year."""
    start, due = _window(item, ctx.today, ctx.year, ctx.soon_days)
    start, due = _fit(start, due, date(ctx.year, 1, 1), date(ctx.year, 12, 31))
    if parent is not None and parent.start_on and parent.due_on:
        start, due = _fit(start, due, parent.start_on, parent.due_on)
    leader = ctx.users.get(item.leader) if item.leader else None
    responsibility = item.responsibility or (
        f"Chủ trì tham mưu, tổ chức thực hiện; chịu trách nhiệm trước {leader.title} về tiến độ "
        f"và chất lượng sản phẩm." if leader else
        "Chủ trì tổ chức thực hiện, chịu trách nhiệm về tiến độ và chất lượng sản phẩm.")
    lead = ctx.units[item.lead or plan.unit.code]
    indicator = item.indicator or ("", "", None)
    data = tasks.TaskInput(
        title=item.title, description=item.description,
        assignee_id=ctx.users[item.assignee].id if item.assignee else None,
        lead_unit_id=lead.id, coordinator_ids=[ctx.units[c].id for c in item.coordinators],
        leader_id=leader.id if leader else None, responsibility=responsibility,
        steps=[tasks.StepInput(t, d) for t, d in zip(item.steps, _step_dates(len(item.steps), start, due))],
        start_on=start, due_on=due, output_product=item.output,
        indicator_name=indicator[0], indicator_unit=indicator[1],
        indicator_target=Decimal(indicator[2]) if indicator[2] is not None else None,
        field_id=ctx.fields[field_key].id, weight=Decimal(item.weight))
    task = tasks.create_task(actor, plan.id, data, parent_id=parent.id if parent else None,
                             today=ctx.today, settings=ctx.settings.task_rules)
    out.append((task, item))
    for child in item.children:
        _create(ctx, actor, plan, field_key, child, task, out)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _walk(ctx: _Ctx, plan: Plan, task: Task, item: Item, minute: int) -> None:
    """Play the task's life up to today: progress reports, ticked steps, submission, review."""
    today, clock = ctx.today, ctx.clock
    assignee = ctx.users.get(item.assignee) if item.assignee else None
    if assignee is None or task.start_on is None or task.due_on is None or task.start_on > today:
        return  # unassigned, undated or not started yet: nothing has happened
    if breakdown.has_children(task.id):
        return  # a parent's progress and completion come from its sub-tasks (DESIGN.md 5)
    start, due = task.start_on, task.due_on
    reviewer = ctx.users.get(item.leader) if item.leader else None
    reviewer = reviewer or ctx.users[_head_of(plan)]
    steps = db.session.scalars(select(ProcessStep).where(ProcessStep.task_id == task.id)
                               .order_by(ProcessStep.position)).all()

    def report(day: date, percent: int, note: str):
        clock.on(day, minute)
        return tasks.record_progress(assignee, task.id, percent, note, _actual(task, percent), day)

    def tick(upto: date, stamp_by: date | None = None) -> list[str]:
        done = []
        for step in steps:
            if step.due_on is not None and step.due_on <= upto:
                clock.on(min(step.due_on, stamp_by or step.due_on), minute)
                tasks.set_step_done(assignee, task.id, step.id, True).done_at = clock.now
                done.append(step.title)
        return done

    # When it was (or will be) handed in, for the outcomes that end in a submission.
    submit_on = None
    if item.when in ("done", "early", "fixed"):
        submit_on = max(start, min(due - timedelta(days=1 + item.k % 4), today - timedelta(days=1 + item.k % 3)))
    elif item.when == "late":
        submit_on = max(start, min(due + timedelta(days=4 + 3 * (item.k % 4)), today))
    elif item.when in ("submitted", "returned"):
        submit_on = max(start, today - timedelta(days=1 if item.when == "submitted" else 6))
    if item.when == "fixed" and due >= today:
        submit_on = None  # a fixed-date task not yet due is still being worked on
    if submit_on is not None and submit_on > today:
        submit_on = None

    if submit_on is not None:
        tick(due, stamp_by=submit_on)  # every step is done by the time the work is handed in
        update = report(submit_on, 100, f"Đã hoàn thành: {_lower_first(item.output)}.")
        # The product goes with the last report: a task is submitted with evidence (DESIGN.md 4).
        evidence.store(assignee, task, [evidence.Upload(_evidence_name(item.output), _evidence_pdf(item.output))],
                       update.id, ctx.settings.files)
        clock.on(submit_on, minute + 30)
        said = "" if item.when == "returned" else item.note  # a returned item's note is the reviewer's
        tasks.submit_task(assignee, task.id, said or f"Hoàn thành, gửi kèm {_lower_first(item.output)}.",
                          submit_on)
        if item.when == "submitted":
            return
        review_on = min(submit_on + timedelta(days=1 + item.k % 3), today)
        clock.on(review_on, minute + 60)
        if item.when == "returned":
            tasks.return_task(reviewer, task.id, item.note or "Đề nghị bổ sung minh chứng.")
            return
        late = submit_on > due
        tasks.confirm_task(reviewer, task.id, "Xác nhận hoàn thành; đề nghị rút kinh nghiệm về tiến độ."
                           if late else "Đồng ý xác nhận hoàn thành.")
        return

    # Still open: progress in proportion to the time used, slower when behind schedule.
    span = max((due - start).days, 1)
    used = min((today - start).days / span, 1.0)
    pace = 0.7 if today > due else 0.9
    percent = max(5, min(95, round(used * pace * 20) * 5))
    last = max(start, today - timedelta(days=2 + item.k % 3))
    done = tick(last)
    pending = [s.title for s in steps if s.title not in done]
    if item.note:
        note = item.note
    elif done and pending:
        note = f"Đã xong: {_lower_first(done[-1])}; đang thực hiện: {_lower_first(pending[0])}."
    elif pending:
        note = f"Đang thực hiện: {_lower_first(pending[0])}."
    else:
        note = "Đang hoàn thiện sản phẩm để báo cáo lãnh đạo."
    report(last, percent, note)


def _evidence_name(output: str) -> str:
    return output.replace("/", "-").strip().rstrip(".")[:120] + ".pdf"


def _evidence_pdf(output: str) -> bytes:
    """A small, valid one-page PDF standing for the product (its text without diacritics:
    the base fonts of PDF have no Vietnamese)."""
    plain = unicodedata.normalize("NFKD", output.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if ord(c) < 128 and c not in "()\\")[:90]
    text = f"BT /F1 12 Tf 40 140 Td (Sau Ro - du lieu mau) Tj 0 -20 Td ({plain}) Tj ET".encode()
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               (b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 200]/Resources<</Font<</F1 5 0 R>>>>"
                b"/Contents 4 0 R>>"),
               b"<</Length %d>>stream\n%s\nendstream" % (len(text), text),
               b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _actual(task: Task, percent: int) -> Decimal | None:
    """The indicator's reported value: a rate hovers near its target, a count grows with the work."""
    target = task.indicator_target
    if target is None:
        return None
    if task.indicator_unit == "%":
        return (target * Decimal("0.95") if percent < 100 else target).quantize(Decimal("0.1"))
    return (target * percent / 100).quantize(Decimal(1))


def _head_of(plan: Plan) -> str:
    return next(p.username for p in province().people
                if p.unit == plan.unit.code and p.role == Role.HEAD)


# ---------------------------------------------------------------- what to print

TIMELINESS_VI = {
    Timeliness.WITHIN: "trong hạn", Timeliness.DUE_SOON: "sắp đến hạn", Timeliness.OVERDUE: "quá hạn",
    Timeliness.DONE_ON_TIME: "hoàn thành đúng hạn", Timeliness.DONE_LATE: "hoàn thành quá hạn",
    Timeliness.EXCLUDED: "tạm dừng, hủy",
}


def _summary(ctx: _Ctx, made: list[tuple[Plan, PlanSpec]]) -> str:
    """Counts of what was created, and the accounts to log in with."""
    n_units = db.session.scalar(select(func.count(Unit.id)))
    n_local = db.session.scalar(select(func.count(Unit.id)).where(
        Unit.kind.in_(("commune", "ward", "special_zone"))))
    lines = [f"Đã tạo dữ liệu mẫu tỉnh Đắk Lắk (ngày {ctx.today:%d/%m/%Y}):",
             (f"  {n_units} đơn vị (trong đó {n_local} xã, phường), {len(ctx.users)} người dùng, "
              f"{len(ctx.fields)} lĩnh vực")]
    for n, (plan, spec) in enumerate(made):
        state = "đã ban hành" if spec.issue else "dự thảo"
        rows = db.session.execute(select(Task.is_clear, Task.status, Task.due_on, Task.completed_on,
                                         Task.submitted_on)
                                  .where(Task.plan_id == plan.id)).all()
        unclear = sum(1 for r in rows if not r.is_clear)
        lines.append(f"  {plan.doc_number} ({state}): {len(rows)} nhiệm vụ, {unclear} chưa đạt sáu rõ")
        if n == 0:  # the big plan: how its tasks stand
            counts = Counter(timeliness(r.status, r.due_on, r.completed_on, ctx.today, ctx.soon_days,
                                        r.submitted_on) for r in rows)
            lines.append("    " + ", ".join(f"{counts[t]} {TIMELINESS_VI[t]}" for t in TIMELINESS_VI
                                            if counts[t]))
    return "\n".join(lines + ["", *_accounts()])


def _accounts() -> list[str]:
    """The demo accounts, one line per unit, roles grouped."""
    lines = [f"Tài khoản mẫu (mật khẩu chung: {DEMO_PASSWORD}):"]
    p = province()
    unit_names = dict(p.departments) | {p.root_code: p.root_name} | p.local_units
    by_unit: dict[str, dict[str, list[str]]] = {}
    for person in p.people:
        unit_code = person.unit.split("-")[0]  # people of a section are shown with their department
        by_unit.setdefault(unit_code, {}).setdefault(person.role, []).append(person.username)
    for unit_code, roles in by_unit.items():
        parts = []
        for role, usernames in roles.items():
            shown = usernames if len(usernames) <= 2 else [f"{usernames[0]} … {usernames[-1]}"]
            parts.append(f"{', '.join(shown)} ({p.role_labels[role]})")
        lines.append(f"  {unit_names[unit_code] + ':':<28} {'; '.join(parts)}")
    return lines


def banner() -> str:
    """The start-up banner: where the app listens and, when the demo is loaded, its accounts."""
    lines = [f"Sáu Rõ đang chạy tại {URL}"]
    try:
        loaded = db.session.scalar(select(func.count(User.id)).where(
            User.username.in_([p.username for p in province().people])))
    except SQLAlchemyError:
        db.session.rollback()
        loaded = 0
    if loaded:
        lines += _accounts()
        lines.append("Thử: đăng nhập gd.snv → Kế hoạch → Ban hành kế hoạch (bị từ chối khi còn nhiệm vụ chưa rõ).")
    return "\n".join(lines)
