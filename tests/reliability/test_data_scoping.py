"""Data scoping (ASVS V8.2.2, V8.4.1): every list, search, dashboard, export, file download
and notifications page, for every user of the world, shows 0 rows outside the user's scope;
objects out of scope (tasks, plans, evidence files, extensions, notifications) answer 404.

The oracle is computed here from the fixtures, from the rules as DESIGN states them, not by
calling app/services/access.py: admin and assessor read everything; a head or deputy reads the
tasks owned by or led by a unit of their subtree, or assigned to them, or that they are
accountable for; staff read the tasks owned by or led by their unit (and, for a section, its
department), or assigned to them. Plans: the same units, by the plan's unit.

Each task, plan, evidence file and extension carries a unique marker in its text, so a page
leaks a row exactly when it shows the marker of a row outside the reader's scope.

Figure: N pages x users, 0 out-of-scope rows; M out-of-scope objects, all 404."""

import io
import re
from datetime import date

import pytest
from rel_support import PDF, figure, rules
from sqlalchemy import select

from app.extensions import db
from app.models import Evidence, Extension, Notification, Plan, Task, Unit, User
from app.settings import current_settings

APP_CONFIG = {"PAGE_SIZE": 1000}
TASK_MARK = re.compile(r"\[NV(\d\d)\]")
PLAN_MARK = re.compile(r"\[KH(\d\d)\]")
FILE_MARK = re.compile(r"MC(\d\d)\.pdf")
EXT_MARK = re.compile(r"\[GH(\d\d)\]")
READERS = ("admin", "assessor", "head_a", "deputy_a", "staff_a", "staff_a2", "head_b",
           "deputy_b", "staff_b", "staff_a1", "staff_sec", "head_a1")


@pytest.fixture(scope="module")
def scoped(shared):
    """The shared world plus: sub-unit A1's people and tasks, a section of A with its staff,
    a task of plan A led by unit B, overdue tasks everywhere, markers in every text, evidence
    and extensions on several tasks, a notification per user."""
    from rel_support import dump, root

    from app.clock import local_today
    from app.deadlines import extensions
    from app.deadlines import sweep as overdue
    from app.directory import units
    from app.tasks import evidence

    w = shared.w
    make = root().Factory()
    make.n = 500
    sec = units.add_unit("SNV-TCCB", "Phòng Tổ chức cán bộ", "SNV", "section")
    db.session.commit()
    w.sec = sec
    w.staff_a1 = make.user(w.a1, "staff", "Trịnh Văn Một", "staff_a1")
    w.head_a1 = make.user(w.a1, "head", "Đinh Thị Hai", "head_a1")
    w.staff_sec = make.user(sec, "staff", "Lý Thị Ba", "staff_sec")
    w.plan_sec = make.plan(sec, title="Kế hoạch CCHC năm 2026 của Phòng TCCB")
    # markers on the existing rows
    n = 0
    for t in db.session.scalars(select(Task).order_by(Task.id)):
        n += 1
        t.set_title(f"{t.title} [NV{n:02d}]")
    for i, p in enumerate(db.session.scalars(select(Plan).order_by(Plan.id)), start=1):
        p.title = f"{p.title} [KH{i:02d}]"
    db.session.commit()
    due = {"due_on": date(2026, 6, 10), "start_on": date(2026, 1, 15)}

    def add(plan, actor, lead, assignee, leader, build=make.task, **kw):
        nonlocal n
        n += 1
        return build(plan, actor, lead, assignee, leader,
                     title=f"Nhiệm vụ kiểm thử phạm vi số {n} [NV{n:02d}]", **(due | kw))

    # plan A, led by unit B: a row older than the rule that refuses it (issue 11)
    add(w.plan, w.head, w.b, w.staff_b, w.deputy_b, build=make.legacy_task)
    add(w.plan, w.head, w.a, w.staff2, w.head)
    add(w.plan_a1, w.head_a1, w.a1, w.staff_a1, w.head_a1)
    add(w.plan_a1, w.head, w.a1, w.staff_a1, None)
    add(w.plan_b, w.head_b, w.b, w.staff_b, w.head_b)
    add(w.plan_sec, w.head, sec, w.staff_sec, None)
    add(w.plan_b, w.head_b, w.b, None, w.deputy_b)
    # coordinating units (issue 17 §2): B's tasks coordinated by A1 (its head and A's head
    # see it), by A with staff_a2 named its contact, and by the section with staff_sec named
    # and then the section taken off the task (the stale contact sees nothing)
    from sqlalchemy import delete, insert

    from app.models import task_coordinator_contacts, task_coordinators
    by_a1 = add(w.plan_b, w.head_b, w.b, w.staff_b, w.head_b)
    by_a = add(w.plan_b, w.head_b, w.b, w.staff_b, w.deputy_b)
    stale = add(w.plan_b, w.head_b, w.b, None, w.deputy_b)
    staff_a2 = db.session.scalar(select(User).where(User.username == "staff_a2"))
    db.session.execute(insert(task_coordinators), [
        {"task_id": by_a1.id, "unit_id": w.a1.id}, {"task_id": by_a.id, "unit_id": w.a.id},
        {"task_id": stale.id, "unit_id": sec.id}])
    db.session.execute(insert(task_coordinator_contacts), [
        {"task_id": by_a.id, "unit_id": w.a.id, "user_id": staff_a2.id},
        {"task_id": stale.id, "unit_id": sec.id, "user_id": w.staff_sec.id}])
    db.session.execute(delete(task_coordinators).where(task_coordinators.c.task_id == stale.id))
    db.session.commit()
    # evidence and extensions with markers
    for k, t in enumerate(db.session.scalars(select(Task).where(Task.assignee_id.is_not(None))
                                             .order_by(Task.id)).all(), start=1):
        who = db.session.get(User, t.assignee_id)
        evidence.store(who, t, [evidence.Upload(f"bao-cao-MC{k:02d}.pdf", PDF)], None, current_settings().files)
        db.session.commit()
        if t.id != w.task.id:
            try:
                extensions.request_extension(who, t.id, date(2026, 12, 1),
                                             f"Lý do gia hạn [GH{k:02d}]", local_today(), max_extensions=current_settings().max_extensions)
                db.session.commit()
            except Exception:  # noqa: BLE001 - some tasks may not be asked for (rules)
                db.session.rollback()
    for u in db.session.scalars(select(User)).all():
        mine = visible_tasks(u)
        if mine:
            overdue.notify([u.id], "overdue", min(mine), f"scope:{u.id}", days=5)
    db.session.commit()
    shared.pristine = dump()
    return w


