"""Assessment pages: the live view (as of today), drill-downs to the tasks behind every
figure, charts, frozen runs with their versions, downloads and a printable report."""

import re
import tempfile
from dataclasses import dataclass
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app import boundary
from app.assessment import browse
from app.assessment import export as assessment_export
from app.assessment import service as assessment
from app.assessment.forms import AssessmentFilterForm, FinalGradeForm, FreezeForm
from app.clock import local_today
from app.common import access
from app.common.errors import RuleViolation
from app.domain.scoring import (
    GRADE_LABELS,
    Grade,
    Outcome,
    Period,
    ScoringSettings,
    default_as_of,
    grade,
    parse_period,
)
from app.extensions import db
from app.filters import number
from app.formfields import parse_date
from app.models import Role, User
from app.org import people
from app.quality import queries as quality
from app.reports import charts, document
from app.reports.word import DOCX_MIMETYPE
from app.reports.xlsx import XLSX_MIMETYPE
from app.settings import current_settings

bp = Blueprint("assessment", __name__)


READERS = (Role.ADMIN, Role.ASSESSOR, Role.HEAD, Role.DEPUTY)
OUTCOME_LABELS = {
    Outcome.ON_TIME: _l("Completed on time"),
    Outcome.LATE: _l("Completed late"),
    Outcome.OVERDUE: _l("Overdue, not completed"),
    Outcome.WITHIN: _l("Within deadline"),
    Outcome.EXCLUDED: _l("Suspended or cancelled"),
}
OUTCOME_CLASSES = {
    Outcome.ON_TIME: "text-bg-success",
    Outcome.LATE: "text-bg-warning",
    Outcome.OVERDUE: "text-bg-danger",
    Outcome.WITHIN: "text-bg-primary",
    Outcome.EXCLUDED: "text-bg-light",
}
FILTER_LABELS = {
    "due": _l("Fallen due"),
    "on_time": _l("Completed on time"),
    "late": _l("Completed late"),
    "overdue": _l("Overdue, not completed"),
    "within": _l("Within deadline"),
    "excluded": _l("Suspended or cancelled"),
    "completed": _l("Completed"),
    "extended": _l("Deadline extended"),
    "added": _l("Added after issue"),
}
GRADE_CLASSES = {
    Grade.EXCELLENT: "text-bg-success",
    Grade.GOOD: "text-bg-primary",
    Grade.PASS: "text-bg-info",
    Grade.FAIL: "text-bg-danger",
    Grade.NOT_RATED: "text-bg-light",
}
CSV_NAMES = {"units": "don-vi", "leaders": "lanh-dao", "tasks": "nhiem-vu"}


def _en() -> bool:
    return str(get_locale()) == "en"


def grade_label(g) -> str:
    return GRADE_LABELS[Grade(g)][1 if _en() else 0]


def period_label(code: str) -> str:
    """"Quý II năm 2026", as the exports name it (one function: services.assessment)."""
    return assessment.period_label(code, english=_en())


# The quota groups (domain.scoring.quota_group): units of one kind are compared together.
QUOTA_GROUP_LABELS = {
    "province": _l("provinces and cities"),
    "department": _l("departments and agencies"),
    "office": _l("offices and centres"),
    "section": _l("sections of a unit"),
    "commune": _l("communes, wards and special zones"),
    "other": _l("other units"),
}


def can_record_final() -> bool:
    """The assessor records the competent authority's final grade; nobody else."""
    return current_user.is_authenticated and current_user.has_role(Role.ASSESSOR)


@bp.context_processor
def labels() -> dict:
    return {"grade_label": grade_label, "GRADE_CLASSES": GRADE_CLASSES,
            "OUTCOME_LABELS": OUTCOME_LABELS, "OUTCOME_CLASSES": OUTCOME_CLASSES,
            "FILTER_LABELS": FILTER_LABELS, "period_label": period_label,
            "QUOTA_GROUP_LABELS": QUOTA_GROUP_LABELS, "can_record_final": can_record_final()}


