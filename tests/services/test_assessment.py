"""Assessment in SQL (app/services/assessment.py) against the pure rule book
(app/domain/scoring.py, DESIGN.md section 5), and frozen runs.

The SQL aggregation must give, for every lead unit and every accountable leader, exactly
the Tally that domain.scoring.tally gives over the same task rows, on SQLite and on
PostgreSQL. Tasks are inserted directly (no service, hence no audit rows, which the
database refuses to delete) and deleted again after each hypothesis example."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select, update

from app.assessment import service as assessment
from app.domain import scoring
from app.domain.scoring import Grade, ScoringSettings, Tally
from app.domain.status import Lifecycle
from app.extensions import db
from app.models import (
    AssessmentLeaderRow,
    AssessmentRun,
    AssessmentTaskRow,
    AssessmentUnitRow,
    AuditLog,
    Task,
    Unit,
)

YEAR_START = date(2026, 1, 1)
CONF_TODAY = date(2026, 6, 15)  # tests/conftest.py TODAY
S = ScoringSettings()
PERIODS = ["2026", "2026-H1", "2026-H2", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4",
           "2026-01", "2026-06", "2026-07", "2026-12"]


def day_in_2026():
    return st.integers(0, 364).map(lambda n: YEAR_START + timedelta(days=n))


task_spec = st.fixed_dictionaries({
    "status": st.sampled_from([s.value for s in Lifecycle]),
    "due_on": day_in_2026(),
    "completed_on": st.one_of(st.none(), day_in_2026()),
    # Numeric(8, 2): whole weights, awkward ones whose late credit has four decimals, and
    # large ones (SQLite sums in floating point: their credit must still come back exact).
    "weight": st.one_of(st.integers(0, 5).map(Decimal),
                        st.integers(1, 999).map(lambda n: Decimal(n) / 100),
                        st.integers(1, 99_999_999).map(lambda n: Decimal(n) / 100)),
    "extension_count": st.integers(0, 3),
    "unit": st.sampled_from(["a", "b", "province", None]),
    "leader": st.sampled_from(["head", "deputy", "head_b", "deputy_b", None]),
    # The day a cancelled or suspended task left (None: a legacy row), amendments, the plan
    # (an issued one, or a draft that counts for no one), and a parent among the tasks
    # before it (each piece of work counts once).
    "excluded_on": st.one_of(st.none(), day_in_2026()),
    "amendment_count": st.integers(0, 2),
    # Added after issue (bổ sung): counted beside the score, as amendments are.
    "added_after_issue": st.booleans(),
    "draft": st.sampled_from([False, False, False, True]),
    "parent": st.one_of(st.none(), st.integers(0, 30), st.integers(0, 4)),
})


def spec(**kw):
    """A task spec with the defaults of an ordinary task of the issued plan."""
    base = {"status": "in_progress", "due_on": date(2026, 3, 31), "completed_on": None,
            "weight": Decimal(1), "extension_count": 0, "unit": "a", "leader": "deputy",
            "excluded_on": None, "amendment_count": 0, "added_after_issue": False,
            "draft": False, "parent": None}
    return base | kw


@pytest.fixture
def world(world, make):
    """The shared world with its plans issued (tasks of draft plans are scored for no one),
    and a draft plan of unit A for the tasks that must not count."""
    from app.models import Plan

    db.session.execute(update(Plan).where(Plan.id.in_([world.plan.id, world.plan_b.id]))
                       .values(status="issued"))
    db.session.commit()
    world.draft_plan = make.plan(world.a, kind="work", title="Kế hoạch nháp")
    return world


def insert_tasks(w, specs) -> list[int]:
    if not specs:
        return []
    rows = []
    for sp in specs:
        sp = spec() | sp
        unit = getattr(w, sp["unit"]) if sp["unit"] else None
        leader = getattr(w, sp["leader"]) if sp["leader"] else None
        rows.append({"plan_id": (w.draft_plan if sp["draft"] else w.plan).id,
                     "owner_unit_id": w.a.id, "title": "Nhiệm vụ ngẫu nhiên",
                     "title_folded": "nhiem vu ngau nhien", "status": sp["status"],
                     "due_on": sp["due_on"], "original_due_on": sp["due_on"],
                     "completed_on": sp["completed_on"], "weight": sp["weight"],
                     "extension_count": sp["extension_count"],
                     "excluded_on": sp["excluded_on"], "amendment_count": sp["amendment_count"],
                     "added_after_issue": sp["added_after_issue"],
                     "lead_unit_id": unit.id if unit else None,
                     "leader_id": leader.id if leader else None})
    ids = list(db.session.scalars(insert(Task).returning(Task.id, sort_by_parameter_order=True), rows))
    for i, sp in enumerate(specs):
        parent = sp.get("parent")
        if parent is not None and parent < i:
            db.session.execute(update(Task).where(Task.id == ids[i]).values(parent_id=ids[parent]))
    db.session.commit()
    return ids


def cleanup(ids):
    db.session.rollback()
    if ids:
        db.session.execute(update(Task).where(Task.id.in_(ids)).values(parent_id=None))
        db.session.execute(delete(Task).where(Task.id.in_(ids)))
        db.session.commit()


def pure_counting(as_of=None):
    """Every task with its plan's status and whether it counts for its lead unit and for
    its leader, worked out row by row from domain.scoring (DESIGN.md 5)."""
    from app.models import Plan

    rows = db.session.execute(select(Task.id, Task.parent_id, Task.lead_unit_id, Task.leader_id,
                                     Task.status, Task.due_on, Task.completed_on, Task.weight,
                                     Task.extension_count, Task.excluded_on, Task.amendment_count,
                                     Task.added_after_issue, Plan.status.label("plan_status"))
                              .join(Plan, Plan.id == Task.plan_id)).all()
    children: dict = {}
    for r in rows:
        counted = r.plan_status != "draft" and not scoring.is_excluded(r.status, r.due_on, r.excluded_on)
        if r.parent_id is not None and counted:
            children.setdefault(r.parent_id, []).append(r)
    weights = scoring.counted_weights(
        (r.id, r.parent_id, r.lead_unit_id, r.leader_id, r.weight,
         r.plan_status != "draft" and not scoring.is_excluded(r.status, r.due_on, r.excluded_on))
        for r in rows)
    out = []
    for r in rows:
        kids = children.get(r.id, [])
        out.append((r, scoring.counts_once(r.lead_unit_id, [c.lead_unit_id for c in kids]),
                    scoring.counts_once(r.leader_id, [c.leader_id for c in kids]), weights[r.id]))
    return out


def pure_figures(period, as_of, s, unit_ids=None, *, today):
    """The same figures computed row by row with the pure functions."""
    # A task belongs to the period by its effective due date; one without a lead unit is
    # assessed for no one (a frozen run could not show it behind a leader's figure), nor is
    # a task of a draft plan.
    rows = [(r, cu, cl, w) for r, cu, cl, w in pure_counting()
            if r.due_on is not None and period.start <= r.due_on <= period.end
            and r.lead_unit_id is not None and r.plan_status != "draft"]
    if unit_ids is not None:
        rows = [x for x in rows if x[0].lead_unit_id in unit_ids]
    by_unit, by_leader = {}, {}
    for key, flag, out in (("lead_unit_id", 1, by_unit), ("leader_id", 2, by_leader)):
        groups = {}
        for x in rows:
            r = x[0]
            if getattr(r, key) is not None and x[flag]:
                # The counted weight (a sub-task shares its parent's), for this figure.
                groups.setdefault(getattr(r, key), []).append(
                    (r.status, r.due_on, r.completed_on, x[3][flag - 1], r.extension_count,
                     r.excluded_on, r.amendment_count, r.added_after_issue))
        for k, group in groups.items():
            out[k] = scoring.tally(group, as_of, today, s)
    return by_unit, by_leader


def assert_same(sql: dict[int, Tally], pure: dict[int, Tally]):
    assert sql.keys() == pure.keys()
    for k, b in pure.items():
        a = sql[k]
        assert a == b, (k, a, b)
        assert (a.score, a.completion_rate, a.on_time_rate) == (b.score, b.completion_rate, b.on_time_rate)
        assert scoring.grade(a.score, S) == scoring.grade(b.score, S)


# ------------------------------------------------------------ SQL = pure rule

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(task_spec, max_size=25), period_code=st.sampled_from(PERIODS),
       as_of=day_in_2026(), late=st.sampled_from([Decimal("0.75"), Decimal("0.5"), Decimal("0.8")]),
       scoped=st.booleans(), later=st.integers(0, 3))
def test_sql_figures_agree_with_pure_rule(world, specs, period_code, as_of, late, scoped, later):
    """As of today (later=0) or of a past day (the day over), with drafts, sub-tasks,
    cancellations before and after falling due."""
    s = ScoringSettings(credit_late=late)
    today = as_of + timedelta(days=later)
    period = scoring.parse_period(period_code)
    ids = insert_tasks(world, specs)
    try:
        unit_ids = [world.a.id, world.b.id] if scoped else None
        f = assessment.figures(period, as_of, s, unit_ids, today=today)
        pure_units, pure_leaders = pure_figures(period, as_of, s, unit_ids, today=today)
        assert_same(f.by_unit, pure_units)
        assert_same(f.by_leader, pure_leaders)
    finally:
        cleanup(ids)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(task_spec, max_size=20), as_of=day_in_2026(), later=st.integers(0, 1))
def test_live_rows_agree_with_pure_rule(world, specs, as_of, later):
    """The live report: a head's row is the unit's figures, a deputy's the tasks they lead."""
    period = scoring.parse_period("2026")
    today = as_of + timedelta(days=later)
    ids = insert_tasks(world, specs)
    try:
        report = assessment.live(period, as_of, S, today=today)
        pure_units, pure_leaders = pure_figures(period, as_of, S, today=today)
        for row in report.units:
            assert row.tally == pure_units.get(row.key, Tally()), row.code
            assert row.grade == scoring.grade(row.tally.score, S)
        for row in report.leaders:
            unit_id = {"head_a": world.a.id, "head_b": world.b.id}.get(row.username)
            expected = (pure_units.get(unit_id, Tally()) if row.role == "head"
                        else pure_leaders.get(row.key, Tally()))
            assert row.tally == expected, row.username
    finally:
        cleanup(ids)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(task_spec, max_size=15), as_of=day_in_2026(), scoped=st.booleans(),
       later=st.integers(0, 1))
