"""Audit trail (ASVS V16.2.1, V16.3.1, V16.3.2): every state-changing route of the url_map,
posted once by each role allowed to use it, writes exactly the audit rows of its change (one
per changed object), each with actor, action, object and before/after values; failed logins
and refused accesses (403, and 404 on objects outside one's scope) are recorded.

The audit table refuses UPDATE and DELETE: asserted by
tests/test_migrations.py::test_audit_log_is_append_only (database triggers), not repeated.

Routes that change only the actor's own display or delivery preferences, or the read mark of
their own notifications, write no audit row on purpose (rel_forms.NOT_AUDITED says why).

Figure: N successful changes over M (route, role) pairs: N with exactly their audit rows."""

import json

import pytest
from rel_forms import FORMS, NOT_AUDITED, audit_actions, payload, url_for_form
from rel_support import Diff, actor, figure, rules, snapshot
from sqlalchemy import select

from app.extensions import db
from app.models import User
from tests.settings_support import override_settings

# Roles allowed to use each route, beyond the one in rel_forms (who posts it normally).
ALSO = {"tasks.edit": ("deputy",), "tasks.step": ("head", "deputy"),
        "tasks.review": ("head",), "tasks.cancel": ("deputy",),
        "tasks.decide_extension": ("head",), "notifications.read_all": ("head", "admin"),
        "notifications.settings": ("head",), "auth.password": ("head", "admin"),
        "auth.logout": ("admin", "assessor")}
STATS = {"pairs": 0, "exact": 0}


@pytest.fixture(scope="module")
def post_rules(shared):
    return {r.endpoint: r for r in rules(shared.app, "POST")}


def _audit_rows(diff: Diff) -> list[dict]:
    return [r for r in diff.added.get("audit_log", []) if r["action"] != "access.denied"]


def _cases():
    out = []
    for endpoint, form in sorted(FORMS.items()):
        for role in (form.actor, *ALSO.get(endpoint, ())):
            out.append((endpoint, role))
    return out


@pytest.mark.parametrize("endpoint, role", _cases(), ids=[f"{e}-{r}" for e, r in _cases()])
def test_each_change_writes_its_audit_rows(sw, post_rules, endpoint, role):
    if endpoint not in post_rules:
        pytest.skip("not a route (any more)")
    w, form = sw.w, FORMS[endpoint]
    if form.prepare:
        form.prepare(w)
    client = sw.app.test_client() if role is None else sw.client(role)
    url = url_for_form(post_rules[endpoint], w, form)
    before = snapshot()
    resp = client.post(url, data=payload(form, w))
    diff = Diff(before, snapshot())
    assert resp.status_code in (200, 201, 302, 303), (endpoint, role, resp.status_code)
    rows = _audit_rows(diff)
    who = db.session.scalar(select(User.id).where(User.username == "staff_a")) if role is None \
        else actor(w, role).id
    STATS["pairs"] += 1
    if endpoint in NOT_AUDITED:
        assert not diff.empty, f"{endpoint} changed nothing"
        assert rows == [], rows
        STATS["exact"] += 1
        return
    expected = sorted(audit_actions(form, w))
    if endpoint == "tasks.review" and role == "head":
        expected = ["task.confirm"]
    if endpoint in ("plans.import_file", "plans.import_columns"):
        assert diff.empty and rows == []  # a preview: nothing is written
        STATS["exact"] += 1
        return
    assert sorted(r["action"] for r in rows) == expected, (endpoint, role, rows)
    for r in rows:
        assert r["actor_id"] == who, (endpoint, r)
        assert r["object_type"] and (r["object_id"] is not None or r["action"] == "plan.import"), r
        assert r["at"] is not None
        changes = json.loads(r["changes"])
        if r["action"] not in ("login", "logout", "user.password", "plan.issue"):
            assert changes, r
        if r["action"] == "plan.import":
            continue  # one row for the import itself: counts and the file name, not pairs
        for key, pair in changes.items():
            assert isinstance(pair, list) and len(pair) == 2, (r["action"], key, pair)
    # every changed or added row of an audited object has its audit row
    audited = {(r["object_type"], r["object_id"]) for r in rows}
    for table, kind in (("tasks", "task"), ("plans", "plan"), ("units", "unit"),
                        ("extensions", "extension")):
        for pk in list(diff.updated.get(table, {})) + [(r["id"],) for r in diff.added.get(table, [])]:
            cells = diff.updated.get(table, {}).get(pk, {})
            if set(cells) <= {"is_clear", "updated_at", "version"} and cells:
                continue  # derived flags of a task whose change is recorded on another row
            if endpoint == "tasks.decide_extension" and table == "tasks":
                continue  # recorded on the extension row, with the due date moved
            if endpoint == "plans.issue" and table == "tasks":
                continue
            assert (kind, pk[0]) in audited or endpoint == "assessment.freeze", \
                (endpoint, table, pk, cells)
    STATS["exact"] += 1


