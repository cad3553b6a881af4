"""Work added after issue (bổ sung) is listed beside every score, as amendments are
(docs/integrity.md "Added work is listed beside the score"): the mark every path that creates
a task sets, the tally beside the score (live, frozen, drill-down), the XLSX and CSV."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from app.assessment import browse
from app.assessment import export as ex
from app.assessment import service as assessment
from app.domain.scoring import parse_period
from app.extensions import db
from app.models import (
    AssessmentLeaderRow,
    AssessmentTaskRow,
    AssessmentUnitRow,
    Task,
    User,
)
from app.settings import current_settings
from app.tasks import commands as tasks
from tests.conftest import TODAY, issue_plans, submit_with_evidence

YEAR = parse_period("2026")


def settings():
    return current_settings().scoring


def create(actor, world, make, **kw):
    values = {"due_on": TODAY, "weight": Decimal(1), "title": "Báo cáo nhanh tình hình tuần"} | kw
    parent_id = values.pop("parent_id", None)
    data = make.task_input(world.a, world.staff, world.deputy, **values)
    return tasks.create_task(db.session.get(User, actor.id), world.plan.id, data,
                             parent_id=parent_id, today=TODAY,
                             settings=current_settings().task_rules)


@pytest.fixture
def added(world, make):
    """World's plan issued, then a weight-1 task due today added by the deputy (bổ sung),
    submitted by her staff and confirmed by the head of the plan's unit."""
    issue_plans(world.plan)
    task = create(world.deputy, world, make)
    db.session.commit()
    world.added_id = task.id
    submit_with_evidence(world.staff, task.id, "Đã xong", TODAY)
    tasks.confirm_task(db.session.get(User, world.head.id), task.id, "Đồng ý")
    db.session.commit()
    return world


def flag(task_id: int) -> bool:
    db.session.expire_all()
    return db.session.get(Task, task_id).added_after_issue


def live():
    db.session.expire_all()
    return assessment.live(YEAR, TODAY, settings(), today=TODAY)


def test_a_deputys_confirmed_addition_is_listed_beside_her_score_and_the_units(added):
    w = added
    assert flag(w.added_id) is True
    assert flag(w.task.id) is False, "a task in the plan before issue is not an addition"
    report = live()
    unit = next(r for r in report.units if r.key == w.a.id)
    deputy = next(r for r in report.leaders if r.key == w.deputy.id)
    head = next(r for r in report.leaders if r.key == w.head.id)
    assert (unit.tally.additions, deputy.tally.additions, head.tally.additions) == (1, 1, 1)
    # The figure is beside the score, it does not change it: the addition was confirmed.
    assert deputy.tally.score == Decimal("100.00")
    b = next(r for r in report.units if r.key == w.b.id)
    assert b.tally.additions == 0


def test_the_drill_down_lists_the_addition_live_and_frozen(added):
    w = added
    s = settings()
    unit = db.session.get(type(w.a), w.a.id)
    dd = browse.live_tasks(browse.live_unit_tasks(unit), YEAR, TODAY, s, None, 1, 50, today=TODAY)
    assert dd.breakdown.additions == 1 and dd.breakdown.tally.additions == 1
    assert {line.task_id: line.added for line in dd.lines}[w.added_id] is True
    assert {line.task_id: line.added for line in dd.lines}[w.task.id] is False
    only = browse.live_tasks(browse.live_unit_tasks(unit), YEAR, TODAY, s, browse.ADDED, 1, 50,
                             today=TODAY)
    assert [line.task_id for line in only.lines] == [w.added_id] and only.total == 1

    run = assessment.freeze(w.head.id, YEAR, TODAY, s, today=TODAY)
    db.session.commit()
    stored = db.session.scalar(select(AssessmentUnitRow.additions).where(
        AssessmentUnitRow.run_id == run.id, AssessmentUnitRow.unit_id == w.a.id))
    leader = db.session.scalar(select(AssessmentLeaderRow.additions).where(
        AssessmentLeaderRow.run_id == run.id, AssessmentLeaderRow.user_id == w.deputy.id))
    rows = dict(db.session.execute(select(AssessmentTaskRow.task_id, AssessmentTaskRow.added_after_issue)
                                   .where(AssessmentTaskRow.run_id == run.id)).all())
    assert (stored, leader) == (1, 1)
    assert rows[w.added_id] is True and rows[w.task.id] is False
    view = browse.open_run(db.session.get(User, w.head.id), run.id)
    row = browse.run_leader(view, w.deputy.id)
    assert row.tally.additions == 1
    dd = browse.frozen_tasks(browse.run_leader_tasks(view, row), s, browse.ADDED, 1, 50)
    assert [line.task_id for line in dd.lines] == [w.added_id]
    assert dd.breakdown.additions == 1 and dd.lines[0].added is True

    # Later edits never change a frozen run: the live figure moves, the run's stays.
    db.session.execute(update(Task).where(Task.id == w.added_id).values(added_after_issue=False))
    db.session.commit()
    assert next(r for r in live().units if r.key == w.a.id).tally.additions == 0
    again = assessment.load_run(db.session.get(type(run), run.id))
    assert next(r for r in again.units if r.key == w.a.id).tally.additions == 1


