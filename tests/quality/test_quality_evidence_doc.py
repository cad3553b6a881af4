"""Evidence as a document's number and date (DESIGN.md 8: "evidence (files, or a
document's number and date)") on the unit's scoring sheet and in the explanation's
answer: validated, shown to the appraiser, exported in `Tài liệu kiểm chứng`; and the
quality notifications lead to the unit's sheet (the bell and the mail)."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.common.errors import RuleViolation
from app.extensions import db
from app.models import Notification, QualityScore
from app.notifications.service import link_path
from app.quality import commands, flow
from app.quality.export import SHEET_HEADERS
from app.settings import current_settings
from tests.conftest import TODAY
from tests.quality.conftest import sheet_of

D = Decimal


def _publish(w):
    commands.publish_set(w.assessor, w.set.id)
    db.session.commit()
    return sheet_of(w, w.a)


def _self(w, sheet, code="1.1", doc_no="", doc_on=None, files=()):
    return commands.save_self_score(w.head, sheet.id, w.c[code].id, commands.SelfScoreInput(
        D(8), "Theo kế hoạch", list(files), doc_no=doc_no, doc_on=doc_on),
        current_settings().files, TODAY)


@pytest.mark.parametrize(("doc_no", "doc_on", "field"), [
    ("", date(2026, 6, 1), "doc_no"),                  # a date without a number
    ("   ", date(2026, 6, 1), "doc_no"),               # blanks are no number
    ("12/KH-UBND", None, "doc_on"),                    # a number without a date
    ("12/KH-UBND", date(2026, 6, 16), "doc_on"),       # after today (15/06/2026)
    ("x" * 65, date(2026, 6, 1), "doc_no"),
])
def test_a_bad_document_is_refused_beside_its_field(qworld, doc_no, doc_on, field):
    sheet = _publish(qworld)
    with pytest.raises(RuleViolation) as err:
        _self(qworld, sheet, doc_no=doc_no, doc_on=doc_on)
    assert err.value.field == field
    db.session.rollback()


def test_a_document_is_evidence_where_evidence_is_required(qworld):
    w = qworld
    sheet = _publish(w)
    # 1.1 requires evidence: neither a file nor a document is refused.
    with pytest.raises(RuleViolation) as err:
        _self(w, sheet)
    assert err.value.field == "files"
    db.session.rollback()
    row = _self(w, sheet, doc_no=" 12/KH-UBND ", doc_on=TODAY)     # today itself is fine
    db.session.commit()
    assert (row.evidence_doc_no, row.evidence_doc_on) == ("12/KH-UBND", TODAY)
    # Saved again without a document: the document is cleared, so evidence is missing.
    with pytest.raises(RuleViolation):
        _self(w, sheet)
    db.session.rollback()


def test_the_document_is_typed_shown_and_exported(qworld, as_user):
    w = qworld
    sheet = _publish(w)
    cid = w.c["1.1"].id
    url = f"/quality/sheets/{sheet.id}"
    c = as_user("head_a")
    # Not a real date: the form says so and keeps what was typed.
    resp = c.post(f"{url}/criteria/{cid}/self", data={
        "s1_1-points": "8", "s1_1-doc_no": "12/KH-UBND", "s1_1-doc_on": "31/02/2026"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'value="31/02/2026"' in page and 'value="12/KH-UBND"' in page
    # In the future: refused by the rule, beside the field.
    resp = c.post(f"{url}/criteria/{cid}/self", data={
        "s1_1-points": "8", "s1_1-doc_no": "12/KH-UBND", "s1_1-doc_on": "20/06/2026"})
    assert resp.status_code == 422 and "15/06/2026" in resp.get_data(as_text=True)
    resp = c.post(f"{url}/criteria/{cid}/self", data={
        "s1_1-points": "8", "s1_1-doc_no": "12/KH-UBND", "s1_1-doc_on": "02/03/2026"})
    assert resp.status_code == 302
    assert db.session.scalar(select(QualityScore.evidence_doc_no).where(
        QualityScore.sheet_id == sheet.id, QualityScore.criterion_id == cid)) == "12/KH-UBND"
    # The appraiser sees it, and the sheet's XLSX writes it under "Tài liệu kiểm chứng".
    a = as_user("assessor")
    page = a.get(url).get_data(as_text=True)
    assert "data-evidence-doc" in page and "12/KH-UBND" in page and "02/03/2026" in page
    wb = load_workbook(BytesIO(a.get(f"{url}.xlsx").data))
    rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(rows) if r[0] == "STT")
    assert tuple(rows[head]) == SHEET_HEADERS
    col = SHEET_HEADERS.index("Tài liệu kiểm chứng")
    line = next(r for r in rows[head + 1:] if r[0] == "1.1")
    assert line[col] == "Văn bản số 12/KH-UBND ngày 02/03/2026"


def _submitted_and_asked(w):
    sheet = _publish(w)
    _self(w, sheet, doc_no="12/KH-UBND", doc_on=date(2026, 3, 2))
    commands.save_self_score(w.head, sheet.id, w.c["1.2"].id, commands.SelfScoreInput(
        D(15), "", []), current_settings().files, TODAY)
    commands.submit_sheet(w.head, sheet.id, TODAY, current_settings().scoring)
    e = flow.ask_explanation(w.assessor, sheet.id, flow.AskInput(
        w.c["1.2"].id, "Đề nghị giải trình", date(2026, 6, 20)), TODAY)
    db.session.commit()
    return sheet, e


def test_the_answer_takes_a_document_and_the_notifications_open_the_sheet(qworld, as_user):
    w = qworld
    sheet, e = _submitted_and_asked(w)
    url = f"/quality/sheets/{sheet.id}"
    # The head's notification leads to the sheet: the list links it, opening goes there.
    note = db.session.scalar(select(Notification).where(
        Notification.user_id == w.head.id, Notification.kind == "quality_explanation"))
    assert note.quality_sheet_id == sheet.id and link_path(note) == url
    c = as_user("head_a")
    page = c.get("/notifications").get_data(as_text=True)
    assert f'data-sheet-id="{sheet.id}"' in page
    resp = c.post(f"/notifications/{note.id}/open")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(url)
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is not None
    # A bad document in the answer: refused beside the field, the text kept.
    resp = c.post(f"{url}/explanations/{e.id}/answer", data={
        f"x{e.id}-answer": "Đã bổ sung", f"x{e.id}-doc_on": "01/06/2026"})
    assert resp.status_code == 422 and "Đã bổ sung" in resp.get_data(as_text=True)
    resp = c.post(f"{url}/explanations/{e.id}/answer", data={
        f"x{e.id}-answer": "Đã bổ sung", f"x{e.id}-doc_no": "15/BC-SNV",
        f"x{e.id}-doc_on": "01/06/2026"})
    assert resp.status_code == 302
    # The assessor is notified, with the sheet; the answer's document is shown and exported.
    back = db.session.scalar(select(Notification).where(
        Notification.user_id == w.assessor.id, Notification.kind == "quality_answered"))
    assert back.quality_sheet_id == sheet.id
    a = as_user("assessor")
    page = a.get(url).get_data(as_text=True)
    assert "data-answer-doc" in page and "15/BC-SNV" in page
    wb = load_workbook(BytesIO(a.get(f"{url}.xlsx").data))
    rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
    col = SHEET_HEADERS.index("Tài liệu kiểm chứng")
    line = next(r for r in rows if r[0] == "1.2")
    assert line[col] == "Giải trình: Văn bản số 15/BC-SNV ngày 01/06/2026"
