"""Notifications: the list, marking read, the email setting, and the navbar bell's count."""

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.notifications import service as notifications
from app.notifications.forms import NotificationSettingsForm
from app.settings import current_settings
from app.tasks.queries import Page

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def bell() -> dict:
    """`unread_notifications()` for the navbar: one COUNT per request, and only when a
    page asks for it (for a signed-in user)."""

    def unread_notifications() -> int:
        if "unread_notifications" not in g:
            user = current_user
            g.unread_notifications = (notifications.unread_count(user)
                                      if getattr(user, "is_authenticated", False) else 0)
        return g.unread_notifications

    return {"unread_notifications": unread_notifications}


def _page_arg(value) -> int:
    try:
        page = int(value or 1)
    except ValueError:
        return 1
    return min(max(page, 1), 100000)


def _back(page: int):
    return redirect(url_for("notifications.index", page=page) if page > 1
                    else url_for("notifications.index"))


@bp.get("/notifications")
@login_required
def index():
    page_no = _page_arg(request.args.get("page"))
    per_page = current_settings().page_size
    rows, total = notifications.recent(current_user, page_no, per_page)
    items = [(n, notifications.text_of(n)) for n in rows]
    form = NotificationSettingsForm(email_digest=current_user.email_digest)
    return render_template("notifications/index.html", items=items,
                           page=Page(items, total, page_no, per_page), form=form,
                           args=request.args)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    notifications.mark_one_read(current_user, notification_id)
    db.session.commit()
    return _back(_page_arg(request.form.get("page")))


@bp.post("/notifications/<int:notification_id>/open", endpoint="open")
@login_required
def open_(notification_id: int):
    """Follow a notification to its task (or a quality notification to its scoring sheet),
    marking it (and the others about that task) read. A POST: a GET writes nothing
    (SQLite's read transactions, app/extensions.py). The path is built by the service from
    the stored ids, never taken from the request."""
    path = notifications.open_one(current_user, notification_id)
    db.session.commit()
    if path is None:
        return _back(_page_arg(request.form.get("page")))
    return redirect(path)


@bp.post("/notifications/read-all")
@login_required
def read_all():
    n = notifications.mark_read(current_user)
    db.session.commit()
    if n:
        flash(_("All notifications have been marked as read."), "success")
    return _back(1)


@bp.post("/notifications/settings")
@login_required
def settings():
    # A checkbox has no wrong shape (unticked means off); CSRF is checked app-wide.
    form = NotificationSettingsForm()
    notifications.set_email_digest(current_user, bool(form.email_digest.data))
    db.session.commit()
    if current_user.email_digest:
        flash(_("You will receive one email a day with your notifications."), "success")
    else:
        flash(_("You will receive one email per notification."), "success")
    return _back(1)
