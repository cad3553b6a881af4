"""Administration through the UI: the unit tree (add, rename, move, retire) and accounts
(new, edit), with bad input refused beside the field and nothing saved changed."""

import pytest
from sqlalchemy import func, select
from web_support import (
    PASSWORD_NEW,
    control,
    field_errors,
    field_value,
    form_alerts,
    page,
    row,
    tr,
)

from app.extensions import db
from app.models import AuditLog, Unit, User


def unit_by_code(code):
    db.session.rollback()
    u = db.session.execute(select(Unit.__table__).where(Unit.code == code)).mappings().first()
    db.session.rollback()
    return dict(u) if u else None


def n_rows(model) -> int:
    db.session.rollback()
    n = db.session.scalar(select(func.count()).select_from(model))
    db.session.rollback()
    return n


def audit_actions(object_type, object_id) -> list[str]:
    db.session.rollback()
    out = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == object_type,
                                                           AuditLog.object_id == object_id)
                             .order_by(AuditLog.id)).all()
    db.session.rollback()
    return out


# ---- units ----------------------------------------------------------------------------

def test_the_new_unit_form_does_not_default_to_a_province(sw):
    """Issue 17: a new unit is most often an office or department, never a second province
    by default."""
    doc = page(sw.cached("admin").get("/admin/units"))
    kind = next(n for n in doc.iter() if n.tag == "select" and n.attrs.get("name") == "kind")
    chosen = [o for o in kind.find_all("option") if "selected" in o.attrs]
    assert chosen and chosen[0].attrs["value"] not in ("province",), chosen


def test_add_rename_move_and_retire_a_unit(sw):
    w, admin = sw.w, sw.cached("admin")
    doc = page(admin.get("/admin/units"))
    assert "Sở Nội vụ" in doc.text() and "Phòng Cải cách hành chính" in doc.text()
    resp = admin.post("/admin/units", data={"code": "SNV-VP", "name": "  Văn phòng   Sở ",
                                            "kind": "office", "parent_id": str(w.a.id)})
    assert resp.status_code == 302
    u = unit_by_code("SNV-VP")
    assert u["name"] == "Văn phòng Sở" and u["parent_id"] == w.a.id and u["is_active"]
    assert u["path"] == f"{row(Unit, w.a.id)['path']}{u['id']}/"
    assert "Văn phòng Sở" in page(admin.get("/admin/units")).text()
    # a sub-unit of the new one, to see the subtree move with it
    assert admin.post("/admin/units", data={"code": "SNV-VP-TH", "name": "Tổ tổng hợp",
                                            "kind": "section", "parent_id": str(u["id"])}
                      ).status_code == 302
    child = unit_by_code("SNV-VP-TH")

    doc = page(admin.get(f"/admin/units/{u['id']}"))
    assert field_value(doc, "name") == "Văn phòng Sở"
    offered = {o.attrs["value"] for o in doc.find("select", name="parent_id").find_all("option")}
    assert str(w.b.id) in offered and str(child["id"]) not in offered and str(u["id"]) not in offered
    # rename and move under unit B in one save
    resp = admin.post(f"/admin/units/{u['id']}", data={"name": "Văn phòng", "parent_id": str(w.b.id),
                                                       "is_active": "y"})
    assert resp.status_code == 302
    moved, moved_child = row(Unit, u["id"]), row(Unit, child["id"])
    b_path = row(Unit, w.b.id)["path"]
    assert moved["name"] == "Văn phòng" and moved["parent_id"] == w.b.id
    assert moved["path"] == f"{b_path}{u['id']}/"
    assert moved_child["path"] == f"{b_path}{u['id']}/{child['id']}/"
    assert audit_actions("unit", u["id"]) == ["unit.create", "unit.rename", "unit.move"]
    # retire it: shown as retired, no longer offered for new tasks of unit B
    resp = admin.post(f"/admin/units/{u['id']}", data={"name": "Văn phòng", "parent_id": str(w.b.id)})
    assert resp.status_code == 302
    assert row(Unit, u["id"])["is_active"] is False
    units_page = page(admin.get("/admin/units"))
    retired = [tr_ for tr_ in units_page.find_all("tr") if "Văn phòng" in tr_.text()
               and "SNV-VP" in tr_.text() and "SNV-VP-TH" not in tr_.text()]
    assert retired and tr("retired") in retired[0].text()
    form = page(sw.cached("head").get(f"/plans/{w.plan.id}/tasks/new"))
    lead_options = {o.attrs["value"] for o in form.find("select", name="lead_unit_id").find_all("option")}
    assert str(u["id"]) not in lead_options
    assert audit_actions("unit", u["id"])[-1] == "unit.retire"
    # and restore it
    assert admin.post(f"/admin/units/{u['id']}", data={"name": "Văn phòng", "parent_id": str(w.b.id),
                                                       "is_active": "y"}).status_code == 302
    assert row(Unit, u["id"])["is_active"] is True


