"""The organisation as it is: a person's page (post, extra roles, a deputy's fields of
responsibility), the forms that change them, and the audit browser."""

from io import BytesIO

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
from app.clock import local_today
from app.common.errors import NotFound
from app.domain.recurrence import DueKind
from app.filters import (
    ACTION_LABELS,
    LIFECYCLE_LABELS,
    PLAN_KIND_LABELS,
    PLAN_STATUS_LABELS,
    ROLE_LABELS,
    UNIT_KIND_LABELS,
)
from app.filters import FIELD_LABELS as TASK_FIELD_LABELS
from app.formfields import parse_date
from app.models.user import EXTRA_ROLES
from app.org import auditlog, people
from app.org.forms import FieldsForm, RolesForm
from app.plans.recurring import FREQUENCY_LABELS
from app.reports.xlsx import XLSX_MIMETYPE, write_table

bp = Blueprint("org", __name__)


def _back(user_id: int) -> str:
    """Back to the admin's user page when the form was sent from there, else the person's."""
    if request.form.get("back") == "admin" and current_user.has_role("admin"):
        return url_for("admin.user_edit", user_id=user_id)
    return url_for("org.person", user_id=user_id)


def _page(user_id: int, fields_form=None, roles_form=None, status=200):
    try:
        p = people.person(current_user, user_id)
    except NotFound:
        abort(404)
    if fields_form is None:
        fields_form = FieldsForm(data={"field_ids": [f.id for f in p.fields]})
    if roles_form is None:
        roles_form = RolesForm(data={"extra_roles": p.user.extra_role_list})
    return render_template("org/person.html", p=p, fields_form=fields_form, roles_form=roles_form,
                           extra_roles=[(r.value, ROLE_LABELS[r]) for r in EXTRA_ROLES]), status


@bp.get("/people/<int:user_id>")
@login_required
def person(user_id: int):
    return _page(user_id)


@bp.post("/people/<int:user_id>/fields")
@login_required
def fields(user_id: int):
    form = FieldsForm()
    if form.validate_on_submit() and boundary.run(
            lambda: people.set_fields(current_user, user_id, form.field_ids.data or []), form):
        flash(_("The fields of responsibility have been saved."), "success")
        return redirect(_back(user_id))
    return _page(user_id, fields_form=form, status=422)


@bp.post("/people/<int:user_id>/roles")
@login_required
def roles(user_id: int):
    form = RolesForm()
    if form.validate_on_submit() and boundary.run(
            lambda: people.set_extra_roles(current_user, user_id, form.extra_roles.data or []), form):
        flash(_("The roles have been saved."), "success")
        return redirect(_back(user_id))
    return _page(user_id, roles_form=form, status=422)


# ---- the audit browser ---------------------------------------------------------------------

