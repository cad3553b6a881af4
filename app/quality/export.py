"""Quality exports in the official layout (issue 13 point 6): a unit's scoring sheet and the
ranking of a set's units, streamed by xlsx.XlsxStream (text neutralised against formulas)."""

from datetime import date
from decimal import Decimal
from io import BytesIO

from app.domain.scoring import GRADE_LABELS
from app.extensions import db
from app.models import Unit, User
from app.reports import xlsx
from app.reports.document import OfficialDocument, official_document, parent_recipient

SHEET_HEADERS = ("STT", "Tiêu chí", "Điểm tối đa", "Điểm tự chấm", "Điểm thẩm định",
                 "Tài liệu kiểm chứng", "Ghi chú")
RANKING_HEADERS = ("STT", "Đơn vị", "Điểm tự chấm", "Điểm thẩm định", "Xếp hạng", "Xếp loại")
GROUP_TITLES = {
    "department": "các sở, ban, ngành",
    "commune": "các xã, phường, đặc khu",
    "office": "các đơn vị sự nghiệp công lập",
    "other": "các cơ quan Trung ương đóng trên địa bàn tỉnh",
}


def _num(value) -> Decimal | None:
    return Decimal(value) if value is not None else None


def _book(out: BytesIO, title: str):
    return xlsx.XlsxStream(out, title=title, creator="Sáu Rõ")


def _head(book, ws, lines: list[str], ncols: int) -> None:
    big = book.style(bold=True, size=14, horizontal="center", vertical="center", wrap=True)
    plain = book.style(horizontal="center", italic=True)
    for i, line in enumerate(lines):
        ws.row([line] + [None] * (ncols - 1), big if i == 0 else plain)
    ws.blank()


def document_text(no: str | None, on) -> str:
    """Evidence given as a document, as the sheet's column writes it."""
    return f"Văn bản số {no} ngày {on:%d/%m/%Y}" if no and on else (no or "")


def evidence_text(r, answers: dict | None = None) -> str:
    """The `Tài liệu kiểm chứng` cell of a criterion: its files, the document given as
    evidence (number and date), and those of the unit's answer to an explanation on it."""
    parts = [e.original_name for e in r.evidence]
    if r.score is not None and r.score.evidence_doc_no:
        parts.append(document_text(r.score.evidence_doc_no, r.score.evidence_doc_on))
    for e in (answers or {}).get(r.criterion.id, []):
        given = [f.original_name for f in e.files]
        if e.row.answer_doc_no:
            given.append(document_text(e.row.answer_doc_no, e.row.answer_doc_on))
        if given:
            parts.append("Giải trình: " + ", ".join(given))
    return "; ".join(parts)


def sheet_xlsx(card, explanations: list | None = None) -> bytes:
    """One unit's scoring sheet: every criterion (branches with their subtotals), maximum,
    self-assessed and appraised points, evidence (files, documents, the answers' too) and
    notes; then the totals."""
    answers: dict[int, list] = {}
    for e in explanations or []:
        if e.row.criterion_id is not None:
            answers.setdefault(e.row.criterion_id, []).append(e)
    out = BytesIO()
    s, unit = card.set, card.sheet.unit
    title = f"PHIẾU CHẤM ĐIỂM BỘ CHỈ SỐ NĂM {s.year}"
    with _book(out, title) as book:
        ws = book.sheet("Phiếu chấm điểm", widths=(8, 60, 12, 14, 14, 40, 40), freeze_rows=4,
                        print_title_row=4, landscape=True, fit_to_width=True)
        _head(book, ws, [title, f"{s.name} · Đơn vị: {unit.name}"], len(SHEET_HEADERS))
        head = book.style(bold=True, horizontal="center", vertical="center", wrap=True)
        ws.row(list(SHEET_HEADERS), head)
        text = book.column(wrap=True)
        bold = book.column(wrap=True, bold=True)
        num = book.column(number_format="0.00")
        rows = []
        for r in card.rows:
            st = text if r.is_leaf else bold
            note = " ".join(x for x in ((r.score.self_note or "") if r.score else "",
                                        (r.score.appraisal_note or "") if r.score else "") if x)
            if r.is_leaf and not r.applicable:
                note = ("Không áp dụng. " + note).strip()
            elif r.events is not None:
                note = (f"{r.events} lần. " + note).strip()
            if r.is_bonus:
                note = ("Điểm thưởng. " + note).strip()
            rows.append(([r.criterion.code, r.criterion.title, _num(r.criterion.max_points),
                          _num(r.unit_figure if r.is_leaf else r.self_points),
                          _num(r.appraised), evidence_text(r, answers) if r.is_leaf else "", note],
                         [st, st, num, num, num, text, text]))
        for values, styles in rows:
            ws.row(values, styles)
        ws.row(["", "Tổng điểm (quy đổi theo thang điểm của bộ chỉ số)", _num(s.max_points),
                _num(card.self_total.scaled), _num(card.appraised_total.scaled), "", ""],
               [bold, bold, num, num, num, text, text])
        ws.close()
    return out.getvalue()


