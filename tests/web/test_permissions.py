"""The authorization matrix: every URL rule x role x relation x method -> expected status.

Roles are played by the users of the `world` fixture: admin, assessor, head_a, deputy_a and
staff_a (unit A, Sở Nội vụ), and an anonymous visitor. The relation says which object the URL
names, seen from the actor:

- own:     a task assigned to me or that I am accountable for (staff_a and deputy_a: world.task;
           head_a: world.task2), my unit's plan (A), my own unit or account;
- unit:    a task of my unit that is not mine (staff_a, deputy_a: task2; head_a: task), the plan
           of sub-unit A1 of my unit, a colleague's account;
- other:   the same in unit B (task_b, plan_b, unit B, staff_b);
- missing: an id that exists nowhere.

Expected statuses: 200; L = 302 to the login page (anonymous); 302 = the redirect after a
successful request; 403; 404 (outside the actor's scope, or no such object); 422.
Requests that succeed by changing data run on a fresh world each; all others share one
world, and must leave every table exactly as it was.
"""

import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, select, text

from app import create_app
from app.extensions import db
from app.models import ProcessStep, Task
from config import TestConfig
from web_support import (PASSWORD_NEW, build_world, diff_snapshots, new_task_data, root, snapshot,
                         task_form_data)

ROLES = ("anonymous", "admin", "assessor", "head", "deputy", "staff")
USERNAMES = {"admin": "admin", "assessor": "assessor", "head": "head_a", "deputy": "deputy_a",
             "staff": "staff_a"}
R4 = ("own", "unit", "other", "missing")
R3 = ("own", "other", "missing")
NONE = ("-",)
MISSING = 999_999


@dataclass
class Rule:
    """One (endpoint, method): the relations it is checked with and, per role, the expected
    statuses in the order of those relations ("L" = to the login page, "302*" = a successful
    change, run on a fresh world)."""

    endpoint: str
    method: str
    relations: tuple
    expect: dict
    url: Callable
    data: Callable | None = None
    prepare: Callable | None = None
    files: bool = False
    extra: dict = field(default_factory=dict)


def _exp(spec: str, n: int) -> tuple:
    parts = spec.split()
    if len(parts) == 1:
        parts = parts * n
    assert len(parts) == n, spec
    return tuple(parts)


def expect(relations, anonymous="L", **roles) -> dict:
    n = len(relations)
    out = {"anonymous": _exp(anonymous, n)}
    for role in ROLES[1:]:
        out[role] = _exp(roles.get(role, roles.get("others", "403")), n)
    return out


# ---- what a relation names, seen from the actor ------------------------------------

def target_task(w, role, rel):
    if rel == "missing":
        return SimpleNamespace(id=MISSING)
    if rel == "other":
        return w.task_b
    mine, colleague = (w.task2, w.task) if role == "head" else (w.task, w.task2)
    return mine if rel == "own" else colleague


def target_plan(w, role, rel):
    return {"own": w.plan, "unit": w.plan_a1, "other": w.plan_b,
            "missing": SimpleNamespace(id=MISSING)}[rel]


def actor(w, role):
    return {"admin": w.admin, "assessor": w.assessor, "head": w.head, "deputy": w.deputy,
            "staff": w.staff, "anonymous": w.staff}[role]


def target_unit(w, role, rel):
    return {"own": actor(w, role).unit, "other": w.b, "missing": SimpleNamespace(id=MISSING)}[rel]


def target_user(w, role, rel):
    return {"own": actor(w, role), "other": w.staff_b, "missing": SimpleNamespace(id=MISSING)}[rel]


def target_unit_for_plan(w, rel):
    return {"own": w.a.id, "unit": w.a1.id, "other": w.b.id}.get(rel, MISSING)


def first_step(task_id):
    if task_id == MISSING:
        return 1
    return db.session.scalar(select(ProcessStep.id).where(ProcessStep.task_id == task_id)
                             .order_by(ProcessStep.position)) or 1


def leader_for(w, role):
    return actor(w, role).id if role in ("head", "deputy") else w.deputy.id


def submit_target(w, role, rel):
    """Put the task named by the relation into 'awaiting confirmation'."""
    from app import local_today
    from app.models import User
    from app.services import tasks

    task = target_task(w, role, rel)
    if rel == "missing":
        return
    t = db.session.get(Task, task.id)
    assignee = db.session.get(User, t.assignee_id)
    tasks.submit_task(assignee, t.id, "Đã hoàn thành", local_today())
    db.session.commit()