OBJECT_LABELS = {
    "task": _l("Task"), "plan": _l("Plan"), "user": _l("User"), "unit": _l("Unit"),
    "extension": _l("Extension"), "evidence": _l("Evidence file"),
    "assessment_run": _l("Assessment run"), "assessment_unit_row": _l("Assessment of a unit"),
    "assessment_leader_row": _l("Assessment of a leader"), "indicator_set": _l("Indicator set"),
    "criterion": _l("Criterion"), "quality_sheet": _l("Scoring sheet"),
    "quality_score": _l("Score of a criterion"), "quality_evidence": _l("Quality evidence"),
    "api_token": _l("API token"), "calendar_feed": _l("Calendar address"),
    "process_step": _l("Process step"), "recurring_rule": _l("Recurring task"),
    "quality_explanation": _l("Explanation request"), "field": _l("Field"),
}
# Column names as people read them: the task page's labels, then the others' (issue 17 §2:
# the browser speaks the user's language, never a column name).
FIELD_LABELS = {
    **TASK_FIELD_LABELS,
    "title": _l("Title"), "status": _l("Status"), "completed_on": _l("Completion date"),
    "unit_id": _l("Unit"), "parent_id": _l("Parent unit"), "parent": _l("Parent unit"),
    "unit": _l("Unit"), "username": _l("Username"),
    "role": _l("Role"), "extra_roles": _l("Additional roles"), "fields": _l("Fields of responsibility"),
    "full_name": _l("Full name"), "email": _l("Email"), "is_active": _l("Active"),
    "name": _l("Name"), "kind": _l("Kind"), "code": _l("Code"), "year": _l("Year"),
    "cancel_reason": _l("Reason"), "password": _l("Password"), "successor_id": _l("Merged into"),
    "sub_units": _l("Sub-units moved"), "people": _l("People moved"), "plans": _l("Plans moved"),
    "open_tasks": _l("Open tasks moved"), "assigned_notices": _l("Notices sent"),
    "is_key": _l("Key task"), "indicator_direction": _l("Better when the actual value is"),
    "period": _l("Period"), "recurring_rule_id": _l("Recurring task"),
    "frequency": _l("Frequency"), "due_kind": _l("Due date rule"), "due_day": _l("Day of the month"),
    "due_next_month": _l("In the month after the period"), "working_days": _l("Working days after the cut-off"),
    "steps_text": _l("Process steps"),
    # the indicator set and its scoring
    "method": _l("Scoring method"), "max_points": _l("Maximum points"), "basis": _l("Basis"),
    "event_kind": _l("Events counted"), "per_event": _l("Points per event"),
    "plan_kind": _l("Kind of plan"), "set": _l("Indicator set"), "sheet": _l("Scoring sheet"),
    "sheets": _l("Scoring sheets"), "criterion": _l("Criterion"), "version": _l("Version"),
    "decision_no": _l("Decision number"), "decision_on": _l("Decision date"),
    "entry_opens_on": _l("Entry opens on"), "entry_closes_on": _l("Entry closes on"),
    "unit_group": _l("Group of units"), "auto_as_of": _l("Automatic figures as of"),
    "self_points": _l("Self-assessed points"), "self_note": _l("Self-assessment note"),
    "draft_points": _l("Draft points"), "draft_note": _l("Draft note"),
    "appraised_points": _l("Appraised points"), "appraisal_note": _l("Appraisal note"),
    "event_count": _l("Events"), "unit_figure": _l("Unit's figure"), "score": _l("Score"),
    "for_units": _l("For the coordinating unit"),
}
# A column whose meaning depends on the object: a merge records how many fields moved.
OBJECT_FIELD_LABELS = {("unit", "fields"): _l("Fields moved")}
# Coded values (statuses, kinds, methods) shown by name: by (object, column), then by column.
VALUE_LABELS = {
    ("task", "status"): LIFECYCLE_LABELS,
    ("plan", "status"): PLAN_STATUS_LABELS,
    ("indicator_set", "status"): {"draft": _l("Draft"), "published": _l("Published, open for scoring"),
                                  "locked": _l("Results published")},
    ("quality_sheet", "status"): {"open": _l("Not submitted"),
                                  "submitted": _l("Submitted, awaiting appraisal"),
                                  "appraised": _l("Appraised"), "published": _l("Published")},
    ("extension", "status"): {"pending": _l("Awaiting decision"), "approved": _l("Approved"),
                              "refused": _l("Refused")},
    ("plan", "kind"): PLAN_KIND_LABELS,
    ("unit", "kind"): UNIT_KIND_LABELS,
    (None, "role"): ROLE_LABELS,
    (None, "extra_roles"): ROLE_LABELS,
    (None, "plan_kind"): PLAN_KIND_LABELS,
    (None, "frequency"): FREQUENCY_LABELS,
    (None, "due_kind"): {DueKind.DAY.value: _l("A day of the month"),
                         DueKind.WORKING_DAYS.value: _l("Working days after the cut-off")},
    (None, "indicator_direction"): {"higher": _l("higher (at least the target)"),
                                    "lower": _l("lower (at most the target)")},
    (None, "method"): {"manual": _l("Self-assessed with evidence"),
                       "tasks": _l("From tasks (responsibility score)"),
                       "targets": _l("From targets (achievement of the indicators)"),
                       "stepped": _l("Stepped thresholds"), "deduction": _l("Deductions per event"),
                       "bonus": _l("Bonus up to a cap")},
    (None, "basis"): {"tasks": _l("the responsibility score of the tasks (%)"),
                      "targets": _l("the achievement of the targets (%)")},
    (None, "event_kind"): {"overdue": _l("overdue tasks (from the tracker)"),
                           "late": _l("tasks completed late (from the tracker)"),
                           "entered": _l("events declared by the unit with evidence")},
}
# What was done, by action code (the task page's wording for tasks, then the others).
AUDIT_ACTIONS = {
    **ACTION_LABELS,
    "task.unit_merge": _l("moved with a merged unit"),
    "plan.create": _l("created the plan"), "plan.update": _l("edited the plan"),
    "plan.issue": _l("issued the plan"), "plan.close": _l("closed the plan"),
    "plan.reopen": _l("reopened the plan"), "plan.import": _l("imported the plan from a file"),
    "plan.unit_merge": _l("moved with a merged unit"),
    "recurring.create": _l("created a recurring task"), "recurring.update": _l("edited a recurring task"),
    "recurring.delete": _l("deleted a recurring task"),
    "user.create": _l("created the account"), "user.update": _l("edited the account"),
    "user.password": _l("changed the password"), "user.roles": _l("changed the additional roles"),
    "user.fields": _l("changed the fields of responsibility"),
    "unit.create": _l("created the unit"), "unit.rename": _l("renamed the unit"),
    "unit.move": _l("moved the unit"), "unit.kind": _l("changed the unit's kind"),
    "unit.retire": _l("retired the unit"), "unit.restore": _l("restored the unit"),
    "unit.merge": _l("merged the unit"),
    "token.create": _l("created an API token"), "token.revoke": _l("revoked an API token"),
    "calendar.create": _l("created a calendar address"), "calendar.revoke": _l("revoked a calendar address"),
    "assessment.freeze": _l("froze an assessment run"),
    "assessment.final_grade": _l("set a final grade"),
    "quality.set_create": _l("created an indicator set"), "quality.set_copy": _l("copied an indicator set"),
    "quality.set_import": _l("imported an indicator set"),
    "quality.set_publish": _l("published the indicator set for scoring"),
    "quality.criterion_add": _l("added a criterion"), "quality.criterion_delete": _l("deleted a criterion"),
    "quality.window_open": _l("opened the entry window"),
    "quality.window_extend": _l("extended the entry window"),
    "quality.cutoff_freeze": _l("froze the figures at the cut-off"),
    "quality.draft_score": _l("saved a draft score"), "quality.self_score": _l("self-assessed a criterion"),
    "quality.evidence_add": _l("attached quality evidence"),
    "quality.sheet_submit": _l("submitted the scoring sheet"),
    "quality.sheet_return": _l("sent the scoring sheet back"),
    "quality.appraise": _l("appraised a criterion"),
    "quality.sheet_finalize": _l("finalized the appraisal"),
    "quality.explanation_ask": _l("asked for an explanation"),
    "quality.explanation_answer": _l("answered a request for an explanation"),
    "quality.results_publish": _l("published the results"),
}
AUDIT_PER_PAGE = 50


