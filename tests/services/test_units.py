"""The unit tree: add, move a whole subtree, retire, import the official communes and wards."""

import json

import pytest
from sqlalchemy import func, select

from app.common import access
from app.common.errors import RuleViolation
from app.directory import units
from app.extensions import db
from app.models import AuditLog, Unit


def unit_count() -> int:
    return db.session.scalar(select(func.count(Unit.id)))


def paths() -> dict[str, str]:
    db.session.expire_all()
    return dict(db.session.execute(select(Unit.code, Unit.path)).all())


def subtree_codes(unit: Unit) -> set[str]:
    return set(db.session.scalars(select(Unit.code).where(Unit.id.in_(access.subtree_ids(unit.path)))))


def test_add_unit_builds_the_path_and_audits(make):
    top = units.add_unit("P01", "  UBND   thành phố Hà Nội ", kind="province", actor_id=None)
    child = units.add_unit("SNV01", "Sở Nội vụ", "P01", "department")
    grandchild = units.add_unit("SNV01-CCHC", "Phòng Cải cách hành chính", "SNV01", "section")
    db.session.commit()
    assert top.path == f"/{top.id}/"
    assert child.path == f"/{top.id}/{child.id}/"
    assert grandchild.path == f"/{top.id}/{child.id}/{grandchild.id}/"
    assert (top.depth, child.depth, grandchild.depth) == (0, 1, 2)
    assert (top.name, top.name_folded) == ("UBND thành phố Hà Nội", "ubnd thanh pho ha noi")
    assert child.parent_id == top.id
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "unit.create")
                              .order_by(AuditLog.id)).all()
    assert [r.object_id for r in rows] == [top.id, child.id, grandchild.id]
    assert json.loads(rows[1].changes)["parent"] == [None, "P01"]


@pytest.mark.parametrize("code, name, parent, kind, field", [
    ("SNV", "Trùng mã", None, "office", "code"),           # the world has SNV
    ("", "Không mã", None, "office", "code"),
    ("CO KHOANG", "Mã có dấu cách", None, "office", "code"),
    ("X" * 33, "Mã quá dài", None, "office", "code"),
    ("NEW1", "  ", None, "office", "name"),
    ("NEW1", "Tên " * 70, None, "office", "name"),
    ("NEW1", "Đơn vị mới", "KHONGCO", "office", "parent"),
    ("NEW1", "Đơn vị mới", None, "kingdom", "kind"),
])
def test_add_unit_rules(world, code, name, parent, kind, field):
    n = unit_count()
    with pytest.raises(RuleViolation) as err:
        units.add_unit(code, name, parent, kind)
    assert err.value.field == field
    db.session.rollback()
    assert unit_count() == n


def test_nothing_is_added_under_a_retired_unit(world, make):
    old = make.unit("Phòng cũ", parent=world.a, code="OLD")
    units.set_active(old, False)
    db.session.commit()
    with pytest.raises(RuleViolation) as err:
        units.add_unit("NEW1", "Tổ mới", "OLD")
    assert err.value.field == "parent"


def test_move_unit_moves_the_whole_subtree(world, make):
    section = make.unit("Phòng CCHC", parent=world.a, code="SNV-CCHC")
    team = make.unit("Tổ một cửa", parent=section, code="SNV-CCHC-1")
    before = paths()
    units.move_unit(world.a, world.b)
    db.session.commit()
    after = paths()
    pb = after["SKHCN"]
    assert after["SNV"] == f"{pb}{world.a.id}/"
    assert after["SNV-CCHC"] == f"{pb}{world.a.id}/{section.id}/"
    assert after["SNV-CCHC-1"] == f"{pb}{world.a.id}/{section.id}/{team.id}/"
    # Nothing outside the subtree moved.
    for code in ("P66", "SKHCN"):
        assert after[code] == before[code]
    db.session.expire_all()
    assert db.session.get(Unit, world.a.id).parent_id == world.b.id
    assert subtree_codes(db.session.get(Unit, world.b.id)) == {"SKHCN", "SNV", "SNV-CCHC", "SNV-CCHC-1"}
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "unit.move")).one()
    assert json.loads(row.changes) == {"parent_id": [world.province.id, world.b.id]}


def test_move_unit_to_the_top_and_back(world, make):
    section = make.unit("Phòng CCHC", parent=world.a, code="SNV-CCHC")
    units.move_unit(world.a, None)
    db.session.commit()
    got = paths()
    assert got["SNV"] == f"/{world.a.id}/"
    assert got["SNV-CCHC"] == f"/{world.a.id}/{section.id}/"
    units.move_unit(db.session.get(Unit, world.a.id), db.session.get(Unit, world.province.id))
    db.session.commit()
    got = paths()
    assert got["SNV-CCHC"] == f"/{world.province.id}/{world.a.id}/{section.id}/"


def test_a_unit_cannot_move_under_itself_or_its_descendants(world, make):
    section = make.unit("Phòng CCHC", parent=world.a, code="SNV-CCHC")
    before = paths()
    for target in (world.a, section):
        with pytest.raises(RuleViolation) as err:
            units.move_unit(world.a, target)
        assert err.value.field == "parent"
        db.session.rollback()
    assert paths() == before