def _settings() -> ScoringSettings:
    return current_settings().scoring


def _reader() -> None:
    if not current_user.has_role(*READERS):
        abort(403)


def _int_arg(name: str, default: int = 1) -> int:
    try:
        return max(1, min(int(request.args.get(name, default)), 100000))
    except ValueError:
        return default


def current_quarter(today: date) -> str:
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def period_choices(years) -> dict:
    """The picker's options, one group per year: the year, its halves, quarters, months."""
    out = {}
    for y in sorted(set(years), reverse=True):
        codes = [str(y), f"{y}-H1", f"{y}-H2", *(f"{y}-Q{q}" for q in range(1, 5)),
                 *(f"{y}-{m:02d}" for m in range(1, 13))]
        out[_("Year %(year)s", year=y)] = [(c, period_label(c)) for c in codes]
    return out


# ---- what the query string asks for --------------------------------------------

@dataclass
class Query:
    period: Period
    as_of: date
    scope: browse.Scope
    unit_id: int | None     # the unit the reader narrowed the view to

    def args(self) -> dict:
        out = {"period": self.period.code, "as_of": self.as_of.strftime("%d/%m/%Y")}
        if self.unit_id is not None:
            out["unit"] = self.unit_id
        return out


def _filter_form() -> tuple[AssessmentFilterForm, Query | None]:
    """The picker filled from the query string, and what it asks for (None, with a
    message beside each bad field, when it asks for something impossible)."""
    today = local_today()
    form = AssessmentFilterForm(formdata=request.args)
    code = (request.args.get("period") or "").strip() or current_quarter(today)
    years = set(range(today.year - 3, today.year + 2))
    period = None
    try:
        period = parse_period(code)
        years.add(period.start.year)
    except ValueError:
        pass
    form.period.choices = period_choices(years)
    units = browse.narrowing_units(current_user)
    top = units[0][3] if units else 0
    form.unit.choices = ([("", _("All units"))] if access.reads_everything(current_user) else []) + [
        (str(uid), f"{'— ' * max(depth - top, 0)}{name} ({ucode})")
        for uid, ucode, name, depth in units]
    form.validate()
    form.period.data = period.code if period else code
    if period is None:
        form.period.errors = [_("“%(text)s” is not a period: choose one from the list "
                                "(a year 2026, a half 2026-H1, a quarter 2026-Q3, a month 2026-07).",
                                text=code[:40])]
    ok = period is not None and not form.as_of.errors
    as_of = None
    if ok:
        as_of = form.as_of.data or default_as_of(period, today)
        if as_of > today:
            form.as_of.errors = [_("The as-of date cannot be after today (%(today)s): figures "
                                   "are judged with what is known.", today=today.strftime("%d/%m/%Y"))]
            ok = False
    unit_id = form.unit.data if current_user.role != Role.DEPUTY else None
    scope = None
    try:
        scope = browse.reader_scope(current_user, unit_id if unit_id else None)
    except RuleViolation as e:
        form.unit.errors = [str(e.message)]
        ok = False
    if current_user.role == Role.HEAD and not unit_id:
        form.unit.data = current_user.unit_id
    if not ok:
        return form, None
    return form, Query(period, as_of, scope, unit_id or None)


class LiveLinks:
    """Where each figure of a live view leads."""

    frozen = False

    def __init__(self, q: Query):
        self.args = q.args()

    def _extra(self, outcome, sub) -> dict:
        out = dict(self.args)
        if outcome:
            out["outcome"] = outcome
        if sub:
            out["sub"] = 1
        return out

    def unit(self, unit_id: int, outcome: str | None = None, sub: bool = False) -> str:
        return url_for("assessment.unit", unit_id=unit_id, **self._extra(outcome, sub))

    def leader(self, user_id: int, outcome: str | None = None) -> str:
        return url_for("assessment.leader", user_id=user_id, **self._extra(outcome, False))

    def home(self) -> str:
        return url_for("assessment.index", **self.args)

    def xlsx(self) -> str:
        return url_for("assessment.export_xlsx", **self.args)

    def csv(self, table: str) -> str:
        return url_for("assessment.export_csv", table=table, **self.args)

    def printable(self) -> str:
        return url_for("assessment.print_view", **self.args)

    def docx(self, **extra) -> str:
        return url_for("assessment.report_docx", **self.args, **extra)


