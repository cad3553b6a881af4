"""Importing a 5,000-row plan (app/services/plan_import.py) against its floor: openpyxl's
read-only reader walking the same file, one SELECT each to map unit codes and usernames
to ids, and executemany inserting the same rows (tasks, their steps, the audit rows and
the assignment notices)."""

import io
from datetime import date, datetime, timedelta

from openpyxl import Workbook, load_workbook

ROWS = 5000
KIND = "cchc"


def build_file(raw, meta: dict, year: int, fmt: str = "xlsx") -> tuple[bytes, list[tuple]]:
    """The plan of the largest unit for next year, as its Excel file: every column of the
    template, dates as real dates, people by username, units by code."""
    from app.plans.importing import HEADERS

    unit_id = meta["largest_unit_id"]
    units = raw.execute("SELECT id, code FROM units WHERE id = :u OR parent_id = :u ORDER BY id",
                        {"u": unit_id}).fetchall()
    staff = {}
    for uid, code in units:
        staff[code] = [r[0] for r in raw.execute(
            "SELECT username FROM users WHERE unit_id = :u AND role = 'staff' ORDER BY id",
            {"u": uid}).fetchall()]
    leaders = [r[0] for r in raw.execute(
        "SELECT username FROM users WHERE unit_id = :u AND role IN ('head', 'deputy') ORDER BY id",
        {"u": unit_id}).fetchall()]
    fields = [r[0] for r in raw.execute("SELECT name FROM fields ORDER BY id").fetchall()]
    codes = [c for c, people in staff.items() if people]
    table = [list(HEADERS)]
    for i in range(1, ROWS + 1):
        code = codes[i % len(codes)]
        start = date(year, 1, 2) + timedelta(days=i % 200)
        due = start + timedelta(days=30 + i % 120)
        step_due = start + timedelta(days=15)
        row = {
            "STT": str(i),
            "Nhiệm vụ": f"Rà soát quy trình nội bộ số {i} năm {year}",
            "Mô tả": "Rà soát, đề xuất đơn giản hóa quy trình giải quyết thủ tục hành chính.",
            "Đơn vị chủ trì": code,
            "Đơn vị phối hợp": "",
            "Người thực hiện": staff[code][i % len(staff[code])],
            "Lãnh đạo phụ trách": leaders[i % len(leaders)],
            "Trách nhiệm": "Chịu trách nhiệm về tiến độ và chất lượng.",
            "Quy trình": f"Dự thảo (hạn {step_due:%d/%m/%Y})\nHoàn thiện và trình ký",
            "Ngày bắt đầu": start,
            "Hạn hoàn thành": due,
            "Sản phẩm đầu ra": "Quyết định ban hành quy trình",
            "Chỉ tiêu": "",
            "Đơn vị tính": "",
            "Giá trị mục tiêu": None,
            "Lĩnh vực": fields[i % len(fields)],
            "Trọng số": 1,
        }
        table.append([row.get(h) for h in HEADERS])
    return WRITERS[fmt](table), units


