"""Quality pages (app/quality/routes.py): an assessor builds a set through its pages, a
unit's head scores and submits with a PDF, the assessor appraises and publishes; bad input
is shown beside its field and keeps what was typed; every role that must be refused is;
the XLSX exports read back with their exact headers."""

import re
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import IndicatorSet, QualityScore
from app.quality import commands
from app.tasks.evidence import Upload
from tests.conftest import EVIDENCE_PDF, TODAY
from tests.quality.conftest import sheet_of

D = Decimal


def html(resp) -> str:
    return resp.get_data(as_text=True)


def publish(w):
    commands.publish_set(w.assessor, w.set.id)
    db.session.commit()


def test_the_assessor_builds_a_set_through_its_pages(qworld, as_user):
    c = as_user("assessor")
    page = html(c.get("/quality/"))
    assert 'id="new-set"' in page and 'id="nav-quality"' in page
    resp = c.post("/quality/new", data={"name": "Bộ chỉ số xã, phường 2026", "year": "2026",
                                        "unit_group": "commune", "max_points": "100"})
    assert resp.status_code == 302
    set_id = int(resp.headers["Location"].rsplit("/", 1)[-1])
    resp = c.post(f"/quality/{set_id}/criteria", data={
        "parent_id": "", "code": "1", "title": "Kết quả thực hiện nhiệm vụ",
        "max_points": "100", "method": "tasks", "plan_kind": ""})
    assert resp.status_code == 302
    page = html(c.get(f"/quality/{set_id}"))
    assert 'data-code="1"' in page and "Kết quả thực hiện nhiệm vụ" in page
    resp = c.post(f"/quality/{set_id}/publish")
    assert resp.status_code == 302
    assert db.session.get(IndicatorSet, set_id).status == "published"


def test_bad_input_on_a_set_gives_a_message_and_keeps_what_was_typed(qworld, as_user):
    c = as_user("assessor")
    resp = c.post("/quality/new", data={"name": "Bộ chỉ số thử", "year": "hai nghìn",
                                        "unit_group": "department", "max_points": "-5"})
    assert resp.status_code == 422
    page = html(resp)
    assert "Enter a whole number." in page or "Nhập một số nguyên" in page
    assert 'value="Bộ chỉ số thử"' in page and 'value="-5"' in page


def test_a_criterion_over_the_sets_maximum_is_refused_beside_the_field(qworld, as_user):
    w = qworld
    c = as_user("assessor")
    resp = c.post(f"/quality/{w.set.id}/criteria", data={
        "parent_id": str(w.c["1"].id), "code": "1.3", "title": "Tiêu chí quá điểm",
        "max_points": "250", "method": "manual", "plan_kind": ""})
    assert resp.status_code == 422
    page = html(resp)
    assert "250" in page and "Tiêu chí quá điểm" in page and "invalid-feedback" in page


def test_publishing_a_set_that_does_not_add_up_names_the_branch(qworld, as_user):
    w = qworld
    c = as_user("assessor")
    c.post(f"/quality/{w.set.id}/criteria", data={
        "parent_id": str(w.c["2"].id), "code": "2.3", "title": "Thừa", "max_points": "5",
        "method": "manual", "plan_kind": ""})
    page = html(c.post(f"/quality/{w.set.id}/publish", follow_redirects=True))
    assert "2 has 70 points" in page or "2 có 70 điểm" in page
    assert db.session.get(IndicatorSet, w.set.id).status == "draft"


@pytest.mark.parametrize("user", ["head_a", "deputy_a", "staff_a"])
def test_units_cannot_build_sets(qworld, as_user, user):
    w = qworld
    c = as_user(user)
    assert c.get("/quality/new").status_code == 403
    assert c.post(f"/quality/{w.set.id}/criteria", data={"code": "9"}).status_code == 403
    assert c.post(f"/quality/{w.set.id}/publish").status_code == 403


def _sheet_url(w, unit):
    return f"/quality/sheets/{sheet_of(w, unit).id}"


