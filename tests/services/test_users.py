"""Users: login with throttling, password policy, sessions that end on sensitive changes."""

import pytest
from sqlalchemy import func, select

from app.common.errors import NotFound, RuleViolation
from app.directory import users
from app.extensions import db
from app.models import AuditLog, LoginFailure, User
from app.settings import current_settings
from tests.conftest import PASSWORD
from tests.settings_support import override_settings

ADDRESS = "10.0.0.5"


@pytest.fixture(autouse=True)
def no_redis(app, monkeypatch):
    """Failed logins are counted in the database here, whatever the environment says."""
    override_settings(monkeypatch, app, REDIS_URL=None)


def actions() -> list[str]:
    return db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()


def failures(key: str) -> int:
    return db.session.scalar(select(func.count(LoginFailure.id)).where(LoginFailure.key == key))


def reload_user(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


# ---- authenticate ----------------------------------------------------------------------

def test_authenticate_with_the_right_password(world):
    user = users.authenticate("  STAFF_A ", PASSWORD, ADDRESS, current_settings().login)
    db.session.commit()
    assert user is not None and user.id == world.staff.id
    assert reload_user(world.staff.id).last_login_at is not None
    assert actions()[-1] == "login"


@pytest.mark.parametrize("username, password", [
    ("staff_a", "Mat-khau-sai-2026"),
    ("staff_a", ""),
    ("staff_a", None),
    ("khong_ton_tai", PASSWORD),
    ("", PASSWORD),
])
def test_authenticate_refuses_wrong_credentials_with_none_and_counts_them(world, username, password):
    assert users.authenticate(username, password, ADDRESS, current_settings().login) is None
    db.session.commit()
    assert failures("acct:" + username) == 1
    assert failures("addr:" + ADDRESS) == 1
    assert actions()[-1] == "login.failed"
    assert reload_user(world.staff.id).last_login_at is None


def test_a_disabled_user_is_refused_even_with_the_right_password(world):
    world.staff.is_active = False
    db.session.commit()
    # Refused, and told why only because the password was right (issue 17): counted as a
    # failure all the same, and audited.
    with pytest.raises(users.Disabled):
        users.authenticate("staff_a", PASSWORD, ADDRESS, current_settings().login)
    assert failures("acct:staff_a") == 1
    assert users.authenticate("staff_a", "sai-mat-khau", ADDRESS, current_settings().login) is None


def test_throttled_after_too_many_failures_for_one_account(app, world):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for n in range(limit):
        # Each attempt from another address: only the account counter reaches the limit.
        assert users.authenticate("staff_a", "sai-mat-khau", f"10.0.1.{n}", current_settings().login) is None
    db.session.commit()
    with pytest.raises(users.Throttled):
        users.authenticate("staff_a", PASSWORD, "10.0.2.1", current_settings().login)  # even the right password
    db.session.commit()
    assert actions()[-1] == "login.throttled"
    # Other accounts are not affected.
    assert users.authenticate("staff_a2", PASSWORD, "10.0.2.1", current_settings().login).id == world.staff2.id


def test_one_failure_short_of_the_limit_still_lets_the_right_password_in(app, world):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for n in range(limit - 1):
        users.authenticate("staff_a", "sai-mat-khau", f"10.0.1.{n}", current_settings().login)
    assert users.authenticate("staff_a", PASSWORD, "10.0.2.1", current_settings().login).id == world.staff.id
    db.session.commit()
    # A success clears the account's count.
    assert failures("acct:staff_a") == 0


def test_an_address_over_its_limit_is_slowed_never_locked(app, world, monkeypatch):
    """Issue 18: a whole office behind one address (NAT, or a proxy not yet trusted) must
    not be locked out by a stranger's failures: past the address's limit a wrong password
    answers Throttled("address"), the right one for an account that is not itself locked
    still gets in."""
    override_settings(monkeypatch, app, LOGIN_MAX_FAILURES_PER_ADDRESS=3)
    for name in ("a1", "a2", "a3"):
        users.authenticate(name, "x", ADDRESS, current_settings().login)
    with pytest.raises(users.Throttled) as e:
        users.authenticate("staff_a", "sai-mat-khau", ADDRESS, current_settings().login)
    assert e.value.reason == "address"
    assert users.authenticate("staff_a", PASSWORD, ADDRESS, current_settings().login).id == world.staff.id
    assert users.authenticate("staff_a2", PASSWORD, "10.9.9.9", current_settings().login).id == world.staff2.id
    # no more failure rows for the address past its limit
    assert failures("addr:" + ADDRESS) == 3


def test_failures_outside_the_window_are_forgotten(app, world):
    from datetime import timedelta

    from app.models.base import utcnow

    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    old = utcnow() - timedelta(seconds=app.config["LOGIN_FAILURE_WINDOW_SECONDS"] + 60)
    db.session.add_all([LoginFailure(key="acct:staff_a", at=old) for _ in range(limit)])
    db.session.commit()
    assert users.authenticate("staff_a", PASSWORD, ADDRESS, current_settings().login).id == world.staff.id



def test_the_scheduler_tick_prunes_expired_login_failures(app, world):
    """Issue 18.2: rows keyed by address were never deleted. The scheduler's tick removes
    every row whose window has passed, and folds a throttled window into one summary row."""
    from datetime import timedelta

    from app import scheduler
    from app.models.base import utcnow

    window = app.config["LOGIN_FAILURE_WINDOW_SECONDS"]
    old = utcnow() - timedelta(seconds=window + 60)
    db.session.add_all([LoginFailure(key="addr:10.1.1.1", at=old) for _ in range(5)]
                       + [LoginFailure(key="thr:staff_a|10.1.1.1", at=old, attempts=7),
                          LoginFailure(key="addr:10.1.1.2")])
    db.session.commit()
    scheduler.sweep_job(app)
    db.session.expire_all()
    assert db.session.scalars(select(LoginFailure.key)).all() == ["addr:10.1.1.2"]
    assert actions()[-1] == "login.throttled.summary"

# ---- passwords and sessions ----------------------------------------------------------

@pytest.mark.parametrize("new, ok", [
    ("Ngắn-1", False),            # fewer than 8 characters
    ("1234567", False),
    ("password", False),          # common
    ("PASSWORD1", False),         # common, whatever the case
    ("12345678", False),
    ("matkhau123", False),
    ("x" * 129, False),           # too long
    ("hoa-sen-nở-giữa-hè", True),
    ("12345679a", True),
    ("x" * 128, True),
])
def test_change_password_policy(world, new, ok):
    token = world.staff.session_token
    if ok:
        users.change_password(world.staff, PASSWORD, new)
        db.session.commit()
        user = reload_user(world.staff.id)
        assert user.session_token != token
        assert users.authenticate("staff_a", new, ADDRESS, current_settings().login).id == user.id
        assert users.authenticate("staff_a", PASSWORD, ADDRESS, current_settings().login) is None
        assert "user.password" in actions()
    else:
        with pytest.raises(RuleViolation) as err:
            users.change_password(world.staff, PASSWORD, new)
        assert err.value.field == "new_password"
        db.session.rollback()
        assert reload_user(world.staff.id).session_token == token
        assert users.authenticate("staff_a", PASSWORD, ADDRESS, current_settings().login).id == world.staff.id


def test_change_password_needs_the_current_password(world):
    token = world.staff.session_token
    with pytest.raises(RuleViolation) as err:
        users.change_password(world.staff, "sai-mat-khau", "hoa-sen-nở-giữa-hè")
    assert err.value.field == "current_password"
    db.session.rollback()
    assert reload_user(world.staff.id).session_token == token
    assert "user.password" not in actions()


def test_end_sessions_rotates_the_token(world):
    token = world.staff.session_token
    users.end_sessions(world.staff)
    db.session.commit()
    assert reload_user(world.staff.id).session_token not in (token, "", None)


def _edit(world, user, **kw):
    values = {"full_name": user.full_name, "email": user.email, "unit_id": user.unit_id, "role": user.role,
                  "is_active": user.is_active, "title": user.title}
    values.update(kw)
    return users.update_user(world.admin, user.id, **values)


@pytest.mark.parametrize("change, ends_sessions", [
    (lambda w: {"role": "deputy"}, True),
    (lambda w: {"is_active": False}, True),
    (lambda w: {"unit_id": w.b.id}, True),
    (lambda w: {"new_password": "hoa-sen-nở-giữa-hè"}, True),
    (lambda w: {"full_name": "Phạm Văn Đăng Khoa"}, False),
    (lambda w: {"email": "dang@example.vn", "title": "Chuyên viên"}, False),
    (lambda w: {}, False),
])
def test_update_user_ends_sessions_on_role_unit_password_or_disable(world, change, ends_sessions):
    token = world.staff.session_token
    n_audit = len(actions())
    _edit(world, world.staff, **change(world))
    db.session.commit()
    user = reload_user(world.staff.id)
    assert (user.session_token != token) is ends_sessions
    changed = bool(change(world))
    assert len(actions()) == n_audit + (1 if changed else 0)


def test_update_user_keeps_the_sort_and_search_forms_in_step(world):
    _edit(world, world.staff, full_name="  Đặng   Thị Ánh  ")
    db.session.commit()
    user = reload_user(world.staff.id)
    assert (user.full_name, user.name_folded) == ("Đặng Thị Ánh", "dang thi anh")


@pytest.mark.parametrize("change, field", [
    (lambda w: {"role": "emperor"}, "role"),
    (lambda w: {"unit_id": 999999}, "unit_id"),
    (lambda w: {"unit_id": 0}, "unit_id"),
    (lambda w: {"full_name": " "}, "full_name"),
    (lambda w: {"new_password": "password"}, "new_password"),
])
def test_update_user_rules(world, change, field):
    token = world.staff.session_token
    with pytest.raises(RuleViolation) as err:
        _edit(world, world.staff, **change(world))
    assert err.value.field == field
    db.session.rollback()
    user = reload_user(world.staff.id)
    assert (user.role, user.session_token) == ("staff", token)


@pytest.mark.parametrize("change", [{"is_active": False}, {"role": "head"}])
def test_an_admin_cannot_lock_themselves_out(world, change):
    with pytest.raises(RuleViolation):
        _edit(world, world.admin, **change)


def test_update_user_of_a_missing_id_is_not_found(world):
    with pytest.raises(NotFound):
        users.update_user(world.admin, 999999, "Ai đó", None, world.a.id, "staff", True)


# ---- add_user --------------------------------------------------------------------------

def test_add_user_hashes_the_password_and_audits(world):
    user = users.add_user(" Nguyen.Van-A ", "Nguyễn Văn A", "SNV", "staff", "hoa-sen-nở-giữa-hè",
                          email=" a@example.vn ", actor_id=world.admin.id)
    db.session.commit()
    user = reload_user(user.id)
    assert (user.username, user.email, user.unit_id, user.role) == (
        "nguyen.van-a", "a@example.vn", world.a.id, "staff")
    assert "hoa-sen" not in user.password_hash and user.password_hash.startswith("$argon2id$")
    assert len(user.session_token) >= 32
    assert users.authenticate("nguyen.van-a", "hoa-sen-nở-giữa-hè", ADDRESS, current_settings().login).id == user.id
    assert actions()[-2:] == ["user.create", "login"]


@pytest.mark.parametrize("args, field", [
    (("staff_a", "Trùng Tên", "SNV", "staff", "hoa-sen-nở-giữa-hè"), "username"),
    (("STAFF_A", "Trùng Tên", "SNV", "staff", "hoa-sen-nở-giữa-hè"), "username"),
    (("có dấu", "Tên", "SNV", "staff", "hoa-sen-nở-giữa-hè"), "username"),
    (("new_user", "Tên", "SNV", "emperor", "hoa-sen-nở-giữa-hè"), "role"),
    (("new_user", "Tên", "NOPE", "staff", "hoa-sen-nở-giữa-hè"), "unit"),
    (("new_user", "Tên", "", "staff", "hoa-sen-nở-giữa-hè"), "unit"),
    (("new_user", " ", "SNV", "staff", "hoa-sen-nở-giữa-hè"), "full_name"),
    (("new_user", "Tên", "SNV", "staff", "password"), "password"),
    (("new_user", "Tên", "SNV", "staff", "short"), "password"),
])
def test_add_user_rules(world, args, field):
    n = db.session.scalar(select(func.count(User.id)))
    with pytest.raises(RuleViolation) as err:
        users.add_user(*args)
    assert err.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count(User.id))) == n


