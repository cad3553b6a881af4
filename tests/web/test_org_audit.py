"""The audit browser (issue 17 §2): the assessor and the admin list every change by kind of
object, person, unit and local date range, read before → after (not JSON), page by page,
and export it to XLSX with formulas neutralised; nobody else opens it."""

import io
import json
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert
from web_support import page

from app.extensions import db
from app.models import AuditLog
from app.org import auditlog
from tests.conftest import TODAY


def _log(rows):
    """Audit rows written directly: (at UTC, actor, action, type, id, changes)."""
    db.session.execute(insert(AuditLog), [
        {"at": at, "actor_id": actor, "action": action, "object_type": kind, "object_id": oid,
         "task_id": None, "changes": json.dumps(ch, ensure_ascii=False), "comment": ""}
        for at, actor, action, kind, oid, ch in rows])
    db.session.commit()


def _world_log(w):
    _log([
        # 17:30 UTC on 06/12 is 00:30 on 07/12 in Hà Nội
        (datetime(2026, 12, 6, 17, 30), w.head.id, "task.update", "task", w.task.id,
         {"weight": ["1.00", "1"], "due_on": ["2026-06-30", "2026-07-31"],
          "leader_id": [w.head.id, w.deputy.id]}),
        (datetime(2026, 12, 6, 16, 30), w.head_b.id, "plan.update", "plan", w.plan_b.id,
         {"title": ["Kế hoạch cũ", "=HYPERLINK(\"http://x\")"]}),
        (datetime(2026, 12, 6, 10, 0), w.staff.id, "login", "user", w.staff.id, {}),
    ])


def test_the_assessor_reads_changes_before_after_in_local_dates(sw):
    w = sw.w
    _world_log(w)
    c = sw.client("assessor")
    doc = page(c.get("/audit?type=task&from=07/12/2026&to=07/12/2026"))
    text = doc.text()
    assert "07/12/2026 00:30" in text
    assert "30/06/2026" in text and "31/07/2026" in text      # dates as dates, not JSON
    assert w.deputy.full_name in text                          # an id shown by name
    assert "1.00" not in text                                  # no phantom change
    assert '["' not in text and '": ' not in text                 # not raw JSON
    # the day before in local time holds the plan change (23:30 on 06/12), not the task's
    text = page(c.get("/audit?from=06/12/2026&to=06/12/2026")).text()
    assert "Kế hoạch cũ" in text and "31/07/2026" not in text
    # sign-ins are not changes
    assert "<code>login</code>" not in c.get(f"/audit?person={w.staff.id}").get_data(as_text=True)


def test_filters_by_person_and_unit_and_bad_dates_are_named(sw):
    w = sw.w
    _world_log(w)
    c = sw.client("admin")
    text = page(c.get(f"/audit?unit={w.b.id}")).text()
    assert "Kế hoạch cũ" in text and "31/07/2026" not in text
    text = page(c.get(f"/audit?person={w.head.id}")).text()
    assert "31/07/2026" in text and "Kế hoạch cũ" not in text
    resp = c.get("/audit?from=31/02/2026&to=xx&unit=abc&person=99999999999&page=-3")
    assert resp.status_code == 200
    doc = page(resp)
    assert doc.text().count("dd/mm/yyyy") >= 2 or "nhập ngày" in doc.text().lower()
    assert 'value="31/02/2026"' in resp.get_data(as_text=True)  # what was typed stays


def test_the_list_is_paginated(sw):
    w = sw.w
    _log([(datetime(2026, 1, 1, 0, i), w.admin.id, "unit.rename", "unit", w.a.id,
           {"name": [f"Tên {i}", f"Tên {i + 1}"]}) for i in range(60)])
    db.session.rollback()
    p1 = auditlog.browse(w.admin, auditlog.AuditFilter(object_type="unit"), 1, 50)
    p2 = auditlog.browse(w.admin, auditlog.AuditFilter(object_type="unit"), 2, 50)
    db.session.rollback()
    assert p1.total == p2.total >= 60 and len(p1.entries) == 50
    assert p1.entries[0].at >= p1.entries[-1].at >= p2.entries[0].at
    assert {e.id for e in p1.entries}.isdisjoint({e.id for e in p2.entries})


