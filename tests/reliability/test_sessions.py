"""Sessions (ASVS V7): login rotates the session, and copied cookies die.

Already asserted in tests/web/test_auth.py, with a second client replaying the old cookie
(not repeated here): refused after logout (test_old_session_cookie_refused_after_logout,
test_logout_ends_every_session_of_the_user), after a password change
(test_old_session_cookie_refused_after_password_change), after an admin disables the
account, changes its role or unit, or sets a password
(test_old_session_cookie_refused_after_admin_changes_the_account).

Added here: the session is a new one at login (new cookie value, nothing kept from before
but the chosen language); a pre-login cookie an attacker planted stays anonymous; a cookie
stays dead after a logout and a new login, and after a disable and a re-enable; a cookie
signed with another key is anonymous; no remember-me cookie is ever set; the production
cookie flags.

Figure: replays accepted 0 of N; login rotation yes."""

from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from rel_support import figure, login, root, user_form

from app.extensions import db
from app.models import User

REPLAYS = {"tried": 0, "accepted": 0}


def cookie(c, name="session") -> str | None:
    ck = c.get_cookie(name)
    return ck.value if ck is not None else None


def signed_in(app, value: str) -> bool:
    """Whether a new browser holding only this cookie is signed in."""
    c = app.test_client()
    c.set_cookie("session", value)
    resp = c.get("/tasks/mine")
    if resp.status_code == 200:
        return True
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/login"
    return False


def dead(app, value: str) -> bool:
    """A replay that must be refused; counted for the figure."""
    REPLAYS["tried"] += 1
    if signed_in(app, value):
        REPLAYS["accepted"] += 1
        return False
    return True


def test_login_starts_a_new_session(sw):
    c = sw.app.test_client()
    c.post("/language/en", data={"next": "/login"})
    with c.session_transaction() as s:
        s["planted"] = "by an attacker"
        s["_fresh"] = True
    before = cookie(c)
    assert before
    login(c, "staff_a")
    after = cookie(c)
    assert after and after != before
    with c.session_transaction() as s:
        kept = set(s.keys())
    assert "planted" not in kept, kept
    assert s.get("lang") == "en"           # the language chosen before login is kept on purpose
    # the cookie from before the login (an attacker's copy) is still anonymous
    assert dead(sw.app, before)
    assert signed_in(sw.app, after)
    figure("sessions", f"login rotates the session: cookie changed, keys kept from before: "
                       f"{sorted(kept & {'planted'}) or 'none'} (lang kept on purpose)")


def test_no_remember_me_cookie(sw):
    c = sw.app.test_client()
    resp = c.post("/login", data={"username": "staff_a", "password": root().PASSWORD,
                                  "remember": "y", "remember_me": "1"})
    assert resp.status_code == 302
    names = [SimpleCookie(h) for h in resp.headers.getlist("Set-Cookie")]
    assert not [n for n in names if "remember_token" in n], resp.headers.getlist("Set-Cookie")


def test_cookie_dead_after_logout_stays_dead_after_a_new_login(sw):
    c = sw.client("staff")
    old = cookie(c)
    c.post("/logout")
    sw.client("staff")                   # the same person signs in again elsewhere
    assert dead(sw.app, old)


def test_cookie_dead_after_disable_stays_dead_after_enable(sw):
    staff = sw.client("staff")
    old = cookie(staff)
    admin = sw.cached("admin")
    u = db.session.get(User, sw.w.staff.id)
    data = user_form(u)
    del data["is_active"]
    assert admin.post(f"/admin/users/{u.id}", data=data).status_code == 302
    assert dead(sw.app, old)
    u = db.session.get(User, sw.w.staff.id)
    assert admin.post(f"/admin/users/{u.id}", data=user_form(u, is_active="y")).status_code == 302
    assert dead(sw.app, old)
    assert sw.client("staff").get("/tasks/mine").status_code == 200


def test_cookie_signed_with_another_key_is_anonymous(sw):
    from flask.sessions import SecureCookieSessionInterface

    good = cookie(sw.client("staff"))
    assert signed_in(sw.app, good)
    user = db.session.get(User, sw.w.staff.id)
    serializer = SecureCookieSessionInterface().get_signing_serializer(sw.app)
    forged_payload = {"_user_id": user.session_token, "_fresh": True}
    real = serializer.dumps(forged_payload)
    assert signed_in(sw.app, real)        # the control: signed with the app's key, it works
    original = sw.app.secret_key
    try:
        sw.app.secret_key = "another-key"
        forged = SecureCookieSessionInterface().get_signing_serializer(sw.app).dumps(forged_payload)
    finally:
        sw.app.secret_key = original
    assert dead(sw.app, forged)
    # a user id instead of the session token names nobody
    assert dead(sw.app, serializer.dumps({"_user_id": str(user.id), "_fresh": True}))


def test_production_cookie_flags(database, tmp_path):
    from app import create_app
    from config import ProductionConfig

    rc = root()
    url = rc.database_url(database, tmp_path)
    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False,
                     UPLOAD_FOLDER=str(tmp_path / "up"))
    assert not app.debug and not app.testing
    with app.app_context():
        from app.directory import units, users

        units.add_unit("X", "Đơn vị X")
        users.add_user("nv.x", "Nhân Viên X", "X", "staff", rc.PASSWORD, check_policy=False)
        db.session.commit()
        c = app.test_client()
        resp = c.post("/login", data={"username": "nv.x", "password": rc.PASSWORD},
                      base_url="https://localhost")
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        headers = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("__Host-session=")]
        assert headers, resp.headers.getlist("Set-Cookie")
        ck = SimpleCookie(headers[-1])["__Host-session"]
        assert ck["secure"] and ck["httponly"] and ck["samesite"].lower() == "lax"
        assert ck["path"] == "/" and not ck["domain"]
        assert app.config["PERMANENT_SESSION_LIFETIME"] <= 12 * 3600
        assert app.config["REMEMBER_COOKIE_DURATION"] <= 14 * 24 * 3600
        db.session.remove()
        db.engine.dispose()
    if database["kind"] == "postgresql":
        rc.truncate_all(url)
    figure("sessions", "production cookie: __Host-session; Secure; HttpOnly; SameSite=Lax; "
                       "Path=/; 12 h lifetime")


def test_summary():
    figure("sessions", f"replayed cookies accepted {REPLAYS['accepted']} of {REPLAYS['tried']} "
                       f"that must be dead (and after logout, password change, disable, role "
                       f"change: tests/web/test_auth.py)")
    assert REPLAYS["accepted"] == 0