def test_every_frozen_figure_is_the_tally_of_its_frozen_task_rows(world, specs, as_of, scoped, later):
    """A score opens to the tasks it came from: re-tallying a run's own task rows (their
    stored outcome, weight and credit) that count for the unit (or the leader) gives every
    unit and leader row of the run."""
    ids = insert_tasks(world, specs)
    try:
        run = assessment.freeze(None, scoring.parse_period("2026"), as_of, S,
                                scope_unit=world.a if scoped else None,
                                today=as_of + timedelta(days=later))
        db.session.flush()
        report = assessment.load_run(run)
        tasks = db.session.scalars(select(AssessmentTaskRow).where(AssessmentTaskRow.run_id == run.id)).all()

        def retally(rows, for_leader=False):
            # The counted weight and credit the figure counted (the unit's or the leader's).
            t = Tally()
            for r in rows:
                t.add(scoring.Outcome(r.outcome), r.leader_weight if for_leader else r.unit_weight,
                      r.extensions, S, r.amendments, r.status == "cancelled",
                      bool(r.added_after_issue))
            assert t.credit == sum(((r.leader_credit if for_leader else r.credit) for r in rows),
                                   Decimal(0))
            return t

        for u in report.units:
            assert u.tally == retally([r for r in tasks if r.unit_id == u.key
                                       and r.counts_for_unit]), u.code
        for ld in report.leaders:
            if ld.role == "head":
                unit_id = {"head_a": world.a.id, "head_b": world.b.id}[ld.username]
                mine = [r for r in tasks if r.unit_id == unit_id and r.counts_for_unit]
                assert ld.tally == retally(mine), ld.username
            else:
                mine = [r for r in tasks if r.leader_id == ld.key and r.counts_for_leader]
                assert ld.tally == retally(mine, True), ld.username
    finally:
        cleanup(ids)


