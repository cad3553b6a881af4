"""CSRF (ASVS V3.5): with WTF_CSRF_ENABLED=True, every state-changing URL rule of the
url_map refuses a missing, wrong, foreign (another session's) or expired token with 400 and
changes nothing; and no GET, for any role, writes to the database.

Figure: refused N of N forged posts, 0 rows changed; M GET pages, 0 writes."""

import time

import pytest
from itsdangerous import TimestampSigner
from rel_forms import FORMS, payload, url_for_form
from rel_support import (
    Diff,
    csrf_token,
    figure,
    fill,
    rules,
    snapshot,
    tr,
    world_values,
)
from sqlalchemy import event

from app.extensions import db
from tests.support.snapshot import current

APP_CONFIG = {"WTF_CSRF_ENABLED": True}
VARIANTS = ("missing", "wrong", "foreign", "expired")
RESULTS: dict = {"refused": 0, "posts": 0, "changed": 0, "controls": 0, "controls_passed": 0}


@pytest.fixture(scope="module")
def post_rules(shared):
    return rules(shared.app, "POST")


def _token_page(role):
    return "/login" if role is None else "/password"


def _is_csrf_refusal(resp) -> bool:
    return resp.status_code == 400 and tr("Form expired") in resp.get_data(as_text=True)


def test_every_post_rule_is_known(shared, post_rules):
    """A new state-changing route fails here until rel_forms.FORMS says who posts it."""
    unknown = [r.endpoint for r in post_rules if r.endpoint not in FORMS]
    assert not unknown, f"POST rules missing from tests/reliability/rel_forms.py: {unknown}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_forged_posts_are_refused_and_change_nothing(shared, post_rules, variant, monkeypatch):
    w = shared.w
    refused, failures, kept = 0, [], None
    for rule in post_rules:
        form = FORMS.get(rule.endpoint)
        role = form.actor if form else "admin"
        url = url_for_form(rule, w, form) if form else fill(rule, world_values(w, "admin"))
        assert url, f"no URL for {rule.rule}"
        data = payload(form, w) if form else {}
        client = shared.client(role)
        own = csrf_token(client, _token_page(role))
        if variant == "wrong":
            data["csrf_token"] = own[:-4] + ("AAAA" if not own.endswith("AAAA") else "BBBB")
        elif variant == "foreign":
            other = shared.client("head_b" if role != "head_b" else "staff_b")
            data["csrf_token"] = csrf_token(other, "/password")
        elif variant == "expired":
            data["csrf_token"] = own
        # the rows as the previous post left them, unless a row was written since
        # (tests/support/snapshot.current: the connection's write counter)
        kept = current(kept, snapshot)
        if variant == "expired":
            real = TimestampSigner.get_timestamp
            monkeypatch.setattr(TimestampSigner, "get_timestamp",
                                lambda self: int(time.time()) + 3601)
        try:
            resp = client.post(url, data=data)
        finally:
            if variant == "expired":
                monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
        after = current(kept, snapshot)          # read again only if the post wrote a row
        diff = Diff(kept[0], after[0])
        kept = after
        RESULTS["posts"] += 1
        if _is_csrf_refusal(resp):
            refused += 1
            RESULTS["refused"] += 1
        else:
            failures.append((rule.endpoint, url, resp.status_code))
        if not diff.empty:
            RESULTS["changed"] += 1
            failures.append((rule.endpoint, url, "changed", diff.summary()))
            shared.restore()
            kept = None
    figure("csrf", f"{variant} token: refused {refused} of {len(post_rules)} state-changing "
                   f"rules with 400, database changes 0" if not failures else
           f"{variant} token: {len(failures)} failures")
    assert not failures, failures


def test_valid_token_passes_the_check(sw, post_rules):
    """The control: the same posts with the session's own token are not refused by CSRF
    (so the refusals above are the token's doing), and most of them change data."""
    w = sw.w
    passed, changed, problems = 0, 0, []
    for rule in post_rules:
        form = FORMS.get(rule.endpoint)
        role = form.actor if form else "admin"
        if form and form.prepare:
            form.prepare(w)
        url = url_for_form(rule, w, form) if form else fill(rule, world_values(w, "admin"))
        client = sw.client(role)
        data = payload(form, w) if form else {}
        data["csrf_token"] = csrf_token(client, _token_page(role))
        before = snapshot()
        resp = client.post(url, data=data)
        if _is_csrf_refusal(resp):
            problems.append((rule.endpoint, url))
        else:
            passed += 1
        if not Diff(before, snapshot()).empty:
            changed += 1
        sw.restore()
    RESULTS["controls"] = len(post_rules)
    RESULTS["controls_passed"] = passed
    figure("csrf", f"control with the session's token: {passed} of {len(post_rules)} accepted, "
                   f"{changed} changed data")
    assert not problems, problems


def _get_urls(shared, role):
    """Every GET rule with arguments naming objects of unit A, and also of unit B."""
    w = shared.w
    out = []
    for rule in rules(shared.app, "GET"):
        for values in (world_values(w, role if role != "anonymous" else "staff"),
                       {**world_values(w, "staff_b"), "task_id": w.task_b.id,
                        "plan_id": w.plan_b.id, "evidence_id": w.evidence[w.task_b.id],
                        "unit_id": w.b.id, "user_id": w.staff_b.id}):
            url = fill(rule, values)
            assert url is not None, f"no argument values for {rule.rule}"
            if url not in out:
                out.append(url)
    return out


def test_no_get_writes_to_the_database(shared):
    """Count INSERT/UPDATE/DELETE (and SQLite write transactions) during every GET page,
    for every role. A refused GET (403/404) may write its one 'access.denied' audit row,
    in a transaction of its own (app/errors.py); anything else is a failure."""
    writes: list = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        head = statement.lstrip().split(None, 3)
        verb = head[0].upper() if head else ""
        if verb in ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE") or \
                statement.strip().upper() == "BEGIN IMMEDIATE":
            writes.append(" ".join(head[:3]))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    pages, refused, bad = 0, 0, []
    try:
        for role in ("anonymous",) + ("admin", "assessor", "head", "deputy", "staff"):
            client = shared.cached(role)
            for url in _get_urls(shared, role):
                writes.clear()
                resp = client.get(url)
                resp.close()
                pages += 1
                if resp.status_code in (403, 404):
                    refused += 1
                    expected = [] if role == "anonymous" else \
                        ["BEGIN IMMEDIATE", "INSERT INTO audit_log"]
                    got = [s for s in writes if s != "BEGIN IMMEDIATE" or
                           engine.dialect.name == "sqlite"]
                    if engine.dialect.name != "sqlite":
                        expected = [s for s in expected if s != "BEGIN IMMEDIATE"]
                    if got != expected:
                        bad.append((role, url, resp.status_code, list(writes)))
                elif writes:
                    bad.append((role, url, resp.status_code, list(writes)))
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
    figure("csrf", f"GET pages: {pages} (6 roles), writes 0 outside the {refused} refusal "
                   f"records" if not bad else f"GET pages: {len(bad)} wrote to the database")
    assert not bad, bad[:10]


def test_summary():
    if RESULTS["posts"]:
        figure("csrf", f"forged posts refused {RESULTS['refused']} of {RESULTS['posts']}, "
                       f"posts that changed data {RESULTS['changed']}")
    assert RESULTS["changed"] == 0