def test_search_units_without_diacritics(sw):
    doc = page(sw.cached("admin").get("/admin/units", query_string={"q": "khoa hoc"}))
    text = doc.find("table").text()
    assert "Sở Khoa học và Công nghệ" in text and "Sở Nội vụ" not in text


UNIT_ADD_CASES = [
    ("duplicate-code", {"code": "SNV"}, "code", ("The unit code %(code)s is taken.", {"code": "SNV"})),
    ("code-with-space", {"code": "SNV VP"}, "code",
     ("A unit code is 1 to 32 characters without spaces.", {})),
    ("empty-code", {"code": ""}, "code", ("Enter the unit code.", {})),
    ("long-code", {"code": "C" * 33}, "code", ("At most 32 characters.", {})),
    ("empty-name", {"name": ""}, "name", ("Enter the unit's name.", {})),
    ("long-name", {"name": "Phòng " * 60}, "name", ("At most 255 characters.", {})),
    ("unknown-kind", {"kind": "bo"}, "kind", None),
    ("unknown-parent", {"parent_id": "999999"}, "parent_id", None),
]


@pytest.mark.parametrize("case", UNIT_ADD_CASES, ids=[c[0] for c in UNIT_ADD_CASES])
def test_add_unit_bad_input(sw, case):
    _id, overrides, field, message = case
    w = sw.w
    data = {"code": "SNV-VP", "name": "Văn phòng Sở", "kind": "office", "parent_id": str(w.a.id)}
    data.update(overrides)
    before = n_rows(Unit)
    resp = sw.cached("admin").post("/admin/units", data=data)
    assert resp.status_code == 422, resp.status_code
    doc = page(resp)
    errors = field_errors(doc, field)
    if message:
        assert errors == [tr(message[0], **message[1])], (errors, form_alerts(doc))
    else:
        assert errors, form_alerts(doc)
    for name in ("code", "name"):
        assert field_value(doc, name) == data[name]
    assert n_rows(Unit) == before


@pytest.mark.parametrize("data, field, message", [
    ({"name": ""}, "name", "Enter the unit's name."),
    ({"name": "Sở " * 100}, "name", "At most 255 characters."),
    ({"name": "Phòng CCHC", "parent_id": "SELF"}, "parent_id", "A unit cannot be moved under itself."),
    ({"name": "Phòng CCHC", "parent_id": "CHILD"}, "parent_id", "A unit cannot be moved under itself."),
], ids=["empty-name", "long-name", "under-itself", "under-its-child"])
def test_edit_unit_bad_input(sw, data, field, message):
    w, admin = sw.w, sw.cached("admin")
    # unit A with its sub-unit A1: A may not go under A1
    data = dict(data, is_active="y")
    data["parent_id"] = {"SELF": str(w.a.id), "CHILD": str(w.a1.id)}.get(
        data.get("parent_id", ""), str(w.province.id))
    before_a, before_a1 = row(Unit, w.a.id), row(Unit, w.a1.id)
    resp = admin.post(f"/admin/units/{w.a.id}", data=data)
    assert resp.status_code == 422
    doc = page(resp)
    assert field_errors(doc, field) == [tr(message)], (field_errors(doc, field), form_alerts(doc))
    assert field_value(doc, "name") == data["name"]
    assert row(Unit, w.a.id) == before_a and row(Unit, w.a1.id) == before_a1


@pytest.mark.parametrize("parent", ["999999", "abc", "9" * 30])
def test_unknown_parent_never_means_top_level(sw, parent):
    w, admin = sw.w, sw.cached("admin")
    before = row(Unit, w.a1.id)
    resp = admin.post(f"/admin/units/{w.a1.id}", data={"name": "Phòng CCHC", "parent_id": parent,
                                                       "is_active": "y"})
    assert resp.status_code == 422
    assert field_errors(page(resp), "parent_id") == [
        tr("This unit does not exist or has been retired.")]
    assert row(Unit, w.a1.id) == before


def test_unknown_unit_page_is_404(sw):
    assert sw.cached("admin").get("/admin/units/999999").status_code == 404


# ---- users ----------------------------------------------------------------------------

