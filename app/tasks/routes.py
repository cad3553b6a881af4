"""Task pages: lists, my tasks, the six-clears form, progress, submission and review."""

from dataclasses import astuple, replace

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app import boundary
from app.clock import local_today
from app.common import access
from app.common.errors import Conflict, NotFound, RuleViolation
from app.deadlines import extensions
from app.extensions import db
from app.formfields import parse_date
from app.models import PlanStatus
from app.notifications import service as notifications
from app.org import people
from app.settings import current_settings
from app.tasks import breakdown, evidence
from app.tasks import commands as tasks
from app.tasks import queries as task_queries
from app.tasks.commands import StepInput, TaskInput
from app.tasks.forms import (
    CancelForm,
    ContactsForm,
    CoordinatorNoteForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    ProgressForm,
    ResumeForm,
    ReviewForm,
    SubmitForm,
    SuspendForm,
    TaskForm,
    WithdrawForm,
)
from app.tasks.queries import TaskFilter

bp = Blueprint("tasks", __name__)


def _rules():
    # Read and checked at start-up with the other settings (app/settings.py): a wrong
    # TASK_WEIGHT_MIN/TASK_WEIGHT_MAX stops the app with a message naming it.
    return current_settings().task_rules


def _int_arg(name: str) -> int | None:
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return None
    return value if 0 < value < 2**31 else None


def _date_arg(name: str):
    try:
        return parse_date(request.args.get(name, ""))
    except ValueError:
        return None


def _ref_arg(name: str, words: tuple[str, ...]) -> int | str | None:
    """An id, or one of the filter's words ("none", "other": see TaskFilter)."""
    value = request.args.get(name, "")
    return value if value in words else _int_arg(name)


# The parameters that choose tasks (not sort, page or status): a link or bookmark naming
# one of them means it over all the reader's tasks, as it always has.
_CHOOSING = ("plan", "unit", "field", "person", "leader", "timeliness", "due_from", "due_to",
             "q", "year")


def _unfinished(mine: bool) -> bool:
    """`status=unfinished|all`. Without it, "My tasks" opens on the unfinished tab (what a
    staff member has to do, not a year of completed work), unless the address chooses
    tasks some other way (the home page's counts link here with their filters)."""
    status = request.args.get("status")
    if status in (task_queries.UNFINISHED, task_queries.ALL):
        return status == task_queries.UNFINISHED
    return mine and not any(request.args.get(k) for k in _CHOOSING)


def _filter(mine: bool = False) -> TaskFilter:
    return TaskFilter(
        plan_id=_int_arg("plan"), unit_id=_ref_arg("unit", ("none", "other")),
        field_id=_ref_arg("field", ("none",)),
        assignee_id=_int_arg("person"), leader_id=_ref_arg("leader", ("none", "other")),
        timeliness=request.args.get("timeliness") or None,
        due_from=_date_arg("due_from"), due_to=_date_arg("due_to"),
        year=_int_arg("year"), carry=request.args.get("carry") == "1",
        unfinished=_unfinished(mine),
        q=(request.args.get("q") or "")[:200], sort=request.args.get("sort") or "due",
        page=min(_int_arg("page") or 1, 100000), mine=mine,
        coordinating=request.args.get("coord") == "1")


def _list(template: str, mine: bool):
    f = task_queries.clean_filter(current_user, _filter(mine))
    today = local_today()
    settings = current_settings()
    page = task_queries.list_tasks(current_user, f, today, settings.due_soon_days, settings.page_size,
                                   plain=True)
    # "My tasks" has no person or leader filter (tasks/_filters.html): no people read.
    options = task_queries.filter_options(current_user, f.unit_id, people=not mine)
    return render_template(template, page=page, f=f, today=today, options=options,
                           args=request.args, filter_form=_filter_form(f, options, mine),
                           task_path=url_for("tasks.view", task_id=0)[:-1])


# The filter form as rendered for everything it shows: the language, the page's path, the
# tab, the filter's values and the choices offered (read each request). The same inputs give
# the same bytes, so a form is rendered once and kept (issue 16: ~30 translated labels and
# the choices' loops, a tenth of my tasks' CPU; docs/performance.md fifth pass). Nothing to
# invalidate: a new plan, unit, field or person changes the choices, so the key.
# tasks/_filters.html reads nothing else (its first line says so).
_FILTER_FORMS: dict[tuple, Markup] = {}


