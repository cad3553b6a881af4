"""XSS (ASVS V1.2.1, V3.2.2): about 30 payloads stored through the forms in every text
field (task title, description, responsibility, output, steps, indicator name and unit,
progress note, submission note, return comment, extension reason, cancel reason, plan
title, unit name, user full name, evidence file name) and reflected through query strings,
then every page that shows them parsed with html.parser.

A page fails on any element or attribute the payloads brought in: a tag or an attribute name
never seen on the same pages holding harmless text, any on* attribute, a javascript:,
vbscript: or data:text URL, a script other than the app's own static files, or a template
expression evaluated ({{7*7}} shown as 49).

Figure: P payloads x F fields, N pages parsed, 0 payload-originated elements or attributes."""

import re

import pytest
from rel_support import elements, figure, new_task_data, rules, set_plan_status
from sqlalchemy import select

from app.extensions import db
from app.models import Plan, Task, Unit, User

PAYLOADS = [
    "<script>alert('x01')</script>",
    "\"><script>alert('x02')</script>",
    "'><img src=x onerror=alert('x03')>",
    "\"><img src=x onerror=alert(4)>",
    "<svg onload=alert('x05')>",
    "<svg><script>alert(6)</script></svg>",
    "javascript:alert('x07')",
    "<a href=\"javascript:alert('x08')\">bấm vào đây</a>",
    "SSTI{{7*7}}X",
    "SSTI{% if 1 %}BLOCK{% endif %}X",
    "<iframe src=\"javascript:alert(11)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(12)</script>\">",
    "<body onload=alert('x13')>",
    "<input autofocus onfocus=alert(14)>",
    "<details open ontoggle=alert(15)>",
    "<math><mtext><img src=x onerror=alert(16)></mtext></math>",
    "</textarea><script>alert('x17')</script>",
    "</title><script>alert('x18')</script>",
    "<style>*{background:url('javascript:alert(19)')}</style>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(20)\">",
    "<base href=\"javascript:alert(21)//\">",
    "<form action=\"javascript:alert(22)\"><button>Gửi</button></form>",
    "<object data=\"javascript:alert(23)\"></object>",
    "<embed src=\"javascript:alert(24)\">",
    "' onmouseover='alert(25)' x='",
    "\" onmouseover=\"alert(26)\" x=\"",
    "` onmouseover=alert(27) `",
    "<scr<script>ipt>alert(28)</script>",
    "&lt;script&gt;alert(29)&lt;/script&gt;",
    "<img src=\"x:x\" onerror=\"alert(String.fromCharCode(88))\">",
    "<!--<img src=\"--><img src=x onerror=alert(31)//\">",
    "<a href=\"&#106;avascript:alert(32)\">x</a>",
]
BENIGN = ["Xây dựng bộ chỉ số đánh giá", "Số hóa hồ sơ thủ tục hành chính"]
URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "background",
             "xlink:href", "srcdoc", "codebase", "cite", "longdesc", "manifest"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text", "data:application")


def _scheme(value: str) -> str:
    return re.sub(r"[\x00-\x20]+", "", value).lower()


class Page:
    """What a parsed page may contain: tags, attribute names, script sources."""

    def __init__(self):
        self.tags, self.attrs, self.scripts, self.inline = set(), set(), set(), set()

    def learn(self, html: str):
        doc = elements(html)
        for el in doc.elements:
            self.tags.add(el.tag)
            self.attrs.update(k for k, _ in el.attrs)
            if el.tag == "script":
                self.scripts.add(dict(el.attrs).get("src"))
                if el.text.strip():
                    self.inline.add(el.text.strip())

    def findings(self, html: str) -> list:
        out = []
        doc = elements(html)
        for el in doc.elements:
            attrs = dict(el.attrs)
            if el.tag not in self.tags:
                out.append(("new element", el))
            for k, v in el.attrs:
                if k.startswith("on"):
                    out.append(("event attribute", el))
                elif k not in self.attrs:
                    out.append(("new attribute", k, el))
                if k in URL_ATTRS and _scheme(v).startswith(BAD_SCHEMES):
                    out.append(("script URL", el))
            if el.tag == "script":
                if attrs.get("src") not in self.scripts:
                    out.append(("foreign script", el))
                if el.text.strip() and el.text.strip() not in self.inline:
                    out.append(("inline script", el.text[:80]))
            if el.tag == "meta" and "javascript:" in _scheme(attrs.get("content", "")):
                out.append(("meta refresh", el))
            if el.tag == "style" and "javascript:" in _scheme(el.text):
                out.append(("style", el.text[:80]))
        text = "".join(doc.data)
        if "SSTI49X" in html or "SSTIBLOCKX" in text:
            out.append(("template evaluated", "SSTI"))
        return out


