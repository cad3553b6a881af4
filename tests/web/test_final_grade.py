"""The competent authority's final grade on a frozen run (DESIGN.md 5, issue 11 item 10):
the assessor records it with the decision's number, date and reason; every other role is
refused; bad input is shown beside its field and keeps what was typed; the decision is
shown beside the computed grade on the run page, the print page and in the downloads.
Also: the drill-down marks imported completions and late cancellations."""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select
from web_support import field_errors, field_value, page

from app.assessment import service as assessment
from app.domain.scoring import ScoringSettings, parse_period
from app.extensions import db
from app.models import AssessmentUnitRow, AuditLog, Task
from tests.conftest import TODAY, issue_world_plans

VALID = {"grade": "good", "decision_no": "125/QĐ-UBND", "decision_on": "12/06/2026",
         "reason": "Theo kết luận của Hội đồng thi đua - khen thưởng"}


@pytest.fixture
def run(world):
    """A frozen 2026-Q2 run with unit A's one task completed on time ("xuất sắc")."""
    issue_world_plans(world)
    db.session.execute(insert(Task), [{
        "plan_id": world.plan.id, "owner_unit_id": world.a.id, "lead_unit_id": world.a.id,
        "leader_id": world.deputy.id, "assignee_id": world.staff.id,
        "title": "Nhiệm vụ nhập từ tệp", "title_folded": "nhiem vu nhap tu tep",
        "status": "completed", "due_on": date(2026, 5, 31), "original_due_on": date(2026, 5, 31),
        "completed_on": date(2026, 5, 30), "weight": Decimal(1),
        "completion_imported_by_id": world.head.id,
        "completion_imported_at": datetime(2026, 2, 1, 3, 0)}])
    r = assessment.freeze(world.assessor.id, parse_period("2026-Q2"), TODAY, ScoringSettings(),
                          today=TODAY)
    db.session.commit()
    world.run = r.id
    world.row = db.session.scalar(select(AssessmentUnitRow.id).where(
        AssessmentUnitRow.run_id == r.id, AssessmentUnitRow.unit_id == world.a.id))
    return world


def url(w) -> str:
    return f"/assessment/runs/{w.run}/final/unit/{w.row}"


def stored(w) -> AssessmentUnitRow:
    db.session.expire_all()
    return db.session.get(AssessmentUnitRow, w.row)


def test_the_assessor_records_the_final_grade_shown_beside_the_computed_one(run, as_user):
    c = as_user("assessor")
    doc = page(c.get(f"/assessment/runs/{run.run}"))
    links = {a.attrs["href"] for a in doc.find_all("a", **{"data-final-link": ""})}
    assert url(run) in links
    form = c.get(url(run))
    assert form.status_code == 200
    assert "Hoàn thành xuất sắc nhiệm vụ" in form.get_data(as_text=True)   # the computed grade
    resp = c.post(url(run), data=VALID)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/assessment/runs/{run.run}")
    row = stored(run)
    assert (row.grade, row.final_grade, row.final_decision_no, row.final_decision_on) == (
        "excellent", "good", "125/QĐ-UBND", date(2026, 6, 12))
    assert db.session.scalar(select(AuditLog.id).where(
        AuditLog.action == "assessment.final_grade", AuditLog.actor_id == run.assessor.id))
    for path in (f"/assessment/runs/{run.run}", f"/assessment/runs/{run.run}/print"):
        html = c.get(path).get_data(as_text=True)
        assert 'data-final="good"' in html and "125/QĐ-UBND" in html and "12/06/2026" in html
        assert "Theo kết luận của Hội đồng thi đua - khen thưởng" in html
    wb = load_workbook(BytesIO(c.get(f"/assessment/runs/{run.run}/export.xlsx").data))
    values = [[cell.value for cell in r] for r in wb["Đơn vị"].iter_rows()]
    header = next(r for r in values if r[0] == "STT")
    snv = next(r for r in values if r[2] == "SNV")
    at = header.index("Xếp loại cuối cùng (cấp có thẩm quyền)")
    assert snv[at:at + 2] == ["Hoàn thành tốt nhiệm vụ", "125/QĐ-UBND"]
    assert snv[header.index("Xếp loại")] == "Hoàn thành xuất sắc nhiệm vụ"
    csv = c.get(f"/assessment/runs/{run.run}/export/units.csv").get_data(as_text=True)
    assert "Xếp loại cuối cùng (cấp có thẩm quyền)" in csv and "125/QĐ-UBND" in csv


@pytest.mark.parametrize("who", ["admin", "head_a", "deputy_a", "staff_a", "head_b", "deputy_b"])
def test_every_other_role_is_refused(run, as_user, who):
    c = as_user(who)
    assert c.get(url(run)).status_code == 403
    assert c.post(url(run), data=VALID).status_code == 403
    assert stored(run).final_grade is None
    assert 'data-final-link' not in c.get(f"/assessment/runs/{run.run}").get_data(as_text=True)


def test_anonymous_is_sent_to_the_login_page(run, client):
    resp = client.post(url(run), data=VALID)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert stored(run).final_grade is None


@pytest.mark.parametrize("changes, field, words", [
    ({"grade": ""}, "grade", "Chọn một mức xếp loại"),
    ({"decision_no": "  "}, "decision_no", "số quyết định"),
    ({"decision_on": "31/02/2026"}, "decision_on", "31/02/2026"),
    ({"decision_on": ""}, "decision_on", "ngày quyết định"),
    ({"decision_on": "16/06/2026"}, "decision_on", "sau ngày hôm nay"),
    ({"reason": ""}, "reason", "lý do"),
])
def test_bad_input_is_refused_beside_the_field_and_keeps_what_was_typed(run, as_user, changes,
                                                                        field, words):
    c = as_user("assessor")
    data = VALID | changes
    resp = c.post(url(run), data=data)
    assert resp.status_code == 422
    doc = page(resp)
    errors = " ".join(field_errors(doc, field))
    assert words.lower() in errors.lower(), errors
    for name in ("decision_no", "decision_on", "reason"):
        assert field_value(doc, name) == data[name], name
    assert field_value(doc, "grade") == (data["grade"] or "")
    assert stored(run).final_grade is None


def test_a_missing_row_or_run_is_not_found(run, as_user):
    c = as_user("assessor")
    assert c.get(f"/assessment/runs/{run.run}/final/unit/999999").status_code == 404
    assert c.get(f"/assessment/runs/999999/final/unit/{run.row}").status_code == 404
    assert c.get(f"/assessment/runs/{run.run}/final/plan/{run.row}").status_code == 404


def test_the_drill_down_marks_an_imported_completion(run, as_user):
    c = as_user("assessor")
    for path in (f"/assessment/unit/{run.a.id}?period=2026-Q2&as_of=15/06/2026",
                 f"/assessment/runs/{run.run}/unit/{run.a.id}"):
        html = c.get(path).get_data(as_text=True)
        assert html.count("data-imported") == 1, path
        assert "nhập từ tệp" in html