def _filter_form(f: task_queries.TaskFilter, options: task_queries.FilterOptions,
                 mine: bool) -> Markup:
    key = (str(get_locale()), request.path, mine, astuple(replace(f, page=1)),
           tuple(options.plans), tuple(options.units), tuple(options.fields),
           tuple(options.people), options.others)
    form = _FILTER_FORMS.get(key)
    if form is None:
        if len(_FILTER_FORMS) >= 500:  # a bound: the keys are few in use, the choices many
            _FILTER_FORMS.clear()
        # Our own template's output, autoescaped as it rendered: markup already.
        form = _FILTER_FORMS[key] = Markup(render_template(  # nosec B704 - our own output
            "tasks/_filters.html", f=f, options=options, mine=mine,
            unfinished_timeliness=task_queries.UNFINISHED_TIMELINESS))
    return form


@bp.get("/tasks")
@login_required
def index():
    return _list("tasks/index.html", mine=False)


@bp.get("/tasks/mine")
@login_required
def mine():
    return _list("tasks/mine.html", mine=True)


def _fill_choices(form: TaskForm, plan) -> None:
    c = task_queries.choices_for_plan(plan)
    none = [("", _("— choose —"))]
    form.lead_unit_id.choices = none + [(u.id, u.name) for u in c.units]
    form.coordinator_ids.choices = [(u.id, u.name) for u in c.all_units]
    # The username tells namesakes apart (three "Nguyễn Văn Thử" in one department happen).
    form.assignee_id.choices = none + [(p.id, f"{p.full_name} ({p.username}) — {p.name}")
                                       for p in c.people]
    form.leader_id.choices = none + [(p.id, f"{p.full_name} ({p.username}) — {p.name}")
                                     for p in c.leaders]
    form.field_id.choices = none + [(f.id, f.name) for f in c.fields]
    # The deputies in charge of each field, for the hint beside the field (never chosen for
    # the user: the hint offers a button).
    names = {p.id: p.full_name for p in c.leaders}
    form.leader_hints = {fid: [[uid, names[uid]] for uid in uids]
                         for fid, uids in people.suggested_leaders(plan.unit_id, list(names)).items()}


def _input(form: TaskForm) -> TaskInput:
    steps = []
    for entry in form.steps.entries:
        sid = entry.form.id.data
        steps.append(StepInput(entry.form.title.data or "", entry.form.due_on.data,
                               int(sid) if sid and str(sid).isdecimal() else None))
    return TaskInput(
        title=form.title.data or "", description=form.description.data or "",
        assignee_id=form.assignee_id.data, lead_unit_id=form.lead_unit_id.data,
        coordinator_ids=form.coordinator_ids.data or [], leader_id=form.leader_id.data,
        responsibility=form.responsibility.data or "", steps=steps,
        start_on=form.start_on.data, due_on=form.due_on.data,
        output_product=form.output_product.data or "", indicator_name=form.indicator_name.data or "",
        indicator_unit=form.indicator_unit.data or "", indicator_target=form.indicator_target.data,
        field_id=form.field_id.data,
        weight=form.weight.data if form.weight.data is not None else None,
        is_key=bool(form.is_key.data), indicator_direction=form.indicator_direction.data or "higher")


def _closed(back: str):
    """A closed plan's forms are not offered (a POST is refused by the service, and the
    page shows why): back to the page, which says the plan is closed."""
    flash(_("The plan is closed: its tasks can no longer be changed."), "warning")
    return redirect(back)


@bp.route("/plans/<int:plan_id>/tasks/new", methods=["GET", "POST"])
@login_required
def create(plan_id: int):
    plan = task_queries.get_plan(current_user, plan_id)
    parent = task_queries.get_task(current_user, _int_arg("parent")) if _int_arg("parent") else None
    boundary.require(access.can_add_task(current_user, plan) or (
        parent is not None and access.can_manage_task(current_user, parent)))
    if request.method == "GET" and plan.status == PlanStatus.CLOSED:
        return _closed(url_for("plans.view", plan_id=plan.id))
    form = TaskForm()
    _fill_choices(form, plan)
    if request.method == "GET":
        if parent is not None and parent.plan_id == plan.id:
            form.lead_unit_id.data = parent.lead_unit_id
            form.leader_id.data = parent.leader_id
            form.field_id.data = parent.field_id
        elif parent is not None:
            # Breaking down a higher unit's task: its leader and fields are that unit's.
            form.lead_unit_id.data = parent.lead_unit_id
        elif current_user.role == "deputy":
            form.leader_id.data = current_user.id
    status = 200
    if form.validate_on_submit():
        # The id is read before the commit: reading an expired row after it would open a
        # new write transaction on SQLite (a POST), which can wait on the lock and turn a
        # saved change into an error page.
        done = boundary.run(lambda: tasks.create_task(
            current_user, plan.id, _input(form), parent_id=parent.id if parent else None,
            today=local_today(), settings=_rules()).id, form)
        if done:
            flash(_("The task has been created."), "success")
            return redirect(url_for("tasks.view", task_id=done.value))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("tasks/form.html", form=form, plan=plan, parent=parent, task=None,
                           **_form_context(plan, None)), status


