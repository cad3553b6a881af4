"""Excel files for the import tests, built with openpyxl the way units' real files look:
a title block above the header, merged cells, Excel date serials and text dates,
hierarchical numbers, Roman sections, blank rows, names in NFC and NFD, formulas with
cached values; and the broken files, each with the message the importer must give."""

import re
import unicodedata
import zipfile
from datetime import date, datetime
from io import BytesIO

from openpyxl import Workbook
from openpyxl.utils.datetime import to_excel

HEADERS = ["STT", "Nhiệm vụ", "Mô tả", "Đơn vị chủ trì", "Đơn vị phối hợp", "Người thực hiện",
           "Lãnh đạo phụ trách", "Trách nhiệm", "Quy trình", "Ngày bắt đầu", "Hạn hoàn thành",
           "Sản phẩm đầu ra", "Chỉ tiêu", "Đơn vị tính", "Giá trị mục tiêu", "Lĩnh vực", "Trọng số",
           "Tiến độ (%)", "Ngày hoàn thành", "Giá trị thực hiện", "Định kỳ", "Trọng tâm",
           "Chiều chỉ tiêu", "Tỷ lệ đạt (%)"]
KEYS = ["stt", "title", "description", "lead", "coord", "assignee", "leader", "resp", "steps",
        "start", "due", "output", "ind", "ind_unit", "target", "field", "weight", "progress",
        "completed", "actual", "recurrence", "key", "direction", "achievement"]


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def serial(d: date) -> int:
    """An Excel date serial, as a cell holds it when it is not formatted as a date."""
    return int(to_excel(datetime(d.year, d.month, d.day)))


def row(**kw) -> list:
    """A data row in the template's column order; unknown keys are a test bug."""
    unknown = set(kw) - set(KEYS)
    assert not unknown, unknown
    return [kw.get(k) for k in KEYS]


def clear_row(stt, title="Rà soát, đơn giản hóa thủ tục hành chính lĩnh vực nội vụ", **kw) -> list:
    """A row clear on all six in the `world` of tests/conftest.py (unit SNV)."""
    values = {"stt": stt, "title": title, "description": "Rà soát toàn bộ thủ tục đang có hiệu lực.",
                  "lead": "SNV", "assignee": "staff_a", "leader": "deputy_a",
                  "resp": "Chịu trách nhiệm về chất lượng phương án.",
                  "steps": "Thống kê thủ tục\nĐề xuất phương án", "start": date(2026, 2, 1),
                  "due": date(2026, 9, 30), "output": "Quyết định phê duyệt phương án"}
    values.update(kw)
    return row(**values)


def build(rows: list[list], *, merges=(), cached: dict | None = None, text_cells=(),
          sheets_before=(), title="Kế hoạch") -> bytes:
    """A workbook whose first data sheet holds `rows` from A1 (None = empty cell).

    `cached` maps a cell ("O12") holding a formula to the value Excel would have cached;
    openpyxl cannot write one, so it is put into the sheet's XML afterwards.
    `text_cells` are cells whose text starts with "=" but is text, not a formula."""
    wb = Workbook()
    ws = wb.active
    for name in sheets_before:
        other = wb.create_sheet(name, 0)
        other.append(["Ghi chú", "Trang này không có dữ liệu"])
    ws.title = title
    for r in rows:
        ws.append(r)
    for ref in text_cells:
        ws[ref].data_type = "s"
    for m in merges:
        ws.merge_cells(m)
    out = BytesIO()
    wb.save(out)
    data = out.getvalue()
    if cached:
        data = _with_cached(data, wb.sheetnames.index(title) + 1, cached)
    return data


