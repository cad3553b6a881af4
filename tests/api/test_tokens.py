"""Personal access tokens: made by their owner (shown once), stored hashed, listed and
revoked by the owner and by an admin; `flask tokens create|list|revoke`."""

from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, AuditLog, User
from app.tokens import service as tokens
from tests.api.conftest import TODAY, make_token


def test_a_token_is_stored_hashed_and_shown_once(world):
    secret = make_token(world.staff, "Hệ thống quản lý văn bản")
    row = db.session.scalars(select(ApiToken)).one()
    assert secret.startswith("sr_") and len(secret) > 40
    assert secret not in (row.token_hash, row.prefix) and row.token_hash == tokens.hash_token(secret)
    assert secret.startswith(row.prefix)
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "token.create")).one()
    assert secret not in audit.changes


def test_the_page_makes_lists_and_revokes_ones_own_tokens(world, as_user, client):
    as_user("staff_a")
    page = client.post("/tokens", data={"name": "LGSP Đắk Lắk", "read_only": "y",
                                        "expires_on": "31/12/2026"})
    assert page.status_code == 201
    html = page.get_data(as_text=True)
    row = db.session.scalars(select(ApiToken)).one()
    assert row.user_id == world.staff.id and row.is_read_only and row.expires_on == date(2026, 12, 31)
    start = html.index('id="token-secret">') + len('id="token-secret">')
    secret = html[start:html.index("<", start)]
    assert tokens.hash_token(secret) == row.token_hash
    # Shown once: the list shows the prefix, never the secret again.
    again = client.get("/tokens").get_data(as_text=True)
    assert "LGSP Đắk Lắk" in again and row.prefix in again and secret not in again
    assert client.post(f"/tokens/{row.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is not None
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_bad_input_is_refused_beside_the_field_and_kept(world, as_user, client):
    as_user("staff_a")
    page = client.post("/tokens", data={"name": "Báo cáo", "expires_on": "01/01/2020"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Ngày hết hạn không được trước hôm nay." in html and 'value="Báo cáo"' in html
    page = client.post("/tokens", data={"name": "", "expires_on": "32/13/2026"})
    assert page.status_code == 422
    assert db.session.scalar(select(ApiToken.id)) is None
    make_token(world.staff, "Trùng tên")
    page = client.post("/tokens", data={"name": "Trùng tên"})
    assert page.status_code == 422 and "Bạn đã có một token tên này." in page.get_data(as_text=True)


def test_nobody_revokes_or_sees_another_users_token_but_an_admin(world, as_user, client):
    make_token(world.staff_b, "Của người khác")
    other = db.session.scalars(select(ApiToken)).one()
    as_user("staff_a")
    assert "Của người khác" not in client.get("/tokens").get_data(as_text=True)
    assert client.get("/tokens?all=1").status_code == 403
    assert client.post(f"/tokens/{other.id}/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, other.id).revoked_at is None
    as_user("admin")
    listing = client.get("/tokens?all=1").get_data(as_text=True)
    assert "Của người khác" in listing and "staff_b" in listing
    assert client.post(f"/tokens/{other.id}/revoke?all=1").status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, other.id).revoked_by_id == world.admin.id


def test_the_command_line_makes_lists_and_revokes_tokens(world, runner, client):
    out = runner.invoke(args=["tokens", "create", "staff_a", "--name", "DMS", "--read-only",
                              "--expires", "31/12/2026"])
    assert out.exit_code == 0, out.output
    secret = out.output.strip()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.get_json()["token"] == {
        "id": me.get_json()["token"]["id"], "name": "DMS", "read_only": True,
        "expires_on": "2026-12-31"}
    listing = runner.invoke(args=["tokens", "list"])
    assert "staff_a\tDMS" in listing.output and secret not in listing.output
    token_id = listing.output.split("\t")[0]
    assert runner.invoke(args=["tokens", "revoke", token_id]).exit_code == 0
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert runner.invoke(args=["tokens", "create", "nobody", "--name", "x"]).exit_code == 2
    assert runner.invoke(args=["tokens", "create", "staff_a", "--name", "x",
                               "--expires", "30/02/2026"]).exit_code == 2
    assert runner.invoke(args=["tokens", "revoke", "9999"]).exit_code == 2


def test_a_token_stops_working_when_expired_or_its_user_is_disabled(world, client):
    expiring = make_token(world.staff, "Hết hạn hôm nay", expires_on=TODAY)
    h = {"Authorization": f"Bearer {expiring}"}
    assert client.get("/api/v1/me", headers=h).status_code == 200  # the last day still works
    db.session.get(ApiToken, tokens.authenticate(expiring, TODAY).id).expires_on = date(2026, 6, 14)
    db.session.commit()
    resp = client.get("/api/v1/me", headers=h)
    assert resp.status_code == 401 and resp.get_json()["detail"] == "Token này đã hết hạn."
    live = make_token(world.staff2, "Tài khoản bị khóa")
    db.session.get(User, world.staff2.id).is_active = False
    db.session.commit()
    resp = client.get("/api/v1/me", headers={"Authorization": f"Bearer {live}"})
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
