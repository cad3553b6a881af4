"""The demo's sample indicator sets (issue 13 point 7): labelled as samples, one for the
departments and one for the communes and wards, with units at each stage of the workflow."""

from sqlalchemy import select

from app.demo import loader as demo
from app.extensions import db
from app.models import IndicatorSet, QualitySheet, Unit
from app.quality import queries
from app.settings import current_settings
from tests.conftest import TODAY


def test_the_demo_shows_every_stage_of_the_workflow(app):
    demo.seed(TODAY, current_settings())
    db.session.commit()
    sets = db.session.scalars(select(IndicatorSet).order_by(IndicatorSet.id)).all()
    assert [(s.unit_group, s.status) for s in sets] == [("department", "published"),
                                                        ("commune", "published"),
                                                        ("department", "locked")]
    assert all(s.name.startswith("[Mẫu]") for s in sets)
    stages = dict(db.session.execute(
        select(Unit.code, QualitySheet.status).join(Unit, Unit.id == QualitySheet.unit_id)
        .where(QualitySheet.set_id == sets[0].id)).all())
    assert stages["SKHCN"] == "appraised" and stages["SNV"] == "submitted"
    assert stages["STP"] == "open" and stages["VPUBND"] == "submitted"
    from app.quality import flow

    asked = flow.explanations(db.session.scalar(select(QualitySheet.id).join(
        Unit, Unit.id == QualitySheet.unit_id).where(QualitySheet.set_id == sets[0].id,
                                                      Unit.code == "VPUBND")), TODAY)
    assert [e.status for e in asked] == ["awaiting"]
    assert flow.window(sets[0], TODAY) == "open"
    last = dict(db.session.execute(
        select(Unit.code, QualitySheet.status).join(Unit, Unit.id == QualitySheet.unit_id)
        .where(QualitySheet.set_id == sets[2].id)).all())
    assert set(last.values()) == {"published"} and sets[2].decision_no == "25/QĐ-UBND"
    methods = {r.criterion.method for r in queries.tree(sets[0].id) if r.is_leaf}
    assert methods == {"manual", "tasks", "stepped", "deduction", "targets", "bonus"}
    rows = queries.sheets(sets[0], current_settings().scoring)
    skhcn = next(r for r in rows if r.unit_code == "SKHCN")
    assert skhcn.appraised_total is not None and skhcn.rank == 1
    communes = db.session.scalars(select(QualitySheet.status).where(
        QualitySheet.set_id == sets[1].id)).all()
    assert len(communes) > 10 and set(communes) == {"open"}
