"""The JSON API at /api/v1 (DESIGN.md 10): a token acts as its user and sees exactly what
that user sees; every write goes through the same use cases and task rules as the pages.

Browsers keep their sessions and CSRF; the API takes a bearer token only, never a session
cookie (the token's user is put where Flask-Login looks first, so the cookie is not read),
and is CSRF-exempt for that reason: a cross-site page cannot add an Authorization header.
Each operation is declared once with `endpoint(...)`: its rule, parameters, body and
response schemas make the OpenAPI document (app/api/openapi.py) and validate requests."""

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from flask import Blueprint, current_app, g, request
from flask import json as fjson
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app import boundary
from app.api import problems, ratelimit, resources
from app.api.schema import (
    BOOLEAN,
    DATE,
    ENDPOINTS,
    ID,
    INTEGER,
    Endpoint,
    Param,
    Problem,
    array,
    nullable,
    obj,
    text,
    validate,
)
from app.assessment import browse as assessment_browse
from app.assessment.service import period_label
from app.clock import local_today
from app.common import access
from app.common.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from app.deadlines import extensions as ext_service
from app.deadlines.overdue_list import OverdueFilter, build_overdue_list
from app.directory.units import tree_order
from app.domain.scoring import default_as_of, parse_period
from app.domain.task_rules import TEXT_LIMITS
from app.domain.text import fold
from app.errors import record_refusal
from app.extensions import db, is_lock_timeout
from app.models import ApiToken, AuditLog, Plan, Task, Unit, User
from app.models.base import utcnow
from app.notifications import service as notifications
from app.settings import current_settings
from app.tasks import commands as tasks
from app.tasks import evidence
from app.tasks import queries as task_queries
from app.tasks.queries import SORTS, TaskFilter
from app.tokens import service as tokens

bp = Blueprint("api", __name__, url_prefix="/api/v1")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_LIMIT = 200
MAX_PAGE = 100000
# A JSON body is a few fields; files come as multipart (MAX_CONTENT_LENGTH applies).
MAX_JSON_BYTES = 256 * 1024
# Requests per token and minute (API_RATE_LIMIT; 0: no limit).
DEFAULT_RATE_LIMIT = 600


