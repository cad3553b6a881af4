"""The organisation as it is: a person's page (post, extra roles, a deputy's fields of
responsibility) and the forms that change them."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import boundary
from app.common.errors import NotFound
from app.filters import ROLE_LABELS
from app.models.user import EXTRA_ROLES
from app.org import people
from app.org.forms import FieldsForm, RolesForm

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