class RunLinks(LiveLinks):
    """Where each figure of a frozen run leads: its stored task rows."""

    frozen = True

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.args = {}

    def unit(self, unit_id, outcome=None, sub=False):
        return url_for("assessment.run_unit", run_id=self.run_id, unit_id=unit_id,
                       **self._extra(outcome, sub))

    def leader(self, user_id, outcome=None):
        return url_for("assessment.run_leader", run_id=self.run_id, user_id=user_id,
                       **self._extra(outcome, False))

    def home(self):
        return url_for("assessment.run", run_id=self.run_id)

    def xlsx(self):
        return url_for("assessment.run_export_xlsx", run_id=self.run_id)

    def csv(self, table):
        return url_for("assessment.run_export_csv", run_id=self.run_id, table=table)

    def printable(self):
        return url_for("assessment.run_print", run_id=self.run_id)

    def docx(self, **extra):
        return url_for("assessment.run_report_docx", run_id=self.run_id, **extra)


# ---- charts -------------------------------------------------------------------

def _fmt(value) -> str:
    return number(value)


def unit_charts(report: assessment.Report, links: LiveLinks) -> dict:
    """Rates per unit (sorted) and the timeliness mix per unit, as SVG."""
    rated = [charts.RateItem(r.name, r.tally.completion_rate, r.tally.on_time_rate,
                             links.unit(r.key, "due"))
             for r in report.units if r.tally.fallen_due]
    mix = [charts.MixItem(r.name, (r.tally.on_time, r.tally.late, r.tally.overdue, r.tally.within),
                          links.unit(r.key)) for r in report.units]
    rates_title = _("Completion and on-time rate per unit, highest first")
    mix_title = _("Timeliness of the tasks per unit")
    return {
        "rates": {"title": rates_title, "svg": charts.rate_bars(
            "chart-rates", rated, rates_title, _("Completion rate"), _("On-time rate"),
            _("No unit has tasks fallen due in this period."), _fmt)},
        "mix": {"title": mix_title, "svg": charts.mix_bars(
            "chart-mix", mix, mix_title,
            [_("On time"), _("Completed late"), _("Overdue"), _("Within deadline")],
            _("No unit has tasks in this period."))},
    }


def trend_chart(cond, year: int, as_of: date, s: ScoringSettings, name: str) -> dict:
    points = browse.monthly_trend(cond, year, as_of, s, today=local_today())
    title = _("Responsibility score by month of %(year)s, as of %(date)s: %(name)s", year=year,
              date=as_of.strftime("%d/%m/%Y"), name=name)
    return {"title": title, "svg": charts.trend_line(
        "chart-trend", [(_("M%(n)s", n=m), t.score if t else None) for m, t in points], title,
        [(s.excellent_from, _("Excellent")), (s.good_from, _("Good")), (s.pass_from, _("Pass"))],
        _("No task of %(year)s has fallen due yet.", year=year), _fmt)}


def _main_trend(q: Query, s: ScoringSettings) -> dict:
    """The reader's own line by month: a deputy's score, the narrowed unit's (a head's
    own unit by default), or every unit together."""
    scope = q.scope
    if scope.only_leader_id is not None:
        return trend_chart(browse.live_leader_tasks(current_user, scope), q.period.start.year,
                           q.as_of, s, current_user.full_name)
    if scope.root is not None:
        return trend_chart(browse.live_unit_tasks(scope.root), q.period.start.year, q.as_of, s,
                           scope.root.name)
    return trend_chart(browse.scope_tasks(scope), q.period.start.year, q.as_of, s, _("all units"))