def test_large_weights_sum_exactly(world):
    """Regression: SQLite sums credits in floating point and gave 1500000.0000000002 where
    the rule gives 1500000.0000; the sum is now brought back to its exact scale."""
    weights = ["123456.78", "987654.31", "555555.57", "0.01", "333333.33"]
    insert_tasks(world, [{"status": "completed", "due_on": date(2026, 1, 5),
                              "completed_on": date(2026, 1, 9), "weight": Decimal(w), "extension_count": 0,
                              "unit": "b", "leader": "deputy_b"} for w in weights])
    period, as_of = scoring.parse_period("2026"), date(2026, 6, 1)
    f = assessment.figures(period, as_of, S, today=CONF_TODAY)
    pure_units, pure_leaders = pure_figures(period, as_of, S, today=CONF_TODAY)
    assert f.by_unit[world.b.id].credit == Decimal("1500000.0000")
    assert str(f.by_unit[world.b.id].credit) == "1500000.0000"
    assert_same(f.by_unit, pure_units)
    assert_same(f.by_leader, pure_leaders)


def test_frozen_task_rows_agree_with_pure_outcome_and_credit(world):
    """The per-task contributions stored by a freeze are the pure outcome and credit."""
    specs = [
        {"status": "completed", "due_on": date(2026, 3, 31), "completed_on": date(2026, 3, 31)},
        {"status": "completed", "due_on": date(2026, 3, 31), "completed_on": date(2026, 4, 1)},
        {"status": "completed", "due_on": date(2026, 3, 31), "completed_on": date(2026, 6, 20)},
        {"status": "in_progress", "due_on": date(2026, 3, 31), "completed_on": None},
        {"status": "in_progress", "due_on": date(2026, 6, 10), "completed_on": None},
        {"status": "cancelled", "due_on": date(2026, 3, 31), "completed_on": None},
        {"status": "suspended", "due_on": date(2026, 3, 31), "completed_on": None},
    ]
    insert_tasks(world, [dict(sp, weight=Decimal("1.25"), extension_count=1, unit="a",
                              leader="deputy") for sp in specs])
    as_of = date(2026, 6, 10)
    run = assessment.freeze(world.assessor.id, scoring.parse_period("2026-H1"), as_of, S,
                            today=CONF_TODAY)
    db.session.commit()
    rows = db.session.execute(select(AssessmentTaskRow, Task).join(
        Task, Task.id == AssessmentTaskRow.task_id).where(AssessmentTaskRow.run_id == run.id)).all()
    assert len(rows) == 3 + len(specs)  # the world's three tasks are due 30/06/2026
    for frozen, task in rows:
        o = scoring.outcome(task.status, task.due_on, task.completed_on, as_of, CONF_TODAY,
                            task.excluded_on)
        assert frozen.outcome == o.value
        assert frozen.credit == scoring.credit(o, task.weight, S)


