"""Domain errors and HTTP errors -> responses, in one place."""

import json

from flask import current_app, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import insert, inspect
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from app.common.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from app.extensions import db, is_lock_timeout
from app.models import AuditLog
from app.models.base import utcnow


def _page(code: int, title: str, message: str):
    return render_template("error.html", code=code, title=title, message=message), code


def record_refusal(status: int) -> None:
    """One audit row `access.denied` for a signed-in user refused an object or an action
    (403, or 404: outside their scope or not there at all, which answer alike).

    Written in a short transaction of its own, after the request's work was rolled back:
    never inside a GET's read transaction, which on SQLite would have to turn into a write
    transaction (a GET takes no write lock, so it could fail with "database is locked"), and
    never lost with the refused request's rollback. It is recorded for GET and POST alike:
    probing other units' ids is done with GETs. Addresses the app does not have are not
    refusals and are not recorded. A failure to record never turns the answer into a 500."""
    if request.url_rule is None:
        return
    user = current_user._get_current_object() if current_user else None
    if user is None or not getattr(user, "is_authenticated", False):
        return
    identity = inspect(user).identity
    if not identity:
        return
    changes = {"method": [None, request.method], "path": [None, request.path[:500]],
               "status": [None, status]}
    try:
        with db.engine.connect() as conn:
            conn.execution_options(sauro_write=True)
            with conn.begin():
                conn.execute(insert(AuditLog.__table__).values(
                    at=utcnow(), actor_id=identity[0], action="access.denied",
                    object_type="request", object_id=None, task_id=None,
                    changes=json.dumps(changes, ensure_ascii=False), comment=""))
    except SQLAlchemyError:
        current_app.logger.exception("could not record a refused access")


def register(app) -> None:
    @app.errorhandler(NotFound)
    @app.errorhandler(404)
    def not_found(_e):
        db.session.rollback()
        if request.path.startswith("/api/"):
            # An address no rule matches at all (the API's catch-all takes no newline, for
            # one): still a problem document, never the HTML page.
            from app.api import problems

            return problems.problem(404, "not-found", _("There is no such address in the API."))
        record_refusal(404)
        return _page(404, _("Not found"), _("This page does not exist or you may not see it."))

    @app.errorhandler(PermissionDenied)
    @app.errorhandler(403)
    def forbidden(_e):
        db.session.rollback()
        record_refusal(403)
        return _page(403, _("Not allowed"), _("You are not allowed to do this."))

    @app.errorhandler(RuleViolation)
    def rule(e):
        db.session.rollback()
        return _page(400, _("Cannot do this"), str(e.message))

    @app.errorhandler(Conflict)
    @app.errorhandler(StaleDataError)
    def conflict(_e):
        db.session.rollback()
        return _page(409, _("Changed by someone else"),
                     _("Someone else saved this while you were working on it. Reload the page "
                       "to see the current version."))

    @app.errorhandler(OperationalError)
    def busy(e):
        """A write that could not get the database's lock in time (SQLite's busy timeout,
        SQLITE_BUSY_TIMEOUT_MS; a PostgreSQL lock timeout or deadlock) wrote nothing: the
        user is asked to try again (503), never shown a 500. Any other database failure
        goes on to the 500 page."""
        if not is_lock_timeout(e):
            raise e
        db.session.rollback()
        g.sauro_read_only = True  # the page below reads (the user, the menu) without the lock
        # The words "database is locked" stay in the log line: the load and concurrency
        # groups count them.
        app.logger.warning("503 on %s %s: database is locked (%s)", request.method,
                           request.path, type(getattr(e, "orig", e)).__name__)
        body, code = _page(503, _("Busy, try again"),
                           _("Many people are saving at this moment and your change could not "
                             "be saved. Nothing was changed; go back and send it again in a "
                             "few seconds."))
        return body, code, {"Retry-After": "5"}

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        db.session.rollback()
        return _page(400, _("Form expired"),
                     _("The form has expired or did not come from this site. Reload the page "
                       "and try again."))

    @app.errorhandler(400)
    def bad_request(_e):
        return _page(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(405)
    def method_not_allowed(e):
        """Mostly an action's address (a form's target) opened in the address bar: not a
        refusal (403's "Not allowed" would say so), so its own title and the way back."""
        body, code = _page(405, _("This address is not opened this way"),
                           _("This address only takes a form sent from its page. Go back to "
                             "that page and use its button."))
        methods = getattr(e, "valid_methods", None)
        return body, code, ({"Allow": ", ".join(methods)} if methods else {})

    @app.errorhandler(413)
    def too_large(_e):
        return _page(413, _("File too large"),
                     _("The upload is larger than the server accepts (%(mb)s MB in all).",
                       mb=app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)))

    @app.errorhandler(500)
    def server_error(_e):
        db.session.rollback()
        app.logger.error("500 on %s %s", request.method, request.path)
        return _page(500, _("Something went wrong"),
                     _("The server could not finish this request. Nothing was changed; try "
                       "again, and tell the administrator if it happens again."))
