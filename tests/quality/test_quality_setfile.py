"""An indicator set's tree as Excel (app/quality/setfile.py, `flask indicators`): exported,
read back with openpyxl, imported into a new set exactly; each wrong row named in the
message; a hostile file refused, never a 500; the upload page previews, then confirms."""

import re
import zipfile
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import Criterion, IndicatorSet
from app.quality import commands, queries, setfile

D = Decimal


def html(resp) -> str:
    return resp.get_data(as_text=True)


def tree_of(set_id: int) -> list[tuple]:
    return [(r.criterion.code, r.criterion.title, Decimal(r.criterion.max_points),
             r.criterion.method if r.is_leaf else None, r.criterion.plan_kind,
             r.criterion.is_evidence_required, r.depth) for r in queries.tree(set_id)]


def book(rows, headers=setfile.HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_export_reads_back_with_its_headers_and_imports_into_the_same_tree(qworld):
    w = qworld
    data = setfile.export_xlsx(w.set)
    ws = load_workbook(BytesIO(data)).active
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(values) if r[0] == "Mã")
    assert tuple(values[header][:len(setfile.HEADERS)]) == setfile.HEADERS
    assert values[header + 1][:4] == ["1", "Công tác chỉ đạo, điều hành", 30, None]
    assert values[header + 2][3:6] == ["Tự chấm", None, "Có"]
    assert values[header + 6][3:5] == ["Từ nhiệm vụ", "Cải cách hành chính"]
    parsed = setfile.read("bo-chi-so.xlsx", data)
    assert parsed.errors == [] and parsed.total == D(100)
    target = commands.create_set(w.assessor, commands.SetInput("Bản sao", 2027, "department", D(100)))
    assert setfile.import_rows(w.assessor, target.id, parsed.rows) == 6
    db.session.commit()
    assert tree_of(target.id) == tree_of(w.set.id)
    # And again: export of the import is the same file content.
    again = load_workbook(BytesIO(setfile.export_xlsx(target))).active
    assert [list(r) for r in again.iter_rows(values_only=True)][header:] == values[header:]


def test_each_wrong_row_is_named_in_vietnamese(app):
    data = book([("1", "Lĩnh vực", 100, "", "", ""),
                 ("1.1", "Tiêu chí lạ", 40, "Chấm theo cảm tính", "", ""),
                 ("1.2", "", "mười", "Tự chấm", "", ""),
                 ("1.3", "Kế hoạch sai", 20, "Tự chấm", "Cải cách hành chính", ""),
                 ("2.1", "Không có cha", 10, "Tự chấm", "", ""),
                 ("1.1", "Trùng mã", 10, "Tự chấm", "", "")])
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        parsed = setfile.read("bo.xlsx", data)
    text = "\n".join(parsed.errors)
    assert "Dòng 3" in text and "Chấm theo cảm tính" in text
    assert "Dòng 4" in text and "Dòng 5" in text and "Dòng 6" in text


