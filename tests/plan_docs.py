"""Plan files as units issue them (issue 14): Word documents with the tasks in an appendix
table, built with python-docx; the committed .xls files of tests/data/plans/."""

from io import BytesIO
from pathlib import Path

import docx

DATA = Path(__file__).parent / "data" / "plans"


def xls(name: str) -> bytes:
    return (DATA / name).read_bytes()


def word(rows: list[list], *, merges=(), before=("ỦY BAN NHÂN DÂN TỈNH", "PHỤ LỤC"),
         tables_before=0) -> bytes:
    """A .docx: paragraphs, `tables_before` unrelated tables, then a table of `rows` (None
    is an empty cell; "\\n" a new paragraph). `merges` are (row1, col1, row2, col2), 0-based,
    merged the way Word merges them (python-docx's merge: the text of the top-left cell)."""
    d = docx.Document()
    for text in before:
        d.add_paragraph(text)
    for _ in range(tables_before):
        other = d.add_table(rows=2, cols=2)
        other.cell(0, 0).text = "Nơi nhận"
        other.cell(1, 0).text = "- Như trên;"
    width = max(len(r) for r in rows)
    t = d.add_table(rows=len(rows), cols=width)
    for i, values in enumerate(rows):
        for j, v in enumerate(values):
            if v is None:
                continue
            cell = t.cell(i, j)
            parts = str(v).split("\n")
            cell.text = parts[0]
            for p in parts[1:]:
                cell.add_paragraph(p)
    for r1, c1, r2, c2 in merges:
        t.cell(r1, c1).merge(t.cell(r2, c2))
    d.add_paragraph("Nơi nhận: như trên.")
    out = BytesIO()
    d.save(out)
    return out.getvalue()
