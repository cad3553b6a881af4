"""Quality of operation pages (DESIGN.md 8): indicator sets and their criteria tree, each
unit's scoring sheet (self-assessment, appraisal), the ranking and its exports."""

from decimal import Decimal

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app import boundary
from app.clock import local_today
from app.domain.quality import UNIT_GROUPS, Method, SetStatus, SheetStatus
from app.domain.scoring import GRADE_LABELS, Grade
from app.models import PlanKind, Role
from app.quality import commands, queries
from app.quality import export as quality_export
from app.quality.forms import (
    ActionForm,
    AppraisalForm,
    CopySetForm,
    CriterionForm,
    PublishResultsForm,
    ReturnForm,
    SelfScoreForm,
    SetForm,
)
from app.reports.xlsx import XLSX_MIMETYPE
from app.settings import current_settings
from app.tasks import evidence as evidence_files

bp = Blueprint("quality", __name__, url_prefix="/quality")

GROUP_LABELS = {
    "department": _l("Departments and agencies"),
    "commune": _l("Communes, wards and special zones"),
    "office": _l("Public service units"),
    "other": _l("Central agencies in the province"),
}
METHOD_LABELS = {
    Method.MANUAL: _l("Self-assessed with evidence"),
    Method.TASKS: _l("From tasks (responsibility score)"),
}
SET_STATUS_LABELS = {
    SetStatus.DRAFT: _l("Draft"),
    SetStatus.PUBLISHED: _l("Published, open for scoring"),
    SetStatus.LOCKED: _l("Results published"),
}
SHEET_STATUS_LABELS = {
    SheetStatus.OPEN: _l("Not submitted"),
    SheetStatus.SUBMITTED: _l("Submitted, awaiting appraisal"),
    SheetStatus.APPRAISED: _l("Appraised"),
    SheetStatus.PUBLISHED: _l("Published"),
}
PLAN_KIND_LABELS = {
    PlanKind.CCHC: _l("Administrative reform (CCHC)"),
    PlanKind.WORK: _l("Work programme"),
    PlanKind.DIGITAL: _l("Digital transformation"),
    PlanKind.SOCIOECONOMIC: _l("Socio-economic development"),
    PlanKind.OTHER: _l("Other"),
}


GRADE_CLASSES = {
    Grade.EXCELLENT: "text-bg-success",
    Grade.GOOD: "text-bg-primary",
    Grade.PASS: "text-bg-info",
    Grade.FAIL: "text-bg-danger",
    Grade.NOT_RATED: "text-bg-light",
}


def grade_label(g) -> str:
    return GRADE_LABELS[Grade(g)][1 if _english() else 0]


@bp.context_processor
def labels() -> dict:
    return {"GROUP_LABELS": GROUP_LABELS, "METHOD_LABELS": METHOD_LABELS,
            "SET_STATUS_LABELS": SET_STATUS_LABELS, "SHEET_STATUS_LABELS": SHEET_STATUS_LABELS,
            "PLAN_KIND_LABELS": PLAN_KIND_LABELS, "GRADE_CLASSES": GRADE_CLASSES,
            "grade_label": grade_label}


def _english() -> bool:
    return str(get_locale()) == "en"


def _designs() -> bool:
    return queries.designs(current_user)


def _uploads(field) -> list:
    return [evidence_files.Upload(f.filename, f.read()) for f in (field.data or [])
            if getattr(f, "filename", "")]


# ---- sets ------------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    sets = queries.visible_sets(current_user)
    own = {s.id: queries.own_sheet_id(current_user, s.id) for s in sets} if not _designs() else {}
    return render_template("quality/index.html", sets=sets, own=own, designs=_designs())


