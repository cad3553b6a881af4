"""The home page."""

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from .. import local_today
from ..services import dashboard

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index():
    today = local_today()
    data = dashboard.build(current_user, today, current_app.config["DUE_SOON_DAYS"])
    return render_template("dashboard/index.html", d=data, today=today)
