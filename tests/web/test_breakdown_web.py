"""Breaking a plan down through the pages (issue 5): the lower unit's plan lists the tasks a
higher plan gave it, with a button to add sub-tasks under each; a sub-task due after its
parent is refused beside the due date with what was typed kept; the higher unit sees the
roll-up on its plan and on the task."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from web_support import count, field_errors, field_value, new_task_data, parse

from app.extensions import db
from app.models import Task
from app.tasks import commands as tasks
from tests.conftest import TODAY


@pytest.fixture
def province(world, make):
    """The province's 2026 CCHC plan with one task led by Sở Nội vụ (unit A), due 31/08/2026."""
    plan = make.plan(world.province, title="Kế hoạch CCHC năm 2026 của UBND tỉnh")
    head_p = make.user(world.province, "head", "Chủ Tịch Tỉnh", "head_p")
    parent = make.task(plan, head_p, world.a, world.staff, world.head,
                       title="Triển khai bộ chỉ số đánh giá tại các sở", due_on=date(2026, 8, 31))
    return plan, parent, head_p


def child_data(world, **kw) -> dict:
    """The create form of a clear sub-task of the province's task, as the browser posts it."""
    values = {"title": "Áp dụng bộ chỉ số tại Sở Nội vụ", "start_on": "01/03/2026",
              "due_on": "31/07/2026"} | kw
    return new_task_data(world.a.id, world.staff.id, world.deputy.id, **values)


def test_the_lower_plan_lists_the_delegated_task_and_breaks_it_down(world, as_user, province):
    _plan, parent, _head_p = province
    c = as_user("head_a")
    doc = parse(c.get(f"/plans/{world.plan.id}").get_data(as_text=True))
    section = doc.by_id("delegated-tasks")
    assert doc.by_id("delegated").text() == "Nhiệm vụ được giao từ kế hoạch cấp trên"
    row = section.find("tr", **{"data-delegated-id": str(parent.id)})
    cells = [td.text() for td in row.find_all("td")]
    assert cells[0] == "1" and cells[1].startswith("Triển khai bộ chỉ số đánh giá tại các sở")
    assert "Kế hoạch CCHC năm 2026 của UBND tỉnh · UBND tỉnh Đắk Lắk" in cells[1]
    assert (cells[2], cells[3], cells[4]) == ("31/08/2026", "0", "0%")
    link = row.find("a", cls="btn")
    assert link.attrs["href"] == f"/plans/{world.plan.id}/tasks/new?parent={parent.id}"

    form = parse(c.get(link.attrs["href"]).get_data(as_text=True))
    assert "Triển khai bộ chỉ số đánh giá tại các sở" in form.find("p", cls="text-muted").text()
    assert field_value(form, "lead_unit_id") == str(world.a.id)

    resp = c.post(link.attrs["href"], data=child_data(world))
    assert resp.status_code == 302
    child = db.session.scalar(select(Task).where(Task.parent_id == parent.id))
    assert (child.plan_id, child.stt, child.owner_unit_id) == (world.plan.id, "3", world.a.id)
    assert resp.headers["Location"] == f"/tasks/{child.id}"

    doc = parse(c.get(f"/plans/{world.plan.id}").get_data(as_text=True))
    row = doc.find("tr", **{"data-delegated-id": str(parent.id)})
    assert row.find_all("td")[3].text() == "1"                      # one sub-task now
    mine = doc.find("tr", **{"data-task-id": str(child.id)})
    note = mine.find(cls="breaks-down")
    assert note.text() == ("Chia nhỏ nhiệm vụ 1. Triển khai bộ chỉ số đánh giá tại các sở "
                           "của kế hoạch cấp trên")
    assert note.find("a").attrs["href"] == f"/tasks/{parent.id}"


def test_a_sub_task_due_after_the_parent_is_refused_beside_the_due_date(world, as_user, province):
    _plan, parent, _head_p = province
    c = as_user("head_a")
    before = count(Task)
    resp = c.post(f"/plans/{world.plan.id}/tasks/new?parent={parent.id}",
                  data=child_data(world, due_on="30/09/2026"))
    assert resp.status_code == 422
    doc = parse(resp.get_data(as_text=True))
    assert field_errors(doc, "due_on") == [
        "Hạn hoàn thành của nhiệm vụ con không được sau hạn của nhiệm vụ cha (31/08/2026)."]
    # What was typed is kept.
    assert field_value(doc, "due_on") == "30/09/2026"
    assert field_value(doc, "title") == "Áp dụng bộ chỉ số tại Sở Nội vụ"
    assert field_value(doc, "steps-0-title") == "Thống kê thủ tục hành chính"
    assert count(Task) == before


