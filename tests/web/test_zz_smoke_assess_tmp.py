import pytest
from datetime import date
from app.extensions import db

def test_smoke(world, as_user, make):
    w = world
    from app.models import Task
    t = db.session.get(Task, w.task.id); t.due_on = date(2026, 6, 1); t.status='completed'; t.completed_on=date(2026,6,3)
    t2 = db.session.get(Task, w.task2.id); t2.due_on = date(2026, 6, 10)
    db.session.commit()
    for user in ["assessor", "admin", "head_a", "deputy_a"]:
        c = as_user(user)
        for url in ["/assessment", "/assessment?period=2026-Q2&as_of=15/06/2026", f"/assessment/unit/{w.a.id}?period=2026-Q2",
                    f"/assessment/unit/{w.a.id}?period=2026-Q2&outcome=due", f"/assessment/leader/{w.deputy.id}?period=2026-Q2",
                    "/assessment/print?period=2026", "/assessment/runs", "/assessment/export.xlsx?period=2026", "/assessment/export/tasks.csv?period=2026"]:
            r = c.get(url)
            print(user, url, r.status_code)
            assert r.status_code in (200,), r.get_data(as_text=True)[:3000]
    c = as_user("assessor")
    r = c.post("/assessment/freeze", data={"period": "2026-Q2", "as_of": "15/06/2026", "unit": ""})
    print(r.status_code, r.headers.get("Location"))
    r = c.get(r.headers["Location"]); assert r.status_code == 200, r.get_data(as_text=True)[:3000]
    html = r.get_data(as_text=True)
    for u in ["/assessment/runs/1/unit/%d" % w.a.id, "/assessment/runs/1/leader/%d" % w.head.id, "/assessment/runs/1/print", "/assessment/runs/1/export.xlsx", "/assessment/runs/1/export/units.csv"]:
        r = c.get(u); print(u, r.status_code); assert r.status_code == 200, r.get_data(as_text=True)[:3000]
    c = as_user("head_a")
    for u in ["/assessment/runs/1", "/assessment/runs/1/unit/%d" % w.a.id, "/assessment/runs/1/export/tasks.csv"]:
        r = c.get(u); print(u, r.status_code); assert r.status_code == 200, r.get_data(as_text=True)[:3000]
    print(c.get("/assessment/runs/1/export/tasks.csv").get_data(as_text=True))
    print(c.get(f"/assessment/unit/{w.a.id}?period=2026-Q2").get_data(as_text=True)[-9000:])
    for bad in ["/assessment?period=2026-Q5", "/assessment?as_of=01/01/2027", "/assessment?as_of=xx", "/assessment?unit=99999"]:
        r = c.get(bad); print(bad, r.status_code)
