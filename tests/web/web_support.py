"""Helpers shared by the web tests: the root fixtures' module, a small HTML reader,
database snapshots, form payloads and sample evidence files."""

import importlib.util
import re
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

from sqlalchemy import select

from app.extensions import db
from app.settings import current_settings

ROOT_CONFTEST = Path(__file__).resolve().parent.parent / "conftest.py"

# A real (tiny) PDF and PNG: evidence is checked by content, not by name.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
       b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def root() -> ModuleType:
    """tests/conftest.py loaded under its own name (pytest's 'conftest' module name is shared
    by every conftest.py, so a plain import could pick up another one)."""
    name = "sauro_root_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT_CONFTEST)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def build_world(make):
    """The `world` of tests/conftest.py, plus what the web tests need on top of it:
    a sub-unit A1 of unit A with its own (empty) draft plan, and one evidence file per task."""
    fixture = root().world
    build = getattr(fixture, "_get_wrapped_function", None)
    fn = build() if build else getattr(fixture, "__wrapped__", fixture)
    w = fn(make)
    extend_world(w, make)
    return w


def extend_world(w, make):
    from app.tasks import evidence

    w.a1 = make.unit("Phòng Cải cách hành chính", parent=w.a, code="SNV-CCHC")
    w.plan_a1 = make.plan(w.a1, title="Kế hoạch CCHC năm 2026 của Phòng CCHC")
    for task, author in ((w.task, w.staff), (w.task2, w.staff2), (w.task_b, w.staff_b)):
        evidence.store(author, task, [evidence.Upload("bao-cao.pdf", PDF)], None, current_settings().files)
    db.session.commit()
    w.evidence = {task_id: ev_id for task_id, ev_id in db.session.execute(
        select(_models().Evidence.task_id, _models().Evidence.id))}
    return w


def _models():
    from app import models

    return models


# ---- database snapshots --------------------------------------------------------

def snapshot() -> dict:
    """Every row of every table, in a stable order: compare before and after a request."""
    db.session.rollback()
    out = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    db.session.rollback()
    return out


def diff_snapshots(before: dict, after: dict) -> dict:
    """{table: (rows gone, rows new)} for the tables that differ."""
    changed = {}
    for name, rows in before.items():
        b, a = set(map(repr, rows)), set(map(repr, after.get(name, [])))
        if a != b:
            changed[name] = (sorted(b - a)[:3], sorted(a - b)[:3])
    return changed


def row(model, obj_id) -> dict:
    """One row as a dict of column values, read afresh."""
    db.session.rollback()
    table = model.__table__
    r = db.session.execute(select(table).where(table.c.id == obj_id)).mappings().first()
    db.session.rollback()
    return dict(r) if r else None


def count(model) -> int:
    from sqlalchemy import func

    db.session.rollback()
    n = db.session.scalar(select(func.count()).select_from(model))
    db.session.rollback()
    return n


# ---- form payloads --------------------------------------------------------------