def user_form(u, **kw):
    data = {"full_name": u.full_name + " (sửa)", "email": u.email or "", "title": u.title or "",
            "unit_id": str(u.unit_id), "role": str(u.role), "is_active": "y"}
    data.update(kw)
    return data


def unit_form(u):
    return {"name": u.name + " (sửa)", "parent_id": str(u.parent_id or ""), "is_active": "y"}


RULES = [
    # ---- auth ---------------------------------------------------------------
    Rule("auth.login", "GET", NONE, expect(NONE, anonymous="200", others="302"),
         lambda w, r, x: "/login"),
    Rule("auth.login", "POST", NONE, expect(NONE, anonymous="302*", others="302"),
         lambda w, r, x: "/login",
         data=lambda w, r, x: {"username": "staff_a", "password": root().PASSWORD}),
    Rule("auth.logout", "POST", NONE, expect(NONE, others="302*"), lambda w, r, x: "/logout",
         data=lambda w, r, x: {}),
    Rule("auth.password", "GET", NONE, expect(NONE, others="200"), lambda w, r, x: "/password"),
    Rule("auth.password", "POST", NONE, expect(NONE, others="302*"), lambda w, r, x: "/password",
         data=lambda w, r, x: {"current_password": root().PASSWORD, "new_password": PASSWORD_NEW,
                               "confirm": PASSWORD_NEW}),
    Rule("auth.language", "POST", NONE, expect(NONE, anonymous="302", others="302*"),
         lambda w, r, x: "/language/en", data=lambda w, r, x: {"next": "/plans"}),
    Rule("dashboard.index", "GET", NONE, expect(NONE, others="200"), lambda w, r, x: "/"),
    Rule("healthz", "GET", NONE, expect(NONE, anonymous="200", others="200"),
         lambda w, r, x: "/healthz"),
    Rule("bootstrap.static", "GET", NONE, expect(NONE, anonymous="200", others="200"),
         lambda w, r, x: "/bootstrap/static/css/bootstrap.min.css"),
    # ---- plans ----------------------------------------------------------------
    Rule("plans.index", "GET", NONE, expect(NONE, others="200"), lambda w, r, x: "/plans"),
    Rule("plans.create", "GET", NONE, expect(NONE, head="200"), lambda w, r, x: "/plans/new"),
    Rule("plans.create", "POST", ("own", "unit", "other", "missing"),
         expect(R4, head="302* 302* 403 422"), lambda w, r, x: "/plans/new",
         data=lambda w, r, x: {"unit_id": str(target_unit_for_plan(w, x)), "year": "2026",
                               "kind": "digital", "title": "Kế hoạch chuyển đổi số năm 2026"}),
    Rule("plans.edit", "GET", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="200 200 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/edit"),
    Rule("plans.edit", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/edit",
         data=lambda w, r, x: {"title": "Kế hoạch CCHC năm 2026 (sửa đổi)",
                               "doc_number": "01/KH-SNV", "doc_date": "18/01/2026"}),
    Rule("plans.view", "GET", R4,
         expect(R4, admin="200 200 200 404", assessor="200 200 200 404",
                head="200 200 404 404", deputy="200 200 404 404", staff="200 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}"),
    Rule("plans.issue", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="403 403 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/issue", data=lambda w, r, x: {}),
    # ---- tasks ----------------------------------------------------------------
    Rule("tasks.index", "GET", NONE, expect(NONE, others="200"), lambda w, r, x: "/tasks"),
    Rule("tasks.mine", "GET", NONE, expect(NONE, others="200"), lambda w, r, x: "/tasks/mine"),
    Rule("tasks.create", "GET", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="200 200 404 404", deputy="200 200 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/tasks/new"),
    Rule("tasks.create", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="302* 302* 404 404", staff="403 404 404 404"),
         lambda w, r, x: f"/plans/{target_plan(w, r, x).id}/tasks/new",
         data=lambda w, r, x: new_task_data(w.a.id, w.staff.id, leader_for(w, r))),
    Rule("tasks.edit", "GET", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="200 200 404 404", deputy="200 403 404 404", staff="403 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/edit"),
    Rule("tasks.edit", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="302* 403 404 404", staff="403 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/edit",
         data=lambda w, r, x: (task_form_data(target_task(w, r, x).id) | {
             "title": "Xây dựng bộ chỉ số đánh giá (đã sửa)"}) if x != "missing"
         else {"title": "x", "version": "1"}),
    Rule("tasks.view", "GET", R4,
         expect(R4, admin="200 200 200 404", assessor="200 200 200 404",
                head="200 200 404 404", deputy="200 200 404 404", staff="200 200 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}"),
    Rule("tasks.progress", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="403 403 404 404", deputy="403 403 404 404", staff="302* 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/progress",
         data=lambda w, r, x: {"percent": "40", "note": "Đã dự thảo xong."}),
    Rule("tasks.step", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="302* 403 404 404", staff="302* 403 404 404"),
         lambda w, r, x: (f"/tasks/{target_task(w, r, x).id}/steps/"
                          f"{first_step(target_task(w, r, x).id)}"),
         data=lambda w, r, x: {"done": "1"}),
    Rule("tasks.submit", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="403 403 404 404", deputy="403 403 404 404", staff="302* 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/submit",
         data=lambda w, r, x: {"note": "Đã hoàn thành, kèm báo cáo."}),
    Rule("tasks.review", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="302* 403 404 404", staff="403 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/review",
         data=lambda w, r, x: {"decision": "confirm", "comment": "Đạt yêu cầu."},
         prepare=submit_target),
    Rule("tasks.cancel", "POST", R4,
         expect(R4, admin="403 403 403 404", assessor="403 403 403 404",
                head="302* 302* 404 404", deputy="302* 403 404 404", staff="403 403 404 404"),
         lambda w, r, x: f"/tasks/{target_task(w, r, x).id}/cancel",
         data=lambda w, r, x: {"reason": "Nhiệm vụ được gộp vào nhiệm vụ khác."}),
    Rule("tasks.download", "GET", R4,
         expect(R4, admin="200 200 200 404", assessor="200 200 200 404",
                head="200 200 404 404", deputy="200 200 404 404", staff="200 200 404 404"),
         lambda w, r, x: (f"/tasks/{target_task(w, r, x).id}/evidence/"
                          f"{w.evidence.get(target_task(w, r, x).id, 1)}")),
    # ---- admin ----------------------------------------------------------------
    Rule("admin.units", "GET", NONE, expect(NONE, admin="200"), lambda w, r, x: "/admin/units"),
    Rule("admin.units", "POST", NONE, expect(NONE, admin="302*"), lambda w, r, x: "/admin/units",
         data=lambda w, r, x: {"code": "SNV-VP", "name": "Văn phòng Sở", "kind": "office",
                               "parent_id": str(w.a.id)}),
    Rule("admin.unit", "GET", R3, expect(R3, admin="200 200 404"),
         lambda w, r, x: f"/admin/units/{target_unit(w, r, x).id}"),
    Rule("admin.unit", "POST", R3, expect(R3, admin="302* 302* 404"),
         lambda w, r, x: f"/admin/units/{target_unit(w, r, x).id}",
         data=lambda w, r, x: unit_form(target_unit(w, r, x)) if x != "missing"
         else {"name": "x", "is_active": "y"}),
    Rule("admin.users", "GET", NONE, expect(NONE, admin="200"), lambda w, r, x: "/admin/users"),
    Rule("admin.user_new", "GET", NONE, expect(NONE, admin="200"),
         lambda w, r, x: "/admin/users/new"),
    Rule("admin.user_new", "POST", NONE, expect(NONE, admin="302*"),
         lambda w, r, x: "/admin/users/new",
         data=lambda w, r, x: {"username": "cv.moi", "full_name": "Nguyễn Văn Mới",
                               "unit_id": str(w.a.id), "role": "staff", "is_active": "y",
                               "new_password": PASSWORD_NEW}),
    Rule("admin.user_edit", "GET", R3, expect(R3, admin="200 200 404"),
         lambda w, r, x: f"/admin/users/{target_user(w, r, x).id}"),
    Rule("admin.user_edit", "POST", R3, expect(R3, admin="302* 302* 404"),
         lambda w, r, x: f"/admin/users/{target_user(w, r, x).id}",
         data=lambda w, r, x: user_form(target_user(w, r, x)) if x != "missing"
         else {"full_name": "x", "role": "staff"}),
]

