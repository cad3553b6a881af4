"""Journey 5: the head brings the plan the unit already keeps in Excel — uploads it, reads the
preview (what will be added, the six-clears badges, what is not clear), is refused a broken
file with every error by row and column, confirms, and finds the tasks in the plan."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db
from app.models import Task
from tests.e2e.helpers import assert_no_horizontal_overflow, shot
from tests.plan_files import HEADERS, build, clear_row, real_plan, row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def tasks_of(live, plan_id: int) -> int:
    return live.query(lambda: db.session.scalar(select(func.count(Task.id))
                                                .where(Task.plan_id == plan_id)))


def choose(page, name: str, data: bytes) -> None:
    page.set_input_files("input[type=file]", files=[{"name": name, "mimeType": XLSX, "buffer": data}])


@pytest.mark.e2e
def test_head_uploads_a_plan_previews_it_and_confirms(open_page, live):
    ids = live.ids
    page = open_page("head_a")
    page.goto(f"{live.url}/plans/{ids.digital}")
    page.get_by_role("link", name=live.tr("Import from Excel")).click()
    expect(page).to_have_url(re.compile(rf"/plans/{ids.digital}/import$"))
    expect(page.locator("h1")).to_have_text(live.tr("Import from Excel"))

    # A broken file: refused with every error by row and column; nothing saved.
    broken = build([["DANH MỤC NHIỆM VỤ"], HEADERS, clear_row(1, due="31/02/2026"),
                    clear_row(1, title="Tập huấn nghiệp vụ cải cách hành chính")])
    choose(page, "loi.xlsx", broken)
    page.locator("#upload-import").click()
    page.wait_for_load_state()
    errors = page.locator("#import-errors li")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_have_text("Dòng 3, cột Hạn hoàn thành: 31/02/2026 không phải là ngày hợp lệ")
    expect(errors.nth(1)).to_have_text("Dòng 4, cột STT: số thứ tự 1 đã có ở dòng 3")
    expect(page.locator("#confirm-import")).to_have_count(0)
    assert tasks_of(live, ids.digital) == 0
    shot(page, "20-import-errors")

    # The real file: the preview says what will happen, row by row.
    data, exp = real_plan()
    choose(page, "ke-hoach-cchc-2026.xlsx", data)
    page.locator("#upload-import").click()
    page.wait_for_load_state()
    rows = page.locator("#import-rows tbody tr")
    expect(rows).to_have_count(8)
    expect(page.locator("#import-rows tbody tr td:nth-child(2)")).to_have_text(exp["stts"])
    expect(page.locator("#import-rows tr[data-action='add']")).to_have_count(8)
    for i in range(8):
        expect(rows.nth(i).locator(".six-clears .badge")).to_have_count(6)
    vague = page.locator("#import-rows tr[data-stt='II.1']")
    expect(vague.locator(".badge[data-clear='person']")).to_have_attribute("data-ok", "0")
    expect(vague).to_contain_text("Tăng cường công tác cải cách hành chính")
    summary = page.locator("#import-summary")
    expect(summary.locator("[data-count=added]")).to_have_text(live.tr("%(num)s task will be added", plural="%(num)s tasks will be added", num=8))
    expect(summary.locator(".new-field")).to_have_count(3)
    assert_no_horizontal_overflow(page)
    shot(page, "21-import-preview")
    assert tasks_of(live, ids.digital) == 0

    page.locator("#confirm-import").click()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(rf"/plans/{ids.digital}$"))
    expect(page.locator(".alert-success")).to_contain_text(
        live.tr("The file has been imported: %(added)s tasks added, %(changed)s changed, "
                "%(same)s unchanged.", added=8, changed=0, same=0))
    expect(page.locator(".alert-warning.alert-dismissible")).to_be_visible()   # the flash
    expect(page.locator("tbody tr[data-task-id]")).to_have_count(8)
    # The imported rows, in the plan's order, with their numbers and titles.
    expect(page.locator("tbody tr[data-task-id] td:first-child")).to_have_text(exp["stts"])
    expect(page.locator("tbody tr[data-task-id] .task-title a")).to_have_text(exp["titles"])
    expect(page.locator("#clear-count")).to_have_text(
        live.tr("%(clear)s of %(total)s tasks fully clear", clear=6, total=8))
    assert tasks_of(live, ids.digital) == 8
    shot(page, "22-import-done")

    # The same file again: nothing to add, nothing changed.
    page.get_by_role("link", name=live.tr("Import from Excel")).click()
    choose(page, "ke-hoach-cchc-2026.xlsx", data)
    page.locator("#upload-import").click()
    page.wait_for_load_state()
    expect(page.locator("#import-rows tr[data-action='same']")).to_have_count(8)
    # Redirect after post (issue 17): the preview is a page of its own, read by GET.
    expect(page).to_have_url(re.compile(rf"/plans/{ids.digital}/import/[0-9a-f]{{32}}$"))
    page.locator("#confirm-import").click()
    page.wait_for_load_state()
    assert tasks_of(live, ids.digital) == 8
    # Back from the plan (issue 17): the preview's address, by GET, never "confirm form
    # resubmission"; its upload is imported, so it sends to the upload form.
    page.go_back()
    page.wait_for_load_state()
    assert page.url.endswith(f"/plans/{ids.digital}/import"), page.url
    expect(page.locator("#upload-import")).to_be_visible()
    expect(page.locator("#import-rows")).to_have_count(0)   # loaded afresh, no preview
    page.go_forward()
    page.wait_for_load_state()
    assert tasks_of(live, ids.digital) == 8

    # A file that only moves task I.1's due date (every other cell blank): the preview shows
    # that one change as old → new, and blank cells keep what is stored (issue 11).
    page.get_by_role("link", name=live.tr("Import from Excel")).click()
    choose(page, "han-moi.xlsx", build([HEADERS, row(stt="I.1", title=exp["titles"][0],
                                                     due=date(2026, 5, 31))]))
    page.locator("#upload-import").click()
    page.wait_for_load_state()
    changed = page.locator("#import-rows tr[data-stt='I.1'][data-action='change'] .import-changes li")
    expect(changed).to_have_count(1)
    expect(changed).to_have_text("Hạn hoàn thành: 30/04/2026 → 31/05/2026")
    shot(page, "21b-import-old-new")
    page.goto(f"{live.url}/plans/{ids.digital}")

    # The export downloads; the printable plan opens with its official header.
    with page.expect_download() as download:
        page.locator("#export-plan").click()
    assert download.value.suggested_filename == "ke-hoach-SNV-2026-digital.xlsx"
    page.locator("#print-plan").click()
    expect(page.locator("#letterhead")).to_contain_text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    expect(page.locator("#plan-table tbody tr")).to_have_count(8)
    shot(page, "23-plan-print")
    assert not page.errors, page.errors
