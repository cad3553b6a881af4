"""A deputy's fields of responsibility (issue 17 §2, issue 13 §5): set by the administrator
or by the head of her own unit, never by herself nor by another unit's head; shown on her
page; audited; and used by the task form to suggest her as the accountable leader."""

import json

from sqlalchemy import select
from web_support import page

from app.extensions import db
from app.models import AuditLog, Field
from app.models.user import user_fields
from app.org import people


def _fields(sw):
    """Two province-wide fields and one of unit B (not offered to A's deputy)."""
    rows = [Field(unit_id=None, name="Cải cách thể chế", name_sort="cai cach the che"),
            Field(unit_id=None, name="Chuyển đổi số", name_sort="chuyen doi so"),
            Field(unit_id=sw.w.b.id, name="Khoa học công nghệ", name_sort="khoa hoc cong nghe")]
    db.session.add_all(rows)
    db.session.commit()
    return [f.id for f in rows]


def _of(user_id):
    db.session.rollback()
    out = sorted(db.session.scalars(select(user_fields.c.field_id)
                                    .where(user_fields.c.user_id == user_id)))
    db.session.rollback()
    return out


def _audit(user_id):
    db.session.rollback()
    out = db.session.execute(select(AuditLog.actor_id, AuditLog.changes)
                             .where(AuditLog.action == "user.fields",
                                    AuditLog.object_id == user_id)).all()
    db.session.rollback()
    return out


def test_the_head_sets_her_deputys_fields_and_they_show_on_her_page(sw):
    w = sw.w
    f1, f2, _fb = _fields(sw)
    head = sw.client("head")
    doc = page(head.get(f"/people/{w.deputy.id}"))
    assert "Cải cách thể chế" in doc.text() and "Khoa học công nghệ" not in doc.text()
    resp = head.post(f"/people/{w.deputy.id}/fields", data={"field_ids": [str(f1), str(f2)]})
    assert resp.status_code == 302
    assert _of(w.deputy.id) == sorted([f1, f2])
    (actor, changes), = _audit(w.deputy.id)
    assert actor == w.head.id
    assert json.loads(changes) == {"fields": ["", "Cải cách thể chế; Chuyển đổi số"]}
    # the deputy sees them on her own page, without a form
    deputy = sw.client("deputy")
    text = page(deputy.get(f"/people/{w.deputy.id}")).text()
    assert "Chuyển đổi số" in text and "Lưu lĩnh vực" not in text


def test_a_field_of_another_unit_is_refused_beside_the_list(sw):
    w = sw.w
    f1, _, fb = _fields(sw)
    resp = sw.client("head").post(f"/people/{w.deputy.id}/fields",
                                  data={"field_ids": [str(f1), str(fb)]})
    assert resp.status_code == 422
    assert "Chọn lĩnh vực trong danh sách." in page(resp).text()
    assert _of(w.deputy.id) == [] and _audit(w.deputy.id) == []


def test_the_admin_sets_fields_from_the_user_page(sw):
    w = sw.w
    f1, _, _ = _fields(sw)
    admin = sw.client("admin")
    doc = page(admin.get(f"/admin/users/{w.deputy.id}"))
    assert "Cải cách thể chế" in doc.text()
    resp = admin.post(f"/people/{w.deputy.id}/fields", data={"field_ids": [str(f1)], "back": "admin"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/admin/users/{w.deputy.id}")
    assert _of(w.deputy.id) == [f1]


def test_integrity_nobody_else_sets_a_deputys_fields(sw):
    """The deputy herself (her fields decide her score), another unit's head, another
    deputy, staff and the assessor are refused, and nothing changes."""
    w = sw.w
    f1, _, _ = _fields(sw)
    for who, status in (("deputy", 403), ("head_b", 404), ("deputy_b", 404), ("staff", 403),
                        ("assessor", 403)):
        resp = sw.client(who).post(f"/people/{w.deputy.id}/fields", data={"field_ids": [str(f1)]})
        assert resp.status_code == status, who
    assert _of(w.deputy.id) == [] and _audit(w.deputy.id) == []
    # a head's own fields are not a thing; a staff member has none either
    assert sw.client("admin").post(f"/people/{w.staff.id}/fields",
                                   data={"field_ids": [str(f1)]}).status_code == 403
    # the head of B sees no form on A's deputy (and no page at all)
    assert sw.client("head_b").get(f"/people/{w.deputy.id}").status_code == 404


def test_the_task_form_suggests_the_deputy_in_charge_of_the_field(sw):
    w = sw.w
    f1, _f2, _ = _fields(sw)
    db.session.execute(user_fields.insert(), [{"user_id": w.deputy.id, "field_id": f1}])
    db.session.commit()
    doc = page(sw.client("head").get(f"/plans/{w.plan.id}/tasks/new"))
    hint = next(n for n in doc.find_all("div") if n.attrs.get("id") == "leader-hint")
    hints = json.loads(hint.attrs["data-hints"])
    assert hints == {str(f1): [[w.deputy.id, w.deputy.full_name]]}
    # only a suggestion: the leader select is not preset by it
    assert people.suggested_leaders(w.plan.unit_id, [w.head.id, w.deputy.id]) == {f1: [w.deputy.id]}


def test_the_deputys_assessment_page_names_her_fields(sw):
    w = sw.w
    f1, _f2, _ = _fields(sw)
    db.session.execute(user_fields.insert(), [{"user_id": w.deputy.id, "field_id": f1}])
    db.session.commit()
    doc = page(sw.client("head").get(f"/assessment/leader/{w.deputy.id}?period=2026-Q2"))
    line = next(n for n in doc.find_all("p") if n.attrs.get("id") == "leader-fields")
    assert "Cải cách thể chế" in line.text()
