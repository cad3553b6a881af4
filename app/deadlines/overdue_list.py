"""The overdue list: overdue and due-soon tasks, grouped by accountable leader and
responsible person; one function feeds both the page and the Excel export."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import BinaryIO

from sqlalchemy import (
    and_,
    bindparam,
    case,
    func,
    literal_column,
    not_,
    select,
)
from sqlalchemy.orm import aliased, contains_eager, joinedload

from app.common import access
from app.deadlines.sweep import awaiting_on_time, in_issued_plan
from app.domain.status import OPEN_STATUSES, Timeliness
from app.extensions import db, select_rows
from app.models import Role, Task, Unit, User
from app.reports.xlsx import write_table

# A province-wide list can run to thousands of rows; past this many the page asks
# for a filter (the export holds exactly the rows shown, so it stops here too).
MAX_ROWS = 2000


@dataclass
class OverdueFilter:
    unit_id: int | None = None
    field_id: int | None = None
    plan_id: int | None = None

    def args(self) -> dict:
        """The query string that gives this filter (for links and the export)."""
        return {k: v for k, v in (("unit", self.unit_id), ("field", self.field_id),
                                  ("plan", self.plan_id)) if v}


@dataclass(slots=True)
class ListedPerson:
    """A leader or responsible person as the page shows them."""
    id: int
    full_name: str


@dataclass(slots=True)
class ListedTask:
    """What the page shows of a task (issue 16: a page of the list as plain rows, not ORM
    tasks with their people and units)."""
    id: int
    title: str
    status: str
    due_on: date
    original_due_on: date | None
    progress: int
    lead_unit_name: str | None


@dataclass
class OverdueRow:
    n: int  # STT: the row's number on the page and in the export
    task: Task | ListedTask  # ListedTask: build_overdue_list(plain=True)
    timeliness: str  # Timeliness.OVERDUE or Timeliness.DUE_SOON
    days_overdue: int  # > 0 when overdue
    days_left: int  # >= 0 when due soon (0: due today)

    @property
    def is_overdue(self) -> bool:
        return self.timeliness == Timeliness.OVERDUE


@dataclass
class PersonGroup:
    person: User | ListedPerson | None
    rows: list[OverdueRow] = field(default_factory=list)


@dataclass
class LeaderGroup:
    leader: User | ListedPerson | None
    people: list[PersonGroup] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return sum(r.is_overdue for p in self.people for r in p.rows)

    @property
    def due_soon(self) -> int:
        return sum(not r.is_overdue for p in self.people for r in p.rows)


@dataclass
class OverdueList:
    groups: list[LeaderGroup]
    rows: list[OverdueRow]
    truncated: bool
    today: date
    due_soon_days: int
    # A page of the list (the page shows PAGE_SIZE rows; the export every row).
    page: int = 1
    per_page: int | None = None
    total_rows: int | None = None
    total_overdue: int | None = None

    @property
    def overdue(self) -> int:
        if self.total_overdue is not None:
            return self.total_overdue
        return sum(r.is_overdue for r in self.rows)

    @property
    def due_soon(self) -> int:
        if self.total_rows is not None:
            return self.total_rows - self.overdue
        return len(self.rows) - self.overdue

    @property
    def pages(self) -> int:
        if not self.per_page or not self.total_rows:
            return 1
        return -(-self.total_rows // self.per_page)


# The list's statements are built once per shape (which role's scope, which filters) and
# their values bound at execution: building the expressions and their cache keys anew each
# request cost more than the database's work on them (issue 16, docs/performance.md, fifth
# pass). The builders below take the shape only, never a value, so that no reader's value
# can be kept in a statement another reader runs.

def _scope_values(actor: User) -> tuple[tuple, dict]:
    """dashboard.queries.role_scope(actor) as a shape and its values (`_scope_sql`):
    tests/services/test_statement_shapes.py checks the two give the same SQL for every role."""
    if access.reads_everything(actor):
        return ("all",), {}
    if actor.role == Role.HEAD:
        # access.task_scope(actor, coordinated=False): the unit's own work.
        return access.task_scope_shape(actor, coordinated=False)
    if actor.role == Role.DEPUTY:
        return ("deputy",), {"actor_id": actor.id}
    if actor.role == Role.STAFF:
        return ("staff",), {"actor_id": actor.id}
    return ("none",), {}


def _scope_sql(shape: tuple):
    if shape[0] == "deputy":
        return Task.leader_id == bindparam("actor_id")
    if shape[0] == "staff":
        return Task.assignee_id == bindparam("actor_id")
    return access.task_scope_sql(shape)


@cache
def _listed(scope: tuple) -> tuple:
    """The conditions of the list before any filter, for a scope's shape."""
    # A submission made on time awaiting confirmation is within deadline (domain.status):
    # not in the list; one made late stays, marked as awaiting confirmation.
    # A task of a draft plan has not started (DESIGN.md 4): in no overdue list.
    return (_scope_sql(scope), Task.status.in_([s.value for s in OPEN_STATUSES]),
            Task.due_on.is_not(None), Task.due_on <= bindparam("due_limit"),
            not_(awaiting_on_time()), in_issued_plan())


