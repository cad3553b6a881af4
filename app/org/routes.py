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
from app.filters import ROLE_LABELS
from app.formfields import parse_date
from app.models.user import EXTRA_ROLES
from app.org import auditlog, people
from app.org.forms import FieldsForm, RolesForm
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
}
FIELD_LABELS = {
    "title": _l("Title"), "status": _l("Status"), "due_on": _l("Due date"),
    "start_on": _l("Start date"), "progress": _l("Progress"), "weight": _l("Weight"),
    "assignee_id": _l("Responsible person"), "leader_id": _l("Accountable leader"),
    "lead_unit_id": _l("Lead unit"), "unit_id": _l("Unit"), "parent_id": _l("Parent unit"),
    "role": _l("Role"), "extra_roles": _l("Additional roles"), "fields": _l("Fields of responsibility"),
    "full_name": _l("Full name"), "email": _l("Email"), "is_active": _l("Active"),
    "name": _l("Name"), "kind": _l("Kind"), "completed_on": _l("Completion date"),
    "cancel_reason": _l("Reason"), "password": _l("Password"),
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
                           object_labels=OBJECT_LABELS, field_label=_field)


@bp.get("/audit.xlsx")
@login_required
def audit_xlsx():
    boundary.require(auditlog.may_browse(current_user))
    f, _errors = _audit_filter()
    en = str(get_locale()) == "en"
    today = local_today()
    headers = (["No.", "When", "By", "Unit", "Action", "Object", "Id", "Changes (before → after)",
                "Comment"] if en else
               ["STT", "Thời điểm", "Người thực hiện", "Đơn vị", "Thao tác", "Đối tượng", "Số hiệu",
                "Nội dung thay đổi (trước → sau)", "Ghi chú"])
    span = " – ".join(d.strftime("%d/%m/%Y") if d else "…" for d in (f.date_from, f.date_to))
    titles = ["AUDIT LOG" if en else "NHẬT KÝ THAY ĐỔI",
              (f"Period: {span}; as of {today:%d/%m/%Y}" if en
               else f"Thời gian: {span}; tính đến ngày {today:%d/%m/%Y}")]

    def rows():
        for n, e in enumerate(auditlog.export_rows(current_user, f, words=_words()), start=1):
            changes = "\n".join(f"{_field(c.field)}: {c.before} → {c.after}" if c.before
                                else f"{_field(c.field)}: {c.after}" for c in e.changes)
            yield (n, e.at.strftime("%d/%m/%Y %H:%M"), e.actor, e.unit, e.action,
                   str(OBJECT_LABELS.get(e.object_type, e.object_type)), e.object_id, changes,
                   e.comment)

    out = BytesIO()
    write_table(out, "Audit" if en else "Nhat ky", headers, rows(),
                widths=(6, 17, 24, 28, 22, 20, 8, 60, 30), wrap_columns=(7, 8), title_rows=titles)
    parts = ["audit" if en else "nhat-ky", f"{today:%Y-%m-%d}",
             f.object_type or "", f"from-{f.date_from}" if f.date_from else "",
             f"to-{f.date_to}" if f.date_to else ""]
    name = "-".join(p for p in parts if p)[:150] + ".xlsx"
    return Response(out.getvalue(), mimetype=XLSX_MIMETYPE, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
