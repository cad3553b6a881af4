"""The indicator set in the browser (issue 13): the assessor builds a set for the departments
and publishes it; the head of Sở Nội vụ scores a manual criterion with a PDF, sees the
automatic one she cannot type, and submits; the assessor asks for an explanation, which she
answers once with a PDF; the assessor changes her figure with a reason,
finalizes both units and publishes the results; the head reads the ranking and its XLSX
reads back with openpyxl."""

import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import EVIDENCE_PDF
from tests.e2e.helpers import shot


def departments(live):
    """SNV and SKHCN made departments, and unit B's sheet submitted once published (its
    head's clicks are the same as unit A's, shown below)."""
    from sqlalchemy import update

    from app.extensions import db
    from app.models import Unit

    def run():
        db.session.execute(update(Unit).where(Unit.code.in_(["SNV", "SKHCN"])).values(kind="department"))
        db.session.commit()
    live.query(run)


def submit_b(live, set_id):
    from sqlalchemy import select

    from app.clock import local_today
    from app.extensions import db
    from app.models import Criterion, QualitySheet, Unit, User
    from app.quality import commands
    from app.settings import current_settings
    from app.tasks.evidence import Upload

    def run():
        head = db.session.scalar(select(User).where(User.username == "head_b"))
        sheet = db.session.scalar(select(QualitySheet.id).join(Unit, Unit.id == QualitySheet.unit_id)
                                  .where(QualitySheet.set_id == set_id, Unit.code == "SKHCN"))
        leaf = db.session.scalar(select(Criterion.id).where(Criterion.set_id == set_id,
                                                            Criterion.code == "1.1"))
        commands.save_self_score(head, sheet, leaf, commands.SelfScoreInput(
            Decimal(38), "", [Upload("b.pdf", EVIDENCE_PDF)]), current_settings().files)
        commands.submit_sheet(head, sheet, local_today(), current_settings().scoring)
        db.session.commit()
        return sheet
    return live.query(run)


def add_row(page, code, title, points, method="manual", parent=None, evidence=False):
    if parent:
        page.select_option("#parent_id", label=parent)
    page.fill("#code", code)
    page.fill("#title", title)
    page.fill("#max_points", points)
    page.select_option("#method", method)
    if evidence:
        page.check("#is_evidence_required")
    page.locator("#criterion-add").click()
    expect(page.locator(f'#criteria tr[data-code="{code}"]')).to_be_visible()


