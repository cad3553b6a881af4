"""Template filters and globals: dates as dd/mm/yyyy, status labels, badges."""

import json
from datetime import date, datetime
from decimal import Decimal

from flask import g, has_request_context, render_template, request
from flask_babel import get_locale, get_translations, to_user_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

from app.domain import recurrence
from app.domain.six_clears import CLEAR_LABELS
from app.domain.status import Lifecycle, Timeliness
from app.extensions import babel
from app.models import PlanKind, PlanStatus, Role

LIFECYCLE_LABELS = {
    Lifecycle.DRAFT: _l("Draft"),
    Lifecycle.ASSIGNED: _l("Assigned"),
    Lifecycle.IN_PROGRESS: _l("In progress"),
    Lifecycle.SUBMITTED: _l("Awaiting confirmation"),
    Lifecycle.COMPLETED: _l("Completed"),
    Lifecycle.RETURNED: _l("Returned for rework"),
    Lifecycle.SUSPENDED: _l("Suspended"),
    Lifecycle.CANCELLED: _l("Cancelled"),
}
TIMELINESS_LABELS = {
    Timeliness.WITHIN: _l("Within deadline"),
    Timeliness.DUE_SOON: _l("Due soon"),
    Timeliness.OVERDUE: _l("Overdue"),
    Timeliness.DONE_ON_TIME: _l("Completed on time"),
    Timeliness.DONE_LATE: _l("Completed late"),
    Timeliness.EXCLUDED: _l("Suspended or cancelled"),
}
TIMELINESS_CLASSES = {
    Timeliness.WITHIN: "text-bg-primary",
    Timeliness.DUE_SOON: "text-bg-warning",
    Timeliness.OVERDUE: "text-bg-danger",
    Timeliness.DONE_ON_TIME: "text-bg-success",
    Timeliness.DONE_LATE: "text-bg-secondary",
    Timeliness.EXCLUDED: "text-bg-light",
}
PLAN_STATUS_LABELS = {
    PlanStatus.DRAFT: _l("Draft"),
    PlanStatus.ISSUED: _l("Issued"),
    PlanStatus.CLOSED: _l("Closed"),
}
PLAN_KIND_LABELS = {
    PlanKind.CCHC: _l("Administrative reform (CCHC)"),
    PlanKind.WORK: _l("Work plan"),
    PlanKind.DIGITAL: _l("Digital transformation"),
    PlanKind.SOCIOECONOMIC: _l("Socio-economic targets"),
    PlanKind.OTHER: _l("Other"),
}
ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.ASSESSOR: _l("Assessor"),
    Role.HEAD: _l("Head"),
    Role.DEPUTY: _l("Deputy head"),
    Role.STAFF: _l("Staff"),
}
# The kinds of app/services/units.py UNIT_KINDS (kept as plain codes in the database).
UNIT_KIND_LABELS = {
    "province": _l("Province or city"),
    "department": _l("Department or agency"),
    "office": _l("Office or centre"),
    "section": _l("Section of a unit"),
    "ward": _l("Ward"),
    "commune": _l("Commune"),
    "special_zone": _l("Special zone"),
    "other": _l("Other"),
}
ACTION_LABELS = {
    "task.create": _l("created the task"),
    "task.update": _l("edited the task"),
    "task.amend": _l("amended the task"),
    "task.progress": _l("reported progress"),
    "task.submit": _l("submitted for confirmation"),
    "task.confirm": _l("confirmed completion"),
    "task.import_completion": _l("recorded a completion from an imported file"),
    "task.return": _l("returned for rework"),
    "task.withdraw": _l("withdrew the submission"),
    "task.cancel": _l("cancelled the task"),
    "task.suspend": _l("suspended the task"),
    "task.resume": _l("resumed the task"),
    "task.complete": _l("completed the task (its last sub-task was confirmed)"),
    "task.detach": _l("detached from the higher plan's task (it had fallen due before this "
                      "plan was issued)"),
    "step.done": _l("ticked a process step"),
    "step.undone": _l("unticked a process step"),
    "evidence.add": _l("attached evidence"),
    "extension.request": _l("requested a deadline extension"),
    "extension.approve": _l("approved a deadline extension"),
    "extension.refuse": _l("refused a deadline extension"),
    "task.coordinator_note": _l("added a note as coordinator"),
    "task.coordinator_contacts": _l("named the contact persons of a coordinating unit"),
    "task.unit_merge": _l("moved the task to the unit it was merged into"),
}


