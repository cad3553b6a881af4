"""Helpers of the reliability and security groups: the root fixtures' module, figures,
database snapshots, logging in (with or without CSRF), URLs for every url_map rule, and a
small HTML reader."""

import importlib.util
import re
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType, SimpleNamespace

from sqlalchemy import select

from app.extensions import db
from app.settings import current_settings
from tests.support import payloads
from tests.support.payloads import WITH_INDICATOR, task_form_data, user_form, vn
from tests.support.snapshot import dump, restore, snapshot_by_key

HERE = Path(__file__).resolve().parent
# Re-exported: the test modules import them from here.
REEXPORTED = (task_form_data, user_form, vn, dump, restore)

ROOT_CONFTEST = HERE.parent / "conftest.py"

# Real (tiny) PDF and PNG: evidence is checked by content, not by name.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
       b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

ROLES = ("admin", "assessor", "head", "deputy", "staff")
USERNAMES = {"admin": "admin", "assessor": "assessor", "head": "head_a", "deputy": "deputy_a",
             "staff": "staff_a", "staff2": "staff_a2", "head_b": "head_b", "deputy_b": "deputy_b",
             "staff_b": "staff_b"}


def root() -> ModuleType:
    """tests/conftest.py under its own module name (every conftest.py is 'conftest')."""
    name = "sauro_root_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT_CONFTEST)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# ---- figures --------------------------------------------------------------------------

FIGURES: list[str] = []


def figure(group: str, text: str) -> str:
    """Print a group's figure and keep it for the end-of-run summary."""
    line = f"[{group}] {text}"
    print(line)
    FIGURES.append(line)
    return line


# ---- the world --------------------------------------------------------------------------

def base_world(make) -> SimpleNamespace:
    """The `world` of tests/conftest.py, built outside pytest's fixture machinery."""
    from tests.support.world import build_world

    return build_world(make)


def extend_world(w, make) -> SimpleNamespace:
    """`world` plus sub-unit A1 with a draft plan, an evidence file on each task, a pending
    extension request on w.task and a notification for every user."""
    from app.clock import local_today
    from app.deadlines import extensions
    from app.deadlines import sweep as overdue
    from app.models import AssessmentUnitRow, Evidence, Extension, Notification, User
    from app.tasks import evidence

    w.a1 = make.unit("Phòng Cải cách hành chính", parent=w.a, code="SNV-CCHC")
    w.plan_a1 = make.plan(w.a1, title="Kế hoạch CCHC năm 2026 của Phòng CCHC")
    for task, author in ((w.task, w.staff), (w.task2, w.staff2), (w.task_b, w.staff_b)):
        evidence.store(author, task, [evidence.Upload("bao-cao.pdf", PDF)], None, current_settings().files)
    db.session.commit()
    # A request is asked only on an issued plan's task (a draft's have nothing due), but
    # this world keeps w.plan a draft for the many routes that need one (issue, recurring
    # tasks, editing dates): the request is made while the plan is issued, then the plan
    # is put back to draft, as a database from before that rule may hold one.
    set_plan_status(w.plan, "issued")
    extensions.request_extension(w.staff, w.task.id, date(2026, 7, 31),
                                 "Chờ ý kiến góp ý của các sở, ngành", local_today(), max_extensions=current_settings().max_extensions)
    db.session.commit()
    set_plan_status(w.plan, "draft")
    users = db.session.scalars(select(User)).all()
    for u in users:
        overdue.notify([u.id], "due_soon", w.task_b.id if u.unit_id == w.b.id else w.task.id,
                       f"world:{u.id}", days=3)
    db.session.commit()
    w.evidence = dict(db.session.execute(select(Evidence.task_id, Evidence.id)).all())
    w.extension = db.session.scalar(select(Extension.id).where(Extension.task_id == w.task.id))
    w.notifications = dict(db.session.execute(select(Notification.user_id, Notification.id)).all())
    w.run = freeze_run(w)
    w.run_unit_row = db.session.scalar(select(AssessmentUnitRow.id).where(
        AssessmentUnitRow.run_id == w.run, AssessmentUnitRow.unit_id == w.a.id))
    return w