# ---- the live view ------------------------------------------------------------

PRINT_TEMPLATE = "assessment/print.html"


def _print_context(report, issuer_unit) -> dict:
    """The print page is an official document (issue 17): its header and closing block,
    and the option to leave out the units and leaders with nothing fallen due."""
    due_only = request.args.get("due_only") == "1"
    args = {**request.view_args, **request.args.to_dict()}
    args.pop("due_only", None)
    return {"doc": assessment_export.report_document(report, issuer_unit, local_today()),
            "due_only": due_only,
            "toggle_url": url_for(request.endpoint, **args, **({} if due_only else {"due_only": "1"}))}


def _report_page(template: str, report, links, scope, **ctx):
    if template == PRINT_TEMPLATE:
        view = ctx.get("view")
        ctx.update(_print_context(report, _run_issuer(view) if view is not None else scope.root))
    return render_template(
        template, report=report, links=links, scope=scope,
        # The leaders' posts, as the official XLSX writes them (one query).
        positions=assessment_export.leader_titles([r.key for r in report.leaders]),
        subtree=browse.subtree_rows(report.units, report.settings),
        charts=unit_charts(report, links), **ctx)


def _live_report(q, s: ScoringSettings):
    """The live report, each unit and leader with their quality result beside the score."""
    report = browse.live_report(q.scope, q.period, q.as_of, s, today=local_today())
    quality.attach_results(current_user, report, s)
    return report


def _live(template: str):
    _reader()
    form, q = _filter_form()
    if q is None:
        return render_template("assessment/index.html", form=form, report=None, q=None,
                               freeze_form=None), 422
    s = _settings()
    report = _live_report(q, s)
    freeze_form = None
    if current_user.has_role(Role.ASSESSOR):
        freeze_form = FreezeForm(formdata=None, period=q.period.code,
                                 as_of=q.as_of.strftime("%d/%m/%Y"), unit=q.unit_id or "")
    return _report_page(template, report, LiveLinks(q), q.scope, form=form, q=q,
                        trend=_main_trend(q, s), freeze_form=freeze_form,
                        today=local_today())


@bp.get("/assessment")
@login_required
def index():
    return _live("assessment/index.html")


@bp.get("/assessment/print")
@login_required
def print_view():
    return _live(PRINT_TEMPLATE)


def _drill(subject: str, kind: str, dd: browse.DrillDown, links, report_meta: dict,
           trend: str | None, row=None):
    return render_template(
        "assessment/tasks.html", subject=subject, kind=kind, dd=dd, links=links,
        outcome=request.args.get("outcome") or None, sub=request.args.get("sub") == "1",
        trend=trend, row=row, filters=browse.FILTERS,
        lead_names=browse.unit_names(line.unit_code for line in dd.lines),
        grade_of=grade(dd.breakdown.tally.score, report_meta["settings"]), **report_meta)


def _live_query():
    _reader()
    form, q = _filter_form()
    if q is None:
        return None, render_template("assessment/index.html", form=form, report=None, q=None,
                                     freeze_form=None), 422
    return q, None, None


@bp.get("/assessment/unit/<int:unit_id>")
@login_required
def unit(unit_id: int):
    q, page, status = _live_query()
    if q is None:
        return page, status
    target = browse.visible_unit(q.scope, unit_id)
    sub = request.args.get("sub") == "1"
    s = _settings()
    cond = browse.live_unit_tasks(target, sub)
    dd = browse.live_tasks(cond, q.period, q.as_of, s, request.args.get("outcome") or None,
                           _int_arg("page"), current_settings().page_size, today=local_today())
    name = target.name
    trend = trend_chart(cond, q.period.start.year, q.as_of, s,
                        _("%(name)s, with its sub-units", name=name) if sub else name)
    return _drill(name, "unit", dd, LiveLinks(q),
                  {"period": q.period, "as_of": q.as_of, "run": None, "settings": s,
                   "target_id": target.id, "code": target.code,
                   "quality": None if sub else quality.leader_results(
                       current_user, q.period.start.year, [target.id], [], s)[0].get(target.id)},
                  trend)


