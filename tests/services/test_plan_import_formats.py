"""Plans as they were written (issue 14): Word appendix tables and old .xls files, the
officials' own column names, headers over two rows, deadlines in words, only STT and
Nhiệm vụ required. Each file is compared with the tasks it must yield, field by field."""

from datetime import date

import pytest

from app.extensions import db
from app.plans import importing as plan_import
from app.settings import current_settings
from tests.conftest import TODAY
from tests.plan_docs import word, xls
from tests.plan_files import HEADERS, build, clear_row
from tests.services.test_plan_import import plan_tasks


@pytest.fixture
def empty_plan(world, make):
    """An empty draft work plan of unit A (Sở Nội vụ) for 2026."""
    return make.plan(world.a, kind="work", title="Kế hoạch công tác năm 2026")


NOT_READABLE = "Tệp không phải là tệp Excel (.xlsx, .xls) hay Word (.docx) đọc được."


def preview(plan, data):
    return plan_import.preview(plan, data, TODAY, settings=current_settings().task_rules)


def imported(plan, data, actor, name="ke-hoach"):
    p = plan_import.apply(actor, plan, data, TODAY, name, settings=current_settings().task_rules)
    db.session.commit()
    return p


def shape(t) -> tuple:
    return (t.title, t.lead_unit.code if t.lead_unit else None,
            sorted(u.code for u in t.coordinators), t.due_on, t.output_product, t.description,
            t.field.name if t.field else None, t.is_clear)


WORD_PLAN = [
    ["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn hoàn thành",
     "Sản phẩm dự kiến", "Ghi chú"],
    ["I", "CẢI CÁCH THỂ CHẾ", None, None, None, None, None],
    ["1", "Rà soát văn bản quy phạm pháp luật", "Sở Nội vụ", "Sở Khoa học và Công nghệ",
     "Tháng 6/2026", "Báo cáo", None],
    ["2", "Kiểm tra cải cách hành chính", None, None, "Quý III", "Kết luận kiểm tra", "Đột xuất"],
    ["3", "Tuyên truyền cải cách hành chính", None, None, "Thường xuyên", None, None],
    ["4", "Tổng kết năm", "SNV", None, "Trước ngày 15/12/2026", "Báo cáo tổng kết", None],
]


def test_a_word_appendix_table_imports_into_a_draft_plan_as_it_was_written(world, empty_plan):
    data = word(WORD_PLAN, merges=[(2, 2, 3, 2)], tables_before=1)
    p = preview(empty_plan, data)
    assert p.ok, [e.text for e in p.errors]
    assert p.sheet.kind == "docx"
    assert [r.stt for r in p.rows] == ["I.1", "I.2", "I.3", "I.4"]  # as written, in section I
    assert {k: h for h, k in p.sheet.mapping} == {
        "stt": "STT", "title": "Nội dung nhiệm vụ", "lead_unit": "Cơ quan chủ trì",
        "coordinators": "Cơ quan phối hợp", "due_on": "Thời hạn hoàn thành",
        "output_product": "Sản phẩm dự kiến", "note": "Ghi chú"}
    words = {r.stt: (r.due_words, r.due_read, r.due_recurring) for r in p.rows}
    assert words == {"I.1": ("Tháng 6/2026", date(2026, 6, 30), False),
                     "I.2": ("Quý III", date(2026, 9, 30), False),
                     "I.3": ("Thường xuyên", None, True),
                     "I.4": ("Trước ngày 15/12/2026", date(2026, 12, 15), False)}
    imported(empty_plan, data, world.head)
    got = {stt: shape(t) for stt, t in plan_tasks(empty_plan.id).items()}
    field = "Cải cách thể chế"
    assert got == {
        # The lead unit merged down over rows 1 and 2 belongs to both.
        "I.1": ("Rà soát văn bản quy phạm pháp luật", "SNV", ["SKHCN"], date(2026, 6, 30), "Báo cáo",
              "", field, False),
        "I.2": ("Kiểm tra cải cách hành chính", "SNV", [], date(2026, 9, 30), "Kết luận kiểm tra",
              "Ghi chú: Đột xuất", field, False),
        "I.3": ("Tuyên truyền cải cách hành chính", None, [], None, "",
              "Thời hạn theo kế hoạch: Thường xuyên", field, False),
        "I.4": ("Tổng kết năm", "SNV", [], date(2026, 12, 15), "Báo cáo tổng kết", "", field, False),
    }
    # Importing the same document again changes nothing.
    again = preview(empty_plan, data)
    assert again.ok and again.changed == 0 and again.unchanged == 4


