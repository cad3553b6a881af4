"""A breakdown shares its parent's weight (docs/integrity.md, "A breakdown shares its
parent's weight"): a counted sub-task weighs its parent's counted weight × its own weight /
Σ weights of the parent's counted sub-tasks that replace the parent for the same lead unit
(the unit figure) or the same leader (the leader figure). Breaking a task of weight 3
into one sub-task of weight 1, or ten of 0.1, before its due date leaves the unit's and
the leader's figures as they were.

TODAY is 15/06/2026 (tests/conftest.py); the tasks fall due in Q2."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.assessment import browse
from app.assessment import export as ex
from app.assessment import service as assessment
from app.domain import scoring
from app.domain.scoring import ScoringSettings
from app.extensions import db
from app.models import AssessmentTaskRow, Task
from tests.conftest import TODAY, issue_world_plans
from tests.services.test_counting import add

S = ScoringSettings()
Q2 = scoring.parse_period("2026-Q2")
AS_OF = date(2026, 6, 15)
DONE = {"status": "completed", "completed_on": date(2026, 5, 20)}


@pytest.fixture
def world(world, make):
    """The world with its plans issued and its own tasks moved out of Q2."""
    issue_world_plans(world)
    db.session.execute(update(Task).where(Task.id.in_([world.task.id, world.task2.id,
                                                        world.task_b.id]))
                       .values(due_on=date(2026, 7, 15), original_due_on=date(2026, 7, 15)))
    db.session.commit()
    world.draft = make.plan(world.a, kind="work", title="Kế hoạch công tác (dự thảo)")
    return world


def figures():
    return assessment.figures(Q2, AS_OF, S, today=TODAY)


def key(t):
    return (t.tasks, t.weight_due, t.credit, t.score)


# ------------------------------------------------------------ the attack

@pytest.mark.parametrize("pieces", [[Decimal(1)], [Decimal("0.1")] * 10, [Decimal(5)]])
def test_breaking_a_task_down_before_its_date_does_not_reweigh_it(world, pieces):
    """A failed task of weight 3 beside a done one of weight 1 reads 25.00; broken down
    before its date into one sub-task of weight 1 (it read 50.00 before the fix), ten of
    0.1 (it read 50.00) or one of 5 (16.67), unit A and its deputy still read 25.00."""
    add(world, stt="1", weight=Decimal(1), **DONE)
    parent = add(world, stt="2", weight=Decimal(3))                        # overdue
    before = figures()
    assert before.by_unit[world.a.id].score == Decimal("25.00")
    for i, w in enumerate(pieces):
        add(world, stt=f"2.{i + 1}", weight=w, parent=parent)             # overdue too
    after = figures()
    a, deputy = after.by_unit[world.a.id], after.by_leader[world.deputy.id]
    assert a.tasks == 1 + len(pieces)
    assert (a.weight_due, a.credit, a.score) == (Decimal(4), Decimal(1), Decimal("25.00"))
    assert (deputy.weight_due, deputy.credit, deputy.score) == (Decimal(4), Decimal(1),
                                                                 Decimal("25.00"))


def test_a_done_piece_weighs_its_share_not_its_typed_weight(world):
    """Weight 3 broken into a done sub-task of weight 0.1 and a failed one of 0.2: the done
    piece weighs 1, the failed one 2 (A reads 1/3), never 0.1 of 0.3."""
    parent = add(world, stt="2", weight=Decimal(3))
    add(world, stt="2.1", weight=Decimal("0.1"), parent=parent, **DONE)
    add(world, stt="2.2", weight=Decimal("0.2"), parent=parent)
    a = figures().by_unit[world.a.id]
    assert (a.weight_due, a.credit, a.score) == (Decimal(3), Decimal(1), Decimal("33.33"))


# ------------------------------------------------------------ per unit, per leader, levels

def test_a_parent_split_across_two_lead_units_weighs_its_weight_for_each(world):
    """Unit A's task of weight 3 (deputy_a), broken into one sub-task A keeps (weight 1,
    done) and two handed to unit B (weight 2 failed, 1 done): the sub-tasks that replace
    the parent for a unit share its weight among themselves: A counts 3, B counts 2 + 1."""
    parent = add(world, stt="3", weight=Decimal(3))
    mine = add(world, stt="3.1", weight=Decimal(1), parent=parent, **DONE)
    failed = add(world, plan=world.plan_b, unit="b", leader="deputy_b", stt="1",
                 weight=Decimal(2), parent=parent)
    done = add(world, plan=world.plan_b, unit="b", leader="deputy_b", stt="2",
               weight=Decimal(1), parent=parent, **DONE)
    f = figures()
    assert key(f.by_unit[world.a.id]) == (1, Decimal(3), Decimal(3), Decimal("100.00"))
    assert key(f.by_unit[world.b.id]) == (2, Decimal(3), Decimal(1), Decimal("33.33"))
    assert key(f.by_leader[world.deputy.id]) == (1, Decimal(3), Decimal(3), Decimal("100.00"))
    assert key(f.by_leader[world.deputy_b.id]) == (2, Decimal(3), Decimal(1), Decimal("33.33"))
    # The frozen run keeps the counted weights beside the typed ones.
    run = assessment.freeze(world.assessor.id, Q2, AS_OF, S, today=TODAY)
    db.session.commit()
    rows = {r.task_id: r for r in db.session.scalars(
        select(AssessmentTaskRow).where(AssessmentTaskRow.run_id == run.id))}
    assert (rows[mine].weight, rows[mine].unit_weight, rows[mine].leader_weight) == (1, 3, 3)
    assert (rows[failed].unit_weight, rows[done].unit_weight) == (2, 1)
    assert rows[parent].unit_weight == 3


def test_a_unit_and_a_leader_share_apart(world):
    """A parent of weight 2 (deputy_a) broken within unit A into 2.1 (deputy_a, weight 1,
    done) and 2.2 (head_a, weight 1, failed): the unit figure shares 2 between both (1 + 1);
    deputy_a's leader figure gives 2.1 the whole 2, head_a's gives 2.2 the parent's 2."""
    parent = add(world, stt="2", weight=Decimal(2))
    add(world, stt="2.1", weight=Decimal(1), parent=parent, **DONE)
    add(world, stt="2.2", weight=Decimal(1), leader="head", parent=parent)
    f = figures()
    assert key(f.by_unit[world.a.id]) == (2, Decimal(2), Decimal(1), Decimal("50.00"))
    assert key(f.by_leader[world.deputy.id]) == (1, Decimal(2), Decimal(2), Decimal("100.00"))
    assert key(f.by_leader[world.head.id]) == (1, Decimal(2), Decimal(0), Decimal("0.00"))
    # The drill-downs count what the line's figure counts and show "1 → 2" where it differs.
    unit = browse.live_tasks(browse.live_unit_tasks(world.a), Q2, AS_OF, S, None, 1, 50, today=TODAY)
    assert unit.breakdown.weight_due == 2 and not any(line.shared for line in unit.lines)
    deputy = browse.live_tasks(browse.live_leader_tasks(world.deputy, browse.Scope(None)), Q2, AS_OF,
                               S, None, 1, 50, today=TODAY)
    [line] = deputy.lines
    assert (line.weight, line.counted_weight, line.shared, line.credit) == (1, 2, True, 2)
    assert deputy.breakdown.tally.score == Decimal("100.00")
    # A frozen run and its drill-downs keep them.
    run = assessment.freeze(world.assessor.id, Q2, AS_OF, S, today=TODAY)
    db.session.commit()
    view = browse.open_run(world.assessor, run.id)
    frozen = browse.frozen_tasks(browse.run_leader_tasks(view, browse.run_leader(view, world.deputy.id)),
                                 S, None, 1, 50)
    assert [(x.weight, x.counted_weight, x.credit) for x in frozen.lines] == [(1, 2, 2)]
    assert frozen.breakdown.tally == deputy.breakdown.tally
    head_row = browse.run_leader(view, world.head.id)
    assert head_row.tally == f.by_unit[world.a.id]       # the head answers for the unit
    # The export: the typed weight, the unit's counted weight and credit, and the leader's
    # in the notes where it differs.
    for report in (assessment.load_run(run), assessment.live(Q2, AS_OF, S, today=TODAY)):
        rows = {r[2]: r for r in ex.task_rows(report) if r[1] == world.a.name}
        assert rows["2.1"][9:12] == [1, 1, 1]
        assert rows["2.1"][-1] == ex.NOTE_LEADER_WEIGHT.format(weight="2", credit="2")
        assert rows["2.2"][9:12] == [1, 1, 0]


