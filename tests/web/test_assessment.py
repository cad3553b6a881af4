"""The assessment pages: each role's scope, messages for bad input, drill-downs whose
working equals the score, frozen runs and their versions, charts, print and downloads."""

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from web_support import field_errors, field_value, page, task_form_data, tr

from app.domain.status import Lifecycle
from app.extensions import db
from app.models import AssessmentRun, AuditLog, Task
from app.reports import charts
from tests.conftest import issue_world_plans
from tests.settings_support import override_settings

Q2 = "period=2026-Q2&as_of=15/06/2026"
SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


def set_task(task_id: int, **fields) -> None:
    t = db.session.get(Task, task_id)
    for k, v in fields.items():
        setattr(t, k, v)
    db.session.commit()


@pytest.fixture
def scored(drafted):
    """`drafted` with the world's plans issued: tasks of draft plans are neither flagged,
    reminded, listed as overdue nor scored (DESIGN.md 4)."""
    issue_world_plans(drafted)
    return drafted


@pytest.fixture
def drafted(world, make):
    """The tasks of `scored`, built while the world's plans are drafts (a test may add its
    own, then issue them: a task added to an issued plan may not be due before today).

    Unit A (Sở Nội vụ) in 2026-Q2, as of 15/06/2026:

    on time, weight 2.5 (deputy_a)   -> credit 2.5
    late, weight 1.5 (head_a)        -> credit 1.125 (Decree 335/2025: a delay costs 25%)
    overdue, weight 1 (deputy_a)     -> credit 0
    due today, weight 3              -> within: left out
    cancelled, weight 2              -> excluded: left out
    Σ credit / Σ weight × 100 = 3.625 / 5 × 100 = 72.5. Unit B: one task on time (100).
    """
    w = world

    def task(title, due, weight, leader, plan=w.plan, unit=w.a, assignee=w.staff, **state):
        t = make.task(plan, w.head if unit is w.a else w.head_b, unit, assignee, leader,
                      title=title, due_on=due, weight=Decimal(weight))
        if state:
            set_task(t.id, **state)
        return t

    w.on_time = task("Ban hành quy chế làm việc", date(2026, 5, 20), "2.5", w.deputy,
                     status=Lifecycle.COMPLETED, completed_on=date(2026, 5, 18))
    w.late = task("Tổng kết công tác cải cách hành chính", date(2026, 5, 10), "1.5", w.head,
                  status=Lifecycle.COMPLETED, completed_on=date(2026, 5, 20), extension_count=1)
    # Added to the plan after issue (bổ sung): listed beside the score, not in it.
    w.overdue = task("Rà soát thủ tục hành chính", date(2026, 6, 1), "1", w.deputy,
                     added_after_issue=True)
    w.due_today = task("Báo cáo sáu tháng", date(2026, 6, 15), "3", w.deputy)
    w.cancelled = task("Hội thảo chuyên đề", date(2026, 5, 1), "2", w.deputy,
                       status=Lifecycle.CANCELLED)
    w.b_done = task("Nhiệm vụ của Sở Khoa học", date(2026, 4, 20), "1", w.deputy_b, plan=w.plan_b,
                    unit=w.b, assignee=w.staff_b, status=Lifecycle.COMPLETED,
                    completed_on=date(2026, 4, 20))
    return w


def find(node, tag=None, **attrs):
    """node.find with data_x=... meaning the attribute data-x."""
    return node.find(tag, **{k.replace("_", "-"): v for k, v in attrs.items()})


def find_all(node, tag=None, **attrs):
    return node.find_all(tag, **{k.replace("_", "-"): v for k, v in attrs.items()})


def unit_row(doc, unit_id: int, which: str = "own"):
    row = find(doc, "tr", data_unit_id=str(unit_id), data_row=which)
    assert row is not None, (unit_id, which)
    return row


def figure(row, key: str):
    cell = find(row, "td", data_figure=key)
    assert cell is not None, key
    return cell


def score_of(row) -> Decimal | None:
    v = figure(row, "score").attrs["data-value"]
    return Decimal(v) if v else None


def shown_units(doc) -> set[int]:
    return {int(r.attrs["data-unit-id"]) for r in find_all(doc, "tr", data_row="own")}


def shown_leaders(doc) -> set[int]:
    return {int(r.attrs["data-leader-id"]) for r in doc.find_all("tr")
            if "data-leader-id" in r.attrs}


def working(doc) -> SimpleNamespace:
    """The drill-down's score working and the tasks listed."""
    f = doc.by_id("score-formula")
    lines = doc.by_id("drill-tasks").find_all("tr")
    tasks = [r for r in lines if "data-task-id" in r.attrs]
    return SimpleNamespace(
        credit=Decimal(f.attrs["data-sum-credit"]) if "data-sum-credit" in f.attrs else None,
        weight=Decimal(f.attrs["data-sum-weight"]) if "data-sum-weight" in f.attrs else None,
        score=Decimal(f.attrs["data-score"]) if f.attrs.get("data-score") else None,
        tasks={int(r.attrs["data-task-id"]): r.attrs for r in tasks})


# ---- scope by role ---------------------------------------------------------------

