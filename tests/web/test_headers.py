"""Security headers on every GET page (the pages are those of the permission matrix, so a
new route is covered as soon as the matrix knows it), and evidence downloads."""

import importlib.util
import sys
from pathlib import Path

import pytest

CSP_DIRECTIVES = ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'")
PREFERENCE = ("admin", "head", "deputy", "staff", "assessor", "anonymous")


def _matrix():
    name = "sauro_web_permission_matrix"
    if name not in sys.modules:
        path = Path(__file__).resolve().parent / "test_permissions.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _pages():
    """One (rule, role, relation, expected) per GET endpoint: a case the matrix answers 200."""
    out, missing = [], set()
    for rule in _matrix().RULES:
        if rule.method != "GET" or rule.extra.get("api"):
            continue  # the API's headers: tests/api/test_reads.py
        case = next(((rule, role, rel, rule.expect[role][i]) for role in PREFERENCE
                     for i, rel in enumerate(rule.relations)
                     if rule.expect[role][i].rstrip("*") == "200"), None)
        if case is None:
            # an endpoint's other rows may all refuse or redirect (another's upload token,
            # say): one row of the endpoint that answers 200 is enough
            missing.add(rule.endpoint)
        else:
            out.append(case)
    covered = {case[0].endpoint for case in out}
    assert missing <= covered, f"the matrix lets nobody GET {sorted(missing - covered)}"
    return out


PAGES = _pages()


def check_common(resp, where):
    h = resp.headers
    csp = h.get("Content-Security-Policy", "")
    for directive in CSP_DIRECTIVES:
        assert directive in csp, (where, directive, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (where, csp)
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin",
                                        "strict-origin-when-cross-origin"), where


@pytest.mark.parametrize("case", PAGES, ids=[f"{c[0].endpoint}-{c[1]}" for c in PAGES])
def test_every_get_page_carries_the_security_headers(sw, case):
    rule, role, rel, exp = case
    w = sw.w
    if exp.endswith("*") and rule.prepare:
        rule.prepare(w, role, rel)
    client = sw.cached(role)
    url = rule.url(w, role, rel)
    resp = client.get(url)
    resp.get_data()
    resp.close()
    assert resp.status_code == 200, (url, role)
    check_common(resp, url)
    if role != "anonymous" and not rule.endpoint.endswith("static"):
        assert "no-store" in resp.headers.get("Cache-Control", ""), (url, resp.headers)
        _CHECKED["no-store"] += 1
    _CHECKED["pages"] += 1


_CHECKED = {"pages": 0, "no-store": 0}


def test_every_get_endpoint_is_covered():
    from app import create_app
    from config import TestConfig

    app = create_app(TestConfig)
    gets = {r.endpoint for r in app.url_map.iter_rules()
            if "GET" in r.methods and r.endpoint != "static" and not r.endpoint.startswith("api.")}
    assert gets <= {c[0].endpoint for c in PAGES}


@pytest.mark.parametrize("who, url, status", [
    ("anonymous", "/tasks", 302), ("anonymous", "/nope", 404), ("staff", "/nope", 404),
    ("staff", "/admin/users", 403), ("staff", "/tasks/999999", 404), ("anonymous", "/login", 200),
    ("staff", "/logout", 405)])
def test_error_pages_and_redirects_carry_them_too(sw, who, url, status):
    resp = sw.cached(who).get(url)
    assert resp.status_code == status
    check_common(resp, url)
    if who != "anonymous":
        assert "no-store" in resp.headers.get("Cache-Control", "")


def test_pages_load_no_inline_script_or_style(sw):
    """The CSP allows only 'self': a page may not rely on inline script or style."""
    import re

    for url in ("/", "/tasks", f"/tasks/{sw.w.task.id}", f"/tasks/{sw.w.task.id}/edit",
                f"/plans/{sw.w.plan.id}"):
        html = sw.cached("head").get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html and "<style" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url
        for src in re.findall(r'(?:src|href)="(https?:)?//', html):
            pytest.fail(f"{url} loads something from another site")


def test_evidence_download_is_an_attachment_with_nosniff(sw):
    w = sw.w
    resp = sw.cached("staff").get(f"/tasks/{w.task.id}/evidence/{w.evidence[w.task.id]}")
    data = resp.get_data()
    resp.close()
    assert resp.status_code == 200 and data.startswith(b"%PDF-")
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert "bao-cao.pdf" in resp.headers["Content-Disposition"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.mimetype == "application/pdf"
    assert "no-store" in resp.headers.get("Cache-Control", "")
    check_common(resp, "download")


def test_evidence_with_a_vietnamese_name_downloads_as_attachment(sw):
    import io

    from sqlalchemy import select
    from web_support import PNG, page

    from app.extensions import db
    from app.models import Evidence

    w = sw.w
    staff = sw.cached("staff")
    resp = staff.post(f"/tasks/{w.task.id}/progress", content_type="multipart/form-data",
                      data={"percent": "30", "files": [(io.BytesIO(PNG), "Ảnh hiện trường <1>; x.png")]})
    assert resp.status_code == 302, [n.text() for n in page(resp).find_all(cls="invalid-feedback")]
    ev = db.session.scalar(select(Evidence).order_by(Evidence.id.desc()))
    resp = staff.get(f"/tasks/{w.task.id}/evidence/{ev.id}")
    resp.get_data()
    resp.close()
    cd = resp.headers["Content-Disposition"]
    assert cd.startswith("attachment") and "\n" not in cd and "<" not in cd.split("filename*=")[0]
    assert resp.mimetype == "image/png" and resp.headers["X-Content-Type-Options"] == "nosniff"


def test_zz_summary():
    """The group's figure (runs after the cases above: the module is one xdist group, so it
    stays on one worker, tests/conftest.py)."""
    assert _CHECKED["pages"] == len(PAGES), _CHECKED
    print(f"[headers] {_CHECKED['pages']} of {len(PAGES)} GET endpoints (100%) carry a CSP with "
          f"object-src/base-uri/frame-ancestors 'none' and no unsafe-inline, nosniff and a "
          f"Referrer-Policy; {_CHECKED['no-store']} authenticated pages no-store; HSTS in "
          f"production: tests/reliability/test_error_pages.py")
