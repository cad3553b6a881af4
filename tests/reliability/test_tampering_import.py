"""Tampering through the Excel import (issue 11, "A score the scored cannot bend"): the head,
a deputy, a staff member, another unit's head and the assessor each try, through the import
service and through the web route, the exploits of the issue that go through a file:

- back-dated completion dates for open tasks of an issued plan;
- a later due date on an issued plan;
- the head's "blank row" file (title, unit, people, dates and weight 1 only);
- a new weight for a task of an issued plan;
- a lower indicator target for a task of an issued plan (the denominator of the quality
  method "from targets"), or an indicator with a target added to one;
- a task led by a unit outside the plan's unit (the commune head's exploit), in an issued plan
  and in a draft plan, with or without a completion date;
- a completion imported into a draft plan before the task's start.

Every attempt must be refused with a message (the preview's errors, 422; the 403 page, or the
404 page for a plan outside the actor's scope) and
change no score, live (assessment.live) or frozen (assessment.freeze, read back by load_run).

Figure: [tampering] import: attempts=N refused_with_message=N score_changes_live=0
score_changes_frozen=0 (as rel_tampering.tampering_figure prints the other paths; live and
frozen)."""

import io
from datetime import date

from flask_babel import force_locale, gettext
from openpyxl import load_workbook
from rel_support import figure, freeze_run
from sqlalchemy import select, update

from app.assessment import service as assessment
from app.common.errors import PermissionDenied
from app.domain.scoring import ScoringSettings, parse_period
from app.extensions import db
from app.models import AssessmentRun, Plan, Task
from app.plans import export as plan_export
from app.plans import importing as plan_import
from app.plans import service as plans
from app.settings import current_settings
from tests.plan_docs import word
from tests.plan_files import HEADERS, build

TODAY = date(2026, 6, 15)
ACTORS = ("head", "deputy", "staff", "head_b", "assessor")
# Column positions of the template (app/services/plan_import.COLUMNS).
COL = {h: i for i, h in enumerate(HEADERS)}


def scores(run_id: int) -> tuple:
    """Every unit's and leader's figures, live and in the frozen run."""
    db.session.rollback()
    s = ScoringSettings.from_dict({})
    live = assessment.live(parse_period("2026"), TODAY, s, today=TODAY)
    frozen = assessment.load_run(db.session.get(AssessmentRun, run_id))

    def rows(report):
        return [(r.code, r.tally.score, r.grade, r.tally.fallen_due, r.tally.on_time, r.tally.late,
                 r.tally.overdue) for r in (*report.units, *report.leaders)]

    out = (rows(live), rows(frozen))
    db.session.rollback()
    return out


def tasks_state() -> list:
    db.session.rollback()
    out = [tuple(r) for r in db.session.execute(
        select(Task.id, Task.stt, Task.plan_id, Task.status, Task.completed_on, Task.due_on,
               Task.original_due_on, Task.start_on, Task.weight, Task.lead_unit_id, Task.description,
               Task.output_product, Task.indicator_name, Task.indicator_unit,
               Task.indicator_target, Task.version).order_by(Task.id))]
    db.session.rollback()
    return out


def exported(plan_id: int) -> list[list]:
    """The plan as its export gives it: what a head edits in Excel."""
    data = plan_export.export_bytes(db.session.get(Plan, plan_id))
    ws = load_workbook(io.BytesIO(data))[plan_export.DATA_SHEET]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _set(rows, stt: str, header: str, value) -> list[list]:
    out = [list(r) for r in rows]
    for r in out[1:]:
        if r[0] == stt:
            r[COL[header]] = value
    return out


def _new_row(stt, lead, assignee, leader, due, completed=None, start=date(2026, 1, 15)) -> list:
    values = {"STT": stt, "Nhiệm vụ": "Rà soát quy trình tiếp nhận hồ sơ trực tuyến",
              "Mô tả": "Rà soát toàn bộ quy trình đang áp dụng.", "Đơn vị chủ trì": lead,
              "Người thực hiện": assignee, "Lãnh đạo phụ trách": leader,
              "Trách nhiệm": "Chịu trách nhiệm về chất lượng rà soát.",
              "Quy trình": "Thống kê\nĐề xuất", "Ngày bắt đầu": start, "Hạn hoàn thành": due,
              "Sản phẩm đầu ra": "Báo cáo rà soát", "Ngày hoàn thành": completed}
    return [values.get(h) for h in HEADERS]


