"""The organisation in a browser (issue 17 §2): a coordinating unit chosen with the searchable
picker (served locally, no CDN, no CSP violation), its head finding the task under "Phối
hợp", naming a contact person and adding a note as coordinator; a deputy's fields on her
page; the audit browser in Vietnamese; merging a unit and its successor shown. Screenshots
40-46 in docs/screenshots/ when SAURO_SCREENSHOTS=1."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from tests.e2e.helpers import issue_seed_plans, shot


def _task_b(live) -> int:
    from app.models import Task

    return live.query(lambda: db.session.scalar(
        select(Task.id).where(Task.plan_id == live.ids.plan_b).order_by(Task.id)))


@pytest.mark.e2e
def test_a_coordinating_unit_is_chosen_by_search_and_takes_part(open_page, live):
    ids = live.ids
    issue_seed_plans(live)
    task_b = _task_b(live)

    # B's head picks Sở Nội vụ by typing without accents; B itself (the lead) is not offered.
    page = open_page("head_b")
    page.goto(f"{live.url}/tasks/{task_b}/edit")
    box = page.locator("#coordinator_ids-ts-control")
    expect(box).to_be_visible()
    box.fill("khoa hoc")
    expect(page.locator(".ts-dropdown .option", has_text="Sở Khoa học và Công nghệ")).to_have_count(0)
    box.fill("noi vu")
    option = page.locator(".ts-dropdown .option", has_text="Sở Nội vụ")
    expect(option).to_be_visible()
    shot(page, "40-task-form-coordinator-search")
    option.click()
    expect(page.locator(".ts-control .item", has_text="Sở Nội vụ")).to_be_visible()
    page.locator("#task-form button[type=submit]").last.click()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(rf"/tasks/{task_b}$"))
    assert page.errors == [], page.errors

    # A's head: told, finds it under "Phối hợp", names a contact person, writes a note.
    page = open_page("head_a")
    page.goto(f"{live.url}/notifications")
    expect(page.locator("main")).to_contain_text(live.tr("Your unit coordinates a task: %(title)s",
                                                         title="")[:20])
    page.goto(f"{live.url}/tasks/mine")
    page.locator("#mine-tabs [data-tab=coordinating]").click()
    page.wait_for_load_state()
    expect(page.locator(f"main a[href='/tasks/{task_b}']").first).to_be_visible()
    shot(page, "41-my-tasks-coordinating")
    page.locator(f"main a[href='/tasks/{task_b}']").first.click()
    page.wait_for_load_state()
    card = page.locator("#coordination")
    expect(card).to_be_visible()
    contacts = page.locator(f"#u{ids.a}-user_ids-ts-control")
    contacts.fill("dang")
    page.locator(".ts-dropdown .option", has_text="Phạm Văn Đăng").click()
    card.locator(".contacts-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(f"#coordination [data-coordinator='{ids.a}']")).to_contain_text("Phạm Văn Đăng")
    page.fill("#coordinator-note", "Sở Nội vụ đã gửi số liệu biên chế năm 2026 để tổng hợp.")
    page.locator("#coordinator-note-form button[type=submit]").click()
    page.wait_for_load_state()
    history = page.locator("#history-list")
    expect(history).to_contain_text(live.tr("added a note as coordinator"))
    expect(history.locator(".coordinator-badge").last).to_contain_text("Sở Nội vụ")
    # a coordinator sees no form that changes the task
    expect(page.get_by_role("link", name=live.tr("Edit"))).to_have_count(0)
    expect(page.locator("form[action$='/progress']")).to_have_count(0)
    shot(page, "42-task-coordinator")
    assert page.errors == [], page.errors

    # the named contact person sees it too
    page = open_page("staff_a")
    page.goto(f"{live.url}/tasks/mine?coord=1&status=all")
    expect(page.locator(f"main a[href='/tasks/{task_b}']").first).to_be_visible()


@pytest.mark.e2e
def test_org_pages_deputy_fields_audit_and_merge(open_page, live):
    from app.models import Field, Unit, User
    from app.org import people

    ids = live.ids

    def fields():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        made = [Field(unit_id=None, name=n, name_sort=n.lower()) for n in
                ("Cải cách thủ tục hành chính", "Chuyển đổi số", "Tổ chức bộ máy")]
        db.session.add_all(made)
        db.session.commit()
        people.set_fields(admin, ids.deputy, [made[0].id, made[1].id])
        db.session.commit()
    live.query(fields)

    # the deputy's page: her fields, editable by the head of her unit
    page = open_page("head_a")
    page.goto(f"{live.url}/people/{ids.deputy}")
    expect(page.locator("main")).to_contain_text("Chuyển đổi số")
    shot(page, "43-person-deputy-fields")

    # a unit merged into B, its successor shown
    def extra_unit():
        from app.directory import units
        units.add_unit("STTTT", "Sở Thông tin và Truyền thông", "P66", "department")
        db.session.commit()
        return db.session.scalar(select(Unit.id).where(Unit.code == "STTTT"))
    old = live.query(extra_unit)
    page = open_page("admin")
    page.goto(f"{live.url}/admin/units/{old}")
    merge = page.locator("#merge")
    expect(merge).to_be_visible()
    merge.locator("select").select_option(str(ids.b))
    merge.locator("input[type=checkbox]").check()
    shot(page, "45-unit-merge")
    merge.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{live.url}/admin/units/{old}")
    expect(page.locator("main")).to_contain_text("Sở Khoa học và Công nghệ")

    # the audit browser: actions, columns and values in Vietnamese (the admin's changes)
    admin_id = live.query(lambda: db.session.scalar(select(User.id).where(User.username == "admin")))
    page.goto(f"{live.url}/audit?person={admin_id}")
    main = page.locator("main")
    expect(main).to_contain_text(live.tr("merged the unit"))
    expect(main).to_contain_text(live.tr("changed the fields of responsibility"))
    text = main.inner_text()
    for code in ("unit.merge", "user.fields", "successor_id", "is_active", "sub_units"):
        assert code not in text, code
    shot(page, "44-audit-browser")
    assert page.errors == [], page.errors
