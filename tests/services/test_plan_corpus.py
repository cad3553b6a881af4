"""The corpus of plans as they are issued (issue 14): each file of tests/data/plans/corpus/
(written by make_corpus.py beside it) imported into a draft plan of the province, and every
task compared, field by field, with the tasks it must yield (the .json beside the file)."""

import json
from pathlib import Path

import pytest

from app.directory import units
from app.extensions import db
from app.models import Unit
from app.plans import importing as plan_import
from app.settings import current_settings
from tests.conftest import TODAY
from tests.services.test_plan_import import plan_tasks

CORPUS = Path(__file__).parents[1] / "data" / "plans" / "corpus"
CASES = sorted(p.name for p in CORPUS.glob("*.json"))


def test_the_corpus_has_a_dozen_plans_of_every_kind():
    files = [json.loads((CORPUS / c).read_text(encoding="utf-8"))["file"] for c in CASES]
    assert len(files) >= 12
    assert {f.rsplit(".", 1)[1] for f in files} == {"docx", "xls", "xlsx"}


@pytest.fixture
def province_plan(world, make):
    """A draft plan of the province, with a commune, a ward and a section of Sở Nội vụ whose
    name holds a comma."""
    units.add_unit("XEK", "UBND xã Ea Kao", "P66", kind="commune")
    units.add_unit("PTL", "UBND phường Tân Lập", "P66", kind="ward")
    units.add_unit("PCCVC", "Phòng Công chức, viên chức", "SNV")
    db.session.commit()
    return make.plan(world.province, kind="work", title="Kế hoạch cải cách hành chính năm 2026")


def _shape(task, codes: dict) -> dict:
    return {"stt": task.stt, "parent": task.parent.stt if task.parent else None,
            "title": task.title, "lead": codes.get(task.lead_unit_id),
            "coordinators": sorted(u.code for u in task.coordinators),
            "start": task.start_on.isoformat() if task.start_on else None,
            "due": task.due_on.isoformat() if task.due_on else None,
            "output": task.output_product or "", "description": task.description or "",
            "field": task.field.name if task.field else None}


@pytest.mark.parametrize("case", CASES)
def test_each_plan_yields_its_tasks_field_by_field(world, province_plan, case):
    expected = json.loads((CORPUS / case).read_text(encoding="utf-8"))
    data = (CORPUS / expected["file"]).read_bytes()
    settings = current_settings().task_rules
    p = plan_import.preview(province_plan, data, TODAY, world.admin, settings=settings)
    assert p.ok, [e.text for e in p.errors]
    plan_import.apply(None, province_plan, data, TODAY, expected["file"], settings=settings)
    db.session.commit()
    codes = {u.id: u.code for u in db.session.query(Unit)}
    tasks = plan_tasks(province_plan.id)
    got = [_shape(t, codes) for t in sorted(tasks.values(), key=lambda t: t.order_key)]
    assert [g["stt"] for g in got] == [e["stt"] for e in expected["tasks"]]
    for g, e in zip(got, expected["tasks"], strict=True):
        for key in e:
            assert g[key] == e[key], (expected["file"], e["stt"], key)
    # The same file again changes nothing: every task is found by its number as written.
    again = plan_import.preview(province_plan, data, TODAY, settings=settings)
    assert again.ok and again.unchanged == len(expected["tasks"]) and again.added == 0
