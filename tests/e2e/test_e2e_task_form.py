"""Journey 2: the head creates a task clear on all six through the form, builds its process
steps in the browser (add, reorder, remove), edits it and breaks it down into a sub-task.
Also the phone layout of the task page and the task form."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PHONE, assert_no_horizontal_overflow, shot

TITLE = "Triển khai phần mềm quản lý văn bản và hồ sơ công việc liên thông"


def step_titles(page) -> list[str]:
    return page.locator("#steps .step-row input[name$='-title']").evaluate_all(
        "els => els.map(e => e.value)")


def assert_steps_numbered(page) -> None:
    """After every move the names run steps-0-, steps-1-, ... and the shown numbers 1, 2, ..."""
    rows = page.locator("#steps .step-row")
    for i in range(rows.count()):
        row = rows.nth(i)
        expect(row.locator(".step-no")).to_have_text(str(i + 1))
        for suffix in ("id", "title", "due_on"):
            expect(row.locator(f"input[name='steps-{i}-{suffix}']")).to_have_count(1)


def fill_step(page, index: int, title: str, due: str) -> None:
    row = page.locator("#steps .step-row").nth(index)
    row.locator("input[name$='-title']").fill(title)
    row.locator("input[name$='-due_on']").fill(due)


def click_step(page, index: int, action: str) -> None:
    # The buttons work once app.js has run (end of body): a click before that does nothing.
    page.wait_for_load_state("domcontentloaded")
    page.locator("#steps .step-row").nth(index).locator(f"button.step-{action}").click()


@pytest.mark.e2e
def test_head_creates_task_with_steps_edits_and_breaks_it_down(open_page, live):
    ids = live.ids
    page = open_page("head_a")
    page.goto(f"{live.url}/plans/{ids.digital}")
    page.get_by_role("link", name=live.tr("Add task"), exact=True).click()
    expect(page).to_have_url(re.compile(rf"/plans/{ids.digital}/tasks/new$"))
    expect(page.locator("h1")).to_have_text(live.tr("New task"))

    # 2 · clear task, 1 · clear person, 3 · clear responsibility, 5 · clear deadline
    page.fill("#title", TITLE)
    page.fill("#description", "Đưa phần mềm vào sử dụng thống nhất tại các phòng, đơn vị thuộc Sở; "
                              "kết nối với trục liên thông văn bản quốc gia.")
    page.select_option("#lead_unit_id", str(ids.a))
    page.select_option("#assignee_id", str(ids.staff))
    page.select_option("#coordinator_ids", [str(ids.b)])
    page.select_option("#leader_id", str(ids.deputy))
    page.fill("#responsibility", "Chịu trách nhiệm trước Giám đốc Sở về tiến độ và chất lượng triển khai.")
    page.fill("#start_on", "01/02/2026")
    page.fill("#due_on", "30/09/2026")
    # 6 · clear result
    page.fill("#output_product", "Phần mềm vận hành chính thức, 100% văn bản đi đến được xử lý trên môi trường mạng")
    page.fill("#indicator_name", "Tỷ lệ văn bản xử lý trên môi trường mạng")
    page.fill("#indicator_unit", "%")
    page.fill("#indicator_target", "100")

    # 4 · clear process: one row to start with, then three added with "+ Add step".
    expect(page.locator("#steps .step-row")).to_have_count(1)
    fill_step(page, 0, "Triển khai chính thức tại các phòng", "30/09/2026")
    page.wait_for_load_state("domcontentloaded")
    add = page.get_by_role("button", name=re.compile(re.escape(live.tr("Add step"))))
    expect(add).to_have_text(re.compile(r"^\+"))
    for i, (title, due) in enumerate([("Khảo sát hiện trạng hạ tầng công nghệ thông tin", "28/02/2026"),
                                      ("Bước nhập nhầm, sẽ xóa", "15/03/2026"),
                                      ("Xây dựng phương án và lựa chọn nhà cung cấp", "30/04/2026")],
                                     start=1):
        add.click()
        expect(page.locator("#steps .step-row")).to_have_count(i + 1)
        new_title = page.locator(f"#steps .step-row >> nth={i} >> input[name$='-title']")
        expect(new_title).to_be_focused()
        expect(new_title).to_have_value("")
        fill_step(page, i, title, due)
    assert_steps_numbered(page)

    # Reorder with ↓ and ↑, then remove the mistaken step with ✕.
    click_step(page, 0, "down")
    click_step(page, 1, "down")
    click_step(page, 3, "up")
    assert step_titles(page) == ["Khảo sát hiện trạng hạ tầng công nghệ thông tin",
                                 "Bước nhập nhầm, sẽ xóa",
                                 "Xây dựng phương án và lựa chọn nhà cung cấp",
                                 "Triển khai chính thức tại các phòng"]
    assert_steps_numbered(page)
    click_step(page, 1, "remove")
    expected = ["Khảo sát hiện trạng hạ tầng công nghệ thông tin",
                "Xây dựng phương án và lựa chọn nhà cung cấp",
                "Triển khai chính thức tại các phòng"]
    assert step_titles(page) == expected
    assert_steps_numbered(page)
    # The dates moved with their steps.
    assert page.locator("#steps input[name$='-due_on']").evaluate_all(
        "els => els.map(e => e.value)") == ["28/02/2026", "30/04/2026", "30/09/2026"]
    shot(page, "05-task-form")

    page.get_by_role("button", name=live.tr("Save"), exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(live.tr("The task has been created."))
    expect(page).to_have_url(re.compile(r"/tasks/\d+$"))
    task_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("h1")).to_have_text(f"1. {TITLE}")
    expect(page.locator(".six-clears .badge[data-ok='1']")).to_have_count(6)
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "assigned")
    steps = page.locator("ol.list-group-numbered > li")
    expect(steps).to_have_count(3)
    for i, title in enumerate(expected):
        expect(steps.nth(i)).to_contain_text(title)
    expect(steps.nth(1)).to_contain_text("30/04/2026")
    main = page.locator("main")
    expect(main).to_contain_text("Sở Khoa học và Công nghệ")   # coordinating unit
    expect(main).to_contain_text("Lê Thị Mai")                 # accountable leader
    expect(main).to_contain_text("Phạm Văn Đăng")              # responsible person
    expect(main).to_contain_text("01/02/2026")

    from sqlalchemy import select

    from app.extensions import db
    from app.models import Task
    from app.models.task import ProcessStep

    def step_ids():
        rows = db.session.scalars(select(ProcessStep).where(ProcessStep.task_id == task_id)
                                  .order_by(ProcessStep.position)).all()
        return ({s.title: s.id for s in rows}, [s.title for s in rows],
                db.session.get(Task, task_id).is_clear)

    before, order, is_clear = live.query(step_ids)
    assert order == expected and is_clear

    # Edit: the form comes back filled; move the last step up and change the output product.
    page.get_by_role("link", name=live.tr("Edit"), exact=True).click()
    expect(page.locator("h1")).to_have_text(live.tr("Edit task"))
    expect(page.locator("#title")).to_have_value(TITLE)
    expect(page.locator("#due_on")).to_have_value("30/09/2026")
    assert step_titles(page) == expected
    click_step(page, 2, "up")
    assert_steps_numbered(page)
    page.fill("#output_product", "Phần mềm vận hành chính thức; báo cáo đánh giá sau triển khai")
    page.get_by_role("button", name=live.tr("Save"), exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(live.tr("The task has been saved."))
    edited = [expected[0], expected[2], expected[1]]
    for i, title in enumerate(edited):
        expect(steps.nth(i)).to_contain_text(title)
    expect(main).to_contain_text("báo cáo đánh giá sau triển khai")
    after, order, _ = live.query(step_ids)
    assert order == edited
    assert after == before, "the edit kept each step's identity (its done mark and history)"
    expect(page.locator("#history-list > li")).to_have_count(2)   # created, then updated

    # Break it down into a sub-task: lead unit and leader come from the parent.
    page.get_by_role("link", name=live.tr("Break down")).click()
    expect(page.locator("h1")).to_have_text(live.tr("New sub-task"))
    expect(page.locator("#lead_unit_id")).to_have_value(str(ids.a))
    expect(page.locator("#leader_id")).to_have_value(str(ids.deputy))
    page.fill("#title", "Tập huấn sử dụng phần mềm cho công chức các phòng")
    page.fill("#description", "Tổ chức 02 lớp tập huấn cho văn thư và chuyên viên.")
    page.select_option("#assignee_id", str(ids.staff2))
    page.fill("#responsibility", "Chuẩn bị tài liệu, tổ chức lớp và tổng hợp kết quả.")
    page.fill("#start_on", "01/05/2026")
    page.fill("#due_on", "31/07/2026")
    fill_step(page, 0, "Biên soạn tài liệu hướng dẫn", "31/05/2026")
    page.fill("#output_product", "Tài liệu hướng dẫn và danh sách học viên đã tập huấn")
    page.get_by_role("button", name=live.tr("Save"), exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(live.tr("The task has been created."))
    expect(page.locator("h1")).to_have_text("1.1. Tập huấn sử dụng phần mềm cho công chức các phòng")
    expect(page.locator(".six-clears .badge[data-ok='1']")).to_have_count(6)
    expect(page.locator(".breadcrumb")).to_contain_text(TITLE)
    page.locator(".breadcrumb").get_by_role("link", name=re.compile(re.escape(TITLE))).click()
    expect(page).to_have_url(re.compile(rf"/tasks/{task_id}$"))
    expect(page.locator("main")).to_contain_text("1.1. Tập huấn sử dụng phần mềm cho công chức các phòng")
    assert page.errors == []


@pytest.mark.e2e
def test_head_sees_form_errors_without_losing_input(open_page, live):
    page = open_page("head_a")
    page.goto(f"{live.url}/plans/{live.ids.digital}/tasks/new")
    page.fill("#description", "Mô tả đã nhập, không được mất.")
    page.fill("#due_on", "31/02/2026")
    page.get_by_role("button", name=live.tr("Save"), exact=True).click()
    expect(page.locator("#title ~ .invalid-feedback")).to_have_text(
        live.tr("Enter the task's title."))
    expect(page.locator("#due_on ~ .invalid-feedback")).to_contain_text("31/02/2026")
    expect(page.locator("#description")).to_have_value("Mô tả đã nhập, không được mất.")
    assert page.errors == []


@pytest.mark.e2e
def test_a_weight_of_zero_is_refused_beside_the_field(open_page, live):
    # A weight of 0 would take an overdue task out of the score (DESIGN.md 5).
    page = open_page("head_a")
    page.goto(f"{live.url}/plans/{live.ids.digital}/tasks/new")
    page.fill("#title", "Nhiệm vụ có trọng số bằng 0")
    page.fill("#weight", "0")
    page.get_by_role("button", name=live.tr("Save"), exact=True).click()
    # Issue 11: one message for any weight outside the bounded range (default 0.1 to 10).
    expect(page.locator("#weight ~ .invalid-feedback")).to_have_text(
        live.tr("The weight must be between %(min)s and %(max)s.", min="0,1", max="10"))
    expect(page.locator("#weight")).to_have_value("0")
    expect(page.locator("#title")).to_have_value("Nhiệm vụ có trọng số bằng 0")
    assert page.errors == []


@pytest.mark.e2e
def test_phone_task_page_and_form_hold_their_layout(open_page, live):
    ids = live.ids
    page = open_page("head_a", viewport=PHONE)
    page.goto(f"{live.url}/tasks/{ids.report}")
    expect(page.locator(".six-clears .badge")).to_have_count(6)
    assert_no_horizontal_overflow(page)
    shot(page, "09-phone-task")

    page.goto(f"{live.url}/tasks/{ids.report}/edit")
    expect(page.locator("#steps .step-row")).to_have_count(3)
    assert_no_horizontal_overflow(page)
    page.locator("#add-step").click()
    expect(page.locator("#steps .step-row")).to_have_count(4)
    assert_no_horizontal_overflow(page)
    # The step buttons stay on screen and big enough to tap.
    for button in page.locator("#steps .step-row").first.locator("button").all():
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert box["height"] >= 30, box
    shot(page, "10-phone-task-form")
    assert page.errors == []