def test_an_old_xls_with_a_two_row_header_and_merged_cells(world, empty_plan):
    data = xls("ke-hoach-cu.xls")
    p = preview(empty_plan, data)
    assert p.ok, [e.text for e in p.errors]
    assert p.sheet.kind == "xls"
    keys = [k for _h, k in p.sheet.mapping]
    assert keys == ["stt", "title", "lead_unit", "coordinators", "due_on", "output_product", "note"]
    assert [r.line for r in p.rows] == [8, 9, 10]
    imported(empty_plan, data, world.head)
    got = {stt: shape(t) for stt, t in plan_tasks(empty_plan.id).items()}
    field = "Cải cách thể chế"
    assert got == {
        "I.1": ("Rà soát văn bản quy phạm pháp luật", "SNV", ["SKHCN"], date(2026, 9, 30),
              "Báo cáo rà soát", "", field, False),
        "I.2": ("Kiểm tra công tác cải cách hành chính", "SNV", [], date(2026, 6, 30), "",
              "Ghi chú: Theo kế hoạch kiểm tra", field, False),
        "I.3": ("Cập nhật thủ tục hành chính trên Cổng dịch vụ công", None, [], None, "",
              "Thời hạn theo kế hoạch: Thường xuyên", field, False),
    }


@pytest.mark.parametrize("header, key", [
    ("NỘI DUNG CÔNG VIỆC", "title"), ("Nhiệm vụ, giải pháp", "title"), ("Tên nhiệm vụ", "title"),
    ("Đơn vị chủ trì thực hiện", "lead_unit"), ("Chủ trì", "lead_unit"),
    ("Cơ quan\nphối hợp", "coordinators"), ("Phối hợp", "coordinators"),
    ("Thời gian hoàn thành", "due_on"), ("thoi han", "due_on"), ("Tiến độ hoàn thành", "due_on"),
    ("Kết quả/sản phẩm", "output_product"), ("Hình thức văn bản", "output_product"),
    ("Ghi chú", "note"), ("Số TT", "stt"),
])
def test_column_names_as_officials_write_them(world, empty_plan, header, key):
    first = "STT" if key != "stt" else header
    second = "Nhiệm vụ" if key not in ("title", "stt") else (header if key == "title" else "Nhiệm vụ")
    row = [first, second] + ([header] if key not in ("title", "stt") else [])
    p = preview(empty_plan, build([row, [1, "Rà soát thủ tục", "x"][:len(row)]]))
    assert key in p.sheet.present


def test_only_stt_and_the_task_are_required(world, empty_plan):
    p = preview(empty_plan, build([["STT", "Nhiệm vụ"], [1, "Rà soát thủ tục"]]))
    assert p.ok and p.added == 1 and [r.stt for r in p.not_clear] == ["1"]


def test_a_date_typed_wrong_is_still_an_error_but_words_never_refuse_the_file(world, empty_plan):
    rows = [HEADERS, clear_row(1, due="31/02/2026"), clear_row(2, due="khi có chỉ đạo")]
    p = preview(empty_plan, build(rows))
    assert [e.text for e in p.errors] == [
        "Dòng 2, cột Hạn hoàn thành: 31/02/2026 không phải là ngày hợp lệ"]
    assert p.rows[1].due_words == "khi có chỉ đạo" and p.rows[1].due_read is None


@pytest.mark.parametrize("name, content", [
    ("text", lambda: "STT,Nhiệm vụ\n1,Rà soát".encode()),
    ("an OLE2 file that is no workbook", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000),
    ("a zip that is neither", lambda: _zip({"[Content_Types].xml": "<Types/>", "a.txt": "x"})),
    ("a broken Word document", lambda: _zip({"[Content_Types].xml": "<Types/>",
                                             "word/document.xml": "<w:document/>"})),
    ("a truncated Word document", lambda: word(WORD_PLAN)[:3000]),
])
def test_a_file_that_is_no_plan_gets_one_clear_message(world, empty_plan, name, content):
    p = preview(empty_plan, content())
    assert [e.text for e in p.errors] == [NOT_READABLE]


def test_a_word_document_without_the_plan_table_says_so(world, empty_plan):
    p = preview(empty_plan, word([["Nơi nhận", "Ghi chú"], ["Như trên", ""]]))
    assert [e.text for e in p.errors] == [
        "Không tìm thấy dòng tiêu đề (STT, Nhiệm vụ, …) trong 20 dòng đầu của các trang tính."]


def test_merged_ranges_down_to_the_last_row_cost_only_the_rows_there_are(world, empty_plan):
    """The outside probe's file: 200 ranges merged down to row 1,048,576 (written into the
    sheet's XML: openpyxl would build every merged cell to write them)."""
    import time
    rows = [HEADERS] + [clear_row(i) for i in range(1, 4)]
    refs = [f"{c}{r}:{c}1048576" for c in "CDEFGHIJ" for r in range(2, 27)]
    data = _with_merges(build(rows), refs)
    started = time.perf_counter()
    p = preview(empty_plan, data)
    assert time.perf_counter() - started < 3
    assert [r.stt for r in p.rows] == ["1", "2", "3"]