def test_the_export_reads_back_with_formulas_neutralised(sw):
    w = sw.w
    _world_log(w)
    resp = sw.client("assessor").get("/audit.xlsx?type=plan")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.get_data())).active
    rows = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    header = next(r for r in rows if r and r[0] in ("STT", "No."))
    assert header[:3] == ["STT", "Thời điểm", "Người thực hiện"]
    body = rows[rows.index(header) + 1:]
    assert body[0][0] == 1 and body[0][1] == "06/12/2026 23:30"
    cell = next(c for c in ws.iter_rows() for c in c if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert cell.data_type == "s" and not str(cell.value).startswith("=")


def test_only_the_assessor_and_the_admin_browse(sw):
    w = sw.w
    for who in ("head", "deputy", "staff"):
        assert sw.client(who).get("/audit").status_code == 403
        assert sw.client(who).get("/audit.xlsx").status_code == 403
    # a deputy made an assessor browses too (permissions are the union)
    sw.client("admin").post(f"/people/{w.deputy.id}/roles", data={"extra_roles": ["assessor"]})
    assert sw.client("deputy").get("/audit").status_code == 200


def test_the_list_query_uses_an_index(sw):
    """The page query is served by an index on (object_type, at) / (actor_id, at) / at."""
    w = sw.w
    bind = db.session.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL's plan depends on its statistics; SQLite's is deterministic
    db.session.rollback()
    q = auditlog._select(auditlog._conditions(auditlog.AuditFilter(object_type="task"),
                                               auditlog.LOCAL_TZ)).limit(50)
    sql = str(q.compile(bind, compile_kwargs={"literal_binds": True}))
    plan = " ".join(r[-1] for r in db.session.execute(db.text("EXPLAIN QUERY PLAN " + sql)))
    db.session.rollback()
    assert "ix_audit_log_object_type_at" in plan, plan
    q = auditlog._select(auditlog._conditions(auditlog.AuditFilter(actor_id=w.head.id),
                                               auditlog.LOCAL_TZ)).limit(50)
    sql = str(q.compile(bind, compile_kwargs={"literal_binds": True}))
    plan = " ".join(r[-1] for r in db.session.execute(db.text("EXPLAIN QUERY PLAN " + sql)))
    db.session.rollback()
    assert "ix_audit_log_actor_at" in plan, plan


def test_actions_columns_and_coded_values_are_named_in_the_users_language(sw):
    """No raw action code, column name or status code, on the page nor in the XLSX
    (quality rows included), in Vietnamese and in English."""
    from web_support import tr

    w = sw.w
    _log([
        (datetime(2026, 12, 6, 9, 0), w.staff.id, "task.progress", "task", w.task.id,
         {"progress": [0, 40], "status": ["assigned", "in_progress"]}),
        (datetime(2026, 12, 6, 9, 5), w.assessor.id, "quality.sheet_finalize", "quality_sheet", 7,
         {"status": ["submitted", "appraised"], "auto_as_of": [None, "2026-12-06"]}),
        (datetime(2026, 12, 6, 9, 10), w.admin.id, "quality.criterion_add", "criterion", 3,
         {"method": [None, "deduction"], "event_kind": [None, "overdue"], "max_points": [None, 3]}),
        (datetime(2026, 12, 6, 9, 15), w.admin.id, "user.roles", "user", w.deputy.id,
         {"extra_roles": [[], ["assessor"]]}),
    ])
    c = sw.client("assessor")
    codes = ("task.progress", "quality.sheet_finalize", "quality.criterion_add", "user.roles",
             "in_progress", "appraised", "auto_as_of", "event_kind", "max_points", "deduction",
             "extra_roles", ">assessor<")
    html = c.get("/audit?from=06/12/2026&to=06/12/2026").get_data(as_text=True)
    for code in codes:
        assert code not in html, code
    text = page(c.get("/audit?from=06/12/2026&to=06/12/2026")).text()
    for msgid in ("reported progress", "finalized the appraisal", "added a criterion",
                  "changed the additional roles", "In progress", "Appraised",
                  "Submitted, awaiting appraisal", "Deductions per event",
                  "overdue tasks (from the tracker)", "Maximum points", "Scoring method",
                  "Automatic figures as of", "Additional roles", "Assessor"):
        assert tr(msgid) in text, msgid
    wb = load_workbook(io.BytesIO(c.get("/audit.xlsx?from=06/12/2026&to=06/12/2026").data))
    cells = " ".join(str(v) for row in wb.active.iter_rows(values_only=True) for v in row if v)
    for code in codes:
        assert code.strip("<>") not in cells or code == ">assessor<", code
    assert tr("finalized the appraisal") in cells and tr("Appraised") in cells
    # English
    c.post("/language/en", data={"next": "/audit"})
    text = page(c.get("/audit?from=06/12/2026&to=06/12/2026")).text()
    assert "finalized the appraisal" in text and "Appraised" in text and "In progress" in text


def _object_log(w):
    _log([
        (datetime(2026, 12, 6, 8, 0), w.admin.id, "unit.rename", "unit", w.a.id,
         {"name": ["Tên cũ", w.a.name]}),
        (datetime(2026, 12, 6, 8, 5), w.head.id, "task.update", "task", w.task.id,
         {"progress": [0, 10]}),
        (datetime(2026, 12, 6, 8, 10), w.head_b.id, "plan.update", "plan", w.plan_b.id,
         {"year": [2025, 2026]}),
        (datetime(2026, 12, 6, 8, 15), w.admin.id, "user.update", "user", w.deputy.id,
         {"email": ["", "pho@example.vn"]}),
        (datetime(2026, 12, 6, 8, 20), w.admin.id, "unit.rename", "unit", 987654,
         {"name": ["Đơn vị đã xoá", "Đơn vị đã xoá (2)"]}),
    ])


def test_the_object_is_shown_by_its_name_or_by_its_number_when_gone(sw):
    """The object column names the unit, the task, the plan, the person (not "Đơn vị #4"), and
    falls back to "#id" for an object that no longer exists: on the page and in the XLSX."""
    w = sw.w
    _object_log(w)
    c = sw.client("assessor")
    text = page(c.get("/audit?from=06/12/2026&to=06/12/2026")).text()
    for name in (w.a.name, w.task.title, w.plan_b.title, w.deputy.full_name, "#987654"):
        assert name in text, name
    for number in (w.a.id, w.task.id, w.plan_b.id, w.deputy.id):
        assert f"#{number} " not in text + " ", number
    ws = load_workbook(io.BytesIO(c.get("/audit.xlsx?from=06/12/2026&to=06/12/2026").data)).active
    rows = list(ws.iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "STT")
    assert header[5:8] == ("Đối tượng", "Tên đối tượng", "Số hiệu")
    body = {(r[5], r[7]): r[6] for r in rows[rows.index(header) + 1:]}
    assert body == {("Đơn vị", w.a.id): w.a.name, ("Nhiệm vụ", w.task.id): w.task.title,
                    ("Kế hoạch", w.plan_b.id): w.plan_b.title,
                    ("Người dùng", w.deputy.id): w.deputy.full_name,
                    ("Đơn vị", 987654): "#987654"}


def test_object_names_cost_one_query_per_kind_not_per_row(sw):
    from sqlalchemy import event

    w = sw.w
    _object_log(w)

    def queries(n_more: int) -> int:
        _log([(datetime(2026, 11, 1, 8, i), w.admin.id, "task.update", "task", 500_000 + i,
               {"progress": [0, 1]}) for i in range(n_more)])
        db.session.rollback()
        seen = []

        def spy(*args):
            seen.append(args[2])

        event.listen(db.engine, "before_cursor_execute", spy)
        try:
            p = auditlog.browse(w.admin, auditlog.AuditFilter(), 1, 50)
        finally:
            event.remove(db.engine, "before_cursor_execute", spy)
            db.session.rollback()
        assert {e.object_text for e in p.entries} >= {w.a.name, w.task.title}
        return len(seen)

    assert queries(1) == queries(30)


@pytest.mark.parametrize("query, period", [
    ("", "Thời gian: toàn bộ nhật ký"),
    ("?from=01/12/2026", "Thời gian: từ ngày 01/12/2026"),
    ("?to=06/12/2026", "Thời gian: đến ngày 06/12/2026"),
    ("?from=01/12/2026&to=06/12/2026", "Thời gian: từ ngày 01/12/2026 đến ngày 06/12/2026"),
])
def test_the_exports_sheet_and_period_are_said_in_words(sw, query, period):
    """The sheet is named with its diacritics like every other export ("Nhật ký", not "Nhat
    ky"), and the period line says "the whole log", "from", "to" instead of "… – …"."""
    _world_log(sw.w)
    wb = load_workbook(io.BytesIO(sw.client("assessor").get("/audit.xlsx" + query).data))
    assert wb.sheetnames == ["Nhật ký"]
    assert wb.active["A2"].value == f"{period}; tính đến ngày {TODAY:%d/%m/%Y}"
