"""Quality of operation use cases (app/quality): the set and its tree, the automatic
criteria counted exactly as the responsibility score, the workflow and its refusals — above
all, that the person being scored cannot bend the score."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.assessment import service as assessment
from app.common.errors import NotFound, PermissionDenied, RuleViolation
from app.domain.scoring import Grade, parse_period
from app.extensions import db
from app.models import AuditLog, QualityScore, QualitySheet
from app.quality import commands, queries
from app.settings import current_settings
from app.tasks.evidence import Upload
from tests.conftest import EVIDENCE_PDF
from tests.quality.conftest import sheet_of

D = Decimal


def files():
    return current_settings().files


def scoring():
    return current_settings().scoring


def published(w):
    n = commands.publish_set(w.assessor, w.set.id)
    db.session.commit()
    return n


def score(w, sheet, code, points, note="", uploads=()):
    return commands.save_self_score(w.head if sheet.unit_id == w.a.id else w.head_b, sheet.id,
                                    w.c[code].id, commands.SelfScoreInput(D(points), note,
                                                                          list(uploads)), files())


def pdf():
    return Upload("ke-hoach-nam.pdf", EVIDENCE_PDF)


def row(card, code):
    return next(r for r in card.rows if r.criterion.code == code)


# ---- the set ---------------------------------------------------------------------------

def test_only_admin_and_assessor_create_a_set(qworld):
    w = qworld
    data = commands.SetInput("Bộ chỉ số xã 2026", 2026, "commune", D(100))
    for actor in (w.head, w.deputy, w.staff):
        with pytest.raises(PermissionDenied):
            commands.create_set(actor, data)
    assert commands.create_set(w.admin, data).version == 1
    assert commands.create_set(w.assessor, data).version == 2


@pytest.mark.parametrize(("data", "field"), [
    (("", 2026, "department", D(100)), "name"),
    (("Bộ", 1999, "department", D(100)), "year"),
    (("Bộ", None, "department", D(100)), "year"),
    (("Bộ", 2026, "everyone", D(100)), "unit_group"),
    (("Bộ", 2026, "department", D(0)), "max_points"),
    (("Bộ", 2026, "department", D("100.001")), "max_points"),
])
def test_a_bad_set_is_refused_beside_its_field(qworld, data, field):
    with pytest.raises(RuleViolation) as e:
        commands.create_set(qworld.assessor, commands.SetInput(*data))
    assert e.value.field == field


def test_the_tree_has_three_levels_unique_codes_and_points_within_the_set(qworld):
    w = qworld
    add = commands.add_criterion
    leaf = add(w.assessor, w.set.id, commands.CriterionInput(w.c["1.1"].id, "1.1.1", "Thành phần", D(5), "manual"))
    with pytest.raises(RuleViolation) as e:
        add(w.assessor, w.set.id, commands.CriterionInput(leaf.id, "1.1.1.1", "Quá sâu", D(1), "manual"))
    assert e.value.field == "parent_id"
    with pytest.raises(RuleViolation) as e:
        add(w.assessor, w.set.id, commands.CriterionInput(None, "1", "Trùng mã", D(1), "manual"))
    assert e.value.field == "code"
    with pytest.raises(RuleViolation) as e:
        add(w.assessor, w.set.id, commands.CriterionInput(None, "9", "Quá điểm", D(101), "manual"))
    assert e.value.field == "max_points"
    with pytest.raises(RuleViolation) as e:
        add(w.assessor, w.set.id, commands.CriterionInput(None, "9", "Sai loại", D(1), "manual", "cchc"))
    assert e.value.field == "plan_kind"
    with pytest.raises(PermissionDenied):
        add(w.head, w.set.id, commands.CriterionInput(None, "9", "Không được", D(1), "manual"))


def test_a_set_whose_points_do_not_add_up_cannot_be_published_and_the_message_names_the_branch(qworld):
    w = qworld
    commands.add_criterion(w.assessor, w.set.id, commands.CriterionInput(
        w.c["1"].id, "1.3", "Thừa điểm", D(5), "manual"))
    with pytest.raises(RuleViolation) as e:
        commands.publish_set(w.assessor, w.set.id)
    messages = " ".join(str(v.message) for v in e.value.violations)
    assert messages == "Tiêu chí 1 có 30 điểm nhưng các tiêu chí con cộng lại được 35 điểm."


def test_publishing_gives_every_department_a_sheet_and_freezes_the_tree(qworld):
    w = qworld
    assert published(w) == 2                     # A and B, not the province
    assert sheet_of(w, w.province) is None
    assert db.session.scalar(select(QualityScore.id).where(
        QualityScore.criterion_id == w.c["1"].id)) is None   # branches hold no score
    with pytest.raises(RuleViolation):
        commands.add_criterion(w.assessor, w.set.id, commands.CriterionInput(None, "3", "Muộn", D(1), "manual"))
    with pytest.raises(RuleViolation):
        commands.delete_criterion(w.assessor, w.set.id, w.c["1.2"].id)


# ---- automatic criteria ------------------------------------------------------------------

def test_from_tasks_points_are_the_maximum_times_the_responsibility_score(qworld):
    w = qworld
    published(w)
    card = queries.scorecard(w.head, sheet_of(w, w.a).id, w.today, scoring())
    report = assessment.live(parse_period("2026"), w.today, scoring(), today=w.today)
    a_score = next(r.score for r in report.units if r.key == w.a.id)
    assert a_score == D("43.75")                 # (1 + 0.75 + 0) / 4
    assert row(card, "2.1").auto == D("21.88")   # 50 × 43.75%, the same counting
    assert row(card, "2.2").auto == D("17.50")   # CCHC plan only: (1 + 0.75) / 2
    card_b = queries.scorecard(w.head_b, sheet_of(w, w.b).id, w.today, scoring())
    assert row(card_b, "2.1").auto == D("50.00")
    assert row(card_b, "2.2").auto == D("20.00")


def test_the_automatic_points_follow_the_tracker_for_every_unit_in_one_pass(qworld):
    w = qworld
    published(w)
    points = queries.auto_points(w.set, [w.a.id, w.b.id], w.today, w.today, scoring())
    assert points[(w.a.id, w.c["2.1"].id)] == D("21.88")
    assert points[(w.b.id, w.c["2.1"].id)] == D("50.00")


def test_nothing_fallen_due_makes_a_criterion_not_applicable_and_the_total_is_rescaled(qworld):
    w = qworld
    published(w)
    sheet = sheet_of(w, w.a)
    score(w, sheet, "1.1", 10, uploads=[pdf()])
    score(w, sheet, "1.2", 15)
    card = queries.scorecard(w.head, sheet.id, date(2026, 3, 1), scoring())  # nothing due yet
    assert row(card, "2.1").applicable is False
    assert card.self_total.raw == D(25)
    assert card.self_total.applicable_max == D(30)
    assert card.self_total.scaled == D("83.33")  # 25 of 30, out of 100


# ---- the unit's sheet: who may do what ---------------------------------------------------

def test_the_head_scores_a_manual_criterion_with_evidence_and_it_is_audited(qworld):
    w = qworld
    published(w)
    sheet = sheet_of(w, w.a)
    s = score(w, sheet, "1.1", "9.5", "Kế hoạch số 12/KH-SNV", [pdf()])
    db.session.commit()
    assert s.self_points == D("9.5")
    card = queries.scorecard(w.head, sheet.id, w.today, scoring())
    assert [e.original_name for e in row(card, "1.1").evidence] == ["ke-hoach-nam.pdf"]
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "quality.self_score"))
    assert log.actor_id == w.head.id and "9.5" in log.changes


def test_a_criterion_requiring_evidence_is_refused_without_a_file(qworld):
    w = qworld
    published(w)
    with pytest.raises(RuleViolation) as e:
        score(w, sheet_of(w, w.a), "1.1", 10)
    assert e.value.field == "files"


def test_a_file_that_is_not_what_it_claims_is_refused(qworld):
    w = qworld
    published(w)
    with pytest.raises(RuleViolation) as e:
        score(w, sheet_of(w, w.a), "1.1", 10, uploads=[Upload("bao-cao.pdf", b"MZ not a pdf")])
    assert e.value.field == "files"


@pytest.mark.parametrize(("points", "message"), [("-1", "không được âm"), ("20.5", "Tối đa 20"),
                                                 ("1.234", "hai chữ số")])
def test_points_stay_between_zero_and_the_maximum(qworld, points, message):
    w = qworld
    published(w)
    with pytest.raises(RuleViolation) as e:
        score(w, sheet_of(w, w.a), "1.2", points)
    assert e.value.field == "points" and message in str(e.value.message)


def test_the_head_cannot_type_a_score_for_an_automatic_criterion(qworld):
    w = qworld
    published(w)
    with pytest.raises(RuleViolation) as e:
        score(w, sheet_of(w, w.a), "2.1", 50)
    assert e.value.field == "points"
    assert db.session.scalar(select(QualityScore.self_points).where(
        QualityScore.criterion_id == w.c["2.1"].id)) is None


def test_nobody_but_the_units_head_scores_its_sheet(qworld):
    w = qworld
    published(w)
    sheet = sheet_of(w, w.a)
    data = commands.SelfScoreInput(D(5), "", [])
    for actor in (w.deputy, w.staff, w.assessor, w.admin):
        with pytest.raises(PermissionDenied):
            commands.save_self_score(actor, sheet.id, w.c["1.2"].id, data, files())
    # Another unit's head does not even see it.
    with pytest.raises(NotFound):
        commands.save_self_score(w.head_b, sheet.id, w.c["1.2"].id, data, files())
    with pytest.raises(NotFound):
        queries.scorecard(w.staff_b, sheet.id, w.today, scoring())


def test_submission_needs_every_manual_score_and_freezes_the_automatic_figures(qworld):
    w = qworld
    published(w)
    sheet = sheet_of(w, w.a)
    score(w, sheet, "1.1", 10, uploads=[pdf()])
    with pytest.raises(RuleViolation) as e:
        commands.submit_sheet(w.head, sheet.id, w.today, scoring())
    assert "1.2" in str(e.value.message)
    score(w, sheet, "1.2", 18)
    with pytest.raises(PermissionDenied):
        commands.submit_sheet(w.deputy, sheet.id, w.today, scoring())
    commands.submit_sheet(w.head, sheet.id, w.today, scoring())
    db.session.commit()
    frozen = db.session.scalar(select(QualityScore.auto_points).where(
        QualityScore.sheet_id == sheet.id, QualityScore.criterion_id == w.c["2.1"].id))
    assert frozen == D("21.88")
    card = queries.scorecard(w.head, sheet.id, w.today, scoring())
    assert card.self_total.scaled == D("67.38")   # 10 + 18 + 21.88 + 17.50


def test_after_submission_the_unit_cannot_change_its_sheet(qworld):
    w = qworld
    published(w)
    sheet = sheet_of(w, w.a)
    score(w, sheet, "1.1", 10, uploads=[pdf()])
    score(w, sheet, "1.2", 18)
    commands.submit_sheet(w.head, sheet.id, w.today, scoring())
    db.session.commit()
    with pytest.raises(RuleViolation):
        score(w, sheet, "1.2", 20)
    with pytest.raises(RuleViolation):
        commands.submit_sheet(w.head, sheet.id, w.today, scoring())


def test_the_scored_head_cannot_appraise_finalize_return_or_publish(qworld):
    w = qworld
    published(w)
    sheet = sheet_of(w, w.a)
    score(w, sheet, "1.1", 10, uploads=[pdf()])
    score(w, sheet, "1.2", 18)
    commands.submit_sheet(w.head, sheet.id, w.today, scoring())
    for actor in (w.head, w.deputy, w.staff, w.admin):
        with pytest.raises(PermissionDenied):
            commands.appraise_score(actor, sheet.id, w.c["1.2"].id, commands.AppraisalInput(D(20), "x"))
        with pytest.raises(PermissionDenied):
            commands.finalize_sheet(actor, sheet.id)
        with pytest.raises(PermissionDenied):
            commands.return_sheet(actor, sheet.id, "x")
        with pytest.raises(PermissionDenied):
            commands.publish_results(actor, w.set.id, commands.PublishInput("1/QĐ", w.today), w.today)


# ---- appraisal and publication -------------------------------------------------------------

def _submitted(w, unit, head, manual=(10, 18)):
    sheet = sheet_of(w, unit)
    commands.save_self_score(head, sheet.id, w.c["1.1"].id,
                             commands.SelfScoreInput(D(manual[0]), "", [pdf()]), files())
    commands.save_self_score(head, sheet.id, w.c["1.2"].id,
                             commands.SelfScoreInput(D(manual[1]), "", []), files())
    commands.submit_sheet(head, sheet.id, w.today, scoring())
    db.session.commit()
    return sheet


def test_changing_the_units_figure_needs_a_reason_and_keeps_both_in_the_audit(qworld):
    w = qworld
    published(w)
    sheet = _submitted(w, w.a, w.head)
    with pytest.raises(RuleViolation) as e:
        commands.appraise_score(w.assessor, sheet.id, w.c["1.2"].id, commands.AppraisalInput(D(12), ""))
    assert e.value.field == "reason"
    # Accepting the unit's figure needs no reason; points stay within the maximum.
    commands.appraise_score(w.assessor, sheet.id, w.c["1.1"].id, commands.AppraisalInput(D(10), ""))
    with pytest.raises(RuleViolation):
        commands.appraise_score(w.assessor, sheet.id, w.c["1.2"].id, commands.AppraisalInput(D(21), "x"))
    commands.appraise_score(w.assessor, sheet.id, w.c["1.2"].id,
                            commands.AppraisalInput(D(12), "Có 2 văn bản trễ hạn"))
    db.session.commit()
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "quality.appraise")
                             .order_by(AuditLog.id)).all()[-1]
    assert log.comment == "Có 2 văn bản trễ hạn" and '"18' in log.changes and '"12' in log.changes


def test_finalize_takes_the_units_figure_where_not_appraised_then_results_rank_and_lock(qworld):
    w = qworld
    published(w)
    a = _submitted(w, w.a, w.head)
    b = _submitted(w, w.b, w.head_b, manual=(9, 20))
    commands.appraise_score(w.assessor, a.id, w.c["1.2"].id, commands.AppraisalInput(D(12), "Trễ hạn"))
    commands.finalize_sheet(w.assessor, a.id)
    db.session.commit()
    with pytest.raises(RuleViolation) as e:   # B is not appraised yet
        commands.publish_results(w.assessor, w.set.id, commands.PublishInput("15/QĐ-UBND", w.today), w.today)
    assert "SKHCN" in str(e.value.message)
    commands.finalize_sheet(w.assessor, b.id)
    with pytest.raises(RuleViolation) as e:
        commands.publish_results(w.assessor, w.set.id, commands.PublishInput("15/QĐ-UBND", date(2026, 7, 1)), w.today)
    assert e.value.field == "decision_on"
    commands.publish_results(w.assessor, w.set.id, commands.PublishInput("15/QĐ-UBND", w.today), w.today)
    db.session.commit()
    _s, rows = queries.ranking(w.head, w.set.id, scoring())
    assert [(r.unit_code, r.appraised_total, r.rank, r.grade) for r in rows] == [
        ("SKHCN", D("99.00"), 1, Grade.EXCELLENT),       # 9 + 20 + 50 + 20
        ("SNV", D("61.38"), 2, Grade.PASS),              # 10 + 12 + 21.88 + 17.50
    ]
    assert rows[1].self_total == D("67.38")
    assert db.session.get(QualitySheet, a.id).status == "published"
    with pytest.raises(RuleViolation):
        commands.appraise_score(w.assessor, a.id, w.c["1.2"].id, commands.AppraisalInput(D(20), "x"))
    with pytest.raises(RuleViolation):
        commands.return_sheet(w.assessor, a.id, "x")


def test_a_unit_sees_the_ranking_only_once_published(qworld):
    w = qworld
    published(w)
    with pytest.raises(NotFound):
        queries.ranking(w.head, w.set.id, scoring())
    assert queries.ranking(w.assessor, w.set.id, scoring())[1]


def test_a_returned_sheet_opens_again_for_the_unit(qworld):
    w = qworld
    published(w)
    sheet = _submitted(w, w.a, w.head)
    with pytest.raises(RuleViolation) as e:
        commands.return_sheet(w.assessor, sheet.id, " ")
    assert e.value.field == "reason"
    commands.return_sheet(w.assessor, sheet.id, "Bổ sung tài liệu kiểm chứng")
    score(w, sheet, "1.2", 19)
    assert db.session.get(QualitySheet, sheet.id).status == "open"


def test_last_years_set_is_copied_as_a_new_draft_with_its_tree(qworld):
    w = qworld
    published(w)
    with pytest.raises(PermissionDenied):
        commands.copy_set(w.head, w.set.id, 2027)
    with pytest.raises(RuleViolation) as e:
        commands.copy_set(w.assessor, w.set.id, 3000)
    assert e.value.field == "year"
    copy = commands.copy_set(w.assessor, w.set.id, 2027)
    db.session.commit()
    assert (copy.year, copy.unit_group, copy.status, copy.version) == (2027, "department", "draft", 1)
    assert copy.name == "Bộ chỉ số các sở, ban, ngành năm 2027"
    rows = queries.tree(copy.id)
    assert [(r.criterion.code, r.depth, r.criterion.method, r.criterion.plan_kind) for r in rows] == [
        ("1", 0, "manual", None), ("1.1", 1, "manual", None), ("1.2", 1, "manual", None),
        ("2", 0, "manual", None), ("2.1", 1, "tasks", None), ("2.2", 1, "tasks", "cchc")]
    assert rows[1].criterion.is_evidence_required
    assert commands.publish_set(w.assessor, copy.id) == 2      # it adds up: publishable