TABLE = {(r.endpoint, r.method): r for r in RULES}
CASES = [(rule, role, rel, rule.expect[role][i])
         for rule in RULES for role in ROLES for i, rel in enumerate(rule.relations)]


def _case_id(case) -> str:
    rule, role, rel, exp = case
    return f"{rule.endpoint}-{rule.method}-{role}-{rel}-{exp}"


# ---- the shared world --------------------------------------------------------------

@pytest.fixture(scope="module")
def shared(database, tmp_path_factory):
    """One world for every case that changes nothing (on PostgreSQL in its own schema, since
    the per-test fixtures truncate theirs)."""
    rc = root()
    tmp = tmp_path_factory.mktemp("matrix")
    schema, admin = None, None
    if database["kind"] == "sqlite":
        url = rc.database_url(database, tmp)
    else:
        schema = f"sauro_matrix_{uuid.uuid4().hex[:8]}"
        admin = create_engine(rc.PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in rc.PG_URL else "?"
        url = f"{rc.PG_URL}{sep}options=-csearch_path%3D{schema}"
        rc._migrate(url)
    application = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url,
                             UPLOAD_FOLDER=str(tmp / "uploads"), TODAY=rc.TODAY)
    application.test_client_class = rc.IsolatedClient
    try:
        with application.app_context():
            w = build_world(rc.Factory())
            yield SimpleNamespace(app=application, w=w, clients={})
            db.session.remove()
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def _login(client, username):
    resp = client.post("/login", data={"username": username, "password": root().PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return client


def _client_for(ctx, role, app):
    if role == "anonymous":
        return app.test_client()
    if role not in ctx.clients:
        ctx.clients[role] = _login(app.test_client(), USERNAMES[role])
    return ctx.clients[role]


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_matrix(case, request):
    rule, role, rel, exp = case
    fresh = exp.endswith("*")
    if fresh:
        request.getfixturevalue("client")
        app = request.getfixturevalue("app")
        w = request.getfixturevalue("xworld")
        app.test_client_class = root().IsolatedClient
        client = app.test_client() if role == "anonymous" else _login(app.test_client(),
                                                                        USERNAMES[role])
    else:
        ctx = request.getfixturevalue("shared")
        w = ctx.w
        client = _client_for(ctx, role, ctx.app)
    if rule.prepare and fresh:
        rule.prepare(w, role, rel)
    url = rule.url(w, role, rel)
    before = None if fresh else snapshot()
    if rule.method == "GET":
        resp = client.get(url)
    else:
        resp = client.post(url, data=rule.data(w, role, rel) if rule.data else {})
    status = exp.rstrip("*")
    body = resp.get_data(as_text=True)[:1500] if resp.mimetype == "text/html" else ""
    where = f"{rule.method} {url} as {role} ({rel})"
    if status == "L":
        assert resp.status_code == 302, (where, resp.status_code, body)
        assert urlsplit(resp.headers["Location"]).path == "/login", (where, resp.headers["Location"])
    else:
        assert resp.status_code == int(status), (where, resp.status_code, body)
        if status == "302" and role != "anonymous":
            # a success is not a bounce to the login page
            assert urlsplit(resp.headers["Location"]).path != "/login", where
    assert resp.status_code < 500
    if before is not None:
        changed = diff_snapshots(before, snapshot())
        assert not changed, (where, "changed data although it should not", changed)


def test_every_url_rule_is_in_the_matrix(app):
    """A new route fails here until the matrix says who may use it."""
    seen = set()
    for r in app.url_map.iter_rules():
        if r.endpoint == "static":
            continue
        for method in sorted(r.methods - {"HEAD", "OPTIONS"}):
            seen.add((r.endpoint, method))
    missing = sorted(seen - set(TABLE))
    assert not missing, f"url_map rules missing from the permission matrix: {missing}"
    stale = sorted(set(TABLE) - seen)
    assert not stale, f"matrix rows for rules that no longer exist: {stale}"
    for key, rule in TABLE.items():
        assert set(rule.expect) == set(ROLES), key
    assert len(CASES) == sum(len(r.relations) * len(ROLES) for r in RULES)
    print(f"\nauthorization matrix: {len(CASES)} cases over {len(TABLE)} (endpoint, method) "
          f"pairs and {len(ROLES)} roles")
