"""Bad input to the API (issue 15): each a 4xx problem document, nothing written. Bodies of
the progress report are in tests/api/test_writes.py; query arguments of the task list in
tests/api/test_reads.py; here: every list's page bounds, unknown and empty arguments, huge
multipart bodies, and writes with a token that no longer works."""

from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiToken, AuditLog, ProgressUpdate, User
from app.tokens import service as tokens
from tests.api.conftest import TODAY, make_token
from tests.conftest import issue_world_plans

LISTS = ["/tasks", "/users", "/plans", "/overdue", "/notifications", "/assessment/runs",
         "/assessment/units/{a}?period=2026", "/assessment/leaders/{deputy}?period=2026",
         "/assessment/runs/{run}/units/{a}", "/assessment/runs/{run}/leaders/{deputy}"]


def _written() -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.scalar(select(func.count(AuditLog.id))),
            db.session.scalar(select(func.count(ProgressUpdate.id))))


@pytest.fixture
def issued(world):
    from app.assessment import service as assessment
    from app.domain import scoring

    issue_world_plans(world)
    world.run = assessment.freeze(world.assessor.id, scoring.parse_period("2026"), TODAY,
                                  scoring.ScoringSettings(), today=TODAY).id
    db.session.commit()
    return world


def _url(path: str, w) -> str:
    return path.format(a=w.a.id, deputy=w.deputy.id, run=w.run)


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("bad", ["limit=0", "limit=-5", "limit=201", "limit=100000000000000000000",
                                 "limit=1.5", "limit=", "page=0", "page=-1", "page=100001",
                                 "page=abc"])
def test_every_list_bounds_its_page(issued, api, path, bad):
    url = _url(path, issued)
    resp = api(issued.head).get(url + ("&" if "?" in url else "?") + bad)
    assert resp.status_code == 422, (url, bad, resp.get_json())
    assert resp.mimetype == "application/problem+json"
    assert [e["field"] for e in resp.get_json()["errors"]] == [bad.split("=")[0]]


@pytest.mark.parametrize("path", LISTS)
def test_every_list_counts_and_pages(issued, api, path):
    url = _url(path, issued)
    body = api(issued.head).get(url + ("&" if "?" in url else "?") + "limit=1").get_json()
    assert {"items", "total", "page", "limit", "pages"} <= set(body)
    assert len(body["items"]) <= 1 and body["limit"] == 1
    assert body["pages"] == max(1, body["total"])


@pytest.mark.parametrize("path", ["/me", "/tasks", "/tasks/{task}", "/assessment/runs"])
def test_an_unknown_argument_is_refused_not_ignored(issued, api, path):
    """A misspelt filter (plann=3) must not silently return everything."""
    resp = api(issued.head).get(path.format(task=issued.task.id) + "?plann=3")
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["plann"]


def test_a_body_beyond_the_servers_limit_is_413_and_writes_nothing(issued, api, app):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    staff = api(issued.staff)
    before = _written()
    resp = staff.post(f"/tasks/{issued.task.id}/progress",
                                  data={"percent": "5", "note": "x" * (80 * 1024)},
                                  content_type="multipart/form-data")
    assert resp.status_code == 413 and resp.mimetype == "application/problem+json"
    assert _written() == before


@pytest.mark.parametrize("state", ["expired", "revoked", "disabled", "unknown", "malformed",
                                   "basic"])
def test_a_write_with_a_token_that_no_longer_works_is_401_and_writes_nothing(issued, client, state):
    secret = make_token(issued.staff, name="QLVB")
    token_id = tokens.authenticate(secret, TODAY).id
    header = f"Bearer {secret}"
    if state == "expired":
        db.session.get(ApiToken, token_id).expires_on = date(2026, 6, 14)
    elif state == "revoked":
        tokens.revoke_token(None, token_id)
    elif state == "disabled":
        db.session.get(User, issued.staff.id).is_active = False
    elif state == "unknown":
        header = "Bearer sr_" + "A" * 43
    elif state == "malformed":
        header = "Bearer " + "\u00e9" * 5000
    else:
        header = "Basic c3RhZmZfYTpNYXRLaGF1LTIwMjY="
    db.session.commit()
    before = _written()
    resp = client.post(f"/api/v1/tasks/{issued.task.id}/progress", json={"percent": 50},
                       headers={"Authorization": header})
    assert resp.status_code == 401, resp.get_data(as_text=True)[:200]
    assert resp.mimetype == "application/problem+json"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert _written() == before


@pytest.mark.parametrize("path", ["/api/v1/assessment/runs/a%0Ab", "/api/v1/tasks/%0A",
                                  "/api/v1/%0A"])
def test_an_address_no_rule_matches_is_still_a_problem_document(issued, api, path):
    """Found by schemathesis: the catch-all takes no newline, and the HTML 404 page came back."""
    head = api(issued.head)
    resp = head.client.get(path, headers={"Authorization": f"Bearer {head.secret}"})
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_a_multipart_part_without_a_name_is_not_a_server_error(issued, api):
    """Found by schemathesis: werkzeug keys a part with no name None, and the NUL filter of
    every form (app/__init__.py) tripped on it (a 500, the pages' forms too)."""
    staff = api(issued.staff)
    before = _written()
    body = (b'--B\r\nContent-Disposition: form-data; name="percent"\r\n\r\n30\r\n'
            b'--B\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--B--\r\n')
    resp = staff.client.post(f"/api/v1/tasks/{issued.task.id}/progress", data=body,
                             headers={"Authorization": f"Bearer {staff.secret}",
                                      "Content-Type": "multipart/form-data; boundary=B"})
    assert resp.status_code < 500, resp.get_data()[:300]
    assert resp.status_code == 201  # the nameless part is dropped; the report is recorded
    assert _written()[1] == before[1] + 1
