"""The scoring methods through the use cases (app/quality/commands.py, queries.py): from
targets, stepped thresholds, deductions counted by the tracker or declared, bonus clipped at
its cap, key tasks only — every unit in one pass, frozen at submission, each figure opening
to its sources; and the refusals (bad parameters, a figure the head cannot type, a frozen
sheet)."""

from decimal import Decimal

import pytest
from sqlalchemy import event, select, update

from app.common.errors import NotFound, RuleViolation
from app.extensions import db
from app.models import QualityScore, QualitySheet, Task
from app.quality import commands, queries
from app.settings import current_settings

D = Decimal
CI = commands.CriterionInput


def scoring():
    return current_settings().scoring


def figures(w, units):
    return queries.auto_figures(w.mset, [u.id for u in units], w.today, w.today, scoring())


def test_every_method_for_every_unit(mworld):
    w = mworld
    f = figures(w, [w.a, w.b])
    a, b = w.a.id, w.b.id
    m = {k: c.id for k, c in w.m.items()}
    # Targets: 80/100 = 0.8; lower is better 10 vs 20 = 0.5; not reported = 0 → mean 0.4333.
    assert f[a, m["1.1"]].points == D("8.67")
    assert f[a, m["1.1"]].ratio == D("43.33")
    assert f[b, m["1.1"]].points == D("20.00")         # 60 of 50: capped at 100%
    # Stepped on the responsibility score: A 43.75% ≥ 40 → 10; B 100% → 20.
    assert (f[a, m["1.2"]].points, f[a, m["1.2"]].ratio) == (D("10.00"), D("43.75"))
    assert f[b, m["1.2"]].points == D("20.00")
    # Deductions from the tracker: one overdue (−5), one late (−4 but not below 18).
    assert (f[a, m["1.3"]].points, f[a, m["1.3"]].events) == (D("15.00"), 1)
    assert (f[a, m["1.4"]].points, f[a, m["1.4"]].events) == (D("18.00"), 1)
    assert (f[b, m["1.3"]].points, f[b, m["1.4"]].points) == (D("20.00"), D("20.00"))
    # Key tasks only: A's key task was late (0.75); B has none: does not apply.
    assert f[a, m["1.5"]].points == D("7.50")
    assert f[b, m["1.5"]].points is None
    # Declared events not entered yet: no figure.
    assert f[a, m["1.6"]].points is None


def test_the_figures_take_the_same_number_of_queries_for_one_unit_or_many(mworld, app):
    w = mworld
    counts = []
    for units in ([w.a], [w.a, w.b]):
        n = [0]

        def count(*_args, n=n):
            n[0] += 1
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            figures(w, units)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        counts.append(n[0])
    assert counts[0] == counts[1]


def test_stepped_on_targets(mworld):
    w = mworld
    s = commands.create_set(w.assessor, commands.SetInput("Bộ 3", 2026, "department", D(100)))
    c = commands.add_criterion(w.assessor, s.id, CI(None, "1", "Bậc chỉ tiêu", D(100), "stepped",
                                                    basis="targets", steps="100:100;40:50"))
    db.session.commit()
    f = queries.auto_figures(s, [w.a.id, w.b.id], w.today, w.today, scoring())
    assert f[w.a.id, c.id].points == D("50.00")       # 43.33% ≥ 40
    assert f[w.b.id, c.id].points == D("100.00")


@pytest.mark.parametrize(("data", "field"), [
    ({"method": "stepped", "steps": "90 điểm"}, "steps"),
    ({"method": "stepped", "steps": "90:30"}, "steps"),          # a step above the maximum
    ({"method": "stepped", "steps": "90:10", "basis": "people"}, "basis"),
    ({"method": "deduction", "per_event": D(1)}, "event_kind"),
    ({"method": "deduction", "event_kind": "overdue"}, "per_event"),
    ({"method": "deduction", "event_kind": "overdue", "per_event": D(0)}, "per_event"),
    ({"method": "deduction", "event_kind": "overdue", "per_event": D(50)}, "per_event"),
    ({"method": "deduction", "event_kind": "overdue", "per_event": D(1), "min_points": D(20)}, "min_points"),
    ({"method": "deduction", "event_kind": "entered", "per_event": D(1), "plan_kind": "cchc"}, "plan_kind"),
    ({"method": "manual", "is_key_only": True}, "is_key_only"),
    ({"method": "manual", "field_id": 1}, "field_id"),
    ({"method": "tasks", "field_id": 999_999}, "field_id"),
    ({"method": "bonus", "parent": True}, "parent_id"),
])
def test_bad_method_parameters_are_refused_beside_their_field(qworld, data, field):
    w = qworld
    data = dict(data)
    data.pop("parent", None)   # every row is added under field 1: a bonus may not be
    with pytest.raises(RuleViolation) as e:
        commands.add_criterion(w.assessor, w.set.id, CI(w.c["1"].id, "1.9", "Thử", D(20), **data))
    assert e.value.field == field


