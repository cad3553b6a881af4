"""The home page and the overdue list (with its Excel export)."""

import re
from io import BytesIO

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from app.clock import local_today
from app.dashboard import fragments
from app.dashboard import queries as dashboard
from app.deadlines.overdue_list import (
    OverdueFilter,
    OverdueList,
    build_overdue_list,
    export_rows,
    lead_unit_counts,
    other_lead_units,
    write_overdue_xlsx,
)
from app.deadlines.overdue_report import build_overdue_report
from app.domain.status import Lifecycle
from app.domain.text import fold
from app.extensions import serial_reads
from app.filters import LIFECYCLE_LABELS, days_badge, vndate
from app.reports.xlsx import XLSX_MIMETYPE
from app.settings import current_settings
from app.tasks import queries as task_queries

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index():
    return render_template("dashboard/index.html", content=home_content(local_today()))


def home_content(today, cached: bool = True) -> Markup:
    """The home page's content for the current user: from the fragment cache while nothing
    it is made from has been written (app/dashboard/fragments.py), else built and rendered.
    The key holds everything the page depends on besides the data: the reader, the day,
    the language, the script root its links start with and the two due-soon settings the
    page reads."""
    due_soon_days = current_settings().due_soon_days

    def make() -> str:
        serial_reads()
        data = dashboard.build(current_user, today, due_soon_days)
        return render_template("dashboard/_home.html", d=data, today=today,
                               scope_args=dashboard.home_args(today),
                               timeliness_order=[t.value for t in dashboard.TIMELINESS_ORDER],
                               task_path=url_for("tasks.view", task_id=0)[:-1])

    if not (cached and current_app.config.get("HOME_CACHE", True)):
        return Markup(make())  # nosec B704 - a rendered template, escaped by Jinja
    key = (current_user.id, today, str(get_locale()), request.script_root, due_soon_days,
           current_app.config.get("DUE_SOON_DAYS"))
    return Markup(fragments.home_fragments.get_or_make(current_user, key, make))  # nosec B704 - rendered as above


def _int_arg(name: str) -> int | None:
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return None
    return value if 0 < value < 2**31 else None


def _overdue_filter(today, counts: list | None = None
                    ) -> tuple[OverdueFilter, task_queries.FilterOptions, list]:
    """The filter from the query string, and the lead units it offers: the reader's units
    and every other unit leading a row of the list (from `counts`, lead_unit_counts, when
    given). A unit not offered is ignored (the dropdown would show "All" over a filtered
    list), as junk is. The list's filter has no person: the people are not read."""
    options = task_queries.filter_options(current_user, _int_arg("unit"), people=False)
    units = [*options.units, *other_lead_units(current_user, today,
                                               current_settings().due_soon_days, counts)]
    unit_id = _int_arg("unit")
    f = OverdueFilter(unit_id=unit_id if unit_id in {u.id for u in units} else None,
                      field_id=_int_arg("field"), plan_id=_int_arg("plan"))
    return f, options, units


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:40]


def _chosen_filters(f: OverdueFilter, options: task_queries.FilterOptions, units: list) -> list:
    """(label, name, file-name slug) of each filter applied, by the names the form shows."""
    out = []
    for label, chosen, choices, attr in ((_("Lead unit"), f.unit_id, units, "name"),
                                         (_("Field"), f.field_id, options.fields, "name"),
                                         (_("Plan"), f.plan_id, options.plans, "title")):
        if chosen:
            name = next((getattr(c, attr) for c in choices if c.id == chosen), str(chosen))
            out.append((str(label), name, _slug(name) or str(chosen)))
    return out


