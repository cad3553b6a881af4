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
from app.domain.quality import (
    UNIT_GROUPS,
    Basis,
    Event,
    Method,
    SetStatus,
    SheetStatus,
    parse_steps,
)
from app.domain.scoring import GRADE_LABELS, Grade, Outcome
from app.filters import number as format_number
from app.models import PlanKind, Role
from app.quality import commands, flow, queries, setfile
from app.quality import export as quality_export
from app.quality.forms import (
    ActionForm,
    AnswerForm,
    AppraisalForm,
    AskForm,
    ConfirmImportForm,
    CopySetForm,
    CriterionForm,
    ImportSetForm,
    PublishResultsForm,
    ReturnForm,
    SelfScoreForm,
    SetForm,
    WindowForm,
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
    Method.TARGETS: _l("From targets (achievement of the indicators)"),
    Method.STEPPED: _l("Stepped thresholds"),
    Method.DEDUCTION: _l("Deductions per event"),
    Method.BONUS: _l("Bonus up to a cap"),
}
OUTCOME_NAMES = {
    Outcome.ON_TIME: _l("Completed on time"),
    Outcome.LATE: _l("Completed late"),
    Outcome.OVERDUE: _l("Overdue, not completed"),
    Outcome.WITHIN: _l("Within deadline"),
    Outcome.EXCLUDED: _l("Suspended or cancelled"),
}
BASIS_LABELS = {
    Basis.TASKS: _l("the responsibility score of the tasks (%)"),
    Basis.TARGETS: _l("the achievement of the targets (%)"),
}
EVENT_LABELS = {
    Event.OVERDUE: _l("overdue tasks (from the tracker)"),
    Event.LATE: _l("tasks completed late (from the tracker)"),
    Event.ENTERED: _l("events declared by the unit with evidence"),
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


EXPLANATION_LABELS = {
    flow.ExplanationStatus.AWAITING: _l("Explanation requested"),
    flow.ExplanationStatus.ANSWERED: _l("Answered"),
    flow.ExplanationStatus.EXPIRED: _l("Deadline passed, no answer"),
}
HISTORY_LABELS = {
    "quality.draft_score": _l("draft"),
    "quality.self_score": _l("self-assessed (approved by the head)"),
    "quality.appraise": _l("appraised"),
    "quality.sheet_finalize": _l("final (appraisal finalized)"),
    "quality.results_publish": _l("results published, locked"),
}


@bp.context_processor
def labels() -> dict:
    return {"EXPLANATION_LABELS": EXPLANATION_LABELS, "HISTORY_LABELS": HISTORY_LABELS,
            "GROUP_LABELS": GROUP_LABELS, "METHOD_LABELS": METHOD_LABELS,
            "SET_STATUS_LABELS": SET_STATUS_LABELS, "SHEET_STATUS_LABELS": SHEET_STATUS_LABELS,
            "PLAN_KIND_LABELS": PLAN_KIND_LABELS, "GRADE_CLASSES": GRADE_CLASSES,
            "BASIS_LABELS": BASIS_LABELS, "EVENT_LABELS": EVENT_LABELS,
            "OUTCOME_NAMES": OUTCOME_NAMES,
            "FIELD_NAMES": _field_names, "steps_text": steps_text,
            "grade_label": grade_label}


def _field_names() -> dict[int, str]:
    return queries.field_names()


def steps_text(steps: str | None) -> str:
    """Stored steps "90:10;70:5" as the page shows them: "≥ 90%: 10 · ≥ 70%: 5"."""
    try:
        return " · ".join(f"≥ {format_number(f)}%: {format_number(p)}"
                          for f, p in parse_steps(steps or ""))
    except ValueError:
        return ""


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
    form.field_id.choices = [("", _("Every field"))] + [
        (str(i), name) for i, name in sorted(_field_names().items(), key=lambda kv: kv[1])]
    form.basis.choices = [(b.value, BASIS_LABELS[b]) for b in Basis]
    form.event_kind.choices = [("", "—")] + [(e.value, EVENT_LABELS[e]) for e in Event]
    return form


def _render_set(set_id: int, form: CriterionForm | None = None, status: int = 200,
                results_form: PublishResultsForm | None = None,
                copy_form: CopySetForm | None = None, import_form: ImportSetForm | None = None,
                window_form: WindowForm | None = None):
    s = queries.get_set(current_user, set_id)
    rows = queries.tree(s.id)
    form = form or _criterion_form(s.id, rows)
    sheets = queries.sheets(s, current_settings().scoring) if _designs() and s.status != SetStatus.DRAFT else []
    return render_template("quality/set.html", s=s, rows=rows, form=form, sheets=sheets,
                           designs=_designs(), is_assessor=current_user.has_role(Role.ASSESSOR),
                           own_sheet=queries.own_sheet_id(current_user, s.id),
                           action=ActionForm(), results_form=results_form or PublishResultsForm(),
                           copy_form=copy_form or CopySetForm(formdata=None, year=s.year + 1),
                           import_form=import_form or ImportSetForm(),
                           window_form=window_form or WindowForm(
                               formdata=None, opens_on=s.entry_opens_on,
                               closes_on=s.entry_closes_on),
                           window=flow.window(s, local_today())), status


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
            form.method.data, form.plan_kind.data or None, form.is_evidence_required.data,
            **_method_params(form))).id, form)
        if done:
            flash(_("The criterion was added."), "success")
            return redirect(url_for("quality.view_set", set_id=s.id) + "#criterion-form")
    return _render_set(s.id, form, 422)