def test_a_bonus_over_its_cap_is_clipped_and_added_on_top(mworld):
    w = mworld
    sheet = w.msheet[w.a.id]
    row = commands.save_self_score(w.head, sheet.id, w.m["B"].id,
                                   commands.SelfScoreInput(D(8), "Bằng khen", []),
                                   current_settings().files)
    assert row.self_points == D(5)
    commands.save_self_score(w.head, sheet.id, w.m["1.6"].id,
                             commands.SelfScoreInput(None, "Hai lần chậm báo cáo", [], 2),
                             current_settings().files)
    db.session.commit()
    card = queries.scorecard(w.head, sheet.id, w.today, scoring())
    # 8.67 + 10 + 15 + 18 + 7.50 + 6 = 65.17 of 100, and the bonus 5 on top.
    assert card.self_total.scaled == D("70.17")


def test_the_head_cannot_type_a_figure_the_tracker_computes(mworld):
    w = mworld
    for code in ("1.1", "1.2", "1.3", "1.5"):
        with pytest.raises(RuleViolation):
            commands.save_self_score(w.head, w.msheet[w.a.id].id, w.m[code].id,
                                     commands.SelfScoreInput(D(20), "", []), current_settings().files)


@pytest.mark.parametrize("events", [None, -1, 10_001])
def test_declared_events_must_be_a_count(mworld, events):
    w = mworld
    with pytest.raises(RuleViolation) as e:
        commands.save_self_score(w.head, w.msheet[w.a.id].id, w.m["1.6"].id,
                                 commands.SelfScoreInput(None, "", [], events), current_settings().files)
    assert e.value.field == "events"


def test_submission_waits_for_the_declared_events_then_freezes_every_figure(mworld):
    w = mworld
    sheet = w.msheet[w.a.id]
    with pytest.raises(RuleViolation) as e:
        commands.submit_sheet(w.head, sheet.id, w.today, scoring())
    assert "1.6" in str(e.value.message)
    commands.save_self_score(w.head, sheet.id, w.m["1.6"].id,
                             commands.SelfScoreInput(None, "", [], 0), current_settings().files)
    commands.submit_sheet(w.head, sheet.id, w.today, scoring())
    db.session.commit()
    # The tracker moves after submission: the frozen figures do not.
    db.session.execute(update(Task).where(Task.id == w.overdue.id).values(
        status="completed", completed_on=w.today))
    db.session.commit()
    frozen = dict(db.session.execute(select(QualityScore.criterion_id, QualityScore.auto_points)
                                     .where(QualityScore.sheet_id == sheet.id)).all())
    assert frozen[w.m["1.3"].id] == D("15.00")
    assert frozen[w.m["1.6"].id] == D("10.00")
    card = queries.scorecard(w.head, sheet.id, w.today, scoring())
    assert next(r for r in card.rows if r.criterion.code == "1.3").events == 1
    # …and the scored head can change nothing any more.
    for code, data in (("B", commands.SelfScoreInput(D(1), "", [])),
                       ("1.6", commands.SelfScoreInput(None, "", [], 0))):
        with pytest.raises(RuleViolation):
            commands.save_self_score(w.head, sheet.id, w.m[code].id, data, current_settings().files)
    # The assessor's finalization takes the frozen figures.
    commands.finalize_sheet(w.assessor, sheet.id)
    db.session.commit()
    appraised = dict(db.session.execute(select(QualityScore.criterion_id,
                                               QualityScore.appraised_points)
                                        .where(QualityScore.sheet_id == sheet.id)).all())
    assert appraised[w.m["1.1"].id] == D("8.67")
    assert appraised[w.m["1.3"].id] == D("15.00")