def test_assessor_sees_every_unit_and_leader(scored, as_user):
    w = scored
    doc = page(as_user("assessor").get(f"/assessment?{Q2}"))
    assert shown_units(doc) == {w.province.id, w.a.id, w.b.id}
    assert shown_leaders(doc) == {w.head.id, w.deputy.id, w.head_b.id, w.deputy_b.id}
    assert score_of(unit_row(doc, w.a.id)) == Decimal("72.5")
    assert score_of(unit_row(doc, w.b.id)) == Decimal(100)
    # The province leads nothing itself: not rated, never 0 or 100.
    assert score_of(unit_row(doc, w.province.id)) is None
    assert figure(unit_row(doc, w.province.id), "grade").find("span").attrs["data-grade"] == "not_rated"
    assert doc.by_id("freeze-form") is not None


def test_the_grade_is_shown_in_vietnamese(scored, as_user):
    doc = page(as_user("assessor").get(f"/assessment?{Q2}"))
    assert figure(unit_row(doc, scored.a.id), "grade").text() == "Hoàn thành tốt nhiệm vụ"
    assert figure(unit_row(doc, scored.b.id), "grade").text() == "Hoàn thành xuất sắc nhiệm vụ"


def test_an_assessor_may_narrow_the_view_to_a_subtree(scored, as_user):
    doc = page(as_user("assessor").get(f"/assessment?{Q2}&unit={scored.b.id}"))
    assert shown_units(doc) == {scored.b.id}
    assert shown_leaders(doc) == {scored.head_b.id, scored.deputy_b.id}
    assert field_value(doc, "unit") == str(scored.b.id)


def test_a_head_sees_their_unit_and_its_sub_units_only(scored, as_user, make):
    w = scored
    sub = make.unit("Phòng Tổ chức cán bộ", parent=w.a, code="SNV-TCCB")
    doc = page(as_user("head_a").get(f"/assessment?{Q2}"))
    assert shown_units(doc) == {w.a.id, sub.id}
    assert shown_leaders(doc) == {w.head.id, w.deputy.id}
    # The head's score is the unit's score.
    head = find(doc, "tr", data_leader_id=str(w.head.id))
    assert score_of(head) == Decimal("72.5")
    deputy = find(doc, "tr", data_leader_id=str(w.deputy.id))
    assert score_of(deputy) == Decimal("71.43")   # 2.5 / 3.5
    assert doc.by_id("freeze-form") is None
    # Outside the subtree: a message beside the field, not the other unit's figures.
    resp = as_user("head_a").get(f"/assessment?{Q2}&unit={w.b.id}")
    assert resp.status_code == 422
    assert field_errors(page(resp), "unit") == [tr("Choose a unit from the list.")]


def test_a_deputy_sees_their_own_row_and_their_units(scored, as_user):
    w = scored
    doc = page(as_user("deputy_a").get(f"/assessment?{Q2}"))
    assert shown_units(doc) == {w.a.id}
    assert shown_leaders(doc) == {w.deputy.id}
    assert doc.by_id("freeze-form") is None
    assert doc.find("select", name="unit") is None


def test_staff_may_not_open_the_assessment(scored, as_user):
    c = as_user("staff_a")
    assert c.get("/assessment").status_code == 403
    assert c.get(f"/assessment/unit/{scored.a.id}").status_code == 403
    assert c.get("/assessment/runs").status_code == 403
    assert 'id="nav-assessment"' not in c.get("/").get_data(as_text=True)


@pytest.mark.parametrize("username", ["assessor", "admin", "head_a", "deputy_a"])
def test_the_navbar_links_to_the_assessment(world, as_user, username):
    doc = page(as_user(username).get("/"))
    assert doc.by_id("nav-assessment").attrs["href"] == "/assessment"


def test_only_the_assessor_is_warned_of_the_excellent_quota(scored, as_user):
    # Unit B is "excellent", none is "good": more than 20% of zero.
    doc = page(as_user("assessor").get(f"/assessment?{Q2}"))
    alert = doc.by_id("quota-warning")
    assert alert is not None and find(alert, "li", data_group="units") is not None
    # Whole units (issue 17): "tối đa 0", never a fraction of a unit such as "0,2".
    import re
    allowed = re.findall(r"tối đa ([\d.,]+)\)", alert.text())
    assert allowed and all(a.isdigit() for a in allowed), alert.text()
    assert page(as_user("head_b").get(f"/assessment?{Q2}")).by_id("quota-warning") is None


# ---- bad input: messages, never a 500 ---------------------------------------------

@pytest.mark.parametrize("query, field", [
    ("period=2026-Q5", "period"),
    ("period=hôm-nay", "period"),
    ("period=2026-Q2&as_of=16/06/2026", "as_of"),
    ("period=2026-Q2&as_of=31/02/2026", "as_of"),
    ("period=2026&as_of=abc", "as_of"),
    ("period=2026&unit=abc", "unit"),
    ("period=2026&unit=999999", "unit"),
])
def test_bad_input_gets_a_message_beside_its_field(world, as_user, query, field):
    c = as_user("assessor")
    for url in (f"/assessment?{query}", f"/assessment/unit/{world.a.id}?{query}",
                f"/assessment/leader/{world.deputy.id}?{query}", f"/assessment/print?{query}",
                f"/assessment/export.xlsx?{query}", f"/assessment/export/units.csv?{query}"):
        resp = c.get(url)
        assert resp.status_code == 422, (url, resp.status_code)
        errors = field_errors(page(resp), field)
        assert errors and all(errors), (url, errors)


