"""The calendar page (make or turn off one's secret calendar address) and the feed itself."""

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
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import boundary
from app.calendar import service as calendar
from app.clock import local_today, now
from app.extensions import db
from app.models.base import utcnow

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


def _page(secret: str | None = None, status: int = 200):
    return render_template("calendar/index.html", feed=calendar.live_feed(current_user),
                           secret=secret), status


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("")
@login_required
def create():
    done = boundary.run(lambda: calendar.new_feed(current_user))
    # The address is in this page only (no-store), never in a redirect or the session; 201:
    # made, and shown here.
    return _page(secret=done.value, status=201)


@bp.post("/revoke")
@login_required
def revoke():
    boundary.run(lambda: calendar.revoke_feed(current_user))
    flash(_("The calendar address has been turned off."), "success")
    return redirect(url_for("calendar.index"))


@bp.get("/<secret>.ics")
def feed(secret: str):
    """Open without a session (a phone's calendar has none): the secret is the key."""
    found = calendar.feed_user(secret)
    if found is None:
        abort(404)
    user, feed = found
    locale = user.locale if user.locale in ("vi", "en") else "vi"
    rows = calendar.deadlines(user, local_today(), unit=request.args.get("unit") == "1")
    body = calendar.ical(user, rows, request.url_root, request.host.split(":")[0], now(), locale)
    stamp = calendar.touch_statement(feed, utcnow())
    db.session.rollback()  # a GET reads; the use is stamped on a connection of its own
    if stamp is not None:  # at most once a minute
        with db.engine.connect() as conn:
            conn.execution_options(sauro_write=True)
            with conn.begin():
                conn.execute(stamp)
    resp = Response(body, mimetype="text/calendar")
    resp.headers["Content-Disposition"] = 'inline; filename="sauro.ics"'
    resp.headers["Cache-Control"] = "private, max-age=300"
    return resp