def _list_values(actor: User, today: date, due_soon_days: int) -> tuple[tuple, dict]:
    scope, values = _scope_values(actor)
    return scope, values | {"today": today, "due_limit": today + timedelta(days=due_soon_days)}


@cache
def _counts_stmt(scope: tuple):
    late = func.coalesce(func.sum(case((Task.due_on < bindparam("today"), 1), else_=0)), 0)
    # Grouped by `lead_unit_id + 0`, not the column: SQLite would otherwise walk the lead
    # unit's index in group order over every unit (52 ms on the bench's largest head)
    # instead of the MULTI-INDEX OR of the scope's terms (1.4 ms) and a small sort.
    lead = Task.lead_unit_id + literal_column("0")
    return select(lead, func.count(Task.id), late).where(*_listed(scope)).group_by(lead)


def lead_unit_counts(actor: User, today: date, due_soon_days: int) -> list:
    """(lead unit id, rows, overdue rows) of the unfiltered list, one GROUP BY: the page's
    totals when no filter is chosen, and the lead units its filter offers, from one pass
    over the list instead of two (issue 16)."""
    scope, values = _list_values(actor, today, due_soon_days)
    return select_rows(_counts_stmt(scope), values).all()


@cache
def _others_stmt(unit_scope: str):
    return (select(Unit.id, Unit.name)
            .where(Unit.id.in_(bindparam("lead_ids", expanding=True)),
                   not_(access.unit_scope_sql(unit_scope)))
            .order_by(Unit.name_sort, Unit.id))


def other_lead_units(actor: User, today: date, due_soon_days: int,
                     counts: list | None = None) -> list:
    """The units outside the reader's own (access.unit_scope) that lead a task of the
    list, by name: a head's list holds the tasks of the unit's plans that other units lead,
    and the lead-unit filter offers every unit its rows name. With `counts`
    (lead_unit_counts), the lead units are known and one look-up by id names them."""
    if access.reads_everything(actor):
        return []
    if counts is not None:
        ids = [unit_id for unit_id, _n, _late in counts if unit_id is not None]
        if not ids:
            return []
        shape, values = access.scope_shape(actor)
        return select_rows(_others_stmt(shape), values | {"lead_ids": ids}).all()
    # The distinct lead units of the list first (a derived table with DISTINCT is never
    # flattened), then their names: as `units.id IN (SELECT ...)` PostgreSQL probed the
    # tasks of every unit of the province through the lead-unit index and fetched 40,000
    # rows to find none (344 ms at 1,000,000 tasks; docs/performance.md).
    scope, values = _list_values(actor, today, due_soon_days)
    led = select(Task.lead_unit_id.label("id")).where(*_listed(scope)).distinct().subquery("led")
    return db.session.execute(select(Unit.id, Unit.name).join(led, led.c.id == Unit.id)
                              .where(not_(access.unit_scope(actor)))
                              .order_by(Unit.name_sort, Unit.id), values).all()


