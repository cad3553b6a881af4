import time
from sqlalchemy import event
from app.extensions import db
from app.services import plan_import
from tests.conftest import TODAY
from tests.services.test_plan_import import big_file
from tests.plan_files import excel_style

def test_time(world, make):
    plan = make.plan(world.a, kind="work")
    sh = plan_import.read_sheet(excel_style(big_file()))
    print("\n", db.engine.dialect.use_insertmanyvalues, getattr(db.engine.dialect, "use_insertmanyvalues_wo_returning", None), db.engine.dialect.supports_sane_multi_rowcount)
    stats = []
    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["t0"] = time.perf_counter()
    def after(conn, cursor, statement, parameters, context, executemany):
        stats.append((time.perf_counter() - conn.info["t0"], statement[:70], len(parameters) if executemany else 1))
    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    t=time.perf_counter(); p = plan_import.preview(plan, sh, TODAY); print("check", time.perf_counter()-t)
    t=time.perf_counter(); plan_import.apply(world.head, plan, sh, TODAY); db.session.commit(); print("\napply total", time.perf_counter()-t)
    event.remove(db.engine, "before_cursor_execute", before)
    event.remove(db.engine, "after_cursor_execute", after)
    print("db", sum(s[0] for s in stats), len(stats))
    for s in sorted(stats, reverse=True)[:12]: print(s)
