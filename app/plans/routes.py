"""Plan pages: the list, a plan with its six-clears badges, create, edit, issue, close, reopen."""

from decimal import Decimal
from io import BytesIO

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from app import boundary
from app.clock import local_today
from app.common import access
from app.common.errors import NotFound, RuleViolation
from app.directory.units import tree_order
from app.domain.recurrence import DueKind
from app.extensions import db, reads_only
from app.filters import PLAN_KIND_LABELS
from app.models import PlanKind, PlanStatus, Role, Unit
from app.plans import export as plan_export
from app.plans import importing as plan_import
from app.plans import recurring
from app.plans import service as plans
from app.plans.forms import (
    ImportColumnsForm,
    ImportConfirmForm,
    ImportForm,
    PlanEditForm,
    PlanForm,
    RecurringDeleteForm,
    RecurringRuleForm,
)
from app.plans.service import PlanInput
from app.reports.word import DOCX_MIMETYPE
from app.reports.xlsx import XLSX_MIMETYPE
from app.settings import current_settings
from app.tasks import breakdown, evidence
from app.tasks import queries as task_queries

bp = Blueprint("plans", __name__)


@bp.get("/plans")
@login_required
def index():
    year = request.args.get("year", type=int)
    status = request.args.get("status") or None
    kind = request.args.get("kind") or None
    items = plans.list_plans(current_user, year, status, kind)
    counts = plans.summaries([p.id for p in items])
    return render_template("plans/index.html", plans=items, counts=counts,
                           can_create=current_user.role == Role.HEAD,
                           years=plans.plan_years(current_user), year=year, status=status,
                           kind=kind, kinds=list(PlanKind), statuses=list(PlanStatus))