FIELD_LABELS = {
    "title": _l("Task"),
    "description": _l("Description"),
    "assignee_id": _l("Responsible person"),
    "lead_unit_id": _l("Lead unit"),
    "coordinators": _l("Coordinating units"),
    "contacts": _l("Contact persons"),
    "owner_unit_id": _l("Unit of the plan"),
    "leader_id": _l("Accountable leader"),
    "responsibility": _l("What the person answers for"),
    "steps": _l("Process steps"),
    "start_on": _l("Start date"),
    "due_on": _l("Due date"),
    "output_product": _l("Expected output product"),
    "indicator_name": _l("Indicator"),
    "indicator_unit": _l("Unit of measure"),
    "indicator_target": _l("Target value"),
    "indicator_actual": _l("Actual indicator value"),
    "field_id": _l("Field"),
    "weight": _l("Weight"),
    "progress": _l("Progress"),
    "status": _l("Status"),
    "submitted_on": _l("Submitted on"),
    "completed_on": _l("Completed on"),
    "is_done": _l("Done"),
    "step": _l("Step"),
    "file": _l("File"),
    "proposed_due_on": _l("Proposed due date"),
    "extension_count": _l("Extensions granted"),
    "excluded_on": _l("Left the count on"),
}
_ID_KINDS = {"assignee_id": "user", "leader_id": "user", "lead_unit_id": "unit",
             "coordinators": "unit", "field_id": "field", "contacts": "user",
             "owner_unit_id": "unit"}


# The fields whose history values are numbers (kept as text in the audit rows).
NUMBER_KEYS = frozenset({"weight", "indicator_target", "indicator_actual", "actual_value",
                         "progress", "percent"})


def history_value(key: str, value, names: dict) -> str:
    """One side of a history change, as a person reads it."""
    if value is None or value == "" or value == []:
        return "—"
    kind = _ID_KINDS.get(key)
    if kind:
        values = value if isinstance(value, list) else [value]
        return "; ".join(names.get(kind, {}).get(v, f"#{v}") for v in values)
    if key == "status":
        return str(LIFECYCLE_LABELS.get(value, value))
    if key in ("start_on", "due_on", "submitted_on", "completed_on",
               "proposed_due_on", "excluded_on") and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if key == "steps" and isinstance(value, list):
        return "; ".join(f"{i}. {s[0]}" + (f" ({date.fromisoformat(s[1]).strftime('%d/%m/%Y')})"
                                            if s[1] else "") for i, s in enumerate(value, 1))
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if key in NUMBER_KEYS:
        # Stored as text ("102.0000", "1.00"): shown as the number it is ("102", "1").
        try:
            return number(Decimal(str(value)))
        except ArithmeticError:
            return str(value)
    return str(value)


def history_changes(changes: dict, names: dict) -> list[tuple[str, str, str]]:
    """(field, before, after) of a history row as a person reads them, leaving out the
    fields whose two sides read the same ("1.00" -> "1" is no change) and the bookkeeping
    ones (the version; a step's title is shown on its own)."""
    out = []
    for key, pair in sorted(changes.items()):
        if key in ("version", "step", "for_units") or not isinstance(pair, list) or len(pair) != 2:
            continue
        before, after = history_value(key, pair[0], names), history_value(key, pair[1], names)
        if before != after:
            out.append((key, before, after))
    return out


