"""The home page and the overdue list (with its Excel export)."""

from flask import Blueprint, Response, render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required

from app.clock import local_today
from app.dashboard import queries as dashboard
from app.deadlines.overdue_list import (
    OverdueFilter,
    build_overdue_list,
    other_lead_units,
    overdue_xlsx,
)
from app.reports.xlsx import XLSX_MIMETYPE
from app.settings import current_settings
from app.tasks import queries as task_queries

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index():
    today = local_today()
    data = dashboard.build(current_user, today, current_settings().due_soon_days)
    return render_template("dashboard/index.html", d=data, today=today,
                           scope_args=dashboard.home_args(today),
                           timeliness_order=[t.value for t in dashboard.TIMELINESS_ORDER])


def _int_arg(name: str) -> int | None:
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return None
    return value if 0 < value < 2**31 else None


def _overdue_filter(today) -> tuple[OverdueFilter, task_queries.FilterOptions, list]:
    """The filter from the query string, and the lead units it offers: the reader's units
    and every other unit leading a row of the list. A unit not offered is ignored (the
    dropdown would show "All" over a filtered list), as junk is."""
    options = task_queries.filter_options(current_user, _int_arg("unit"))
    units = [*options.units, *other_lead_units(current_user, today,
                                               current_settings().due_soon_days)]
    unit_id = _int_arg("unit")
    f = OverdueFilter(unit_id=unit_id if unit_id in {u.id for u in units} else None,
                      field_id=_int_arg("field"), plan_id=_int_arg("plan"))
    return f, options, units


@bp.get("/overdue")
@login_required
def overdue():
    today = local_today()
    f, options, units = _overdue_filter(today)
    result = build_overdue_list(current_user, f, today, current_settings().due_soon_days,
                                page=_int_arg("page") or 1, per_page=current_settings().page_size)
    return render_template("dashboard/overdue.html", result=result, f=f, today=today,
                           options=options, units=units)


@bp.get("/overdue.xlsx")
@login_required
def overdue_export():
    today = local_today()
    f, _options, _units = _overdue_filter(today)
    result = build_overdue_list(current_user, f, today, current_settings().due_soon_days)
    body = overdue_xlsx(result, str(get_locale()))
    name = f"{'overdue' if str(get_locale()) == 'en' else 'qua-han'}-{today:%Y-%m-%d}.xlsx"
    return Response(body, mimetype=XLSX_MIMETYPE, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    })