def _post(client, url, data, expect=302):
    resp = client.post(url, data=data)
    if resp.status_code != expect:
        errors = re.findall(r'(?:invalid-feedback|alert-danger)[^>]*>([^<]+)<', resp.get_data(as_text=True))
        raise AssertionError((url, resp.status_code, data, errors))
    return resp


def _flows(shared, texts: list[str], tag: str) -> dict:
    """Store each text through the forms as the people who type it would."""
    import io

    w = shared.w
    head, staff, admin = shared.cached("head"), shared.cached("staff"), shared.cached("admin")
    made = {"tasks": [], "plans": [], "units": [], "users": []}
    for i, text in enumerate(texts):
        short = text[:64]
        data = new_task_data(w.a.id, w.staff.id, w.head.id, title=text, description=text,
                             responsibility=text, output_product=text, indicator_name=text[:255],
                             indicator_unit=short, **{"steps-0-title": text,
                                                      "steps-1-title": text + " (2)"})
        resp = _post(head, f"/plans/{w.plan.id}/tasks/new", data)
        tid = int(resp.headers["Location"].rsplit("/", 1)[-1])
        made["tasks"].append(tid)
        _post(staff, f"/tasks/{tid}/progress", {
            "percent": "30", "note": text,
            "files": [(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), f"{text[:100]}-bao-cao.pdf".replace('"', "'"))]})
        # An extension is asked on an issued plan's task; the plan goes back to draft for
        # the next task's dates (a draft's tasks have nothing due to extend).
        set_plan_status(w.plan, "issued")
        _post(staff, f"/tasks/{tid}/extensions", {"proposed_due_on": "31/10/2026", "reason": text})
        set_plan_status(w.plan, "draft")
        _post(staff, f"/tasks/{tid}/submit", {"submit-note": text})
        _post(head, f"/tasks/{tid}/review", {"decision": "return", "comment": text})
        if i % 3 == 0:
            _post(head, f"/tasks/{tid}/cancel", {"reason": text})
        # one plan per unit, year and kind: a year of its own for each
        year = (2030 if tag == "XSS" else 2090) + i
        resp = _post(head, "/plans/new", {"unit_id": str(w.a.id), "year": str(year),
                                          "kind": "other", "title": text})
        made["plans"].append(int(resp.headers["Location"].rsplit("/", 1)[-1]))
        _post(admin, "/admin/units", {"code": f"{tag}{i:02d}", "name": text[:255],
                                      "kind": "office", "parent_id": str(w.a.id)})
        made["units"].append(db.session.scalar(
            select(Unit.id).where(Unit.code == f"{tag}{i:02d}")))
        _post(admin, "/admin/users/new", {"username": f"{tag.lower()}{i:02d}",
                                          "full_name": text[:255], "unit_id": str(w.a.id),
                                          "role": "staff", "is_active": "y",
                                          "new_password": "Trống-đồng-Ngọc-Lũ-2026"})
        made["users"].append(db.session.scalar(
            select(User.id).where(User.username == f"{tag.lower()}{i:02d}")))
        db.session.rollback()
    return made


