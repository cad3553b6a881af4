"""Plan pages: the list, a plan with its six-clears badges, create, edit, issue."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import local_today
from ..extensions import db
from ..filters import PLAN_KIND_LABELS
from ..models import PlanKind, Role, Unit
from ..services import access, plans, tasks
from ..services.errors import RuleViolation
from ..services.plans import PlanInput
from ..tasks.routes import _attach
from .forms import PlanEditForm, PlanForm

bp = Blueprint("plans", __name__)


@bp.get("/plans")
@login_required
def index():
    items = plans.list_plans(current_user)
    counts = plans.summaries([p.id for p in items])
    return render_template("plans/index.html", plans=items, counts=counts,
                           can_create=current_user.role == Role.HEAD)


@bp.route("/plans/new", methods=["GET", "POST"])
@login_required
def create():
    if current_user.role != Role.HEAD:
        abort(403)
    form = PlanForm()
    form.kind.choices = [(k.value, PLAN_KIND_LABELS[k]) for k in PlanKind]
    units = db.session.execute(select(Unit.id, Unit.name).where(access.unit_scope(current_user),
                                                                Unit.is_active)
                               .order_by(Unit.path)).all()
    form.unit_id.choices = [(u.id, u.name) for u in units]
    if request.method == "GET":
        form.unit_id.data = current_user.unit_id
        form.year.data = local_today().year
        form.kind.data = PlanKind.CCHC.value
    status = 200
    if form.validate_on_submit():
        try:
            plan = plans.create_plan(current_user, PlanInput(
                unit_id=form.unit_id.data or 0, year=form.year.data, kind=form.kind.data,
                title=form.title.data, doc_number=form.doc_number.data or "",
                doc_date=form.doc_date.data))
        except RuleViolation as e:
            db.session.rollback()
            _attach(form, e)
            status = 422
        else:
            db.session.commit()
            flash(_("The plan has been created as a draft."), "success")
            return redirect(url_for("plans.view", plan_id=plan.id))
    elif request.method == "POST":
        status = 422
    return render_template("plans/form.html", form=form, plan=None), status


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@login_required
def edit(plan_id: int):
    plan = tasks.get_plan(current_user, plan_id)
    if not access.can_manage_plan(current_user, plan):
        abort(403)
    form = PlanEditForm(obj=plan if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            plans.update_plan(current_user, plan.id, form.title.data, form.doc_number.data or "",
                              form.doc_date.data)
        except RuleViolation as e:
            db.session.rollback()
            _attach(form, e)
            status = 422
        else:
            db.session.commit()
            flash(_("The plan has been saved."), "success")
            return redirect(url_for("plans.view", plan_id=plan.id))
    elif request.method == "POST":
        status = 422
    return render_template("plans/form.html", form=form, plan=plan), status


def _int_arg(name: str, default: int = 1) -> int:
    try:
        return max(1, min(int(request.args.get(name, default)), 100000))
    except ValueError:
        return default


@bp.get("/plans/<int:plan_id>")
@login_required
def view(plan_id: int, unclear=None, status: int = 200):
    plan = tasks.get_plan(current_user, plan_id)
    page = _int_arg("page")
    items, total = plans.plan_tasks(plan, page)
    return render_template(
        "plans/view.html", plan=plan, items=items, total=total, page=page, per_page=100,
        summary=plans.summary(plan), today=local_today(), unclear=unclear,
        can_manage=access.can_manage_plan(current_user, plan),
        can_add=access.can_add_task(current_user, plan)), status


@bp.post("/plans/<int:plan_id>/issue")
@login_required
def issue(plan_id: int):
    try:
        plan, unclear = plans.issue_plan(current_user, plan_id)
    except RuleViolation as e:
        db.session.rollback()
        flash(str(e.message), "danger")
        return redirect(url_for("plans.view", plan_id=plan_id))
    if unclear:
        db.session.commit()  # keeps the refreshed six-clears flags
        flash(_("The plan cannot be issued: %(n)s tasks are not clear on all six.", n=len(unclear)),
              "danger")
        return view(plan_id, unclear=unclear, status=422)
    db.session.commit()
    flash(_("The plan has been issued."), "success")
    return redirect(url_for("plans.view", plan_id=plan.id))