@pytest.mark.e2e
def test_a_set_is_built_scored_appraised_and_published(open_page, live):
    departments(live)
    page = open_page("assessor")
    page.locator("#nav-quality").click()
    page.locator("#new-set").click()
    page.fill("#name", "Bộ chỉ số các sở, ban, ngành năm 2026")
    page.select_option("#unit_group", "department")
    page.locator("#set-save").click()
    expect(page.locator("#set-status")).to_have_attribute("data-status", "draft")
    set_id = int(re.search(r"/quality/(\d+)", page.url).group(1))
    add_row(page, "1", "Công tác chỉ đạo, điều hành", "40")
    add_row(page, "1.1", "Ban hành kế hoạch năm đúng hạn", "40", parent="1. Công tác chỉ đạo, điều hành",
            evidence=True)
    add_row(page, "2", "Kết quả thực hiện nhiệm vụ", "60")
    add_row(page, "2.1", "Nhiệm vụ UBND tỉnh giao", "60", method="tasks",
            parent="2. Kết quả thực hiện nhiệm vụ")
    shot(page, "60-quality-set")
    page.locator("#publish-set").click()
    expect(page.locator("#set-status")).to_have_attribute("data-status", "published")

    head = open_page("head_a")
    head.goto(f"{live.url}/quality/{set_id}")
    head.locator("#own-sheet").click()
    expect(head.locator('form.self-form[data-code="2.1"]')).to_have_count(0)   # automatic
    form = head.locator('form.self-form[data-code="1.1"]')
    form.locator("#s1_1-points").fill("35,5")
    form.locator("#s1_1-note").fill("Kế hoạch số 12/KH-SNV ngày 10/01/2026")
    form.locator("#s1_1-files").set_input_files(files=[
        {"name": "ke-hoach-nam.pdf", "mimeType": "application/pdf", "buffer": EVIDENCE_PDF}])
    form.locator("button[type=submit]").click()
    expect(head.locator('#scorecard tr[data-code="1.1"] [data-self]')).to_have_text("35,5")
    expect(head.locator("#scorecard")).to_contain_text("ke-hoach-nam.pdf")
    shot(head, "61-quality-sheet")
    head.locator("#sheet-submit").click()
    expect(head.locator("#sheet-status")).to_have_attribute("data-status", "submitted")
    sheet_a = head.url.split("#")[0]
    sheet_b = submit_b(live, set_id)

    # The appraiser asks for an explanation on 1.1; the head answers once, with a PDF;
    # finalizing waits for the answer.
    page.goto(sheet_a)
    page.locator("#ask-form summary").click()
    page.select_option("#criterion_id", label="1.1. Ban hành kế hoạch năm đúng hạn")
    page.fill("#question", "Đề nghị cung cấp văn bản ban hành kế hoạch")
    page.fill("#due_on", "20/06/2026")
    page.locator("#ask-save").click()
    expect(page.locator("#explanations [data-status]")).to_have_attribute("data-status", "awaiting")
    expect(page.locator("#explanation-badge")).to_be_visible()
    head.goto(sheet_a)
    answer = head.locator("form.answer-form")
    answer.locator("textarea").fill("Kế hoạch ban hành ngày 15/01/2026, gửi kèm văn bản")
    answer.locator("input[type=file]").set_input_files(files=[
        {"name": "giai-trinh.pdf", "mimeType": "application/pdf", "buffer": EVIDENCE_PDF}])
    answer.locator("button[type=submit]").click()
    expect(head.locator("#explanations [data-status]")).to_have_attribute("data-status", "answered")
    expect(head.locator("form.answer-form")).to_have_count(0)              # answered once
    shot(head, "63-quality-explanation")

    page.goto(sheet_a)
    expect(page.locator("#explanations")).to_contain_text("giai-trinh.pdf")
    form = page.locator('form.appraise-form[data-code="1.1"]')
    form.locator("#a1_1-points").fill("30")
    form.locator("button[type=submit]").click()                       # no reason: refused
    expect(page.locator(".invalid-feedback")).to_be_visible()
    expect(page.locator("#a1_1-points")).to_have_value("30")
    page.locator("#a1_1-reason").fill("Kế hoạch ban hành chậm 5 ngày")
    page.locator('form.appraise-form[data-code="1.1"] button[type=submit]').click()
    expect(page.locator('#scorecard tr[data-code="1.1"] [data-appraised]')).to_have_text("30")
    page.locator("#sheet-finalize").click()
    expect(page.locator("#sheet-status")).to_have_attribute("data-status", "appraised")
    page.goto(f"{live.url}/quality/sheets/{sheet_b}")
    page.locator("#sheet-finalize").click()
    page.goto(f"{live.url}/quality/{set_id}")
    page.fill("#decision_no", "15/QĐ-UBND")
    page.fill("#decision_on", "15/06/2026")
    page.locator("#publish-results").click()
    expect(page.locator("#ranking")).to_be_visible()

    head.goto(f"{live.url}/quality/{set_id}/ranking")
    expect(head.locator('#ranking tr[data-unit="SNV"]')).to_have_attribute("data-rank", "2")
    expect(head.locator('#ranking tr[data-unit="SKHCN"]')).to_have_attribute("data-rank", "1")
    shot(head, "62-quality-ranking")
    with head.expect_download() as info:
        head.locator("#ranking-xlsx").click()
    with open(info.value.path(), "rb") as fh:
        rows = list(load_workbook(fh).active.iter_rows(values_only=True))
    header = rows.index(("STT", "Đơn vị", "Điểm tự chấm", "Điểm thẩm định", "Xếp hạng", "Xếp loại"))
    assert [r[1] for r in rows[header + 1:]] == ["Sở Khoa học và Công nghệ", "Sở Nội vụ"]