def test_a_three_level_breakdown_shares_at_every_level(world):
    """3 → 2.1 (1, done) and 2.2 (2), and 2.2 → 2.2.1 (0.1, done) and 2.2.2 (0.3): 2.2's 2
    is shared 0.5 and 1.5, so A reads (1 + 0.5) / 3 = 50.00 whatever the typed weights."""
    parent = add(world, stt="2", weight=Decimal(3))
    add(world, stt="2.1", weight=Decimal(1), parent=parent, **DONE)
    mid = add(world, stt="2.2", weight=Decimal(2), parent=parent)
    add(world, stt="2.2.1", weight=Decimal("0.1"), parent=mid, **DONE)
    add(world, stt="2.2.2", weight=Decimal("0.3"), parent=mid)
    a = figures().by_unit[world.a.id]
    assert (a.tasks, a.weight_due, a.credit, a.score) == (3, Decimal(3), Decimal("1.5"),
                                                          Decimal("50.00"))


@pytest.mark.parametrize("child_state", [
    {"status": "cancelled", "excluded_on": date(2026, 5, 1)},   # left before its date
    {"draft": True},                                            # a draft breakdown
])
def test_only_counted_siblings_share(world, child_state):
    """A draft sub-task, or one cancelled before its date, takes no share: the counted one
    beside it weighs the parent's whole 3."""
    parent = add(world, stt="2", weight=Decimal(3))
    add(world, stt="2.1", weight=Decimal(1), parent=parent, **DONE)
    state = dict(child_state)
    plan = world.draft if state.pop("draft", False) else world.plan
    add(world, plan=plan, stt="2.2", weight=Decimal(2), parent=parent, **state)
    a = figures().by_unit[world.a.id]
    assert (a.weight_due, a.credit) == (Decimal(3), Decimal(3))