def new_user(w, **kw):
    data = {"username": "cv.moi", "full_name": "Nguyễn Văn Mới", "email": "moi@snv.gov.vn",
            "title": "Chuyên viên", "unit_id": str(w.a.id), "role": "staff", "is_active": "y",
            "new_password": PASSWORD_NEW}
    data.update(kw)
    return data


def test_create_an_account_and_log_in_with_it(sw):
    w, admin = sw.w, sw.cached("admin")
    doc = page(admin.get("/admin/users/new"))
    roles = {o.attrs["value"] for o in doc.find("select", name="role").find_all("option")}
    assert roles == {"admin", "assessor", "head", "deputy", "staff"}
    resp = admin.post("/admin/users/new", data=new_user(w, username="CV.Moi"))
    assert resp.status_code == 302
    db.session.rollback()
    u = db.session.scalar(select(User).where(User.username == "cv.moi"))
    assert (u.full_name, u.email, u.unit_id, u.role, u.is_active) == (
        "Nguyễn Văn Mới", "moi@snv.gov.vn", w.a.id, "staff", True)
    assert u.password_hash.startswith("$argon2") and PASSWORD_NEW not in u.password_hash
    assert "Nguyễn Văn Mới" in page(admin.get("/admin/users", query_string={"q": "nguyen van moi"})).text()
    c = sw.app.test_client()
    assert c.post("/login", data={"username": "cv.moi", "password": PASSWORD_NEW}).status_code == 302
    assert c.get("/tasks/mine").status_code == 200


def test_edit_an_account(sw):
    w, admin = sw.w, sw.cached("admin")
    doc = page(admin.get(f"/admin/users/{w.staff2.id}"))
    assert field_value(doc, "full_name") == "Ngô Thị Lan"
    assert field_value(doc, "role") == "staff" and field_value(doc, "unit_id") == str(w.a.id)
    resp = admin.post(f"/admin/users/{w.staff2.id}", data={
        "full_name": "Ngô Thị Lan Anh", "email": "lan@snv.gov.vn", "title": "Phó trưởng phòng",
        "unit_id": str(w.a1.id), "role": "deputy", "is_active": "y"})
    assert resp.status_code == 302
    u = row(User, w.staff2.id)
    assert (u["full_name"], u["unit_id"], u["role"], u["title"]) == (
        "Ngô Thị Lan Anh", w.a1.id, "deputy", "Phó trưởng phòng")
    assert "user.update" in audit_actions("user", w.staff2.id)


USER_NEW_CASES = [
    ("duplicate-username", {"username": "staff_a"}, "username",
     ("The username %(name)s is taken.", {"name": "staff_a"})),
    ("duplicate-username-case", {"username": "STAFF_A"}, "username",
     ("The username %(name)s is taken.", {"name": "staff_a"})),
    ("username-with-space", {"username": "cv moi"}, "username",
     ("A username uses letters, digits, dots, dashes and underscores.", {})),
    ("empty-username", {"username": ""}, "username", ("Enter a username.", {})),
    ("unknown-role", {"role": "superuser"}, "role", None),
    ("common-password", {"new_password": "password123"}, "new_password",
     ("This password is too common; choose another.", {})),
    ("short-password", {"new_password": "abc12"}, "new_password", ("Use 8 to 128 characters.", {})),
    ("no-password", {"new_password": ""}, "new_password",
     ("Enter a password for the new account.", {})),
    ("bad-email", {"email": "khong-phai-email"}, "email", ("Enter a valid email address.", {})),
    ("empty-name", {"full_name": "  "}, "full_name", ("Enter the full name.", {})),
    ("unknown-unit", {"unit_id": "999999"}, "unit_id", None),
    ("no-unit", {"unit_id": ""}, "unit_id", ("Choose a unit from the list.", {})),
    ("email-of-another-account", "email-of-staff_a2", "email",
     ("The email %(email)s is already used by the account %(username)s.",
      {"email": "lan@snv.gov.vn", "username": "staff_a2"})),
    ("retired-unit", "retire-a1", "unit_id", None),
]


@pytest.mark.parametrize("case", USER_NEW_CASES, ids=[c[0] for c in USER_NEW_CASES])
def test_new_account_bad_input(sw, case):
    _id, overrides, field, message = case
    w = sw.w
    if overrides == "retire-a1":
        u = db.session.get(Unit, w.a1.id)
        u.is_active = False
        db.session.commit()
        overrides = {"unit_id": str(w.a1.id)}
    if overrides == "email-of-staff_a2":
        u = db.session.get(User, w.staff2.id)
        u.email = "lan@snv.gov.vn"
        db.session.commit()
        overrides = {"email": "Lan@SNV.gov.vn"}
    data = new_user(w, **overrides)
    before = n_rows(User)
    resp = sw.cached("admin").post("/admin/users/new", data=data)
    assert resp.status_code == 422, resp.status_code
    doc = page(resp)
    errors = field_errors(doc, field)
    if message:
        assert errors == [tr(message[0], **message[1])], (errors, form_alerts(doc))
    else:
        assert errors, form_alerts(doc)
    for name in ("username", "full_name", "email", "title"):
        assert field_value(doc, name) == data[name]
    assert field_value(doc, "new_password") == ""
    assert n_rows(User) == before


