"""Recurring tasks through the form: add on a draft, refused beside the field with the input
kept, issue makes the occurrences with their period on the plan table and the task page."""

from sqlalchemy import select
from web_support import field_errors, field_value, page, tr

from app.extensions import db
from app.models import RecurringRule, Task


def form_data(w, **kw) -> dict:
    data = {"frequency": "quarterly", "cutoff_kind": "decree", "cutoff_day": "",
            "due_kind": "working_days", "due_day": "", "working_days": "2",
            "title": "Báo cáo quý về công tác cải cách hành chính",
            "description": "Tổng hợp kết quả CCHC của quý, gửi Sở Nội vụ.",
            "lead_unit_id": str(w.a.id), "assignee_id": str(w.staff.id),
            "leader_id": str(w.deputy.id),
            "responsibility": "Chịu trách nhiệm tổng hợp số liệu và gửi đúng hạn.",
            "steps_text": "Tổng hợp số liệu\nDự thảo báo cáo\nTrình ký", "weight": "1",
            "output_product": "Báo cáo CCHC quý"}
    data.update(kw)
    return data


def test_add_a_rule_issue_and_see_the_periods(sw):
    w, c = sw.w, sw.cached("head")
    resp = c.get(f"/plans/{w.plan.id}")
    assert page(resp).by_id("add-recurring") is not None
    resp = c.get(f"/plans/{w.plan.id}/recurring/new")
    assert resp.status_code == 200
    resp = c.post(f"/plans/{w.plan.id}/recurring/new", data=form_data(w))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    rule = db.session.scalar(select(RecurringRule).where(RecurringRule.plan_id == w.plan.id))
    assert (rule.frequency, rule.working_days, rule.cutoff_day) == ("quarterly", 2, None)
    db.session.rollback()
    assert c.post(f"/plans/{w.plan.id}/issue").status_code == 302
    codes = db.session.scalars(select(Task.period_code).where(Task.recurring_rule_id == rule.id)
                               .order_by(Task.order_key)).all()
    db.session.rollback()
    assert codes == ["Q1", "Q2", "Q3", "Q4"]
    doc = page(c.get(f"/plans/{w.plan.id}"))
    assert tr("Period: %(period)s", period="Quý II/2026") in doc.text()
    q2 = db.session.scalar(select(Task.id).where(Task.recurring_rule_id == rule.id,
                                                 Task.period_code == "Q2"))
    db.session.rollback()
    doc = page(c.get(f"/tasks/{q2}"))
    assert doc.by_id("task-period").text() == "Kỳ: Quý II/2026"


def test_refused_beside_the_field_keeping_the_input(sw):
    w, c = sw.w, sw.cached("head")
    resp = c.post(f"/plans/{w.plan.id}/recurring/new",
                  data=form_data(w, due_kind="day", due_day="10", working_days=""))
    assert resp.status_code == 422
    doc = page(resp)
    assert field_errors(doc, "due_day") == [tr(
        "The due date (%(due)s) would precede the cut-off (%(cutoff)s).",
        due="10/03/2026", cutoff="14/03/2026")]
    assert field_value(doc, "title") == "Báo cáo quý về công tác cải cách hành chính"
    resp = c.post(f"/plans/{w.plan.id}/recurring/new",
                  data=form_data(w, cutoff_kind="custom", cutoff_day="31", working_days="3"))
    assert resp.status_code == 422
    assert "31/12/2026" not in field_errors(page(resp), "working_days")[0]
    assert "2027" in field_errors(page(resp), "working_days")[0]
    assert db.session.scalar(select(RecurringRule.id)) is None
    db.session.rollback()


def test_staff_and_deputy_cannot_add(sw):
    w = sw.w
    for role in ("staff", "deputy"):
        c = sw.cached(role)
        assert c.get(f"/plans/{w.plan.id}/recurring/new").status_code == 403
        assert c.post(f"/plans/{w.plan.id}/recurring/new", data=form_data(w)).status_code == 403


def test_the_import_preview_names_a_recurring_row_then_confirm_adds_the_rule(world, make,
                                                                               as_user):
    import io

    from web_support import parse

    from tests.plan_files import HEADERS, build, clear_row

    plan = make.plan(world.a, kind="work", title="Kế hoạch công tác năm 2026")
    c = as_user("head_a")
    data = build([HEADERS, clear_row("1", title="Báo cáo CCHC hằng quý", due="Hằng quý",
                                     start=None), clear_row("2")])
    resp = c.post(f"/plans/{plan.id}/import", data={"file": (io.BytesIO(data), "kh.xlsx")},
                  content_type="multipart/form-data", follow_redirects=True)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:3000]
    doc = parse(resp.get_data(as_text=True))
    note = doc.find(**{"class": "small import-recurring"})
    assert note.attrs["data-frequency"] == "quarterly"
    assert "Nhiệm vụ định kỳ (Hằng quý)" in note.text() and "17/03/2026" in note.text()
    token = doc.find("input", name="token").attrs["value"]
    assert c.post(f"/plans/{plan.id}/import/confirm", data={"token": token}).status_code == 302
    page = parse(c.get(f"/plans/{plan.id}").get_data(as_text=True))
    rules = page.by_id("recurring-rules")
    assert "Báo cáo CCHC hằng quý" in rules.text() and "Hằng quý" in rules.text()
