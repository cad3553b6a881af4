"""The print pages of the quality feature (issue 13): the ranking and a unit's scoring sheet
in the official Decree 30/2020 layout (app/templates/_document.html), seen by exactly those
who see the pages they print, with the same rows."""

import re
from decimal import Decimal as D

from sqlalchemy import update

from app.extensions import db
from app.models import User
from app.quality import commands, queries
from app.quality import export as quality_export
from app.tasks.evidence import Upload
from tests.conftest import EVIDENCE_PDF, TODAY
from tests.quality.conftest import sheet_of
from tests.quality.test_quality_web import _files, _scoring, html, publish

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"


def _appraise_and_publish(w):
    """Both sheets scored, submitted and finalized; the results published (locked)."""
    for head, unit, pts in ((w.head, w.a, D(8)), (w.head_b, w.b, D(9))):
        sheet = sheet_of(w, unit)
        commands.save_self_score(head, sheet.id, w.c["1.1"].id, commands.SelfScoreInput(
            pts, "", [Upload("a.pdf", EVIDENCE_PDF)]), _files())
        commands.save_self_score(head, sheet.id, w.c["1.2"].id,
                                 commands.SelfScoreInput(D(20), "", []), _files())
        commands.submit_sheet(head, sheet.id, TODAY, _scoring())
        commands.finalize_sheet(w.assessor, sheet.id)
    commands.publish_results(w.assessor, w.set.id, commands.PublishInput("15/QĐ-UBND", TODAY), TODAY)
    db.session.commit()


def test_the_ranking_prints_as_an_official_report(qworld, as_user):
    w = qworld
    publish(w)
    _appraise_and_publish(w)
    url = f"/quality/{w.set.id}/ranking/print"
    assert f'href="{url}"' in html(as_user("assessor").get(f"/quality/{w.set.id}/ranking"))
    for user in ("assessor", "admin", "head_a", "staff_b"):   # locked: every unit sees it
        resp = as_user(user).get(url)
        assert resp.status_code == 200, user
        page = html(resp)
        assert NATION in page and "Độc lập - Tự do - Hạnh phúc" in page
        assert "BÁO CÁO" in page and "Nơi nhận:" in page and "Lưu: VT." in page
        assert "Kết quả xếp hạng Bộ chỉ số năm 2026 của các sở, ban, ngành" in page
        assert "UBND TỈNH ĐẮK LẮK" in page                    # the assessor's body issues it
        assert "15/QĐ-UBND" in page
        ranks = re.findall(r'<tr data-unit="(\w+)" data-rank="(\d*)">', page)
        assert ranks == [("SKHCN", "1"), ("SNV", "2")]
        # the rows are the ranking page's rows, in the same order
        live = html(as_user(user).get(f"/quality/{w.set.id}/ranking"))
        assert re.findall(r'data-unit="(\w+)" data-rank="(\d*)"', live) == ranks


def test_an_unpublished_ranking_prints_for_the_assessor_only(qworld, as_user):
    w = qworld
    publish(w)
    url = f"/quality/{w.set.id}/ranking/print"
    page = html(as_user("assessor").get(url))
    assert NATION in page and len(re.findall(r"<tr data-unit=", page)) == 2
    for user in ("head_a", "staff_b", "deputy_a"):
        assert as_user(user).get(url).status_code == 404, user
        assert as_user(user).get(f"/quality/{w.set.id}/ranking").status_code == 404
    assert as_user("assessor").get("/quality/999999/ranking/print").status_code == 404


def test_a_sheet_prints_with_its_tree_and_totals(qworld, as_user):
    w = qworld
    publish(w)
    _appraise_and_publish(w)
    sheet = sheet_of(w, w.a)
    url = f"/quality/sheets/{sheet.id}/print"
    assert f'href="{url}"' in html(as_user("head_a").get(f"/quality/sheets/{sheet.id}"))
    for user in ("head_a", "staff_a", "assessor", "admin"):
        resp = as_user(user).get(url)
        assert resp.status_code == 200, user
        page = html(resp)
        assert NATION in page and "Nơi nhận:" in page and "BÁO CÁO" in page
        assert "Kết quả tự chấm điểm Bộ chỉ số năm 2026 của Sở Nội vụ" in page
        assert "SỞ NỘI VỤ" in page and "GIÁM ĐỐC" in page       # the unit issues, its head signs
        assert "UBND tỉnh Đắk Lắk (để thẩm định);" in page
        assert "(để báo cáo);" not in page                    # the parent appraises: named once
        assert re.findall(r'<tr data-code="([\d.]+)"', page) == ["1", "1.1", "1.2", "2", "2.1", "2.2"]
        assert "21,88" in page                                  # 2.1 from tasks: 50 × 43.75%
        row = re.search(r'<tr data-code="1\.1".*?</tr>', page, re.DOTALL).group(0)
        assert re.search(r"data-self>8</td>", row) and re.search(r"data-appraised>8</td>", row)
        assert 'id="self-total"' in page and 'id="appraised-total"' in page


def test_a_sheet_prints_for_no_other_unit(qworld, as_user):
    w = qworld
    publish(w)
    url = f"/quality/sheets/{sheet_of(w, w.a).id}/print"
    for user in ("head_b", "staff_b"):
        assert as_user(user).get(url).status_code == 404, user
        assert as_user(user).get(f"/quality/sheets/{sheet_of(w, w.a).id}").status_code == 404
    assert as_user("head_a").get("/quality/sheets/999999/print").status_code == 404


def test_a_set_written_by_the_home_affairs_department_is_its_report(qworld):
    """The author's unit issues the ranking under its parent; a sheet of another department
    goes to it for appraisal and up to the province for information."""
    w = qworld
    publish(w)
    db.session.execute(update(User).where(User.id == w.assessor.id).values(unit_id=w.a.id))
    db.session.commit()
    s, _rows = queries.ranking(w.assessor, w.set.id, _scoring())
    doc = quality_export.ranking_document(s, TODAY)
    assert doc.issuer == ("UBND TỈNH ĐẮK LẮK", "SỞ NỘI VỤ")
    assert doc.signer_title == ("GIÁM ĐỐC",) and doc.recipients[-1] == "Lưu: VT."
    card = queries.scorecard(w.assessor, sheet_of(w, w.b).id, TODAY, _scoring())
    doc = quality_export.sheet_document(card, TODAY)
    assert doc.issuer == ("UBND TỈNH ĐẮK LẮK", "SỞ KHOA HỌC VÀ CÔNG NGHỆ")
    assert doc.recipients == ("Sở Nội vụ (để thẩm định);", "UBND tỉnh Đắk Lắk (để báo cáo);",
                              "Lưu: VT.")