def _with_cached(data: bytes, sheet_no: int, cached: dict) -> bytes:
    src = zipfile.ZipFile(BytesIO(data))
    out = BytesIO()
    name = f"xl/worksheets/sheet{sheet_no}.xml"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == name:
                xml = body.decode("utf-8")
                for ref, value in cached.items():
                    # openpyxl writes an empty value <v/>, or <v></v> when lxml is installed.
                    pattern = re.compile(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*(?:/>|></v>)')
                    assert pattern.search(xml), f"no formula in {ref}"
                    if isinstance(value, str):
                        repl = rf'<c r="{ref}"\1 t="str"><f>\2</f><v>{value}</v>'
                    else:
                        repl = rf'<c r="{ref}"\1><f>\2</f><v>{value}</v>'
                    xml = pattern.sub(repl, xml)
                body = xml.encode("utf-8")
            dst.writestr(info, body)
    return out.getvalue()


# ---- the real-looking file ---------------------------------------------------------------

def real_plan() -> tuple[bytes, dict]:
    """The kind of file a department keeps: what it holds, and what the import must make of it.

    Row 7 is the header, in capitals, NFD and with spaces; rows 8-19 hold two Roman sections
    numbered from 1 each, sub-tasks down to 2.2.1, a blank row, a lead unit merged over three
    rows, names in NFD and without diacritics, dates as Excel dates, serials and text, and
    formulas with cached values."""
    header = ["  stt ", "NHIỆM VỤ", "Mô tả", nfd("Đơn vị chủ trì"), "đơn vị phối hợp",
              "Người Thực Hiện", "Lãnh đạo phụ trách", "Trách nhiệm", "Quy trình", "Ngày bắt đầu",
              "Hạn hoàn thành", "Sản phẩm đầu ra", "Chỉ tiêu", "Đơn vị tính", "Giá trị mục tiêu",
              "Lĩnh vực", "Trọng số", "Tiến độ (%)", "Ngày hoàn thành", "Giá trị thực hiện",
              None, None]
    rows = [
        ["UBND TỈNH ĐẮK LẮK", None, None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
        ["SỞ NỘI VỤ", None, None, None, None, "Độc lập - Tự do - Hạnh phúc"],
        [],
        ["KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH NĂM 2026"],
        ["(Kèm theo Kế hoạch số 15/KH-SNV ngày 10/01/2026 của Sở Nội vụ)"],
        [],
        header,
        # 8: section I, its title in the next cell (merged across)
        ["I", "CẢI CÁCH THỂ CHẾ"],
        # 9: clear; lead by code, NFD assignee name, real dates, weight 2
        row(stt=1, title="Rà soát văn bản quy phạm pháp luật do tỉnh ban hành",
            description="Rà soát, hệ thống hóa văn bản còn hiệu lực.", lead="SNV",
            coord="Sở Khoa học và Công nghệ", assignee=nfd("Phạm Văn Đăng"),
            leader="Lê Thị Mai", resp="Chịu trách nhiệm về kết quả rà soát.",
            steps="Lập danh mục văn bản (hạn 15/02/2026)\nRà soát, đề xuất xử lý",
            start=datetime(2026, 1, 15), due=datetime(2026, 4, 30),
            output="Báo cáo kết quả rà soát", weight=2),
        [],  # 10: blank
        # 11: parent 2: lead unit by name, merged down over rows 11-13
        row(stt=2, title="Xây dựng bộ chỉ số đánh giá chất lượng hoạt động",
            description="Xây dựng và ban hành bộ chỉ số.", lead="Sở Nội vụ",
            assignee="Pham Van Dang", leader="deputy_a",
            resp="Chịu trách nhiệm dự thảo và trình ban hành.",
            steps="Dự thảo bộ chỉ số; Lấy ý kiến các sở, ngành; Trình ban hành",
            start="01/02/2026", due="2026-09-30", output="Quyết định ban hành bộ chỉ số",
            ind="Số chỉ số", ind_unit="chỉ số", target="=10+2"),
        # 12: "2.1" as text, d/m/yyyy date, name without diacritics, lead from the merge
        row(stt="2.1", title="Dự thảo bộ chỉ số đánh giá", description="Dự thảo lần 1.",
            assignee="ngo thi lan", leader="head_a", resp="Chịu trách nhiệm về dự thảo.",
            steps="- Thu thập tài liệu\n- Viết dự thảo", start="1/3/2026", due="30/06/2026",
            output="Dự thảo bộ chỉ số"),
        # 13: "2.2" as a number (2.2), due date as a serial
        row(stt=2.2, title="Lấy ý kiến góp ý các sở, ngành", description="Gửi dự thảo xin ý kiến.",
            assignee="staff_a2", leader="deputy_a", resp="Tổng hợp đầy đủ ý kiến.",
            steps="Gửi văn bản xin ý kiến", start=serial(date(2026, 7, 1)),
            due=serial(date(2026, 8, 15)), output="Báo cáo tổng hợp ý kiến"),
        # 14: "2.2.1", not clear (no steps, no leader, no output)
        row(stt="2.2.1", title="Tổng hợp ý kiến góp ý", description="Tổng hợp.",
            lead="SNV", assignee="staff_a2", start="01/07/2026", due="10/08/2026"),
        # 15: section II written in one cell
        ["II. CẢI CÁCH THỦ TỤC HÀNH CHÍNH"],
        # 16: numbered from 1 again -> 3; vague and unclear; field from the section (new)
        row(stt=1, title="Tăng cường công tác cải cách hành chính"),
        # 17: 2 -> 4; progress already made, completed, text starting with "=" kept as text
        row(stt=2, title="Số hóa hồ sơ thủ tục hành chính còn hiệu lực",
            description="=Số hóa 100% hồ sơ còn hiệu lực", lead="SNV",
            coord="SKHCN; P66", assignee=nfd("Ngô Thị Lan"), leader=nfd("Trần Văn Hùng"),
            resp="Chịu trách nhiệm về tiến độ số hóa.", steps="Số hóa hồ sơ",
            start=date(2026, 1, 5), due=date(2026, 6, 30), output="Kho hồ sơ số",
            ind="Tỷ lệ hồ sơ được số hóa", ind_unit="%", target=100, field="Chuyển đổi số",
            weight="1,5", progress=100, completed="10/06/2026", actual="=50*2"),
        # 18: 2.1 -> 4.1; progress 40 without completion
        row(stt="2.1", title="Số hóa hồ sơ năm 2024", description="Số hóa hồ sơ năm 2024.",
            lead="SNV", assignee="staff_a", leader="deputy_a",
            resp="Chịu trách nhiệm về chất lượng bản số hóa.", steps="Quét hồ sơ; Kiểm tra",
            start="05/01/2026", due="30/05/2026", output="Hồ sơ số năm 2024", progress=40),
    ]
    merges = ["A1:E1", "F1:T1", "A2:E2", "F2:T2", "A4:T4", "A5:T5", "B8:T8", "D11:D13", "A15:T15"]
    data = build(rows, merges=merges, cached={"O11": 12, "T17": 100},
                 text_cells=["C17"])
    expected = {
        "stts": ["I.1", "I.2", "I.2.1", "I.2.2", "I.2.2.1", "II.1", "II.2", "II.2.1"],
        "titles": ["Rà soát văn bản quy phạm pháp luật do tỉnh ban hành",
                   "Xây dựng bộ chỉ số đánh giá chất lượng hoạt động",
                   "Dự thảo bộ chỉ số đánh giá", "Lấy ý kiến góp ý các sở, ngành",
                   "Tổng hợp ý kiến góp ý", "Tăng cường công tác cải cách hành chính",
                   "Số hóa hồ sơ thủ tục hành chính còn hiệu lực", "Số hóa hồ sơ năm 2024"],
        "clear": {"I.1", "I.2", "I.2.1", "I.2.2", "II.2", "II.2.1"},
        "not_clear": {"I.2.2.1", "II.1"},
        "new_fields": ["Cải cách thể chế", "Cải cách thủ tục hành chính", "Chuyển đổi số"],
    }
    return data, expected


# ---- files as Excel writes them --------------------------------------------------------

_INLINE = re.compile(r'<c r="([A-Z]+\d+)"([^>]*?) t="inlineStr"([^>]*)><is><t(?: [^>]*)?>(.*?)</t></is></c>',
                     re.DOTALL)
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def excel_style(data: bytes) -> bytes:
    """The same workbook the way Excel saves it: text in a shared-strings table and the
    sheet's size recorded (openpyxl writes inline strings and, in write-only mode, no size),
    so that a timing measures what users upload."""
    src = zipfile.ZipFile(BytesIO(data))
    strings: dict[str, int] = {}

    def shared(m) -> str:
        ref, before, after, text = m.groups()
        idx = strings.setdefault(text, len(strings))
        return f'<c r="{ref}"{before} t="s"{after}><v>{idx}</v></c>'

    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                xml = _INLINE.sub(shared, body.decode("utf-8"))
                refs = re.findall(r'<c r="([A-Z]+)(\d+)"', xml)
                if refs and "<dimension" not in xml:
                    last_col = max((r[0] for r in refs), key=lambda c: (len(c), c))
                    last_row = max(int(r[1]) for r in refs)
                    at = xml.index("<sheetViews") if "<sheetViews" in xml else xml.index("<sheetData")
                    xml = xml[:at] + f'<dimension ref="A1:{last_col}{last_row}"/>' + xml[at:]
                body = xml.encode("utf-8")
            elif info.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                                                  f'ContentType="{_SST_TYPE}"/></Types>'.encode())
            elif info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"</Relationships>", f'<Relationship Id="rIdSst" Type="{_SST_REL}" '
                                                          f'Target="sharedStrings.xml"/></Relationships>'.encode())
            dst.writestr(info, body)
        items = "".join(f"<si><t xml:space=\"preserve\">{t}</t></si>" for t in strings)
        dst.writestr("xl/sharedStrings.xml",
                     '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                     '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                     f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')
    return out.getvalue()
