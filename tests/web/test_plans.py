"""Plan journeys: create, edit, the plan page with its six-clears badges, and issuing,
refused while any task is unclear."""

import re
from urllib.parse import urlsplit

from sqlalchemy import select
from web_support import field_errors, field_value, page, row, task_form_data, tr

from app.extensions import db
from app.models import AuditLog, Plan, Task


def badges_by_task(doc) -> dict[int, list[str]]:
    """{task id: [data-ok of each six-clears badge]} for each row of the plan table."""
    out = {}
    for tr_ in doc.find_all("tr"):
        if "data-task-id" in tr_.attrs:
            out[int(tr_.attrs["data-task-id"])] = [n.attrs["data-ok"] for n in tr_.iter()
                                                   if "data-clear" in n.attrs]
    return out


def test_plan_page_shows_six_badges_per_task_and_the_clear_count(sw):
    w, c = sw.w, sw.cached("deputy")
    resp = c.get(f"/plans/{w.plan.id}")
    assert resp.status_code == 200
    doc = page(resp)
    badges = badges_by_task(doc)
    assert set(badges) == {w.task.id, w.task2.id}
    assert all(v == ["1"] * 6 for v in badges.values())
    assert doc.by_id("clear-count").text() == tr("%(clear)s of %(total)s tasks fully clear",
                                                 clear=2, total=2)
    text = doc.text()
    assert "30/06/2026" in text and "2026-06-30" not in text


def test_unclear_task_shows_red_badges_with_reasons(sw):
    w, head = sw.w, sw.cached("head")
    data = task_form_data(w.task2.id)
    data.update(output_product="", responsibility="")
    assert head.post(f"/tasks/{w.task2.id}/edit", data=data).status_code == 302
    assert row(Task, w.task2.id)["is_clear"] is False
    doc = page(head.get(f"/plans/{w.plan.id}"))
    badges = badges_by_task(doc)
    assert badges[w.task.id] == ["1"] * 6
    assert badges[w.task2.id].count("0") == 2 and len(badges[w.task2.id]) == 6
    assert doc.by_id("clear-count").text() == tr("%(clear)s of %(total)s tasks fully clear",
                                                 clear=1, total=2)
    failing = [n for n in doc.iter() if n.attrs.get("data-ok") == "0"]
    assert any("Chưa có sản phẩm đầu ra" in n.attrs.get("title", "") for n in failing)


def test_create_plan_and_refuse_a_duplicate(sw):
    w, head = sw.w, sw.cached("head")
    doc = page(head.get("/plans/new"))
    assert field_value(doc, "year") == "2026" and field_value(doc, "unit_id") == str(w.a.id)
    data = {"unit_id": str(w.a.id), "year": "2026", "kind": "digital",
            "title": "Kế hoạch chuyển đổi số năm 2026", "doc_number": "15/KH-SNV",
            "doc_date": "20/01/2026"}
    resp = head.post("/plans/new", data=data)
    assert resp.status_code == 302
    plan_id = int(re.fullmatch(r"/plans/(\d+)", urlsplit(resp.headers["Location"]).path).group(1))
    p = row(Plan, plan_id)
    assert (p["status"], p["kind"], p["year"], p["doc_number"], str(p["doc_date"])) == (
        "draft", "digital", 2026, "15/KH-SNV", "2026-01-20")
    view = page(head.get(f"/plans/{plan_id}"))
    assert "15/KH-SNV" in view.text() and "20/01/2026" in view.text()
    n_plans = db.session.query(Plan).count()
    resp = head.post("/plans/new", data=data)
    assert resp.status_code == 422
    doc = page(resp)
    assert field_errors(doc, "kind") == [
        tr("This unit already has a plan of this kind for %(year)s.", year=2026)]
    assert field_value(doc, "title") == "Kế hoạch chuyển đổi số năm 2026"
    assert field_value(doc, "doc_date") == "20/01/2026"
    assert db.session.query(Plan).count() == n_plans


def test_head_creates_a_plan_for_a_sub_unit_but_not_for_another_unit(sw):
    w, head = sw.w, sw.cached("head")
    doc = page(head.get("/plans/new"))
    offered = {o.attrs["value"] for o in doc.find("select", name="unit_id").find_all("option")}
    assert str(w.a1.id) in offered and str(w.b.id) not in offered
    resp = head.post("/plans/new", data={"unit_id": str(w.a1.id), "year": "2027", "kind": "work",
                                         "title": "Kế hoạch công tác năm 2027"})
    assert resp.status_code == 302
    resp = head.post("/plans/new", data={"unit_id": str(w.b.id), "year": "2027", "kind": "work",
                                         "title": "Kế hoạch công tác năm 2027"})
    assert resp.status_code == 403


def test_edit_plan(sw):
    w, head = sw.w, sw.cached("head")
    doc = page(head.get(f"/plans/{w.plan.id}/edit"))
    assert field_value(doc, "title") == "Kế hoạch CCHC năm 2026"
    resp = head.post(f"/plans/{w.plan.id}/edit", data={
        "title": "Kế hoạch cải cách hành chính năm 2026", "doc_number": "01/KH-SNV",
        "doc_date": "18/01/2026"})
    assert resp.status_code == 302
    text = page(head.get(f"/plans/{w.plan.id}")).text()
    assert "Kế hoạch cải cách hành chính năm 2026" in text and "18/01/2026" in text
    log = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "plan",
                                                           AuditLog.object_id == w.plan.id)).all()
    assert "plan.update" in log