def set_plan_status(plan, status: str) -> None:
    """Straight to the column (committed), as tests/conftest.py's issue_plans does."""
    from sqlalchemy import update

    from app.models import Plan

    db.session.execute(update(Plan).where(Plan.id == plan.id).values(status=status))
    db.session.commit()


def freeze_run(w) -> int:
    """A frozen assessment run of 2026 over every unit, by the assessor."""
    from app.assessment import service as assessment
    from app.clock import local_today
    from app.domain.scoring import ScoringSettings, parse_period

    run = assessment.freeze(w.assessor.id, parse_period("2026"), local_today(),
                            ScoringSettings.from_dict({}), None, today=local_today())
    db.session.commit()
    return run.id


def build_world(make) -> SimpleNamespace:
    return extend_world(base_world(make), make)


def actor(w, role: str):
    return {"admin": w.admin, "assessor": w.assessor, "head": w.head, "deputy": w.deputy,
            "staff": w.staff, "staff2": w.staff2, "head_b": w.head_b, "deputy_b": w.deputy_b,
            "staff_b": w.staff_b}[role]


# ---- snapshots ---------------------------------------------------------------------------

snapshot = snapshot_by_key


def row_counts() -> dict:
    from sqlalchemy import func

    db.session.rollback()
    out = {t.name: db.session.scalar(select(func.count()).select_from(t))
           for t in db.metadata.sorted_tables}
    db.session.rollback()
    return out


class Diff:
    """What changed between two snapshots: updated cells, new rows, deleted rows."""

    def __init__(self, before: dict, after: dict):
        self.updated: dict[str, dict] = {}   # table -> {pk: {column: (old, new)}}
        self.added: dict[str, list] = {}     # table -> [row dict]
        self.deleted: dict[str, list] = {}
        for name, old_rows in before.items():
            new_rows = after.get(name, {})
            for pk, old in old_rows.items():
                new = new_rows.get(pk)
                if new is None:
                    self.deleted.setdefault(name, []).append(old)
                    continue
                cells = {c: (old[c], new[c]) for c in old if old[c] != new[c]}
                if cells:
                    self.updated.setdefault(name, {})[pk] = cells
            for pk, new in new_rows.items():
                if pk not in old_rows:
                    self.added.setdefault(name, []).append(new)

    def without_refusals(self) -> "Diff":
        """The same, less the audit rows of refused requests (app/errors.py)."""
        rows = [r for r in self.added.get("audit_log", []) if r["action"] != "access.denied"]
        if rows:
            self.added["audit_log"] = rows
        else:
            self.added.pop("audit_log", None)
        return self

    @property
    def empty(self) -> bool:
        return not (self.updated or self.added or self.deleted)

    def summary(self) -> dict:
        return {"updated": {t: list(v.values())[:3] for t, v in self.updated.items()},
                "added": {t: v[:3] for t, v in self.added.items()},
                "deleted": {t: v[:3] for t, v in self.deleted.items()}}


# ---- a shared world per module, restored between tests --------------------------------

# ---- logging in ----------------------------------------------------------------------------

TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(client, url: str = "/login") -> str:
    """The CSRF token of the client's session, read from a form on `url`."""
    html = client.get(url).get_data(as_text=True)
    m = TOKEN_RE.search(html)
    assert m, f"no csrf_token on {url}"
    return m.group(1) or m.group(2)


def login(client, username: str, password: str | None = None, csrf: bool = False):
    data = {"username": username, "password": password or root().PASSWORD}
    if csrf:
        data["csrf_token"] = csrf_token(client, "/login")
    resp = client.post("/login", data=data)
    assert resp.status_code == 302, (username, resp.status_code, resp.get_data(as_text=True)[:500])
    return client


def client_for(app, who: str | None, csrf: bool = False):
    """A new client logged in as `who` (a role of USERNAMES or a username); None: anonymous."""
    c = app.test_client()
    if who:
        login(c, USERNAMES.get(who, who), csrf=csrf)
    return c


# ---- URLs for the url_map ----------------------------------------------------------------