def test_a_date_after_today_is_refused_with_todays_date(world, as_user):
    resp = as_user("assessor").get("/assessment?period=2026-Q2&as_of=01/07/2026")
    (message,) = field_errors(page(resp), "as_of")
    assert "15/06/2026" in message
    # What the user typed stays in the field.
    assert field_value(page(resp), "as_of") == "01/07/2026"


def test_the_default_as_of_is_the_period_end_or_today(world, as_user):
    c = as_user("assessor")
    assert "15/06/2026" in page(c.get("/assessment?period=2026-Q2")).by_id("report-heading").text()
    assert "31/03/2026" in page(c.get("/assessment?period=2026-Q1")).by_id("report-heading").text()
    # No period asked: the current quarter.
    assert field_value(page(c.get("/assessment")), "period") == "2026-Q2"


# ---- drill-down: the working equals the score ---------------------------------------

def test_the_unit_drill_down_works_out_the_score_in_the_table(scored, as_user):
    w = scored
    c = as_user("head_a")
    doc = page(c.get(f"/assessment?{Q2}"))
    row = unit_row(doc, w.a.id)
    link = figure(row, "score").find("a").attrs["href"]
    d = working(page(c.get(link)))
    assert (d.credit, d.weight) == (Decimal("3.625"), Decimal(5))
    assert d.credit / d.weight * 100 == d.score == score_of(row) == Decimal("72.5")
    # The fallen-due tasks listed, each with its credit: they add up to Σ credit.
    assert set(d.tasks) == {w.on_time.id, w.late.id, w.overdue.id}
    assert sum(Decimal(a["data-credit"]) for a in d.tasks.values()) == d.credit
    assert {t: a["data-outcome"] for t, a in d.tasks.items()} == {
        w.on_time.id: "on_time", w.late.id: "late", w.overdue.id: "overdue"}


@pytest.mark.parametrize("key, expected", [
    ("tasks", None), ("fallen_due", "due"), ("on_time", "on_time"), ("late", "late"),
    ("overdue", "overdue"), ("within", "within"), ("extensions", "extended"),
    ("additions", "added")])
def test_every_figure_opens_the_tasks_it_counts(scored, as_user, key, expected):
    c = as_user("assessor")
    row = unit_row(page(c.get(f"/assessment?{Q2}")), scored.a.id)
    cell = figure(row, key)
    link = cell.find("a")
    assert link is not None, key
    assert (f"outcome={expected}" in link.attrs["href"]) if expected else "outcome=" not in link.attrs["href"]
    listed = page(c.get(link.attrs["href"])).by_id("drill-tasks")
    assert int(listed.attrs["data-total"]) == int(cell.text())


def test_the_leader_drill_down_equals_the_leaders_score(scored, as_user):
    w = scored
    c = as_user("assessor")
    doc = page(c.get(f"/assessment?{Q2}"))
    for leader in (w.head, w.deputy):
        row = find(doc, "tr", data_leader_id=str(leader.id))
        d = working(page(c.get(figure(row, "score").find("a").attrs["href"])))
        assert (d.credit / d.weight * 100).quantize(Decimal("0.01")) == d.score == score_of(row)
    d = working(page(c.get(f"/assessment/leader/{w.deputy.id}?{Q2}&outcome=due")))
    assert set(d.tasks) == {w.on_time.id, w.overdue.id}


def test_the_leader_drill_down_names_the_unit_not_its_code(scored, as_user):
    """Issue 17: "Cấp phó · SNV" reads "Cấp phó · Sở Nội vụ"."""
    w = scored
    doc = page(as_user("assessor").get(f"/assessment/leader/{w.deputy.id}?{Q2}"))
    unit = doc.by_id("drill-unit")
    assert unit.text() == "Sở Nội vụ" and unit.attrs["data-unit-code"] == "SNV"
    # and each task's lead unit in the table, by name too
    cells = [c for c in doc.by_id("drill-tasks").iter() if "data-unit-code" in c.attrs]
    assert cells and all(c.text() == "Sở Nội vụ" for c in cells if c.attrs["data-unit-code"] == "SNV")


def test_a_set_with_nothing_fallen_due_is_not_rated(world, as_user):
    issue_world_plans(world)
    d = page(as_user("assessor").get(f"/assessment/unit/{world.a.id}?{Q2}"))
    assert d.by_id("score-formula").attrs["data-score"] == ""


def test_drill_downs_outside_the_scope_are_not_found(scored, as_user):
    w = scored
    head, deputy = as_user("head_a"), None
    assert head.get(f"/assessment/unit/{w.b.id}?{Q2}").status_code == 404
    assert head.get(f"/assessment/leader/{w.deputy_b.id}?{Q2}").status_code == 404
    assert head.get(f"/assessment/leader/{w.staff.id}?{Q2}").status_code == 404
    deputy = as_user("deputy_a")
    assert deputy.get(f"/assessment/leader/{w.head.id}?{Q2}").status_code == 404
    assert deputy.get(f"/assessment/leader/{w.deputy.id}?{Q2}").status_code == 200
    assert deputy.get(f"/assessment/unit/{w.a.id}?{Q2}&outcome=bogus").status_code == 404