def test_the_whole_journey_through_the_pages(qworld, as_user):
    w = qworld
    publish(w)
    sheet = sheet_of(w, w.a)
    url = f"/quality/sheets/{sheet.id}"
    c = as_user("head_a")
    page = html(c.get(url))
    assert 'class="self-form" data-code="1.1"' in page
    assert 'class="self-form" data-code="2.1"' not in page       # automatic: no field
    assert "21,88" in page                                        # 50 × 43.75%
    cid = w.c["1.1"].id
    # Evidence required: refused without a file, what was typed is kept.
    resp = c.post(f"{url}/criteria/{cid}/self", data={"s1_1-points": "9,5", "s1_1-note": "KH số 12"})
    assert resp.status_code == 422
    page = html(resp)
    assert 'value="9,5"' in page and "KH số 12" in page and "invalid-feedback" in page
    resp = c.post(f"{url}/criteria/{cid}/self", content_type="multipart/form-data", data={
        "s1_1-points": "9,5", "s1_1-note": "KH số 12",
        "s1_1-files": (BytesIO(EVIDENCE_PDF), "ke-hoach.pdf")})
    assert resp.status_code == 302
    cid2 = w.c["1.2"].id
    resp = c.post(f"{url}/criteria/{cid2}/self", data={"s1_2-points": "25"})
    assert resp.status_code == 422 and 'value="25"' in html(resp)
    c.post(f"{url}/criteria/{cid2}/self", data={"s1_2-points": "18"})
    # Tampering: a score posted for an automatic criterion is refused and changes nothing.
    auto = w.c["2.1"].id
    resp = c.post(f"{url}/criteria/{auto}/self", data={"s2_1-points": "50"})
    assert resp.status_code == 422
    assert db.session.scalar(select(QualityScore.self_points).where(
        QualityScore.criterion_id == auto, QualityScore.sheet_id == sheet.id)) is None
    assert c.post(f"{url}/submit").status_code == 302
    page = html(c.get(url))
    assert 'data-status="submitted"' in page and 'class="self-form"' not in page
    # The head cannot appraise her own sheet, nor score it again.
    assert c.post(f"{url}/criteria/{cid2}/appraise", data={"a1_2-points": "20"}).status_code == 403
    assert c.post(f"{url}/criteria/{cid2}/self", data={"s1_2-points": "20"}).status_code in (400, 422)
    # Evidence is served as an attachment to the unit and the assessor, not to another unit.
    ev = re.search(r'href="(/quality/sheets/\d+/evidence/\d+)"', page).group(1)
    resp = c.get(ev)
    assert resp.status_code == 200 and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert as_user("head_b").get(ev).status_code == 404
    assert as_user("head_b").get(url).status_code == 404
    # The assessor appraises: a change without a reason is refused, then given one.
    c = as_user("assessor")
    resp = c.post(f"{url}/criteria/{cid2}/appraise", data={"a1_2-points": "12"})
    assert resp.status_code == 422 and 'value="12"' in html(resp)
    assert c.post(f"{url}/criteria/{cid2}/appraise", data={
        "a1_2-points": "12", "a1_2-reason": "Trễ hạn 2 báo cáo"}).status_code == 302
    assert c.post(f"{url}/finalize").status_code == 302
    # B straight through, then the results.
    b = sheet_of(w, w.b)
    for code, pts, up in (("1.1", D(9), True), ("1.2", D(20), False)):
        commands.save_self_score(w.head_b, b.id, w.c[code].id, commands.SelfScoreInput(
            pts, "", [Upload("a.pdf", EVIDENCE_PDF)] if up else []), _files())
    commands.submit_sheet(w.head_b, b.id, TODAY, _scoring())
    db.session.commit()
    c.post(f"/quality/sheets/{b.id}/finalize")
    resp = c.post(f"/quality/{w.set.id}/results", data={"decision_no": "15/QĐ-UBND", "decision_on": "40/06/2026"})
    assert resp.status_code == 422 and 'value="40/06/2026"' in html(resp)
    resp = c.post(f"/quality/{w.set.id}/results", data={"decision_no": "15/QĐ-UBND", "decision_on": "15/06/2026"})
    assert resp.status_code == 302
    page = html(as_user("head_a").get(f"/quality/{w.set.id}/ranking"))
    assert re.search(r'data-unit="SKHCN" data-rank="1"', page)
    assert re.search(r'data-unit="SNV" data-rank="2"', page)
    assert "60,88" in page and "15/QĐ-UBND" in page


def _files():
    from app.settings import current_settings
    return current_settings().files


def _scoring():
    from app.settings import current_settings
    return current_settings().scoring