def vndate(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return to_user_timezone(value).strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def vndatetime(value) -> str:
    if not value:
        return ""
    return to_user_timezone(value).strftime("%d/%m/%Y %H:%M")


def number(value) -> str:
    """Vietnamese number style: 1.234,5 (English: 1,234.5); no trailing zeros."""
    if value is None:
        return ""
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    if str(get_locale()) == "vi":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


def period_vi(code: str | None, year: int) -> str:
    """The period as official papers write it (print pages), whatever the reader's language."""
    return recurrence.period_vi(code, year) if code else ""


def period(code: str | None, year: int) -> str:
    """A recurring task's period: "Tháng 3/2026", "Quý II/2026" (app/plans/recurring.py)."""
    # Imported here: the plans package needs the app that registers these filters.
    from app.plans.recurring import period_label

    return period_label(code, year)


def days_badge(days: int, overdue: bool, due_soon_days: int, tr=None) -> Markup:
    """The days badge of a task: red "N days overdue", orange "Due today" or "N days left"
    (grey beyond the due-soon window). The one writer of it: the home page's macro
    (dashboard/_parts.html: days_badge) and the overdue list's rows (dashboard.routes:
    row_items) both call it. `tr` is the request's translations when the caller has them
    already (a page of rows); the catalogue's words are markup, as Jinja's `_()` returns
    them, and the values are integers."""
    tr = tr or get_translations()
    if overdue:
        text = tr.ungettext("%(num)s day overdue", "%(num)s days overdue", days) % {"num": days}
        html = (f'\n<span class="badge text-bg-danger text-nowrap" data-days-overdue="{days:d}">'
                f"{text}</span>\n")
    elif days == 0:
        html = (f'\n<span class="badge text-bg-warning text-nowrap" data-days-left="0">'
                f'{tr.ugettext("Due today")}</span>\n')
    else:
        text = tr.ungettext("%(num)s day left", "%(num)s days left", days) % {"num": days}
        look = "text-bg-warning" if days <= due_soon_days else "text-bg-light border"
        html = (f'\n<span class="badge {look} text-nowrap" data-days-left="{days:d}">'
                f"{text}</span>\n")
    return Markup(html)  # nosec B704 - the catalogue's words and integers


def request_translations(find=get_translations):
    """flask_babel's translations for the request's locale, looked up once a request.
    flask_babel finds them anew for every string (its context, the locale, the locale's
    identifier as the cache key): 17 µs a string, and a page of the overdue list
    translates 170 of them (issue 16). Kept beside flask_babel's own cached locale and
    used while that locale is the same object (flask_babel.refresh() drops it); `find`
    is flask_babel's own look-up."""
    ctx = g.get("_flask_babel") if g else None
    if ctx is not None:
        hit = ctx.__dict__.get("sauro_translations")
        if hit is not None and hit[0] is ctx.__dict__.get("babel_locale"):
            return hit[1]
    translations = find()
    ctx = g.get("_flask_babel") if g else None
    locale = ctx.__dict__.get("babel_locale") if ctx is not None else None
    if locale is not None:
        ctx.sauro_translations = (locale, translations)
    return translations


def _translations_once_a_request(app) -> None:
    """flask_babel's domain (every _(), _l() and template string goes through it) finds
    its translations through request_translations."""
    with app.app_context():
        domain = babel.domain_instance
    if getattr(domain, "sauro_once_a_request", False):
        return
    find = domain.get_translations
    domain.get_translations = lambda: request_translations(find)
    domain.sauro_once_a_request = True


def _template_gettext(app) -> None:
    """Templates' `_()`, `gettext()` and `ngettext()` straight to the request's translations,
    as Jinja's newstyle i18n functions over flask_babel's would give them: the translated
    string, markup when the template autoescapes, always formatted with its variables (and
    `num` for ngettext). Jinja's own `_` goes `_` -> the context's `gettext` -> its newstyle
    wrapper -> flask_babel's lambda -> get_domain() -> the domain's translations: ~10 us a
    string against ~4 us this way (issue 16: my tasks translates ~45 strings a page,
    docs/performance.md fifth pass). pgettext and npgettext stay Jinja's."""
    with app.app_context():
        translations = babel.domain_instance.get_translations  # request_translations above

    @pass_eval_context
    def gettext(eval_ctx, string, **variables):
        rv = translations().ugettext(string)
        if eval_ctx.autoescape:
            rv = Markup(rv)  # nosec B704 - the catalogue's words, formatted with escaping below
        # Formatting a string without a "%" returns it unchanged: skipped, as most of a
        # page's strings have no variable (Markup's `%` costs as much as the look-up).
        return rv % variables if variables or "%" in rv else rv

    @pass_eval_context
    def ngettext(eval_ctx, singular, plural, num, **variables):
        variables.setdefault("num", num)
        rv = translations().ungettext(singular, plural, num)
        if eval_ctx.autoescape:
            rv = Markup(rv)  # nosec B704 - the catalogue's words, formatted with escaping below
        return rv % variables

    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)


