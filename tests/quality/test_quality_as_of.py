"""Red team (session 7): the head chooses the day she submits, so she must not choose the day
her unit's automatic figures are judged on. DESIGN.md 8: "at the cut-off the automatic criteria
are computed and frozen". A sheet submitted before the cut-off (or, without a window, before
the year's end) has its automatic figures judged again as of the cut-off, or when the assessor
finalizes it; a task that falls due between the submission and the cut-off and is missed counts
as it would for a unit that left its sheet open."""

from datetime import date
from decimal import Decimal

from sqlalchemy import select, update

from app.extensions import db
from app.models import QualityScore, Task
from app.quality import commands, flow, queries
from app.settings import current_settings
from tests.quality.conftest import sheet_of
from tests.quality.test_quality_flow import publish, score_all, window

D = Decimal
SUBMITTED_ON = date(2026, 6, 15)


def missed_after_submission(w, make, due=date(2026, 6, 25)):
    """A task of A (weight 2), due after the head submits and never done."""
    t = make.task(w.plan, w.head, w.a, w.staff, w.deputy, title="Báo cáo sơ kết 6 tháng",
                  weight=D(2), due_on=date(2026, 9, 30))
    db.session.execute(update(Task).where(Task.id == t.id).values(due_on=due, original_due_on=due))
    db.session.commit()
    return t


def auto_of(w, code="2.1"):
    db.session.expire_all()
    return db.session.scalar(select(QualityScore.auto_points).where(
        QualityScore.sheet_id == sheet_of(w, w.a).id, QualityScore.criterion_id == w.c[code].id))


def figure_as_of(w, as_of, today, code="2.1"):
    s = w.set
    return queries.auto_figures(s, [w.a.id], as_of, today, current_settings().scoring)[
        (w.a.id, w.c[code].id)].points


def test_submitting_before_the_cut_off_does_not_leave_out_what_falls_due_before_it(qworld, make):
    w = qworld
    publish(w)
    window(w, date(2026, 6, 1), date(2026, 6, 30))
    missed_after_submission(w, make)
    score_all(w)
    commands.submit_sheet(w.head, sheet_of(w, w.a).id, SUBMITTED_ON, current_settings().scoring)
    db.session.commit()
    early = auto_of(w)
    at_cutoff = figure_as_of(w, date(2026, 6, 30), date(2026, 7, 1))
    assert at_cutoff < early   # the missed task weighs on the unit as of the cut-off
    flow.freeze_due(date(2026, 7, 1), current_settings().scoring)
    db.session.commit()
    assert sheet_of(w, w.a).auto_as_of == date(2026, 6, 30)
    assert auto_of(w) == at_cutoff
    # Idempotent: the next tick changes nothing.
    assert flow.freeze_due(date(2026, 7, 2), current_settings().scoring) == 0


def test_without_a_window_the_assessor_finalizing_judges_the_figures_not_the_submission(qworld, make):
    w = qworld
    publish(w)
    missed_after_submission(w, make)
    score_all(w)
    commands.submit_sheet(w.head, sheet_of(w, w.a).id, SUBMITTED_ON, current_settings().scoring)
    db.session.commit()
    later = date(2027, 1, 10)
    commands.finalize_sheet(w.assessor, sheet_of(w, w.a).id, later, current_settings().scoring)
    db.session.commit()
    assert sheet_of(w, w.a).auto_as_of == date(2026, 12, 31)
    year_end = figure_as_of(w, date(2026, 12, 31), later)
    assert auto_of(w) == year_end
    appraised = db.session.scalar(select(QualityScore.appraised_points).where(
        QualityScore.sheet_id == sheet_of(w, w.a).id, QualityScore.criterion_id == w.c["2.1"].id))
    assert appraised == year_end
