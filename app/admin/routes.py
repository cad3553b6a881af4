"""Administration: the unit tree and user accounts (admin only)."""

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app import boundary
from app.admin.forms import MergeForm, UnitEditForm, UnitForm, UserForm
from app.common import audit
from app.common.errors import RuleViolation
from app.directory import units as unit_service
from app.directory import users as user_service
from app.domain.text import fold
from app.extensions import db
from app.filters import ROLE_LABELS, UNIT_KIND_LABELS
from app.models import Role, Unit, User
from app.models.user import EXTRA_ROLES
from app.org import people
from app.settings import current_settings

bp = Blueprint("admin", __name__, url_prefix="/admin")

def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.has_role(Role.ADMIN):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _unit_choices(exclude_path: str | None = None, empty: str | None = None):
    """The active units in tree order, indented by depth, after an empty choice labelled
    `empty` (by default "none (top level)")."""
    rows = db.session.execute(select(Unit.id, Unit.name, Unit.path, Unit.kind, Unit.name_sort)
                              .where(Unit.is_active)).all()
    return [("", empty or _("— none (top level) —"))] + [
        (r.id, "— " * (r.path.count("/") - 2) + r.name) for r in unit_service.tree_order(rows)
        if not (exclude_path and r.path.startswith(exclude_path))]


def _kind_choices() -> list[tuple[str, str]]:
    return [(k, UNIT_KIND_LABELS[k]) for k in unit_service.KIND_ORDER]


def _chosen_parent(unit_id: int | None, keep_id: int | None = None) -> Unit | None:
    """The parent chosen in a unit form. An id that names no unit (or a retired one, unless it
    is the current parent) is refused beside the field: it must never mean "top level"."""
    if not unit_id:
        return None
    parent = db.session.get(Unit, unit_id) if 0 < unit_id < 2**31 else None
    if parent is None or (not parent.is_active and parent.id != keep_id):
        raise RuleViolation(_("This unit does not exist or has been retired."), "parent_id")
    return parent


# The unit service names the parent "parent"; the forms call it parent_id.
UNIT_FIELDS = {"parent": "parent_id"}
# The user service's "password" and "unit" are the form's new_password and unit_id.
USER_FIELDS = {"password": "new_password", "unit": "unit_id"}


@bp.route("/units", methods=["GET", "POST"])
@admin_required
def units():
    form = UnitForm()
    form.kind.choices = _kind_choices()
    form.parent_id.choices = _unit_choices()
    status = 200
    if form.validate_on_submit():

        def add():
            parent = _chosen_parent(form.parent_id.data)
            unit_service.add_unit(form.code.data, form.name.data, parent.code if parent else None,
                                  form.kind.data, actor_id=current_user.id,
                                  max_depth=current_settings().max_unit_depth)

        if boundary.run(add, form, fields=UNIT_FIELDS):
            flash(_("The unit has been added."), "success")
            return redirect(url_for("admin.units"))
        status = 422
    elif request.method == "POST":
        status = 422
    q = fold(request.args.get("q", ""))[:100]
    stmt = select(Unit).order_by(Unit.path)
    if q:
        stmt = stmt.where(Unit.name_folded.contains(q, autoescape=True) | (Unit.code == q))
    # Limited by path so that what is shown is whole subtrees, then put in tree order.
    rows = unit_service.tree_order(db.session.scalars(stmt.limit(1000)).all())
    counts = dict(db.session.execute(select(User.unit_id, func.count(User.id)).group_by(User.unit_id)).all())
    ids = {r.successor_id for r in rows if r.successor_id}
    successors = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all()) if ids else {}
    return render_template("admin/units.html", form=form, units=rows, counts=counts, q=q,
                           successors=successors), status


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@admin_required
def unit(unit_id: int):
    u = db.session.get(Unit, unit_id)
    if u is None:
        abort(404)
    # A post without a kind (an older page, a script) keeps the unit's kind.
    form = UnitEditForm(obj=u if request.method == "GET" else None, data={"kind": u.kind})
    form.kind.choices = _kind_choices()
    form.parent_id.choices = _unit_choices(exclude_path=u.path)
    status = 200
    if form.validate_on_submit():

        def save():
            if form.name.data.strip() != u.name:
                before = u.name
                u.set_name(form.name.data)
                audit.record(current_user.id, "unit.rename", "unit", u.id, {"name": [before, u.name]})
            new_parent = _chosen_parent(form.parent_id.data, keep_id=u.parent_id)
            if (new_parent.id if new_parent else None) != u.parent_id:
                unit_service.move_unit(u, new_parent, current_user.id,
                                       max_depth=current_settings().max_unit_depth)
            unit_service.set_kind(u, form.kind.data, current_user.id)
            unit_service.set_active(u, bool(form.is_active.data), current_user.id)

        if boundary.run(save, form, fields=UNIT_FIELDS):
            flash(_("The unit has been saved."), "success")
            return redirect(url_for("admin.units"))
        status = 422
    elif request.method == "POST":
        status = 422
    return _unit_page(u, form, status=status)