def _form_context(plan, task) -> dict:
    """What the task form shows around the fields: dates locked after issue (with the way to
    move them: an extension), the amendment reason for the head, the weight's range."""
    locked = task is not None and plan.status == PlanStatus.ISSUED
    settings = _rules()
    return {
        "dates_locked": locked,
        "may_request_extension": locked and access.can_report(current_user, task),
        "may_amend": locked and tasks.may_amend(current_user, plan),
        "weight_min": settings.weight_min, "weight_max": settings.weight_max,
    }


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@login_required
def edit(task_id: int):
    task = task_queries.get_task(current_user, task_id)
    boundary.require(access.can_manage_task(current_user, task))
    if request.method == "GET" and task.plan.status == PlanStatus.CLOSED:
        return _closed(url_for("tasks.view", task_id=task.id))
    form = TaskForm(obj=task if request.method == "GET" else None)
    plan = task.plan
    _fill_choices(form, plan)
    if request.method == "GET":
        form.coordinator_ids.data = [u.id for u in task.coordinators]
        while form.steps.entries:
            form.steps.pop_entry()
        for s in task.steps:
            form.steps.append_entry({"id": s.id, "title": s.title, "due_on": s.due_on})
        if not task.steps:
            form.steps.append_entry()
        form.version.data = task.version
    status, conflict = 200, None
    if form.validate_on_submit():
        try:
            version = int(form.version.data or 0)
        except ValueError:
            version = 0
        try:
            done = boundary.run(lambda: tasks.update_task(
                current_user, task.id, _input(form), version, today=local_today(),
                settings=_rules(), amendment_reason=form.amendment_reason.data or ""), form)
        except Conflict as e:  # rolled back by the boundary; shown here, with what changed
            conflict = e
            # Saving again now overwrites deliberately: the user has seen what changed.
            current = task_queries.get_task(current_user, task_id)
            form.version.data = current.version
            form.version.raw_data = [str(current.version)]
            status = 409
        else:
            if done:
                flash(_("The task has been saved."), "success")
                return redirect(url_for("tasks.view", task_id=task_id))
            status = 422
    elif request.method == "POST":
        status = 422
    return render_template("tasks/form.html", form=form, plan=plan, parent=None, task=task,
                           conflict=conflict, **_form_context(plan, task)), status


@bp.get("/tasks/<int:task_id>")
@login_required
def view(task_id: int):
    task = task_queries.get_task(current_user, task_id)
    return _view(task)


def _view(task, progress_form=None, review_form=None, cancel_form=None, submit_form=None, status=200,
          extension_form=None, decision_form=None, suspend_form=None, resume_form=None,
          refusal=None, withdraw_form=None, note_form=None, contacts_forms=None):
    today = local_today()
    rows = task_queries.history(task)
    ext_context = _extension_context(task, today, extension_form, decision_form)
    # The forms other than the one posted are built without the request's data: several
    # share field names (note, reason, comment) and would show what was typed elsewhere.
    return render_template(
        "tasks/view.html", task=task, today=today, clears=task.six_clears(),
        history=rows, names=task_queries.history_names(rows), updates=task_queries.progress_updates(task),
        children=task_queries.children(task), evidence_files=evidence.list_for_task(task.id),
        can_manage=access.can_manage_task(current_user, task),
        can_report=access.can_report(current_user, task),
        can_review=access.can_review(current_user, task),
        # Work added after issue below the head: its leader is told who confirms it.
        review_by_head=(tasks.addition_reviewer_message(task)
                        if task.head_confirms and task.leader_id == current_user.id
                        and task.status == "submitted"
                        and not access.can_review(current_user, task) else None),
        can_exclude=access.can_exclude(current_user, task),
        refusal=refusal,
        can_decide_extension=access.can_decide_extension(current_user, task),
        carried_over=extensions.carried_over_year(task),
        open_children=breakdown.open_children_count(task.id),
        suspend_form=suspend_form or SuspendForm(formdata=None),
        resume_form=resume_form or ResumeForm(formdata=None),
        progress_form=progress_form or ProgressForm(formdata=None, percent=task.progress),
        review_form=review_form or ReviewForm(formdata=None),
        cancel_form=cancel_form or CancelForm(formdata=None),
        submit_form=submit_form or SubmitForm(formdata=None),
        withdraw_form=withdraw_form or WithdrawForm(formdata=None),
        why=task_queries.why(task, rows, ext_context["task_extensions"]),
        **ext_context,
        **_coordination_context(task, note_form, contacts_forms),
        amendments=task_queries.list_amendments(task),
        due_soon_days=current_settings().due_soon_days), status