# ---- the oracle ------------------------------------------------------------------------

def _units():
    return {u.id: u for u in db.session.scalars(select(Unit))}


def _subtree(units, unit_id):
    path = units[unit_id].path
    return {u.id for u in units.values() if u.path.startswith(path)}


def _home(units, user):
    ids = {user.unit_id}
    u = units[user.unit_id]
    if u.kind == "section" and u.parent_id:
        ids.add(u.parent_id)
    return ids


def coordinated_tasks(user) -> set[int]:
    """The tasks a coordinating unit of which `user` is the head (or the head of a unit above
    it) coordinates, and those `user` is named a contact person for by a unit that still
    coordinates the task (issue 17 §2)."""
    from app.models import task_coordinator_contacts, task_coordinators

    units = _units()
    links = db.session.execute(select(task_coordinators.c.task_id, task_coordinators.c.unit_id)).all()
    out = set()
    if user.role == "head":
        sub = _subtree(units, user.unit_id)
        out |= {tid for tid, uid in links if uid in sub}
    named = db.session.execute(select(task_coordinator_contacts.c.task_id,
                                      task_coordinator_contacts.c.unit_id)
                               .where(task_coordinator_contacts.c.user_id == user.id)).all()
    out |= {tid for tid, uid in named if (tid, uid) in set(links)}
    return out


def visible_tasks(user) -> set[int]:
    units = _units()
    rows = db.session.scalars(select(Task)).all()
    if user.role in ("admin", "assessor"):
        return {t.id for t in rows}
    coordinated = coordinated_tasks(user)
    if user.role in ("head", "deputy"):
        sub = _subtree(units, user.unit_id)
        return {t.id for t in rows if t.owner_unit_id in sub or t.lead_unit_id in sub
                or t.assignee_id == user.id or t.leader_id == user.id or t.id in coordinated}
    home = _home(units, user)
    return {t.id for t in rows if t.owner_unit_id in home or t.lead_unit_id in home
            or t.assignee_id == user.id or t.id in coordinated}