@bp.get("/assessment/leader/<int:user_id>")
@login_required
def leader(user_id: int):
    q, page, status = _live_query()
    if q is None:
        return page, status
    target = browse.visible_leader(q.scope, user_id)
    s = _settings()
    cond = browse.live_leader_tasks(target, q.scope)
    dd = browse.live_tasks(cond, q.period, q.as_of, s, request.args.get("outcome") or None,
                           _int_arg("page"), current_settings().page_size, today=local_today())
    trend = trend_chart(cond, q.period.start.year, q.as_of, s, target.full_name)
    return _drill(target.full_name, "leader", dd, LiveLinks(q),
                  {"period": q.period, "as_of": q.as_of, "run": None, "settings": s,
                   "target_id": target.id, "code": target.unit.code, "role": target.role,
                   "leader_fields": people.fields_of(target.id) if target.role == Role.DEPUTY else [],
                   "unit_name": target.unit.name,
                   "quality": quality.leader_results(current_user, q.period.start.year, [],
                                                     [target.id], s)[1].get(target.id)}, trend)


# ---- frozen runs ----------------------------------------------------------------

@bp.post("/assessment/freeze")
@login_required
def freeze():
    # Freezing is the assessor's act (DESIGN.md section 5); administrators only read.
    if not current_user.has_role(Role.ASSESSOR):
        abort(403)
    form = FreezeForm()
    if not form.validate_on_submit():
        abort(400)
    today = local_today()
    args = {"period": form.period.data or "", "as_of": form.as_of.data or ""}
    if form.unit.data:
        args["unit"] = form.unit.data
    try:
        period = parse_period(form.period.data or "")
    except ValueError:
        return _freeze_refused(_("Choose a period before freezing."), args)
    try:
        as_of = parse_date(form.as_of.data or "") or default_as_of(period, today)
    except ValueError:
        return _freeze_refused(_("The as-of date is not a date (dd/mm/yyyy)."), args)
    if as_of > today:
        return _freeze_refused(_("The as-of date cannot be after today (%(today)s): figures "
                                 "are judged with what is known.", today=today.strftime("%d/%m/%Y")),
                               args)
    try:
        unit_id = int(form.unit.data) if form.unit.data else None
        scope = browse.reader_scope(current_user, unit_id)
    except (ValueError, RuleViolation):
        return _freeze_refused(_("Choose a unit from the list."), args)
    run = assessment.freeze(current_user.id, period, as_of, _settings(), scope.root, today=today)
    db.session.commit()
    flash(_("The figures of %(period)s as of %(date)s are frozen as version %(version)s.",
            period=period_label(period.code), date=as_of.strftime("%d/%m/%Y"),
            version=run.version), "success")
    return redirect(url_for("assessment.run", run_id=run.id))


def _freeze_refused(message: str, args: dict):
    db.session.rollback()
    flash(_("Nothing was frozen: %(reason)s", reason=message), "danger")
    return redirect(url_for("assessment.index", **args))