def _method_params(form: CriterionForm) -> dict:
    """The scoring method's parameters as typed (commands.method_params checks them)."""
    return {"field_id": form.field_id.data, "is_key_only": form.is_key_only.data,
            "basis": form.basis.data or None, "steps": form.steps.data,
            "per_event": form.per_event.data, "event_kind": form.event_kind.data or None,
            "min_points": form.min_points.data, "is_na_allowed": form.is_na_allowed.data}


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
    today = local_today()
    state = flow.window(card.set, today)
    entry = state in (flow.Window.NONE, flow.Window.OPEN)
    editable = card.sheet.status == SheetStatus.OPEN and card.set.status == SetStatus.PUBLISHED
    can_self = is_head and editable and entry
    member = current_user.unit_id == card.sheet.unit_id and current_user.role in (
        Role.DEPUTY, Role.STAFF)
    can_draft = member and editable and entry
    can_appraise = (queries.may_appraise(current_user, card.sheet)
                    and flow.appraisable(card.sheet, card.set))
    self_forms, appraisal_forms, draft_forms = {}, {}, {}
    for r in card.rows:
        if not r.is_leaf:
            continue
        cid = r.criterion.id
        if can_self and r.is_manual:
            # The head's form starts from the staff's draft when it is newer than the score.
            sc = r.score
            newer = sc is not None and sc.draft_at is not None and (
                sc.self_at is None or sc.draft_at > sc.self_at)
            self_forms[cid] = failed.get(("self", cid)) or SelfScoreForm(
                formdata=None, prefix=prefix("s", r.criterion.code),
                points=sc.draft_points if newer else r.self_points,
                events=sc.event_count if sc else None,
                not_applicable=not r.applicable,
                note=(sc.draft_note if newer else sc.self_note) if sc else "",
                doc_no=sc.evidence_doc_no if sc else "", doc_on=sc.evidence_doc_on if sc else None)
        if can_draft and r.is_manual:
            sc = r.score
            draft_forms[cid] = failed.get(("draft", cid)) or SelfScoreForm(
                formdata=None, prefix=prefix("d", r.criterion.code),
                points=sc.draft_points if sc else None, note=sc.draft_note if sc else "")
        if can_appraise:
            appraisal_forms[cid] = failed.get(("appraise", cid)) or AppraisalForm(
                formdata=None, prefix=prefix("a", r.criterion.code),
                points=r.appraised if r.appraised is not None else r.unit_figure,
                reason=r.score.appraisal_note if r.score else "")
    explanations = flow.explanations(card.sheet.id, today)
    ask_form = failed.get("ask") or AskForm(formdata=None)
    ask_form.criterion_id.choices = [("", _("The whole sheet"))] + [
        (str(r.criterion.id), f"{r.criterion.code}. {r.criterion.title[:80]}")
        for r in card.rows if r.is_leaf]
    answer_forms = {e.row.id: failed.get(("answer", e.row.id)) or AnswerForm(
        formdata=None, prefix=f"x{e.row.id}") for e in explanations
        if is_head and e.status == flow.ExplanationStatus.AWAITING}
    return render_template("quality/sheet.html", card=card, can_self=can_self, is_head=is_head,
                           can_appraise=can_appraise, self_forms=self_forms,
                           appraisal_forms=appraisal_forms, draft_forms=draft_forms,
                           action=ActionForm(), window=state, explanations=explanations,
                           ask_form=ask_form, answer_forms=answer_forms,
                           history=flow.history(card.sheet.id),
                           draft_authors=flow.draft_authors(card.sheet.id),
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
            commands.SelfScoreInput(form.points.data, form.note.data, _uploads(form.files),
                                    form.events.data, bool(form.not_applicable.data),
                                    form.doc_no.data or "", form.doc_on.data),
            current_settings().files, local_today()).self_points, form)
        if done:
            flash(_("The score was saved."), "success")
            if (form.points.data is not None and done.value is not None
                    and form.points.data > done.value):
                flash(_("A bonus is capped at %(n)s points: %(typed)s was reduced to %(n)s.",
                        n=format_number(done.value), typed=format_number(form.points.data)),
                      "warning")
            return _back(sheet_id, f"#c{criterion_id}")
    return _render_sheet(sheet_id, {("self", criterion_id): form}, 422)