USER_EDIT_CASES = [
    ("unknown-role", {"role": "root"}, "role", None),
    ("weak-password", {"new_password": "12345678"}, "new_password",
     ("This password is too common; choose another.", {})),
    ("empty-name", {"full_name": ""}, "full_name", ("Enter the full name.", {})),
    ("bad-email", {"email": "a@"}, "email", ("Enter a valid email address.", {})),
    ("no-unit", {"unit_id": ""}, "unit_id", ("Choose a unit from the list.", {})),
    ("letters-as-unit", {"unit_id": "SNV"}, "unit_id",
     ("This unit does not exist or has been retired.", {})),
]


@pytest.mark.parametrize("case", USER_EDIT_CASES, ids=[c[0] for c in USER_EDIT_CASES])
def test_edit_account_bad_input(sw, case):
    _id, overrides, field, message = case
    w = sw.w
    data = {"full_name": "Phạm Văn Đăng", "email": "dang@snv.gov.vn", "title": "Chuyên viên",
            "unit_id": str(w.a.id), "role": "staff", "is_active": "y"}
    data.update(overrides)
    before = row(User, w.staff.id)
    resp = sw.cached("admin").post(f"/admin/users/{w.staff.id}", data=data)
    assert resp.status_code == 422, resp.status_code
    doc = page(resp)
    errors = field_errors(doc, field)
    if message:
        assert errors == [tr(message[0], **message[1])], (errors, form_alerts(doc))
    else:
        assert errors, form_alerts(doc)
    for name in ("full_name", "email", "title"):
        assert field_value(doc, name) == data[name]
    assert row(User, w.staff.id) == before
    # the staff member's session survives a refused edit
    assert sw.cached("staff").get("/").status_code == 200


def test_admin_cannot_disable_or_demote_themselves(sw):
    w, admin = sw.w, sw.cached("admin")
    before = row(User, w.admin.id)
    for data in ({"full_name": "Quản Trị Viên", "unit_id": str(w.province.id), "role": "admin"},
                 {"full_name": "Quản Trị Viên", "unit_id": str(w.province.id), "role": "staff",
                  "is_active": "y"}):
        resp = admin.post(f"/admin/users/{w.admin.id}", data=data)
        assert resp.status_code == 422
        doc = page(resp)
        msg = tr("You cannot disable yourself or take away your own administrator role.")
        assert msg in field_errors(doc, "role") + field_errors(doc, "is_active") + form_alerts(doc)
        assert row(User, w.admin.id) == before
    assert admin.get("/admin/users").status_code == 200


def test_unknown_user_page_is_404(sw):
    assert sw.cached("admin").get("/admin/users/999999").status_code == 404


def test_user_form_controls(sw):
    doc = page(sw.cached("admin").get("/admin/users/new"))
    assert control(doc, "new_password").attrs.get("type") == "password"
    assert control(doc, "email").attrs.get("type") == "email"


def test_a_new_account_is_staff_in_no_unit_until_the_admin_chooses(sw):
    """A form filled in a hurry must never make another administrator, nor put the account
    in the first unit of the list."""
    w, admin = sw.w, sw.cached("admin")
    doc = page(admin.get("/admin/users/new"))
    assert field_value(doc, "role") == "staff"
    assert field_value(doc, "unit_id") == ""
    first = control(doc, "unit_id").find("option")
    assert (first.attrs["value"], first.text()) == ("", tr("— choose —"))
    # only a name, a username and a password: refused beside the unit, nothing created
    before = n_rows(User)
    data = {"username": "cv.voi", "full_name": "Trần Văn Vội", "email": "", "title": "",
            "unit_id": "", "role": "staff", "is_active": "y", "new_password": PASSWORD_NEW}
    resp = admin.post("/admin/users/new", data=data)
    assert resp.status_code == 422
    doc = page(resp)
    assert field_errors(doc, "unit_id") == [tr("Choose a unit from the list.")]
    assert (field_value(doc, "username"), field_value(doc, "full_name"), field_value(doc, "role")) == (
        "cv.voi", "Trần Văn Vội", "staff")
    assert n_rows(User) == before
    # a post that leaves the role out entirely (an older page, a script) makes a staff member
    del data["role"]
    assert admin.post("/admin/users/new", data=dict(data, unit_id=str(w.a.id))).status_code == 302
    assert user_by_username("cv.voi")["role"] == "staff"


