"""Log in, log out, change password, switch language."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app import boundary
from app.auth.forms import LoginForm, PasswordForm
from app.common import audit
from app.directory import users
from app.extensions import db
from app.settings import current_settings

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = users.authenticate(form.username.data, form.password.data,
                                      request.remote_addr or "?", current_settings().login)
        except users.Throttled as e:
            db.session.commit()
            if e.reason == "address":
                # The address is slowed, not locked: the right password still gets in.
                form.password.errors.append(_("Wrong username or password."))
                flash(_("Many failed logins came from your network, so each attempt is "
                        "slowed down. Check your username and password and try again."),
                      "warning")
            else:
                flash(_("Too many failed logins. Wait 15 minutes and try again."), "danger")
            return render_template("auth/login.html", form=form), 429
        except users.Disabled:
            db.session.commit()
            form.password.errors.append(_("This account is disabled. Ask the administrator "
                                          "of your unit to enable it."))
            return render_template("auth/login.html", form=form), 200
        if user is None:
            db.session.commit()
            # One message for an unknown user and a wrong password: no enumeration.
            form.password.errors.append(_("Wrong username or password."))
            status = 200
        else:
            lang = session.get("lang")
            session.clear()  # a fresh session at login (no fixation)
            if lang:
                session["lang"] = lang
            login_user(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    users.end_sessions(current_user)
    audit.record(current_user.id, "logout", "user", current_user.id)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not boundary.run(lambda: users.change_password(current_user, form.current_password.data,
                                                          form.new_password.data),
                            form, fields={None: "new_password"}):
            return render_template("auth/password.html", form=form), 422
        # this session carries the new token; others end. The user object, not the
        # current_user proxy: a proxy stored as the logged-in user resolves to itself forever.
        login_user(current_user._get_current_object())
        flash(_("Your password has been changed. Other sessions have been logged out."), "success")
        return redirect(url_for("dashboard.index"))
    # bad input answers 422, as every other form does
    return render_template("auth/password.html", form=form), 422 if request.method == "POST" else 200


@bp.post("/language/<lang>")
def language(lang: str):
    if lang not in ("vi", "en"):
        lang = "vi"
    session["lang"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    return redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))