def _set_form() -> SetForm:
    form = SetForm()
    form.unit_group.choices = [(k, GROUP_LABELS[k]) for k in UNIT_GROUPS]
    return form


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_set():
    boundary.require(_designs())
    form = _set_form()
    status = 200
    if request.method == "GET":
        form.year.data = local_today().year
        form.max_points.data = Decimal(100)
    elif form.validate():
        done = boundary.run(lambda: commands.create_set(current_user, commands.SetInput(
            form.name.data, form.year.data, form.unit_group.data, form.max_points.data)).id, form)
        if done:
            flash(_("The indicator set was created. Add its criteria."), "success")
            return redirect(url_for("quality.view_set", set_id=done.value))
        status = 422
    else:
        status = 422
    return render_template("quality/new.html", form=form), status


def _criterion_form(set_id: int, rows) -> CriterionForm:
    form = CriterionForm()
    form.parent_id.choices = [("", _("— (a field, at the top)"))] + [
        (str(r.criterion.id), f"{'— ' * r.depth}{r.criterion.code}. {r.criterion.title[:80]}")
        for r in rows if r.depth < 2]
    form.method.choices = [(m.value, METHOD_LABELS[m]) for m in Method]
    form.plan_kind.choices = [("", _("Every plan"))] + [(k.value, PLAN_KIND_LABELS[k]) for k in PlanKind]
    return form


def _render_set(set_id: int, form: CriterionForm | None = None, status: int = 200,
                results_form: PublishResultsForm | None = None,
                copy_form: CopySetForm | None = None):
    s = queries.get_set(current_user, set_id)
    rows = queries.tree(s.id)
    form = form or _criterion_form(s.id, rows)
    sheets = queries.sheets(s, current_settings().scoring) if _designs() and s.status != SetStatus.DRAFT else []
    return render_template("quality/set.html", s=s, rows=rows, form=form, sheets=sheets,
                           designs=_designs(), is_assessor=current_user.has_role(Role.ASSESSOR),
                           own_sheet=queries.own_sheet_id(current_user, s.id),
                           action=ActionForm(), results_form=results_form or PublishResultsForm(),
                           copy_form=copy_form or CopySetForm(formdata=None, year=s.year + 1)), status


@bp.route("/<int:set_id>")
@login_required
def view_set(set_id: int):
    return _render_set(set_id)


@bp.route("/<int:set_id>/criteria", methods=["POST"])
@login_required
def add_criterion(set_id: int):
    boundary.require(_designs())
    s = queries.get_set(current_user, set_id)
    form = _criterion_form(s.id, queries.tree(s.id))
    if form.validate():
        done = boundary.run(lambda: commands.add_criterion(current_user, s.id, commands.CriterionInput(
            form.parent_id.data, form.code.data, form.title.data, form.max_points.data,
            form.method.data, form.plan_kind.data or None, form.is_evidence_required.data)).id, form)
        if done:
            flash(_("The criterion was added."), "success")
            return redirect(url_for("quality.view_set", set_id=s.id) + "#criterion-form")
    return _render_set(s.id, form, 422)


@bp.route("/<int:set_id>/criteria/<int:criterion_id>/delete", methods=["POST"])
@login_required
def delete_criterion(set_id: int, criterion_id: int):
    boundary.require(_designs())
    if ActionForm().validate() and boundary.run(
            lambda: commands.delete_criterion(current_user, set_id, criterion_id)):
        flash(_("The criterion was removed."), "success")
    return redirect(url_for("quality.view_set", set_id=set_id))


@bp.route("/<int:set_id>/copy", methods=["POST"])
@login_required
def copy_set(set_id: int):
    boundary.require(_designs())
    form = CopySetForm()
    if form.validate():
        done = boundary.run(lambda: commands.copy_set(current_user, set_id, form.year.data).id, form)
        if done:
            flash(_("The set was copied: check its criteria, then publish it."), "success")
            return redirect(url_for("quality.view_set", set_id=done.value))
    return _render_set(set_id, copy_form=form, status=422)


@bp.route("/<int:set_id>/publish", methods=["POST"])
@login_required
def publish_set(set_id: int):
    boundary.require(_designs())
    if ActionForm().validate():
        done = boundary.run(lambda: commands.publish_set(current_user, set_id))
        if done:
            flash(_("The set was published: %(n)s units can now score themselves.", n=done.value),
                  "success")
    return redirect(url_for("quality.view_set", set_id=set_id))