def rules(app, method: str):
    """(endpoint, rule) for every url_map rule that accepts `method`, static files aside."""
    out = []
    for r in app.url_map.iter_rules():
        if r.endpoint in ("static", "bootstrap.static"):
            continue
        if r.endpoint.startswith("api."):
            # The JSON API takes a bearer token, never a session or a form (no CSRF token to
            # forge): its groups are in tests/api/, and the authorization matrix covers it.
            continue
        if method in r.methods:
            out.append(r)
    return sorted(out, key=lambda r: (r.rule, r.endpoint))


def fill(rule, values: dict) -> str | None:
    """The rule's URL with each argument from `values` (None when one is missing)."""
    args = {}
    for name in rule.arguments:
        if name not in values:
            return None
        args[name] = values[name]
    url = rule.rule
    for name, value in args.items():
        url = re.sub(r"<(?:[^:<>]+:)?" + re.escape(name) + ">", str(value), url)
    return url


def world_values(w, role: str = "staff") -> dict:
    """Argument values naming objects of unit A as seen by `role` (its own notification)."""
    from app.models import ProcessStep

    step = db.session.scalar(select(ProcessStep.id).where(ProcessStep.task_id == w.task.id)
                             .order_by(ProcessStep.position))
    user = actor(w, role) if role in USERNAMES else w.staff
    return {"task_id": w.task.id, "plan_id": w.plan.id, "step_id": step,
            "ext_id": w.extension, "evidence_id": w.evidence[w.task.id],
            "notification_id": w.notifications.get(user.id), "unit_id": w.a.id,
            "user_id": w.staff.id, "lang": "en", "run_id": w.run, "table": "tasks",
            "kind": "unit", "row_id": w.run_unit_row,
            # No live calendar address: the feed answers 404 (tests/api/test_calendar.py
            # reads live ones).
            "secret": "0" * 43,
            "token_id": 999_999,
            # A stored plan upload's token: none such, so its preview sends to the upload form.
            "token": "0" * 32,
            # A recurring rule when a form's prepare made one (rel_forms.make_rule), else none.
            "rule_id": getattr(w, "rule_id", 999_999)} | quality_ids(w)


def quality_ids(w) -> dict:
    """The quality routes' arguments (tests/quality/world.py; missing ids until a set is built)."""
    from tests.quality import world as qw

    return qw.ids(w)


# ---- a small HTML reader ----------------------------------------------------------------

class Element:
    __slots__ = ("attrs", "line", "tag", "text")

    def __init__(self, tag, attrs, line):
        self.tag, self.attrs, self.line, self.text = tag, attrs, line, ""

    def __repr__(self):
        return f"<{self.tag} {self.attrs!r} line {self.line}>"


class Collector(HTMLParser):
    """Every start tag with its attributes, and the text inside script and style."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._raw: Element | None = None
        self.data: list[str] = []

    def handle_starttag(self, tag, attrs):
        el = Element(tag, [(k, v if v is not None else "") for k, v in attrs], self.getpos()[0])
        self.elements.append(el)
        if tag in ("script", "style"):
            self._raw = el

    def handle_startendtag(self, tag, attrs):
        self.elements.append(Element(tag, [(k, v if v is not None else "") for k, v in attrs],
                                     self.getpos()[0]))

    def handle_endtag(self, tag):
        if self._raw is not None and tag == self._raw.tag:
            self._raw = None

    def handle_data(self, data):
        if self._raw is not None:
            self._raw.text += data
        else:
            self.data.append(data)


def elements(html: str) -> Collector:
    c = Collector()
    c.feed(html)
    c.close()
    return c


def task_links(html: str) -> set[int]:
    return {int(m) for m in re.findall(r'href="/tasks/(\d+)(?=["#?])', html)}


# ---- form payloads (as a browser posts them) ----------------------------------------

def new_task_data(lead_unit_id: int, assignee_id: int, leader_id: int, **kw) -> dict:
    """A complete, clear task with an indicator, as the create form posts it."""
    return payloads.new_task_data(lead_unit_id, assignee_id, leader_id, **(WITH_INDICATOR | kw))


NEW_PASSWORD = "Trống-đồng-Ngọc-Lũ-2026"


def tr(msgid: str, locale: str = "vi", **kw) -> str:
    """A message as the app shows it in `locale` (Vietnamese by default)."""
    from flask import current_app
    from flask_babel import force_locale, gettext

    with current_app.test_request_context(), force_locale(locale):
        return gettext(msgid, **kw)
