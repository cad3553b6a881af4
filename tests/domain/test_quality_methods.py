"""The scoring methods of an indicator set's leaves (DESIGN.md 8, docs/quality.md): a table
per method, at every edge."""

from decimal import Decimal

import pytest

from app.domain.quality import (
    Leaf,
    Node,
    achievement,
    achievement_percent,
    clip_bonus,
    deduction_points,
    format_steps,
    parse_steps,
    points_from_targets,
    stepped_points,
    sum_errors,
    total,
)

D = Decimal


@pytest.mark.parametrize(("target", "actual", "direction", "expected"), [
    (D(100), D(100), "higher", D(1)),          # exactly reached
    (D(100), D(150), "higher", D(1)),          # over-achieved: capped at 100%
    (D(100), D(80), "higher", D("0.8")),
    (D(100), D(0), "higher", D(0)),
    (D(100), D(-5), "higher", D(0)),           # a negative actual is not below nothing
    (D(100), None, "higher", D(0)),            # not reported: 0
    (D(0), D(0), "higher", D(1)),              # a target of 0 is reached by anything ≥ 0
    (D(0), D(-1), "higher", D(0)),
    (D(5), D(5), "lower", D(1)),               # lower is better: at the ceiling
    (D(5), D(2), "lower", D(1)),               # under it: full
    (D(5), D(10), "lower", D("0.5")),          # twice the ceiling: half
    (D(0), D(0), "lower", D(1)),               # "no late dossier" kept
    (D(0), D(3), "lower", D(0)),               # "no late dossier" missed
    (D(5), None, "lower", D(0)),
    (None, D(5), "higher", None),              # no target: nothing to measure
    (None, None, "lower", None),
])
def test_achievement(target, actual, direction, expected):
    assert achievement(target, actual, direction) == expected


def test_achievement_percent_rounds_to_two_decimals():
    assert achievement_percent(D(3), D(2)) == D("66.67")
    assert achievement_percent(D(3), D(9), "higher") == D("100.00")
    assert achievement_percent(None, D(1)) is None


@pytest.mark.parametrize(("most", "achieved", "targets", "expected"), [
    (D(20), D(2), 2, D("20.00")),              # both reached
    (D(20), D("1.5"), 2, D("15.00")),          # 100% and 50%: mean 75%
    (D(20), D(0), 3, D("0.00")),
    (D(20), D(1), 3, D("6.67")),               # rounded half up
    (D(20), None, 0, None),                    # no target: not applicable
    (D(20), D(0), 0, None),
])
def test_points_from_targets(most, achieved, targets, expected):
    assert points_from_targets(most, achieved, targets) == expected


STEPS = [(D(90), D(10)), (D(70), D(5)), (D(0), D(0))]


@pytest.mark.parametrize(("percent", "expected"), [
    (D(100), D("10.00")),
    (D(90), D("10.00")),                       # the threshold itself is reached
    (D("89.99"), D("5.00")),
    (D(70), D("5.00")),
    (D("69.99"), D("0.00")),
    (D(0), D("0.00")),
    (None, None),                              # nothing fallen due: not applicable
])
def test_stepped(percent, expected):
    assert stepped_points(STEPS, percent) == expected


def test_stepped_below_the_lowest_step_is_zero():
    assert stepped_points([(D(95), D(10)), (D(90), D(7))], D(50)) == D(0)


@pytest.mark.parametrize(("text", "expected"), [
    ("90:10;70:5;0:0", STEPS),
    ("0: 0\n≥ 90%: 10\n70 : 5", STEPS),        # any order, lines, ≥ and %
    ("97,5: 7; 0: 0", [(D("97.5"), D(7)), (D(0), D(0))]),
])
def test_parse_steps(text, expected):
    assert parse_steps(text) == expected


@pytest.mark.parametrize("text", ["", ";", "90", "90:10:1", "abc:1", "90:x", "101:10",
                                  "-1:5", "90:-1", "90:10;90:5", "NaN:1", "Infinity:2"])
def test_parse_steps_refuses(text):
    with pytest.raises(ValueError):
        parse_steps(text)


def test_steps_round_trip():
    assert parse_steps(format_steps(STEPS)) == STEPS
    assert format_steps(STEPS) == "90:10;70:5;0:0"


@pytest.mark.parametrize(("most", "per", "events", "floor", "expected"), [
    (D(10), D(1), 0, D(0), D("10.00")),        # no event: full marks
    (D(10), D(1), 3, D(0), D("7.00")),
    (D(10), D("0.5"), 3, D(0), D("8.50")),
    (D(10), D(1), 10, D(0), D("0.00")),        # exactly down to the floor
    (D(10), D(1), 25, D(0), D("0.00")),        # never below it
    (D(10), D(2), 4, D(5), D("5.00")),         # a floor above 0
    (D(10), D(1), None, D(0), None),           # declared count not entered yet
])
def test_deduction(most, per, events, floor, expected):
    assert deduction_points(most, per, events, floor) == expected


@pytest.mark.parametrize(("points", "cap", "expected"), [
    (D(3), D(5), (D(3), False)),
    (D(5), D(5), (D(5), False)),
    (D(8), D(5), (D(5), True)),
    (D(0), D(5), (D(0), False)),
])
def test_bonus_clipped(points, cap, expected):
    assert clip_bonus(points, cap) == expected


def test_total_adds_the_bonus_after_rescaling():
    # 40 of 50 applicable points, out of 100 → 80; a bonus of 3 on top → 83.
    t = total([Leaf(D(50), D(40)), Leaf(D(50), None), Leaf(D(5), D(3), is_bonus=True)], D(100))
    assert (t.raw, t.applicable_max, t.scaled) == (D(43), D(50), D(83))


def test_total_without_bonus_unchanged():
    t = total([Leaf(D(60), D(30)), Leaf(D(40), D(40))], D(100))
    assert (t.raw, t.applicable_max, t.scaled) == (D(70), D(100), D(70))


def test_bonus_rows_are_not_in_the_sums():
    nodes = [Node(1, None, "1", D(100), True), Node(2, None, "B", D(5), True, is_bonus=True)]
    assert sum_errors(nodes, D(100)) == []
    assert sum_errors(nodes[1:], D(100)) == [("", D(100), D(0))]