# ------------------------------------------------------------ frozen runs

def snapshot(run_id: int):
    def plain(model):
        cols = [c for c in model.__table__.columns if c.name not in ("id",)]
        return sorted(tuple(str(getattr(r, c.key)) for c in cols)
                      for r in db.session.scalars(select(model).where(model.run_id == run_id)))
    return {m.__name__: plain(m) for m in (AssessmentUnitRow, AssessmentLeaderRow, AssessmentTaskRow)}


def report_view(report):
    return ([(r.code, r.name, r.tally, r.grade) for r in report.units],
            [(r.username, r.name, r.role, r.tally, r.grade) for r in report.leaders],
            report.settings, report.as_of, report.period)


def test_frozen_run_never_changes_and_versions_stay_readable(world):
    period = scoring.parse_period("2026-Q2")
    as_of = date(2026, 6, 15)
    # world.task completed on time, world.task2 overdue as of 15/06 once its date moves to 10/06.
    db.session.execute(update(Task).where(Task.id == world.task.id)
                       .values(status="completed", completed_on=date(2026, 6, 1)))
    db.session.execute(update(Task).where(Task.id == world.task2.id).values(due_on=date(2026, 6, 10)))
    db.session.commit()

    run1 = assessment.freeze(world.assessor.id, period, as_of, S, today=CONF_TODAY)
    db.session.commit()
    assert run1.version == 1
    before = snapshot(run1.id)
    report_before = report_view(assessment.load_run(run1))
    unit_a = next(r for r in assessment.load_run(run1).units if r.code == "SNV")
    assert (unit_a.tally.on_time, unit_a.tally.overdue, unit_a.score) == (1, 1, Decimal("50.00"))

    # Edit a task, rename a unit, change the settings: the live view moves, the run does not.
    db.session.execute(update(Task).where(Task.id == world.task2.id)
                       .values(status="completed", completed_on=date(2026, 6, 12), title="Đã sửa"))
    db.session.execute(update(Unit).where(Unit.id == world.a.id).values(name="Sở Nội vụ (mới)"))
    db.session.commit()
    changed = ScoringSettings(credit_late=Decimal("0.5"), excellent_from=Decimal(95))
    live = assessment.live(period, as_of, changed, today=CONF_TODAY)
    live_a = next(r for r in live.units if r.code == "SNV")
    assert live_a.name == "Sở Nội vụ (mới)" and live_a.score == Decimal("75.00")

    db.session.expire_all()
    assert snapshot(run1.id) == before
    assert report_view(assessment.load_run(db.session.get(AssessmentRun, run1.id))) == report_before
    assert json.loads(db.session.get(AssessmentRun, run1.id).settings)["credit_late"] == "0.75"

    run2 = assessment.freeze(world.assessor.id, period, as_of, changed, today=CONF_TODAY)
    db.session.commit()
    assert run2.version == 2
    r2 = assessment.load_run(run2)
    assert r2.settings == changed
    assert next(r for r in r2.units if r.code == "SNV").score == Decimal("75.00")
    # Version 1 stays readable and unchanged.
    assert snapshot(run1.id) == before
    assert report_view(assessment.load_run(db.session.get(AssessmentRun, run1.id))) == report_before
    titles = {r.title for r in db.session.scalars(
        select(AssessmentTaskRow).where(AssessmentTaskRow.run_id == run1.id))}
    assert "Đã sửa" not in titles