def test_a_move_does_not_confuse_units_whose_ids_share_a_prefix(make):
    """/1/ must not match /12/ when moving unit 1's subtree."""
    made = [units.add_unit(f"T{i}", f"Đơn vị thử {i}") for i in range(1, 13)]
    db.session.commit()
    one, twelve = made[0], made[11]
    assert (one.id, twelve.id) == (1, 12)
    child = units.add_unit("T1-A", "Con của một", "T1")
    db.session.commit()
    units.move_unit(one, made[1])
    db.session.commit()
    got = paths()
    assert got["T12"] == "/12/"
    assert got["T1-A"] == f"/2/1/{child.id}/"


def test_set_active_retires_and_restores_once(world):
    units.set_active(world.b, False)
    units.set_active(world.b, False)
    db.session.commit()
    assert db.session.get(Unit, world.b.id).is_active is False
    units.set_active(world.b, True)
    db.session.commit()
    got = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "unit",
                                                           AuditLog.object_id == world.b.id)
                             .order_by(AuditLog.id)).all()
    assert got == ["unit.create", "unit.retire", "unit.restore"]


def test_import_official_is_idempotent(world):
    n = unit_count()
    added, kept = units.import_official(66, parent_code="P66")
    db.session.commit()
    assert (added, kept) == (102, 0)
    assert unit_count() == n + 102
    province = db.session.get(Unit, world.province.id)
    wards = db.session.scalars(select(Unit).where(Unit.parent_id == province.id,
                                                  Unit.kind.in_(["commune", "ward", "special_zone"]))).all()
    assert len(wards) == 102
    assert all(w.path.startswith(province.path) and w.depth == 1 for w in wards)
    assert all(w.name.startswith("UBND ") for w in wards)
    assert {w.kind for w in wards} <= {"commune", "ward", "special_zone"}
    assert "ward" in {w.kind for w in wards} and "commune" in {w.kind for w in wards}
    # The codes are the official ones, as plain numbers.
    assert all(w.code.isdigit() for w in wards)
    # A second run adds nothing and keeps everything.
    assert units.import_official(66, parent_code="P66") == (0, 102)
    db.session.commit()
    assert unit_count() == n + 102


def test_import_official_at_the_top_level(app):
    added, kept = units.import_official("66")
    assert (added, kept) == (102, 0)
    assert db.session.scalar(select(func.count(Unit.id)).where(Unit.parent_id.is_(None))) == 102


@pytest.mark.parametrize("code", [999, 0, "abc", ""])
def test_import_official_refuses_an_unknown_province(world, code):
    n = unit_count()
    with pytest.raises(RuleViolation):
        units.import_official(code)
    assert unit_count() == n


def test_import_official_refuses_an_unknown_parent(world):
    with pytest.raises(RuleViolation) as err:
        units.import_official(66, parent_code="KHONGCO")
    assert err.value.field == "parent"
    assert db.session.scalar(select(func.count(Unit.id))) == 3


# ---- display order ---------------------------------------------------------------------

def codes_of(rows, key=lambda r: r.code) -> list[str]:
    return [key(r) for r in rows]


def test_tree_order_lists_parents_first_and_siblings_by_kind_then_name(app):
    from tests import unit_tree

    made = unit_tree.build()
    ids = sorted(u.id for u in made.values())
    assert ids[-1] >= 10   # some ids have two digits: as text "/10/" sorts before "/2/"
    rows = db.session.scalars(select(Unit).where(Unit.code.like("T%"))).all()
    assert codes_of(units.tree_order(rows)) == list(unit_tree.EXPECTED)
    # rows carrying only the path (and a code) get the kinds and names from the database
    bare = db.session.execute(select(Unit.code, Unit.path).where(Unit.code.like("T%"))).all()
    assert codes_of(units.tree_order(reversed(bare))) == list(unit_tree.EXPECTED)
    # a search result without the ancestors keeps the order of their subtrees
    some = [r for r in rows if r.code in ("T-XEK", "T-SNV-TC", "T-SCT", "T-SNV-CCHC")]
    assert codes_of(units.tree_order(some)) == ["T-SCT", "T-SNV-CCHC", "T-SNV-TC", "T-XEK"]
    assert units.tree_order([]) == []


def test_tree_order_follows_a_change_of_kind(app):
    from tests import unit_tree

    made = unit_tree.build()
    units.set_kind(made["T-XEK"], "department", actor_id=None)
    db.session.commit()
    rows = db.session.scalars(select(Unit).where(Unit.parent_id == made["T"].id)).all()
    order = codes_of(units.tree_order(rows))
    # now among the departments, by name: after "Sở Y tế", before "Văn phòng UBND tỉnh"
    assert order.index("T-SYT") + 1 == order.index("T-XEK") == order.index("T-VP") - 1
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "unit.kind")).all()
    assert len(log) == 1 and json.loads(log[0].changes)["kind"] == ["commune", "department"]
    with pytest.raises(RuleViolation) as e:
        units.set_kind(made["T-XEK"], "district")
    assert e.value.field == "kind"