class ApiError(Exception):
    """A problem response raised from anywhere in a view."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


def endpoint(rule: str, method: str = "GET", **spec) -> Callable:
    """Declare one operation: routed on the blueprint and described in the document."""

    def deco(fn: Callable) -> Callable:
        ep = Endpoint(rule=rule, method=method, name=fn.__name__, **spec)
        if method in WRITE_METHODS:
            ep.write = True
        ENDPOINTS.append(ep)
        bp.add_url_rule(rule, fn.__name__, fn, methods=[method])
        return fn

    return deco


# ---- authentication, rate limit, language ------------------------------------------

PUBLIC = {"api.openapi_json", "api.openapi_page"}

_REFUSALS = {
    "missing": lambda: _("Send the header Authorization: Bearer <token>."),
    "unknown": lambda: _("This token is not known."),
    "revoked": lambda: _("This token has been revoked."),
    "expired": lambda: _("This token has expired."),
    "disabled": lambda: _("The account of this token is disabled."),
}


def _touch(token) -> None:
    """Record the use (at most once a minute per token). A read request stays a read (on
    SQLite a GET takes no write lock): the stamp goes through a short connection of its own.
    A write request already holds the lock: the stamp is committed before the work."""
    now = utcnow()
    if not tokens.due_for_stamp(token.last_used_at, now):
        return
    if request.method in WRITE_METHODS:
        db.session.execute(tokens.touch_statement(token.id, now).execution_options(
            synchronize_session=False))
        db.session.commit()
        return
    # The read transaction ends first (nothing was written): on SQLite a second connection
    # could not write while this one reads in the same thread's pool slot in tests.
    token_id = token.id
    db.session.rollback()
    with db.engine.connect() as conn:
        conn.execution_options(sauro_write=True)
        with conn.begin():
            conn.execute(tokens.touch_statement(token_id, now))


@bp.url_value_preprocessor
def ids_in_range(_endpoint, values):
    """Ids are 32-bit columns: a larger number names nothing (and would not bind on SQLite).
    Answered 404 after the token is checked (authenticate): without one, 401 first."""
    g.api_id_out_of_range = any(isinstance(v, int) and not 0 < v < 2**31
                                for v in (values or {}).values())


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
    try:
        token = tokens.authenticate(raw.strip() if scheme.lower() == "bearer" else "",
                                    local_today())
    except tokens.TokenRefused as e:
        db.session.rollback()
        return problems.problem(401, "unauthorized", _REFUSALS[e.reason](),
                                headers={"WWW-Authenticate": 'Bearer realm="sauro"'})
    user = token.user
    # Flask-Login reads g._login_user before the session: the cookie is never consulted,
    # and current_user (the audit of refusals, the language) is the token's user.
    g._login_user = user
    g.api_token_id, g.api_token_name = token.id, token.name
    g.api_locale = user.locale if user.locale in ("vi", "en") else "vi"
    # Keyed by the token's hash, not its id: several deployments may share one Redis.
    wait = ratelimit.hit(f"t{token.token_hash[:32]}", int(current_app.config.get(
        "API_RATE_LIMIT", DEFAULT_RATE_LIMIT)), current_settings().login.redis_url)
    if wait is not None:
        db.session.rollback()
        return problems.problem(429, "rate-limited",
                                _("Too many requests with this token; wait %(n)s seconds.", n=wait),
                                headers={"Retry-After": str(wait)})
    _touch(token)
    if request.method in WRITE_METHODS and token.is_read_only:
        db.session.rollback()
        return problems.problem(403, "read-only-token",
                                _("This token is read only: it cannot change anything."))
    if g.get("api_id_out_of_range"):
        db.session.rollback()
        return problems.problem(404, "not-found",
                                _("This object does not exist or you may not see it."))
    return _unknown_arguments()


def _unknown_arguments():
    """A query argument the operation does not take is refused (422), as an unknown field of
    a body is: a misspelt filter must not silently return everything."""
    ep = next((e for e in ENDPOINTS if f"api.{e.name}" == request.endpoint), None)
    if ep is None:
        return None
    known = {p.name for p in ep.params}
    found = [Problem(name[:100], "unknown") for name in request.args if name not in known]
    if found:
        db.session.rollback()
        return problems.invalid(found)
    return None


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _stamp_token(session, _context, _instances) -> None:
    """Every audit row an API write adds names the token it came through (DESIGN.md 10)."""
    name = g.get("api_token_name") if _in_api_request() else None
    if not name:
        return
    for obj_ in session.new:
        if isinstance(obj_, AuditLog):
            changes = json.loads(obj_.changes or "{}")
            if "api_token" not in changes:
                changes["api_token"] = [None, name]
                obj_.changes = json.dumps(changes, ensure_ascii=False)


def _in_api_request() -> bool:
    from flask import has_request_context

    return has_request_context() and request.blueprint == "api"


def init_app(app) -> None:
    """Register the blueprint and the audit stamp (once per process)."""
    from app.extensions import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)
    if not event.contains(Session, "before_flush", _stamp_token):
        event.listen(Session, "before_flush", _stamp_token)


# ---- errors --------------------------------------------------------------------------

def _violations(e: RuleViolation) -> list[dict]:
    return [{"field": getattr(v, "field", None), "code": "rule", "detail": str(v.message)}
            for v in boundary.violations(e)]


@bp.errorhandler(ApiError)
def api_error(e: ApiError):
    db.session.rollback()
    return e.response


@bp.errorhandler(NotFound)
def not_found(_e):
    db.session.rollback()
    record_refusal(404)
    return problems.problem(404, "not-found", _("This object does not exist or you may not see it."))


@bp.errorhandler(PermissionDenied)
def forbidden(_e):
    db.session.rollback()
    record_refusal(403)
    return problems.problem(403, "forbidden", _("You are not allowed to do this."))


@bp.errorhandler(RuleViolation)
def rule(e: RuleViolation):
    db.session.rollback()
    return problems.problem(422, "rule", str(e.message), _violations(e))


@bp.errorhandler(Conflict)
@bp.errorhandler(StaleDataError)
def conflict(_e):
    db.session.rollback()
    return problems.problem(409, "conflict", _("Someone else saved this at the same time; "
                                               "read it again and retry."))


@bp.errorhandler(OperationalError)
def busy(e):
    if not is_lock_timeout(e):
        raise e
    db.session.rollback()
    return problems.problem(503, "busy", _("Nothing was changed; send it again in a few "
                                           "seconds."), headers={"Retry-After": "5"})


# By code as well as by class: Flask looks for the app's handler of a code (app/errors.py:
# the HTML pages of 400, 405, 413) before a blueprint's handler of the class.
@bp.errorhandler(400)
@bp.errorhandler(405)
@bp.errorhandler(413)
@bp.errorhandler(HTTPException)
def http_error(e: HTTPException):
    db.session.rollback()
    kinds = {400: "bad-request", 404: "not-found", 405: "method-not-allowed", 413: "too-large"}
    resp = problems.problem(e.code or 400, kinds.get(e.code, "bad-request"), e.description or "")
    if e.code == 405 and getattr(e, "valid_methods", None):
        resp.headers["Allow"] = ", ".join(e.valid_methods)
    return resp


_ANY = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@bp.route("/", defaults={"rest": ""}, methods=_ANY)
@bp.route("/<path:rest>", methods=_ANY)
def unknown(rest: str):
    """Addresses under /api/v1 that are no operation, or not with this method: a problem
    document, never the HTML error page."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for m in _ANY:
        try:
            name, _args = adapter.match(request.path, method=m)
        except HTTPException:
            continue
        if name != "api.unknown":
            allowed.append(m)
    if allowed:
        resp = problems.problem(405, "method-not-allowed",
                                _("This address does not take %(method)s.", method=request.method))
        resp.headers["Allow"] = ", ".join(allowed)
        return resp
    return problems.problem(404, "not-found", _("There is no such address in the API."))


# ---- reading requests ---------------------------------------------------------------

def _convert(schema: dict, raw: str):
    """A query or form value (text) as the type its schema says."""
    types = schema.get("type")
    types = [types] if isinstance(types, str) else (types or [])
    if "integer" in types:
        try:
            return int(raw)
        except ValueError:
            return raw
    if "number" in types:
        try:
            return float(raw)
        except ValueError:
            return raw
    if "boolean" in types:
        return {"true": True, "1": True, "false": False, "0": False}.get(raw.lower(), raw)
    return raw