def test_the_drill_down_is_paginated(scored, as_user, app, monkeypatch):
    override_settings(monkeypatch, app, PAGE_SIZE=2)
    c = as_user("assessor")
    first = page(c.get(f"/assessment/unit/{scored.a.id}?{Q2}"))
    second = page(c.get(f"/assessment/unit/{scored.a.id}?{Q2}&page=2"))
    ids = set(working(first).tasks) | set(working(second).tasks)
    assert len(working(first).tasks) == 2
    # Two pages of two: four different tasks of the seven in unit A's period.
    assert len(ids) == 4
    # The working is of the whole set, whatever the page.
    assert working(second).score == Decimal("72.5")


def test_a_unit_with_sub_units_shows_both_lines_apart(drafted, as_user, make):
    w = drafted
    sub = make.unit("Phòng Tổ chức cán bộ", parent=w.a, code="SNV-TCCB")
    t = make.task(w.plan, w.head, sub, make.user(sub), w.deputy, title="Nhiệm vụ của phòng",
                  due_on=date(2026, 6, 5), weight=Decimal(5))
    set_task(t.id, status=Lifecycle.COMPLETED, completed_on=date(2026, 6, 5))
    issue_world_plans(w)
    c = as_user("head_a")
    doc = page(c.get(f"/assessment?{Q2}"))
    own, together = unit_row(doc, w.a.id), unit_row(doc, w.a.id, "subtree")
    assert score_of(own) == Decimal("72.5")          # never replaced
    assert score_of(together) == Decimal("86.25")   # (3.625 + 5) / 10
    assert figure(together, "tasks").text() == str(int(figure(own, "tasks").text()) + 1)
    d = working(page(c.get(figure(together, "score").find("a").attrs["href"])))
    assert d.score == Decimal("86.25") and t.id in d.tasks
    assert unit_row(doc, sub.id).find("td", cls="depth-1") is not None


# ---- frozen runs ------------------------------------------------------------------

def test_freezing_keeps_a_version_that_later_edits_never_change(scored, as_user):
    w = scored
    c = as_user("assessor")
    resp = c.post("/assessment/freeze", data={"period": "2026-Q2", "as_of": "15/06/2026", "unit": ""})
    assert resp.status_code == 302
    run1 = db.session.scalar(select(AssessmentRun).where(AssessmentRun.period == "2026-Q2"))
    assert run1.version == 1 and run1.scope_key == "all" and run1.created_by_id == w.assessor.id
    assert resp.headers["Location"].endswith(f"/assessment/runs/{run1.id}")
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "assessment.freeze"))
    doc = page(c.get(f"/assessment/runs/{run1.id}"))
    assert doc.by_id("frozen-badge").attrs["data-run-version"] == "1"
    assert score_of(unit_row(doc, w.a.id)) == Decimal("72.5")

    # The head amends the overdue task through its form (weight 1 -> 3, with a reason: the
    # plan is issued) ...
    head = as_user("head_a")
    data = task_form_data(w.overdue.id) | {"weight": "3",
                                           "amendment_reason": "Khối lượng công việc tăng"}
    assert head.post(f"/tasks/{w.overdue.id}/edit", data=data).status_code == 302
    # ... and it is completed late, on 12/06.
    set_task(w.overdue.id, status=Lifecycle.COMPLETED, completed_on=date(2026, 6, 12))
    c = as_user("assessor")
    live = page(c.get(f"/assessment?{Q2}"))
    assert score_of(unit_row(live, w.a.id)) == Decimal("83.93")   # (3.625 + 2.25) / 7
    frozen = page(c.get(f"/assessment/runs/{run1.id}"))
    assert score_of(unit_row(frozen, w.a.id)) == Decimal("72.5")
    d = working(page(c.get(f"/assessment/runs/{run1.id}/unit/{w.a.id}?outcome=due")))
    assert d.score == Decimal("72.5") and d.weight == Decimal(5)
    assert d.tasks[w.overdue.id]["data-outcome"] == "overdue"
    assert Decimal(d.tasks[w.overdue.id]["data-weight"]) == Decimal(1)

    resp = c.post("/assessment/freeze", data={"period": "2026-Q2", "as_of": "15/06/2026", "unit": ""})
    run2 = db.session.scalar(select(AssessmentRun).where(AssessmentRun.version == 2))
    assert resp.headers["Location"].endswith(f"/assessment/runs/{run2.id}")
    doc2 = page(c.get(f"/assessment/runs/{run2.id}"))
    assert score_of(unit_row(doc2, w.a.id)) == Decimal("83.93")
    assert find(doc2, "a", data_version="1").attrs["href"] == f"/assessment/runs/{run1.id}"
    assert score_of(unit_row(page(c.get(f"/assessment/runs/{run1.id}")), w.a.id)) == Decimal("72.5")
    runs = page(c.get("/assessment/runs")).by_id("run-table")
    assert [r.attrs["data-version"] for r in runs.find_all("tr") if "data-run-id" in r.attrs] == ["2", "1"]


@pytest.mark.parametrize("username", ["admin", "head_a", "deputy_a", "staff_a"])
def test_only_the_assessor_may_freeze(world, as_user, username):
    resp = as_user(username).post("/assessment/freeze", data={"period": "2026-Q2", "as_of": "",
                                                               "unit": ""})
    assert resp.status_code == 403
    assert db.session.scalar(select(AssessmentRun.id)) is None