def _read_uploads(files) -> list:
    """The uploaded files' names and bytes; the spooled temporary files are closed now,
    not whenever the garbage collector gets to them."""
    uploads = []
    for f in files or []:
        if not f:
            continue
        try:
            if f.filename:
                uploads.append(evidence.Upload(f.filename, f.read()))
        finally:
            f.close()
    return uploads


@bp.post("/tasks/<int:task_id>/progress")
@login_required
def progress(task_id: int):
    # The row and its plan only: a report that is recorded redirects; a refused one shows
    # the task page, loaded whole then (issue 16: staff's most frequent write).
    task = task_queries.get_task(current_user, task_id, detail=False)
    boundary.require(access.can_report(current_user, task))
    form = ProgressForm()
    if not form.validate_on_submit():
        return _view(task_queries.get_task(current_user, task_id), progress_form=form, status=422)
    uploads = _read_uploads(form.files.data)

    def record():
        update = tasks.record_progress(current_user, task.id, form.percent.data, form.note.data,
                                       form.actual_value.data, local_today())
        evidence.store(current_user, task, uploads, update.id, current_settings().files)
        notifications.mark_task_read(current_user, task_id)  # acting on it: its news are seen

    if not boundary.run(record, form):
        return _view(task_queries.get_task(current_user, task_id), progress_form=form, status=422)
    flash(_("Progress has been recorded."), "success")
    # task_id, not task.id: the row is expired by the commit (see create above)
    return redirect(url_for("tasks.view", task_id=task_id) + "#progress")


@bp.post("/tasks/<int:task_id>/steps/<int:step_id>")
@login_required
def step(task_id: int, step_id: int):
    done = request.form.get("done") == "1"
    tasks.set_step_done(current_user, task_id, step_id, done)
    db.session.commit()
    return redirect(url_for("tasks.view", task_id=task_id) + "#steps")


@bp.post("/tasks/<int:task_id>/submit")
@login_required
def submit(task_id: int):
    form = SubmitForm()
    if not form.validate_on_submit():
        return _view(task_queries.get_task(current_user, task_id), submit_form=form, status=422)
    uploads = _read_uploads(form.files.data)

    def submit_it():
        tasks.submit_task(current_user, task_id, form.note.data, local_today(), uploads,
                          current_settings().files)
        notifications.mark_task_read(current_user, task_id)

    # A refusal about no field (a closed plan, a task already submitted) is not about what
    # was typed: errors.py's page.
    if not boundary.run(submit_it, form, about_fields_only=True):
        return _view(task_queries.get_task(current_user, task_id), submit_form=form, status=422)
    flash(_("The task has been submitted for confirmation."), "success")
    return redirect(url_for("tasks.view", task_id=task_id))


@bp.post("/tasks/<int:task_id>/withdraw")
@login_required
def withdraw(task_id: int):
    """The responsible person takes back a submission not yet decided."""
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _view(task_queries.get_task(current_user, task_id), withdraw_form=form, status=422)

    def withdraw_it():
        tasks.withdraw_submission(current_user, task_id, form.note.data)
        notifications.mark_task_read(current_user, task_id)

    done = boundary.attempt(withdraw_it)
    if not done:
        # Already decided (or the plan closed): no withdraw form is offered, the reason on top.
        return _view(task_queries.get_task(current_user, task_id), status=422,
                     refusal=str(done.error.message))
    flash(_("The submission has been withdrawn: the task is open again."), "success")
    return redirect(url_for("tasks.view", task_id=task_id))


