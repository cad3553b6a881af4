"""Failed-login limits behind a reverse proxy, and what unauthenticated requests may write
(issue 18.1-2, an outside probe).

(a) The probe, as deployed: nginx (Debian's, started here on a free 127.0.0.1 port with
    docs/deploy.md's proxy headers) in front of gunicorn. 50 failed POST /login carrying
    forged X-Forwarded-For 10.0.0.1-10.0.0.5, then the right passwords of two other users
    from other addresses (other loopback source addresses: 127.0.0.2, 127.0.0.3). Before
    the fix both got 429: every failure was counted under nginx's address. With
    TRUSTED_PROXIES=1 (ProxyFix), failures are counted under the address nginx saw (the
    forged values ignored), the two users get in, and even a colleague at the attacker's
    own address gets in with the right password (an address over its limit is slowed, never
    locked); a wrong password there answers 429. With TRUSTED_PROXIES=0 (the default,
    headers ignored) everyone is nginx's address, and the right passwords still get in.
(b) The audit log is append-only, so throttled attempts must not each write a row: N bad
    logins on one account from one address write at most LOGIN_MAX_FAILURES_PER_ACCOUNT
    `login.failed` rows and one `login.throttled` row per window; the window's count is
    kept in one `login_failures` row and written as one `login.throttled.summary` row when
    the prune removes it.
(c) `login_failures` stays bounded: rows for an address stop at its limit, expired rows are
    deleted at the next failure of their key and by the scheduler's prune.

Figures: the probe's requests and answers through nginx; audit and ledger rows per N bad
logins."""

import json

from rel_http import Browser, Nginx, Server
from rel_support import figure, root
from sqlalchemy import delete, func, select, update

from app.directory import users
from app.extensions import db
from app.models import AuditLog, LoginFailure
from app.models.base import utcnow

ATTACKS = 50


def _failures() -> dict[str, int]:
    db.session.rollback()
    rows = dict(db.session.execute(select(LoginFailure.key, func.count(LoginFailure.id))
                                   .group_by(LoginFailure.key)).all())
    db.session.rollback()
    return rows


def _clear_failures() -> None:
    db.session.execute(delete(LoginFailure))
    db.session.commit()


def _probe(port: int, password: str) -> dict:
    """The probe's requests through nginx: 50 failures with forged X-Forwarded-For from
    127.0.0.1, then the right passwords of staff_a (from 127.0.0.2) and head_a (127.0.0.3),
    then at the attacker's own address a colleague's right password and one more wrong one."""
    attacker = Browser(port, source="127.0.0.1")
    attacker.read_token("/login")
    answers = {}
    for i in range(ATTACKS):
        attacker.headers["X-Forwarded-For"] = f"10.0.0.{i % 5 + 1}"
        status, _ = attacker.post("/login", {"username": f"tham.do{i}", "password": "Sai-mat-khau-2026"})
        answers[status] = answers.get(status, 0) + 1
    out = {"attacks": answers}
    for username, source in (("staff_a", "127.0.0.2"), ("head_a", "127.0.0.3"),
                             ("staff_a2", "127.0.0.1")):
        b = Browser(port, source=source, headers={"X-Forwarded-For": "10.0.0.1"})
        b.read_token("/login")
        status, _ = b.post("/login", {"username": username, "password": password})
        out[username] = status
    attacker.headers["X-Forwarded-For"] = "10.0.0.9"
    out["one_more_wrong"], page = attacker.post("/login", {"username": "tham.do99",
                                                           "password": "Sai-mat-khau-2026"})
    out["slowed_message"] = "mỗi lần thử sẽ chậm hơn" in page
    return out


def _serve(shared, trusted: int, name: str):
    url = shared.app.config["SQLALCHEMY_DATABASE_URI"]
    tmp = shared.tmp / name
    tmp.mkdir(parents=True, exist_ok=True)
    server = Server(url, str(tmp / "up"), tmp / "gunicorn.log", workers=2,
                    env={"TRUSTED_PROXIES": str(trusted), "LOGIN_ADDRESS_DELAY_SECONDS": "0.2"})
    nginx = None
    try:
        server.wait_ready()
        nginx = Nginx(tmp / "nginx", server.port)
        nginx.wait_ready()
    except Exception:
        if nginx is not None:
            nginx.stop()
        server.stop()
        raise
    return server, nginx


def test_the_probe_through_nginx(sw):
    password = root().PASSWORD
    _clear_failures()
    results = {}
    for trusted in (1, 0):
        _clear_failures()
        server, nginx = _serve(sw, trusted, f"proxies-{trusted}")
        try:
            out = _probe(nginx.port, password)
        finally:
            nginx.stop()
            server.stop()
        log = server.log_text()
        assert "Traceback" not in log, log[-3000:]
        rows = _failures()
        results[trusted] = (out, rows)
        assert out["attacks"] == {200: ATTACKS}, out
        # the right passwords get in: other addresses, and the attacker's own
        assert (out["staff_a"], out["head_a"], out["staff_a2"]) == (302, 302, 302), out
        # a wrong password from the address over its limit: 429, slowed, said so
        assert out["one_more_wrong"] == 429 and out["slowed_message"], out
        # every failure under the address nginx saw: the forged X-Forwarded-For is ignored
        assert rows.get("addr:127.0.0.1") == ATTACKS, rows
        assert not [k for k in rows if k.startswith("addr:") and k != "addr:127.0.0.1"], rows
    figure("logins", f"{db.engine.dialect.name}, nginx -> gunicorn, TRUSTED_PROXIES=1: "
                     f"{ATTACKS} failed logins with X-Forwarded-For 10.0.0.1-5 counted under the "
                     f"client's own 127.0.0.1 (0 under the forged addresses); right passwords "
                     f"of 2 other users from 127.0.0.2/.3: 302, 302 (were 429, 429); a "
                     f"colleague's at the attacker's address: 302; a wrong one there: 429")
    figure("logins", f"{db.engine.dialect.name}, TRUSTED_PROXIES=0 (headers ignored, everyone "
                     f"is nginx's 127.0.0.1, over its limit): the right passwords still 302, "
                     f"slowed by LOGIN_ADDRESS_DELAY_SECONDS, never locked")
    _clear_failures()