@pytest.mark.parametrize("data", [{"period": "2026-Q9", "as_of": ""},
                                  {"period": "2026-Q2", "as_of": "20/06/2026"},
                                  {"period": "2026-Q2", "as_of": "xx"},
                                  {"period": "2026-Q2", "as_of": "", "unit": "999999"},
                                  # beyond 32 bits: PostgreSQL would raise on the lookup
                                  {"period": "2026-Q2", "as_of": "", "unit": "9" * 40},
                                  {"period": "2026-Q2", "as_of": "", "unit": "-5"}])
def test_a_bad_freeze_freezes_nothing_and_says_why(world, as_user, data):
    c = as_user("assessor")
    resp = c.post("/assessment/freeze", data=data)
    assert resp.status_code == 302
    assert db.session.scalar(select(AssessmentRun.id)) is None
    alerts = page(c.get(resp.headers["Location"])).find_all(cls="alert-danger")
    assert alerts and tr("Nothing was frozen: %(reason)s", reason="")[:10] in alerts[0].text()


def test_a_head_reads_their_part_of_a_run_and_no_other(scored, as_user):
    w = scored
    c = as_user("assessor")
    c.post("/assessment/freeze", data={"period": "2026-Q2", "as_of": "", "unit": ""})
    c.post("/assessment/freeze", data={"period": "2026-Q2", "as_of": "", "unit": str(w.b.id)})
    everyone, only_b = (db.session.scalar(select(AssessmentRun.id).where(AssessmentRun.scope_key == k))
                        for k in ("all", "SKHCN"))
    head = as_user("head_a")
    listed = page(head.get("/assessment/runs")).by_id("run-table")
    assert {int(r.attrs["data-run-id"]) for r in listed.find_all("tr") if "data-run-id" in r.attrs} == {everyone}
    doc = page(head.get(f"/assessment/runs/{everyone}"))
    assert shown_units(doc) == {w.a.id}
    assert shown_leaders(doc) == {w.head.id, w.deputy.id}
    assert head.get(f"/assessment/runs/{only_b}").status_code == 404
    assert head.get(f"/assessment/runs/{everyone}/unit/{w.b.id}").status_code == 404
    # The head's download of the run holds only their subtree's tasks.
    csv = head.get(f"/assessment/runs/{everyone}/export/tasks.csv").get_data(as_text=True)
    assert "Nhiệm vụ của Sở Khoa học" not in csv and "Ban hành quy chế làm việc" in csv
    deputy = page(as_user("deputy_a").get(f"/assessment/runs/{everyone}"))
    assert shown_units(deputy) == {w.a.id} and shown_leaders(deputy) == {w.deputy.id}
    assert as_user("staff_a").get(f"/assessment/runs/{everyone}").status_code == 403


# ---- charts ---------------------------------------------------------------------

def svgs(html: str) -> dict:
    out = {}
    for markup in SVG.findall(html):
        root = ET.fromstring(markup)   # well-formed XML, or this raises
        if root.get("class") == "chart":
            out[root.get("id")] = root
    return out


NS = "{http://www.w3.org/2000/svg}"


def test_the_charts_are_valid_svg_a_head_reads_at_a_glance(drafted, as_user, make):
    w = drafted
    sub = make.unit("Phòng Tổ chức cán bộ", parent=w.a, code="SNV-TCCB")
    t = make.task(w.plan, w.head, sub, make.user(sub), w.deputy, title="Nhiệm vụ của phòng",
                  due_on=date(2026, 2, 10), weight=Decimal(1))
    set_task(t.id, status=Lifecycle.COMPLETED, completed_on=date(2026, 2, 9))
    issue_world_plans(w)
    html = as_user("head_a").get(f"/assessment?{Q2}").get_data(as_text=True)
    found = svgs(html)
    assert set(found) == {"chart-rates", "chart-mix", "chart-trend"}
    # Rates: highest completion rate first.
    rows = found["chart-rates"].findall(f".//{NS}g[@class='chart-row']")
    labels = ["".join(r.find(f".//{NS}text").itertext()) for r in rows]
    assert labels == ["Sở Nội vụ"]     # the sub-unit has nothing fallen due in Q2
    # Mix: unit A's four parts (on time, late, overdue, within) in the tooltip.
    mix = found["chart-mix"].find(f".//{NS}g[@class='chart-row']/{NS}a/{NS}title")
    assert "1" in mix.text and mix.text.startswith("Sở Nội vụ")
    # Trend: twelve months, one point for each month with tasks fallen due.
    trend = found["chart-trend"]
    assert len([x for x in trend.iter(f"{NS}text") if re.fullmatch(r"T\d+", x.text or "")]) == 12
    points = {p.find(f"{NS}title").text for p in trend.iter(f"{NS}g") if p.get("class") == "chart-point"}
    assert points == {"T5: 90,63", "T6: 0"}   # May: 3.625 of 4; June: the overdue task
    # CSP: no inline style, no inline script anywhere on the page.
    assert " style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_the_months_add_up_to_the_period(scored, app):
    """Every month is judged as of the page's date: the months of a quarter together give
    the quarter's own figures."""
    from app.assessment import browse
    from app.assessment.service import live
    from app.domain.scoring import ScoringSettings, parse_period

    s, as_of = ScoringSettings(), date(2026, 6, 15)
    months = dict(browse.monthly_trend(browse.live_unit_tasks(scored.a), 2026, as_of, s,
                                       today=as_of))
    quarter = browse.add_tallies(months[m] for m in (4, 5, 6) if months[m])
    unit = next(r for r in live(parse_period("2026-Q2"), as_of, s, today=as_of).units
                if r.key == scored.a.id)
    assert (quarter.credit, quarter.weight_due, quarter.score) == (
        unit.tally.credit, unit.tally.weight_due, Decimal("72.5"))
    assert months[5].score == Decimal("90.63") and months[6].score == Decimal(0)
    assert months[1] is None