def vn(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def task_form_data(task_id: int) -> dict:
    """The edit form of a task as the browser would post it unchanged."""
    from app.models import ProcessStep, Task, task_coordinators

    db.session.rollback()
    t = db.session.execute(select(Task.__table__).where(Task.id == task_id)).mappings().one()
    steps = db.session.execute(select(ProcessStep.id, ProcessStep.title, ProcessStep.due_on)
                               .where(ProcessStep.task_id == task_id)
                               .order_by(ProcessStep.position)).all()
    coords = db.session.scalars(select(task_coordinators.c.unit_id)
                                .where(task_coordinators.c.task_id == task_id)).all()
    db.session.rollback()
    data = {
        "version": str(t["version"]), "title": t["title"], "description": t["description"],
        "lead_unit_id": str(t["lead_unit_id"] or ""), "assignee_id": str(t["assignee_id"] or ""),
        "leader_id": str(t["leader_id"] or ""), "responsibility": t["responsibility"],
        "start_on": vn(t["start_on"]), "due_on": vn(t["due_on"]),
        "output_product": t["output_product"], "indicator_name": t["indicator_name"],
        "indicator_unit": t["indicator_unit"],
        "indicator_target": "" if t["indicator_target"] is None else str(t["indicator_target"]),
        "field_id": str(t["field_id"] or ""), "weight": str(t["weight"]),
        "coordinator_ids": [str(c) for c in coords],
    }
    for i, s in enumerate(steps):
        data[f"steps-{i}-id"] = str(s.id)
        data[f"steps-{i}-title"] = s.title
        data[f"steps-{i}-due_on"] = vn(s.due_on)
    return data


def new_task_data(lead_unit_id: int, assignee_id: int, leader_id: int, **kw) -> dict:
    """A complete, clear task as the create form posts it (dates dd/mm/yyyy)."""
    data = {
        "title": "Rà soát, đơn giản hóa thủ tục hành chính lĩnh vực nội vụ",
        "description": "Rà soát toàn bộ thủ tục và đề xuất phương án đơn giản hóa.",
        "lead_unit_id": str(lead_unit_id), "assignee_id": str(assignee_id),
        "leader_id": str(leader_id),
        "responsibility": "Chịu trách nhiệm về chất lượng phương án đơn giản hóa.",
        "steps-0-title": "Thống kê thủ tục hành chính", "steps-0-due_on": "15/02/2026",
        "steps-1-title": "Đề xuất phương án đơn giản hóa", "steps-1-due_on": "15/04/2026",
        "start_on": "01/02/2026", "due_on": "30/09/2026",
        "output_product": "Quyết định phê duyệt phương án đơn giản hóa",
        "weight": "1",
    }
    data.update(kw)
    return data


# ---- a small HTML reader ----------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict, parent: "Node | None"):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list = []

    @property
    def classes(self) -> set:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        parts = []
        for c in self.children:
            parts.append(c if isinstance(c, str) else c.text())
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def iter(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.iter()

    def find_all(self, tag=None, cls=None, **attrs):
        out = []
        for n in self.iter():
            if tag and n.tag != tag:
                continue
            if cls and cls not in n.classes:
                continue
            if any(n.attrs.get(k.rstrip("_")) != v for k, v in attrs.items()):
                continue
            out.append(n)
        return out

    def find(self, tag=None, cls=None, **attrs):
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def by_id(self, id_: str):
        return self.find(id=id_)

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, {k: (v if v is not None else "") for k, v in attrs},
                                      self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(html: str) -> Node:
    b = _Builder()
    b.feed(html)
    b.close()
    return b.root


CONTROLS = ("input", "select", "textarea")


def control(doc: Node, name: str) -> Node:
    for n in doc.iter():
        if n.tag in CONTROLS and n.attrs.get("name") == name:
            return n
    raise AssertionError(f"no form control named {name!r}")


def field_errors(doc: Node, name: str) -> list[str]:
    """The invalid-feedback messages shown beside the control `name`: those inside the
    smallest element around it that holds no other visible control."""
    ctl = control(doc, name)
    node = ctl.parent
    while node is not None and node.tag != "form":
        others = [n for n in node.iter() if n.tag in CONTROLS and n.attrs.get("name") != name
                  and n.attrs.get("type") != "hidden"]
        if others:
            break
        feedback = node.find_all(cls="invalid-feedback")
        if feedback:
            return [f.text() for f in feedback]
        node = node.parent
    return []


def field_value(doc: Node, name: str):
    """What the re-rendered form shows in control `name` (a list for a multi-select)."""
    ctl = control(doc, name)
    if ctl.tag == "textarea":
        text = "".join(c for c in ctl.children if isinstance(c, str))
        # a browser drops one newline right after <textarea>
        return text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
    if ctl.tag == "select":
        chosen = [o.attrs.get("value") for o in ctl.find_all("option") if "selected" in o.attrs]
        return chosen if "multiple" in ctl.attrs else (chosen[0] if chosen else None)
    return ctl.attrs.get("value", "")


def form_alerts(doc: Node) -> list[str]:
    return [n.text() for n in doc.find_all(cls="alert-danger")]


VIETNAMESE_LETTERS = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợ"
                                r"ùúủũụừứửữựỳýỷỹỵ]")


def looks_vietnamese(text: str) -> bool:
    return len(VIETNAMESE_LETTERS.findall(text)) >= 2


PASSWORD_NEW = "Trống-đồng-Ngọc-Lũ-2026"


# ---- a world shared by the tests of a module, restored between them ---------------------

def dump() -> list:
    """Every row of every table, as (table, [row dicts]) in dependency order."""
    db.session.rollback()
    out = []
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        rows = [dict(r) for r in db.session.execute(select(table).order_by(*order)).mappings()]
        out.append((table, rows))
    db.session.rollback()
    return out


def restore(dumped: list) -> None:
    """Put every table back to `dumped` (ids included): far cheaper than a new database,
    whose engine would compile every statement again."""
    from sqlalchemy import delete, insert, text

    db.session.rollback()
    try:
        conn = db.session.connection()
        tables = [t for t, _ in dumped]
        if conn.dialect.name == "postgresql":
            # TRUNCATE does not fire the audit log's append-only row triggers
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " CASCADE"))
        else:
            # SQLite's append-only triggers fire on DELETE: lift them for this transaction
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master "
                                         "WHERE type = 'trigger'")).all()
            for name, _sql in triggers:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            for t in reversed(tables):
                conn.execute(delete(t))
            for _name, sql in triggers:
                conn.execute(text(sql))
        for t, rows in dumped:
            if rows:
                conn.execute(insert(t), rows)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    db.session.expire_all()


