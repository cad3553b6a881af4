"""Writes the corpus of plan files of tests/data/plans/corpus/ (issue 14) and, beside each, the
tasks it must yield (`<name>.json`, written by hand below, never by the importer).

Run from the repository root: `.venv/bin/python tests/data/plans/make_corpus.py` (python-docx,
openpyxl, and xlwt from requirements-dev.txt for the .xls files). The files are committed;
tests/services/test_plan_corpus.py imports each into a plan of the province (P66) of the test
world, with a few more units (see that test), and compares every task field by field.

Each expectation: {"unit": plan unit code, "tasks": [{stt, parent, title, lead, coordinators,
start, due, output, description, field}]}; dates ISO, units by code, null when empty."""

import json
from io import BytesIO
from pathlib import Path

import docx
import xlwt
from openpyxl import Workbook

OUT = Path(__file__).parent / "corpus"
YEAR = 2026


def t(stt, title, lead=None, coord=(), due=None, *, parent=None, start=None, output="",
      description="", field=None):
    return {"stt": stt, "parent": parent, "title": title, "lead": lead,
            "coordinators": sorted(coord), "start": start, "due": due, "output": output,
            "description": description, "field": field}


# ------------------------------------------------------------------ writers

def word(name, rows, merges=(), before=("ỦY BAN NHÂN DÂN TỈNH ĐẮK LẮK", "PHỤ LỤC",
                                         "(Kèm theo Kế hoạch số 15/KH-UBND ngày 10/01/2026)"),
         tables_before=0):
    d = docx.Document()
    for text in before:
        d.add_paragraph(text)
    for _ in range(tables_before):
        other = d.add_table(rows=2, cols=2)
        other.cell(0, 0).text = "Nơi nhận:"
        other.cell(0, 1).text = "KT. CHỦ TỊCH"
        other.cell(1, 0).text = "- Như trên;\n- Lưu: VT."
    width = max(len(r) for r in rows)
    table = d.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    for i, values in enumerate(rows):
        for j, v in enumerate(values):
            if v is None:
                continue
            parts = str(v).split("\n")
            cell = table.cell(i, j)
            cell.text = parts[0]
            for p in parts[1:]:
                cell.add_paragraph(p)
    for r1, c1, r2, c2 in merges:
        table.cell(r1, c1).merge(table.cell(r2, c2))
    d.add_paragraph("Nơi nhận: như trên.")
    d.save(OUT / name)


def workbook(name, rows, merges=()):
    wb = Workbook()
    ws = wb.active
    ws.title = "Phụ lục"
    for values in rows:
        ws.append(values)
    for ref in merges:
        ws.merge_cells(ref)
    wb.save(OUT / name)


def old_excel(name, rows, merges=()):
    """An Excel 97-2003 file: `merges` as (r1, r2, c1, c2), 0-based, the text in the first."""
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Phu luc")
    dates = xlwt.easyxf(num_format_str="dd/mm/yyyy")
    merged = {(r1, c1): (r2, c2) for r1, r2, c1, c2 in merges}
    covered = {(r, c) for r1, r2, c1, c2 in merges for r in range(r1, r2 + 1)
               for c in range(c1, c2 + 1)} - set(merged)
    for r, values in enumerate(rows):
        for c, v in enumerate(values):
            if (r, c) in covered:
                continue
            if (r, c) in merged:
                r2, c2 = merged[(r, c)]
                ws.write_merge(r, r2, c, c2, v)
            elif v is not None:
                ws.write(r, c, v, dates) if hasattr(v, "year") else ws.write(r, c, v)
    out = BytesIO()
    wb.save(out)
    (OUT / name).write_bytes(out.getvalue())