# ---- one email, one account --------------------------------------------------------------
# The plan importer finds people by email: two accounts with one email would make it guess.

def test_emails_are_stored_in_lower_case(world):
    user = users.add_user("cv.moi", "Nguyễn Văn Mới", "SNV", "staff", "hoa-sen-nở-giữa-hè",
                          email="  T6@SNV.gov.vn ")
    db.session.commit()
    assert reload_user(user.id).email == "t6@snv.gov.vn"
    _edit(world, world.staff, email="Dang@SNV.gov.vn")
    db.session.commit()
    assert reload_user(world.staff.id).email == "dang@snv.gov.vn"


@pytest.mark.parametrize("email", ["t6@snv.gov.vn", "T6@snv.gov.vn", " t6@SNV.GOV.VN "])
def test_add_user_refuses_an_email_already_used_in_any_letter_case(world, email):
    users.add_user("cv.test6", "Nguyễn Văn Thử", "SNV", "staff", "hoa-sen-nở-giữa-hè",
                   email="t6@snv.gov.vn")
    db.session.commit()
    n = db.session.scalar(select(func.count(User.id)))
    with pytest.raises(RuleViolation) as err:
        users.add_user("cv.test7", "Nguyễn Văn Thử", "SNV", "staff", "hoa-sen-nở-giữa-hè",
                       email=email)
    assert err.value.field == "email"
    assert str(err.value.message) == "Email t6@snv.gov.vn đã được dùng cho tài khoản cv.test6."
    db.session.rollback()
    assert db.session.scalar(select(func.count(User.id))) == n


def test_update_user_refuses_another_accounts_email_but_keeps_its_own(world):
    _edit(world, world.staff2, email="lan@snv.gov.vn")
    db.session.commit()
    with pytest.raises(RuleViolation) as err:
        _edit(world, world.staff, email="LAN@snv.gov.vn")
    assert err.value.field == "email" and "staff_a2" in str(err.value.message)
    db.session.rollback()
    assert reload_user(world.staff.id).email is None
    # saving an account with its own email (in another letter case) is no duplicate
    _edit(world, world.staff2, email="Lan@SNV.gov.vn", title="Chuyên viên chính")
    db.session.commit()
    assert (reload_user(world.staff2.id).email, reload_user(world.staff2.id).title) == (
        "lan@snv.gov.vn", "Chuyên viên chính")


def test_accounts_without_an_email_are_no_duplicates(world):
    for username in ("cv.a", "cv.b"):
        users.add_user(username, "Không Thư", "SNV", "staff", "hoa-sen-nở-giữa-hè", email="  ")
    db.session.commit()
    assert db.session.scalars(select(User.email).where(User.username.in_(["cv.a", "cv.b"]))).all() == [
        None, None]