def visible_plans(user) -> set[int]:
    units = _units()
    rows = db.session.scalars(select(Plan)).all()
    if user.role in ("admin", "assessor"):
        return {p.id for p in rows}
    scope = _subtree(units, user.unit_id) if user.role in ("head", "deputy") else _home(units, user)
    return {p.id for p in rows if p.unit_id in scope}


def markers():
    """marker number -> object id, for tasks, plans, evidence files and extensions."""
    out = {"task": {}, "plan": {}, "file": {}, "ext": {}}
    for t in db.session.scalars(select(Task)):
        for m in TASK_MARK.findall(t.title):
            out["task"][m] = t.id
    for p in db.session.scalars(select(Plan)):
        for m in PLAN_MARK.findall(p.title):
            out["plan"][m] = p.id
    for e in db.session.scalars(select(Evidence)):
        for m in FILE_MARK.findall(e.original_name):
            out["file"][m] = e.task_id
    for x in db.session.scalars(select(Extension)):
        for m in EXT_MARK.findall(x.reason):
            out["ext"][m] = x.task_id
    return out


def text_of(resp) -> str:
    """The page's text; an XLSX as its cell values, a CSV decoded."""
    body = resp.get_data()
    ctype = resp.mimetype or ""
    if "wordprocessingml" in ctype:  # a Word copy of a printed report: paragraphs and tables
        import docx

        doc = docx.Document(io.BytesIO(body))
        parts = [p.text for p in doc.paragraphs]
        for table in doc.tables:
            parts.extend(c.text for row in table.rows for c in row.cells)
        return "\n".join(parts)
    if "spreadsheetml" in ctype:
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(body), read_only=True)
        parts = []
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                parts.extend(str(v) for v in row if v is not None)
        wb.close()
        return "\n".join(parts)
    return body.decode("utf-8", "replace")


def leaks(text, marks, tasks_ok, plans_ok) -> list:
    out = []
    for m in TASK_MARK.findall(text):
        if marks["task"].get(m) not in tasks_ok:
            out.append(f"task NV{m}")
    for m in PLAN_MARK.findall(text):
        if marks["plan"].get(m) not in plans_ok:
            out.append(f"plan KH{m}")
    for m in FILE_MARK.findall(text):
        if marks["file"].get(m) not in tasks_ok:
            out.append(f"file MC{m}")
    for m in EXT_MARK.findall(text):
        if marks["ext"].get(m) not in tasks_ok:
            out.append(f"extension GH{m}")
    return sorted(set(out))


STATS = {"pages": 0, "leaks": 0, "objects": 0, "not404": 0}


def _list_urls(shared, w):
    """Every GET page without arguments, the list filters pointed at other units, and the
    exports; plus each plan's pages (checked only for readers who may open the plan)."""
    urls = [r.rule for r in rules(shared.app, "GET") if not r.arguments]
    urls += ["/tasks?q=NV", f"/tasks?unit={w.b.id}", f"/tasks?unit={w.a.id}",
             f"/tasks?person={w.staff_b.id}", f"/tasks?person={w.staff.id}",
             f"/tasks?plan={w.plan_b.id}", f"/tasks?plan={w.plan.id}",
             f"/tasks?leader={w.deputy_b.id}", "/tasks?timeliness=overdue",
             f"/overdue?unit={w.b.id}", f"/overdue?plan={w.plan_b.id}",
             f"/overdue.xlsx?unit={w.b.id}", f"/overdue/print?unit={w.b.id}", "/assessment?period=2026",
             f"/assessment?period=2026&unit={w.b.id}", "/assessment/export.xlsx?period=2026",
             "/assessment/export/tasks.csv?period=2026",
             f"/assessment/runs/{w.run}", f"/assessment/runs/{w.run}/export.xlsx",
             f"/assessment/runs/{w.run}/export/tasks.csv"]
    return [u for u in urls if u not in ("/healthz", "/login")]