def _unit_page(u: Unit, form, merge_form=None, status: int = 200):
    if form is None:
        form = UnitEditForm(formdata=None, obj=u, data={"kind": u.kind})
        form.kind.choices = _kind_choices()
        form.parent_id.choices = _unit_choices(exclude_path=u.path)
    if merge_form is None and u.is_active:
        merge_form = MergeForm()
    if merge_form is not None:
        merge_form.target_id.choices = _unit_choices(exclude_path=u.path, empty=_("— choose —"))
    successor = db.session.get(Unit, u.successor_id) if u.successor_id else None
    return render_template("admin/unit.html", form=form, unit=u, merge_form=merge_form,
                           successor=successor), status


@bp.post("/units/<int:unit_id>/merge")
@admin_required
def unit_merge(unit_id: int):
    u = db.session.get(Unit, unit_id)
    if u is None:
        abort(404)
    form = MergeForm()
    form.target_id.choices = _unit_choices(exclude_path=u.path, empty=_("— choose —"))
    if form.validate_on_submit():

        def merge():
            if not form.confirm.data:
                raise RuleViolation(_("Tick the box to confirm the merge."), "confirm")
            target = _chosen_parent(form.target_id.data)
            if target is None:
                raise RuleViolation(_("Choose the unit to merge into."), "target_id")
            return unit_service.merge_unit(u, target, current_user.id,
                                           max_depth=current_settings().max_unit_depth)

        done = boundary.run(merge, form, fields={"parent_id": "target_id"})
        if done:
            m = done.value
            flash(_("The unit has been merged: %(people)s people, %(plans)s plans, %(tasks)s open "
                    "tasks and %(units)s sub-units moved.", people=m.people, plans=m.plans,
                    tasks=m.tasks, units=m.sub_units), "success")
            return redirect(url_for("admin.unit", unit_id=unit_id))
    return _unit_page(db.session.get(Unit, unit_id), None, form, 422)


@bp.get("/users")
@admin_required
def users():
    q = fold(request.args.get("q", ""))[:100]
    stmt = select(User).order_by(User.name_sort)
    if q:
        stmt = stmt.where(User.name_folded.contains(q, autoescape=True) | User.username.contains(q, autoescape=True))
    try:
        page = max(1, min(int(request.args.get("page", 1)), 100000))
    except ValueError:
        page = 1
    rows = db.session.scalars(stmt.limit(100).offset((page - 1) * 100)).all()
    return render_template("admin/users.html", users=rows, q=q, page=page)


def _user_form(form: UserForm) -> None:
    form.role.choices = [(r.value, ROLE_LABELS[r]) for r in Role]
    # No unit is chosen for the admin: a new account lands where it is put, not in the first unit.
    form.unit_id.choices = _unit_choices(empty=_("— choose —"))


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new():
    form = UserForm()
    _user_form(form)
    status = 200
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None

        def add():
            if not form.new_password.data:
                raise RuleViolation(_("Enter a password for the new account."), "new_password")
            user_service.add_user(form.username.data, form.full_name.data,
                                  unit.code if unit else "", form.role.data, form.new_password.data,
                                  form.email.data, form.title.data, actor_id=current_user.id)

        if boundary.run(add, form, fields=USER_FIELDS):
            flash(_("The account has been created."), "success")
            return redirect(url_for("admin.users"))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("admin/user.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = UserForm(obj=user if request.method == "GET" else None)
    _user_form(form)
    form.username.data = user.username
    status = 200
    if form.validate_on_submit():
        if boundary.run(lambda: user_service.update_user(
                current_user, user.id, form.full_name.data, form.email.data,
                form.unit_id.data or 0, form.role.data, bool(form.is_active.data),
                form.title.data, form.new_password.data or None), form):
            flash(_("The account has been saved."), "success")
            return redirect(url_for("admin.users"))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("admin/user.html", form=form, user=user,
                           person=people.person(current_user, user.id),
                           extra_roles=[(r.value, ROLE_LABELS[r]) for r in EXTRA_ROLES]), status
