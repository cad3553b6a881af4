"""What the task form offers: the units of the plan's subtree as a tree, and as responsible
person or accountable leader only the units' own people, namesakes told apart."""

from web_support import control, page

from app.directory import users
from app.extensions import db


def options(doc, name) -> list[tuple[str, str]]:
    return [(o.attrs["value"], o.text()) for o in control(doc, name).find_all("option")
            if o.attrs["value"]]


def add(unit_code, role, full_name, username):
    u = users.add_user(username, full_name, unit_code, role, "x", check_policy=False)
    db.session.commit()
    return u


def test_people_are_labelled_with_their_username_and_only_the_units_own_people_are_offered(sw):
    w = sw.w
    # Three namesakes in Sở Nội vụ and its section; an assessor and an administrator in the unit.
    same = [add("SNV", "staff", "Nguyễn Văn Thử", f"cv.test{i}") for i in (6, 7)]
    same.append(add("SNV-CCHC", "staff", "Nguyễn Văn Thử", "cv.test8"))
    assessor = add("SNV", "assessor", "Trần Thị Đánh Giá", "danhgia.snv")
    admin = add("SNV", "admin", "Lê Quản Trị", "qt.snv")
    doc = page(sw.cached("head").get(f"/plans/{w.plan.id}/tasks/new"))

    people = options(doc, "assignee_id")
    labels = dict(people)
    assert labels[str(same[0].id)] == "Nguyễn Văn Thử (cv.test6) — Sở Nội vụ"
    assert labels[str(same[2].id)] == "Nguyễn Văn Thử (cv.test8) — Phòng Cải cách hành chính"
    assert len({labels[str(u.id)] for u in same}) == 3
    offered = {int(v) for v, _ in people}
    assert offered == {w.head.id, w.deputy.id, w.staff.id, w.staff2.id, *(u.id for u in same)}
    assert assessor.id not in offered and admin.id not in offered
    # the unit's people first (by given name), then the section's
    assert [int(v) for v, _ in people][-1] == same[2].id
    leaders = {int(v) for v, _ in options(doc, "leader_id")}
    assert leaders == {w.head.id, w.deputy.id}