@cache
def _where(shape: tuple):
    """The list's condition with the filter's, for a shape (`_conditions`)."""
    scope, unit, by_field, by_plan = shape
    conds = list(_listed(scope))
    if unit == "tree":
        conds.append(Task.lead_unit_id.in_(select(Unit.id).where(Unit.path.like(bindparam("lead_like")))))
    elif unit == "missing":
        conds.append(Task.id.is_(None))
    if by_field:
        conds.append(Task.field_id == bindparam("field_id"))
    if by_plan:
        conds.append(Task.plan_id == bindparam("plan_id"))
    return and_(*conds)


def _conditions(actor: User, f: OverdueFilter, today: date, due_soon_days: int) -> tuple[tuple, dict]:
    """The shape of the list's conditions with the filter's (`_where`), and their values."""
    scope, values = _list_values(actor, today, due_soon_days)
    unit = None
    if f.unit_id:
        found = db.session.get(Unit, f.unit_id)
        unit = "tree" if found else "missing"
        if found:
            values["lead_like"] = found.path + "%"
    if f.field_id:
        values["field_id"] = f.field_id
    if f.plan_id:
        values["plan_id"] = f.plan_id
    return (scope, unit, bool(f.field_id), bool(f.plan_id)), values


def _ordered(stmt, leader, person):
    """The list's order: accountable leader (the head first, then by name; none last),
    responsible person (by name; none last), due date, id."""
    return stmt.order_by(case((leader.id.is_(None), 2), (leader.role == Role.HEAD, 0), else_=1),
                         leader.name_sort, leader.id,
                         case((person.id.is_(None), 1), else_=0), person.name_sort, person.id,
                         Task.due_on, Task.id)


# The accountable leader and the responsible person of the page's and the export's
# statements, aliased once: an alias adapts each column it is asked for the first time,
# and new aliases on every request cost the overdue page ~1 ms and a third of the
# export's statement building (issue 16 profile).
# The lead unit is aliased so that a unit filter's subtree subquery cannot correlate to it.
_LEADER, _PERSON = aliased(User, name="leader"), aliased(User, name="person")
_LEAD_UNIT = aliased(Unit)


@cache
def _totals_stmt(shape: tuple):
    late = func.coalesce(func.sum(case((Task.due_on < bindparam("today"), 1), else_=0)), 0)
    return select(func.count(Task.id), late).where(_where(shape))


@cache
def _rows_stmt(shape: tuple, plain: bool):
    """The rows of the list, in its order, `row_limit` of them from `row_offset`."""
    leader, person = _LEADER, _PERSON
    if plain:
        lead_unit = _LEAD_UNIT
        stmt = (select(Task.id, Task.title, Task.status, Task.due_on, Task.original_due_on,
                       Task.progress, lead_unit.name, leader.id, leader.full_name, person.id,
                       person.full_name)
                .select_from(Task).outerjoin(lead_unit, lead_unit.id == Task.lead_unit_id))
    else:
        stmt = select(Task)
    stmt = (stmt.outerjoin(leader, leader.id == Task.leader_id)
            .outerjoin(person, person.id == Task.assignee_id).where(_where(shape)))
    if not plain:
        # The leader and the person from the joins of the order, the lead unit joined too:
        # one statement for the rows and every name shown.
        stmt = stmt.options(contains_eager(Task.leader.of_type(leader)),
                            contains_eager(Task.assignee.of_type(person)),
                            joinedload(Task.lead_unit))
    return _ordered(stmt, leader, person).limit(bindparam("row_limit")).offset(bindparam("row_offset"))