def _xlsx(table: list[list]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Kế hoạch")
    for values in table:
        ws.append(values)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _docx(table: list[list]) -> bytes:
    """The plan as a Word appendix: a title, then the table (dates as text, steps one per
    paragraph), built as XML (python-docx takes minutes to add 100,000 cells)."""
    from xml.sax.saxutils import escape

    import docx

    def cell(v) -> str:
        if v is None or v == "":
            return "<w:tc><w:p/></w:tc>"
        if hasattr(v, "strftime"):
            v = v.strftime("%d/%m/%Y")
        paras = "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{escape(str(p))}</w:t></w:r></w:p>"
                        for p in str(v).split("\n"))
        return f"<w:tc>{paras}</w:tc>"

    d = docx.Document()
    d.add_paragraph("PHỤ LỤC: KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH")
    d.add_table(rows=1, cols=len(table[0]))
    out = io.BytesIO()
    d.save(out)
    import zipfile
    src = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    body = "".join("<w:tr>" + "".join(cell(v) for v in values) + "</w:tr>" for values in table)
    grid = "<w:tblGrid>" + "<w:gridCol/>" * len(table[0]) + "</w:tblGrid>"
    done = io.BytesIO()
    with zipfile.ZipFile(done, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                start, end = text.index("<w:tbl>"), text.index("</w:tbl>") + len("</w:tbl>")
                data = (text[:start] + "<w:tbl>" + grid + body + "</w:tbl>" + text[end:]).encode("utf-8")
            z.writestr(info.filename, data)
    return done.getvalue()


def _xls(table: list[list]) -> bytes:
    """The plan as an Excel 97-2003 workbook (xlwt, requirements-dev.txt)."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Ke hoach")
    dates = xlwt.easyxf(num_format_str="dd/mm/yyyy")
    for r, values in enumerate(table):
        for c, v in enumerate(values):
            if v is None:
                continue
            if hasattr(v, "year"):
                ws.write(r, c, v, dates)
            else:
                ws.write(r, c, v)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


WRITERS = {"xlsx": _xlsx, "docx": _docx, "xls": _xls}


def _read_xlsx(data: bytes):
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    yield from wb.worksheets[0].iter_rows(values_only=True)


def _read_docx(data: bytes):
    import docx
    from docx.oxml.ns import qn

    table = docx.Document(io.BytesIO(data)).tables[0]._tbl
    for tr in table.iterchildren(qn("w:tr")):
        values = []
        for tc in tr.iterchildren(qn("w:tc")):
            text = "\n".join("".join(t.text or "" for t in p.iter(qn("w:t")))
                             for p in tc.iterchildren(qn("w:p")))
            try:
                values.append(datetime.strptime(text, "%d/%m/%Y"))
            except ValueError:
                values.append(text)
        yield values


def _read_xls(data: bytes):
    import xlrd

    book = xlrd.open_workbook(file_contents=data)
    ws = book.sheet_by_index(0)
    for r in range(ws.nrows):
        yield [xlrd.xldate_as_datetime(c.value, book.datemode) if c.ctype == xlrd.XL_CELL_DATE
               else (str(int(c.value)) if c.ctype == xlrd.XL_CELL_NUMBER else c.value)
               for c in ws.row(r)]


READERS = {"xlsx": _read_xlsx, "docx": _read_docx, "xls": _read_xls}


def floor(raw, data: bytes, plan_id: int, owner_id: int, actor_id: int, now,
          fmt: str = "xlsx") -> int:
    """Read the same file (the format's library walking it), map names to ids, insert the
    same rows with executemany."""
    from app.domain.text import fold
    from app.models.task import title_sort_key
    from app.plans.importing import HEADERS

    rows = READERS[fmt](data)
    header = next(rows)
    col = {h: header.index(h) for h in HEADERS if h in header}
    units = dict(raw.execute("SELECT code, id FROM units").fetchall())
    people = dict(raw.execute("SELECT username, id FROM users").fetchall())
    fields = dict(raw.execute("SELECT name, id FROM fields").fetchall())
    kind = raw.kind

    def v(x):
        return x.date().isoformat() if kind == "sqlite" and hasattr(x, "date") else (
            x.date() if hasattr(x, "date") else x)

    tasks, steps_src = [], []
    for r in rows:
        stt = str(r[col["STT"]])
        title = r[col["Nhiệm vụ"]]
        assignee = people[r[col["Người thực hiện"]]]
        tasks.append((plan_id, owner_id, stt, ".".join(p.zfill(4) for p in stt.split(".")), assignee,
                      units[r[col["Đơn vị chủ trì"]]], title, fold(title), title_sort_key(title),
                      r[col["Mô tả"]],
                      people[r[col["Lãnh đạo phụ trách"]]], r[col["Trách nhiệm"]],
                      v(r[col["Ngày bắt đầu"]]), v(r[col["Hạn hoàn thành"]]), v(r[col["Hạn hoàn thành"]]),
                      r[col["Sản phẩm đầu ra"]], "", "", fields[r[col["Lĩnh vực"]]], 1, 0, "assigned", "",
                      True, actor_id, now, now, 1, 0))
        steps_src.append((stt, r[col["Quy trình"]].split("\n")))
    raw.begin()
    cur = raw.conn.cursor()
    mark = "?" if kind == "sqlite" else "%s"
    cur.executemany(
        "INSERT INTO tasks (plan_id, owner_unit_id, stt, order_key, assignee_id, lead_unit_id, title, "
        "title_folded, title_sort, description, leader_id, responsibility, start_on, due_on, original_due_on, "
        "output_product, indicator_name, indicator_unit, field_id, weight, progress, status, "
        "cancel_reason, is_clear, created_by_id, created_at, updated_at, version, extension_count) "
        f"VALUES ({', '.join([mark] * 29)})", [tuple(raw.value(x) for x in t) for t in tasks])
    ids = dict(raw.execute("SELECT stt, id FROM tasks WHERE plan_id = :p", {"p": plan_id}).fetchall())
    cur.executemany(f"INSERT INTO process_steps (task_id, position, title, due_on, is_done) "
                    f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
                    [(ids[stt], i + 1, s, None, False) for stt, parts in steps_src
                     for i, s in enumerate(parts)])
    cur.executemany(f"INSERT INTO audit_log (at, actor_id, action, object_type, object_id, task_id, "
                    f"changes, comment) VALUES ({', '.join([mark] * 8)})",
                    [(raw.value(now), actor_id, "task.create", "task", ids[t[2]], ids[t[2]], "{}", "")
                     for t in tasks])
    cur.executemany(f"INSERT INTO notifications (user_id, kind, task_id, dedupe_key, message, created_at, "
                    f"email_attempts) VALUES ({', '.join([mark] * 7)})",
                    [(t[4], "assigned", ids[t[2]], f"assigned:{ids[t[2]]}:v1:{t[4]}", "", raw.value(now), 0)
                     for t in tasks])
    raw.commit()
    return len(tasks)


def run(url: str, kind: str, meta: dict, raw, make_app) -> list[dict]:
    """The 5,000-row plan as an .xlsx, then as a Word appendix (.docx) and an old .xls
    (issue 14), each against the floor of its own reading library."""
    return [run_one(url, kind, meta, raw, make_app, fmt) for fmt in ("xlsx", "docx", "xls")]


def run_one(url: str, kind: str, meta: dict, raw, make_app, fmt: str) -> dict:
    from app.extensions import db
    from app.models import Plan, User
    from app.models.base import utcnow
    from app.plans import importing as plan_import
    from app.settings import settings_of
    from bench.run import pair

    today = meta["today"]
    year = today.year + 1
    unit_id = meta["largest_unit_id"]
    data, _units = build_file(raw, meta, year, fmt)
    head_id = raw.execute("SELECT id FROM users WHERE username = :n", {"n": meta["largest_head"]}).fetchone()[0]
    raw.begin()
    raw.execute("DELETE FROM tasks WHERE plan_id IN (SELECT id FROM plans WHERE unit_id = :u AND year = :y)",
                {"u": unit_id, "y": year})
    raw.execute("DELETE FROM plans WHERE unit_id = :u AND year = :y", {"u": unit_id, "y": year})
    raw.execute("INSERT INTO plans (unit_id, year, kind, title, status, created_at, version) "
                "VALUES (:u, :y, :k, :t, 'draft', :now, 1)",
                {"u": unit_id, "y": year, "k": KIND, "t": f"Kế hoạch CCHC năm {year} (bench)", "now": utcnow()})
    raw.commit()
    plan_id = raw.execute("SELECT id FROM plans WHERE unit_id = :u AND year = :y AND kind = :k",
                          {"u": unit_id, "y": year, "k": KIND}).fetchone()[0]
    app = make_app(url, today)
    counts = {}

    def reset():
        raw.begin()
        raw.execute("DELETE FROM tasks WHERE plan_id = :p", {"p": plan_id})
        raw.commit()

    def run_app():
        with app.app_context():
            plan = db.session.get(Plan, plan_id)
            actor = db.session.get(User, head_id)
            try:
                p = plan_import.apply(actor, plan, data, today, f"bench.{fmt}",
                                      settings=settings_of(app).task_rules)
            except plan_import.ImportRefused as e:
                issues = "; ".join(str(i) for i in e.preview.issues[:5])
                raise RuntimeError(f"the import refused the bench file: {issues}") from None
            db.session.commit()
            counts["app"] = p.added
            db.session.remove()

    def run_floor():
        counts["floor"] = floor(raw, data, plan_id, unit_id, head_id, utcnow(), fmt)

    a, f, al, fl = pair(run_app, run_floor, reset)
    reset()
    if counts["app"] != counts["floor"]:
        raise AssertionError(f"import counts differ: {counts}")
    name = "plan_import_5000" if fmt == "xlsx" else f"plan_import_5000_{fmt}"
    return {"name": name, "app_s": a, "floor_s": f, "runs_app": al, "runs_floor": fl,
            "rows": {"rows": counts["app"], f"{fmt}_bytes": len(data)}}
