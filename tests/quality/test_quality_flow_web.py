"""The sheet's workflow through its pages: the assessor opens the entry window (bad dates
shown beside their field), staff save drafts the head sees and approves, the cut-off
closes the sheet to the unit, the explanation round with a PDF, the history of a figure."""

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

from sqlalchemy import select

from app.extensions import db
from app.models import IndicatorSet, QualityExplanation, QualityScore
from app.quality import commands, flow
from app.settings import current_settings
from app.tasks.evidence import Upload
from tests.conftest import EVIDENCE_PDF, TODAY
from tests.quality.conftest import sheet_of

D = Decimal


def html(resp) -> str:
    return resp.get_data(as_text=True)


def publish(w):
    commands.publish_set(w.assessor, w.set.id)
    db.session.commit()


def test_the_assessor_opens_the_window_and_bad_dates_are_shown_beside_their_field(qworld, as_user):
    w = qworld
    publish(w)
    c = as_user("assessor")
    assert 'id="window-form"' in html(c.get(f"/quality/{w.set.id}"))
    resp = c.post(f"/quality/{w.set.id}/window", data={"opens_on": "20/06/2026",
                                                       "closes_on": "10/06/2026"})
    assert resp.status_code == 422
    page = html(resp)
    assert "The cut-off cannot be before the first day." in page or "Ngày khóa sổ không được" in page
    assert 'value="10/06/2026"' in page
    resp = c.post(f"/quality/{w.set.id}/window", data={"opens_on": "01/06/2026",
                                                       "closes_on": "30/06/2026"})
    assert resp.status_code == 302
    s = db.session.get(IndicatorSet, w.set.id)
    assert (s.entry_opens_on, s.entry_closes_on) == (date(2026, 6, 1), date(2026, 6, 30))
    assert 'data-window="open"' in html(c.get(f"/quality/{w.set.id}"))


def test_after_the_cut_off_the_sheet_is_closed_to_the_unit_with_a_clear_message(qworld, as_user):
    w = qworld
    publish(w)
    flow.set_window(w.assessor, w.set.id, flow.WindowInput(date(2026, 6, 1), date(2026, 6, 10)),
                    date(2026, 6, 1))
    db.session.commit()
    sheet = sheet_of(w, w.a)
    c = as_user("head_a")
    page = html(c.get(f"/quality/sheets/{sheet.id}"))
    assert 'data-window="closed"' in page and 'class="self-form"' not in page
    assert 'id="sheet-submit"' not in page
    resp = c.post(f"/quality/sheets/{sheet.id}/criteria/{w.c['1.2'].id}/self",
                  data={"s1_2-points": "15", "s1_2-note": "Muộn"})
    assert resp.status_code == 422
    assert "10/06/2026" in html(resp)
    resp = c.post(f"/quality/sheets/{sheet.id}/submit", follow_redirects=True)
    assert "10/06/2026" in html(resp)
    assert sheet_of(w, w.a).status == "open"


def test_staff_draft_is_shown_to_the_head_who_approves_it_and_the_history_keeps_both(qworld, as_user):
    w = qworld
    publish(w)
    sheet = sheet_of(w, w.a)
    c = as_user("staff_a")
    page = html(c.get(f"/quality/sheets/{sheet.id}"))
    assert 'class="draft-form"' in page and 'class="self-form"' not in page
    assert 'id="sheet-submit"' not in page
    resp = c.post(f"/quality/sheets/{sheet.id}/criteria/{w.c['1.2'].id}/draft",
                  data={"d1_2-points": "12,5", "d1_2-note": "Theo báo cáo quý"})
    assert resp.status_code == 302
    resp = c.post(f"/quality/sheets/{sheet.id}/criteria/{w.c['1.2'].id}/draft",
                  data={"d1_2-points": "25", "d1_2-note": "Quá điểm"})
    assert resp.status_code == 422 and 'value="25"' in html(resp)
    assert c.post(f"/quality/sheets/{sheet.id}/submit").status_code == 403
    c = as_user("head_a")
    page = html(c.get(f"/quality/sheets/{sheet.id}"))
    assert "Phạm Văn Đăng" in page  # the draft's author
    assert re.search(r"name=\"s1_2-points\"[^>]*value=\"12[.,]5", page), re.findall(r"<input[^>]*s1_2-points[^>]*>", page)
    resp = c.post(f"/quality/sheets/{sheet.id}/criteria/{w.c['1.2'].id}/self",
                  data={"s1_2-points": "12,5", "s1_2-note": "Theo báo cáo quý"})
    assert resp.status_code == 302
    row = db.session.scalar(select(QualityScore).where(QualityScore.sheet_id == sheet.id,
                                                       QualityScore.criterion_id == w.c["1.2"].id))
    assert row.self_points == D("12.5") and row.self_by_id == w.head.id
    assert row.draft_by_id == w.staff.id
    page = html(c.get(f"/quality/sheets/{sheet.id}"))
    assert page.count("data-history") >= 1