def build_overdue_list(actor: User, f: OverdueFilter, today: date, due_soon_days: int,
                       max_rows: int = MAX_ROWS, page: int | None = None,
                       per_page: int = 50, counts: list | None = None,
                       plain: bool = False) -> OverdueList:
    """Open tasks of the actor's scope that are overdue or due within `due_soon_days`,
    ordered by accountable leader (the head first, then by name; none last), then by
    responsible person (by name; none last), then by due date: the most overdue first,
    then the due-soon ones, nearest first. One query for the rows with the people and
    units they show (joined). With `page`, `per_page` rows of that page (numbered from the
    first page on) and the totals (one more query, or summed from `counts`, the unfiltered
    list's lead_unit_counts, when no filter is chosen); without, every row up to
    `max_rows`. `plain`: the rows' tasks, leaders and people as `ListedTask` and
    `ListedPerson` (what the page shows), not ORM objects (the report and the API)."""
    shape, values = _conditions(actor, f, today, due_soon_days)
    totals: dict = {}
    first = 1
    if page is not None:
        # A province head's list runs to hundreds of rows: the page renders one screenful
        # (bench: 596 rows rendered took 6.8x the SELECT of them, docs/performance.md).
        page = max(1, page)
        first = (page - 1) * per_page + 1
        if counts is not None and not f.args():
            total = sum(n for _unit, n, _late in counts)
            overdue_n = sum(late for _unit, _n, late in counts)
        else:
            total, overdue_n = select_rows(_totals_stmt(shape), values).one()
        totals = {"page": page, "per_page": per_page, "total_rows": int(total),
                  "total_overdue": int(overdue_n)}
    stmt = _rows_stmt(shape, plain)
    run = select_rows if plain else db.session.execute  # plain: columns; else ORM tasks
    if page is not None:
        found = run(stmt, values | {"row_limit": per_page, "row_offset": first - 1}).all()
        truncated = False
    else:
        found = run(stmt, values | {"row_limit": max_rows + 1, "row_offset": 0}).all()
        truncated = len(found) > max_rows
        found = found[:max_rows]
    if plain:
        listed = []
        leaders: dict = {}
        people: dict = {}
        for tid, title, status, due_on, was, progress, unit_name, lid, lname, pid, pname in found:
            lead = leaders.setdefault(lid, ListedPerson(lid, lname)) if lid is not None else None
            who = people.setdefault(pid, ListedPerson(pid, pname)) if pid is not None else None
            listed.append((ListedTask(tid, title, status, due_on, was, progress, unit_name), lead, who))
    else:
        listed = [(t, t.leader, t.assignee) for (t,) in found]

    groups: list[LeaderGroup] = []
    rows: list[OverdueRow] = []
    for n, (t, lead, who) in enumerate(listed, start=first):
        late = t.due_on < today
        row = OverdueRow(n, t, Timeliness.OVERDUE if late else Timeliness.DUE_SOON,
                         (today - t.due_on).days if late else 0,
                         0 if late else (t.due_on - today).days)
        rows.append(row)
        if not groups or groups[-1].leader is not lead:
            groups.append(LeaderGroup(lead))
        people_groups = groups[-1].people
        if not people_groups or people_groups[-1].person is not who:
            people_groups.append(PersonGroup(who))
        people_groups[-1].rows.append(row)
    return OverdueList(groups, rows, truncated, today, due_soon_days, **totals)