def test_issue_refused_while_a_task_is_unclear_then_issued(sw):
    w, head = sw.w, sw.cached("head")
    # a generic, unassigned line as plans used to have
    resp = head.post(f"/plans/{w.plan.id}/tasks/new", data={
        "title": "Tăng cường công tác cải cách hành chính", "steps-0-title": ""})
    assert resp.status_code == 302
    vague = int(urlsplit(resp.headers["Location"]).path.rsplit("/", 1)[1])
    # The draft's page lists what keeps it from being issued, before anyone tries.
    listed = page(head.get(f"/plans/{w.plan.id}")).by_id("unclear-list")
    assert listed is not None and "Tăng cường công tác cải cách hành chính" in listed.text()
    assert "Chưa có người thực hiện" in listed.text() and "Xây dựng bộ chỉ số" not in listed.text()
    audit_before = db.session.query(AuditLog).count()
    resp = head.post(f"/plans/{w.plan.id}/issue")
    # Post/Redirect/Get: the refusal is the plan page, which a reload does not resend.
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/plans/{w.plan.id}#unclear-list"
    doc = page(head.get(resp.headers["Location"]))
    listed = doc.by_id("unclear-list")
    assert listed is not None
    assert "Tăng cường công tác cải cách hành chính" in listed.text()
    assert "Chưa có người thực hiện" in listed.text() and "Chưa có bước thực hiện nào" in listed.text()
    assert "Xây dựng bộ chỉ số" not in listed.text()
    assert [li.attrs["data-task-id"] for li in listed.find_all("li") if "data-task-id" in li.attrs] == [
        str(vague)]
    assert tr("The plan cannot be issued: %(num)s task is not clear on all six.",
              plural="The plan cannot be issued: %(num)s tasks are not clear on all six.", num=1) in doc.text()
    # The address of the form, opened in the address bar, is a clear 405, not "not allowed".
    resp = head.get(f"/plans/{w.plan.id}/issue")
    assert resp.status_code == 405 and "POST" in resp.headers["Allow"]
    text = page(resp).text()
    assert tr("Not allowed") not in text
    assert tr("This address is not opened this way") in text
    assert row(Plan, w.plan.id)["status"] == "draft"
    assert db.session.query(AuditLog).filter(AuditLog.action == "plan.issue").count() == 0
    assert db.session.query(AuditLog).count() == audit_before

    # make it clear through the edit form, then issue
    data = task_form_data(vague)
    data.update({
        "title": "Rà soát, đánh giá thủ tục hành chính lĩnh vực nội vụ",
        "description": "Rà soát toàn bộ 85 thủ tục hành chính.",
        "lead_unit_id": str(w.a.id), "assignee_id": str(w.staff.id), "leader_id": str(w.head.id),
        "responsibility": "Chịu trách nhiệm về kết quả rà soát.",
        "steps-0-title": "Lập danh mục thủ tục", "steps-0-due_on": "31/03/2026",
        "start_on": "01/02/2026", "due_on": "30/06/2026",
        "output_product": "Báo cáo kết quả rà soát"})
    assert head.post(f"/tasks/{vague}/edit", data=data).status_code == 302
    doc = page(head.get(f"/plans/{w.plan.id}"))
    assert doc.by_id("clear-count").text() == tr("%(clear)s of %(total)s tasks fully clear",
                                                 clear=3, total=3)
    resp = head.post(f"/plans/{w.plan.id}/issue")
    assert resp.status_code == 302
    p = row(Plan, w.plan.id)
    assert p["status"] == "issued" and p["issued_by_id"] == w.head.id
    doc = page(head.get(f"/plans/{w.plan.id}"))
    assert doc.by_id("issue-plan") is None and doc.by_id("unclear-list") is None
    assert tr("The plan has been issued.") in doc.text()
    # issuing twice is refused with a message, and changes nothing
    resp = head.post(f"/plans/{w.plan.id}/issue")
    assert resp.status_code in (302, 400, 422)
    if resp.status_code == 302:
        assert tr("Only a draft plan can be issued.") in page(head.get(resp.headers["Location"])).text()
    assert db.session.query(AuditLog).filter(AuditLog.action == "plan.issue").count() == 1


def test_empty_plan_cannot_be_issued(sw):
    w, head = sw.w, sw.cached("head")
    resp = head.post(f"/plans/{w.plan_a1.id}/issue")
    assert resp.status_code in (302, 400, 422)
    if resp.status_code == 302:
        assert tr("A plan without tasks cannot be issued.") in page(
            head.get(resp.headers["Location"])).text()
    assert row(Plan, w.plan_a1.id)["status"] == "draft"


def test_plans_list_shows_counts_and_only_readable_plans(sw):
    w = sw.w
    doc = page(sw.cached("staff").get("/plans"))
    text = doc.text()
    assert "Kế hoạch CCHC năm 2026" in text
    assert "Phòng CCHC" not in text  # a sub-unit's plan is not the staff member's
    links = {a.attrs["href"] for a in doc.find_all("a")}
    assert f"/plans/{w.plan.id}" in links and f"/plans/{w.plan_b.id}" not in links
    doc = page(sw.cached("assessor").get("/plans"))
    links = {a.attrs["href"] for a in doc.find_all("a")}
    assert {f"/plans/{w.plan.id}", f"/plans/{w.plan_b.id}", f"/plans/{w.plan_a1.id}"} <= links