@bp.route("/<int:set_id>/results", methods=["POST"])
@login_required
def publish_results(set_id: int):
    boundary.require(current_user.has_role(Role.ASSESSOR))
    form = PublishResultsForm()
    if form.validate():
        done = boundary.run(lambda: commands.publish_results(
            current_user, set_id, commands.PublishInput(form.decision_no.data, form.decision_on.data),
            local_today()).id, form)
        if done:
            flash(_("The results were published and locked."), "success")
            return redirect(url_for("quality.ranking", set_id=set_id))
    return _render_set(set_id, results_form=form, status=422)


@bp.route("/<int:set_id>/ranking")
@login_required
def ranking(set_id: int):
    s, rows = queries.ranking(current_user, set_id, current_settings().scoring)
    return render_template("quality/ranking.html", s=s, rows=rows)


@bp.route("/<int:set_id>/ranking/print")
@login_required
def ranking_print(set_id: int):
    s, rows = queries.ranking(current_user, set_id, current_settings().scoring)
    return render_template("quality/ranking_print.html", s=s, rows=rows,
                           doc=quality_export.ranking_document(s, local_today()))


@bp.route("/<int:set_id>/ranking.xlsx")
@login_required
def ranking_xlsx(set_id: int):
    s, rows = queries.ranking(current_user, set_id, current_settings().scoring)
    data = quality_export.ranking_xlsx(s, rows)
    return _download(data, f"xep-hang-{s.year}-{s.unit_group}.xlsx")


def _download(data: bytes, name: str) -> Response:
    return Response(data, mimetype=XLSX_MIMETYPE, headers={
        "Content-Disposition": f"attachment; filename={name}", "X-Content-Type-Options": "nosniff"})


# ---- a unit's sheet ------------------------------------------------------------------

def prefix(kind: str, code: str) -> str:
    """The field names of one row's form on the scorecard: the criterion's code (unique in
    its set, and the same whenever the set is built again), in characters a name can hold."""
    return kind + "".join(ch if ch.isalnum() else "_" for ch in code)


def _render_sheet(sheet_id: int, failed: dict | None = None, status: int = 200):
    """The scorecard; `failed` holds the one form that was refused, keeping what was typed."""
    card = queries.scorecard(current_user, sheet_id, local_today(), current_settings().scoring)
    failed = failed or {}
    is_head = current_user.role == Role.HEAD and current_user.unit_id == card.sheet.unit_id
    can_self = is_head and card.sheet.status == SheetStatus.OPEN and card.set.status == SetStatus.PUBLISHED
    can_appraise = (queries.may_appraise(current_user, card.sheet)
                    and card.sheet.status == SheetStatus.SUBMITTED)
    self_forms, appraisal_forms = {}, {}
    for r in card.rows:
        if not r.is_leaf:
            continue
        cid = r.criterion.id
        if can_self and r.is_manual:
            self_forms[cid] = failed.get(("self", cid)) or SelfScoreForm(
                formdata=None, prefix=prefix("s", r.criterion.code), points=r.self_points,
                note=r.score.self_note if r.score else "")
        if can_appraise:
            appraisal_forms[cid] = failed.get(("appraise", cid)) or AppraisalForm(
                formdata=None, prefix=prefix("a", r.criterion.code),
                points=r.appraised if r.appraised is not None else r.unit_figure,
                reason=r.score.appraisal_note if r.score else "")
    return render_template("quality/sheet.html", card=card, can_self=can_self, is_head=is_head,
                           can_appraise=can_appraise, self_forms=self_forms,
                           appraisal_forms=appraisal_forms, action=ActionForm(),
                           return_form=failed.get("return") or ReturnForm()), status


@bp.route("/sheets/<int:sheet_id>")
@login_required
def sheet(sheet_id: int):
    return _render_sheet(sheet_id)