def test_the_explanation_round_through_the_pages_with_a_pdf(qworld, as_user):
    w = qworld
    publish(w)
    sheet = sheet_of(w, w.a)
    files = current_settings().files
    commands.save_self_score(w.head, sheet.id, w.c["1.1"].id, commands.SelfScoreInput(
        D(8), "Kế hoạch 12/KH", [Upload("kh.pdf", EVIDENCE_PDF)]), files, TODAY)
    commands.save_self_score(w.head, sheet.id, w.c["1.2"].id, commands.SelfScoreInput(
        D(15), "", []), files, TODAY)
    commands.submit_sheet(w.head, sheet.id, TODAY, current_settings().scoring)
    db.session.commit()
    c = as_user("assessor")
    assert 'id="ask-form"' in html(c.get(f"/quality/sheets/{sheet.id}"))
    resp = c.post(f"/quality/sheets/{sheet.id}/explanations", data={
        "criterion_id": str(w.c["1.1"].id), "question": "Bổ sung quyết định", "due_on": "01/01/2020"})
    assert resp.status_code == 422 and "Bổ sung quyết định" in html(resp)
    resp = c.post(f"/quality/sheets/{sheet.id}/explanations", data={
        "criterion_id": str(w.c["1.1"].id), "question": "Bổ sung quyết định", "due_on": "20/06/2026"})
    assert resp.status_code == 302
    e = db.session.scalar(select(QualityExplanation))
    assert c.post(f"/quality/sheets/{sheet.id}/finalize", follow_redirects=True).status_code == 200
    assert sheet_of(w, w.a).status == "submitted"  # waits for the answer
    c = as_user("head_a")
    page = html(c.get(f"/quality/sheets/{sheet.id}"))
    assert 'data-status="awaiting"' in page and 'class="answer-form' in page
    resp = c.post(f"/quality/sheets/{sheet.id}/explanations/{e.id}/answer", data={
        f"x{e.id}-answer": "Đã bổ sung Quyết định số 5/QĐ",
        f"x{e.id}-files": [(BytesIO(EVIDENCE_PDF), "quyet-dinh.pdf")]},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    resp = c.post(f"/quality/sheets/{sheet.id}/explanations/{e.id}/answer", data={
        f"x{e.id}-answer": "Lần hai"}, content_type="multipart/form-data")
    assert resp.status_code == 422
    c = as_user("assessor")
    page = html(c.get(f"/quality/sheets/{sheet.id}"))
    assert 'data-status="answered"' in page and "Đã bổ sung Quyết định số 5/QĐ" in page
    link = re.search(r'href="(/quality/sheets/\d+/evidence/\d+)">quyet-dinh.pdf', page).group(1)
    resp = c.get(link)
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert "attachment" in resp.headers["Content-Disposition"]
    assert as_user("head_b").get(link).status_code == 404
    c = as_user("assessor")
    assert c.post(f"/quality/sheets/{sheet.id}/finalize").status_code == 302
    assert sheet_of(w, w.a).status == "appraised"