def test_a_hostile_or_wrong_file_is_refused_with_a_message(app):
    bomb = BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "0" * (300 * 1024 * 1024))
    dtd = BytesIO()
    with zipfile.ZipFile(dtd, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Types/>')
        z.writestr("xl/workbook.xml", "<workbook/>")
    with app.test_request_context():
        for name, data in (("bo.xlsx", bomb.getvalue()), ("bo.xlsx", dtd.getvalue()),
                           ("bo.xlsx", b"not a workbook"), ("bo.pdf", b"%PDF-1.4"),
                           ("bo.xlsx", b""), ("bo.xlsx", book([], ("A", "B")))):
            parsed = setfile.read(name, data)
            assert parsed.errors and not parsed.rows, name


def test_the_page_previews_the_file_then_imports_it_on_confirmation(qworld, as_user):
    w = qworld
    c = as_user("assessor")
    data = book([("1", "Chỉ đạo điều hành", 40, "", "", ""),
                 ("1.1", "Ban hành kế hoạch", 40, "Tự chấm", "", "Có"),
                 ("2", "Kết quả nhiệm vụ", 60, "Theo mức", "CCHC", "", "", "",
                  "Tỷ lệ đạt chỉ tiêu", "90: 60; 50: 30; 0: 0")])
    resp = c.post(f"/quality/{w.set.id}/import", data={"file": (BytesIO(data), "bo.xlsx")},
                  content_type="multipart/form-data")
    assert resp.status_code == 200
    page = html(resp)
    assert 'id="import-rows"' in page and "Ban hành kế hoạch" in page
    # The preview says how each leaf is scored, with its parameters, as the set's page does.
    assert 'data-method="stepped"' in page and "Thang điểm theo mức" in page
    assert tree_of(w.set.id)[0][1] == "Công tác chỉ đạo, điều hành"  # nothing changed yet
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    resp = c.post(f"/quality/{w.set.id}/import/confirm", data={"token": token})
    assert resp.status_code == 302
    assert [t[0] for t in tree_of(w.set.id)] == ["1", "1.1", "2"]
    # The token is spent; a forged one is a 404.
    assert c.post(f"/quality/{w.set.id}/import/confirm", data={"token": token}).status_code == 404
    assert c.post(f"/quality/{w.set.id}/import/confirm", data={"token": "x" * 32}).status_code == 404


def test_a_wrong_file_on_the_page_lists_the_rows_and_a_unit_cannot_import(qworld, as_user):
    w = qworld
    c = as_user("assessor")
    data = book([("1", "Lĩnh vực", 100, "Bí ẩn", "", "")])
    resp = c.post(f"/quality/{w.set.id}/import", data={"file": (BytesIO(data), "bo.xlsx")},
                  content_type="multipart/form-data")
    assert resp.status_code == 422 and 'id="import-errors"' in html(resp)
    assert 'id="import-confirm"' not in html(resp)
    resp = c.post(f"/quality/{w.set.id}/import", data={}, content_type="multipart/form-data")
    assert resp.status_code == 422
    c = as_user("head_a")
    resp = c.post(f"/quality/{w.set.id}/import", data={"file": (BytesIO(data), "bo.xlsx")},
                  content_type="multipart/form-data")
    assert resp.status_code == 403


def test_flask_indicators_export_then_import_makes_the_same_tree(qworld, app, tmp_path):
    w = qworld
    runner = app.test_cli_runner()
    out = tmp_path / "bo.xlsx"
    result = runner.invoke(args=["indicators", "export", "--year", "2026", "--group",
                                 "department", "--output", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["indicators", "import", str(out), "--year", "2027", "--group",
                                 "department", "--user", "assessor"])
    assert result.exit_code == 0, result.output
    s = db.session.scalar(select(IndicatorSet).where(IndicatorSet.year == 2027))
    assert s.status == "draft" and s.max_points == D(100)
    assert tree_of(s.id) == tree_of(w.set.id)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(book([("1", "Lĩnh vực", 100, "Bí ẩn", "", "")]))
    result = runner.invoke(args=["indicators", "import", str(bad), "--year", "2028", "--group",
                                 "department"])
    assert result.exit_code == 2
    assert db.session.scalar(select(Criterion.id).join(
        IndicatorSet, IndicatorSet.id == Criterion.set_id).where(IndicatorSet.year == 2028)) is None


def test_a_title_that_looks_like_a_formula_stays_text_and_round_trips(qworld):
    w = qworld
    c = db.session.get(Criterion, w.c["1.2"].id)
    c.title = "=HYPERLINK(\"http://evil.example\",\"Bấm\")"
    db.session.commit()
    data = setfile.export_xlsx(w.set)
    ws = load_workbook(BytesIO(data)).active
    cells = [cell for row in ws.iter_rows() for cell in row if cell.value == c.title]
    assert cells and all(cell.data_type == "s" for cell in cells)
    parsed = setfile.read("bo.xlsx", data)
    assert [r.title for r in parsed.rows if r.code == "1.2"] == [c.title]


def params_of(set_id: int) -> list[tuple]:
    return [(r.criterion.code, r.criterion.method if r.is_leaf else None, r.criterion.plan_kind,
             r.criterion.field_id, r.criterion.is_key_only, r.criterion.basis, r.criterion.steps,
             r.criterion.event_kind,
             None if r.criterion.per_event is None else D(r.criterion.per_event),
             None if r.criterion.min_points is None else D(r.criterion.min_points),
             r.criterion.is_na_allowed, r.criterion.is_evidence_required)
            for r in queries.tree(set_id)]


def test_every_method_and_its_parameters_round_trip(qworld):
    """Export → import gives the same tree with every method's parameters (docs/quality.md)."""
    from app.models import Field

    w = qworld
    f = Field(name="Cải cách thủ tục hành chính", name_sort="cai cach thu tuc hanh chinh")
    db.session.add(f)
    db.session.flush()
    CI = commands.CriterionInput
    s = commands.create_set(w.assessor, commands.SetInput("Đủ phương pháp", 2026, "department", D(100)))
    add = commands.add_criterion
    top = add(w.assessor, s.id, CI(None, "1", "Kết quả", D(100), "manual")).id
    add(w.assessor, s.id, CI(top, "1.1", "Tự chấm", D(10), "manual", is_evidence_required=True,
                             is_na_allowed=True))
    add(w.assessor, s.id, CI(top, "1.2", "Nhiệm vụ", D(10), "tasks", plan_kind="cchc",
                             field_id=f.id))
    add(w.assessor, s.id, CI(top, "1.3", "Chỉ tiêu", D(20), "targets", is_key_only=True))
    add(w.assessor, s.id, CI(top, "1.4", "Bậc", D(20), "stepped", basis="targets",
                             steps="97,5: 20; 70: 10; 0: 0"))
    add(w.assessor, s.id, CI(top, "1.5", "Quá hạn", D(20), "deduction", per_event=D("2.5"),
                             event_kind="overdue", min_points=D(5)))
    add(w.assessor, s.id, CI(top, "1.6", "Vi phạm", D(20), "deduction", per_event=D(2),
                             event_kind="entered"))
    add(w.assessor, s.id, CI(None, "T", "Điểm thưởng", D(5), "bonus"))
    db.session.commit()
    data = setfile.export_xlsx(s)
    values = [list(r) for r in load_workbook(BytesIO(data)).active.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(values) if r[0] == "Mã")
    by_code = {r[0]: r for r in values[header + 1:]}
    assert by_code["1.4"][3] == "Theo mức" and by_code["1.4"][8:10] == ["Tỷ lệ đạt chỉ tiêu",
                                                                         "97.5: 20; 70: 10; 0: 0"]
    assert by_code["1.5"][10:13] == ["Nhiệm vụ quá hạn", 2.5, 5]
    assert by_code["1.2"][6] == "Cải cách thủ tục hành chính" and by_code["1.3"][7] == "Có"
    parsed = setfile.read("bo.xlsx", data)
    assert parsed.errors == []
    copy = commands.create_set(w.assessor, commands.SetInput("Bản sao", 2027, "department", D(100)))
    assert setfile.import_rows(w.assessor, copy.id, parsed.rows) == 8
    db.session.commit()
    assert tree_of(copy.id) == tree_of(s.id) and params_of(copy.id) == params_of(s.id)
    again = [list(r) for r in load_workbook(BytesIO(setfile.export_xlsx(copy))).active
             .iter_rows(values_only=True)]
    assert again[header:] == values[header:]


def test_a_wrong_parameter_is_named_with_its_row_in_vietnamese(app):
    h = setfile.HEADERS
    blank = [""] * 8

    def row(code, title, points, method, *params, kind="", ev=""):
        return (code, title, points, method, kind, ev, *(list(params) + blank)[:8])

    data = book([row("1", "Lĩnh vực", 100, ""),
                 row("1.1", "Bậc sai", 20, "Theo mức", "", "", "", "90 điểm"),
                 row("1.2", "Bậc quá", 20, "Theo mức", "", "", "Chỉ số trách nhiệm", "90: 30; 0: 0"),
                 row("1.3", "Sàn cao", 20, "Trừ điểm", "", "", "", "", "Nhiệm vụ quá hạn", 2, 20),
                 row("1.4", "Sự kiện lạ", 20, "Trừ điểm", "", "", "", "", "Họp muộn", 2),
                 row("1.5", "Lọc sai", 10, "Tự chấm", "", "Có"),
                 row("1.6", "Mức thừa", 10, "Tự chấm", "", "", "", "90: 10"),
                 row("T", "Thưởng", 5, "Điểm thưởng"),
                 row("1.7", "Thưởng dưới", 0.5, "Điểm thưởng"),
                 row("1.8", "Lĩnh vực lạ", 1, "Từ nhiệm vụ", "Không có lĩnh vực này")], h)
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        parsed = setfile.read("bo.xlsx", data)
    lines = {int(m.group(1)) for m in (re.match(r"Dòng (\d+)", e) for e in parsed.errors) if m}
    assert lines == {3, 4, 5, 6, 7, 8, 10, 11}, parsed.errors
    assert all(re.search(r"[ạảãáàâăđêếệôơưứ]", e) for e in parsed.errors), parsed.errors
    assert "Họp muộn" in "\n".join(parsed.errors)