def _bad_logins(client, n: int, username: str = "staff_a") -> dict:
    answers = {}
    for _ in range(n):
        status = client.post("/login", data={"username": username,
                                             "password": "Sai-mat-khau-2026"}).status_code
        answers[status] = answers.get(status, 0) + 1
    return answers


def _audit(actions=("login.failed", "login.throttled", "login.throttled.summary")) -> dict:
    db.session.rollback()
    rows = dict(db.session.execute(select(AuditLog.action, func.count(AuditLog.id))
                                   .where(AuditLog.action.in_(actions))
                                   .group_by(AuditLog.action)).all())
    db.session.rollback()
    return rows


def test_throttled_logins_write_one_row_per_window(sw):
    _clear_failures()
    cfg = sw.app.config
    limit = cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    c = sw.app.test_client()
    before = _audit()
    figures = []
    for n in (16, 200):
        answers = _bad_logins(c, n - sum(figures))
        figures.append(n - sum(figures))
        after = _audit()
        grown = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        assert grown == {"login.failed": limit, "login.throttled": 1}, (n, grown)
    assert answers == {429: figures[-1]}
    thr = [r for r in db.session.execute(select(LoginFailure.key, LoginFailure.attempts)
                                         .where(LoginFailure.key.startswith("thr:"))).all()]
    assert thr == [("thr:staff_a|127.0.0.1", 200 - limit)], thr
    rows = sum(_failures().values())
    assert rows == 2 * limit + 1  # account and address rows up to the limit, one window row
    # the window passes: the prune leaves one summary with the count, and no row behind
    window = cfg["LOGIN_FAILURE_WINDOW_SECONDS"]
    from datetime import timedelta

    db.session.execute(update(LoginFailure).values(at=utcnow() - timedelta(seconds=2 * window)))
    db.session.commit()
    deleted, summaries = users.prune_login_failures(window)
    db.session.commit()
    assert (deleted, summaries) == (rows, 1) and _failures() == {}
    summary = db.session.scalar(select(AuditLog.changes).where(
        AuditLog.action == "login.throttled.summary").order_by(AuditLog.id.desc()).limit(1))
    assert json.loads(summary)["attempts"][1] == 200 - limit
    after = _audit()
    grown = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    figure("logins", f"16 bad logins on one account: {limit + 1} audit rows (were 16); 200: "
                     f"still {limit + 1} ({limit} login.failed, 1 login.throttled), "
                     f"{rows} login_failures rows; after the window the prune leaves 0 rows and "
                     f"{grown.get('login.throttled.summary', 0)} summary row "
                     f"(attempts={200 - limit})")
    db.session.rollback()


def test_address_rows_are_bounded_and_pruned(sw):
    """Unknown usernames from one address (a spray): the address's rows stop at its limit,
    each throttled attempt past it is folded into one row; expired rows of a key go at its
    next failure."""
    _clear_failures()
    cfg = sw.app.config
    limit = cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    c = sw.app.test_client()
    at = {"environ_base": {"REMOTE_ADDR": "192.0.2.7"}}
    before = _audit()
    for i in range(limit + 40):
        c.post("/login", data={"username": f"phun{i}", "password": "Sai-mat-khau-2026"}, **at)
    rows = _failures()
    assert rows["addr:192.0.2.7"] == limit
    assert rows["thr:*|192.0.2.7"] == 1
    attempts = db.session.scalar(select(LoginFailure.attempts).where(LoginFailure.key == "thr:*|192.0.2.7"))
    db.session.rollback()
    assert attempts == 40
    after = _audit()
    grown = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    assert grown == {"login.failed": limit, "login.throttled": 1}, grown
    # the rows age past the window; the address's next failure deletes its expired rows
    from datetime import timedelta

    window = cfg["LOGIN_FAILURE_WINDOW_SECONDS"]
    db.session.execute(update(LoginFailure).values(at=utcnow() - timedelta(seconds=2 * window)))
    db.session.commit()
    c.post("/login", data={"username": "phun0", "password": "Sai-mat-khau-2026"}, **at)
    rows = _failures()
    assert rows["addr:192.0.2.7"] == 1 and rows["acct:phun0"] == 1
    figure("logins", f"{limit + 40} failed logins with {limit + 40} usernames from one address: "
                     f"{limit} address rows, 1 window row (attempts=40), {limit + 1} audit rows; "
                     f"expired rows deleted at the key's next failure")
    _clear_failures()