# The export's column headers and status words, Vietnamese first (DESIGN.md section 7:
# exports are in Vietnamese by default); English when the reader chose English.
XLSX_HEADERS = (
    ("STT", "No."),
    ("Nhiệm vụ", "Task"),
    ("Đơn vị chủ trì", "Lead unit"),
    ("Người thực hiện", "Responsible person"),
    ("Lãnh đạo phụ trách", "Accountable leader"),
    ("Chức vụ", "Position"),
    ("Hạn hoàn thành", "Due date"),
    ("Tiến độ (%)", "Progress (%)"),
    ("Số ngày quá hạn", "Days overdue"),
    ("Tình trạng", "Status"),
)
XLSX_SHEET = ("Quá hạn", "Overdue")
XLSX_TITLE = ("DANH SÁCH NHIỆM VỤ QUÁ HẠN, SẮP ĐẾN HẠN", "TASKS OVERDUE OR DUE SOON")
XLSX_AS_OF = ("Tính đến ngày {d:%d/%m/%Y}: {o} nhiệm vụ quá hạn, {s} nhiệm vụ sắp đến hạn",
              "As of {d:%d/%m/%Y}: {o} overdue, {s} due soon")
# The position beside a leader's name when they have no title of their own.
POSITIONS = {Role.HEAD: ("Người đứng đầu", "Head"), Role.DEPUTY: ("Cấp phó", "Deputy head")}
_STATUS = {
    "overdue": ("Quá hạn", "Overdue"),
    "today": ("Sắp đến hạn (hạn hôm nay)", "Due soon (due today)"),
    "soon": ("Sắp đến hạn (còn {n} ngày)", "Due soon ({n} days left)"),
}


def export_rows(actor: User, f: OverdueFilter, today: date, due_soon_days: int,
                max_rows: int = MAX_ROWS) -> list:
    """The rows of the export, in the list's order, up to `max_rows`: one Core query
    returning what the sheet shows (title, lead unit, person, leader with their title and
    role, due date, progress), no
    ORM objects (issue 16: the export loaded every task and its three relations)."""
    shape, values = _conditions(actor, f, today, due_soon_days)
    return select_rows(_export_stmt(shape), values | {"row_limit": max_rows}).all()


@cache
def _export_stmt(shape: tuple):
    leader, person = _LEADER, _PERSON
    return _ordered(select(Task.title, Unit.name, person.full_name, leader.full_name,
                           leader.title, leader.role, Task.due_on, Task.progress)
                    .select_from(Task)
                    .outerjoin(leader, leader.id == Task.leader_id)
                    .outerjoin(person, person.id == Task.assignee_id)
                    .outerjoin(Unit, Unit.id == Task.lead_unit_id)
                    .where(_where(shape)), leader, person).limit(bindparam("row_limit"))


def _position(title: str | None, role: str | None, pick: int) -> str | None:
    if title:
        return title
    return POSITIONS[role][pick] if role in POSITIONS else None


def write_overdue_xlsx(rows: list, today: date, out: BinaryIO, locale: str = "vi",
                       filters: str = "") -> None:
    """The rows of `export_rows` as an Excel workbook under a title row and the as-of row
    (with the filters applied, when any), numbered, with the status words of the page
    (overdue, due today, due in n days)."""
    en = locale == "en"
    pick = 1 if en else 0
    words = {k: v[pick] for k, v in _STATUS.items()}
    overdue, due_today, soon = words["overdue"], words["today"], words["soon"]
    late = sum(1 for r in rows if r.due_on < today)
    titles = [XLSX_TITLE[pick], XLSX_AS_OF[pick].format(d=today, o=late, s=len(rows) - late)]
    if filters:
        titles.append(filters)

    def sheet_rows():
        for n, (title, unit, person, leader, leader_title, role, due_on, progress) in enumerate(
                rows, start=1):
            days = (today - due_on).days
            status = overdue if days > 0 else due_today if days == 0 else soon.format(n=-days)
            yield (n, title, unit, person, leader, _position(leader_title, role, pick), due_on,
                   progress, days if days > 0 else None, status)

    write_table(out, XLSX_SHEET[pick], [h[pick] for h in XLSX_HEADERS], sheet_rows(),
                widths=(6, 60, 28, 24, 24, 18, 14, 10, 12, 24), wrap_columns=(1, 2),
                title_rows=titles)