def test_every_post_route_is_exercised(post_rules):
    missing = sorted(set(post_rules) - set(FORMS))
    assert not missing, f"POST routes with no audit case in rel_forms.FORMS: {missing}"


def test_failed_logins_are_recorded(sw, monkeypatch):
    c = sw.app.test_client()
    for username in ("staff_a", "khong.ton.tai"):
        before = snapshot()
        resp = c.post("/login", data={"username": username, "password": "Sai-mat-khau-2026"})
        assert resp.status_code == 200
        rows = _audit_rows(Diff(before, snapshot()))
        assert [r["action"] for r in rows] == ["login.failed"], rows
        assert json.loads(rows[0]["changes"])["username"][1] == username
    override_settings(monkeypatch, sw.app, LOGIN_MAX_FAILURES_PER_ACCOUNT=1)
    before = snapshot()
    assert c.post("/login", data={"username": "staff_a",
                                  "password": "Sai-mat-khau-2026"}).status_code == 429
    assert [r["action"] for r in _audit_rows(Diff(before, snapshot()))] == ["login.throttled"]
    figure("audit", "failed logins recorded: wrong password, unknown user, throttled")


def test_refused_accesses_are_recorded(sw):
    w = sw.w
    cases = [("staff", "GET", f"/tasks/{w.task_b.id}", 404),
             ("staff", "POST", f"/tasks/{w.task_b.id}/progress", 404),
             ("staff", "POST", f"/tasks/{w.task2.id}/progress", 403),
             ("deputy", "GET", "/admin/users", 403),
             ("head", "GET", f"/plans/{w.plan_b.id}", 404),
             ("head_b", "GET", f"/tasks/{w.task.id}/evidence/{w.evidence[w.task.id]}", 404)]
    for role, method, url, status in cases:
        c = sw.client(role)
        before = snapshot()
        resp = c.get(url) if method == "GET" else c.post(url, data={"percent": "50"})
        assert resp.status_code == status, (url, resp.status_code)
        diff = Diff(before, snapshot())
        rows = diff.added.get("audit_log", [])
        assert len(rows) == 1 and rows[0]["action"] == "access.denied", rows
        changes = json.loads(rows[0]["changes"])
        assert changes["path"][1] == url and changes["method"][1] == method
        assert changes["status"][1] == status
        assert rows[0]["actor_id"] == actor(w, role).id
        assert set(diff.added) == {"audit_log"} and not diff.updated and not diff.deleted
    # an address that does not exist, and an anonymous visitor, are not refusals
    staff, anonymous = sw.client("staff"), sw.app.test_client()
    before = snapshot()
    staff.get("/khong-co-trang-nay")
    anonymous.get(f"/tasks/{w.task.id}")
    assert Diff(before, snapshot()).empty
    figure("audit", f"refused accesses recorded: {len(cases)} of {len(cases)} "
                    f"(403 and out-of-scope 404, GET and POST), each with actor, method, path")


def test_summary():
    figure("audit", f"{STATS['exact']} of {STATS['pairs']} (route, role) changes wrote exactly "
                    f"their audit rows (actor, action, object, before/after); "
                    f"{len(NOT_AUDITED)} preference routes unaudited on purpose; append-only: "
                    f"tests/test_migrations.py::test_audit_log_is_append_only")
    assert STATS["exact"] == STATS["pairs"]