def test_chart_text_is_escaped():
    evil = '<script>alert("x")</script> & Co'
    markup = charts.rate_bars("c1", [charts.RateItem(evil, Decimal(50), Decimal(25), "/a?b=1&c=2")],
                              "T<itle>", "done", "on time", "none")
    root = ET.fromstring(markup)
    assert "<script>" not in markup
    assert root.find(f"{NS}title").text == "T<itle>"
    assert root.find(f".//{NS}a").get("href") == "/a?b=1&c=2"
    mix = ET.fromstring(charts.mix_bars("c2", [charts.MixItem(evil, (1, 2, 3, 4))], "t",
                                        ["a", "b", "c", "d"], "none"))
    assert evil in "".join(mix.itertext())
    line = ET.fromstring(charts.trend_line("c3", [("T1", None), ("T2", Decimal(80)), ("T3", None)],
                                           "t", [(Decimal(90), "x&y")], "none"))
    assert len(list(line.iter(f"{NS}circle"))) == 1
    empty = ET.fromstring(charts.trend_line("c4", [("T1", None)], "t", [], "nothing <yet>"))
    assert "nothing <yet>" in "".join(empty.itertext())


def test_rate_bars_are_sorted_from_the_highest_completion_rate():
    items = [charts.RateItem(n, Decimal(c), Decimal(o)) for n, c, o in
             [("B", 50, 50), ("A", 90, 10), ("C", 90, 80), ("D", 0, 0)]]
    root = ET.fromstring(charts.rate_bars("c", items, "t", "x", "y", "none"))
    names = [r.find(f"{NS}text").text for r in root.iter(f"{NS}g")]
    assert names == ["C", "A", "B", "D"]


# ---- print and downloads ------------------------------------------------------------

def test_the_printable_report_has_the_tables_and_charts(scored, as_user):
    w = scored
    c = as_user("assessor")
    resp = c.get(f"/assessment/print?{Q2}")
    assert resp.status_code == 200
    doc = page(resp)
    assert doc.by_id("print-report") is not None
    assert doc.by_id("unit-table") and doc.by_id("leader-table")
    assert score_of(unit_row(doc, w.a.id)) == Decimal("72.5")
    assert {"chart-rates", "chart-mix", "chart-trend"} <= set(svgs(resp.get_data(as_text=True)))
    assert doc.find("form", id="assessment-filter") is None
    # The period as the exports and an official name it, never its code.
    body = resp.get_data(as_text=True)
    assert "Quý II năm 2026" in body and "Kỳ 2026-Q2" not in body
    css = c.get("/static/css/app.css")
    text = css.get_data(as_text=True)
    css.close()
    assert re.search(r"@media print\s*\{[^}]*@page\s*\{\s*size:\s*A4 landscape", text)


def test_downloads_are_attachments_that_are_never_cached(scored, as_user):
    c = as_user("assessor")
    resp = c.get(f"/assessment/export.xlsx?{Q2}")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    # the file name says what is in it (issue 17): the period and the day the figures stand at
    assert resp.headers["Content-Disposition"] == 'attachment; filename="danh-gia-2026-Q2-tinh-den-15-06-2026.xlsx"'
    wb = load_workbook(BytesIO(resp.get_data()))
    assert wb.sheetnames == ["Đơn vị", "Lãnh đạo", "Nhiệm vụ"]
    values = [v for row in wb["Đơn vị"].iter_rows(values_only=True) for v in row]
    assert "SNV" in values and Decimal(str(values[values.index("SNV") + 9])) == Decimal("72.5")
    for table, first in (("units", "STT"), ("leaders", "STT"), ("tasks", "STT")):
        resp = c.get(f"/assessment/export/{table}.csv?{Q2}")
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["Content-Disposition"].startswith("attachment;")
        body = resp.get_data()
        # every field quoted (issue 18)
        assert body.startswith("\ufeff".encode()) and body.decode("utf-8-sig").startswith(f'"{first}"')
    assert c.get(f"/assessment/export/bogus.csv?{Q2}").status_code == 404


def test_a_heads_live_download_holds_their_subtree_only(scored, as_user):
    csv = as_user("head_a").get(f"/assessment/export/tasks.csv?{Q2}").get_data().decode("utf-8-sig")
    assert "Ban hành quy chế làm việc" in csv and "Nhiệm vụ của Sở Khoa học" not in csv


# ---- the reader's own score first --------------------------------------------------------