def test_siblings_all_of_weight_zero_share_equally(world):
    """Weight 3 into three sub-tasks of weight 0 cannot make the work weigh nothing."""
    parent = add(world, stt="2", weight=Decimal(3))
    add(world, stt="2.1", weight=Decimal(0), parent=parent, **DONE)
    add(world, stt="2.2", weight=Decimal(0), parent=parent)
    add(world, stt="2.3", weight=Decimal(0), parent=parent)
    a = figures().by_unit[world.a.id]
    assert (a.weight_due, a.credit, a.score) == (Decimal(3), Decimal(1), Decimal("33.33"))


# ------------------------------------------------------------ the pure rule

def test_counted_weights_pure():
    rows = [(1, None, "A", "d", Decimal(3), True),
            (2, 1, "A", "d", Decimal(1), True), (3, 1, "A", "h", Decimal(2), True),
            (4, 1, "B", "e", Decimal(5), True), (5, 1, "A", "d", Decimal(7), False),
            (6, 3, "A", "h", Decimal("0.1"), True), (7, 3, "A", "h", Decimal("0.3"), True),
            (8, 5, "A", "d", Decimal(1), True)]
    w = scoring.counted_weights(rows)
    assert w[1] == (3, 3)
    assert w[2] == (1, 3) and w[3] == (2, 3)        # unit: 3×1/3, 3×2/3; leader: alone
    assert w[4] == (3, 3)                           # unit B: alone
    assert w[5] == (7, 7)                           # not counted: its own
    assert w[6] == (Decimal("0.5"), Decimal("0.75"))
    assert w[7] == (Decimal("1.5"), Decimal("2.25"))
    assert w[8] == (7, 7)                           # under a task that is not counted


def test_weight_share_rounds_to_the_cent_half_up():
    assert scoring.weight_share(Decimal(1), Decimal(1), Decimal(3), 3) == Decimal("0.33")
    assert scoring.weight_share(Decimal(2), Decimal(1), Decimal(3), 3) == Decimal("0.67")
    assert scoring.weight_share(Decimal("0.01"), Decimal(1), Decimal(2), 2) == Decimal("0.01")
    assert scoring.weight_share(Decimal(3), Decimal(0), Decimal(0), 4) == Decimal("0.75")