@bp.get("/assessment/runs")
@login_required
def runs():
    _reader()
    per_page = current_settings().page_size
    items, total = browse.list_runs(current_user, _int_arg("page"), per_page)
    pages = max(1, -(-total // per_page))
    return render_template("assessment/runs.html", items=items, total=total,
                           page={"page": min(_int_arg("page"), pages), "pages": pages})


def _open_run(run_id: int) -> browse.RunView:
    _reader()
    view = browse.open_run(current_user, run_id)
    quality.attach_results(current_user, view.report, view.report.settings)
    return view


def _run_page(run_id: int, template: str):
    view = _open_run(run_id)
    creator = db.session.get(User, view.run.created_by_id) if view.run.created_by_id else None
    return _report_page(template, view.report, RunLinks(run_id), view.scope, view=view,
                        versions=browse.run_versions(current_user, view.run), trend=None,
                        q=None, form=None, freeze_form=None,
                        creator=creator.full_name if creator else "", today=local_today())


@bp.get("/assessment/runs/<int:run_id>")
@login_required
def run(run_id: int):
    return _run_page(run_id, "assessment/index.html")


@bp.get("/assessment/runs/<int:run_id>/print")
@login_required
def run_print(run_id: int):
    return _run_page(run_id, PRINT_TEMPLATE)


@bp.get("/assessment/runs/<int:run_id>/unit/<int:unit_id>")
@login_required
def run_unit(run_id: int, unit_id: int):
    view = _open_run(run_id)
    row = browse.run_unit(view, unit_id)
    sub = request.args.get("sub") == "1"
    s = view.report.settings
    dd = browse.frozen_tasks(browse.run_unit_tasks(view, row, sub), s,
                             request.args.get("outcome") or None, _int_arg("page"),
                             current_settings().page_size)
    return _drill(row.name, "unit", dd, RunLinks(run_id),
                  {"period": view.report.period, "as_of": view.report.as_of, "run": view.run,
                   "settings": s, "target_id": unit_id, "code": row.code,
                   "quality": None if sub else row.quality}, None,
                  row=None if sub else row)


@bp.get("/assessment/runs/<int:run_id>/leader/<int:user_id>")
@login_required
def run_leader(run_id: int, user_id: int):
    view = _open_run(run_id)
    row = browse.run_leader(view, user_id)
    s = view.report.settings
    dd = browse.frozen_tasks(browse.run_leader_tasks(view, row), s,
                             request.args.get("outcome") or None, _int_arg("page"),
                             current_settings().page_size)
    return _drill(row.name, "leader", dd, RunLinks(run_id),
                  {"period": view.report.period, "as_of": view.report.as_of, "run": view.run,
                   "settings": s, "target_id": user_id, "code": row.unit_code, "role": row.role,
                   "unit_name": view.report.unit_names.get(row.unit_code, row.unit_code),
                   "quality": row.quality},
                  None, row=row)


@bp.route("/assessment/runs/<int:run_id>/final/<kind>/<int:row_id>", methods=["GET", "POST"])
@login_required
def final_grade(run_id: int, kind: str, row_id: int):
    """The competent authority's final grade of one unit or leader of a frozen run: only
    these fields are written; the frozen figures stay as they are."""
    boundary.require(can_record_final())
    if kind not in assessment.FINAL_ROWS:
        abort(404)
    view = browse.open_run(current_user, run_id)
    row = assessment.final_row(run_id, kind, row_id)
    subject = row.unit_name if kind == "unit" else row.full_name
    form = FinalGradeForm()
    form.grade.choices = [("", _("— choose —"))] + [
        (g.value, grade_label(g)) for g in assessment.FINAL_GRADES]
    status = 200
    if request.method == "GET":
        form.grade.data = row.final_grade or ""
        form.decision_no.data = row.final_decision_no or ""
        form.decision_on.data = row.final_decision_on
        form.reason.data = row.final_reason or ""
    elif form.validate_on_submit():
        if boundary.run(lambda: assessment.record_final_grade(
                current_user, run_id, kind, row_id, assessment.FinalGradeInput(
                    form.grade.data or "", form.decision_no.data or "", form.decision_on.data,
                    form.reason.data or ""), local_today()), form):
            flash(_("The final grade of %(name)s has been recorded.", name=subject), "success")
            return redirect(url_for("assessment.run", run_id=run_id))
        status = 422
    else:
        status = 422
    return render_template("assessment/final.html", form=form, view=view, row=row, kind=kind,
                           subject=subject, computed=Grade(row.grade)), status


# ---- downloads ------------------------------------------------------------------

def _download(write, name: str, mimetype: str):
    """Write the file to disk as it is produced (the task table streams from the
    database), then send it from there: nothing holds 100,000 rows in memory."""
    # Closed by the response's generator once the file is sent (or here on failure).
    tmp = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        write(tmp)
        tmp.seek(0)
    except BaseException:
        tmp.close()
        raise
    size = tmp.seek(0, 2)
    tmp.seek(0)

    def chunks():
        try:
            while data := tmp.read(64 * 1024):
                yield data
        finally:
            tmp.close()

    return Response(chunks(), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Content-Length": str(size),
        "Cache-Control": "no-store",
    })


def _base_name(report, unit) -> str:
    """The file name says what is in the file (issue 17): the period, the unit assessed,
    the day the figures stand at and, frozen, the version."""
    en = _en()
    base = f"{'assessment' if en else 'danh-gia'}-{report.period.code}"
    if unit is not None:
        base += "-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", unit.code).strip("-") or str(unit.id))
    base += f"-as-of-{report.as_of:%Y-%m-%d}" if en else f"-tinh-den-{report.as_of:%d-%m-%Y}"
    if report.run is not None:
        base += f"-v{report.run.version}"
    return base