def _audit_filter() -> tuple[auditlog.AuditFilter, dict]:
    """The filter from the query string; a date that is not one is ignored and named beside
    its field (what was typed stays in the box)."""
    args, errors = request.args, {}
    dates = {}
    for key in ("from", "to"):
        try:
            dates[key] = parse_date(args.get(key, "")[:20])
        except ValueError:
            dates[key] = None
            errors[key] = _("Enter a date as dd/mm/yyyy.")
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        errors["to"] = _("The end date cannot be before the start date.")
        dates["to"] = None
    kind = args.get("type", "")[:32] or None
    return auditlog.AuditFilter(
        object_type=kind if kind in OBJECT_LABELS or (kind and kind.isidentifier()) else None,
        actor_id=auditlog.known_actor(_int(args.get("person"))),
        unit_id=auditlog.known_unit(_int(args.get("unit"))),
        date_from=dates["from"], date_to=dates["to"]), errors


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _words() -> dict:
    return {"yes": _("Yes"), "no": _("No"), "empty": "—"}


def _field(key: str) -> str:
    return str(FIELD_LABELS.get(key, key))


def _action(code: str) -> str:
    return str(AUDIT_ACTIONS.get(code, code))


def _value(object_type: str, key: str, text: str) -> str:
    """A coded value by name ("in_progress" -> "Đang thực hiện"; a list "a; b" item by item)."""
    labels = VALUE_LABELS.get((object_type, key)) or VALUE_LABELS.get((None, key))
    if not labels or not text:
        return text
    return "; ".join(str(labels.get(part, part)) for part in text.split("; "))