def test_the_higher_unit_sees_the_roll_up(world, make, as_user, province):
    plan, parent, _head_p = province
    a = make.task(world.plan, world.head, world.a, world.staff, world.deputy, parent=parent,
                  title="Áp dụng bộ chỉ số tại Sở Nội vụ", due_on=date(2026, 7, 31), weight=Decimal(3))
    make.task(world.plan, world.head, world.a, world.staff2, world.deputy, parent=parent,
              title="Báo cáo kết quả áp dụng bộ chỉ số", due_on=date(2026, 8, 31))
    tasks.record_progress(world.staff, a.id, 40, "Đã áp dụng thử", None, TODAY)
    db.session.commit()

    c = as_user("head_p")
    doc = parse(c.get(f"/plans/{plan.id}").get_data(as_text=True))
    row = doc.find("tr", **{"data-task-id": str(parent.id)})
    assert row.find(role="progressbar").attrs["aria-valuenow"] == "30"     # (3 x 40 + 0) / 4
    assert row.find(cls="broken-down").text() == (
        "Đơn vị chủ trì đã chia nhỏ thành 2 nhiệm vụ: tiến độ là bình quân theo trọng số của các "
        "nhiệm vụ đó")
    page = parse(c.get(f"/tasks/{parent.id}").get_data(as_text=True))
    subs = [(li.find("a").text(), li.find("span").text())
            for li in page.find_all("li", cls="list-group-item")
            if li.find("a") is not None and "/tasks/" in li.find("a").attrs.get("href", "")]
    assert subs == [("3. Áp dụng bộ chỉ số tại Sở Nội vụ", "Sở Nội vụ · Phạm Văn Đăng · 40%"),
                    ("4. Báo cáo kết quả áp dụng bộ chỉ số", "Sở Nội vụ · Ngô Thị Lan · 0%")]
    # The province head opens the unit's sub-task too.
    assert c.get(f"/tasks/{a.id}").status_code == 200


def test_reporting_progress_on_a_rolled_up_task_is_refused_with_a_message(world, make, as_user,
                                                                          province):
    _plan, parent, _head_p = province
    make.task(world.plan, world.head, world.a, world.staff, world.deputy, parent=parent,
              title="Áp dụng bộ chỉ số tại Sở Nội vụ", due_on=date(2026, 7, 31))
    c = as_user("staff_a")                                   # the parent's responsible person
    resp = c.post(f"/tasks/{parent.id}/progress", data={"percent": "90", "note": "Xong phần lớn"})
    assert resp.status_code == 422
    doc = parse(resp.get_data(as_text=True))
    assert field_errors(doc, "percent") == [
        ("Nhiệm vụ này đã được chia nhỏ trong kế hoạch của các đơn vị: tiến độ của nó là tiến độ "
         "bình quân theo trọng số của các nhiệm vụ đó.")]
    assert field_value(doc, "note") == "Xong phần lớn"
    assert db.session.get(Task, parent.id).progress == 0


def test_other_units_cannot_break_it_down(world, as_user, province):
    _plan, parent, _head_p = province
    c = as_user("head_b")
    doc = parse(c.get(f"/plans/{world.plan_b.id}").get_data(as_text=True))
    assert doc.by_id("delegated-tasks") is None
    before = count(Task)
    assert c.get(f"/plans/{world.plan_b.id}/tasks/new?parent={parent.id}").status_code == 404
    assert c.post(f"/plans/{world.plan_b.id}/tasks/new?parent={parent.id}",
                  data=new_task_data(world.b.id, world.staff_b.id, world.deputy_b.id)).status_code == 404
    # Staff of unit A see the delegated task but have no button to break it down.
    doc = parse(as_user("staff_a").get(f"/plans/{world.plan.id}").get_data(as_text=True))
    row = doc.find("tr", **{"data-delegated-id": str(parent.id)})
    assert row is not None and row.find("a", cls="btn") is None
    assert count(Task) == before