def expect(name, tasks, unit="P66"):
    (OUT / (name.rsplit(".", 1)[0] + ".json")).write_text(
        json.dumps({"file": name, "unit": unit, "tasks": tasks}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8")


# ------------------------------------------------------------------ the corpus

def corpus():
    OUT.mkdir(exist_ok=True)
    from datetime import date

    # 1. A Word appendix: a merged header over two rows, the row of column numbers, Roman
    # sections, deadlines in words, a lead unit merged down over two tasks.
    name = "01-phu-luc-word.docx"
    word(name, [
        ["STT", "Nội dung công việc", "Đơn vị thực hiện", None, "Thời gian hoàn thành", "Sản phẩm", "Ghi chú"],
        [None, None, "Chủ trì", "Phối hợp", None, None, None],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"],
        ["I", "CẢI CÁCH THỂ CHẾ", None, None, None, None, None],
        ["1", "Rà soát văn bản quy phạm pháp luật", "Sở Nội vụ", "Sở Khoa học và Công nghệ", "Quý II/2026", "Báo cáo rà soát", None],
        ["2", "Kiểm tra việc thi hành văn bản", None, None, "Tháng 9", "Kết luận kiểm tra", "Đột xuất"],
        ["II", "CẢI CÁCH THỦ TỤC HÀNH CHÍNH", None, None, None, None, None],
        ["1", "Công bố danh mục thủ tục hành chính", "Sở Khoa học và Công nghệ", None, "6 tháng đầu năm", "Quyết định công bố", None],
    ], merges=[(0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 0, 3), (0, 4, 1, 4), (0, 5, 1, 5), (0, 6, 1, 6), (4, 2, 5, 2)])
    one, two = "Cải cách thể chế", "Cải cách thủ tục hành chính"
    expect(name, [
        t("I.1", "Rà soát văn bản quy phạm pháp luật", "SNV", ["SKHCN"], "2026-06-30", output="Báo cáo rà soát", field=one),
        t("I.2", "Kiểm tra việc thi hành văn bản", "SNV", [], "2026-09-30", output="Kết luận kiểm tra", description="Ghi chú: Đột xuất", field=one),
        t("II.1", "Công bố danh mục thủ tục hành chính", "SKHCN", [], "2026-06-30", output="Quyết định công bố", field=two),
    ])

    # 2. An old .xls: a title block, a header over two rows, sections written "I. …" in one
    # merged cell, a real date, deadlines in words.
    name = "02-ke-hoach-cu.xls"
    old_excel(name, [
        ["KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH NĂM 2026", None, None, None, None, None],
        ["(Kèm theo Kế hoạch số 12/KH-UBND)", None, None, None, None, None],
        [None] * 6,
        ["TT", "Nhiệm vụ, giải pháp", "Đơn vị thực hiện", None, "Thời gian", None],
        [None, None, "Chủ trì", "Phối hợp", "Bắt đầu", "Hoàn thành"],
        ["I. CẢI CÁCH TỔ CHỨC BỘ MÁY", None, None, None, None, None],
        [1, "Rà soát chức năng, nhiệm vụ các phòng", "SNV", None, date(2026, 2, 1), "Trước ngày 30/6/2026"],
        [2, "Sắp xếp đơn vị sự nghiệp", "SNV", "SKHCN", date(2026, 3, 1), date(2026, 11, 30)],
        ["II. XÂY DỰNG CHÍNH QUYỀN SỐ", None, None, None, None, None],
        [1, "Số hóa hồ sơ thủ tục hành chính", "SKHCN", None, None, "Năm 2026"],
    ], merges=[(0, 0, 0, 5), (1, 1, 0, 5), (3, 4, 0, 0), (3, 4, 1, 1), (3, 3, 2, 3), (3, 3, 4, 5),
               (5, 5, 0, 5), (8, 8, 0, 5)])
    one, two = "Cải cách tổ chức bộ máy", "Xây dựng chính quyền số"
    expect(name, [
        t("I.1", "Rà soát chức năng, nhiệm vụ các phòng", "SNV", [], "2026-06-30", start="2026-02-01", field=one),
        t("I.2", "Sắp xếp đơn vị sự nghiệp", "SNV", ["SKHCN"], "2026-11-30", start="2026-03-01", field=one),
        t("II.1", "Số hóa hồ sơ thủ tục hành chính", "SKHCN", [], "2026-12-31", field=two),
    ])

    # 3. Bullets: "-" and "+" in the STT cell and opening the task, under numbered items.
    name = "03-gach-dau-dong.docx"
    word(name, [
        ["STT", "Nhiệm vụ", "Chủ trì", "Thời hạn"],
        ["1", "Tuyên truyền cải cách hành chính", "SNV", "Quý IV"],
        ["-", "Xây dựng chuyên mục trên Cổng thông tin", "SNV", "Quý II"],
        ["+", "Chuyên mục hỏi đáp", "SNV", "Tháng 5"],
        ["+", "Chuyên mục văn bản mới", "SNV", "Tháng 6"],
        [None, "- Tổ chức hội thi tìm hiểu", "SNV", "Quý III"],
        ["2", "Khảo sát sự hài lòng", "SKHCN", "Tháng 10/2026"],
        [None, "- Khảo sát trực tuyến", "SKHCN", "Tháng 9"],
    ])
    expect(name, [
        t("1", "Tuyên truyền cải cách hành chính", "SNV", [], "2026-12-31"),
        t("1.1", "Xây dựng chuyên mục trên Cổng thông tin", "SNV", [], "2026-06-30", parent="1"),
        t("1.1.1", "Chuyên mục hỏi đáp", "SNV", [], "2026-05-31", parent="1.1"),
        t("1.1.2", "Chuyên mục văn bản mới", "SNV", [], "2026-06-30", parent="1.1"),
        t("1.2", "Tổ chức hội thi tìm hiểu", "SNV", [], "2026-09-30", parent="1"),
        t("2", "Khảo sát sự hài lòng", "SKHCN", [], "2026-10-31"),
        t("2.1", "Khảo sát trực tuyến", "SKHCN", [], "2026-09-30", parent="2"),
    ])

    # 4. Numbers 1, 1.1, 1.1.1 and letters a), b) (in the STT cell and opening the task).
    name = "04-so-va-chu.xlsx"
    workbook(name, [
        ["STT", "Tên nhiệm vụ", "Cơ quan chủ trì", "Thời hạn hoàn thành"],
        ["1", "Hiện đại hóa nền hành chính", "SNV", "Năm 2026"],
        ["1.1", "Ứng dụng công nghệ thông tin", "SNV", "Quý III"],
        ["1.1.1", "Nâng cấp phần mềm một cửa", "SKHCN", "Quý II"],
        ["2", "Cải cách công vụ", "SNV", "Cả năm"],
        ["a)", "Tuyển dụng công chức", "SNV", "Tháng 8"],
        [None, "b) Đánh giá, xếp loại công chức", "SNV", "Trước 15/12"],
    ])
    expect(name, [
        t("1", "Hiện đại hóa nền hành chính", "SNV", [], "2026-12-31"),
        t("1.1", "Ứng dụng công nghệ thông tin", "SNV", [], "2026-09-30", parent="1"),
        t("1.1.1", "Nâng cấp phần mềm một cửa", "SKHCN", [], "2026-06-30", parent="1.1"),
        t("2", "Cải cách công vụ", "SNV", [], "2026-12-31"),
        t("2.a", "Tuyển dụng công chức", "SNV", [], "2026-08-31", parent="2"),
        t("2.b", "Đánh giá, xếp loại công chức", "SNV", [], "2026-12-15", parent="2"),
    ])

    # 5. Groups of units: a group leading (one task, one sub-task per unit), a group
    # coordinating (every unit of it but the lead).
    name = "05-nhom-don-vi.docx"
    word(name, [
        ["TT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn"],
        ["1", "Tự kiểm tra công tác cải cách hành chính", "Các sở, ban, ngành", None, "Quý III"],
        ["2", "Niêm yết thủ tục hành chính", "UBND các xã, phường", "Sở Khoa học và Công nghệ", "Tháng 6"],
        ["3", "Tổng hợp báo cáo", "Sở Nội vụ", "Các sở, ban, ngành", "Tháng 12"],
    ])
    expect(name, [
        t("1", "Tự kiểm tra công tác cải cách hành chính", "P66", [], "2026-09-30"),
        t("1.1", "Tự kiểm tra công tác cải cách hành chính", "SKHCN", [], "2026-09-30", parent="1"),
        t("1.2", "Tự kiểm tra công tác cải cách hành chính", "SNV", [], "2026-09-30", parent="1"),
        t("2", "Niêm yết thủ tục hành chính", "P66", ["SKHCN"], "2026-06-30"),
        t("2.1", "Niêm yết thủ tục hành chính", "PTL", ["SKHCN"], "2026-06-30", parent="2"),
        t("2.2", "Niêm yết thủ tục hành chính", "XEK", ["SKHCN"], "2026-06-30", parent="2"),
        t("3", "Tổng hợp báo cáo", "SNV", ["SKHCN"], "2026-12-31"),
    ])

    # 6. Deadlines in words, in an old .xls; words naming no date are kept.
    name = "06-thoi-han-bang-chu.xls"
    phrases = [("Tháng 6/2026", "2026-06-30"), ("Tháng 3", "2026-03-31"), ("Quý II/2026", "2026-06-30"),
               ("Quý I", "2026-03-31"), ("Quý 3", "2026-09-30"), ("6 tháng đầu năm", "2026-06-30"),
               ("9 tháng", "2026-09-30"), ("Trước ngày 30/6/2026", "2026-06-30"),
               ("Trước 15/8", "2026-08-15"), ("Chậm nhất ngày 31/10", "2026-10-31"),
               ("Năm 2026", "2026-12-31"), ("Trong năm 2026", "2026-12-31"), ("Cả năm", "2026-12-31"),
               ("Khi có chỉ đạo", None)]
    old_excel(name, [["STT", "Nội dung", "Chủ trì", "Thời gian thực hiện"]]
              + [[str(i), f"Nhiệm vụ số {i}", "SNV", words] for i, (words, _d) in enumerate(phrases, 1)])
    expect(name, [t(str(i), f"Nhiệm vụ số {i}", "SNV", [], due,
                    description="" if due else f"Thời hạn theo kế hoạch: {words}")
                  for i, (words, due) in enumerate(phrases, 1)])

    # 7. Columns named as a province names them, below a title block, in another order.
    name = "07-ten-cot-khac.xlsx"
    workbook(name, [
        ["ỦY BAN NHÂN DÂN TỈNH ĐẮK LẮK", None, None, None, None, None],
        ["PHỤ LỤC: NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH NĂM 2026", None, None, None, None, None],
        [None] * 6,
        ["Số TT", "Kết quả/sản phẩm", "Nhiệm vụ cụ thể", "Tiến độ hoàn thành", "Cơ quan, đơn vị chủ trì", "Ghi chú khác"],
        ["1", "Quyết định phê duyệt", "Phê duyệt đề án vị trí việc làm", "30/09/2026", "SNV", "Trình UBND tỉnh"],
        ["2", "Báo cáo", "Báo cáo chuyên đề", "Tháng 11", "nội vụ", None],
    ], merges=["A1:F1", "A2:F2"])
    expect(name, [
        t("1", "Phê duyệt đề án vị trí việc làm", "SNV", [], "2026-09-30", output="Quyết định phê duyệt",
          description="Ghi chú: Trình UBND tỉnh"),
        t("2", "Báo cáo chuyên đề", "SNV", [], "2026-11-30", output="Báo cáo"),
    ])

    # 8. Only what identifies a task: a number and the task.
    name = "08-chi-stt-nhiem-vu.docx"
    word(name, [["STT", "Nhiệm vụ"], ["1", "Xây dựng kế hoạch kiểm tra"],
                ["2", "Tổ chức hội nghị sơ kết"], ["3", "Tổng kết năm"]])
    expect(name, [t("1", "Xây dựng kế hoạch kiểm tra"), t("2", "Tổ chức hội nghị sơ kết"),
                  t("3", "Tổng kết năm")])

    # 9. The plan in the second table of a document; headers and tasks over several lines.
    name = "09-bang-thu-hai.docx"
    word(name, [
        ["STT", "Nhiệm vụ", "Đơn vị\nchủ trì", "Đơn vị\nphối hợp", "Hạn hoàn\nthành", "Sản phẩm\ndự kiến"],
        ["1", "Đo lường sự hài lòng\ncủa người dân", "SNV", "SKHCN\nUBND tỉnh Đắk Lắk", "Quý IV/2026", "Báo cáo kết quả"],
        ["2", "Cập nhật cơ sở dữ liệu", "SKHCN", None, "Tháng 7", "Cơ sở dữ liệu"],
    ], tables_before=1)
    expect(name, [
        t("1", "Đo lường sự hài lòng của người dân", "SNV", ["P66", "SKHCN"], "2026-12-31", output="Báo cáo kết quả"),
        t("2", "Cập nhật cơ sở dữ liệu", "SKHCN", [], "2026-07-31", output="Cơ sở dữ liệu"),
    ])

    # 10. Units as they are written: codes, lower case, without "Sở", "UBND XÃ …" in capitals,
    # lists on ";" and ",", a name holding a comma.
    name = "10-don-vi-nhu-viet.xlsx"
    workbook(name, [
        ["STT", "Nhiệm vụ", "Chủ trì", "Phối hợp", "Hạn"],
        ["1", "Rà soát biên chế", "sở nội vụ", "Phòng Công chức, viên chức", "Tháng 4"],
        ["2", "Kiểm tra xã", "UBND XÃ EA KAO", "Nội vụ; khoa học và công nghệ", "Tháng 5"],
        ["3", "Hướng dẫn phường", "ubnd phường tân lập", "Sở Nội vụ, Sở Khoa học và Công nghệ", "Tháng 6"],
        ["4", "Đào tạo công chức", "Khoa học và Công nghệ", "PCCVC\nSNV", "Tháng 7"],
    ])
    expect(name, [
        t("1", "Rà soát biên chế", "SNV", ["PCCVC"], "2026-04-30"),
        t("2", "Kiểm tra xã", "XEK", ["SKHCN", "SNV"], "2026-05-31"),
        t("3", "Hướng dẫn phường", "PTL", ["SKHCN", "SNV"], "2026-06-30"),
        t("4", "Đào tạo công chức", "SKHCN", ["PCCVC", "SNV"], "2026-07-31"),
    ])

    # 11. An old .xls with a header over two rows and a lead unit merged down, one section.
    name = "11-hai-dong-tieu-de.xls"
    old_excel(name, [
        ["STT", "Nhiệm vụ", "Cơ quan", None, "Thời hạn", "Kết quả, sản phẩm"],
        [None, None, "Chủ trì", "Phối hợp", None, None],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],
        ["I", "CHUYỂN ĐỔI SỐ", None, None, None, None],
        ["1", "Triển khai chữ ký số", "Sở Khoa học và Công nghệ", "SNV", "Quý II", "Chữ ký số được cấp"],
        ["2", "Kết nối dịch vụ công", None, None, "Quý III", "Dịch vụ được kết nối"],
        ["2.1", "Kết nối cấp tỉnh", None, None, "Tháng 8", None],
    ], merges=[(0, 1, 0, 0), (0, 1, 1, 1), (0, 0, 2, 3), (0, 1, 4, 4), (0, 1, 5, 5), (4, 6, 2, 2)])
    f = "Chuyển đổi số"
    expect(name, [
        t("I.1", "Triển khai chữ ký số", "SKHCN", ["SNV"], "2026-06-30", output="Chữ ký số được cấp", field=f),
        t("I.2", "Kết nối dịch vụ công", "SKHCN", [], "2026-09-30", output="Dịch vụ được kết nối", field=f),
        t("I.2.1", "Kết nối cấp tỉnh", "SKHCN", [], "2026-08-31", parent="I.2", field=f),
    ])

    # 12. The template's own columns (as the export writes them), with a section number.
    name = "12-mau-cua-he-thong.xlsx"
    workbook(name, [
        ["STT", "Nhiệm vụ", "Mô tả", "Đơn vị chủ trì", "Đơn vị phối hợp", "Ngày bắt đầu",
         "Hạn hoàn thành", "Sản phẩm đầu ra", "Lĩnh vực"],
        ["II.1", "Ban hành quy chế làm việc", "Quy chế mới thay quy chế năm 2020", "SNV", "SKHCN",
         "01/02/2026", "31/03/2026", "Quy chế", "Cải cách hành chính"],
        ["II.1.a", "Dự thảo quy chế", None, "SNV", None, "01/02/2026", "28/02/2026", "Dự thảo", "Cải cách hành chính"],
    ])
    expect(name, [
        t("II.1", "Ban hành quy chế làm việc", "SNV", ["SKHCN"], "2026-03-31", start="2026-02-01",
          output="Quy chế", description="Quy chế mới thay quy chế năm 2020", field="Cải cách hành chính"),
        t("II.1.a", "Dự thảo quy chế", "SNV", [], "2026-02-28", parent="II.1", start="2026-02-01",
          output="Dự thảo", field="Cải cách hành chính"),
    ])


if __name__ == "__main__":
    corpus()
    print("wrote", len(list(OUT.glob("*.json"))), "plans to", OUT)