def _with_merges(data: bytes, refs: list[str]) -> bytes:
    import io
    import zipfile
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                cells = "".join(f'<mergeCell ref="{r}"/>' for r in refs)
                body = body.replace(b"</sheetData>",
                                    f'</sheetData><mergeCells count="{len(refs)}">{cells}</mergeCells>'.encode())
            z.writestr(info, body)
    return out.getvalue()


def _zip(members: dict) -> bytes:
    import io
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for k, v in members.items():
            z.writestr(k, v)
    return out.getvalue()


def test_units_as_plans_write_them(world, empty_plan):
    """Without "Sở"/"UBND", in any letter case; a list split on "," only where every piece is
    a known unit."""
    rows = [["STT", "Nhiệm vụ", "Chủ trì", "Phối hợp"],
            [1, "Rà soát thủ tục", "nội vụ", "Sở Khoa học và Công nghệ, UBND tỉnh Đắk Lắk"],
            [2, "Số hóa hồ sơ", "SỞ NỘI VỤ", "khoa học và công nghệ"],
            [3, "Kiểm tra", "Nội vụ", "Khoa học, Công nghệ"]]
    p = preview(empty_plan, build(rows))
    assert [e.text for e in p.errors] == [
        "Dòng 4, cột Đơn vị phối hợp: không có đơn vị nào có mã hoặc tên “Khoa học, Công nghệ”"]
    by = {r.stt: (r.values["lead_unit_id"], r.coordinator_ids) for r in p.rows}
    assert by["1"] == (world.a.id, sorted([world.b.id, world.province.id]))
    assert by["2"] == (world.a.id, [world.b.id])


def test_a_word_table_with_a_header_over_two_rows(world, empty_plan):
    rows = [["STT", "Nhiệm vụ, giải pháp", "Đơn vị thực hiện", None, "Thời gian", None],
            [None, None, "Chủ trì", "Phối hợp", "Bắt đầu", "Hoàn thành"],
            ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],
            ["1", "Xây dựng kế hoạch\nchuyển đổi số", "Sở Nội vụ", "SKHCN", "01/02/2026", "Quý I/2026"],
            ["2", "Triển khai", "SNV", None, "01/04/2026", "9 tháng đầu năm"]]
    data = word(rows, merges=[(0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 0, 3), (0, 4, 0, 5)])
    p = preview(empty_plan, data)
    assert p.ok, [e.text for e in p.errors]
    assert [(h, k) for h, k in p.sheet.mapping] == [
        ("STT", "stt"), ("Nhiệm vụ, giải pháp", "title"), ("Đơn vị thực hiện Chủ trì", "lead_unit"),
        ("Đơn vị thực hiện Phối hợp", "coordinators"), ("Thời gian Bắt đầu", "start_on"),
        ("Thời gian Hoàn thành", "due_on")]
    got = [(r.stt, r.title, r.values["start_on"], r.values["due_on"], r.coordinator_ids)
           for r in p.rows]
    assert got == [("1", "Xây dựng kế hoạch chuyển đổi số", date(2026, 2, 1), date(2026, 3, 31),
                    [world.b.id]),
                   ("2", "Triển khai", date(2026, 4, 1), date(2026, 9, 30), [])]


