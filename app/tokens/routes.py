"""The tokens page: a user makes (shown once), lists and revokes their API tokens; an
admin lists and revokes everyone's."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import boundary
from app.clock import local_today
from app.models import Role
from app.tokens import service as tokens
from app.tokens.forms import TokenForm

bp = Blueprint("tokens", __name__, url_prefix="/tokens")


def _everyone() -> bool:
    everyone = request.args.get("all") == "1"
    if everyone and not current_user.has_role(Role.ADMIN):
        abort(403)
    return everyone


def _page(form: TokenForm, secret: str | None = None, status: int = 200):
    everyone = _everyone()
    return render_template("tokens/index.html", form=form, secret=secret, everyone=everyone,
                           tokens=tokens.list_tokens(current_user, everyone),
                           today=local_today()), status


@bp.get("")
@login_required
def index():
    return _page(TokenForm(formdata=None))


@bp.post("")
@login_required
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    done = boundary.run(lambda: tokens.create_token(
        current_user, current_user, form.name.data, form.read_only.data, form.expires_on.data,
        local_today()).secret, form)
    if not done:
        return _page(form, status=422)
    # The secret is in this page only (no-store), never in a redirect or the session; 201:
    # made, and shown here.
    return _page(TokenForm(formdata=None), secret=done.value, status=201)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    boundary.run(lambda: tokens.revoke_token(current_user, token_id))
    flash(_("The token has been revoked: it no longer works."), "success")
    if request.args.get("all") == "1" and current_user.has_role(Role.ADMIN):
        return redirect(url_for("tokens.index", all=1))
    return redirect(url_for("tokens.index"))
