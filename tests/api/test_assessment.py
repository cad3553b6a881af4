"""Assessment results through the API: the tasks behind a live figure (unit, leader), the
frozen runs and their drill-down, each scoped exactly as the assessment pages are."""

from datetime import date

import pytest

from app.assessment import service as assessment
from app.domain import scoring
from app.domain.scoring import ScoringSettings
from app.extensions import db
from tests.conftest import issue_world_plans

TODAY = date(2026, 6, 15)


@pytest.fixture
def issued(world):
    issue_world_plans(world)
    return world


def test_a_units_live_score_opens_to_its_tasks(issued, api):
    w = issued
    head = api(w.head)
    body = head.get(f"/assessment/units/{w.a.id}?period=2026&as_of=2026-06-15").get_json()
    assert body["subject"] == {"kind": "unit", "id": w.a.id, "code": "SNV", "name": w.a.name,
                               "with_subunits": False}
    assert body["run_id"] is None and body["label"] == "Năm 2026"
    assert body["total"] == 2 and body["tally"]["tasks"] == 2
    assert {t["task_id"] for t in body["items"]} == {w.task.id, w.task2.id}
    assert all(t["outcome"] == "within" for t in body["items"])
    one = head.get(f"/assessment/units/{w.a.id}?period=2026&limit=1&page=2").get_json()
    assert (len(one["items"]), one["page"], one["pages"], one["total"]) == (1, 2, 2, 2)
    assert head.get(f"/assessment/units/{w.a.id}?period=2026&outcome=overdue").get_json()["total"] == 0
    # Another unit's figures are not the head's: 404, as the page.
    assert head.get(f"/assessment/units/{w.b.id}?period=2026").status_code == 404
    assert api(w.assessor).get(f"/assessment/units/{w.b.id}?period=2026").get_json()["total"] == 1
    assert api(w.staff).get(f"/assessment/units/{w.a.id}").status_code == 403
    bad = head.get(f"/assessment/units/{w.a.id}?outcome=best")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "outcome"


def test_a_leaders_live_score_opens_to_the_tasks_they_answer_for(issued, api):
    w = issued
    deputy = api(w.deputy)
    body = deputy.get(f"/assessment/leaders/{w.deputy.id}?period=2026").get_json()
    assert body["subject"]["kind"] == "leader" and body["subject"]["code"] == "SNV"
    assert [t["task_id"] for t in body["items"]] == [w.task.id]
    # A deputy reads their own line only; a head their unit's leaders.
    assert deputy.get(f"/assessment/leaders/{w.head.id}?period=2026").status_code == 404
    assert api(w.head).get(f"/assessment/leaders/{w.deputy.id}?period=2026").status_code == 200
    assert api(w.head).get(f"/assessment/leaders/{w.deputy_b.id}?period=2026").status_code == 404


def _freeze(w):
    run = assessment.freeze(w.assessor.id, scoring.parse_period("2026"), TODAY,
                            ScoringSettings(), today=TODAY)
    db.session.commit()
    return run.id


def test_frozen_runs_are_listed_read_and_opened_to_their_tasks(issued, api):
    w = issued
    run_id = _freeze(w)
    head = api(w.head)
    runs = head.get("/assessment/runs").get_json()
    assert runs["total"] == 1 and runs["items"][0]["id"] == run_id
    assert runs["items"][0]["version"] == 1 and runs["items"][0]["label"] == "Năm 2026"
    run = head.get(f"/assessment/runs/{run_id}").get_json()
    assert [u["code"] for u in run["units"]] == ["SNV"]
    assert [v["version"] for v in run["versions"]] == [1]
    tasks = head.get(f"/assessment/runs/{run_id}/units/{w.a.id}").get_json()
    assert tasks["run_id"] == run_id and tasks["total"] == 2
    assert {t["task_id"] for t in tasks["items"]} == {w.task.id, w.task2.id}
    assert head.get(f"/assessment/runs/{run_id}/units/{w.b.id}").status_code == 404
    deputy = api(w.deputy)
    mine = deputy.get(f"/assessment/runs/{run_id}/leaders/{w.deputy.id}").get_json()
    assert [t["task_id"] for t in mine["items"]] == [w.task.id]
    assert deputy.get(f"/assessment/runs/{run_id}/leaders/{w.head.id}").status_code == 404
    everything = api(w.assessor).get(f"/assessment/runs/{run_id}").get_json()
    assert {u["code"] for u in everything["units"]} >= {"SNV", "SKHCN"}
    staff = api(w.staff)
    assert staff.get("/assessment/runs").status_code == 403
    assert staff.get(f"/assessment/runs/{run_id}").status_code == 403
    assert head.get("/assessment/runs/999999").status_code == 404


def test_work_added_after_issue_is_listed_beside_the_score(issued, api, make):
    """A deputy adds a weight-1 task to the issued plan (bổ sung), the head confirms it: the
    API's live and frozen figures show 1 addition beside the score, its task line says so,
    and `outcome=added` opens it; the tasks planned before issue are not additions."""
    from decimal import Decimal

    from app.models import User
    from app.settings import current_settings
    from app.tasks import commands as tasks
    from tests.conftest import submit_with_evidence

    w = issued
    data = make.task_input(w.a, w.staff, w.deputy, due_on=TODAY, weight=Decimal(1),
                           title="Báo cáo nhanh tình hình tuần")
    tid = tasks.create_task(db.session.get(User, w.deputy.id), w.plan.id, data, today=TODAY,
                            settings=current_settings().task_rules).id
    db.session.commit()
    submit_with_evidence(w.staff, tid, "Đã xong", TODAY)
    tasks.confirm_task(db.session.get(User, w.head.id), tid, "Đồng ý")
    db.session.commit()
    head = api(w.head)
    scores = head.get("/assessment?period=2026&as_of=2026-06-15").get_json()
    assert {u["code"]: u["additions"] for u in scores["units"]}["SNV"] == 1
    assert {r["id"]: r["additions"] for r in scores["leaders"]}[w.deputy.id] == 1
    body = head.get(f"/assessment/units/{w.a.id}?period=2026&as_of=2026-06-15").get_json()
    assert body["tally"]["additions"] == 1
    assert {t["task_id"]: t["added_after_issue"] for t in body["items"]} == {
        tid: True, w.task.id: False, w.task2.id: False}
    only = head.get(f"/assessment/units/{w.a.id}?period=2026&as_of=2026-06-15&outcome=added")
    assert [t["task_id"] for t in only.get_json()["items"]] == [tid]
    run_id = _freeze(w)
    run = head.get(f"/assessment/runs/{run_id}").get_json()
    assert [u["additions"] for u in run["units"]] == [1]
    mine = api(w.deputy).get(f"/assessment/runs/{run_id}/leaders/{w.deputy.id}").get_json()
    assert mine["tally"]["additions"] == 1
    assert {t["task_id"]: t["added_after_issue"] for t in mine["items"]}[tid] is True
