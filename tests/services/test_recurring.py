"""Recurring rules (app/plans/recurring.py): issue makes the year's occurrences; a rule added
later makes only those not yet due; an edit changes only the free ones; a delete cancels only
the future ones, with the reason; refusals; and a head cannot use the rule to escape an
occurrence that is already due or overdue. Today is 15/06/2026 (tests/conftest.py)."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.common.errors import PermissionDenied, RuleViolation
from app.domain.status import Lifecycle
from app.extensions import db
from app.models import Amendment, AuditLog, Plan, PlanStatus, Task
from app.plans import recurring
from app.plans import service as plans
from app.plans.recurring import RuleInput
from app.settings import current_settings
from app.tasks import commands as tasks

TODAY = date(2026, 6, 15)


def rule_input(w, **kw) -> RuleInput:
    data = dict(  # noqa: C408 - written like the RuleInput it fills
        title="Báo cáo tình hình thực hiện công tác cải cách hành chính",
        description="Tổng hợp, báo cáo kết quả thực hiện nhiệm vụ CCHC của kỳ.",
        frequency="monthly", due_kind="day", due_day=20,
        assignee_id=w.staff.id, lead_unit_id=w.a.id, leader_id=w.deputy.id,
        responsibility="Chịu trách nhiệm tổng hợp số liệu và gửi báo cáo đúng hạn.",
        steps_text="Tổng hợp số liệu\nDự thảo báo cáo\nTrình ký, gửi báo cáo",
        output_product="Báo cáo CCHC của kỳ", weight=Decimal(1))
    data.update(kw)
    return RuleInput(**data)


def add(w, actor=None, **kw):
    rule, made = recurring.add_rule(actor or w.head, w.plan.id, rule_input(w, **kw), today=TODAY,
                                    settings=current_settings().task_rules)
    db.session.commit()
    return rule.id, made


def occurrences(rule_id, *, all_=False):
    db.session.expire_all()
    q = select(Task).where(Task.recurring_rule_id == rule_id).order_by(Task.order_key)
    if not all_:
        q = q.where(Task.status != Lifecycle.CANCELLED)
    return db.session.scalars(q).all()


def issue(w):
    _plan, unclear = plans.issue_plan(w.head, w.plan.id)
    db.session.commit()
    assert unclear == []


def edit(w, rule_id, actor=None, reason="Điều chỉnh theo văn bản mới", **kw):
    from app.models import RecurringRule
    version = db.session.get(RecurringRule, rule_id).version
    result = recurring.update_rule(actor or w.head, w.plan.id, rule_id, rule_input(w, **kw),
                                   version, today=TODAY, settings=current_settings().task_rules,
                                   reason=reason)
    db.session.commit()
    return result


def test_issue_makes_one_task_per_occurrence_of_the_year_each_clear(world):
    monthly, made = add(world)
    quarterly, _ = add(world, frequency="quarterly", due_kind="working_days", working_days=2,
                       title="Báo cáo quý về công tác CCHC")
    assert made == 0  # a draft has no occurrences yet
    assert occurrences(monthly) == []
    issue(world)
    months = occurrences(monthly)
    assert [t.period_code for t in months] == [f"M{m:02d}" for m in range(1, 13)]
    assert [t.stt for t in months[:2]] == ["ĐK1.1", "ĐK1.2"]
    assert months[2].due_on == months[2].original_due_on == date(2026, 3, 20)
    assert months[2].start_on == date(2026, 2, 15)
    assert all(t.is_clear and t.status == Lifecycle.ASSIGNED for t in months)
    q = occurrences(quarterly)
    assert [(t.period_code, t.due_on) for t in q] == [
        ("Q1", date(2026, 3, 17)), ("Q2", date(2026, 6, 16)), ("Q3", date(2026, 9, 16)),
        ("Q4", date(2026, 12, 16))]
    steps = db.session.scalars(select(Task).where(Task.id == months[0].id)).one()
    assert steps.id
    n_steps = db.session.scalar(select(db.func.count()).select_from(
        db.metadata.tables["process_steps"]).where(
        db.metadata.tables["process_steps"].c.task_id == months[0].id))
    assert n_steps == 3
    created = db.session.scalars(select(AuditLog.task_id).where(
        AuditLog.action == "task.create", AuditLog.task_id.in_([t.id for t in months]))).all()
    assert len(created) == 12


def test_a_rule_added_to_an_issued_plan_makes_only_occurrences_not_yet_due(world):
    issue(world)
    rule_id, made = add(world)
    periods = [t.period_code for t in occurrences(rule_id)]
    assert periods == ["M06", "M07", "M08", "M09", "M10", "M11", "M12"]  # 20/06 onwards
    assert made == 7


def test_an_edit_changes_only_the_free_occurrences(world):
    rule_id, _ = add(world)
    issue(world)
    occ = {t.period_code: t for t in occurrences(rule_id)}
    # July started, August submitted... and May overdue, June due later (free).
    tasks.record_progress(world.staff, occ["M07"].id, 20, "Đang tổng hợp", None, TODAY)
    db.session.commit()
    result = edit(world, rule_id, due_day=25, title="Báo cáo CCHC hằng tháng (sửa đổi)",
                  assignee_id=world.staff2.id)
    after = {t.period_code: t for t in occurrences(rule_id)}
    assert after["M05"].due_on == date(2026, 5, 20)       # overdue: unchanged
    assert after["M05"].title == occ["M05"].title
    assert after["M07"].due_on == date(2026, 7, 20)       # started: unchanged
    assert after["M07"].assignee_id == world.staff.id
    assert after["M06"].due_on == date(2026, 6, 25)       # free: moved, an amendment
    assert after["M06"].original_due_on == date(2026, 6, 25)
    assert after["M06"].assignee_id == world.staff2.id
    assert after["M06"].title == "Báo cáo CCHC hằng tháng (sửa đổi)"
    assert after["M06"].amendment_count == 1
    assert (result.changed, result.cancelled, result.made, result.kept) == (6, 0, 0, 6)
    amendments = db.session.scalars(select(Amendment).where(Amendment.task_id == after["M06"].id)).all()
    assert [a.reason for a in amendments] == ["Điều chỉnh theo văn bản mới"]


def test_a_frequency_change_cancels_free_periods_and_adds_new_ones(world):
    rule_id, _ = add(world)
    issue(world)
    result = edit(world, rule_id, frequency="quarterly")
    live = occurrences(rule_id)
    # Jan-May (past) stay; June-Dec free monthly ones are cancelled; Q2? due 20/06: new Q2..Q4.
    assert [t.period_code for t in live] == ["M01", "M02", "M03", "M04", "M05", "Q2", "Q3", "Q4"]
    assert (result.cancelled, result.made) == (7, 3)
    cancelled = [t for t in occurrences(rule_id, all_=True) if t.status == Lifecycle.CANCELLED]
    assert {t.cancel_reason for t in cancelled} == {"Điều chỉnh theo văn bản mới"}
    assert {t.excluded_on for t in cancelled} == {TODAY}


def test_delete_cancels_only_future_occurrences_with_the_reason(world):
    rule_id, _ = add(world)
    issue(world)
    occ = {t.period_code: t for t in occurrences(rule_id)}
    tasks.record_progress(world.staff, occ["M08"].id, 10, "", None, TODAY)
    db.session.commit()
    with pytest.raises(RuleViolation) as e:
        recurring.delete_rule(world.head, world.plan.id, rule_id, "  ", today=TODAY)
    assert e.value.field == "reason"
    db.session.rollback()
    n = recurring.delete_rule(world.head, world.plan.id, rule_id, "Không còn yêu cầu báo cáo",
                              today=TODAY)
    db.session.commit()
    assert n == 6  # June, July, September to December; August started
    live = {t.period_code: t for t in occurrences(rule_id)}
    assert sorted(live) == ["M01", "M02", "M03", "M04", "M05", "M08"]
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "recurring.delete"))
    assert row.comment == "Không còn yêu cầu báo cáo"


def test_a_head_cannot_use_the_rule_to_escape_an_overdue_or_due_occurrence(world):
    rule_id, _ = add(world, due_day=15)   # June's falls due today
    issue(world)
    before = {t.period_code: (t.id, t.due_on, t.status) for t in occurrences(rule_id)}
    # Move the due day later, change the frequency, then delete: May (overdue) and June
    # (due today) never move and are never cancelled.
    edit(world, rule_id, due_day=28)
    edit(world, rule_id, due_day=28, frequency="yearly")
    recurring.delete_rule(world.head, world.plan.id, rule_id, "Bỏ nhiệm vụ", today=TODAY)
    db.session.commit()
    after = {t.period_code: (t.id, t.due_on, t.status) for t in occurrences(rule_id)}
    for code in ("M01", "M02", "M03", "M04", "M05", "M06"):
        assert after[code] == before[code]
    assert set(after) == {"M01", "M02", "M03", "M04", "M05", "M06"}


def test_a_finished_occurrence_never_changes(world, app):
    from tests.conftest import submit_with_evidence
    rule_id, _ = add(world)
    issue(world)
    july = next(t for t in occurrences(rule_id) if t.period_code == "M07")
    submit_with_evidence(world.staff, july.id, "Đã gửi báo cáo", TODAY)
    db.session.commit()
    tasks.confirm_task(world.deputy, july.id, "Đạt")
    db.session.commit()
    edit(world, rule_id, due_day=28, title="Tên khác hẳn")
    recurring.delete_rule(world.head, world.plan.id, rule_id, "Bỏ", today=TODAY)
    db.session.commit()
    done = db.session.get(Task, july.id)
    assert (done.status, done.due_on, done.title) == (Lifecycle.COMPLETED, date(2026, 7, 20),
                                                      july.title)


def test_after_issue_only_the_head_of_the_plans_unit_edits_with_a_reason(world):
    rule_id, _ = add(world)
    issue(world)
    with pytest.raises(RuleViolation) as e:
        edit(world, rule_id, reason="", due_day=25)
    assert e.value.field == "reason"
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        edit(world, rule_id, actor=world.deputy, due_day=25)
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        add(world, actor=world.staff)


@pytest.mark.parametrize(("kw", "field"), [
    ({"due_day": 10}, "due_day"),                                       # before the 14th cut-off
    ({"due_day": 5, "due_next_month": True}, "due_day"),                # December -> January
    ({"due_kind": "working_days", "working_days": 3, "cutoff_kind": "custom", "cutoff_day": 31,
      "frequency": "quarterly"}, "working_days"),
    ({"assignee_id": None}, "assignee_id"),
    ({"output_product": ""}, "output_product"),
    ({"steps_text": ""}, "steps_text"),
])
def test_refusals_beside_the_field(world, kw, field):
    with pytest.raises(RuleViolation) as e:
        add(world, **kw)
    db.session.rollback()
    assert field in [v.field for v in e.value.violations]


def test_a_closed_plan_takes_no_rule(world):
    issue(world)
    plans.close_plan(world.head, world.plan.id)
    db.session.commit()
    with pytest.raises(RuleViolation):
        add(world)
    db.session.rollback()
    assert db.session.get(type(world.plan), world.plan.id).status == PlanStatus.CLOSED


def test_exports_show_each_occurrences_period(world):
    import io

    from openpyxl import load_workbook

    from app.plans import export as plan_export
    from app.plans.importing import read_sheet

    add(world, frequency="quarterly")
    issue(world)
    plan = db.session.get(type(world.plan), world.plan.id)
    data = plan_export.export_bytes(plan)
    wb = load_workbook(io.BytesIO(data), read_only=True)
    assert wb.sheetnames[:2] == ["Kế hoạch", "Nhiệm vụ định kỳ"]
    rows = list(wb["Nhiệm vụ định kỳ"].iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["Kỳ: Quý I/2026", "Kỳ: Quý II/2026", "Kỳ: Quý III/2026",
                                        "Kỳ: Quý IV/2026"]
    # The data sheet (what the importer reads) keeps the plan's own tasks only.
    sheet = read_sheet(data)
    assert len(sheet.rows) == 2
    doc = plan_export.print_document(plan, TODAY)
    printed = [r[1] for r in plan_export.print_rows(doc) if r[0].startswith("ĐK")]
    assert printed[1].endswith("\nKỳ: Quý II/2026")


# ---- the import: "Hằng tháng", "Hằng quý", "6 tháng", "Định kỳ" make rules -------------------

def _import(world, rows, plan_id=None):
    from app.models import Plan
    from app.plans import importing as plan_import
    from tests.plan_files import HEADERS, build

    plan = db.session.get(Plan, plan_id or world.plan.id)
    p = plan_import.preview(plan, build([HEADERS, *rows]), TODAY, world.head,
                            settings=current_settings().task_rules)
    if not p.ok:
        return p
    plan_import.apply(world.head, plan, build([HEADERS, *rows]), TODAY, "ke-hoach.xlsx",
                      settings=current_settings().task_rules)
    db.session.commit()
    return p


def test_the_import_reads_recurring_words_as_rules(world):
    from app.models import RecurringRule
    from tests.plan_files import clear_row

    rows = [clear_row("1", title="Báo cáo CCHC hằng tháng", due="Hằng tháng, trước ngày 20",
                      start=None),
            clear_row("2", title="Báo cáo CCHC hằng quý", due="Hàng quý", start=None),
            clear_row("3", title="Báo cáo CCHC 6 tháng", due=None, start=None, recurrence="6 tháng"),
            clear_row("4", title="Báo cáo định kỳ về CCHC", due="Định kỳ", start=None),
            clear_row("5")]
    p = _import(world, rows)
    assert p.ok, [e.text for e in p.errors]
    got = db.session.execute(select(RecurringRule.title, RecurringRule.frequency,
                                    RecurringRule.due_kind, RecurringRule.due_day,
                                    RecurringRule.working_days)
                             .where(RecurringRule.plan_id == world.plan.id)
                             .order_by(RecurringRule.position)).all()
    assert [tuple(r) for r in got] == [
        ("Báo cáo CCHC hằng tháng", "monthly", "day", 20, None),
        ("Báo cáo CCHC hằng quý", "quarterly", "working_days", None, 2),
        ("Báo cáo CCHC 6 tháng", "half_yearly", "working_days", None, 2),
        ("Báo cáo định kỳ về CCHC", "quarterly", "working_days", None, 2)]
    titles = db.session.scalars(select(Task.title).where(Task.plan_id == world.plan.id)).all()
    assert "Báo cáo CCHC hằng tháng" not in titles  # a rule, not a task
    # Imported again: the rules in force are left as they are.
    _import(world, rows)
    assert db.session.scalar(select(db.func.count(RecurringRule.id))
                             .where(RecurringRule.plan_id == world.plan.id)) == 4
    # Issued: each makes its occurrences.
    issue(world)
    codes = db.session.scalars(select(Task.period_code).where(
        Task.plan_id == world.plan.id, Task.period_code.is_not(None))).all()
    assert len(codes) == 12 + 4 + 2 + 4


def test_an_imported_rule_that_cannot_be_is_refused_beside_its_column(world):
    from tests.plan_files import clear_row

    p = _import(world, [clear_row("1", title="Báo cáo tháng", due="Hằng tháng, trước ngày 10",
                                  start=None),
                        clear_row("2", title="Báo cáo tuần", recurrence="Hằng tuần")])
    assert not p.ok
    texts = [e.text for e in p.errors]
    assert any("Định kỳ" in t and "14/01/2026" in t for t in texts), texts
    assert any("Hằng tuần" in t for t in texts), texts


def test_a_missing_reason_is_shown_with_the_schedules_refusal(world):
    rule_id, _ = add(world)
    issue(world)
    with pytest.raises(RuleViolation) as e:
        edit(world, rule_id, reason="", due_day=10)
    db.session.rollback()
    assert {v.field for v in e.value.violations} == {"reason", "due_day"}


def test_an_issued_plan_with_occurrences_exports_and_imports_back_unchanged(world):
    from app.models import Plan
    from app.plans import export as plan_export
    from app.plans import importing as plan_import

    add(world)
    issue(world)
    plan = db.session.get(Plan, world.plan.id)
    data = plan_export.export_bytes(plan)
    p = plan_import.preview(plan, data, TODAY, world.head, settings=current_settings().task_rules)
    assert p.ok, [e.text for e in p.errors]
    assert (p.added, p.changed) == (0, 0)


def _told(user_id, kinds=("assigned", "assigned_recurring")):
    from app.models import Notification

    return db.session.scalars(select(Notification).where(
        Notification.user_id == user_id, Notification.kind.in_(kinds))
        .order_by(Notification.id)).all()


def test_issue_tells_the_responsible_person_once_for_a_series(world, app):
    """A monthly rule does not send twelve "assigned" notices at issue: one for the series,
    naming the rule and its first due date; each occurrence is then reminded before its own
    due date by the sweep (docs/recurring.md)."""
    from app.deadlines import sweep
    from app.notifications.service import text_of

    monthly, _ = add(world)
    quarterly, _ = add(world, frequency="quarterly", title="Báo cáo quý về công tác CCHC")
    issue(world)
    months, quarters = occurrences(monthly), occurrences(quarterly)
    series = _told(world.staff.id, ("assigned_recurring",))
    assert [(n.task_id, n.about_on, n.days) for n in series] == [
        (months[0].id, date(2026, 1, 20), 12), (quarters[0].id, date(2026, 3, 20), 4)]
    # No per-occurrence "assigned" notice; the plan's ordinary task still has its own.
    occurrence_ids = {t.id for t in months + quarters}
    assert not [n for n in _told(world.staff.id, ("assigned",)) if n.task_id in occurrence_ids]
    assert world.task.id in {n.task_id for n in _told(world.staff.id, ("assigned",))}
    with app.test_request_context():
        from app.models import Notification
        n = db.session.scalars(select(Notification).where(Notification.id == series[0].id)
                               .options(selectinload(Notification.task))).one()
        assert text_of(n) == ("Được giao thực hiện nhiệm vụ định kỳ (12 kỳ, kỳ đầu đến hạn ngày "
                              "20/01/2026): Báo cáo tình hình thực hiện công tác cải cách hành chính")
    # Each occurrence is reminded before its own due date by the sweep (7 days before M07).
    sweep.sweep(date(2026, 7, 17), reminders=current_settings().reminders)
    db.session.commit()
    july = next(t for t in months if t.period_code == "M07")
    assert [n.task_id for n in _told(world.staff.id, ("due_soon",))
            if n.task_id in occurrence_ids] == [july.id]


def test_occurrences_added_after_issue_tell_the_responsible_person(world):
    issue(world)
    before = len(_told(world.staff.id))
    rule_id, made = add(world, frequency="quarterly")
    ids = [t.id for t in occurrences(rule_id)]
    told = _told(world.staff.id)[before:]
    # Once for the new occurrences (Q2 to Q4, today being 15/06), the first of them linked.
    assert [(n.kind, n.task_id, n.about_on, n.days) for n in told] == [
        ("assigned_recurring", ids[0], date(2026, 6, 20), 3)]
    assert made == len(ids) == 3


SERIES = ("assigned_recurring",)


def test_an_edit_that_changes_the_responsible_person_tells_the_new_one_once(world):
    """The occurrences an edit hands over are announced to their new holder as at issue: one
    series notice (not one per occurrence) naming the first of them; the started one stays
    with the old holder and is not counted; handing the series back tells the first again."""
    rule_id, _ = add(world)
    issue(world)
    occ = {t.period_code: t for t in occurrences(rule_id)}
    tasks.record_progress(world.staff, occ["M07"].id, 20, "Đang tổng hợp", None, TODAY)
    db.session.commit()
    assert _told(world.staff2.id, SERIES) == []  # world.task is theirs: an "assigned"
    edit(world, rule_id, assignee_id=world.staff2.id)
    told = _told(world.staff2.id, SERIES)
    # June, August..December: six free occurrences (July started, January-May past).
    assert [(n.kind, n.task_id, n.about_on, n.days) for n in told] == [
        ("assigned_recurring", occ["M06"].id, date(2026, 6, 20), 6)]
    before = len(_told(world.staff.id, SERIES))
    edit(world, rule_id, assignee_id=world.staff.id)
    again = _told(world.staff.id, SERIES)[before:]
    assert [(n.kind, n.task_id, n.about_on, n.days) for n in again] == [
        ("assigned_recurring", occ["M06"].id, date(2026, 6, 20), 6)]
    # An edit that keeps the person tells nobody.
    before = (len(_told(world.staff.id, SERIES)), len(_told(world.staff2.id, SERIES)))
    edit(world, rule_id, title="Báo cáo CCHC hằng tháng")
    assert (len(_told(world.staff.id, SERIES)), len(_told(world.staff2.id, SERIES))) == before


def test_an_edit_that_adds_periods_and_changes_the_person_sends_one_notice(world):
    rule_id, _ = add(world)
    issue(world)
    edit(world, rule_id, frequency="quarterly", assignee_id=world.staff2.id)
    q = [t for t in occurrences(rule_id) if t.period_code.startswith("Q")]
    assert [(n.kind, n.task_id, n.about_on, n.days) for n in _told(world.staff2.id, SERIES)] == [
        ("assigned_recurring", q[0].id, q[0].due_on, 3)]


def test_occurrences_added_after_issue_below_the_head_are_the_heads_to_confirm(world, make):
    """task_rules.head_confirms_addition for the recurring path: occurrences the head of the
    plan's unit adds after issue are confirmed as any task; those a file imported by a head
    above adds (or the command line) are the head's to confirm; none made at issue are."""
    head_p = make.user(world.province, "head", "Chủ Tịch Tỉnh", "head_p")
    at_issue, _ = add(world)
    issue(world)
    by_head, _ = add(world, title="Báo cáo tiến độ số hóa hằng tháng")
    plan = db.session.get(Plan, world.plan.id)
    for actor_id, title in ((head_p.id, "Báo cáo nhanh của Chủ tịch tỉnh"),
                            (None, "Báo cáo nhanh nhập từ dòng lệnh")):
        recurring.import_rules(actor_id, plan, [rule_input(world, title=title)], TODAY)
    db.session.commit()
    flags = {}
    for t in db.session.scalars(select(Task).where(Task.recurring_rule_id.is_not(None))):
        flags.setdefault(t.title, set()).add(t.head_confirms)
    assert flags == {"Báo cáo tình hình thực hiện công tác cải cách hành chính": {False},
                     "Báo cáo tiến độ số hóa hằng tháng": {False},
                     "Báo cáo nhanh của Chủ tịch tỉnh": {True},
                     "Báo cáo nhanh nhập từ dòng lệnh": {True}}, flags
    assert at_issue != by_head
    # Occurrences made at issue are the plan's; those of a rule added after issue are added
    # work (bổ sung), listed beside the score, the head's own too.
    added = {}
    for t in db.session.scalars(select(Task).where(Task.recurring_rule_id.is_not(None))):
        added.setdefault(t.title, set()).add(t.added_after_issue)
    assert added == {"Báo cáo tình hình thực hiện công tác cải cách hành chính": {False},
                     "Báo cáo tiến độ số hóa hằng tháng": {True},
                     "Báo cáo nhanh của Chủ tịch tỉnh": {True},
                     "Báo cáo nhanh nhập từ dòng lệnh": {True}}, added