def _changes(e) -> list[tuple[str, str, str]]:
    """(field, before, after) of an entry, each as people read them."""
    return [(str(OBJECT_FIELD_LABELS.get((e.object_type, c.field), "")) or _field(c.field),
             _value(e.object_type, c.field, c.before),
             _value(e.object_type, c.field, c.after)) for c in e.changes]


@bp.get("/audit")
@login_required
def audit():
    boundary.require(auditlog.may_browse(current_user))
    f, errors = _audit_filter()
    page = auditlog.browse(current_user, f, _int(request.args.get("page")) or 1, AUDIT_PER_PAGE,
                           words=_words())
    return render_template("org/audit.html", page=page, f=f, errors=errors, args=request.args,
                           types=[(t, OBJECT_LABELS.get(t, t)) for t in auditlog.object_types()],
                           people=auditlog.people_choices(), units=auditlog.unit_choices(),
                           object_labels=OBJECT_LABELS, action_label=_action, changes_of=_changes)


def _span(f, en: bool) -> str:
    """The export's period in words: an official reads "… – …" as nothing."""
    start, end = (d.strftime("%d/%m/%Y") if d else None for d in (f.date_from, f.date_to))
    if en:
        return (f"{start} – {end}" if start and end else f"from {start}" if start
                else f"to {end}" if end else "the whole log")
    return (f"từ ngày {start} đến ngày {end}" if start and end else f"từ ngày {start}" if start
            else f"đến ngày {end}" if end else "toàn bộ nhật ký")


@bp.get("/audit.xlsx")
@login_required
def audit_xlsx():
    boundary.require(auditlog.may_browse(current_user))
    f, _errors = _audit_filter()
    en = str(get_locale()) == "en"
    today = local_today()
    headers = (["No.", "When", "By", "Unit", "Action", "Object", "Name", "Id",
                "Changes (before → after)", "Comment"] if en else
               ["STT", "Thời điểm", "Người thực hiện", "Đơn vị", "Thao tác", "Đối tượng",
                "Tên đối tượng", "Số hiệu", "Nội dung thay đổi (trước → sau)", "Ghi chú"])
    titles = ["AUDIT LOG" if en else "NHẬT KÝ THAY ĐỔI",
              (f"Period: {_span(f, en)}; as of {today:%d/%m/%Y}" if en
               else f"Thời gian: {_span(f, en)}; tính đến ngày {today:%d/%m/%Y}")]

    def rows():
        for n, e in enumerate(auditlog.export_rows(current_user, f, words=_words()), start=1):
            changes = "\n".join(f"{label}: {before} → {after}" if before else f"{label}: {after}"
                                for label, before, after in _changes(e))
            yield (n, e.at.strftime("%d/%m/%Y %H:%M"), e.actor, e.unit, _action(e.action),
                   str(OBJECT_LABELS.get(e.object_type, e.object_type)), e.object_text,
                   e.object_id, changes, e.comment)

    out = BytesIO()
    write_table(out, "Audit" if en else "Nhật ký", headers, rows(),
                widths=(6, 17, 24, 28, 22, 20, 36, 8, 60, 30), wrap_columns=(6, 8, 9),
                title_rows=titles)
    parts = ["audit" if en else "nhat-ky", f"{today:%Y-%m-%d}",
             f.object_type or "", f"from-{f.date_from}" if f.date_from else "",
             f"to-{f.date_to}" if f.date_to else ""]
    name = "-".join(p for p in parts if p)[:150] + ".xlsx"
    return Response(out.getvalue(), mimetype=XLSX_MIMETYPE, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