@bp.route("/sheets/<int:sheet_id>/criteria/<int:criterion_id>/appraise", methods=["POST"])
@login_required
def appraise(sheet_id: int, criterion_id: int):
    # Refused before anything is looked up: appraisal is the assessor's alone.
    boundary.require(current_user.has_role(Role.ASSESSOR))
    form = AppraisalForm(prefix=prefix("a", queries.criterion_code(criterion_id)))
    if form.validate():
        done = boundary.run(lambda: _frozen(sheet_id) and commands.appraise_score(
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
            lambda: _frozen(sheet_id) and commands.finalize_sheet(
                current_user, sheet_id, local_today(), current_settings().scoring)):
        flash(_("The appraisal was finalized."), "success")
    return _back(sheet_id)


@bp.route("/sheets/<int:sheet_id>/return", methods=["POST"])
@login_required
def send_back(sheet_id: int):
    form = ReturnForm()
    if form.validate() and boundary.run(
            lambda: commands.return_sheet(current_user, sheet_id, form.reason.data,
                                          local_today()), form):
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


@bp.route("/sheets/<int:sheet_id>/criteria/<int:criterion_id>/sources")
@login_required
def sources(sheet_id: int, criterion_id: int):
    """The tasks, targets or events an automatic figure came from."""
    found = queries.sources(current_user, sheet_id, criterion_id, local_today(),
                            current_settings().scoring)
    return render_template("quality/sources.html", found=found, card=found.card, r=found.row)


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
    data = quality_export.sheet_xlsx(card, flow.explanations(card.sheet.id, local_today()))
    return _download(data, f"phieu-cham-diem-{card.sheet.unit.code}-{card.set.year}.xlsx")


# ---- the set's Excel file, the entry window, drafts, the explanation round ---------------

def _frozen(sheet_id: int) -> bool:
    """Before the assessor acts on a sheet: freeze its set's figures if the cut-off has
    passed and the scheduler has not done it yet (in the same transaction). Always true."""
    s = queries.sheet_set(sheet_id)
    if s is not None and current_user.has_role(Role.ASSESSOR):
        flow.freeze_at_cutoff(s, local_today(), current_settings().scoring)
    return True


@bp.route("/<int:set_id>/criteria.xlsx")
@login_required
def criteria_xlsx(set_id: int):
    s = queries.get_set(current_user, set_id)
    return _download(setfile.export_xlsx(s), f"bo-chi-so-{s.year}-{s.unit_group}-v{s.version}.xlsx")


@bp.route("/<int:set_id>/import", methods=["POST"])
@login_required
def import_preview(set_id: int):
    """Read the uploaded file and show what would be imported, with each row's error."""
    boundary.require(_designs())
    s = queries.get_set(current_user, set_id)
    form = ImportSetForm()
    if s.status != SetStatus.DRAFT:
        form.file.errors = [_("The set is published: its criteria can no longer be changed.")]
        return _render_set(s.id, import_form=form, status=422)
    upload = form.file.data if form.validate() else None
    if not getattr(upload, "filename", ""):
        form.file.errors = [_("Choose an Excel file (.xlsx).")]
        return _render_set(s.id, import_form=form, status=422)
    data = upload.read(setfile.MAX_FILE_BYTES + 1)
    parsed = setfile.read(upload.filename, data)
    token = None if parsed.errors else setfile.store(
        current_user, s.id, parsed, evidence_files.sanitize_name(upload.filename),
        current_settings().files)
    replaced = len(queries.tree(s.id))
    return render_template("quality/import.html", s=s, parsed=parsed, replaced=replaced,
                           confirm=ConfirmImportForm(formdata=None, token=token),
                           filename=evidence_files.sanitize_name(upload.filename)), \
        (422 if parsed.errors else 200)


@bp.route("/<int:set_id>/import/confirm", methods=["POST"])
@login_required
def import_confirm(set_id: int):
    boundary.require(_designs())
    form = ConfirmImportForm()
    if form.validate():
        files = current_settings().files
        rows = setfile.load(current_user, set_id, form.token.data, files)
        done = boundary.run(lambda: setfile.import_rows(current_user, set_id, rows))
        if done:
            setfile.discard(form.token.data, files)
            flash(_("%(n)s criteria were imported.", n=done.value), "success")
    return redirect(url_for("quality.view_set", set_id=set_id))


@bp.route("/<int:set_id>/window", methods=["POST"])
@login_required
def set_window(set_id: int):
    boundary.require(current_user.has_role(Role.ASSESSOR))
    form = WindowForm()
    if form.validate():
        done = boundary.run(lambda: flow.set_window(current_user, set_id, flow.WindowInput(
            form.opens_on.data, form.closes_on.data), local_today()).id, form)
        if done:
            flash(_("The entry window was saved."), "success")
            return redirect(url_for("quality.view_set", set_id=set_id))
    return _render_set(set_id, window_form=form, status=422)


@bp.route("/sheets/<int:sheet_id>/criteria/<int:criterion_id>/draft", methods=["POST"])
@login_required
def draft_score(sheet_id: int, criterion_id: int):
    form = SelfScoreForm(prefix=prefix("d", queries.criterion_code(criterion_id)))
    if form.validate():
        done = boundary.run(lambda: flow.save_draft(
            current_user, sheet_id, criterion_id,
            commands.SelfScoreInput(form.points.data, form.note.data, _uploads(form.files)),
            current_settings().files, local_today()), form)
        if done:
            flash(_("The draft was saved: the head approves it."), "success")
            return _back(sheet_id, f"#c{criterion_id}")
    return _render_sheet(sheet_id, {("draft", criterion_id): form}, 422)


@bp.route("/sheets/<int:sheet_id>/explanations", methods=["POST"])
@login_required
def ask_explanation(sheet_id: int):
    boundary.require(current_user.has_role(Role.ASSESSOR))
    form = AskForm()
    if form.validate():
        done = boundary.run(lambda: _frozen(sheet_id) and flow.ask_explanation(
            current_user, sheet_id, flow.AskInput(form.criterion_id.data, form.question.data,
                                                  form.due_on.data), local_today()).id, form)
        if done:
            flash(_("The explanation was asked: the unit's head was notified."), "success")
            return _back(sheet_id, "#explanations")
    return _render_sheet(sheet_id, {"ask": form}, 422)


@bp.route("/sheets/<int:sheet_id>/explanations/<int:explanation_id>/answer", methods=["POST"])
@login_required
def answer_explanation(sheet_id: int, explanation_id: int):
    form = AnswerForm(prefix=f"x{explanation_id}")
    if form.validate():
        done = boundary.run(lambda: flow.answer_explanation(
            current_user, sheet_id, explanation_id,
            flow.AnswerInput(form.answer.data, _uploads(form.files), form.doc_no.data or "",
                             form.doc_on.data),
            current_settings().files, local_today()).id, form)
        if done:
            flash(_("The explanation was sent."), "success")
            return _back(sheet_id, "#explanations")
    return _render_sheet(sheet_id, {("answer", explanation_id): form}, 422)