def _pages(shared, made: dict, texts: list[str]) -> list[tuple[str, str]]:
    """(role, url) of every page that shows what was stored, and reflected inputs."""
    from urllib.parse import quote

    w = shared.w
    lists = [r.rule for r in rules(shared.app, "GET") if not r.arguments
             and not r.rule.endswith((".xlsx", ".csv")) and r.rule not in ("/healthz",)]
    out = []
    for role in ("admin", "head", "staff", "assessor"):
        out += [(role, u) for u in lists]
    # the same templates for every reader: the people who act on them
    for role in ("head", "staff"):
        out += [(role, f"/tasks/{t}") for t in made["tasks"]]
    out += [("head", f"/plans/{p}") for p in made["plans"]]
    out += [("head", f"/tasks/{t}/edit") for t in made["tasks"]]
    out += [("head", f"/plans/{p}/edit") for p in made["plans"]]
    out += [("head", f"/plans/{w.plan.id}"), ("head", f"/plans/{w.plan.id}/tasks/new"),
            ("head", f"/plans/{w.plan.id}/print")]
    out += [("admin", f"/admin/units/{u}") for u in made["units"]]
    out += [("admin", f"/admin/users/{u}") for u in made["users"]]
    for text in texts:
        q = quote(text)
        out += [("head", f"/tasks?q={q}&sort={q}&timeliness={q}"),
                ("admin", f"/admin/users?q={q}"), ("admin", f"/admin/units?q={q}"),
                ("anonymous", f"/login?next={q}"), ("head", f"/overdue?unit={q}")]
    return out


@pytest.fixture(scope="module")
def baseline(shared):
    made = _flows(shared, BENIGN, "OKX")
    known = Page()
    for role, url in _pages(shared, made, BENIGN):
        resp = shared.cached(role).get(url)
        if resp.mimetype == "text/html":
            known.learn(resp.get_data(as_text=True))
        resp.close()
    return known


def test_stored_and_reflected_payloads_stay_text(shared, baseline):
    made = _flows(shared, PAYLOADS, "XSS")
    bad, pages = [], 0
    for role, url in _pages(shared, made, PAYLOADS):
        client = shared.cached(role) if role != "anonymous" else shared.app.test_client()
        resp = client.get(url)
        if resp.mimetype == "text/html":
            pages += 1
            found = baseline.findings(resp.get_data(as_text=True))
            if found:
                bad.append((role, url, resp.status_code, found[:3]))
        resp.close()
    stored = db.session.scalar(select(Task.title).where(
        Task.id == made["tasks"][0]))
    assert stored == PAYLOADS[0]   # kept as typed: escaping is the output's job
    fields = 16
    figure("xss", f"{len(PAYLOADS)} payloads x {fields} text fields stored, plus 5 reflected "
                  f"inputs each; {pages} pages parsed: {len(bad)} with payload-originated "
                  f"elements or attributes")
    assert not bad, bad[:5]
    db.session.rollback()
    assert db.session.get(Plan, made["plans"][0]).title == PAYLOADS[0]


def test_the_detector_sees_a_payload_that_is_not_escaped(baseline):
    """The control: payloads pasted raw into a page (as text, into a double-quoted attribute
    and into a link) are caught; the same payloads escaped are not."""
    from markupsafe import escape

    page = ('<!doctype html><html lang="vi"><head><title>T</title></head><body><div class="card">'
            '<p>{0}</p><input name="q" value="{0}"><a href="{0}">x</a></div></body></html>')
    caught = [p for p in PAYLOADS
              if baseline.findings(page.format(p).replace("SSTI{{7*7}}X", "SSTI49X"))]
    # escaping is enough for text and attribute values (a link needs its scheme checked)
    escaped = page.replace('<a href="{0}">x</a>', "")
    for p in PAYLOADS:
        assert not baseline.findings(escaped.format(escape(p))), p
    # harmless when pasted raw in these three places: text that only looks like markup
    # ("&lt;script&gt;"), and quotes of another kind than the attribute's
    assert len(caught) >= len(PAYLOADS) - 4, sorted(set(PAYLOADS) - set(caught))
    figure("xss", f"control: {len(caught)} of {len(PAYLOADS)} payloads caught when pasted "
                  f"unescaped; 0 of {len(PAYLOADS)} when escaped")


