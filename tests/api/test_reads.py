"""Reading through the API: a token sees exactly what its user sees (the same queries as
the pages), lists page within bounds and count, errors are problem documents in the token
owner's language, and the session cookie is never a way in."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Task, User
from app.plans import recurring
from app.plans import service as plans
from app.plans.recurring import RuleInput
from app.settings import current_settings
from app.tasks import queries as task_queries
from app.tasks.queries import TaskFilter
from tests.api.conftest import TODAY, make_token
from tests.conftest import issue_world_plans


def test_without_a_token_every_address_answers_401_with_a_problem(world, client, as_user):
    for path in ("/me", "/tasks", "/tasks/1", "/units", "/overdue", "/nowhere"):
        resp = client.get("/api/v1" + path)
        assert resp.status_code == 401, path
        body = resp.get_json()
        assert resp.mimetype == "application/problem+json"
        assert body["status"] == 401 and body["type"] == "urn:sauro:problem:unauthorized"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    # A signed-in browser's session cookie is no way in either.
    as_user("admin")
    assert client.get("/api/v1/tasks").status_code == 401
    for bad in ("Bearer", "Bearer sr_nope", "Basic YWRtaW46eA==", "Bearer " + "sr_" + "x" * 500):
        assert client.get("/api/v1/me", headers={"Authorization": bad}).status_code == 401


def test_the_api_sets_no_cookie_and_is_not_cached(world, api):
    resp = api(world.staff).get("/me")
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers
    assert resp.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("who", ["admin", "assessor", "head", "deputy", "staff", "staff_b",
                                 "head_b"])
def test_a_token_lists_exactly_the_tasks_its_user_sees_on_the_page(world, api, who):
    user = db.session.get(User, getattr(world, who).id)
    page = task_queries.list_tasks(user, TaskFilter(), TODAY, current_settings().due_soon_days, 200)
    reader = api(user)
    resp = reader.get("/tasks?limit=200")
    assert resp.status_code == 200
    body = resp.get_json()
    assert [t["id"] for t in body["items"]] == [t.id for t in page.items]
    assert body["total"] == page.total
    for t in page.items:
        code = reader.get(f"/tasks/{t.id}").status_code
        assert code == 200
    hidden = {world.task.id, world.task2.id, world.task_b.id} - {t.id for t in page.items}
    for task_id in hidden:
        assert reader.get(f"/tasks/{task_id}").status_code == 404


def test_an_out_of_scope_read_is_a_404_and_audited(world, api):
    resp = api(world.staff_b, name="Thăm dò").get(f"/tasks/{world.task.id}")
    assert resp.status_code == 404 and resp.get_json()["type"] == "urn:sauro:problem:not-found"
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "access.denied")).one()
    assert row.actor_id == world.staff_b.id and f"/api/v1/tasks/{world.task.id}" in row.changes


def test_a_task_comes_with_its_six_clears_steps_and_timeliness(world, api):
    body = api(world.staff).get(f"/tasks/{world.task.id}").get_json()
    assert body["title"] == world.task.title and body["assignee"]["id"] == world.staff.id
    assert set(body["six_clears"]) == {"person", "task", "responsibility", "process",
                                       "deadline", "result"}
    assert body["six_clears"]["person"]["label"] == "Rõ người"
    assert [s["title"] for s in body["steps"]] == ["Dự thảo bộ chỉ số", "Lấy ý kiến các sở, ngành"]
    assert body["timeliness"] == "within" and body["due_on"] == "2026-06-30"
    assert body["permissions"] == {"report": True, "review": False, "manage": False,
                                   "decide_extension": False}


def test_the_token_owners_language(world, api):
    db.session.get(User, world.staff.id).locale = "en"
    db.session.commit()
    en = api(world.staff)
    assert en.get(f"/tasks/{world.task.id}").get_json()["six_clears"]["person"]["label"] == "Clear person"
    assert en.get("/tasks?limit=0").get_json()["errors"][0]["detail"] == "At least 1."
    vi = api(world.staff2)
    assert vi.get("/tasks?limit=0").get_json()["errors"][0]["detail"] == "Ít nhất 1."


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=201", "limit"), ("limit=-5", "limit"), ("limit=abc", "limit"),
    ("page=0", "page"), ("page=99999999999", "page"), ("timeliness=late", "timeliness"),
    ("due_from=31/12/2026", "due_from"), ("due_to=2026-02-30", "due_to"), ("unit=-1", "unit"),
    ("sort=random", "sort"), ("q=" + "a" * 201, "q"), ("mine=perhaps", "mine"),
])
def test_bad_list_arguments_are_422_beside_the_argument(world, api, query, field):
    resp = api(world.head).get("/tasks?" + query)
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == [field]


def test_lists_page_within_bounds_and_count(world, api, make):
    for i in range(5):
        make.task(world.plan, world.head, world.a, world.staff, world.deputy,
                  title=f"Rà soát thủ tục hành chính đợt {i + 1}")
    head = api(world.head)
    first = head.get("/tasks?limit=3&sort=title").get_json()
    second = head.get("/tasks?limit=3&page=2&sort=title").get_json()
    assert first["total"] == second["total"] == 7 and first["pages"] == 3
    assert len(first["items"]) == 3 and len(second["items"]) == 3
    assert not {t["id"] for t in first["items"]} & {t["id"] for t in second["items"]}
    beyond = head.get("/tasks?limit=3&page=50").get_json()
    assert beyond["items"] == [] and beyond["total"] == 7


def test_filters_are_the_pages(world, api):
    head = api(world.head)
    mine = api(world.staff).get("/tasks?mine=true").get_json()
    assert [t["id"] for t in mine["items"]] == [world.task.id]
    found = head.get("/tasks?q=so hoa").get_json()
    assert [t["id"] for t in found["items"]] == [world.task2.id]
    by_person = head.get(f"/tasks?person={world.staff2.id}").get_json()
    assert [t["id"] for t in by_person["items"]] == [world.task2.id]
    assert head.get("/tasks?due_from=2026-07-01").get_json()["total"] == 0
    assert head.get(f"/tasks?plan={world.plan.id}&status=unfinished").get_json()["total"] == 2


def test_units_users_and_plans_are_scoped(world, api):
    staff = api(world.staff)
    assert [u["id"] for u in staff.get("/units").get_json()] == [world.a.id]
    everything = [u["code"] for u in api(world.admin).get("/units").get_json()]
    assert everything == ["P66", "SKHCN", "SNV"]  # tree order: the province, its units by name
    people = staff.get("/users?limit=200").get_json()
    assert {p["username"] for p in people["items"]} == {"head_a", "deputy_a", "staff_a", "staff_a2"}
    assert all("email" not in p for p in people["items"])
    assert staff.get("/users?q=dang").get_json()["items"][0]["username"] == "staff_a"
    assert [p["id"] for p in staff.get("/plans").get_json()["items"]] == [world.plan.id]
    assert staff.get(f"/plans/{world.plan_b.id}").status_code == 404
    assert staff.get(f"/plans/{world.plan.id}").get_json()["status"] == "draft"


def test_the_overdue_list(world, api, app):
    issue_world_plans(world)
    app.config["TODAY"] = date(2026, 7, 3)
    body = api(world.head).get("/overdue").get_json()
    assert body["total"] == 2 and body["overdue"] == 2 and body["today"] == "2026-07-03"
    assert {r["task"]["id"] for r in body["items"]} == {world.task.id, world.task2.id}
    assert all(r["days_overdue"] == 3 for r in body["items"])
    assert api(world.staff_b).get("/overdue").get_json()["total"] == 1


def test_unknown_addresses_and_methods_are_problems(world, api):
    staff = api(world.staff)
    resp = staff.get("/nowhere")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    resp = staff.client.delete(f"/api/v1/tasks/{world.task.id}",
                               headers={"Authorization": f"Bearer {staff.secret}"})
    assert resp.status_code == 405 and "GET" in resp.headers["Allow"]
    assert resp.mimetype == "application/problem+json"


def test_the_rate_limit_is_per_token(world, client, app):
    app.config["API_RATE_LIMIT"] = 3
    one, two = make_token(world.staff, "Một"), make_token(world.staff, "Hai")
    codes = [client.get("/api/v1/me", headers={"Authorization": f"Bearer {one}"}).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    resp = client.get("/api/v1/me", headers={"Authorization": f"Bearer {one}"})
    assert resp.get_json()["type"] == "urn:sauro:problem:rate-limited"
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {two}"}).status_code == 200


def test_a_use_is_recorded(world, api):
    from app.models import ApiToken

    staff = api(world.staff)
    assert db.session.scalars(select(ApiToken)).one().last_used_at is None
    staff.get("/me")
    db.session.expire_all()
    assert db.session.scalars(select(ApiToken)).one().last_used_at is not None


def test_notifications_are_the_bells(world, api):
    from app.deadlines import sweep as overdue

    overdue.notify([world.staff.id], "due_soon", world.task.id, "api:1", about_on=date(2026, 6, 18),
                   days=3)
    overdue.notify([world.staff2.id], "due_soon", world.task2.id, "api:2", days=3)
    db.session.commit()
    staff = api(world.staff)
    body = staff.get("/notifications").get_json()
    assert body["total"] == 1 and body["unread"] == 1
    item = body["items"][0]
    assert item["task_id"] == world.task.id and item["text"].startswith("Đến hạn trong 3 ngày tới (18/06/2026)")
    from app.models import Notification

    other = db.session.scalar(select(Notification.id).where(Notification.user_id == world.staff2.id))
    assert staff.post("/notifications/read", json={"id": other}).get_json() == {"marked": 0}
    assert staff.post("/notifications/read", json={}).get_json() == {"marked": 1}
    assert staff.get("/notifications").get_json()["unread"] == 0


def test_live_scores_as_the_assessment_page(world, api):
    issue_world_plans(world)
    head = api(world.head).get("/assessment?period=2026&as_of=2026-06-15")
    assert head.status_code == 200
    body = head.get_json()
    assert body["label"] == "Năm 2026" and body["as_of"] == "2026-06-15"
    assert [u["code"] for u in body["units"]] == ["SNV"]
    assert body["units"][0]["tasks"] == 2 and body["units"][0]["grade"] == "not_rated"
    everything = api(world.assessor).get("/assessment?period=2026").get_json()
    assert {u["code"] for u in everything["units"]} >= {"SNV", "SKHCN"}
    assert api(world.staff).get("/assessment").status_code == 403
    bad = api(world.head)
    assert [e["field"] for e in bad.get("/assessment?period=2026-Q5").get_json()["errors"]] == ["period"]
    assert [e["field"] for e in bad.get("/assessment?as_of=2027-01-01").get_json()["errors"]] == ["as_of"]
    assert [e["field"] for e in bad.get(f"/assessment?unit={world.b.id}").get_json()["errors"]] == ["unit"]


@pytest.mark.parametrize("path", ["/tasks/99999999999999999999", "/tasks/2147483648",
                                  "/plans/9223372036854775808", "/tasks/0"])
def test_ids_beyond_the_columns_are_404(world, api, path):
    resp = api(world.staff).get(path)
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_an_occurrence_of_a_recurring_task_says_its_period(world, api):
    """A recurring rule's occurrences (docs/recurring.md) carry their period's code; other
    tasks have none. The key-task flag comes with every task."""
    recurring.add_rule(world.head, world.plan.id, RuleInput(
        title="Báo cáo tình hình thực hiện công tác cải cách hành chính",
        description="Tổng hợp, báo cáo kết quả thực hiện nhiệm vụ CCHC của kỳ.",
        frequency="quarterly", due_kind="day", due_day=20, assignee_id=world.staff.id,
        lead_unit_id=world.a.id, leader_id=world.deputy.id,
        responsibility="Chịu trách nhiệm tổng hợp số liệu và gửi báo cáo đúng hạn.",
        steps_text="Tổng hợp số liệu\nTrình ký, gửi báo cáo", output_product="Báo cáo CCHC",
        weight=Decimal(1)), today=TODAY, settings=current_settings().task_rules)
    plans.issue_plan(world.head, world.plan.id)
    db.session.commit()
    made = db.session.scalars(select(Task).where(Task.recurring_rule_id.is_not(None))
                              .order_by(Task.due_on)).all()
    assert [t.period_code for t in made] == ["Q1", "Q2", "Q3", "Q4"]
    head = api(world.head)
    body = head.get(f"/tasks/{made[1].id}").get_json()
    assert body["period"] == "Q2" and body["is_key"] is False
    assert head.get(f"/tasks/{world.task.id}").get_json()["period"] is None
    listed = {t["id"]: t["period"] for t in head.get("/tasks?limit=200").get_json()["items"]}
    assert listed[made[3].id] == "Q4" and listed[world.task.id] is None


def test_a_use_is_stamped_at_most_once_a_minute_per_token(world, api):
    """docs/api.md: the token's last use, written at most once a minute: reads within the minute
    write nothing; the database compares too, so two workers with the same old stamp write once."""
    from datetime import timedelta

    from sqlalchemy import event, update

    from app.models import ApiToken
    from app.models.base import utcnow
    from app.tokens import service as tokens

    writes, paused = [], []

    def count(_conn, _cursor, statement, *_args):
        if not paused and statement.lstrip().upper().startswith("UPDATE") and "api_tokens" in statement:
            writes.append(statement)

    staff = api(world.staff)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(4):
            assert staff.get("/me").status_code == 200
        assert len(writes) == 1
        token_id = db.session.scalars(select(ApiToken.id)).one()
        old = utcnow() - timedelta(seconds=61)
        paused.append(True)  # the test ages the stamp: not a use
        db.session.execute(update(ApiToken).values(last_used_at=old))
        db.session.commit()
        paused.clear()
        assert staff.get("/me").status_code == 200
        assert len(writes) == 2
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    db.session.expire_all()
    assert db.session.get(ApiToken, token_id).last_used_at > old
    now = utcnow() + timedelta(seconds=120)
    assert db.session.execute(tokens.touch_statement(token_id, now)).rowcount == 1
    assert db.session.execute(tokens.touch_statement(token_id, now + timedelta(seconds=30))).rowcount == 0
    db.session.rollback()