def user_by_username(username):
    db.session.rollback()
    u = db.session.execute(select(User.__table__).where(User.username == username)).mappings().first()
    db.session.rollback()
    return dict(u) if u else None


def test_emails_are_kept_in_lower_case_and_never_shared(sw):
    w, admin = sw.w, sw.cached("admin")
    assert admin.post("/admin/users/new", data=new_user(w, email="Moi@SNV.gov.vn")).status_code == 302
    assert user_by_username("cv.moi")["email"] == "moi@snv.gov.vn"
    # another account may not take it, in any letter case, on edit either
    data = {"full_name": "Phạm Văn Đăng", "email": "MOI@snv.gov.vn", "title": "",
            "unit_id": str(w.a.id), "role": "staff", "is_active": "y"}
    before = row(User, w.staff.id)
    resp = admin.post(f"/admin/users/{w.staff.id}", data=data)
    assert resp.status_code == 422
    doc = page(resp)
    assert field_errors(doc, "email") == [tr(
        "The email %(email)s is already used by the account %(username)s.",
        email="moi@snv.gov.vn", username="cv.moi")]
    assert field_value(doc, "email") == "MOI@snv.gov.vn"
    assert row(User, w.staff.id) == before


# ---- the order and the kinds of units ------------------------------------------------------

UNIT_KIND_MSGIDS = {"province": "Province or city", "department": "Department or agency",
                    "office": "Office or centre", "section": "Section of a unit", "ward": "Ward",
                    "commune": "Commune", "special_zone": "Special zone", "other": "Other"}


def test_unit_kinds_are_shown_by_name_not_code(sw):
    w, admin = sw.w, sw.cached("admin")
    doc = page(admin.get("/admin/units"))
    options = control(doc, "kind").find_all("option")
    labels = {o.attrs["value"]: o.text() for o in options}
    assert labels == {k: tr(msgid) for k, msgid in UNIT_KIND_MSGIDS.items()}
    # in the order units are listed: the provincial bodies before the local committees
    assert list(labels)[:4] == ["province", "department", "office", "section"]
    assert field_value(doc, "kind") == "office"
    snv = [r for r in doc.find("table").find_all("tr") if r.find("td") and r.find("td").text() == "SNV"]
    assert snv and tr("Office or centre") in snv[0].text() and "office" not in snv[0].text()
    # the kind can be changed on the unit's page; it decides where the unit is listed
    doc = page(admin.get(f"/admin/units/{w.a.id}"))
    assert field_value(doc, "kind") == "office"
    resp = admin.post(f"/admin/units/{w.a.id}", data={"name": "Sở Nội vụ", "kind": "department",
                                                      "parent_id": str(w.province.id), "is_active": "y"})
    assert resp.status_code == 302
    assert row(Unit, w.a.id)["kind"] == "department"
    assert audit_actions("unit", w.a.id)[-1] == "unit.kind"
    resp = admin.post(f"/admin/units/{w.a.id}", data={"name": "Sở Nội vụ", "kind": "bo",
                                                      "parent_id": str(w.province.id), "is_active": "y"})
    assert resp.status_code == 422
    assert field_errors(page(resp), "kind") and row(Unit, w.a.id)["kind"] == "department"


def test_units_are_listed_as_a_tree_in_official_order(sw):
    from tests import unit_tree

    admin = sw.cached("admin")
    made = unit_tree.build()
    code_of = {str(u.id): code for code, u in made.items()}
    assert max(u.id for u in made.values()) >= 10
    expected = list(unit_tree.EXPECTED)
    table = page(admin.get("/admin/units")).find("table")
    shown = [r.find("td").text() for r in table.find_all("tr") if r.find("td")]
    assert [c for c in shown if c in made] == expected
    sub = next(r for r in table.find_all("tr") if r.find("td") and r.find("td").text() == "T-SNV-CCHC")
    assert sub.find_all("td")[1].text().startswith("— — Phòng Cải cách hành chính")

    def select_order(url, name):
        options = control(page(admin.get(url)), name).find_all("option")
        return [code_of[o.attrs["value"]] for o in options if o.attrs["value"] in code_of]

    assert select_order("/admin/units", "parent_id") == expected
    assert select_order("/admin/users/new", "unit_id") == expected