def tr(msgid: str, locale: str = "vi", plural: str | None = None, num: int | None = None, **kw) -> str:
    """A message as the app shows it in `locale` (Vietnamese by default); with `plural`
    and `num`, the form of a counted message (ngettext)."""
    from flask import current_app
    from flask_babel import force_locale, gettext, ngettext

    with current_app.test_request_context(), force_locale(locale):
        return gettext(msgid, **kw) if plural is None else ngettext(msgid, plural, num, **kw)


def page(resp) -> "Node":
    return parse(resp.get_data(as_text=True))


def changes_besides_refusal_log(before: dict, after: dict, actor_id: int | None,
                                status: int | None) -> dict:
    """diff_snapshots, except the one audit row that records a refused request
    (action 'access.denied', by the actor, with the status answered): a refusal may leave
    that trace and nothing else."""
    import json

    changed = diff_snapshots(before, after)
    if "audit_log" not in changed:
        return changed
    cols = db.metadata.tables["audit_log"].columns.keys()
    old, new = set(before["audit_log"]), set(after["audit_log"])
    added = [dict(zip(cols, r)) for r in new - old]
    refusals = [r for r in added if r["action"] == "access.denied"]
    if old - new or len(refusals) != len(added) or len(refusals) > 1:
        return changed
    r = refusals[0]
    details = json.loads(r["changes"])
    if actor_id is None or r["actor_id"] != actor_id or details.get("status", [None, None])[1] != status:
        changed["audit_log"] = ([], [f"unexpected refusal record {r}"])
        return changed
    del changed["audit_log"]
    return changed


def post_multipart(client, url: str, data: dict):
    """POST a multipart form and close its body afterwards. The test client spools a body over
    500 KB to a temporary file that it never closes (a ResourceWarning, an error here)."""
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=url, method="POST", data=data, content_type="multipart/form-data")
    try:
        request = builder.get_request()
        try:
            return client.open(request)
        finally:
            request.environ["wsgi.input"].close()
    finally:
        builder.close()