def _back(sheet_id: int, anchor: str = "") -> Response:
    return redirect(url_for("quality.sheet", sheet_id=sheet_id) + anchor)


@bp.route("/sheets/<int:sheet_id>/criteria/<int:criterion_id>/self", methods=["POST"])
@login_required
def self_score(sheet_id: int, criterion_id: int):
    form = SelfScoreForm(prefix=prefix("s", queries.criterion_code(criterion_id)))
    if form.validate():
        done = boundary.run(lambda: commands.save_self_score(
            current_user, sheet_id, criterion_id,
            commands.SelfScoreInput(form.points.data, form.note.data, _uploads(form.files)),
            current_settings().files), form)
        if done:
            flash(_("The score was saved."), "success")
            return _back(sheet_id, f"#c{criterion_id}")
    return _render_sheet(sheet_id, {("self", criterion_id): form}, 422)


@bp.route("/sheets/<int:sheet_id>/criteria/<int:criterion_id>/appraise", methods=["POST"])
@login_required
def appraise(sheet_id: int, criterion_id: int):
    # Refused before anything is looked up: appraisal is the assessor's alone.
    boundary.require(current_user.has_role(Role.ASSESSOR))
    form = AppraisalForm(prefix=prefix("a", queries.criterion_code(criterion_id)))
    if form.validate():
        done = boundary.run(lambda: commands.appraise_score(
            current_user, sheet_id, criterion_id,
            commands.AppraisalInput(form.points.data, form.reason.data)), form)
        if done:
            flash(_("The appraised score was saved."), "success")
            return _back(sheet_id, f"#c{criterion_id}")
    return _render_sheet(sheet_id, {("appraise", criterion_id): form}, 422)


@bp.route("/sheets/<int:sheet_id>/submit", methods=["POST"])
@login_required
def submit(sheet_id: int):
    if ActionForm().validate():
        done = boundary.run(lambda: commands.submit_sheet(
            current_user, sheet_id, local_today(), current_settings().scoring))
        if done:
            flash(_("The sheet was submitted for appraisal."), "success")
    return _back(sheet_id)


@bp.route("/sheets/<int:sheet_id>/finalize", methods=["POST"])
@login_required
def finalize(sheet_id: int):
    if ActionForm().validate() and boundary.run(
            lambda: commands.finalize_sheet(current_user, sheet_id)):
        flash(_("The appraisal was finalized."), "success")
    return _back(sheet_id)


@bp.route("/sheets/<int:sheet_id>/return", methods=["POST"])
@login_required
def send_back(sheet_id: int):
    form = ReturnForm()
    if form.validate() and boundary.run(
            lambda: commands.return_sheet(current_user, sheet_id, form.reason.data), form):
        flash(_("The sheet was sent back to the unit."), "success")
        return _back(sheet_id)
    return _render_sheet(sheet_id, {"return": form}, 422)


@bp.route("/sheets/<int:sheet_id>/evidence/<int:evidence_id>")
@login_required
def evidence(sheet_id: int, evidence_id: int):
    ev = queries.evidence_for_download(current_user, sheet_id, evidence_id)
    folder = evidence_files.upload_dir(current_settings().files)
    path = (folder / ev.stored_name).resolve()
    if path.parent != folder or not path.is_file():
        return Response(status=404)
    response = send_file(path, mimetype=ev.content_type, as_attachment=True,
                         download_name=ev.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/sheets/<int:sheet_id>/print")
@login_required
def sheet_print(sheet_id: int):
    card = queries.scorecard(current_user, sheet_id, local_today(), current_settings().scoring)
    return render_template("quality/sheet_print.html", card=card,
                           doc=quality_export.sheet_document(card, local_today()))


@bp.route("/sheets/<int:sheet_id>.xlsx")
@login_required
def sheet_xlsx(sheet_id: int):
    card = queries.scorecard(current_user, sheet_id, local_today(), current_settings().scoring)
    data = quality_export.sheet_xlsx(card)
    return _download(data, f"phieu-cham-diem-{card.sheet.unit.code}-{card.set.year}.xlsx")