def _quality_flow(shared, text: str) -> list[tuple[str, str]]:
    """Store `text` in every text field of the indicator set's workflow, through the forms;
    (page name, html) of every page showing them."""
    import io

    from openpyxl import Workbook

    from app.models import Criterion, QualityExplanation, QualitySheet
    from app.quality import setfile
    from tests.quality import world as qw

    w = shared.w
    qw.draft(w)
    assessor, head, staff = (shared.cached(r) for r in ("assessor", "head", "staff"))
    wb = Workbook()
    ws = wb.active
    ws.append(list(setfile.HEADERS))
    ws.append(["1", text[:1000], 40, None, None, None])
    ws.append(["1.1", text[-1000:], 40, "Tự chấm", None, None])
    ws.append(["2", "Kết quả", 60, None, None, None])
    ws.append(["2.1", "Nhiệm vụ", 60, "Từ nhiệm vụ", None, None])
    out = io.BytesIO()
    wb.save(out)
    preview = assessor.post(f"/quality/{w.q_set}/import", data={
        "file": (io.BytesIO(out.getvalue()), f"{text[:100]}.xlsx".replace('"', "'"))},
        content_type="multipart/form-data")
    assert preview.status_code == 200, preview.status_code
    pages = [("preview", preview.get_data(as_text=True))]
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', pages[0][1]).group(1)
    _post(assessor, f"/quality/{w.q_set}/import/confirm", {"token": token})
    _post(assessor, f"/quality/{w.q_set}/publish", {})
    db.session.rollback()
    sheet = db.session.scalar(select(QualitySheet.id).where(QualitySheet.set_id == w.q_set,
                                                            QualitySheet.unit_id == w.a.id))
    leaf = db.session.scalar(select(Criterion.id).where(Criterion.set_id == w.q_set,
                                                        Criterion.code == "1.1"))
    pdf = b"%PDF-1.4\n%%EOF\n"
    _post(staff, f"/quality/sheets/{sheet}/criteria/{leaf}/draft", {
        "d1_1-points": "30", "d1_1-note": text,
        "d1_1-files": [(io.BytesIO(pdf), f"{text[:100]}.pdf".replace('"', "'"))]})
    _post(head, f"/quality/sheets/{sheet}/criteria/{leaf}/self", {
        "s1_1-points": "30", "s1_1-note": text,
        # Evidence given as a document: its number (at most 64 characters) is shown too.
        "s1_1-doc_no": text[:64], "s1_1-doc_on": "01/06/2026"})
    _post(head, f"/quality/sheets/{sheet}/submit", {})
    _post(assessor, f"/quality/sheets/{sheet}/explanations", {
        "criterion_id": str(leaf), "question": text, "due_on": "20/06/2026"})
    db.session.rollback()
    e = db.session.scalar(select(QualityExplanation.id).where(QualityExplanation.sheet_id == sheet))
    _post(head, f"/quality/sheets/{sheet}/explanations/{e}/answer", {
        f"x{e}-answer": text, f"x{e}-doc_no": text[-64:], f"x{e}-doc_on": "01/06/2026",
        f"x{e}-files": [(io.BytesIO(pdf), f"{text[-100:]}.pdf".replace('"', "'"))]})
    _post(assessor, f"/quality/sheets/{sheet}/criteria/{leaf}/appraise", {
        "a1_1-points": "20", "a1_1-reason": text})
    for client, url in ((assessor, f"/quality/{w.q_set}"), (head, f"/quality/{w.q_set}"),
                        (staff, f"/quality/sheets/{sheet}"), (head, f"/quality/sheets/{sheet}"),
                        (assessor, f"/quality/sheets/{sheet}"), (head, "/notifications"),
                        (assessor, f"/quality/sheets/{sheet}/print")):
        resp = client.get(url)
        assert resp.status_code == 200, url
        pages.append((url, resp.get_data(as_text=True)))
        resp.close()
    db.session.rollback()
    return pages


def test_quality_texts_stay_text(shared, baseline):
    """The indicator set's texts (issue 13): a set's criteria titles from an imported file
    (and its preview), a staff draft's and the head's notes, evidence and answer file names,
    the documents given as evidence (numbers),
    the explanation's question and answer, the appraiser's reason — every payload at once in
    each field — shown on the set, the preview, the sheet (staff, head, assessor), its print
    page and the notifications; harmless text through the same forms first shows the pages'
    own markup."""
    for _name, html in _quality_flow(shared, " ".join(BENIGN)):
        baseline.learn(html)
    pages = _quality_flow(shared, " ".join(PAYLOADS))
    bad = [(name, found[:3]) for name, html in pages if (found := baseline.findings(html))]
    figure("xss", f"quality: {len(PAYLOADS)} payloads in 12 fields, {len(pages)} pages parsed: "
                  f"{len(bad)} with payload-originated elements or attributes")
    assert not bad, bad[:3]