def exploits(w) -> list[tuple[str, int, bytes]]:
    """(name, plan id, file) of every exploit of the issue that goes through the import."""
    base = exported(w.plan.id)
    one = next(r for r in base[1:] if r[0] == w.task.stt)
    back_dated = [list(r) for r in base]
    for r in back_dated[1:]:
        r[COL["Ngày hoàn thành"]] = date(2026, 3, 1)
    blank = [None] * len(HEADERS)
    for h in ("STT", "Nhiệm vụ", "Đơn vị chủ trì", "Người thực hiện", "Lãnh đạo phụ trách",
              "Ngày bắt đầu", "Hạn hoàn thành"):
        blank[COL[h]] = one[COL[h]]
    blank[COL["Trọng số"]] = 1
    return [
        ("back-dated completions on an issued plan", w.plan.id, build(back_dated)),
        ("later due date on an issued plan", w.plan.id,
         build(_set(base, w.task.stt, "Hạn hoàn thành", date(2026, 12, 31)))),
        ("blank row with weight 1 on an issued plan", w.plan.id, build([HEADERS, blank])),
        ("weight change on an issued plan", w.plan.id,
         build(_set(base, w.task.stt, "Trọng số", 50))),
        ("lower indicator target on an issued plan", w.plan.id,
         build(_set(base, w.task.stt, "Giá trị mục tiêu", 10))),
        ("indicator with a target added on an issued plan", w.plan.id,
         build(_set(_set(_set(base, w.task2.stt, "Chỉ tiêu", "Số hồ sơ"), w.task2.stt,
                         "Đơn vị tính", "hồ sơ"), w.task2.stt, "Giá trị mục tiêu", 1))),
        ("task led by another unit in an issued plan", w.plan.id,
         build([*base, _new_row("9", "SKHCN", "staff_b", "head_b", date(2026, 12, 31))])),
        ("another unit's task completed in a draft plan", w.plan_a1.id,
         build([HEADERS, _new_row("1", "SNV", "staff_a", "head_a", date(2026, 5, 31),
                                  completed=date(2026, 5, 30))])),
        ("completion before the start in a draft plan", w.plan_a1.id,
         build([HEADERS, _new_row("1", "SNV-CCHC", None, "head_a", date(2026, 5, 31),
                                  completed=date(2026, 2, 1), start=date(2026, 3, 1))])),
        ("task led by a higher unit in another unit's draft plan", w.plan_b.id,
         build([HEADERS, _new_row("5", "SNV", "staff_a", "head_b", date(2026, 5, 31))])),
        # Issue 14: the plan as it was written, a Word table, and deadlines in words.
        ("back-dated completions on an issued plan, as a Word table", w.plan.id,
         word(_as_text(back_dated))),
        ("later due date on an issued plan, as a Word table", w.plan.id,
         word(_as_text(_set(base, w.task.stt, "Hạn hoàn thành", date(2026, 12, 31))))),
        ("weight change on an issued plan, as a Word table", w.plan.id,
         word(_as_text(_set(base, w.task.stt, "Trọng số", 50)))),
        ("later due date in words on an issued plan", w.plan.id,
         build(_set(base, w.task.stt, "Hạn hoàn thành", "Quý IV/2026"))),
        ("later due date in words on an issued plan, as a Word table", w.plan.id,
         word(_as_text(_set(base, w.task.stt, "Hạn hoàn thành", "Cả năm")))),
    ]


def _as_text(rows: list[list]) -> list[list]:
    """Rows as a Word table holds them: text only (dates as a person types them)."""
    return [[v.strftime("%d/%m/%Y") if isinstance(v, date) else v for v in r] for r in rows]


def _by_service(sw, role: str, plan_id: int, data: bytes) -> bool:
    """True when the import service refused, with a message, and wrote nothing."""
    from rel_support import actor

    who = actor(sw.w, role)
    plan = db.session.get(Plan, plan_id)
    try:
        plan_import.apply(who, plan, data, TODAY, "tampering.xlsx", settings=current_settings().task_rules)
    except plan_import.ImportRefused as e:
        ok = bool(e.preview.errors) and all(i.text for i in e.preview.errors)
    except PermissionDenied:
        ok = True   # app/errors.py answers it with the 403 page's message (the web path checks it)
    else:
        ok = False
    db.session.rollback()
    return ok