def _layout_parts():
    """`layout_part(name)` for base.html: a part of the layout that depends only on the
    reader's language, roles and the app's script root (the stylesheets, the scripts, the top
    bar's links), rendered once per such key for the life of the app. Rendering them every
    request was most of what a logged-in page that reads nothing pays beyond /healthz: 15
    `url_for`, 15 translations, Bootstrap's asset tags (issue 16 goal 4; docs/performance.md,
    fourth pass). The keys are few: two languages, the roles' combinations in use."""
    rendered: dict[tuple, Markup] = {}

    def layout_part(name: str) -> Markup:
        user = current_user._get_current_object()  # one look-up through the proxy, not two
        roles = tuple(user.roles) if user.is_authenticated else None
        # the Locale itself: one object per language for the life of the app (create_app)
        key = (name, get_locale(), roles, request.script_root)
        part = rendered.get(key)
        if part is None:
            # Our own template's output, autoescaped as it rendered: markup already.
            part = rendered[key] = Markup(render_template(name))  # nosec B704 - our own output
        return part

    return layout_part


def _plain_urls_once(app) -> None:
    """Templates' `url_for(endpoint)` without values built once per endpoint and script root
    for the life of the app: such a URL depends on nothing else here (no URL defaults, no
    subdomains or host matching), and building one through Flask and werkzeug costs ~8 us;
    the layout builds two on every page (issue 16 goal 4). Calls with values (`_external`,
    `_anchor` and the like included), relative endpoints, outside a request (a mail's
    links), or once any URL default is registered go to Flask's `url_for` as before."""
    build = app.jinja_env.globals["url_for"]
    built: dict[tuple[str, str], str] = {}

    def url_for(endpoint: str, **values) -> str:
        if (values or endpoint.startswith(".") or app.url_default_functions
                or not has_request_context()):
            return build(endpoint, **values)
        key = (endpoint, request.script_root)
        url = built.get(key)
        if url is None:
            url = built[key] = build(endpoint)
        return url

    app.jinja_env.globals["url_for"] = url_for


def register(app) -> None:
    _translations_once_a_request(app)
    _plain_urls_once(app)
    _template_gettext(app)
    app.jinja_env.globals["layout_part"] = _layout_parts()
    app.jinja_env.globals["days_badge_html"] = days_badge
    app.jinja_env.filters.update(vndate=vndate, vndatetime=vndatetime, number=number,
                                  fromjson=json.loads, period=period,
                                  period_vi=period_vi)

    @app.context_processor
    def labels():
        return {
            "LIFECYCLE_LABELS": LIFECYCLE_LABELS,
            "TIMELINESS_LABELS": TIMELINESS_LABELS,
            "TIMELINESS_CLASSES": TIMELINESS_CLASSES,
            "PLAN_STATUS_LABELS": PLAN_STATUS_LABELS,
            "PLAN_KIND_LABELS": PLAN_KIND_LABELS,
            "ROLE_LABELS": ROLE_LABELS,
            "UNIT_KIND_LABELS": UNIT_KIND_LABELS,
            "ACTION_LABELS": ACTION_LABELS,
            "CLEAR_LABELS": CLEAR_LABELS,
            "FIELD_LABELS": FIELD_LABELS,
            "history_value": history_value,
            "history_changes": history_changes,
            "locale": str(get_locale()),
        }