def test_freeze_writes_an_audit_row(world):
    period = scoring.parse_period("2026")
    n = db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "assessment.freeze"))
    run = assessment.freeze(world.assessor.id, period, date(2026, 6, 15), S, scope_unit=world.a,
                            today=CONF_TODAY)
    db.session.commit()
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "assessment.freeze")).all()
    assert len(rows) == n + 1
    log = rows[-1]
    assert (log.actor_id, log.object_type, log.object_id) == (world.assessor.id, "assessment_run", run.id)
    changes = json.loads(log.changes)
    assert changes["period"] == [None, "2026"] and changes["scope"] == [None, "SNV"]
    assert changes["version"] == [None, 1]


def test_scoped_freeze_holds_only_the_subtree(world):
    run = assessment.freeze(world.assessor.id, scoring.parse_period("2026"), date(2026, 6, 15), S,
                            scope_unit=world.a, today=CONF_TODAY)
    db.session.commit()
    report = assessment.load_run(run)
    assert [r.code for r in report.units] == ["SNV"]
    assert {r.username for r in report.leaders} == {"head_a", "deputy_a"}
    codes = set(db.session.scalars(select(AssessmentTaskRow.unit_code)
                                   .where(AssessmentTaskRow.run_id == run.id)))
    assert codes == {"SNV"}


def test_nothing_fallen_due_is_not_rated(world):
    """World tasks are due 30/06; as of 15/06 nothing has fallen due: not rated, never 0 or 100."""
    report = assessment.live(scoring.parse_period("2026"), date(2026, 6, 15), S, today=CONF_TODAY)
    for row in report.units + report.leaders:
        assert row.score is None and row.grade == Grade.NOT_RATED


def test_a_deputy_with_no_tasks_is_not_rated_and_a_task_without_lead_unit_counts_for_no_one(world, make):
    # DESIGN.md 5: a set with nothing fallen due is "chưa đánh giá", never 0 and never 100.
    idle = make.user(world.a, "deputy", "Hoàng Văn Rảnh", "deputy_idle")
    orphan = insert_tasks(world, [{"status": "in_progress", "due_on": date(2026, 3, 31),
                                   "completed_on": None, "weight": Decimal(1), "extension_count": 1,
                                   "unit": None, "leader": "deputy"}])
    report = assessment.live(scoring.parse_period("2026"), date(2026, 6, 15), S, today=CONF_TODAY)
    row = next(r for r in report.leaders if r.key == idle.id)
    assert (row.tally.tasks, row.tally.fallen_due, row.score, row.grade) == (0, 0, None, Grade.NOT_RATED)
    assert scoring.GRADE_LABELS[row.grade][0] == "Chưa đánh giá"
    # The overdue task without a lead unit weighs on nobody: not on its accountable deputy,
    # not on any unit, not on any head.
    deputy = next(r for r in report.leaders if r.key == world.deputy.id)
    assert deputy.tally.overdue == 0 and deputy.tally.extensions == 0
    assert all(r.tally.overdue == 0 for r in report.units + report.leaders)
    run = assessment.freeze(world.assessor.id, scoring.parse_period("2026"), date(2026, 6, 15), S,
                            today=CONF_TODAY)
    db.session.commit()
    frozen = assessment.load_run(run)
    assert next(r for r in frozen.leaders if r.key == idle.id).grade == Grade.NOT_RATED
    assert db.session.scalar(select(func.count(AssessmentTaskRow.id)).where(
        AssessmentTaskRow.run_id == run.id, AssessmentTaskRow.task_id == orphan[0])) == 0


