"""Log in, log out, throttling, session cookies, password change, language, redirects."""

import re
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import pytest
from web_support import (
    PASSWORD_NEW,
    field_errors,
    field_value,
    looks_vietnamese,
    page,
    root,
    row,
    tr,
)

from app.extensions import db
from app.models import User
from tests.settings_support import override_settings

PASSWORD = root().PASSWORD


def login(c, username, password=PASSWORD, next_=None):
    url = "/login" + (f"?next={next_}" if next_ is not None else "")
    return c.post(url, data={"username": username, "password": password})


def session_cookie(c) -> str:
    cookie = c.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def replay(app, value: str):
    """A new browser that only has a copy of an old session cookie."""
    c = app.test_client()
    c.set_cookie("session", value)
    return c


def test_login_and_logout(sw):
    c = sw.app.test_client()
    assert c.get("/").status_code == 302
    resp = c.get("/login")
    assert resp.status_code == 200
    doc = page(resp)
    assert doc.find("html").attrs["lang"] == "vi"
    resp = login(c, "staff_a")
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/"
    home = c.get("/")
    assert home.status_code == 200
    assert "Phạm Văn Đăng" in home.get_data(as_text=True)
    # a logged-in visit to the login page goes home
    assert urlsplit(c.get("/login").headers["Location"]).path == "/"
    resp = c.post("/logout")
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/login"
    assert c.get("/").status_code == 302
    assert tr("You have logged out.") in page(c.get("/login")).text()


def test_username_is_not_case_sensitive_and_login_is_audited(sw):
    c = sw.app.test_client()
    assert login(c, "  Staff_A ").status_code == 302
    assert c.get("/tasks/mine").status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_answer(sw):
    c = sw.app.test_client()
    wrong = login(c, "staff_a", "Sai-mat-khau-2026")
    unknown = login(c, "khong.ton.tai", "Sai-mat-khau-2026")
    assert wrong.status_code == unknown.status_code
    assert wrong.status_code < 500 and wrong.status_code != 302
    # The CSRF token is signed with the second it was made: two answers a second apart differ
    # there whatever the username, so it is masked (it says nothing about the account) — the
    # login form's and the language form's (base.html writes `type` first).
    token = re.compile(r'name="csrf_token"(?: type="hidden")? value="[^"]*"')
    body_wrong = token.sub("TOKEN", wrong.get_data(as_text=True).replace("staff_a", "USERNAME"))
    body_unknown = token.sub("TOKEN", unknown.get_data(as_text=True).replace("khong.ton.tai",
                                                                             "USERNAME"))
    assert body_wrong == body_unknown
    doc = page(wrong)
    assert field_errors(doc, "password") == [tr("Wrong username or password.")]
    # the username is kept, the password is not sent back
    assert field_value(doc, "username") == "staff_a"
    assert field_value(doc, "password") == ""
    assert c.get("/").status_code == 302


def test_disabled_account_cannot_log_in(sw):
    u = db.session.get(User, sw.w.staff.id)
    u.is_active = False
    db.session.commit()
    c = sw.app.test_client()
    resp = login(c, "staff_a")
    assert resp.status_code != 302
    # The right password: told the account is disabled (issue 17), not "wrong password".
    assert field_errors(page(resp), "password") == [
        tr("This account is disabled. Ask the administrator of your unit to enable it.")]
    assert c.get("/").status_code == 302  # still not logged in


def test_a_disabled_account_with_a_wrong_password_answers_as_any_wrong_password(sw):
    """Without the password nothing tells a disabled account from an active one or an
    unknown name: no account enumeration."""
    u = db.session.get(User, sw.w.staff.id)
    u.is_active = False
    db.session.commit()
    c = sw.app.test_client()
    resp = c.post("/login", data={"username": "staff_a", "password": "sai-mat-khau"})
    assert field_errors(page(resp), "password") == [tr("Wrong username or password.")]


def test_empty_login_form_shows_messages_beside_the_fields(sw):
    resp = sw.app.test_client().post("/login", data={"username": "", "password": ""})
    assert resp.status_code < 500 and resp.status_code != 302
    doc = page(resp)
    assert field_errors(doc, "username") == [tr("Enter your username.")]
    assert field_errors(doc, "password") == [tr("Enter your password.")]


def test_throttling_answers_429_in_vietnamese(sw, monkeypatch):
    override_settings(monkeypatch, sw.app, LOGIN_MAX_FAILURES_PER_ACCOUNT=3)
    c = sw.app.test_client()
    for _ in range(3):
        assert login(c, "staff_a", "Sai-mat-khau-2026").status_code == 200
    resp = login(c, "staff_a", "Sai-mat-khau-2026")
    assert resp.status_code == 429
    message = tr("Too many failed logins. Wait 15 minutes and try again.")
    assert message != "Too many failed logins. Wait 15 minutes and try again.", "not translated"
    alerts = [n.text() for n in page(resp).find_all(cls="alert-danger")]
    assert any(message in a for a in alerts), alerts
    assert looks_vietnamese(" ".join(alerts))
    # even the right password is refused while the account is throttled
    resp = login(c, "staff_a")
    assert resp.status_code == 429
    assert c.get("/").status_code == 302
    # another account from the same address is not locked by this one
    assert login(sw.app.test_client(), "staff_a2").status_code == 302