def test_each_figure_opens_to_its_sources(mworld):
    w = mworld
    sid = w.msheet[w.a.id].id
    found = queries.sources(w.head, sid, w.m["1.1"].id, w.today, scoring())
    assert found.reads_targets
    assert sorted(t.achievement for t in found.tasks) == [D(0), D(50), D(80)]
    found = queries.sources(w.head, sid, w.m["1.3"].id, w.today, scoring())
    assert [t.task_id for t in found.tasks] == [w.overdue.id]
    found = queries.sources(w.head, sid, w.m["1.4"].id, w.today, scoring())
    assert [t.task_id for t in found.tasks] == [w.task2.id]
    found = queries.sources(w.assessor, sid, w.m["1.5"].id, w.today, scoring())
    assert [t.task_id for t in found.tasks] == [w.task2.id]
    with pytest.raises(NotFound):        # another unit's sheet
        queries.sources(w.head_b, sid, w.m["1.1"].id, w.today, scoring())
    with pytest.raises(NotFound):        # a declared figure has no tracker source
        queries.sources(w.head, sid, w.m["1.6"].id, w.today, scoring())


def test_copying_a_set_keeps_the_method_parameters(mworld):
    w = mworld
    copy = commands.copy_set(w.assessor, w.mset.id, 2027)
    db.session.commit()
    rows = {r.criterion.code: r.criterion for r in queries.tree(copy.id)}
    assert rows["1.2"].steps == "90:20;40:10;0:0"
    assert (rows["1.4"].event_kind, rows["1.4"].per_event, rows["1.4"].min_points) == \
        ("late", D(4), D(18))
    assert rows["1.5"].is_key_only


# ---- not applicable, declared by the unit ------------------------------------------------

@pytest.fixture
def naworld(qworld):
    w = qworld
    s = commands.create_set(w.assessor, commands.SetInput("Bộ 4", 2026, "department", D(100)))
    top = commands.add_criterion(w.assessor, s.id, CI(None, "1", "Chung", D(100), "manual"))
    w.na = commands.add_criterion(w.assessor, s.id, CI(top.id, "1.1", "Thủ tục hành chính", D(50),
                                                       "manual", is_na_allowed=True))
    w.plain = commands.add_criterion(w.assessor, s.id, CI(top.id, "1.2", "Kỷ luật", D(50), "manual"))
    commands.publish_set(w.assessor, s.id)
    db.session.commit()
    w.nasheet = db.session.scalar(select(QualitySheet).where(QualitySheet.set_id == s.id,
                                                             QualitySheet.unit_id == w.a.id))
    return w


def declare(w, c, note="Đơn vị không giải quyết thủ tục hành chính"):
    return commands.save_self_score(w.head, w.nasheet.id, c.id,
                                    commands.SelfScoreInput(None, note, [], None, True),
                                    current_settings().files)


def test_only_a_manual_criterion_may_allow_not_applicable(qworld):
    w = qworld
    with pytest.raises(RuleViolation) as e:
        commands.add_criterion(w.assessor, w.set.id, CI(w.c["2"].id, "2.9", "Thử", D(5), "tasks",
                                                        is_na_allowed=True))
    assert e.value.field == "is_na_allowed"


def test_the_unit_declares_not_applicable_with_a_reason_and_the_total_is_rescaled(naworld):
    w = naworld
    with pytest.raises(RuleViolation) as e:
        declare(w, w.na, note="")
    assert e.value.field == "note"
    with pytest.raises(RuleViolation) as e:
        declare(w, w.plain)                       # the set does not allow it there
    assert e.value.field == "not_applicable"
    declare(w, w.na)
    commands.save_self_score(w.head, w.nasheet.id, w.plain.id,
                             commands.SelfScoreInput(D(40), "", []), current_settings().files)
    commands.submit_sheet(w.head, w.nasheet.id, w.today, scoring())   # no score needed on 1.1
    db.session.commit()
    card = queries.scorecard(w.head, w.nasheet.id, w.today, scoring())
    assert (card.self_total.raw, card.self_total.applicable_max, card.self_total.scaled) == \
        (D(40), D(50), D(80))
    # The assessor overrules: the criterion counts again, with a reason.
    with pytest.raises(RuleViolation):
        commands.appraise_score(w.assessor, w.nasheet.id, w.na.id, commands.AppraisalInput(D(30), ""))
    commands.appraise_score(w.assessor, w.nasheet.id, w.na.id,
                            commands.AppraisalInput(D(30), "Đơn vị có 3 thủ tục"))
    commands.finalize_sheet(w.assessor, w.nasheet.id)
    db.session.commit()
    card = queries.scorecard(w.assessor, w.nasheet.id, w.today, scoring())
    assert card.appraised_total.scaled == D(70)
