"""Unit tree depth (issue 18.5): the outside probe built a 140-deep chain of units, whose
568-character `path` overflowed its VARCHAR(512) (SQLite stored it; PostgreSQL would
refuse the statement with an error 500). The tree is bounded by MAX_UNIT_DEPTH (default
10): past it `flask units add` exits with a Vietnamese message, and the unit admin form
(add and move) answers 422 with the message beside the parent field. Nothing past the
bound is stored, on either database.

Figure: the 140-deep chain: N of 140 levels stored, refused at level N+1 by the command
(exit 2) and by the form (add and move: 422), longest path P characters."""

import html
import re

from rel_support import figure
from sqlalchemy import func, select

from app.extensions import db
from app.models import Unit

CHAIN = 140


def _beside(page: str, field_id: str) -> str:
    m = re.search(rf'id="{field_id}"[^>]*>.*?<div class="invalid-feedback[^"]*"[^>]*>(.*?)</div>',
                  page, re.DOTALL)
    return re.sub(r"\s+", " ", html.unescape(m.group(1))).strip() if m else ""


def test_the_probes_140_deep_chain_is_refused_cleanly(sw):
    app = sw.app
    bound = app.config["MAX_UNIT_DEPTH"]
    assert bound == 10
    runner = app.test_cli_runner()
    stored, refusal = 0, None
    parent = None
    for level in range(1, CHAIN + 1):
        args = ["units", "add", f"SAU-{level}", f"Phòng thử độ sâu {level}"]
        if parent:
            args += ["--parent", parent]
        out = runner.invoke(args=args)
        if out.exit_code != 0:
            refusal = (level, out.exit_code, out.output)
            break
        stored += 1
        parent = f"SAU-{level}"
    assert stored == bound, (stored, refusal)
    level, code, message = refusal
    assert level == bound + 1 and code == 2
    assert "Cây đơn vị chỉ được có tối đa 10 cấp" in message, message
    assert "Traceback" not in message
    db.session.rollback()
    longest = db.session.scalar(select(func.max(func.length(Unit.path))))
    deepest = db.session.scalar(select(Unit).where(Unit.code == f"SAU-{bound}"))
    assert deepest.path.count("/") - 1 == bound and longest <= 512
    deepest_id = deepest.id
    before = db.session.scalar(select(func.count(Unit.id)))
    db.session.rollback()

    # the unit admin form: adding under the deepest unit
    admin = sw.client("admin")
    resp = admin.post("/admin/units", data={"code": "SAU-X", "name": "Quá sâu", "kind": "office",
                                            "parent_id": str(deepest_id)})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Cây đơn vị chỉ được có tối đa 10 cấp" in _beside(page, "parent_id"), page[-2000:]
    assert 'value="SAU-X"' in page  # what was typed is kept
    # ... and moving a subtree (Sở Nội vụ with its Phòng CCHC: two levels) under it
    a = sw.w.a
    resp = admin.post(f"/admin/units/{a.id}", data={"name": a.name, "kind": a.kind,
                                                    "parent_id": str(deepest_id), "is_active": "y"})
    assert resp.status_code == 422
    assert "Cây đơn vị chỉ được có tối đa 10 cấp" in _beside(resp.get_data(as_text=True), "parent_id")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Unit.id))) == before
    assert db.session.scalar(select(func.max(func.length(Unit.path)))) == longest
    # a move that fits still goes: the subtree under level 8 reaches level 10
    level8 = db.session.scalar(select(Unit.id).where(Unit.code == f"SAU-{bound - 2}"))
    db.session.rollback()
    resp = admin.post(f"/admin/units/{a.id}", data={"name": a.name, "kind": a.kind,
                                                    "parent_id": str(level8), "is_active": "y"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    db.session.rollback()
    assert db.session.scalar(select(func.max(func.length(Unit.path) - func.length(
        func.replace(Unit.path, "/", ""))))) - 1 == bound
    figure("units", f"{db.engine.dialect.name}: the probe's {CHAIN}-deep chain: {stored} of "
                    f"{CHAIN} levels stored, level {level} refused by `flask units add` "
                    f"(exit 2) and by the unit form (add and move: 422 beside the parent); "
                    f"longest path {longest} characters of 512")