def test_unknown_accounts_are_throttled_the_same_way(sw, monkeypatch):
    override_settings(monkeypatch, sw.app, LOGIN_MAX_FAILURES_PER_ACCOUNT=2)
    c = sw.app.test_client()
    for name in ("staff_a", "khong.ton.tai"):
        for _ in range(2):
            login(c, name, "Sai-mat-khau-2026")
        assert login(c, name, "Sai-mat-khau-2026").status_code == 429, name


def test_unknown_user_and_wrong_password_answer_identically(sw, monkeypatch):
    """Nothing in the answer tells an attacker whether the account exists: the same status,
    the same page (the CSRF token aside), and the same throttling after the same count."""
    import re

    limit = 3
    override_settings(monkeypatch, sw.app, LOGIN_MAX_FAILURES_PER_ACCOUNT=limit)
    token = re.compile(r'name="csrf_token"[^>]*value="[^"]*"')

    def answers(username):
        c = sw.app.test_client()
        out = []
        for _ in range(limit + 1):
            resp = login(c, username, "Sai-mat-khau-2026")
            out.append((resp.status_code, token.sub("", resp.get_data(as_text=True)).replace(username, "")))
        return out

    known, unknown = answers("staff_a"), answers("khong.ton.tai")
    assert [s for s, _ in known] == [200] * limit + [429]
    assert known == unknown
    print(f"[brute-force] per account: refused with 429 after {limit} failures (setting), the right "
          f"password too; unknown user and wrong password: {len(known)} of {len(known)} answers "
          f"identical; per address and across servers (Redis): tests/services/test_users.py, "
          f"tests/test_two_servers.py")


def test_session_cookie_is_httponly_and_samesite_lax(sw):
    c = sw.app.test_client()
    resp = login(c, "staff_a")
    headers = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert headers, resp.headers
    cookie = SimpleCookie(headers[-1])["session"]
    assert cookie["httponly"]
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"


def test_old_session_cookie_refused_after_logout(sw):
    c = sw.client("staff")
    old = session_cookie(c)
    assert replay(sw.app, old).get("/").status_code == 200
    c.post("/logout")
    resp = replay(sw.app, old).get("/")
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/login"


def test_logout_ends_every_session_of_the_user(sw):
    laptop, phone = sw.client("staff"), sw.client("staff")
    laptop.post("/logout")
    assert phone.get("/").status_code == 302


def test_old_session_cookie_refused_after_password_change(sw):
    c = sw.client("staff")
    other_device = sw.client("staff")
    old = session_cookie(c)
    resp = c.post("/password", data={"current_password": PASSWORD, "new_password": PASSWORD_NEW,
                                     "confirm": PASSWORD_NEW})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    # this browser stays logged in with a new session; the old cookie and other devices do not
    assert c.get("/").status_code == 200
    assert replay(sw.app, old).get("/").status_code == 302
    assert other_device.get("/").status_code == 302
    assert login(sw.app.test_client(), "staff_a").status_code != 302
    assert login(sw.app.test_client(), "staff_a", PASSWORD_NEW).status_code == 302