def test_a_run_frozen_before_additions_were_counted_shows_a_dash_not_a_zero(added):
    w = added
    s = settings()
    run = assessment.freeze(w.head.id, YEAR, TODAY, s, today=TODAY)
    db.session.commit()
    # As migration 0023 leaves the runs frozen before it.
    for model in (AssessmentUnitRow, AssessmentLeaderRow):
        db.session.execute(update(model).where(model.run_id == run.id).values(additions=None))
    db.session.execute(update(AssessmentTaskRow).where(AssessmentTaskRow.run_id == run.id)
                       .values(added_after_issue=None))
    db.session.commit()
    report = assessment.load_run(db.session.get(type(run), run.id))
    unit = next(r for r in report.units if r.key == w.a.id)
    assert unit.tally.additions is None
    assert browse.add_tallies([unit.tally, unit.tally]).additions is None
    view = browse.open_run(db.session.get(User, w.head.id), run.id)
    dd = browse.frozen_tasks(browse.run_unit_tasks(view, browse.run_unit(view, w.a.id)), s,
                             None, 1, 50)
    assert dd.breakdown.additions is None and {line.added for line in dd.lines} == {None}
    units = read_csv(ex.csv_bytes(report, "units"))
    col = units[0].index("Số nhiệm vụ bổ sung")
    assert next(r for r in units if r[2] == w.a.code)[col] == "—"
    rows = read_csv(ex.csv_bytes(report, "tasks"))
    col = rows[0].index("Bổ sung sau khi ban hành")
    assert {r[col] for r in rows[1:]} == {"—"}


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def sheet_table(ws, first_header: str):
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    i = next(i for i, r in enumerate(rows) if r[0] == first_header)
    return rows[i], [r for r in rows[i + 1:] if any(v is not None for v in r)]


@pytest.mark.parametrize("frozen", [False, True])
def test_the_xlsx_and_csv_list_the_addition(added, frozen):
    w = added
    s = settings()
    if frozen:
        run = assessment.freeze(w.head.id, YEAR, TODAY, s, today=TODAY)
        db.session.commit()
        report = assessment.load_run(run)
    else:
        report = live()
    wb = load_workbook(io.BytesIO(ex.xlsx_bytes(report, ("SỞ NỘI VỤ",), "Đắk Lắk", TODAY)))
    head, body = sheet_table(wb[ex.UNIT_SHEET], "STT")
    col = head.index("Số nhiệm vụ bổ sung")
    assert head[col - 1] == "Số lần điều chỉnh", "beside the amendments"
    assert next(r for r in body if r[2] == w.a.code)[col] == 1
    head, body = sheet_table(wb[ex.LEADER_SHEET], "STT")
    col = head.index("Số nhiệm vụ bổ sung")
    assert next(r for r in body if r[4] == w.deputy.username)[col] == 1
    head, body = sheet_table(wb[ex.TASK_SHEET], "STT")
    col = head.index("Bổ sung sau khi ban hành")
    by_title = {r[3]: r[col] for r in body}
    assert by_title["Báo cáo nhanh tình hình tuần"] == "Có"
    assert by_title[w.task.title] == "Không"
    units = read_csv(ex.csv_bytes(report, "units"))
    col = units[0].index("Số nhiệm vụ bổ sung")
    assert next(r for r in units if r[2] == w.a.code)[col] == "1"
    rows = read_csv(ex.csv_bytes(report, "tasks"))
    col = rows[0].index("Bổ sung sau khi ban hành")
    assert next(r for r in rows if r[3] == "Báo cáo nhanh tình hình tuần")[col] == "Có"


