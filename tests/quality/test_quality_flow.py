"""The sheet's workflow (app/quality/flow.py): the entry window and its cut-off (server-
enforced, figures frozen set-based), staff drafts approved by the head, the explanation
round (asked once, answered once before the deadline), the history of each figure; each
refusal is tested."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.common.errors import NotFound, PermissionDenied, RuleViolation
from app.extensions import db
from app.models import AuditLog, IndicatorSet, Notification, QualityScore
from app.quality import commands, flow
from app.settings import current_settings
from app.tasks.evidence import Upload
from tests.conftest import EVIDENCE_PDF
from tests.quality.conftest import sheet_of

D = Decimal
TODAY = date(2026, 6, 15)


def publish(w):
    commands.publish_set(w.assessor, w.set.id)
    db.session.commit()


def self_score(w, user, code="1.2", points="15", today=TODAY, files=()):
    return commands.save_self_score(user, sheet_of(w, w.a).id, w.c[code].id, commands.SelfScoreInput(
        D(points), "Theo báo cáo", list(files)), current_settings().files, today)


def score_all(w, today=TODAY):
    self_score(w, w.head, "1.1", "8", today, [Upload("kh.pdf", EVIDENCE_PDF)])
    self_score(w, w.head, "1.2", "15", today)


def window(w, opens, closes, today=TODAY):
    s = flow.set_window(w.assessor, w.set.id, flow.WindowInput(opens, closes), today)
    db.session.commit()
    return s


# ---- the entry window ------------------------------------------------------------

def test_before_the_window_opens_a_unit_cannot_start(qworld):
    w = qworld
    publish(w)
    window(w, date(2026, 7, 1), date(2026, 7, 31))
    with pytest.raises(RuleViolation, match="01/07/2026"):
        self_score(w, w.head)


def test_after_the_cut_off_a_unit_can_neither_change_nor_submit(qworld):
    w = qworld
    publish(w)
    window(w, date(2026, 6, 1), date(2026, 6, 20))
    score_all(w)
    db.session.commit()
    later = date(2026, 6, 21)
    with pytest.raises(RuleViolation, match="20/06/2026"):
        self_score(w, w.head, today=later)
    with pytest.raises(RuleViolation, match="20/06/2026"):
        commands.submit_sheet(w.head, sheet_of(w, w.a).id, later, current_settings().scoring)
    # On the cut-off day itself it is still open.
    commands.submit_sheet(w.head, sheet_of(w, w.a).id, date(2026, 6, 20), current_settings().scoring)


def test_only_the_assessor_sets_the_window_and_once_open_the_cut_off_only_moves_later(qworld):
    w = qworld
    publish(w)
    for user in (w.admin, w.head, w.staff):
        with pytest.raises(PermissionDenied):
            flow.set_window(user, w.set.id, flow.WindowInput(TODAY, TODAY), TODAY)
    with pytest.raises(RuleViolation):
        flow.set_window(w.assessor, w.set.id, flow.WindowInput(TODAY, TODAY - timedelta(1)), TODAY)
    window(w, date(2026, 6, 1), date(2026, 6, 30))
    with pytest.raises(RuleViolation, match="30/06/2026"):
        flow.set_window(w.assessor, w.set.id, flow.WindowInput(date(2026, 6, 1), date(2026, 6, 25)), TODAY)
    window(w, date(2026, 6, 1), date(2026, 7, 10))
    actions = db.session.scalars(select(AuditLog.action).where(
        AuditLog.object_type == "indicator_set", AuditLog.object_id == w.set.id,
        AuditLog.action.like("quality.window%")).order_by(AuditLog.id)).all()
    assert actions == ["quality.window_open", "quality.window_extend"]


def test_at_the_cut_off_the_automatic_figures_of_open_sheets_are_frozen_once(qworld):
    w = qworld
    publish(w)
    window(w, date(2026, 6, 1), date(2026, 6, 10), today=date(2026, 6, 1))
    assert flow.freeze_due(date(2026, 6, 10), current_settings().scoring) == 0  # not yet
    frozen = flow.freeze_due(date(2026, 6, 11), current_settings().scoring)
    db.session.commit()
    assert frozen == 2  # A and B
    sheet = sheet_of(w, w.a)
    assert sheet.auto_as_of == date(2026, 6, 10)
    auto = db.session.scalar(select(QualityScore.auto_points).where(
        QualityScore.sheet_id == sheet.id, QualityScore.criterion_id == w.c["2.1"].id))
    assert auto is not None
    assert flow.freeze_due(date(2026, 6, 12), current_settings().scoring) == 0  # idempotent
    # The open sheet is then appraised as it stands.
    commands.appraise_score(w.assessor, sheet.id, w.c["2.1"].id,
                            commands.AppraisalInput(auto, ""))
    # Extending the cut-off lets the sheets still open count live again.
    window(w, date(2026, 6, 1), date(2026, 6, 30), today=date(2026, 6, 12))
    assert sheet_of(w, w.a).auto_as_of is None
    assert db.session.get(IndicatorSet, w.set.id).cutoff_frozen_at is None


def test_after_the_cut_off_a_sheet_cannot_be_sent_back_without_extending(qworld):
    w = qworld
    publish(w)
    window(w, date(2026, 6, 1), date(2026, 6, 20))
    score_all(w)
    commands.submit_sheet(w.head, sheet_of(w, w.a).id, TODAY, current_settings().scoring)
    db.session.commit()
    with pytest.raises(RuleViolation, match="extend|Gia hạn|gia hạn"):
        commands.return_sheet(w.assessor, sheet_of(w, w.a).id, "Thiếu tài liệu", date(2026, 6, 25))
    commands.return_sheet(w.assessor, sheet_of(w, w.a).id, "Thiếu tài liệu", TODAY)


# ---- staff drafts ---------------------------------------------------------------------

def draft(w, user, points="12", sheet_unit=None):
    sheet = sheet_of(w, sheet_unit or w.a)
    return flow.save_draft(user, sheet.id, w.c["1.2"].id, commands.SelfScoreInput(
        D(points), "Bản nháp của chuyên viên", []), current_settings().files, TODAY)


def test_staff_and_deputies_save_drafts_with_their_name_and_only_the_head_submits(qworld):
    w = qworld
    publish(w)
    row = draft(w, w.staff)
    assert row.draft_points == D(12) and row.draft_by_id == w.staff.id and row.self_points is None
    row = draft(w, w.deputy, "13")
    assert row.draft_by_id == w.deputy.id
    db.session.commit()
    for user in (w.staff, w.deputy):
        with pytest.raises(PermissionDenied):
            commands.submit_sheet(user, sheet_of(w, w.a).id, TODAY, current_settings().scoring)
        with pytest.raises(PermissionDenied):
            self_score(w, user)
    # The head approves by saving the score; the draft stays in the history.
    self_score(w, w.head, "1.2", "13")
    db.session.commit()
    history = flow.history(sheet_of(w, w.a).id)[row.id]
    assert [h.action for h in history] == ["quality.draft_score", "quality.draft_score",
                                           "quality.self_score"]
    assert history[0].who == w.staff.full_name


def test_a_draft_is_refused_for_another_unit_an_automatic_criterion_and_above_the_maximum(qworld):
    w = qworld
    publish(w)
    with pytest.raises(NotFound):
        draft(w, w.staff_b)  # A's sheet, B's staff
    with pytest.raises(PermissionDenied):
        draft(w, w.head)  # the head scores, not drafts
    with pytest.raises(RuleViolation):
        draft(w, w.staff, "25")  # 1.2 is worth 20
    with pytest.raises(RuleViolation):
        flow.save_draft(w.staff, sheet_of(w, w.a).id, w.c["2.1"].id, commands.SelfScoreInput(
            D(5), "", []), current_settings().files, TODAY)


def test_a_draft_after_the_cut_off_is_refused(qworld):
    w = qworld
    publish(w)
    window(w, date(2026, 6, 1), date(2026, 6, 10), today=date(2026, 6, 1))
    with pytest.raises(RuleViolation, match="10/06/2026"):
        draft(w, w.staff)


# ---- the explanation round --------------------------------------------------------------

def submitted(w):
    publish(w)
    score_all(w)
    commands.submit_sheet(w.head, sheet_of(w, w.a).id, TODAY, current_settings().scoring)
    db.session.commit()
    return sheet_of(w, w.a)


def ask(w, sheet, criterion="1.2", due=date(2026, 6, 20)):
    e = flow.ask_explanation(w.assessor, sheet.id, flow.AskInput(
        w.c[criterion].id if criterion else None, "Đề nghị giải trình số liệu", due), TODAY)
    db.session.commit()
    return e


def answer(w, user, sheet, e, today=TODAY, files=()):
    return flow.answer_explanation(user, sheet.id, e.id, flow.AnswerInput(
        "Đã bổ sung văn bản số 15/BC", list(files)), current_settings().files, today)


def test_the_unit_answers_once_with_files_before_the_deadline_and_the_head_is_notified(qworld):
    w = qworld
    sheet = submitted(w)
    e = ask(w, sheet)
    note = db.session.scalar(select(Notification).where(Notification.user_id == w.head.id,
                                                        Notification.kind == "quality_explanation"))
    assert note is not None and note.about_on == date(2026, 6, 20)
    # Finalizing waits for the answer.
    with pytest.raises(RuleViolation, match="1.2"):
        commands.finalize_sheet(w.assessor, sheet.id, TODAY)
    db.session.rollback()
    answer(w, w.head, sheet, e, files=[Upload("giai-trinh.pdf", EVIDENCE_PDF)])
    db.session.commit()
    view = flow.explanations(sheet.id, TODAY)[0]
    assert view.status == flow.ExplanationStatus.ANSWERED and len(view.files) == 1
    with pytest.raises(RuleViolation):
        answer(w, w.head, sheet, e)  # a second answer
    db.session.rollback()
    commands.finalize_sheet(w.assessor, sheet.id, TODAY)
    db.session.commit()
    # Every figure keeps its history: self, then final (who, when).
    score_id = db.session.scalar(select(QualityScore.id).where(
        QualityScore.sheet_id == sheet.id, QualityScore.criterion_id == w.c["1.2"].id))
    rows = flow.history(sheet.id)[score_id]
    assert [r.action for r in rows] == ["quality.self_score", "quality.sheet_finalize"]
    assert rows[0].changes["self_points"][1] == "15.00" or D(rows[0].changes["self_points"][1]) == 15
    assert D(rows[1].changes["final_points"][1]) == 15 and rows[1].who == w.assessor.full_name


def test_an_answer_after_the_deadline_is_refused_and_the_appraiser_may_then_finalize(qworld):
    w = qworld
    sheet = submitted(w)
    e = ask(w, sheet, None, date(2026, 6, 16))
    with pytest.raises(RuleViolation, match="16/06/2026"):
        answer(w, w.head, sheet, e, today=date(2026, 6, 17))
    db.session.rollback()
    assert flow.explanations(sheet.id, date(2026, 6, 17))[0].status == flow.ExplanationStatus.EXPIRED
    commands.finalize_sheet(w.assessor, sheet.id, date(2026, 6, 17))


def test_only_the_head_of_the_unit_answers_and_only_the_assessor_asks_once(qworld):
    w = qworld
    sheet = submitted(w)
    for user in (w.admin, w.head, w.staff):
        with pytest.raises(PermissionDenied):
            flow.ask_explanation(user, sheet.id, flow.AskInput(None, "?", TODAY), TODAY)
    e = ask(w, sheet)
    with pytest.raises(RuleViolation):
        ask(w, sheet)  # one round per criterion
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        answer(w, w.staff, sheet, e)
    with pytest.raises(NotFound):
        answer(w, w.head_b, sheet, e)  # another unit
    with pytest.raises(RuleViolation):
        flow.ask_explanation(w.assessor, sheet.id, flow.AskInput(
            None, "Quá hạn", TODAY - timedelta(1)), TODAY)


def test_an_explanation_cannot_be_asked_on_a_sheet_not_being_appraised(qworld):
    w = qworld
    publish(w)
    with pytest.raises(RuleViolation):
        flow.ask_explanation(w.assessor, sheet_of(w, w.a).id,
                             flow.AskInput(None, "Giải trình", TODAY), TODAY)


def test_the_scheduler_tick_freezes_the_sets_past_their_cut_off(qworld, app):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from app.scheduler import sweep_job

    w = qworld
    publish(w)
    window(w, date(2026, 6, 1), date(2026, 6, 10), today=date(2026, 6, 1))
    sweep_job(app, datetime(2026, 6, 11, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))
    db.session.expire_all()
    assert db.session.get(IndicatorSet, w.set.id).cutoff_frozen_at is not None
    assert sheet_of(w, w.a).auto_as_of == date(2026, 6, 10)
