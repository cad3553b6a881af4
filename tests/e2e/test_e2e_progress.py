"""Journeys 3 and 4: staff report progress with evidence and submit; the accountable deputy
confirms one submission (completion date = submission date) and returns another."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.conftest import TODAY
from tests.e2e.helpers import shot

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
PDF_NAME = "Báo cáo tiến độ quý II.pdf"
NOTE = "Đã công khai 45 thủ tục; đang rà soát nhóm thủ tục lĩnh vực thi đua, khen thưởng."


def task_row(live, task_id):
    from app.extensions import db
    from app.models import Task

    def read():
        t = db.session.get(Task, task_id)
        return t.status, t.progress, t.indicator_actual, t.submitted_on, t.completed_on
    return live.query(read)


@pytest.mark.e2e
def test_staff_reports_progress_with_evidence_and_submits(open_page, live):
    ids = live.ids
    page = open_page("staff_a")
    page.get_by_role("link", name=live.tr("My tasks"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/tasks/mine$"))
    expect(page.locator("h1")).to_have_text(live.tr("My tasks"))
    rows = page.locator("#task-table tbody tr[data-task-id]")
    # staff_a is responsible for four tasks of the seeded plan (the sub-task included).
    expect(rows).to_have_count(4)
    expect(page.locator("#task-table")).not_to_contain_text("Ngô Thị Lan")
    shot(page, "07-my-tasks")

    page.locator(f"tr[data-task-id='{ids.report}'] a").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{ids.report}$"))
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "assigned")
    # At 0 % the bar is empty: its label stands beside it.
    expect(page.locator(".app-progress-out").first).to_have_text("0%")
    expect(page.locator(".app-progress-out").first).to_be_visible()

    # Nothing done, no file: submitting is refused beside the form, the note kept, and
    # a refused progress report does not copy its note into the submission (or back).
    submit = page.locator("#submit-form")
    submit.locator("textarea[name=submit-note]").fill("Xong rồi.")
    submit.get_by_role("button", name=live.tr("Submit for confirmation")).click()
    submit = page.locator("#submit-form")
    expect(submit.locator(".invalid-feedback")).to_have_text(live.tr(
        "Attach at least one evidence file (the product or a report on the work done) before "
        "submitting."))
    expect(submit.locator("textarea[name=submit-note]")).to_have_value("Xong rồi.")
    expect(page.locator("#progress-form textarea[name=note]")).to_have_value("")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "assigned")
    form = page.locator("#progress-form")
    form.locator("input[name=percent]").fill("50.5")
    form.locator("textarea[name=note]").fill(NOTE)
    form.get_by_role("button", name=live.tr("Save progress")).click()
    expect(page.locator("#progress-form .invalid-feedback")).to_have_text(
        live.tr("Enter the progress as a whole number from 0 to 100."))
    expect(page.locator("#progress-form textarea[name=note]")).to_have_value(NOTE)
    expect(page.locator("#submit-form textarea[name=submit-note]")).to_have_value("")

    form = page.locator("#progress-form")
    form.locator("input[name=percent]").fill("60")
    form.locator("textarea[name=note]").fill(NOTE)
    form.locator("input[name=actual_value]").fill("45")
    form.locator("input[type=file]").set_input_files(
        files=[{"name": PDF_NAME, "mimeType": "application/pdf", "buffer": PDF}])
    form.get_by_role("button", name=live.tr("Save progress")).click()

    expect(page.locator(".alert-success")).to_contain_text(live.tr("Progress has been recorded."))
    expect(page).to_have_url(re.compile(r"#progress$"))
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "in_progress")
    report = page.locator("#progress ~ div.border").first
    expect(report).to_contain_text("60%")
    expect(report).to_contain_text("Phạm Văn Đăng")
    expect(report).to_contain_text(NOTE)
    expect(report).to_contain_text("45")
    evidence = report.get_by_role("link", name=re.compile(re.escape(PDF_NAME)))
    expect(evidence).to_be_visible()
    expect(page.locator("main")).to_contain_text("45 / 120 thủ tục")   # the indicator
    expect(page.locator(".progress-bar").first).to_have_text("60%")

    # The evidence downloads under its Vietnamese name, byte for byte.
    with page.expect_download() as info:
        evidence.click()
    download = info.value
    assert download.suggested_filename == PDF_NAME
    with open(download.path(), "rb") as fh:
        assert fh.read() == PDF

    # Tick the first process step.
    first_step = page.locator("ol.list-group-numbered > li").first
    expect(first_step).to_contain_text("Rà soát danh mục thủ tục hành chính")
    first_step.get_by_role("button", name=live.tr("Mark done")).click()
    expect(page).to_have_url(re.compile(r"#steps$"))
    first_step = page.locator("ol.list-group-numbered > li").first
    expect(first_step.locator("button")).to_have_attribute("aria-pressed", "true")
    expect(first_step.locator(".text-decoration-line-through")).to_contain_text(
        "Rà soát danh mục thủ tục hành chính")
    expect(page.locator("ol.list-group-numbered > li").nth(1).locator("button")).to_have_attribute(
        "aria-pressed", "false")

    # Submit for confirmation.
    submit = page.locator("#submit-form")
    submit.locator("textarea[name=submit-note]").fill("Đề nghị lãnh đạo xác nhận hoàn thành.")
    submit.get_by_role("button", name=live.tr("Submit for confirmation")).click()
    expect(page.locator(".alert-success")).to_contain_text(
        live.tr("The task has been submitted for confirmation."))
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "submitted")
    expect(page.locator("#progress-form")).to_have_count(0)     # nothing more to report now
    history = page.locator("#history-list > li")
    actions = ["created the task", "reported progress", "attached evidence",
               "ticked a process step", "submitted for confirmation"]
    expect(history).to_have_count(len(actions))
    for i, action in enumerate(actions):
        expect(history.nth(i)).to_contain_text(live.tr(action))
    expect(history.nth(1)).to_contain_text(NOTE)
    expect(history.last).to_contain_text("Phạm Văn Đăng")
    expect(history.last).to_contain_text("Đề nghị lãnh đạo xác nhận hoàn thành.")
    shot(page, "06-task-progress-history")

    status, progress, actual, submitted_on, completed_on = task_row(live, ids.report)
    assert (status, progress, int(actual), submitted_on, completed_on) == (
        "submitted", 60, 45, TODAY, None)
    assert page.errors == []


@pytest.mark.e2e
def test_deputy_confirms_one_submission_and_returns_another(open_page, live):
    ids = live.ids
    page = open_page("deputy_a")
    main = page.locator("main")
    expect(main).to_contain_text(live.tr("Tasks I am accountable for, by timeliness"))
    expect(main).to_contain_text(live.tr("Awaiting my confirmation"))
    expect(main).to_contain_text("Tổ chức hội nghị tập huấn nghiệp vụ cải cách hành chính")
    expect(main).to_contain_text("Khảo sát mức độ hài lòng của người dân, tổ chức")
    shot(page, "11-dashboard-deputy")

    # Confirm: completed, dated the day it was submitted (10/06), not today (15/06).
    main.get_by_role("link", name="Tổ chức hội nghị tập huấn nghiệp vụ cải cách hành chính").first.click()
    expect(page).to_have_url(re.compile(rf"/tasks/{ids.confirm}$"))
    review = page.locator("#review-form")
    expect(page.locator("main")).to_contain_text(live.tr("Submitted on %(date)s.", date="10/06/2026"))
    # what the work comes with, beside the buttons
    expect(page.locator("#review-evidence a")).to_have_text(["Báo cáo kết quả hội nghị tập huấn.pdf"])
    # and the note the responsible person wrote when submitting (issue 17)
    expect(page.locator("#submission-note")).to_have_text("Đề nghị lãnh đạo xác nhận hoàn thành.")
    shot(page, "17-review-with-note")
    review.locator("textarea[name=comment]").fill("Đồng ý, kết quả đạt yêu cầu.")
    review.get_by_role("button", name=live.tr("Confirm completion")).click()
    expect(page.locator(".alert-success")).to_contain_text(live.tr("Completion has been confirmed."))
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "completed")
    expect(page.locator("[data-timeliness]")).to_have_attribute("data-timeliness", "done_on_time")
    expect(page.locator("main")).to_contain_text(live.tr("Completed on %(date)s", date="10/06/2026"))
    expect(page.locator("#review-form")).to_have_count(0)
    expect(page.locator("#history-list > li").last).to_contain_text("Đồng ý, kết quả đạt yêu cầu.")
    shot(page, "12-task-confirmed")
    status, progress, _, _, completed_on = task_row(live, ids.confirm)
    assert (status, progress, completed_on) == ("completed", 100, date(2026, 6, 10))

    # Return the other one: a reason is required, and the person sees it.
    page.goto(f"{live.url}/tasks/{ids.give_back}")
    review = page.locator("#review-form")
    review.get_by_role("button", name=live.tr("Return for rework")).click()
    expect(page.locator("#review-form .invalid-feedback")).to_have_text(
        live.tr("Say why the task is returned."))
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "submitted")
    comment = "Báo cáo chưa có số liệu khảo sát theo từng xã; bổ sung và nộp lại."
    page.locator("#review-form textarea[name=comment]").fill(comment)
    page.locator("#review-form").get_by_role("button", name=live.tr("Return for rework")).click()
    expect(page.locator(".alert-success")).to_contain_text(live.tr("The task has been returned for rework."))
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "returned")
    expect(page.locator("#history-list > li").last).to_contain_text(comment)
    status, _, _, submitted_on, completed_on = task_row(live, ids.give_back)
    assert (status, submitted_on, completed_on) == ("returned", None, None)
    assert page.errors == []

    # The responsible person sees the comment and can report again.
    staff = open_page("staff_a2")
    staff.goto(f"{live.url}/tasks/{ids.give_back}")
    expect(staff.locator("#history-list")).to_contain_text(comment)
    # Issue 17: the reason stands at the top of the page, in an alert.
    expect(staff.locator("#returned-reason")).to_contain_text(comment)
    expect(staff.locator("#progress-form")).to_be_visible()
    shot(staff, "16-task-returned-reason")