def test_a_head_reads_their_own_score_first_in_the_vietnamese_number_style(scored, as_user):
    w = scored
    doc = page(as_user("head_a").get(f"/assessment?{Q2}"))
    card = doc.by_id("my-score")
    assert card is not None and card.attrs["data-leader-id"] == str(w.head.id)
    score = find(card, "span", data_figure="score")
    assert score.attrs["data-value"] == "72.50" and score.text().strip() == "72,5"
    assert find(card, "span", data_grade="good").text() == "Hoàn thành tốt nhiệm vụ"
    assert tr("%(due)s tasks have fallen due: %(on_time)s completed on time, %(late)s completed "
              "late, %(overdue)s overdue and not completed.", due=3, on_time=1, late=1,
              overdue=1) in card.text()
    # The button opens the very tasks behind the score, whose working gives it again.
    href = card.find("a", id="my-score-tasks").attrs["href"]
    assert href.startswith(f"/assessment/leader/{w.head.id}?")
    drill = working(page(as_user("head_a").get(href)))
    assert drill.score == Decimal("72.50") and drill.credit / drill.weight * 100 == Decimal("72.5")
    assert set(drill.tasks) == {w.on_time.id, w.late.id, w.overdue.id}
    # The tables print scores the same way.
    head = find(doc, "tr", data_leader_id=str(w.head.id))
    assert figure(head, "score").text().strip() == "72,5"
    deputy = find(doc, "tr", data_leader_id=str(w.deputy.id))
    assert figure(deputy, "score").text().strip() == "71,43"


def test_a_deputy_with_nothing_fallen_due_reads_not_rated(scored, as_user, make):
    make.user(scored.a, "deputy", "Hoàng Văn Rảnh", "deputy_idle")
    doc = page(as_user("deputy_idle").get(f"/assessment?{Q2}"))
    card = doc.by_id("my-score")
    assert find(card, "span", data_figure="score").attrs["data-value"] == ""
    assert find(card, "span", data_grade="not_rated").text() == "Chưa đánh giá"
    assert card.find("a", id="my-score-tasks") is None


@pytest.mark.parametrize("who", ["assessor", "admin"])
def test_readers_without_a_score_of_their_own_see_no_score_card(scored, as_user, who):
    doc = page(as_user(who).get(f"/assessment?{Q2}"))
    assert doc.by_id("my-score") is None
    assert doc.by_id("chart-trend") is not None


def test_a_submission_awaiting_confirmation_counts_once_confirmed_from_its_submission_date(
        scored, as_user):
    # DESIGN.md 5 counts completed tasks; the completion date is the submission date of the
    # confirmed submission (section 4). Until the leader confirms, a task submitted on time
    # but past its due date is overdue in the score; the drill-down says it awaits confirmation.
    from app.models import User
    from app.tasks import commands as tasks

    w = scored
    set_task(w.overdue.id, status=Lifecycle.SUBMITTED, submitted_on=date(2026, 5, 30), progress=100)
    href = f"/assessment/leader/{w.deputy.id}?{Q2}"
    doc = page(as_user("deputy_a").get(href))
    row = find(doc.by_id("drill-tasks"), "tr", data_task_id=str(w.overdue.id))
    assert row.attrs["data-outcome"] == "overdue"
    assert find(row, "span", data_awaiting_confirmation="") is not None
    assert working(doc).score == Decimal("71.43")                  # 2.5 / 3.5
    # The task page calls it within deadline: the reviewer's delay is not the task's.
    task_page = page(as_user("deputy_a").get(f"/tasks/{w.overdue.id}"))
    assert task_page.find("span", **{"data-timeliness": "within"}) is not None

    tasks.confirm_task(db.session.get(User, w.deputy.id), w.overdue.id, "Đạt yêu cầu.")
    db.session.commit()
    doc = page(as_user("deputy_a").get(href))
    row = find(doc.by_id("drill-tasks"), "tr", data_task_id=str(w.overdue.id))
    assert row.attrs["data-outcome"] == "on_time"
    assert find(row, "span", data_awaiting_confirmation="") is None
    assert working(doc).score == Decimal("100.00")


# ---- units in tree order, leaders with their unit's name ---------------------------------

def test_units_are_listed_as_a_tree_in_official_order(scored, as_user):
    from tests import unit_tree

    w = scored
    made = unit_tree.build(parent=w.province)
    code_of = {str(u.id): code for code, u in made.items()}
    assert max(u.id for u in made.values()) >= 10   # "/10/" sorts before "/9/" as text
    expected = list(unit_tree.EXPECTED)
    c = as_user("assessor")

    def table_order(doc):
        rows = [r for r in doc.by_id("unit-table").find_all("tr") if "data-unit-id" in r.attrs]
        return [(code_of[r.attrs["data-unit-id"]], r.attrs["data-row"]) for r in rows
                if r.attrs["data-unit-id"] in code_of]

    # each unit with sub-units has its subtotal line right below its own line
    with_subtotals = [("T", "own"), ("T", "subtree")] + [
        x for code in expected[1:] for x in ([(code, "own"), (code, "subtree")] if code == "T-SNV"
                                             else [(code, "own")])]
    doc = page(c.get(f"/assessment?{Q2}"))
    assert table_order(doc) == with_subtotals
    name = unit_row(doc, made["T-SNV-CCHC"].id).find("td", cls="unit-name")
    assert "depth-3" in name.classes   # under the province, "T" and "Sở Nội vụ"
    options = [o.attrs["value"] for o in doc.find("select", name="unit").find_all("option")]
    assert [code_of[v] for v in options if v in code_of] == expected
    assert table_order(page(c.get(f"/assessment/print?{Q2}"))) == with_subtotals
    # narrowed to the tree, and frozen: the same order
    doc = page(c.get(f"/assessment?{Q2}&unit={made['T'].id}"))
    assert table_order(doc) == with_subtotals
    resp = c.post("/assessment/freeze", data={"period": "2026-Q2", "as_of": "15/06/2026", "unit": ""})
    assert resp.status_code == 302
    assert table_order(page(c.get(resp.headers["Location"]))) == with_subtotals