@bp.route("/plans/new", methods=["GET", "POST"])
@login_required
def create():
    boundary.require(current_user.role == Role.HEAD)
    form = PlanForm()
    form.kind.choices = [(k.value, PLAN_KIND_LABELS[k]) for k in PlanKind]
    units = tree_order(db.session.execute(
        select(Unit.id, Unit.name, Unit.path, Unit.kind, Unit.name_sort)
        .where(access.unit_scope(current_user), Unit.is_active)).all())
    form.unit_id.choices = [(u.id, u.name) for u in units]
    if request.method == "GET":
        form.unit_id.data = current_user.unit_id
        form.year.data = local_today().year
        form.kind.data = PlanKind.CCHC.value
    status = 200
    if form.validate_on_submit():
        done = boundary.run(lambda: plans.create_plan(current_user, PlanInput(
            unit_id=form.unit_id.data or 0, year=form.year.data, kind=form.kind.data,
            title=form.title.data, doc_number=form.doc_number.data or "",
            doc_date=form.doc_date.data)).id, form)  # the id before the commit expires the row
        if done:
            flash(_("The plan has been created as a draft."), "success")
            return redirect(url_for("plans.view", plan_id=done.value))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("plans/form.html", form=form, plan=None), status


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@login_required
def edit(plan_id: int):
    plan = task_queries.get_plan(current_user, plan_id)
    boundary.require(access.can_manage_plan(current_user, plan))
    if request.method == "GET" and plan.status == PlanStatus.CLOSED:
        return _closed(plan_id)
    form = PlanEditForm(obj=plan if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        if boundary.run(lambda: plans.update_plan(current_user, plan.id, form.title.data,
                                                  form.doc_number.data or "", form.doc_date.data),
                        form):
            flash(_("The plan has been saved."), "success")
            return redirect(url_for("plans.view", plan_id=plan_id))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("plans/form.html", form=form, plan=plan), status


def _closed(plan_id: int):
    """A form of a closed plan is not offered: back to the plan page, which says why."""
    flash(_("The plan is closed: reopen it to change it."), "warning")
    return redirect(url_for("plans.view", plan_id=plan_id))


def _int_arg(name: str, default: int = 1) -> int:
    try:
        return max(1, min(int(request.args.get(name, default)), 100000))
    except ValueError:
        return default


@bp.get("/plans/<int:plan_id>")
@login_required
def view(plan_id: int):
    plan = task_queries.get_plan(current_user, plan_id)
    # A draft lists what keeps it from being issued, before anyone presses "Issue".
    unclear = plans.flagged_unclear(plan) if plan.status == PlanStatus.DRAFT else None
    page = _int_arg("page")
    items, total = plans.plan_tasks(plan, page)
    delegated = breakdown.delegated_tasks(plan)
    return render_template(
        "plans/view.html", plan=plan, items=items, total=total, page=page, per_page=100,
        summary=plans.summary(plan), today=local_today(), unclear=unclear,
        can_manage=access.can_manage_plan(current_user, plan),
        can_add=access.can_add_task(current_user, plan), delegated=delegated,
        rules=(rules := recurring.rules_of(plan)),
        rule_counts=recurring.occurrence_counts([r.id for r in rules]),
        recurring_schedule=recurring.schedule_text,
        rule_clear=recurring.clear_of(plan, rules),
        delegated_children=breakdown.child_counts([t.id for t in delegated]),
        broken_down=breakdown.broken_down_counts([t.id for t in items]))


@bp.post("/plans/<int:plan_id>/issue")
@login_required
def issue(plan_id: int):
    # Committed even when tasks are unclear: that keeps the refreshed six-clears flags.
    done = boundary.run(lambda: len(plans.issue_plan(current_user, plan_id, local_today())[1]))
    if not done:
        return redirect(url_for("plans.view", plan_id=plan_id))
    unclear = done.value
    if unclear:
        flash(ngettext("The plan cannot be issued: %(num)s task is not clear on all six.", "The plan cannot be issued: %(num)s tasks are not clear on all six.", unclear),
              "danger")
        # Post/Redirect/Get: the plan page lists the unclear tasks with their reasons, and
        # reloading it (or pressing Enter in the address bar) does not resend the form.
        return redirect(url_for("plans.view", plan_id=plan_id) + "#unclear-list")
    flash(_("The plan has been issued."), "success")
    return redirect(url_for("plans.view", plan_id=plan_id))


@bp.post("/plans/<int:plan_id>/close")
@login_required
def close(plan_id: int):
    """Close an issued plan: read-only from now on (the page asked first, naming how many
    tasks are not completed)."""
    done = boundary.run(lambda: plans.close_plan(current_user, plan_id)[1])
    if not done:
        return redirect(url_for("plans.view", plan_id=plan_id))
    not_completed = done.value
    if not_completed:
        flash(ngettext("The plan has been closed with %(num)s task not completed.", "The plan has been closed with %(num)s tasks not completed.", not_completed),
              "success")
    else:
        flash(_("The plan has been closed."), "success")
    return redirect(url_for("plans.view", plan_id=plan_id))


@bp.post("/plans/<int:plan_id>/reopen")
@login_required
def reopen(plan_id: int):
    """Reopen a closed plan: it is issued again and its tasks can change."""
    if boundary.run(lambda: plans.reopen_plan(current_user, plan_id)):
        flash(_("The plan has been reopened."), "success")
    return redirect(url_for("plans.view", plan_id=plan_id))


# ---- Excel: import (upload -> preview -> confirm), template, export, print ------------------

def _import_page(plan, form, preview=None, token=None, status=200):
    """The page; with a stored upload (`token`), the form correcting the columns, and the
    confirm button when the preview has no error."""
    ok = preview is not None and preview.ok
    return render_template("plans/import.html", plan=plan, form=form, preview=preview, token=token,
                           # formdata=None: after a correction the form posted holds the old token.
                           confirm_form=(ImportConfirmForm(formdata=None, token=token)
                                         if token and ok else None),
                           columns_form=ImportColumnsForm(formdata=None, token=token) if token else None,
                           column_choices=plan_import.COLUMN_CHOICES,
                           headers=plan_import.HEADERS,
                           recurring_labels=recurring.FREQUENCY_LABELS), status


@bp.route("/plans/<int:plan_id>/import", methods=["GET", "POST"])
@reads_only  # reading the workbook takes seconds: never while holding SQLite's write lock
@login_required
def import_file(plan_id: int):
    """Upload a file and see what importing it would do; nothing is written yet."""
    plan = task_queries.get_plan(current_user, plan_id)
    boundary.require(access.can_manage_plan(current_user, plan))
    form = ImportForm()
    if request.method == "GET":
        if plan.status == PlanStatus.CLOSED:
            return _closed(plan_id)
        return _import_page(plan, form)
    if not form.validate_on_submit():
        return _import_page(plan, form, status=422)
    try:
        plan_import.check_can_import(current_user, plan)
    except RuleViolation as e:
        form.file.errors = [str(e.message)]
        return _import_page(plan, form, status=422)
    upload = form.file.data
    # One byte over the limit is enough to refuse: the rest is never read into memory.
    data = upload.stream.read(plan_import.MAX_FILE_BYTES + 1)
    filename = evidence.sanitize_name(upload.filename or "")
    preview = plan_import.preview(plan, data, local_today(), current_user,
                                  settings=current_settings().task_rules)
    if preview.sheet is not None and preview.sheet.columns:
        # Kept even with errors: a column read as the wrong one is corrected on the preview.
        # Redirect after post (issue 17): the preview is a page of its own, read by GET, so
        # neither reloading it nor coming back to it ever posts the file again.
        token = plan_import.store_upload(current_user, plan, preview.sheet, filename,
                                         current_settings().files)
        return redirect(url_for("plans.import_preview", plan_id=plan_id, token=token), 303)
    return _import_page(plan, form, preview, None, status=422)


@bp.get("/plans/<int:plan_id>/import/<token>")
@reads_only
@login_required
def import_preview(plan_id: int, token: str):
    """The preview of a stored upload (what importing it would do; nothing written). A token
    already imported, expired or not this user's sends back to the upload form."""
    plan = task_queries.get_plan(current_user, plan_id)
    boundary.require(access.can_manage_plan(current_user, plan))
    if plan.status == PlanStatus.CLOSED:
        return _closed(plan_id)
    try:
        sheet, _filename = plan_import.load_upload(current_user, plan, token,
                                                   current_settings().files)
    except NotFound:
        flash(_("This preview is no longer available (imported already, or expired): "
                "upload the file again."), "info")
        return redirect(url_for("plans.import_file", plan_id=plan_id))
    preview = plan_import.preview(plan, sheet, local_today(), current_user,
                                  settings=current_settings().task_rules)
    return _import_page(plan, ImportForm(formdata=None), preview, token,
                        status=200 if preview.ok else 422)


@bp.post("/plans/<int:plan_id>/import/columns")
@reads_only
@login_required
def import_columns(plan_id: int):
    """Read the stored upload again with the columns the user chose; nothing is written."""
    plan = task_queries.get_plan(current_user, plan_id)
    boundary.require(access.can_manage_plan(current_user, plan))
    form = ImportColumnsForm()
    if not form.validate_on_submit():
        abort(400)
    files = current_settings().files
    sheet, filename = plan_import.load_upload(current_user, plan, form.token.data, files)
    try:
        plan_import.check_can_import(current_user, plan)
    except RuleViolation as e:
        upload_form = ImportForm()
        upload_form.file.errors = [str(e.message)]
        return _import_page(plan, upload_form, status=422)
    choices = {i: request.form.get(f"column-{i}", "") for i, _w, _k in sheet.columns
               if f"column-{i}" in request.form}
    remapped, problems = plan_import.remap(sheet, choices)
    if problems:
        preview = plan_import.Preview(plan=plan, errors=problems, sheet=remapped)
        return _import_page(plan, ImportForm(), preview, form.token.data, status=422)
    token = plan_import.store_upload(current_user, plan, remapped, filename, files)
    plan_import.discard_upload(form.token.data, files)
    return redirect(url_for("plans.import_preview", plan_id=plan_id, token=token), 303)


@bp.post("/plans/<int:plan_id>/import/confirm")
@login_required
def import_confirm(plan_id: int):
    """Import the file previewed (kept on the server under its token), all or nothing."""
    plan = task_queries.get_plan(current_user, plan_id)
    boundary.require(access.can_manage_plan(current_user, plan))
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    files = current_settings().files
    sheet, filename = plan_import.load_upload(current_user, plan, form.token.data, files)
    try:
        done = boundary.run(lambda: plan_import.apply(current_user, plan, sheet, local_today(),
                                                      filename,
                                                      settings=current_settings().task_rules))
    except plan_import.ImportRefused as e:  # rolled back by the boundary
        return _import_page(plan, ImportForm(), e.preview, status=422)
    if not done:
        return redirect(url_for("plans.view", plan_id=plan_id))
    result = done.value
    plan_import.discard_upload(form.token.data, files)
    flash(_("The file has been imported: %(added)s tasks added, %(changed)s changed, "
            "%(same)s unchanged.", added=result.added, changed=result.changed,
            same=result.unchanged), "success")
    if result.not_clear:
        flash(_("%(n)s tasks are not clear on all six: the plan cannot be issued until they are "
                "fixed.", n=len(result.not_clear)), "warning")
    return redirect(url_for("plans.view", plan_id=plan_id))


def _xlsx(data: bytes, name: str):
    return send_file(BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name)


@bp.get("/plans/<int:plan_id>/template.xlsx")
@login_required
def template(plan_id: int):
    """The empty import template, with drop-downs of the plan's units, people and fields."""
    plan = task_queries.get_plan(current_user, plan_id)
    return _xlsx(plan_export.template_bytes(plan.unit), plan_export.file_name(plan, "-mau.xlsx"))


@bp.get("/plans/<int:plan_id>/export.xlsx")
@login_required
def export(plan_id: int):
    """The plan in the import template: edit it in Excel and import it again."""
    plan = task_queries.get_plan(current_user, plan_id)
    return _xlsx(plan_export.export_bytes(plan), plan_export.file_name(plan, ".xlsx"))


@bp.get("/plans/<int:plan_id>/print", endpoint="print")
@login_required
def print_plan(plan_id: int):
    """The plan in the official layout, for the browser's Print command."""
    plan = task_queries.get_plan(current_user, plan_id)
    return render_template("plans/print.html", doc=plan_export.print_document(plan, local_today()))


@bp.get("/plans/<int:plan_id>/print.docx")
@login_required
def print_docx(plan_id: int):
    """The printed plan as Word, for a unit that edits before signing."""
    plan = task_queries.get_plan(current_user, plan_id)
    return send_file(BytesIO(plan_export.word_bytes(plan_export.print_document(plan, local_today()))),
                     mimetype=DOCX_MIMETYPE, as_attachment=True,
                     download_name=plan_export.file_name(plan, ".docx"))


# ---- recurring tasks (nhiệm vụ định kỳ): docs/recurring.md ---------------------------------

def _rule_choices(form: RecurringRuleForm, plan) -> None:
    form.frequency.choices = [(f.value, str(label)) for f, label in recurring.FREQUENCY_LABELS.items()]
    form.cutoff_kind.choices = [
        (recurring.DECREE, _("Decree 09/2019: the 15th of the month before to the 14th")),
        (recurring.CUSTOM, _("Custom cut-off day"))]
    form.due_kind.choices = [(DueKind.DAY.value, _("A day of the month")),
                             (DueKind.WORKING_DAYS.value, _("Working days after the cut-off"))]
    c = task_queries.choices_for_plan(plan)
    none = [(None, "—")]
    form.lead_unit_id.choices = none + [(u.id, u.name) for u in c.units]
    form.assignee_id.choices = none + [(p.id, f"{p.full_name} ({p.username}) — {p.name}")
                                       for p in c.people]
    form.leader_id.choices = none + [(p.id, f"{p.full_name} ({p.username}) — {p.name}")
                                     for p in c.leaders]


def _rule_input(form: RecurringRuleForm) -> recurring.RuleInput:
    return recurring.RuleInput(
        title=form.title.data or "", frequency=form.frequency.data,
        cutoff_kind=form.cutoff_kind.data, cutoff_day=form.cutoff_day.data,
        due_kind=form.due_kind.data, due_day=form.due_day.data,
        due_next_month=bool(form.due_next_month.data), working_days=form.working_days.data,
        description=form.description.data or "", assignee_id=form.assignee_id.data,
        lead_unit_id=form.lead_unit_id.data, leader_id=form.leader_id.data,
        responsibility=form.responsibility.data or "", steps_text=form.steps_text.data or "",
        output_product=form.output_product.data or "",
        weight=form.weight.data if form.weight.data is not None else Decimal(1))


def _rule_page(plan, form, rule=None, delete_form=None, status=200):
    return render_template("plans/recurring_form.html", plan=plan, form=form, rule=rule,
                           delete_form=delete_form), status


@bp.route("/plans/<int:plan_id>/recurring/new", methods=["GET", "POST"])
@login_required
def recurring_new(plan_id: int):
    """Add a recurring task to the plan (its managers)."""
    plan = task_queries.get_plan(current_user, plan_id)
    boundary.require(access.can_manage_plan(current_user, plan))
    if request.method == "GET" and plan.status == PlanStatus.CLOSED:
        return _closed(plan_id)
    form = RecurringRuleForm()
    _rule_choices(form, plan)
    if request.method == "GET":
        form.frequency.data, form.cutoff_kind.data = "monthly", recurring.DECREE
        form.due_kind.data, form.due_day.data = DueKind.DAY.value, 20
        form.lead_unit_id.data = plan.unit_id
    status = 200
    if form.validate_on_submit():
        done = boundary.run(lambda: recurring.add_rule(
            current_user, plan.id, _rule_input(form), today=local_today(),
            settings=current_settings().task_rules)[1], form)
        if done:
            flash(ngettext("The recurring task has been added (%(num)s occurrence made).",
                           "The recurring task has been added (%(num)s occurrences made).",
                           done.value), "success")
            return redirect(url_for("plans.view", plan_id=plan_id) + "#recurring")
        status = 422
    elif request.method == "POST":
        status = 422
    return _rule_page(plan, form, status=status)


@bp.route("/plans/<int:plan_id>/recurring/<int:rule_id>/edit", methods=["GET", "POST"])
@login_required
def recurring_edit(plan_id: int, rule_id: int):
    """Edit a recurring task: only its occurrences not started and not yet due change."""
    plan = task_queries.get_plan(current_user, plan_id)
    boundary.require(access.can_manage_plan(current_user, plan))
    plan, rule = recurring.get_rule(current_user, plan_id, rule_id)
    if request.method == "GET" and plan.status == PlanStatus.CLOSED:
        return _closed(plan_id)
    form = RecurringRuleForm(obj=recurring.input_of(rule) if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = rule.version
    _rule_choices(form, plan)
    status = 200
    if form.validate_on_submit():
        try:
            version = int(form.version.data or 0)
        except ValueError:
            version = 0
        done = boundary.run(lambda: recurring.update_rule(
            current_user, plan.id, rule.id, _rule_input(form), version, today=local_today(),
            settings=current_settings().task_rules, reason=form.reason.data or ""), form)
        if done:
            r = done.value
            flash(_("The recurring task has been saved: %(changed)s occurrences changed, "
                    "%(cancelled)s cancelled, %(made)s added, %(kept)s kept as they were.",
                    changed=r.changed, cancelled=r.cancelled, made=r.made, kept=r.kept), "success")
            return redirect(url_for("plans.view", plan_id=plan_id) + "#recurring")
        status = 422
    elif request.method == "POST":
        status = 422
    return _rule_page(plan, form, rule, RecurringDeleteForm(), status)


@bp.post("/plans/<int:plan_id>/recurring/<int:rule_id>/delete")
@login_required
def recurring_delete(plan_id: int, rule_id: int):
    """Delete a recurring task: its occurrences not started and not yet due are cancelled
    with the reason; the others stay and count."""
    plan = task_queries.get_plan(current_user, plan_id)
    boundary.require(access.can_manage_plan(current_user, plan))
    plan, rule = recurring.get_rule(current_user, plan_id, rule_id)
    form = RecurringDeleteForm()
    if form.validate_on_submit():
        done = boundary.run(lambda: recurring.delete_rule(
            current_user, plan.id, rule.id, form.reason.data or "", today=local_today()), form)
        if done:
            flash(ngettext("The recurring task has been deleted (%(num)s occurrence cancelled).",
                           "The recurring task has been deleted (%(num)s occurrences cancelled).",
                           done.value), "success")
            return redirect(url_for("plans.view", plan_id=plan_id) + "#recurring")
    edit_form = RecurringRuleForm(obj=recurring.input_of(rule), formdata=None)
    edit_form.version.data = rule.version
    _rule_choices(edit_form, plan)
    return _rule_page(plan, edit_form, rule, form, 422)
