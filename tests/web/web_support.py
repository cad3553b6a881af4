"""Helpers shared by the web tests: the root fixtures' module, a small HTML reader,
database snapshots, form payloads and sample evidence files."""

import importlib.util
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

from sqlalchemy import select

from app.extensions import db
from app.settings import current_settings

# Snapshots and form payloads live in tests/support (one copy for every test folder).
from tests.support.payloads import new_task_data, task_form_data, vn
from tests.support.snapshot import diff_snapshots, dump, restore, snapshot

# Re-exported: the test modules import them from here.
REEXPORTED = (new_task_data, task_form_data, vn, diff_snapshots, dump, restore, snapshot)

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
    from tests.support.world import build_world as build_base

    w = build_base(make)
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