def test_leader_tables_name_the_unit(scored, as_user, make):
    w = scored
    ward = make.unit("UBND Phường Buôn Ma Thuột", parent=w.province, code="24133")
    chair = make.user(ward, "head", "Y Thịnh Niê", "ct.bmt")
    c = as_user("assessor")
    for url in (f"/assessment?{Q2}", f"/assessment/print?{Q2}"):
        doc = page(c.get(url))
        cell = find(find(doc, "tr", data_leader_id=str(chair.id)), "td", data_unit_code="24133")
        assert cell.text() == "UBND Phường Buôn Ma Thuột"
        cell = find(find(doc, "tr", data_leader_id=str(w.head.id)), "td", data_unit_code="SNV")
        assert cell.text() == "Sở Nội vụ"
    resp = c.post("/assessment/freeze", data={"period": "2026-Q2", "as_of": "15/06/2026", "unit": ""})
    doc = page(c.get(resp.headers["Location"]))
    cell = find(find(doc, "tr", data_leader_id=str(chair.id)), "td", data_unit_code="24133")
    assert cell.text() == "UBND Phường Buôn Ma Thuột"
    # the leaders follow the units' order: Sở Khoa học's, Sở Nội vụ's, then the ward's (by name)
    leaders = [int(r.attrs["data-leader-id"]) for r in doc.find_all("tr") if "data-leader-id" in r.attrs]
    assert leaders.index(w.head_b.id) < leaders.index(w.head.id) < leaders.index(chair.id)


def test_work_a_deputy_adds_after_issue_is_listed_beside_the_score(scored, as_user):
    """A deputy adds a weight-1 task to the issued plan through the form (bổ sung), her staff
    submit it and the head confirms it: the unit's line and hers show 2 additions (with
    `scored`'s one), the drill-down marks the task, and so does a frozen run; a task in the
    plan before issue is not an addition."""
    from web_support import new_task_data

    from app.models import User
    from app.tasks import commands as tasks
    from tests.conftest import TODAY, submit_with_evidence

    w = scored
    data = new_task_data(w.a.id, w.staff.id, w.deputy.id, title="Báo cáo nhanh tình hình tuần",
                         start_on="01/06/2026", due_on="15/06/2026",
                         **{"steps-0-due_on": "15/06/2026", "steps-1-due_on": "15/06/2026"})
    resp = as_user("deputy_a").post(f"/plans/{w.plan.id}/tasks/new", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    added = db.session.scalar(select(Task).where(Task.title == "Báo cáo nhanh tình hình tuần"))
    assert added.added_after_issue and not db.session.get(Task, w.on_time.id).added_after_issue
    submit_with_evidence(w.staff, added.id, "Đã xong", TODAY)
    tasks.confirm_task(db.session.get(User, w.head.id), added.id, "Đồng ý")
    db.session.commit()
    c = as_user("assessor")
    doc = page(c.get(f"/assessment?{Q2}"))
    assert figure(unit_row(doc, w.a.id), "additions").text() == "2"
    assert figure(find(doc, "tr", data_leader_id=str(w.deputy.id)), "additions").text() == "2"
    assert figure(unit_row(doc, w.b.id), "additions").text() == "0"
    d = page(c.get(f"/assessment/leader/{w.deputy.id}?{Q2}"))
    assert d.by_id("beside-score").attrs["data-additions"] == "2"
    marks = {int(r.attrs["data-task-id"]): next(c.attrs["data-added"] for c in r.find_all("td")
                                                 if "data-added" in c.attrs)
             for r in d.by_id("drill-tasks").find_all("tr") if "data-task-id" in r.attrs}
    assert (marks[added.id], marks[w.overdue.id], marks[w.on_time.id]) == ("1", "1", "0")
    assert c.post("/assessment/freeze", data={"period": "2026-Q2", "as_of": "15/06/2026",
                                              "unit": ""}).status_code == 302
    run = db.session.scalar(select(AssessmentRun).where(AssessmentRun.period == "2026-Q2"))
    frozen = page(c.get(f"/assessment/runs/{run.id}"))
    assert figure(unit_row(frozen, w.a.id), "additions").text() == "2"
    only = page(c.get(f"/assessment/runs/{run.id}/unit/{w.a.id}?outcome=added"))
    listed = [int(r.attrs["data-task-id"]) for r in only.by_id("drill-tasks").find_all("tr")
              if "data-task-id" in r.attrs]
    assert sorted(listed) == sorted([added.id, w.overdue.id])