def test_numbering_as_officials_number_is_kept_as_written(world, empty_plan):
    """Roman sections, 1 / 1.1, a) b), "-" and "+" bullets (in the STT cell or opening the
    task) become tasks and sub-tasks in order, numbered as the plan numbers them."""
    rows = [["STT", "Nhiệm vụ"],
            ["I", "CẢI CÁCH THỂ CHẾ"],
            ["1", "Rà soát văn bản"],
            ["-", "Văn bản của tỉnh"],
            ["+", "Nghị quyết"],
            ["+", "Quyết định"],
            ["-", "Văn bản của sở"],
            ["2", "Kiểm tra"],
            ["a)", "Kiểm tra các sở"],
            [None, "- Sở Nội vụ"],
            [None, "b) Kiểm tra các xã"],
            ["II. CẢI CÁCH THỦ TỤC HÀNH CHÍNH", None],
            ["1", "Công bố thủ tục"],
            ["1.1", "Công bố thủ tục mới"],
            ["a.", "Lĩnh vực nội vụ"]]
    p = preview(empty_plan, word(rows))
    assert p.ok, [e.text for e in p.errors]
    got = [(r.stt, r.parent_stt, r.title, r.field_name) for r in p.rows]
    one, two = "Cải cách thể chế", "Cải cách thủ tục hành chính"
    assert got == [("I.1", None, "Rà soát văn bản", one),
                   ("I.1.1", "I.1", "Văn bản của tỉnh", one),
                   ("I.1.1.1", "I.1.1", "Nghị quyết", one),
                   ("I.1.1.2", "I.1.1", "Quyết định", one),
                   ("I.1.2", "I.1", "Văn bản của sở", one),
                   ("I.2", None, "Kiểm tra", one),
                   ("I.2.a", "I.2", "Kiểm tra các sở", one),
                   ("I.2.a.1", "I.2.a", "Sở Nội vụ", one),
                   ("I.2.b", "I.2", "Kiểm tra các xã", one),
                   ("II.1", None, "Công bố thủ tục", two),
                   ("II.1.1", "II.1", "Công bố thủ tục mới", two),
                   ("II.1.1.a", "II.1.1", "Lĩnh vực nội vụ", two)]
    imported(empty_plan, word(rows), world.head)
    tasks = plan_tasks(empty_plan.id)
    in_order = sorted(tasks.values(), key=lambda t: t.order_key)
    assert [t.stt for t in in_order] == [r[0] for r in got]
    assert all((tasks[s].parent.stt if tasks[s].parent else None) == parent for s, parent, *_ in got)
    # The same document again: every task matched by its official number, nothing changes.
    again = preview(empty_plan, word(rows))
    assert again.ok and again.unchanged == len(got)


def test_a_bullet_or_a_letter_with_nothing_above_it_is_an_error(world, empty_plan):
    p = preview(empty_plan, word([["STT", "Nhiệm vụ"], ["-", "Rà soát"], ["b)", "Kiểm tra"]]))
    assert [e.text for e in p.errors] == [
        "Dòng 2, cột STT: “-” không thuộc nhiệm vụ có số thứ tự nào ở trên",
        "Dòng 3, cột STT: “b)” không thuộc nhiệm vụ có số thứ tự nào ở trên"]


def test_a_group_of_units_becomes_one_task_with_a_sub_task_per_unit(world, make, empty_plan):
    """"Các sở, ban, ngành" leading: one task led by the plan's unit, one sub-task per
    department below it; in the coordinating column, every unit of the group but the lead."""
    from app.directory import units
    from app.extensions import db
    units.add_unit("STP", "Sở Tư pháp", "SNV", kind="department")
    units.add_unit("STC", "Sở Tài chính", "SNV", kind="department")
    units.add_unit("XEK", "UBND xã Ea Kao", "SNV", kind="commune")
    units.add_unit("PCC", "Phòng Công chức, viên chức", "SNV")
    db.session.commit()
    rows = [["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn"],
            ["1", "Rà soát thủ tục", "Các sở, ban, ngành", "Phòng Công chức, viên chức", "Quý II"],
            ["2", "Tự kiểm tra", "Sở Tư pháp", "Các sở, ban, ngành liên quan", "Tháng 9"],
            ["3", "Niêm yết thủ tục", "UBND các xã, phường", None, "Năm 2026"],
            ["4", "Tổng hợp", "ubnd xã ea kao", "sở tài chính; Tư pháp\nPhòng Công chức, viên chức", None]]
    p = preview(empty_plan, word(rows))
    assert p.ok, [e.text for e in p.errors]
    codes = {u.id: u.code for u in p_units()}
    got = [(r.stt, codes.get(r.values["lead_unit_id"]), sorted(codes[i] for i in r.coordinator_ids),
            r.values["due_on"]) for r in p.rows]
    assert got == [("1", "SNV", ["PCC"], date(2026, 6, 30)),
                   ("1.1", "STC", ["PCC"], date(2026, 6, 30)),
                   ("1.2", "STP", ["PCC"], date(2026, 6, 30)),
                   ("2", "STP", ["STC"], date(2026, 9, 30)),
                   ("3", "SNV", [], date(2026, 12, 31)),
                   ("3.1", "XEK", [], date(2026, 12, 31)),
                   ("4", "XEK", ["PCC", "STC", "STP"], None)]
    assert p.groups == {"1": ("Các sở, ban, ngành", ["Sở Tài chính", "Sở Tư pháp"]),
                        "3": ("UBND các xã, phường", ["UBND xã Ea Kao"])}
    imported(empty_plan, word(rows), world.head)
    tasks = plan_tasks(empty_plan.id)
    assert tasks["1.2"].parent_id == tasks["1"].id and tasks["1.2"].title == "Rà soát thủ tục"
    assert preview(empty_plan, word(rows)).unchanged == 7


def p_units():
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Unit
    return db.session.scalars(select(Unit)).all()