def _by_web(sw, role: str, plan_id: int, data: bytes, pages: dict) -> bool:
    """True when the upload page refused, with a message, and offered nothing to confirm."""
    c = sw.cached(role)
    resp = c.post(f"/plans/{plan_id}/import", data={"file": (io.BytesIO(data), "tampering.xlsx")},
                  content_type="multipart/form-data", follow_redirects=True)
    html = resp.get_data(as_text=True)
    if resp.status_code == 422:
        start = html.find('id="import-errors"')
        errors = html[start:html.find("</ol>", start)] if start >= 0 else ""
        # The upload is kept so that its columns may be corrected (issue 14), but there is no
        # confirm button; confirming its token anyway is refused (test_plan_import_formats_web).
        return "<li>" in errors and 'id="confirm-import"' not in html
    # 403 for a plan the actor may see, 404 for one outside their scope (both answer alike).
    return resp.status_code in pages and pages[resp.status_code] in html


def test_no_one_bends_a_score_through_the_import(sw):
    w = sw.w
    # Task 1 weighs 2 (the issue's "weight 2 → 1"); the plan is issued and the year frozen.
    # It also has an indicator, 100% targeted (the "lower indicator target" exploit).
    db.session.execute(update(Task).where(Task.id == w.task.id).values(
        weight=2, indicator_name="Tỷ lệ hồ sơ đúng hạn", indicator_unit="%",
        indicator_target=100))
    db.session.commit()
    issued, unclear = plans.issue_plan(w.head, w.plan.id)
    assert unclear == [] and issued.status == "issued"
    db.session.commit()
    run_id = freeze_run(w)
    with sw.app.test_request_context():
        pages = {403: gettext("You are not allowed to do this."),
                 404: gettext("This page does not exist or you may not see it.")}
    baseline, state = scores(run_id), tasks_state()

    attempts = refused = changes = 0
    failures = []
    for name, plan_id, data in exploits(w):
        for role in ACTORS:
            for path in ("service", "web"):
                attempts += 1
                if path == "service":
                    ok = _by_service(sw, role, plan_id, data)
                else:
                    ok = _by_web(sw, role, plan_id, data, pages)
                refused += ok
                now = scores(run_id)
                changed = now != baseline or tasks_state() != state
                changes += changed
                if not ok or changed:
                    failures.append((name, role, path, ok, changed))

    # The lowered target is refused beside its column, with the rule's message.
    data = next(d for n, _p, d in exploits(w) if n == "lower indicator target on an issued plan")
    try:
        plan_import.apply(w.head, db.session.get(Plan, w.plan.id), data, TODAY,
                          settings=current_settings().task_rules)
    except plan_import.ImportRefused as e:
        msgid = ("The plan has been issued: the indicator's name, unit and target can no "
                 "longer be changed (they decide quality scores).")
        with sw.app.test_request_context():
            locked = {gettext(msgid)}
            with force_locale("vi"):
                locked.add(gettext(msgid))
        assert any(i.column == "Giá trị mục tiêu" and any(m in i.text for m in locked)
                   for i in e.preview.errors), e.preview.errors
    else:
        raise AssertionError("the lowered target was imported")
    db.session.rollback()

    # The head's blank row alone (no weight typed) is not refused: it changes nothing at all.
    one = next(r for r in exported(w.plan.id)[1:] if r[0] == w.task.stt)
    blank = [one[i] if h in ("STT", "Nhiệm vụ", "Đơn vị chủ trì", "Người thực hiện",
                             "Lãnh đạo phụ trách", "Ngày bắt đầu", "Hạn hoàn thành") else None
             for i, h in enumerate(HEADERS)]
    p = plan_import.apply(w.head, db.session.get(Plan, w.plan.id), build([HEADERS, blank]), TODAY, settings=current_settings().task_rules)
    db.session.commit()
    assert (p.changed, p.unchanged) == (0, 1)
    assert scores(run_id) == baseline and tasks_state() == state

    # The same line as the other tampering paths (rel_tampering.tampering_figure); one count of
    # score changes covers the live figures and the frozen run together.
    line = figure("tampering", f"import: attempts={attempts} refused_with_message={refused} "
                               f"score_changes_live={changes} score_changes_frozen={changes}")
    assert failures == [], failures
    assert attempts == 15 * len(ACTORS) * 2 and refused == attempts and changes == 0, line