@bp.post("/tasks/<int:task_id>/review")
@login_required
def review(task_id: int):
    form = ReviewForm()
    decision = request.form.get("decision")
    if not form.validate_on_submit() or decision not in ("confirm", "return"):
        return _view(task_queries.get_task(current_user, task_id), review_form=form, status=422)

    def decide():
        if decision == "confirm":
            tasks.confirm_task(current_user, task_id, form.comment.data)
        else:
            tasks.return_task(current_user, task_id, form.comment.data)
        notifications.mark_task_read(current_user, task_id)

    done = boundary.attempt(decide)
    if not done:
        task = task_queries.get_task(current_user, task_id)
        if done.error.field is None and not access.can_review(current_user, task):
            # One's own submission: no review form is offered, the reason is shown on top.
            return _view(task, status=422, refusal=str(done.error.message))
        boundary.attach(form, done.error)
        return _view(task, review_form=form, status=422)
    flash(_("Completion has been confirmed.") if decision == "confirm"
          else _("The task has been returned for rework."), "success")
    return redirect(url_for("tasks.view", task_id=task_id))


def _exclude_refused(task_id: int, e: RuleViolation, **forms):
    """A refused cancel, suspend or resume (rolled back by the boundary): the page again with
    the message beside the form (the reason), or at the top when the actor is not offered
    the form (a deputy on an issued plan)."""
    task = task_queries.get_task(current_user, task_id)
    if task.plan.status == PlanStatus.CLOSED:
        raise e  # the closed plan's page (errors.py), as every other change to it
    if e.field is None and not access.can_exclude(current_user, task):
        return _view(task, status=422, refusal=str(e.message))
    form = next(iter(forms.values()))
    boundary.attach(form, e)
    return _view(task, status=422, **forms)


@bp.post("/tasks/<int:task_id>/cancel")
@login_required
def cancel(task_id: int):
    form = CancelForm()
    if not form.validate_on_submit():
        return _view(task_queries.get_task(current_user, task_id), cancel_form=form, status=422)
    done = boundary.attempt(
        lambda: tasks.cancel_task(current_user, task_id, form.reason.data, local_today()))
    if not done:
        return _exclude_refused(task_id, done.error, cancel_form=form)
    flash(_("The task has been cancelled."), "success")
    return redirect(url_for("tasks.view", task_id=task_id))


@bp.post("/tasks/<int:task_id>/suspend")
@login_required
def suspend(task_id: int):
    form = SuspendForm()
    if not form.validate_on_submit():
        return _view(task_queries.get_task(current_user, task_id), suspend_form=form, status=422)
    done = boundary.attempt(
        lambda: tasks.suspend_task(current_user, task_id, form.reason.data, local_today()))
    if not done:
        return _exclude_refused(task_id, done.error, suspend_form=form)
    flash(_("The task has been suspended."), "success")
    return redirect(url_for("tasks.view", task_id=task_id))


@bp.post("/tasks/<int:task_id>/resume")
@login_required
def resume(task_id: int):
    form = ResumeForm()
    if not form.validate_on_submit():
        return _view(task_queries.get_task(current_user, task_id), resume_form=form, status=422)
    done = boundary.attempt(lambda: tasks.resume_task(current_user, task_id, form.comment.data))
    if not done:
        return _exclude_refused(task_id, done.error, resume_form=form)
    flash(_("The task has been resumed."), "success")
    return redirect(url_for("tasks.view", task_id=task_id))