def query(params: tuple[Param, ...]) -> dict:
    """The query arguments these parameters name, converted and checked (422 otherwise)."""
    out, found = {}, []
    for p in params:
        raw = request.args.get(p.name)
        if raw is None:
            continue
        value = _convert(p.schema, raw)
        found.extend(validate(p.schema, value, p.name))
        out[p.name] = value
    if found:
        raise ApiError(problems.invalid(found))
    return out


def body(schema: dict, multipart: bool = False) -> tuple[dict, list[evidence.Upload]]:
    """The request's JSON object (or, where files may come, its multipart form), checked
    against `schema`: unknown fields, wrong types and bounds answer 422, nothing written."""
    uploads: list[evidence.Upload] = []
    if multipart and request.mimetype == "multipart/form-data":
        props = schema.get("properties", {})
        data = {}
        for k, v in request.form.items():
            data[k] = _convert(props.get(k, {}), v) if k in props else v
        for f in request.files.getlist("files"):
            try:
                if f and f.filename:
                    uploads.append(evidence.Upload(f.filename, f.read()))
            finally:
                f.close()
        unknown_files = [k for k in request.files if k != "files"]
        found = [Problem(k, "unknown") for k in unknown_files]
    else:
        if (request.content_length or 0) > MAX_JSON_BYTES:
            raise ApiError(problems.problem(413, "too-large", _(
                "A JSON body may hold at most %(n)s KB; send files as multipart/form-data.",
                n=MAX_JSON_BYTES // 1024)))
        if request.mimetype != "application/json":
            raise ApiError(problems.problem(415, "bad-request",
                                            _("Send the body as application/json.")))
        try:
            data = json.loads(request.get_data(cache=False)[:MAX_JSON_BYTES + 1] or b"null",
                              parse_constant=_not_json)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(problems.problem(400, "bad-request", _("The body is not valid JSON."))) from None
        found = []
    found += validate(schema, data)
    if found:
        raise ApiError(problems.invalid(found))
    return data, uploads


def _not_json(name: str):
    """NaN and Infinity are not JSON (RFC 8259), though Python reads them."""
    raise ValueError(name)


def _write(call: Callable, status: int = 200, after: Callable | None = None):
    """Run the use case, commit once; a refusal is a 422 problem beside its fields."""
    done = boundary.attempt(call)
    if not done:
        return problems.problem(422, "rule", str(done.error.message), _violations(done.error))
    return (after(done.value) if after else {}), status


def _user() -> User:
    from flask_login import current_user

    return current_user._get_current_object()


def _locale() -> str:
    return str(get_locale() or "vi")


def _paged(items: list, total: int, page: int, limit: int) -> dict:
    return {"items": items, "total": total, "page": page, "limit": limit,
            "pages": max(1, -(-total // limit))}


PAGE = Param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page number (from 1).")
LIMIT = Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
              f"Items per page (1-{MAX_LIMIT}, default 50).")


def _page_args(args: dict) -> tuple[int, int]:
    return args.get("page", 1), args.get("limit", 50)


# ---- reads --------------------------------------------------------------------------

@endpoint("/me", summary="The token's user and the token", tag="directory",
          response=resources.ME)
def me():
    token = db.session.get(ApiToken, g.api_token_id)
    return resources.me(_user(), token)


@endpoint("/units", summary="Units the token's user may open, in tree order", tag="directory",
          response=array(resources.UNIT))
def units():
    rows = db.session.scalars(select(Unit).where(access.unit_scope(_user()))).all()
    return fjson.jsonify([resources.unit(u) for u in tree_order(rows)])


USER_PARAMS = (Param("unit", ID, "Only this unit (not its sub-units)."),
               Param("q", text(200), "Part of the name, with or without diacritics."),
               PAGE, LIMIT)


@endpoint("/users", summary="People of the units the token's user may open (directory fields)",
          tag="directory", params=USER_PARAMS, response=resources.page_of(resources.USER))
def users():
    args = query(USER_PARAMS)
    page, limit = _page_args(args)
    actor = _user()
    conds = [User.unit_id.in_(select(Unit.id).where(access.unit_scope(actor)))]
    if "unit" in args:
        conds.append(User.unit_id == args["unit"])
    q = fold(args.get("q", ""))
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conds.append(User.name_folded.like(f"%{escaped}%", escape="\\"))
    total = db.session.scalar(select(func.count(User.id)).where(*conds)) or 0
    rows = db.session.scalars(select(User).where(*conds).order_by(User.name_sort, User.id)
                              .limit(limit).offset((page - 1) * limit)).all()
    return _paged([resources.user(u) for u in rows], total, page, limit)


PLAN_PARAMS = (Param("year", {"type": "integer", "minimum": 2000, "maximum": 2100}),
               Param("status", {"enum": ["draft", "issued", "closed"]}),
               Param("unit", ID, "Plans of this unit (not its sub-units)."), PAGE, LIMIT)


@endpoint("/plans", summary="Plans the token's user may read, newest year first",
          tag="plans", params=PLAN_PARAMS, response=resources.page_of(resources.PLAN))
def plan_list():
    args = query(PLAN_PARAMS)
    page, limit = _page_args(args)
    conds = [access.plan_scope(_user())]
    for name, column in (("year", Plan.year), ("status", Plan.status), ("unit", Plan.unit_id)):
        if name in args:
            conds.append(column == args[name])
    total = db.session.scalar(select(func.count(Plan.id)).where(*conds)) or 0
    rows = db.session.scalars(select(Plan).where(*conds).order_by(Plan.year.desc(), Plan.id)
                              .options(selectinload(Plan.unit))
                              .limit(limit).offset((page - 1) * limit)).all()
    return _paged([resources.plan(p) for p in rows], total, page, limit)


@endpoint("/plans/<int:plan_id>", summary="One plan", tag="plans", response=resources.PLAN,
          errors=(404,))
def plan_view(plan_id: int):
    return resources.plan(task_queries.get_plan(_user(), plan_id))


TASK_PARAMS = (
    Param("plan", ID, "Tasks of this plan."),
    Param("unit", {"oneOf": [ID, {"enum": ["none", "other"]}]},
          "Led by this unit or its sub-units; none: no lead unit; other: outside yours."),
    Param("field", {"oneOf": [ID, {"enum": ["none"]}]}, "Of this field (lĩnh vực)."),
    Param("person", ID, "The responsible person."),
    Param("leader", {"oneOf": [ID, {"enum": ["none", "other"]}]}, "The accountable leader."),
    Param("timeliness", {"enum": [t for t in resources.TIMELINESS["enum"]]}),
    Param("due_from", DATE), Param("due_to", DATE),
    Param("year", {"type": "integer", "minimum": 2000, "maximum": 2100}, "The plans' year."),
    Param("carry", BOOLEAN, "With year: also earlier years' tasks not completed."),
    Param("status", {"enum": ["unfinished", "all"]}, "unfinished: not completed or cancelled."),
    Param("mine", BOOLEAN, "Only the tasks the token's user is responsible for."),
    Param("q", text(200), "Words of the title, with or without diacritics."),
    Param("sort", {"enum": list(SORTS)}),
    PAGE, LIMIT,
)


def _ref(value):
    return value if value in ("none", "other") or value is None else int(value)


@endpoint("/tasks", summary="Tasks the token's user may read, filtered as the task list page",
          tag="tasks", params=TASK_PARAMS, response=resources.page_of(resources.TASK_SUMMARY))
def task_list():
    args = query(TASK_PARAMS)
    page, limit = _page_args(args)
    f = TaskFilter(
        plan_id=args.get("plan"), unit_id=_ref(args.get("unit")), field_id=_ref(args.get("field")),
        assignee_id=args.get("person"), leader_id=_ref(args.get("leader")),
        timeliness=args.get("timeliness"),
        due_from=date.fromisoformat(args["due_from"]) if "due_from" in args else None,
        due_to=date.fromisoformat(args["due_to"]) if "due_to" in args else None,
        year=args.get("year"), carry=bool(args.get("carry")),
        unfinished=args.get("status") == "unfinished", q=args.get("q", ""),
        sort=args.get("sort", "due"), page=page, mine=bool(args.get("mine")))
    settings, today = current_settings(), local_today()
    result = task_queries.list_tasks(_user(), f, today, settings.due_soon_days, limit)
    return _paged([resources.task_summary(t, today, settings.due_soon_days) for t in result.items],
                  result.total, page, limit)


def _detail(task_id: int) -> dict:
    actor = _user()
    task = task_queries.get_task(actor, task_id)
    settings = current_settings()
    return resources.task_detail(
        task, local_today(), settings.due_soon_days, _locale(),
        extensions=ext_service.list_for_task(task), updates=task_queries.progress_updates(task),
        files=evidence.list_for_task(task.id),
        permissions={"report": access.can_report(actor, task),
                     "review": access.can_review(actor, task),
                     "manage": access.can_manage_task(actor, task),
                     "decide_extension": access.can_decide_extension(actor, task)})


@endpoint("/tasks/<int:task_id>", summary="One task: the six clears, steps, coordinators, "
          "timeliness, extensions, progress reports and evidence", tag="tasks",
          response=resources.TASK, errors=(404,))
def task_view(task_id: int):
    return _detail(task_id)


OVERDUE_PARAMS = (Param("unit", ID, "Led by this unit or its sub-units."),
                  Param("field", ID), Param("plan", ID), PAGE, LIMIT)


@endpoint("/overdue", summary="The overdue list: overdue and due-soon tasks, by leader and person",
          tag="tasks", params=OVERDUE_PARAMS, response=resources.OVERDUE_PAGE)
def overdue():
    args = query(OVERDUE_PARAMS)
    page, limit = _page_args(args)
    settings, today = current_settings(), local_today()
    result = build_overdue_list(_user(), OverdueFilter(args.get("unit"), args.get("field"),
                                                       args.get("plan")),
                                today, settings.due_soon_days, page=page, per_page=limit)
    total = result.total_rows or 0
    return {"items": [resources.overdue_row(r, today, settings.due_soon_days) for r in result.rows],
            "total": total, "overdue": result.overdue, "due_soon": result.due_soon,
            "page": page, "limit": limit, "pages": max(1, -(-total // limit)),
            "today": today.isoformat()}


NOTIFICATION_PARAMS = (PAGE, LIMIT)


@endpoint("/notifications", summary="The token's user's notifications, newest first "
          "(the bell)", tag="notifications", params=NOTIFICATION_PARAMS,
          response={**resources.page_of(resources.NOTIFICATION),
                    "properties": {**resources.page_of(resources.NOTIFICATION)["properties"],
                                   "unread": INTEGER},
                    "required": [*resources.page_of(resources.NOTIFICATION)["required"],
                                 "unread"]})
def notification_list():
    args = query(NOTIFICATION_PARAMS)
    page, limit = _page_args(args)
    actor = _user()
    rows, total = notifications.recent(actor, page, limit)
    body = _paged([resources.notification(n, notifications.text_of(n)) for n in rows],
                  total, page, limit)
    body["unread"] = notifications.unread_count(actor)
    return body


READ_BODY = obj({"id": nullable(ID)})


@endpoint("/notifications/read", "POST", summary="Mark one notification (id) or all (no id) "
          "read", tag="notifications", body=READ_BODY,
          response=obj({"marked": INTEGER}, ["marked"]))
def notification_read():
    data, _files = body(READ_BODY)
    return _write(lambda: notifications.mark_read(_user(), data.get("id")),
                  after=lambda n: {"marked": n})


ASSESSMENT_PARAMS = (
    Param("period", {"type": "string", "maxLength": 10, "pattern": "^\\d{4}(-(H[12]|Q[1-4]|\\d{2}))?$"},
          "2026, 2026-H1, 2026-Q2 or 2026-07 (default: this quarter)."),
    Param("as_of", DATE, "Judge as of this day (default: the period's end, or today)."),
    Param("unit", ID, "Narrow to this unit and its sub-units (admins, assessors, heads)."),
)


@endpoint("/assessment", summary="Live scores of the units and leaders the token's user may "
          "read (the assessment page)", tag="assessment", params=ASSESSMENT_PARAMS,
          response=resources.ASSESSMENT, errors=(403,))
def assessment():
    args = query(ASSESSMENT_PARAMS)
    actor, today = _user(), local_today()
    period, as_of = _period_args(args, today)
    unit_id = args.get("unit") if actor.role != "deputy" else None
    scope = assessment_browse.reader_scope(actor, unit_id)
    report = assessment_browse.live_report(scope, period, as_of, current_settings().scoring,
                                           today=today)
    return {"period": period.code, "label": period_label(period.code, _locale() == "en"),
            "as_of": as_of.isoformat(), "units": [resources.score_row(r) for r in report.units],
            "leaders": [resources.score_row(r) for r in report.leaders]}


def _period_args(args: dict, today: date):
    """The period (default: this quarter) and the as-of day (default: its end, or today;
    never after today), as the assessment page reads them."""
    code = args.get("period") or f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    try:
        period = parse_period(code)
    except ValueError:
        raise ApiError(problems.invalid([Problem("period", "format", "period")])) from None
    as_of = date.fromisoformat(args["as_of"]) if "as_of" in args else default_as_of(period, today)
    if as_of > today:
        raise ApiError(problems.invalid([Problem("as_of", "maximum", today.isoformat())]))
    return period, as_of


OUTCOME_PARAM = Param("outcome", {"enum": list(assessment_browse.FILTERS)},
                      "Only the tasks of this figure (as the columns of the assessment page).")
SUB_PARAM = Param("sub", BOOLEAN, "With the unit's sub-units.")
LIVE_UNIT_PARAMS = (ASSESSMENT_PARAMS[0], ASSESSMENT_PARAMS[1], SUB_PARAM, OUTCOME_PARAM,
                    PAGE, LIMIT)
LIVE_LEADER_PARAMS = (ASSESSMENT_PARAMS[0], ASSESSMENT_PARAMS[1], OUTCOME_PARAM, PAGE, LIMIT)
RUN_UNIT_PARAMS = (SUB_PARAM, OUTCOME_PARAM, PAGE, LIMIT)
RUN_LEADER_PARAMS = (OUTCOME_PARAM, PAGE, LIMIT)


def _drill(dd, subject: dict, period_code: str, as_of: date, run_id, outcome, s, limit) -> dict:
    from app.domain.scoring import grade

    t = dd.breakdown.tally
    return {"period": period_code, "label": period_label(period_code, _locale() == "en"),
            "as_of": as_of.isoformat(), "run_id": run_id, "subject": subject,
            "outcome": outcome, "tally": resources.tally(t, grade(t.score, s)),
            "items": [resources.task_line(line) for line in dd.lines], "total": dd.total,
            "page": dd.page, "limit": limit, "pages": max(1, -(-dd.total // limit))}


@endpoint("/assessment/units/<int:unit_id>", summary="The tasks behind a unit's live score "
          "(the assessment page's drill-down), one page, with the breakdown", tag="assessment",
          params=LIVE_UNIT_PARAMS, response=resources.DRILL_DOWN, errors=(403, 404))
def assessment_unit(unit_id: int):
    args = query(LIVE_UNIT_PARAMS)
    actor, today = _user(), local_today()
    period, as_of = _period_args(args, today)
    page, limit = _page_args(args)
    scope = assessment_browse.reader_scope(actor)
    target = assessment_browse.visible_unit(scope, unit_id)
    s = current_settings().scoring
    sub = bool(args.get("sub"))
    dd = assessment_browse.live_tasks(assessment_browse.live_unit_tasks(target, sub), period,
                                      as_of, s, args.get("outcome"), page, limit, today=today)
    return _drill(dd, {"kind": "unit", "id": target.id, "code": target.code,
                       "name": target.name, "with_subunits": sub},
                  period.code, as_of, None, args.get("outcome"), s, limit)


@endpoint("/assessment/leaders/<int:user_id>", summary="The tasks behind a leader's live "
          "score, one page, with the breakdown", tag="assessment", params=LIVE_LEADER_PARAMS,
          response=resources.DRILL_DOWN, errors=(403, 404))
def assessment_leader(user_id: int):
    args = query(LIVE_LEADER_PARAMS)
    actor, today = _user(), local_today()
    period, as_of = _period_args(args, today)
    page, limit = _page_args(args)
    scope = assessment_browse.reader_scope(actor)
    target = assessment_browse.visible_leader(scope, user_id)
    s = current_settings().scoring
    dd = assessment_browse.live_tasks(assessment_browse.live_leader_tasks(target, scope),
                                      period, as_of, s, args.get("outcome"), page, limit,
                                      today=today)
    return _drill(dd, {"kind": "leader", "id": target.id, "code": target.unit.code,
                       "name": target.full_name, "with_subunits": False},
                  period.code, as_of, None, args.get("outcome"), s, limit)


RUNS_PARAMS = (PAGE, LIMIT)


@endpoint("/assessment/runs", summary="Frozen assessment runs the token's user may read, "
          "newest first", tag="assessment", params=RUNS_PARAMS,
          response=resources.page_of(resources.RUN_ITEM), errors=(403,))
def assessment_runs():
    args = query(RUNS_PARAMS)
    page, limit = _page_args(args)
    actor = _user()
    if actor.role not in assessment_browse.READER_ROLES:
        raise PermissionDenied()
    items, total = assessment_browse.list_runs(actor, page, limit)
    en = _locale() == "en"
    return _paged([resources.run_item(i.run, period_label(i.run.period, en), i.scope_code,
                                      i.scope_name, i.creator) for i in items],
                  total, min(page, max(1, -(-total // limit))), limit)


def _open_run(run_id: int):
    actor = _user()
    if actor.role not in assessment_browse.READER_ROLES:
        raise PermissionDenied()
    return assessment_browse.open_run(actor, run_id)


def _creator(run) -> str:
    creator = db.session.get(User, run.created_by_id) if run.created_by_id else None
    return creator.full_name if creator else ""


@endpoint("/assessment/runs/<int:run_id>", summary="A frozen run: the units and leaders the "
          "token's user may read, as they were frozen, and the run's other versions",
          tag="assessment", response=resources.RUN, errors=(403, 404))
def assessment_run(run_id: int):
    view = _open_run(run_id)
    run = view.run
    scope = view.scope_unit
    return {"run": resources.run_item(run, period_label(run.period, _locale() == "en"),
                                      scope.code if scope else "", scope.name if scope else "",
                                      _creator(run)),
            "units": [resources.score_row(r) for r in view.report.units],
            "leaders": [resources.score_row(r) for r in view.report.leaders],
            "versions": [{"id": v.id, "version": v.version,
                          "created_at": v.created_at.isoformat(timespec="seconds") + "Z"}
                         for v in assessment_browse.run_versions(_user(), run)]}


@endpoint("/assessment/runs/<int:run_id>/units/<int:unit_id>", summary="The stored tasks "
          "behind a unit's line of a frozen run", tag="assessment", params=RUN_UNIT_PARAMS,
          response=resources.DRILL_DOWN, errors=(403, 404))
def assessment_run_unit(run_id: int, unit_id: int):
    args = query(RUN_UNIT_PARAMS)
    page, limit = _page_args(args)
    view = _open_run(run_id)
    row = assessment_browse.run_unit(view, unit_id)
    sub = bool(args.get("sub"))
    s = view.report.settings
    dd = assessment_browse.frozen_tasks(assessment_browse.run_unit_tasks(view, row, sub), s,
                                        args.get("outcome"), page, limit)
    return _drill(dd, {"kind": "unit", "id": row.key, "code": row.code, "name": row.name,
                       "with_subunits": sub},
                  view.run.period, view.run.as_of, view.run.id, args.get("outcome"), s, limit)


@endpoint("/assessment/runs/<int:run_id>/leaders/<int:user_id>", summary="The stored tasks "
          "behind a leader's line of a frozen run", tag="assessment", params=RUN_LEADER_PARAMS,
          response=resources.DRILL_DOWN, errors=(403, 404))
def assessment_run_leader(run_id: int, user_id: int):
    args = query(RUN_LEADER_PARAMS)
    page, limit = _page_args(args)
    view = _open_run(run_id)
    row = assessment_browse.run_leader(view, user_id)
    s = view.report.settings
    dd = assessment_browse.frozen_tasks(assessment_browse.run_leader_tasks(view, row), s,
                                        args.get("outcome"), page, limit)
    return _drill(dd, {"kind": "leader", "id": row.key, "code": row.unit_code,
                       "name": row.name, "with_subunits": False},
                  view.run.period, view.run.as_of, view.run.id, args.get("outcome"), s, limit)


# ---- writes: the same use cases as the task page ---------------------------------

NOTE = text(5000)
PROGRESS_BODY = obj({"percent": {"type": "integer", "minimum": 0, "maximum": 100},
                     "note": NOTE,
                     "actual_value": nullable({"type": "number", "minimum": -1e13,
                                               "maximum": 1e13})}, ["percent"])
FILES = {"files": array({"type": "string", "contentMediaType": "application/octet-stream"},
                        description="Evidence files (PDF, Office, OpenDocument, PNG, JPEG).")}


def _multipart(schema: dict) -> dict:
    return {**schema, "properties": {**schema["properties"], **FILES}}


@endpoint("/tasks/<int:task_id>/progress", "POST", summary="Report progress, with evidence files "
          "(multipart/form-data) or without (JSON)", tag="task actions", body=PROGRESS_BODY,
          multipart=_multipart(PROGRESS_BODY), response=resources.TASK, status=201,
          errors=(403, 404, 422))
def progress(task_id: int):
    actor = _user()
    task = task_queries.get_task(actor, task_id)
    if not access.can_report(actor, task):
        raise PermissionDenied()
    data, uploads = body(PROGRESS_BODY, multipart=True)
    actual = data.get("actual_value")

    def record():
        update = tasks.record_progress(actor, task.id, data["percent"], data.get("note", ""),
                                       Decimal(str(actual)) if actual is not None else None,
                                       local_today())
        evidence.store(actor, task, uploads, update.id, current_settings().files)
        notifications.mark_task_read(actor, task_id)

    return _write(record, 201, lambda _v: _detail(task_id))


STEP_BODY = obj({"done": BOOLEAN}, ["done"])


@endpoint("/tasks/<int:task_id>/steps/<int:step_id>", "POST", summary="Tick or untick a step",
          tag="task actions", body=STEP_BODY, response=resources.TASK, errors=(403, 404, 422))
def step(task_id: int, step_id: int):
    data, _files = body(STEP_BODY)
    return _write(lambda: tasks.set_step_done(_user(), task_id, step_id, data["done"]),
                  after=lambda _v: _detail(task_id))


SUBMIT_BODY = obj({"note": NOTE})


@endpoint("/tasks/<int:task_id>/submit", "POST", summary="Submit for confirmation, with evidence "
          "(files sent here or already attached)", tag="task actions", body=SUBMIT_BODY,
          multipart=_multipart(SUBMIT_BODY), response=resources.TASK, errors=(403, 404, 422))
def submit(task_id: int):
    data, uploads = body(SUBMIT_BODY, multipart=True)
    actor = _user()

    def submit_it():
        tasks.submit_task(actor, task_id, data.get("note", ""), local_today(), uploads,
                          current_settings().files)
        notifications.mark_task_read(actor, task_id)

    return _write(submit_it, after=lambda _v: _detail(task_id))


REVIEW_BODY = obj({"comment": NOTE})


@endpoint("/tasks/<int:task_id>/confirm", "POST", summary="Confirm a submitted task",
          tag="task actions", body=REVIEW_BODY, response=resources.TASK, errors=(403, 404, 422))
def confirm(task_id: int):
    data, _files = body(REVIEW_BODY)
    actor = _user()

    def decide():
        tasks.confirm_task(actor, task_id, data.get("comment", ""))
        notifications.mark_task_read(actor, task_id)

    return _write(decide, after=lambda _v: _detail(task_id))


@endpoint("/tasks/<int:task_id>/return", "POST", summary="Return a submission for rework "
          "(comment required)", tag="task actions", body=REVIEW_BODY, response=resources.TASK,
          errors=(403, 404, 422))
def return_(task_id: int):
    data, _files = body(REVIEW_BODY)
    actor = _user()

    def decide():
        tasks.return_task(actor, task_id, data.get("comment", ""))
        notifications.mark_task_read(actor, task_id)

    return _write(decide, after=lambda _v: _detail(task_id))


EXTENSION_BODY = obj({"proposed_due_on": DATE, "reason": text(2000)},
                     ["proposed_due_on", "reason"])


@endpoint("/tasks/<int:task_id>/extensions", "POST", summary="Ask to move the due date",
          tag="task actions", body=EXTENSION_BODY, response=resources.EXTENSION, status=201,
          errors=(403, 404, 422))
def request_extension(task_id: int):
    actor = _user()
    task = task_queries.get_task(actor, task_id)
    if not access.can_report(actor, task):
        raise PermissionDenied()
    data, _files = body(EXTENSION_BODY)

    def ask():
        ext = ext_service.request_extension(
            actor, task.id, date.fromisoformat(data["proposed_due_on"]), data["reason"],
            local_today(), max_extensions=current_settings().max_extensions)
        return resources.extension(_by_id(ext))

    return _write(ask, 201, after=lambda value: value)


def _by_id(ext):
    """The extension with who asked and who decided loaded, for its JSON (read before the
    commit: after it the rows are expired)."""
    task = db.session.get(Task, ext.task_id)
    return next(e for e in ext_service.list_for_task(task) if e.id == ext.id)


DECISION_BODY = obj({"approve": BOOLEAN, "comment": NOTE}, ["approve"])


@endpoint("/tasks/<int:task_id>/extensions/<int:ext_id>/decision", "POST",
          summary="Approve or refuse an extension request", tag="task actions",
          body=DECISION_BODY, response=resources.EXTENSION, errors=(403, 404, 422))
def decide_extension(task_id: int, ext_id: int):
    actor = _user()
    task = task_queries.get_task(actor, task_id)
    if not access.can_decide_extension(actor, task):
        raise PermissionDenied()
    data, _files = body(DECISION_BODY)

    def decide():
        ext = ext_service.decide_extension(actor, ext_id, data["approve"], data.get("comment", ""),
                                           task_id=task.id)
        notifications.mark_task_read(actor, task_id)
        return resources.extension(_by_id(ext))

    return _write(decide, after=lambda value: value)


# A task's text lengths are the rule set's (task_rules.TEXT_LIMITS), as in the form and the import.
STEP_INPUT = obj({"id": nullable(ID), "title": text(TEXT_LIMITS["step"], 1), "due_on": nullable(DATE)}, ["title"])
DECIMAL = {"type": "number", "minimum": -1e13, "maximum": 1e13}
EDIT_BODY = obj({
    "version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
                "description": "The version read (GET): a stale one answers 409."},
    "title": text(TEXT_LIMITS["title"], 1), "description": text(TEXT_LIMITS["description"]),
    "responsibility": text(TEXT_LIMITS["responsibility"]),
    "assignee_id": nullable(ID), "lead_unit_id": nullable(ID), "leader_id": nullable(ID),
    "coordinator_ids": array(ID, maxItems=200), "steps": array(STEP_INPUT, maxItems=100),
    "start_on": nullable(DATE), "due_on": nullable(DATE), 
    "output_product": text(TEXT_LIMITS["output_product"]),
    "indicator_name": text(TEXT_LIMITS["indicator_name"]),
    "indicator_unit": text(TEXT_LIMITS["indicator_unit"]),
    "indicator_target": nullable(DECIMAL), "field_id": nullable(ID),
    "weight": {"type": "number", "minimum": 0, "maximum": 1e6},
    # Both decide quality criteria (docs/quality.md): free while the plan is a draft, locked
    # after issue for everyone (key_locked, direction_locked in app/domain/task_rules.py).
    "is_key": {**BOOLEAN, "description": "Key task (nhiệm vụ trọng tâm); locked once the plan is issued."},
    "indicator_direction": {"enum": ["higher", "lower"],
                            "description": "Whether more (higher) or less (lower) of the indicator "
                                           "is better; locked once the plan is issued."},
    "amendment_reason": text(2000),
}, ["version"])
_DATES = ("start_on", "due_on")
_DECIMALS = ("indicator_target", "weight")


def _edited(task, data: dict) -> tasks.TaskInput:
    """The task's six clears as they are, with the fields the body names replaced."""
    current = tasks.TaskInput(
        title=task.title, description=task.description or "",
        assignee_id=task.assignee_id, lead_unit_id=task.lead_unit_id,
        coordinator_ids=[u.id for u in task.coordinators], leader_id=task.leader_id,
        responsibility=task.responsibility or "",
        steps=[tasks.StepInput(s.title, s.due_on, s.id) for s in task.steps],
        start_on=task.start_on, due_on=task.due_on, output_product=task.output_product or "",
        indicator_name=task.indicator_name or "", indicator_unit=task.indicator_unit or "",
        indicator_target=task.indicator_target, field_id=task.field_id, weight=task.weight,
        is_key=bool(task.is_key), indicator_direction=task.indicator_direction or "higher")
    for key, value in data.items():
        if key in ("version", "amendment_reason"):
            continue
        if key in _DATES:
            value = date.fromisoformat(value) if value else None
        elif key in _DECIMALS:
            value = Decimal(str(value)) if value is not None else None
        elif key == "steps":
            value = [tasks.StepInput(st["title"], date.fromisoformat(st["due_on"])
                                     if st.get("due_on") else None, st.get("id"))
                     for st in value]
        setattr(current, key, value)
    return current


@endpoint("/tasks/<int:task_id>", "PATCH", summary="Edit a task's six clears (the fields sent; "
          "the same rules as the edit form: after issue the due date moves only by extension)",
          tag="task actions", body=EDIT_BODY, response=resources.TASK, errors=(403, 404, 422))
def edit(task_id: int):
    actor = _user()
    data, _files = body(EDIT_BODY)
    task = task_queries.get_task(actor, task_id)
    if not access.can_manage_task(actor, task):
        raise PermissionDenied()
    changed = _edited(task, data)
    return _write(lambda: tasks.update_task(
        actor, task_id, changed, data["version"], today=local_today(),
        settings=current_settings().task_rules,
        amendment_reason=data.get("amendment_reason", "")), after=lambda _v: _detail(task_id))


# ---- the description ------------------------------------------------------------------

@endpoint("/openapi.json", summary="This API's OpenAPI 3.1 document", tag="meta", public=True)
def openapi_json():
    from app.api.openapi import document

    return document()


@endpoint("/docs", summary="This API's documentation, readable in a browser", tag="meta",
          public=True)
def openapi_page():
    from flask import render_template

    from app.api.openapi import document

    return render_template("api/docs.html", doc=document())


__all__ = ["bp", "init_app"]