def row_items(result: OverdueList, task_path: str) -> dict[int, Markup]:
    """Each row of the page as the template wrote it (the `<li>` with the task's link, the
    line under the title and the days badge), by row number. Per row the template did a
    macro, `ngettext`, three `_()` and a dozen escaped values (~70 us a row, then ~20 us
    without the translations: issue 16, docs/performance.md fourth and fifth passes). The
    same bytes, escaped as the template escaped them: a translation is markup (Jinja's `_()`
    returns it as such), a value is escaped (a title, a unit's name; ids, dates and numbers
    have nothing to escape). Written with f-strings: `Markup.format` cost as much as the
    template did."""
    tr = get_translations()
    due, was = tr.ugettext("due %(date)s"), tr.ugettext("was %(date)s")
    no_unit = tr.ugettext("No lead unit")
    submitted = (f'<span class="badge text-bg-info" data-submitted>'
                 f"{escape(LIFECYCLE_LABELS[Lifecycle.SUBMITTED])}</span>")
    path = escape(task_path)
    out = {}
    for r in result.rows:
        t = r.task
        unit = escape(t.lead_unit_name) if t.lead_unit_name is not None else no_unit
        line = f"{unit} · {due % {'date': escape(vndate(t.due_on))}}"
        if t.original_due_on and t.original_due_on != t.due_on:
            line += f" ({was % {'date': escape(vndate(t.original_due_on))}})"
        line += f" · {t.progress}%"
        badge = days_badge(r.days_overdue if r.is_overdue else r.days_left, r.is_overdue,
                           result.due_soon_days, tr)
        mark = submitted if t.status == Lifecycle.SUBMITTED else ""
        # Markup of the catalogue's words and values escaped one by one above, as the
        # template wrote them (tests/web/test_overdue_list.py: the unit's name escaped).
        out[r.n] = Markup(  # nosec B704 - values escaped above
            f'\n      <li class="list-group-item d-flex justify-content-between align-items-start gap-2"'
            f' data-task-id="{t.id}" data-n="{r.n}" data-timeliness="{r.timeliness}">'
            f'\n        <div class="text-break">'
            f'\n          <span class="text-muted small me-1">{r.n}.</span><a href="{path}{t.id}">'
            f"{escape(t.title)}</a>"
            f"\n          {mark}"
            f'\n          <div class="small text-muted">{line}</div>'
            f"\n        </div>"
            f"\n        {badge}"
            f"\n      </li>\n      ")
    return out


@bp.get("/overdue")
@login_required
def overdue():
    return render_template("dashboard/overdue.html", content=overdue_content(local_today()))


def overdue_content(today, cached: bool = True) -> Markup:
    """The overdue list's content for the current user and query string: from the fragment
    cache while nothing it is made from has been written (the home page's tokens: the list
    reads a subset of the same tables), else built and rendered. The key holds everything
    else the page depends on: the reader, the day, the language, the script root, the
    settings it reads and the query string as given (the pager's links carry it)."""
    settings = current_settings()

    def make() -> str:
        serial_reads()
        # One GROUP BY of the unfiltered list gives the lead units the filter offers and, with
        # no filter chosen, the totals (issue 16: one pass over the list instead of two).
        counts = lead_unit_counts(current_user, today, settings.due_soon_days)
        f, options, units = _overdue_filter(today, counts)
        result = build_overdue_list(current_user, f, today, settings.due_soon_days,
                                    page=_int_arg("page") or 1, per_page=settings.page_size,
                                    counts=counts, plain=True)
        return render_template("dashboard/_overdue.html", result=result, f=f, today=today,
                               options=options, units=units,
                               items=row_items(result, url_for("tasks.view", task_id=0)[:-1]))

    if not (cached and current_app.config.get("HOME_CACHE", True)):
        return Markup(make())  # nosec B704 - a rendered template, escaped by Jinja
    key = (current_user.id, today, str(get_locale()), request.script_root, settings.due_soon_days,
           settings.page_size, tuple(sorted(request.args.items(multi=True))))
    return Markup(fragments.overdue_fragments.get_or_make(current_user, key, make))  # nosec B704 - rendered as above


@bp.get("/overdue/print")
@login_required
def overdue_print():
    """The overdue list as an official report: by lead unit, by accountable leader, then
    every task (as many as the export holds)."""
    today = local_today()
    f, _options, _units = _overdue_filter(today)
    result = build_overdue_list(current_user, f, today, current_settings().due_soon_days)
    return render_template("dashboard/overdue_print.html", r=build_overdue_report(
        current_user, result, f.unit_id, today), f=f)


@bp.get("/overdue.xlsx")
@login_required
def overdue_export():
    today = local_today()
    if request.args.get("unit") or request.args.get("field") or request.args.get("plan"):
        f, options, units = _overdue_filter(today)
        chosen = _chosen_filters(f, options, units)
    else:  # no filter: none of the five queries of the filter choices (issue 16)
        f, chosen = OverdueFilter(), []
    rows = export_rows(current_user, f, today, current_settings().due_soon_days)
    locale = str(get_locale())
    # At most MAX_ROWS rows (2,000: about 150 KB), written in memory and sent whole.
    out = BytesIO()
    write_overdue_xlsx(rows, today, out, locale,
                       "; ".join(f"{label}: {name}" for label, name, _slug in chosen))
    # The file name says what is in it (issue 17): the day and the filters.
    parts = ["overdue" if locale == "en" else "qua-han", f"{today:%Y-%m-%d}",
             *(slug for _label, _name, slug in chosen)]
    name = "-".join(p for p in parts if p)[:150] + ".xlsx"
    return Response(out.getvalue(), mimetype=XLSX_MIMETYPE, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    })