def test_the_heads_own_addition_is_counted_too(world, make):
    """head_confirms marks only work added below the head; added_after_issue marks every
    addition, the head's own too."""
    issue_plans(world.plan)
    task = create(world.head, world, make, weight=Decimal(3))
    db.session.commit()
    t = db.session.get(Task, task.id)
    assert (t.head_confirms, t.added_after_issue) == (False, True)
    unit = next(r for r in live().units if r.key == world.a.id)
    assert unit.tally.additions == 1


def test_tasks_of_a_draft_plan_are_not_additions(world, make):
    task = create(world.head, world, make, due_on=date(2026, 9, 30))
    db.session.commit()
    assert flag(task.id) is False
    issue_plans(world.plan)
    assert flag(task.id) is False


def test_a_breakdown_added_after_issue_is_listed_and_carries_its_parents_mark(world, make):
    """A sub-task added after issue is listed (it re-shares its parent's weight with the
    sub-tasks beside it); a sub-task of added work is added work: breaking an addition down
    does not hide it (the parent then no longer counts for the unit)."""
    issue_plans(world.plan)
    parent = create(world.head, world, make, title="Nhiệm vụ bổ sung có nhiệm vụ con")
    db.session.commit()
    child = create(world.head, world, make, title="Nhiệm vụ con", parent_id=parent.id)
    under_planned = create(world.head, world, make, title="Nhiệm vụ con của nhiệm vụ đã giao",
                           parent_id=world.task.id, due_on=world.task.due_on)
    db.session.commit()
    assert (flag(parent.id), flag(child.id), flag(under_planned.id)) == (True, True, True)
    # The unit counts the two sub-tasks, not the parents: two additions.
    assert next(r for r in live().units if r.key == world.a.id).tally.additions == 2


def test_the_pure_tally_counts_additions_as_the_sql_does():
    from app.domain.scoring import ScoringSettings, tally

    rows = [("completed", date(2026, 6, 1), date(2026, 6, 1), 1, 0, None, 0, True),
            ("assigned", date(2026, 6, 1), None, 1, 0, None, 0, False),
            ("assigned", date(2026, 6, 30), None, 1, 0)]
    assert tally(rows, TODAY, TODAY, ScoringSettings()).additions == 1


def test_a_breakdown_of_added_work_drafted_in_a_lower_plan_carries_the_mark(world, make):
    """The province adds a task led by unit A after issuing its plan; unit A breaks it down in
    its own draft plan: the sub-tasks replace the parent in A's figure, so they carry its mark
    (task_rules.added_after_issue's `parent_added`); a breakdown of planned work does not."""
    head_p = make.user(world.province, "head", "Chủ Tịch Tỉnh", "head_p")
    plan = make.plan(world.province, title="Kế hoạch CCHC năm 2026 của UBND tỉnh")
    planned = make.task(plan, head_p, world.a, world.staff, world.head, title="Nhiệm vụ đã giao",
                        due_on=date(2026, 8, 31))
    added = make.task(plan, head_p, world.a, world.staff, world.head, title="Nhiệm vụ bổ sung",
                      due_on=date(2026, 8, 31))
    issue_plans(plan)
    db.session.execute(update(Task).where(Task.id == added.id).values(added_after_issue=True))
    db.session.commit()
    kids = [create(world.head, world, make, title=f"Nhiệm vụ con {p.id}", parent_id=p.id,
                   due_on=date(2026, 7, 31)).id for p in (planned, added)]
    db.session.commit()
    assert [flag(k) for k in kids] == [False, True]