@bp.get("/tasks/<int:task_id>/evidence/<int:evidence_id>")
@login_required
def download(task_id: int, evidence_id: int):
    task = task_queries.get_task(current_user, task_id)
    ev, path = evidence.get_for_download(current_user, task, evidence_id, current_settings().files)
    response = send_file(path, mimetype=ev.content_type, as_attachment=True,
                         download_name=ev.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# ---- coordinating units (issue 17 §2) -----------------------------------------------------

def _coordination_context(task, note_form=None, contacts_forms=None) -> dict:
    """The coordinating units with their contact persons; for a coordinator, the note form;
    for the head of a coordinating unit, the form naming its contact persons."""
    contacts = tasks.contacts_of(task.id)
    forms = {}
    for unit in task.coordinators:
        if not access.can_name_contacts(current_user, task, unit):
            continue
        form = (contacts_forms or {}).get(unit.id) or ContactsForm(
            formdata=None, prefix=f"u{unit.id}", data={"user_ids": [u.id for u in contacts.get(unit.id, [])]})
        form.user_ids.choices = [(u.id, f"{u.full_name} ({u.username})")
                                 for u in tasks.contact_choices(unit.id)]
        forms[unit.id] = form
    return {
        "coord_contacts": contacts,
        "coordinating_for": access.coordination_of(current_user, task),
        "contacts_forms": forms,
        "note_form": note_form or CoordinatorNoteForm(formdata=None),
    }


@bp.post("/tasks/<int:task_id>/coordinator-note")
@login_required
def coordinator_note(task_id: int):
    """A coordinating unit's head or contact person adds a note (not a progress report)."""
    task = task_queries.get_task(current_user, task_id)
    boundary.require(bool(access.coordination_of(current_user, task)))
    form = CoordinatorNoteForm()
    if not form.validate_on_submit():
        return _view(task, note_form=form, status=422)
    if not boundary.run(lambda: tasks.add_coordinator_note(current_user, task_id, form.note.data),
                        form):
        return _view(task_queries.get_task(current_user, task_id), note_form=form, status=422)
    flash(_("Your note as coordinator has been added to the task's history."), "success")
    return redirect(url_for("tasks.view", task_id=task_id) + "#coordination")


@bp.post("/tasks/<int:task_id>/coordination/<int:unit_id>/contacts")
@login_required
def coordinator_contacts(task_id: int, unit_id: int):
    """The head of a coordinating unit names its contact persons for the task."""
    task = task_queries.get_task(current_user, task_id)
    unit = next((u for u in task.coordinators if u.id == unit_id), None)
    if unit is None:
        raise NotFound()
    boundary.require(access.can_name_contacts(current_user, task, unit))
    form = ContactsForm(prefix=f"u{unit_id}")
    form.user_ids.choices = [(u.id, u.full_name) for u in tasks.contact_choices(unit_id)]
    if not form.validate_on_submit() or not boundary.run(lambda: tasks.name_contacts(
            current_user, task_id, unit_id, form.user_ids.data or []), form):
        return _view(task_queries.get_task(current_user, task_id), contacts_forms={unit_id: form},
                     status=422)
    flash(_("The contact persons have been saved."), "success")
    return redirect(url_for("tasks.view", task_id=task_id) + "#coordination")


# ---- extensions (gia hạn) ------------------------------------------------------

def _extension_context(task, today, extension_form=None, decision_form=None) -> dict:
    """What the task page's extension section shows: every request, the pending one, and
    why the responsible person cannot ask now (None when they can)."""
    rows = extensions.list_for_task(task)
    max_extensions = current_settings().max_extensions
    pending = next((e for e in rows if e.status == "pending"), None)
    return {
        "task_extensions": rows,
        "pending_extension": pending,
        "extension_blocker": extensions.request_blocker(task, today, pending is not None,
                                                        max_extensions),
        "max_extensions": max_extensions,
        "extension_form": extension_form or ExtensionRequestForm(formdata=None),
        "decision_form": decision_form or ExtensionDecisionForm(formdata=None),
    }


@bp.post("/tasks/<int:task_id>/extensions")
@login_required
def request_extension(task_id: int):
    task = task_queries.get_task(current_user, task_id)
    boundary.require(access.can_report(current_user, task))
    form = ExtensionRequestForm()
    if not form.validate_on_submit():
        return _view(task, extension_form=form, status=422)
    if not boundary.run(lambda: extensions.request_extension(
            current_user, task.id, form.proposed_due_on.data, form.reason.data, local_today(),
            max_extensions=current_settings().max_extensions), form):
        return _view(task_queries.get_task(current_user, task_id), extension_form=form, status=422)
    flash(_("The extension request has been sent to the accountable leader."), "success")
    return redirect(url_for("tasks.view", task_id=task_id) + "#extensions")


@bp.post("/tasks/<int:task_id>/extensions/<int:ext_id>/decision")
@login_required
def decide_extension(task_id: int, ext_id: int):
    task = task_queries.get_task(current_user, task_id)
    boundary.require(access.can_decide_extension(current_user, task))
    form = ExtensionDecisionForm()
    decision = request.form.get("decision")
    if not form.validate_on_submit() or decision not in ("approve", "refuse"):
        if decision not in ("approve", "refuse"):
            form.form_errors.append(_("Choose to approve or to refuse the request."))
        return _view(task, decision_form=form, status=422)

    def decide():
        extensions.decide_extension(current_user, ext_id, decision == "approve", form.comment.data,
                                    task_id=task.id)
        notifications.mark_task_read(current_user, task_id)

    if not boundary.run(decide, form):
        return _view(task_queries.get_task(current_user, task_id), decision_form=form, status=422)
    if decision == "approve":
        flash(_("The extension has been approved; the due date has moved."), "success")
    else:
        flash(_("The extension has been refused."), "success")
    return redirect(url_for("tasks.view", task_id=task_id) + "#extensions")