def test_lists_searches_dashboards_and_exports_stay_in_scope(shared, scoped):
    w = scoped
    marks = markers()
    bad, pages = [], 0
    plan_pages = []
    for p in db.session.scalars(select(Plan)):
        plan_pages += [(p.id, f"/plans/{p.id}"), (p.id, f"/plans/{p.id}/print"),
                       (p.id, f"/plans/{p.id}/export.xlsx")]
    for who in READERS:
        user = db.session.scalar(select(User).where(User.username == who))
        ok_tasks, ok_plans = visible_tasks(user), visible_plans(user)
        c = shared.client(who)
        for url in _list_urls(shared, w) + [u for pid, u in plan_pages if pid in ok_plans]:
            resp = c.get(url)
            pages += 1
            text = text_of(resp) if resp.status_code == 200 else ""
            resp.close()
            found = leaks(text, marks, ok_tasks, ok_plans)
            if found:
                bad.append((who, url, found))
        # the task list is exactly the scope; "my tasks" exactly mine
        listed = {int(x) for x in re.findall(r'href="/tasks/(\d+)"', c.get("/tasks").get_data(
            as_text=True))}
        assert listed == ok_tasks, (who, sorted(listed - ok_tasks), sorted(ok_tasks - listed))
        mine = {int(x) for x in re.findall(r'href="/tasks/(\d+)"', c.get("/tasks/mine").get_data(
            as_text=True))}
        own = {t for t in ok_tasks if db.session.get(Task, t).assignee_id == user.id}
        assert mine == own, (who, mine, own)
        # the "Coordinating" tab: exactly the tasks the reader coordinates
        coord = {int(x) for x in re.findall(r'href="/tasks/(\d+)"', c.get(
            "/tasks/mine?coord=1&status=all").get_data(as_text=True))}
        assert coord == coordinated_tasks(user), (who, coord, coordinated_tasks(user))
        # notifications: only one's own
        html = c.get("/notifications").get_data(as_text=True)
        ids = {int(x) for x in re.findall(r'/notifications/(\d+)/read', html)}
        own_n = set(db.session.scalars(select(Notification.id).where(
            Notification.user_id == user.id)))
        if not ids <= own_n:
            bad.append((who, "/notifications", sorted(ids - own_n)))
        db.session.rollback()
    STATS["pages"] += pages
    STATS["leaks"] += len(bad)
    figure("scoping", f"{pages} pages, searches and exports read by {len(READERS)} users: "
                      f"{len(bad)} with rows outside the reader's scope")
    assert not bad, bad[:10]


def test_objects_out_of_scope_answer_404(shared, scoped):
    w = scoped
    all_tasks = db.session.scalars(select(Task.id)).all()
    all_plans = db.session.scalars(select(Plan.id)).all()
    files = db.session.execute(select(Evidence.id, Evidence.task_id)).all()
    exts = db.session.execute(select(Extension.id, Extension.task_id)).all()
    notes = db.session.execute(select(Notification.id, Notification.user_id)).all()
    bad, checked = [], 0
    for who in READERS:
        user = db.session.scalar(select(User).where(User.username == who))
        ok_tasks, ok_plans = visible_tasks(user), visible_plans(user)
        c = shared.client(who)

        def expect(url, visible, method="GET", c=c, who=who):
            nonlocal checked
            resp = c.get(url) if method == "GET" else c.post(url, data={
                "decision": "refuse", "comment": "Không đồng ý"})
            resp.close()
            if not visible:
                checked += 1
                if resp.status_code != 404:
                    bad.append((who, method, url, resp.status_code))
            elif resp.status_code == 404:
                bad.append((who, method, url, "404 although in scope"))

        for tid in all_tasks:
            expect(f"/tasks/{tid}", tid in ok_tasks)
            if tid not in ok_tasks:
                expect(f"/tasks/{tid}/coordinator-note", False, "POST")
        for pid in all_plans:
            expect(f"/plans/{pid}", pid in ok_plans)
        for eid, tid in files:
            expect(f"/tasks/{tid}/evidence/{eid}", tid in ok_tasks)
            # a file named under another task the reader may see
            expect(f"/tasks/{w.task.id}/evidence/{eid}", tid == w.task.id and tid in ok_tasks)
        for xid, tid in exts:
            if tid not in ok_tasks:
                expect(f"/tasks/{tid}/extensions/{xid}/decision", False, "POST")
        for nid, uid in notes:
            if uid != user.id:
                expect(f"/notifications/{nid}/read", False, "POST")
        db.session.rollback()
    shared.restore()
    STATS["objects"] += checked
    figure("scoping", f"{checked} requests for objects outside the reader's scope (tasks, plans, "
                      f"evidence files, extensions, notifications): "
                      f"{checked - len([b for b in bad if b[-1] != '404 although in scope'])} "
                      f"answered 404")
    assert not bad, bad[:10]