# ------------------------------------------------------------ settings from the environment

@pytest.mark.parametrize("given, expected", [
    ({}, ScoringSettings()),
    ({"credit_late": "0.5"}, ScoringSettings(credit_late=Decimal("0.5"))),
    ({"credit_late": " 0,8 "}, ScoringSettings(credit_late=Decimal("0.8"))),   # a Vietnamese comma
    ({"excellent_from": "95", "good_from": "80", "pass_from": "60", "excellent_quota": "0.25"},
     ScoringSettings(excellent_from=Decimal(95), good_from=Decimal(80), pass_from=Decimal(60),
                     excellent_quota=Decimal("0.25"))),
    ({"credit_on_time": 1, "credit_overdue": 0}, ScoringSettings()),
])
def test_scoring_settings_come_from_the_config(given, expected):
    assert assessment.settings_from_config({"SCORING_SETTINGS": given}) == expected


@pytest.mark.parametrize("given, words", [
    ({"credit_lat": "0.5"}, "unknown scoring setting(s): SCORING_CREDIT_LAT"),
    ({"credit_late": "abc"}, "SCORING_CREDIT_LATE: not a number: 'abc'"),
    ({"credit_late": ""}, "SCORING_CREDIT_LATE: not a number"),
    ({"credit_late": "nan"}, "SCORING_CREDIT_LATE: not a number"),
    ({"credit_late": "1.5"}, "SCORING_CREDIT_LATE must be between 0 and 1"),
    ({"credit_overdue": "-0.1"}, "SCORING_CREDIT_OVERDUE must be between 0 and 1"),
    ({"good_from": "95"}, "SCORING_PASS_FROM <= SCORING_GOOD_FROM <= SCORING_EXCELLENT_FROM"),
    ({"excellent_from": "101"}, "<= 100"),
    ({"excellent_quota": "2"}, "SCORING_EXCELLENT_QUOTA must be between 0 and 1"),
])
def test_a_bad_scoring_setting_is_refused_by_name(given, words):
    with pytest.raises(ValueError) as err:
        assessment.settings_from_config({"SCORING_SETTINGS": given})
    assert words in str(err.value)


SHOW_SETTINGS = """
from app import create_app
from app.assessment.service import settings_from_config
from config import Config
app = create_app(Config, SQLALCHEMY_DATABASE_URI="sqlite://")
import json
print(json.dumps(settings_from_config(app.config).as_dict()))
"""


def run_app_with(env: dict):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCORING_")}
    return subprocess.run([sys.executable, "-c", SHOW_SETTINGS], cwd=root, env={**clean, **env},
                          capture_output=True, text=True, timeout=60, check=False)


def test_scoring_settings_are_read_from_the_environment():
    done = run_app_with({"SCORING_CREDIT_LATE": "0.6", "SCORING_EXCELLENT_FROM": "92"})
    assert done.returncode == 0, done.stderr
    shown = eval(done.stdout.strip().splitlines()[-1])
    assert shown["credit_late"] == "0.6" and shown["excellent_from"] == "92"
    assert shown["good_from"] == "70"


def test_a_bad_scoring_setting_in_the_environment_stops_the_app_at_start_up():
    done = run_app_with({"SCORING_CREDIT_LATE": "bảy lăm"})
    assert done.returncode != 0
    assert "SCORING_CREDIT_LATE: not a number: 'bảy lăm'" in done.stderr