@pytest.mark.parametrize("change", ["role", "disable", "unit", "password"])
def test_old_session_cookie_refused_after_admin_changes_the_account(sw, change):
    staff = sw.client("staff")
    old = session_cookie(staff)
    u = sw.w.staff
    data = {"full_name": u.full_name, "email": u.email or "", "title": u.title or "",
            "unit_id": str(u.unit_id), "role": "staff", "is_active": "y"}
    if change == "role":
        data["role"] = "deputy"
    elif change == "disable":
        del data["is_active"]
    elif change == "unit":
        data["unit_id"] = str(sw.w.b.id)
    else:
        data["new_password"] = PASSWORD_NEW
    resp = sw.cached("admin").post(f"/admin/users/{u.id}", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    assert replay(sw.app, old).get("/").status_code == 302
    assert staff.get("/tasks/mine").status_code == 302


def test_editing_only_the_name_keeps_the_session(sw):
    staff = sw.client("staff")
    u = sw.w.staff
    resp = sw.cached("admin").post(f"/admin/users/{u.id}", data={
        "full_name": "Phạm Văn Đăng Khoa", "unit_id": str(u.unit_id), "role": "staff",
        "is_active": "y"})
    assert resp.status_code == 302
    assert staff.get("/").status_code == 200


@pytest.mark.parametrize("data, field, message", [
    ({"current_password": "Sai-mat-khau-2026", "new_password": PASSWORD_NEW,
      "confirm": PASSWORD_NEW}, "current_password", "The current password is wrong."),
    ({"current_password": PASSWORD, "new_password": "ngan", "confirm": "ngan"},
     "new_password", "Use 8 to 128 characters."),
    ({"current_password": PASSWORD, "new_password": "password123", "confirm": "password123"},
     "new_password", "This password is too common; choose another."),
    ({"current_password": PASSWORD, "new_password": PASSWORD_NEW, "confirm": PASSWORD_NEW + "x"},
     "confirm", "The two new passwords differ."),
    ({"current_password": "", "new_password": PASSWORD_NEW, "confirm": PASSWORD_NEW},
     "current_password", "Enter your current password."),
    ({"current_password": PASSWORD, "new_password": "", "confirm": ""},
     "new_password", "Enter a new password."),
], ids=["wrong-current", "too-short", "common", "mismatch", "no-current", "no-new"])
def test_password_change_bad_input(sw, data, field, message):
    c = sw.client("staff")
    before = row(User, sw.w.staff.id)
    resp = c.post("/password", data=data)
    assert resp.status_code == 422, resp.status_code
    doc = page(resp)
    assert tr(message) in field_errors(doc, field), (field, field_errors(doc, field))
    # passwords are never echoed back
    for name in ("current_password", "new_password", "confirm"):
        assert field_value(doc, name) == ""
    assert row(User, sw.w.staff.id) == before
    assert c.get("/").status_code == 200


def test_language_switch_to_english_and_back(sw):
    c = sw.client("staff")
    doc = page(c.get("/tasks"))
    assert doc.find("html").attrs["lang"] == "vi"
    assert tr("Tasks") in doc.find("nav").text() and tr("Tasks") != "Tasks"
    resp = c.post("/language/en", data={"next": "/tasks?q=cai+cach"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/tasks?q=cai+cach")
    doc = page(c.get("/tasks"))
    assert doc.find("html").attrs["lang"] == "en"
    assert "My tasks" in doc.find("nav").text()
    # the choice is the user's: a new login keeps English
    assert row(User, sw.w.staff.id)["locale"] == "en"
    c2 = sw.client("staff")
    assert page(c2.get("/")).find("html").attrs["lang"] == "en"
    c.post("/language/vi", data={"next": "/tasks"})
    doc = page(c.get("/tasks"))
    assert doc.find("html").attrs["lang"] == "vi"
    assert looks_vietnamese(doc.find("nav").text())
    assert row(User, sw.w.staff.id)["locale"] == "vi"


def test_language_switch_works_before_login_and_survives_it(sw):
    c = sw.app.test_client()
    c.post("/language/en", data={"next": "/login"})
    assert page(c.get("/login")).find("html").attrs["lang"] == "en"
    login(c, "staff_a")
    assert page(c.get("/")).find("html").attrs["lang"] == "en"


def test_unknown_language_falls_back_to_vietnamese(sw):
    c = sw.app.test_client()
    resp = c.post("/language/xx", data={"next": "/login"})
    assert resp.status_code == 302
    assert page(c.get("/login")).find("html").attrs["lang"] == "vi"


EVIL = ["//evil.example", "//evil.example/login", "https://evil.example/", "http:evil.example",
        "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "javascript:alert(1)",
        "%2F%2Fevil.example", "///evil.example", " //evil.example"]


@pytest.mark.parametrize("target", EVIL)
def test_login_next_refuses_other_sites(sw, target):
    c = sw.app.test_client()
    resp = c.post("/login", query_string={"next": target},
                  data={"username": "staff_a", "password": PASSWORD})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    parts = urlsplit(location.replace("\\", "/").replace("\t", ""))
    assert parts.netloc in ("", "localhost"), location
    assert not parts.path.startswith("//"), location
    assert parts.scheme in ("", "http"), location


def test_login_next_keeps_a_local_page(sw):
    c = sw.app.test_client()
    resp = c.post("/login", query_string={"next": "/tasks?q=cai+cach"},
                  data={"username": "staff_a", "password": PASSWORD})
    assert resp.headers["Location"].endswith("/tasks?q=cai+cach")


def test_anonymous_visit_is_sent_to_login_with_next(sw):
    resp = sw.app.test_client().get("/tasks/mine")
    assert resp.status_code == 302
    loc = urlsplit(resp.headers["Location"])
    assert loc.path == "/login" and "next=" in loc.query


@pytest.mark.parametrize("target", EVIL)
def test_language_next_refuses_other_sites(sw, target):
    c = sw.app.test_client()
    resp = c.post("/language/en", data={"next": target})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    parts = urlsplit(location.replace("\\", "/").replace("\t", ""))
    assert parts.netloc in ("", "localhost") and not parts.path.startswith("//"), location


def test_language_referrer_from_another_site_is_not_followed(sw):
    c = sw.app.test_client()
    resp = c.post("/language/en", headers={"Referer": "https://evil.example/phish"})
    assert resp.status_code == 302
    assert urlsplit(resp.headers["Location"]).netloc in ("", "localhost")
    assert urlsplit(resp.headers["Location"]).path == "/phish" or \
        urlsplit(resp.headers["Location"]).path == "/"