@pytest.mark.parametrize("user", ["head_a", "deputy_a", "staff_a", "admin"])
def test_only_the_assessor_appraises_finalizes_returns_and_publishes(qworld, as_user, user):
    w = qworld
    publish(w)
    url = _sheet_url(w, w.a)
    cid = w.c["1.2"].id
    c = as_user(user)
    assert c.post(f"{url}/criteria/{cid}/appraise", data={"a1_2-points": "1"}).status_code == 403
    assert c.post(f"{url}/finalize").status_code == 403
    assert c.post(f"{url}/return", data={"reason": "x"}).status_code == 403
    assert c.post(f"/quality/{w.set.id}/results", data={"decision_no": "1"}).status_code == 403


def test_a_unit_reads_only_its_own_sheet_and_no_unpublished_ranking(qworld, as_user):
    w = qworld
    publish(w)
    c = as_user("staff_b")
    assert c.get(_sheet_url(w, w.a)).status_code == 404
    assert c.get(_sheet_url(w, w.b)).status_code == 200
    assert c.get(f"/quality/{w.set.id}/ranking").status_code == 404
    assert c.get(f"/quality/{w.set.id}/ranking.xlsx").status_code == 404


def test_the_exports_read_back_with_their_exact_headers(qworld, as_user):
    w = qworld
    publish(w)
    c = as_user("assessor")
    resp = c.get(_sheet_url(w, w.a) + ".xlsx")
    assert resp.status_code == 200
    ws = load_workbook(BytesIO(resp.data)).active
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    header = rows.index(("STT", "Tiêu chí", "Điểm tối đa", "Điểm tự chấm", "Điểm thẩm định",
                         "Tài liệu kiểm chứng", "Ghi chú"))
    body = {r[0]: r for r in rows[header + 1:]}
    assert body["2.1"][2] == 50 and body["2.1"][3] == pytest.approx(21.88)
    resp = c.get(f"/quality/{w.set.id}/ranking.xlsx")
    ws = load_workbook(BytesIO(resp.data)).active
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    assert ("STT", "Đơn vị", "Điểm tự chấm", "Điểm thẩm định", "Xếp hạng", "Xếp loại") in rows


def test_a_formula_typed_as_a_note_is_exported_as_text(qworld, as_user):
    w = qworld
    publish(w)
    sheet = sheet_of(w, w.a)
    commands.save_self_score(w.head, sheet.id, w.c["1.2"].id,
                             commands.SelfScoreInput(D(5), "=HYPERLINK(\"http://x\")", []), _files())
    db.session.commit()
    resp = as_user("head_a").get(_sheet_url(w, w.a) + ".xlsx")
    wb = load_workbook(BytesIO(resp.data))
    cells = [cell for row in wb.active.iter_rows() for cell in row if cell.value and str(cell.value).startswith("=")]
    assert cells and all(cell.data_type == "s" for cell in cells)



def test_the_command_line_exports_the_ranking(qworld, runner, tmp_path):
    w = qworld
    out = tmp_path / "xep-hang.xlsx"
    result = runner.invoke(args=["quality", "export", "--year", "2026", "--group", "department",
                                 "--output", str(out)])
    assert result.exit_code != 0 and "No published indicator set" in result.output
    publish(w)
    result = runner.invoke(args=["quality", "export", "--year", "2026", "--group", "department",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = [tuple(r) for r in load_workbook(out).active.iter_rows(values_only=True)]
    header = rows.index(("STT", "Đơn vị", "Điểm tự chấm", "Điểm thẩm định", "Xếp hạng", "Xếp loại"))
    assert {r[1] for r in rows[header + 1:]} == {"Sở Nội vụ", "Sở Khoa học và Công nghệ"}


def test_copying_a_set_to_a_bad_year_keeps_what_was_typed(qworld, as_user):
    w = qworld
    c = as_user("assessor")
    resp = c.post(f"/quality/{w.set.id}/copy", data={"year": "1990"})
    assert resp.status_code == 422 and 'value="1990"' in html(resp)
    resp = c.post(f"/quality/{w.set.id}/copy", data={"year": "2027"})
    assert resp.status_code == 302
    assert as_user("head_a").post(f"/quality/{w.set.id}/copy", data={"year": "2027"}).status_code == 403