def ranking_xlsx(s, rows) -> bytes:
    """The ranking of a set's units: self-assessed and appraised totals, rank and grade."""
    out = BytesIO()
    title = f"BẢNG XẾP HẠNG KẾT QUẢ BỘ CHỈ SỐ NĂM {s.year} CỦA {GROUP_TITLES.get(s.unit_group, '').upper()}"
    lines = [title, s.name]
    if s.decision_no:
        lines.append(f"Quyết định số {s.decision_no} ngày {s.decision_on:%d/%m/%Y}")
    header_row = len(lines) + 2
    with _book(out, title) as book:
        ws = book.sheet("Xếp hạng", widths=(8, 50, 14, 14, 10, 30), freeze_rows=header_row,
                        print_title_row=header_row)
        _head(book, ws, lines, len(RANKING_HEADERS))
        head = book.style(bold=True, horizontal="center", vertical="center", wrap=True)
        ws.row(list(RANKING_HEADERS), head)
        text = book.column(wrap=True)
        num = book.column(number_format="0.00")
        ws.rows(([i, r.unit_name, r.self_total, r.appraised_total, r.rank,
                  GRADE_LABELS[r.grade][0]] for i, r in enumerate(rows, start=1)),
                [num, text, num, num, num, text])
        ws.close()
    return out.getvalue()


# ---- the print pages (Decree 30/2020 layout, app/reports/document.py) -------------------

def appraising_unit(s) -> Unit | None:
    """The unit that appraises and ranks (the set's author's: Sở Nội vụ); None when the
    author has no unit (an admin): the document is then the province's."""
    author = db.session.get(User, s.created_by_id) if s.created_by_id else None
    return author.unit if author is not None and author.unit_id is not None else None


def ranking_document(s, issued_on: date) -> OfficialDocument:
    """The ranking as a report of the appraising body, sent up to its parent and to the
    units it ranks."""
    issuer = appraising_unit(s)
    return official_document(
        issuer, issued_on, "BÁO CÁO",
        f"Kết quả xếp hạng Bộ chỉ số năm {s.year} của {GROUP_TITLES.get(s.unit_group, '')}",
        recipients=(parent_recipient(issuer), "Các cơ quan, đơn vị có tên trong Báo cáo;"))


def sheet_document(card, issued_on: date) -> OfficialDocument:
    """A unit's scoring sheet as its report, signed by its head and sent to the appraisers
    (and to its parent, once, when the parent is not the appraising body)."""
    s, unit = card.set, card.sheet.unit
    appraiser = appraising_unit(s)
    if appraiser is not None and appraiser.id == unit.parent_id:
        up = ""
    else:
        up = parent_recipient(unit)
    return official_document(
        unit, issued_on, "BÁO CÁO",
        f"Kết quả tự chấm điểm Bộ chỉ số năm {s.year} của {unit.name}",
        recipients=(f"{appraiser.name} (để thẩm định);" if appraiser else "", up))