def _xlsx(report, issuer_unit):
    ex = assessment_export
    issuer, place = document.default_issuer(issuer_unit), document.default_place(issuer_unit)
    today = local_today()
    return _download(lambda f: ex.write_xlsx(report, f, issuer, place, today),
                     f"{_base_name(report, issuer_unit)}.xlsx", XLSX_MIMETYPE)


def _csv(report, table: str, unit):
    ex = assessment_export
    if table not in ex.TABLES:
        abort(404)
    return _download(lambda f: ex.write_table_csv(report, table, f, str(get_locale())),
                     f"{_base_name(report, unit)}-{CSV_NAMES[table]}.csv", "text/csv")


def _live_export():
    q, page, status = _live_query()
    if q is None:
        return None, None, (page, status)
    return _live_report(q, _settings()), q.scope.root, None


@bp.get("/assessment/export.xlsx")
@login_required
def export_xlsx():
    report, issuer_unit, refused = _live_export()
    return refused if refused else _xlsx(report, issuer_unit)


@bp.get("/assessment/export/<table>.csv")
@login_required
def export_csv(table: str):
    report, unit, refused = _live_export()
    return refused if refused else _csv(report, table, unit)


def _docx(report, issuer_unit):
    body = assessment_export.word_bytes(report, issuer_unit, local_today(),
                                        request.args.get("due_only") == "1")
    return Response(body, mimetype=DOCX_MIMETYPE, headers={
        "Content-Disposition": f'attachment; filename="{_base_name(report, issuer_unit)}.docx"',
        "Cache-Control": "no-store"})


@bp.get("/assessment/report.docx")
@login_required
def report_docx():
    report, issuer_unit, refused = _live_export()
    return refused if refused else _docx(report, issuer_unit)


def _run_issuer(view: browse.RunView):
    return view.scope_unit if view.scope.full else view.scope.root


@bp.get("/assessment/runs/<int:run_id>/export.xlsx")
@login_required
def run_export_xlsx(run_id: int):
    view = _open_run(run_id)
    return _xlsx(view.report, _run_issuer(view))


@bp.get("/assessment/runs/<int:run_id>/report.docx")
@login_required
def run_report_docx(run_id: int):
    view = _open_run(run_id)
    return _docx(view.report, _run_issuer(view))


@bp.get("/assessment/runs/<int:run_id>/export/<table>.csv")
@login_required
def run_export_csv(run_id: int, table: str):
    view = _open_run(run_id)
    return _csv(view.report, table, _run_issuer(view))


__all__ = ["bp"]
