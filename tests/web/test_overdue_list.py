"""The overdue list per role: rows, grouping, order and days; scope and filters; the
Excel export holds exactly the rows shown, typed and safe; every role's access."""

import re
from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.deadlines.overdue_list import XLSX_HEADERS
from app.extensions import db
from app.models import Task, Unit, User
from tests.conftest import issue_world_plans
from tests.overdue_data import build_rich

TOKEN = re.compile(r'data-leader-id="(\d*)"|data-person-id="(\d*)"|'
                   r'data-task-id="(\d+)" data-n="(\d+)" data-timeliness="(\w+)".*?'
                   r'data-days-(overdue|left)="(\d+)"', re.DOTALL)


@pytest.fixture
def rich(world, make):
    """The rich world, its plans issued once its tasks are built: tasks of draft plans are
    neither flagged, reminded, listed as overdue nor scored (DESIGN.md 4)."""
    return build_rich(world, make)


def rows_of(html: str) -> list[tuple]:
    """(leader id, person id, task id, STT, timeliness, days) for each row, in page order."""
    leader = person = None
    out = []
    for m in TOKEN.finditer(html):
        text = m.group(0)
        if text.startswith("data-leader-id"):
            leader, person = (int(m.group(1)) if m.group(1) else None), None
        elif text.startswith("data-person-id"):
            person = int(m.group(2)) if m.group(2) else None
        else:
            tl, kind = m.group(5), m.group(6)
            assert (tl == "overdue") == (kind == "overdue")
            out.append((leader, person, int(m.group(3)), int(m.group(4)), tl, int(m.group(7))))
    return out


def expected_head(w) -> list[tuple]:
    """Unit A's list: the head's group first, then the deputies by name (An before Mai);
    inside, people by name, nobody last; rows most overdue first, due soon after."""
    rows = [
        (w.head, w.staff2, w.t_head_over, "overdue", 3),
        (w.head, w.staff_a2, w.t_today, "due_soon", 0),
        (w.deputy2, w.staff_a1x, w.t_over10, "overdue", 10),
        (w.deputy, w.staff, w.t_submitted, "overdue", 5),
        (w.deputy, w.staff, w.t_over1, "overdue", 1),
        (w.deputy, w.staff, w.t_soon3, "due_soon", 3),
        (w.deputy, w.staff_a1, w.t_over30, "overdue", 30),
        (w.deputy, None, w.t_nolead, "overdue", 2),
    ]
    return rows


def numbered(rows) -> list[tuple]:
    return [(lead.id if lead else None, p.id if p else None, t.id, n, tl, days)
            for n, (lead, p, t, tl, days) in enumerate(rows, start=1)]


def test_head_sees_their_unit_grouped_by_leader_then_person_most_overdue_first(rich, as_user):
    w = rich
    html = as_user("head_a").get("/overdue").get_data(as_text=True)
    assert rows_of(html) == numbered(expected_head(w))
    assert re.search(r'id="count-overdue" data-count="6"', html)
    assert re.search(r'id="count-due-soon" data-count="2"', html)
    # Red for days overdue, orange for days left.
    assert 'class="badge text-bg-danger text-nowrap" data-days-overdue="30"' in html
    assert 'class="badge text-bg-warning text-nowrap" data-days-left="3"' in html
    # A task submitted after its due date and awaiting confirmation is still overdue
    # (DESIGN.md section 4), and says so.
    def row_html(task):
        return re.search(rf'<li[^>]*data-task-id="{task.id}"[^>]*>(.*?)</li>', html, re.DOTALL).group(1)

    assert "data-submitted" in row_html(w.t_submitted)
    assert "data-submitted" not in row_html(w.t_over1)
    # Not open, not due yet: never listed.
    for t in (w.t_within4, w.t_week6, w.t_ontime, w.t_late, w.t_cancelled, w.t_suspended,
              w.task, w.task2, w.t_b_over):
        assert f'data-task-id="{t.id}"' not in html


def test_a_submission_made_on_time_awaiting_confirmation_is_not_listed(world, make, as_user):
    # DESIGN.md 4: a slow reviewer does not make a task late. Submitted on its due date
    # (10/06), five days before today, and not yet confirmed. (Built with the rest of the
    # plan before it is issued.)
    w = build_rich(world, make, issue=False)
    waiting = make.task(w.plan, w.head, w.a, w.staff, w.deputy, title="Báo cáo chờ xác nhận",
                        due_on=date(2026, 6, 10), start_on=date(2026, 1, 5))
    waiting.status, waiting.submitted_on, waiting.progress = "submitted", date(2026, 6, 10), 100
    soon = make.task(w.plan, w.head, w.a, w.staff, w.deputy, title="Nộp sớm chờ xác nhận",
                     due_on=date(2026, 6, 16), start_on=date(2026, 1, 5))
    soon.status, soon.submitted_on, soon.progress = "submitted", date(2026, 6, 14), 100
    db.session.commit()
    issue_world_plans(w)
    for who in ("head_a", "deputy_a", "staff_a"):
        html = as_user(who).get("/overdue").get_data(as_text=True)
        assert f'data-task-id="{waiting.id}"' not in html and f'data-task-id="{soon.id}"' not in html
        assert f'data-task-id="{w.t_submitted.id}"' in html
    html = as_user("head_a").get("/overdue").get_data(as_text=True)
    assert re.search(r'id="count-overdue" data-count="6"', html)
    # The export holds the rows shown: neither is there.
    body = load_workbook(BytesIO(as_user("head_a").get("/overdue.xlsx").data)).active
    titles = {r[1] for r in body.iter_rows(min_row=5, values_only=True)}
    assert w.t_submitted.title in titles and not titles & {waiting.title, soon.title}
    # The task page and the task list call them within deadline, not overdue.
    listed = as_user("head_a").get("/tasks?timeliness=overdue").get_data(as_text=True)
    assert f"/tasks/{waiting.id}\"" not in listed and f"/tasks/{w.t_submitted.id}\"" in listed
    within = as_user("head_a").get("/tasks?timeliness=within").get_data(as_text=True)
    assert f"/tasks/{waiting.id}\"" in within and f"/tasks/{soon.id}\"" in within


def test_deputy_sees_the_tasks_they_are_accountable_for(rich, as_user):
    w = rich
    html = as_user("deputy_a").get("/overdue").get_data(as_text=True)
    assert rows_of(html) == numbered([r for r in expected_head(w) if r[0] is w.deputy])


def test_staff_see_their_own(rich, as_user):
    w = rich
    html = as_user("staff_a").get("/overdue").get_data(as_text=True)
    assert rows_of(html) == numbered([r for r in expected_head(w) if r[1] is w.staff])
    html = as_user("staff_a2b").get("/overdue").get_data(as_text=True)
    assert rows_of(html) == numbered([(w.head, w.staff_a2, w.t_today, "due_soon", 0)])


def test_head_of_unit_b_sees_none_of_unit_a(rich, as_user):
    w = rich
    html = as_user("head_b").get("/overdue").get_data(as_text=True)
    assert rows_of(html) == numbered([(w.deputy_b, w.staff_b, w.t_b_over, "overdue", 13)])
    for t in (w.t_over30, w.t_nolead, w.t_head_over):
        assert t.title not in html
    # Asking for unit A's field or plan does not widen the scope; unit A is not among the
    # lead units offered, so it is ignored like junk (the list is B's, the dropdown "All").
    for q in (f"field={w.f1.id}", f"plan={w.plan.id}"):
        html = as_user("head_b").get(f"/overdue?{q}").get_data(as_text=True)
        assert rows_of(html) == [] and 'id="nothing-overdue"' in html
    html = as_user("head_b").get(f"/overdue?unit={w.a.id}").get_data(as_text=True)
    assert rows_of(html) == numbered([(w.deputy_b, w.staff_b, w.t_b_over, "overdue", 13)])
    unit_select = re.search(r'<select[^>]*id="unit".*?</select>', html, re.DOTALL).group(0)
    assert f'value="{w.a.id}"' not in unit_select and "Sở Nội vụ" not in html


@pytest.mark.parametrize("who", ["assessor", "admin"])
def test_assessor_and_admin_see_everything(rich, as_user, who):
    w = rich
    html = as_user(who).get("/overdue").get_data(as_text=True)
    got = rows_of(html)
    assert {r[2] for r in got} == {r[2].id for r in expected_head(w)} | {w.t_b_over.id}
    # The head first, then the deputies by name (An, Cúc, Mai), across units.
    leaders = list(dict.fromkeys(r[0] for r in got))
    assert leaders == [w.head.id, w.deputy2.id, w.deputy_b.id, w.deputy.id]
    assert [r[3] for r in got] == list(range(1, len(got) + 1))


def test_filters_by_unit_subtree_field_and_plan(rich, as_user):
    w = rich
    c = as_user("head_a")

    def ids(q):
        return [r[2] for r in rows_of(c.get(f"/overdue?{q}").get_data(as_text=True))]

    assert ids(f"unit={w.a1.id}") == [w.t_over10.id, w.t_over30.id]  # A1 and A1x below it
    assert ids(f"unit={w.a1x.id}") == [w.t_over10.id]
    assert ids(f"field={w.f2.id}") == [w.t_over10.id, w.t_submitted.id, w.t_soon3.id]
    assert ids(f"unit={w.a.id}&field={w.f1.id}") == [w.t_over1.id, w.t_over30.id]
    assert ids(f"plan={w.plan.id}") == [r[2].id for r in expected_head(w)]
    assert ids(f"plan={w.plan_b.id}") == []
    # A unit the filter does not offer is ignored, as junk is.
    assert ids("unit=999999&field=abc&plan=-1") == [r[2].id for r in expected_head(w)]
    assert ids(f"unit={w.b.id}") == [r[2].id for r in expected_head(w)]
    assert ids("field=abc&plan=-1") == [r[2].id for r in expected_head(w)]  # junk is ignored
    html = c.get(f"/overdue?unit={w.a1.id}&field={w.f2.id}").get_data(as_text=True)
    assert f'href="/overdue.xlsx?unit={w.a1.id}&amp;field={w.f2.id}"' in html


def xlsx_rows(resp) -> tuple[list, list]:
    assert resp.status_code == 200
    wb = load_workbook(BytesIO(resp.data))
    ws = wb.active
    cells = list(ws.iter_rows())
    # the title and as-of rows above the table (issue 17), then the header row
    at = next(i for i, r in enumerate(cells) if r and r[0].value in ("STT", "No."))
    assert cells[0][0].value in ("DANH SÁCH NHIỆM VỤ QUÁ HẠN, SẮP ĐẾN HẠN", "TASKS OVERDUE OR DUE SOON")
    return cells[at], cells[at + 1:]


def test_the_export_holds_exactly_the_rows_shown_typed_and_safe(rich, make, as_user):
    w = rich
    from app.extensions import db

    w.staff.full_name = "@Phạm Văn Đăng"  # a name typed with a leading @ must not become live
    db.session.commit()
    evil = make.task(w.plan, w.head, w.a, w.staff, w.deputy, title='=HYPERLINK("http://x")',
                     due_on=date(2026, 6, 16))
    dash = make.task(w.plan, w.head, w.a, w.staff, w.deputy, title="- Rà soát hồ sơ tồn đọng",
                     due_on=date(2026, 6, 17))  # official plan lines often start with "- "
    names = dict(db.session.execute(select(User.id, User.full_name)).all())
    c = as_user("head_a")
    for q in ("", f"?unit={w.a1.id}", f"?field={w.f2.id}", f"?plan={w.plan.id}&field={w.f1.id}"):
        page = rows_of(c.get(f"/overdue{q}").get_data(as_text=True))
        resp = c.get(f"/overdue.xlsx{q}")
        assert resp.headers["Content-Type"] == \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert resp.headers["Content-Disposition"].startswith("attachment;")
        assert ".xlsx" in resp.headers["Content-Disposition"]
        assert resp.headers["Cache-Control"] == "no-store"
        header, body = xlsx_rows(resp)
        assert [x.value for x in header] == [h[0] for h in XLSX_HEADERS]
        assert [x.value for x in header] == ["STT", "Nhiệm vụ", "Đơn vị chủ trì", "Người thực hiện",
                                             "Lãnh đạo phụ trách", "Chức vụ", "Hạn hoàn thành",
                                             "Tiến độ (%)", "Số ngày quá hạn", "Tình trạng"]
        assert len(body) == len(page) > 0
        for row, (lead, person, tid, n, tl, days) in zip(body, page, strict=True):
            stt, title, unit, who, leader, position, due, progress, late, status = row
            assert stt.value == n and stt.data_type == "n"
            task = db.session.get(Task, tid)
            assert title.value == task.title
            assert unit.value == (db.session.get(Unit, task.lead_unit_id).name
                                  if task.lead_unit_id else None)
            assert who.value == (names[person] if person else None)
            assert leader.value == (names[lead] if lead else None)
            assert progress.value == task.progress and progress.data_type == "n"
            assert (position.value is None) == (lead is None)
            assert isinstance(due.value, datetime) and due.is_date
            assert due.number_format == "dd/mm/yyyy"
            if tl == "overdue":
                assert late.value == days and late.data_type == "n"
                assert due.value.date() == date(2026, 6, 15).fromordinal(
                    date(2026, 6, 15).toordinal() - days)
                assert status.value == "Quá hạn"
            else:
                assert late.value is None
                assert status.value.startswith("Sắp đến hạn")
            for x in row:
                assert x.data_type != "f"
                assert x.font.name == "Times New Roman"
        for x in (c for r in [header, *body] for c in r):
            # Text that looks like a formula carries Excel's quote prefix; no other does.
            looks_live = isinstance(x.value, str) and x.value.startswith(("=", "+", "-", "@", "\t", "\r"))
            assert bool(x.quotePrefix) == looks_live, (x.coordinate, x.value)
    # The whole list: the evil title and the @ name come back exactly as typed, as text
    # with the quote prefix (no stray apostrophe in the cell).
    _, body = xlsx_rows(c.get("/overdue.xlsx"))
    by_title = {r[1].value: r for r in body}
    row = by_title[evil.title]
    assert row[1].data_type == "s" and row[1].quotePrefix
    assert row[3].value == "@Phạm Văn Đăng" and row[3].data_type == "s" and row[3].quotePrefix
    assert by_title["- Rà soát hồ sơ tồn đọng"][1].quotePrefix and dash.title in by_title
    assert row[8].value is None and row[9].value == "Sắp đến hạn (còn 1 ngày)"
    assert by_title[w.t_over30.title][2].value == "Phòng Cải cách hành chính"
    assert by_title[w.t_over30.title][4].value == "Lê Thị Mai"
    assert by_title[w.t_over30.title][5].value == "Cấp phó"
    assert by_title[w.t_over30.title][6].value == datetime(2026, 5, 16)
    assert by_title[w.t_nolead.title][2].value is None


def test_the_export_follows_the_reader_s_scope(rich, as_user):
    w = rich
    _, body = xlsx_rows(as_user("head_b").get("/overdue.xlsx"))
    assert [r[1].value for r in body] == [w.t_b_over.title]
    _, body = xlsx_rows(as_user("staff_a").get("/overdue.xlsx"))
    assert [r[1].value for r in body] == [w.t_submitted.title, w.t_over1.title, w.t_soon3.title]


def test_an_empty_list_and_an_empty_export(world, as_user):
    c = as_user("staff_a")
    html = c.get("/overdue").get_data(as_text=True)
    assert 'id="nothing-overdue"' in html
    header, body = xlsx_rows(c.get("/overdue.xlsx"))
    assert len(header) == 10 and body == []


def test_the_export_speaks_english_to_an_english_reader(rich, as_user):
    c = as_user("head_a")
    c.post("/language/en", data={"next": "/overdue"})
    header, body = xlsx_rows(c.get("/overdue.xlsx"))
    assert [x.value for x in header] == [h[1] for h in XLSX_HEADERS]
    assert body[0][9].value == "Overdue"


# Every role may open the overdue list (each sees its own scope); nobody anonymous.
# (tests/web/test_permissions.py has the rows of both URLs in the permission matrix too.)
ROLES = ["admin", "assessor", "head_a", "deputy_a", "staff_a", "head_b", "deputy_b", "staff_b"]
URLS = ["/overdue", "/overdue.xlsx", "/overdue?unit=1&field=2&plan=3", "/overdue.xlsx?unit=1"]


def test_every_role_may_open_the_overdue_list_and_its_export(world, as_user):
    for who in ROLES:
        c = as_user(who)
        for url in URLS:
            resp = c.get(url)
            assert resp.status_code == 200, (who, url)
            assert resp.headers["Cache-Control"] == "no-store"
        for url in URLS[:2]:
            assert c.post(url).status_code == 405, (who, url)


def test_anonymous_is_sent_to_login(client, world):
    for url in URLS:
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], url


def test_the_navbar_links_to_the_overdue_list(world, as_user):
    html = as_user("staff_a").get("/").get_data(as_text=True)
    assert 'class="nav-link" href="/overdue"' in html


def test_the_export_has_a_title_the_as_of_row_and_its_filters_in_the_name(rich, as_user):
    """Issue 17: the title row, "tính đến ngày" with the counts, the filters applied (by
    name) above the table and in the file name."""
    w = rich
    c = as_user("head_a")
    resp = c.get(f"/overdue.xlsx?unit={w.a1.id}")
    ws = load_workbook(BytesIO(resp.data)).active
    top = [r[0] for r in ws.iter_rows(max_row=3, max_col=1, values_only=True)]
    html = c.get(f"/overdue?unit={w.a1.id}").get_data(as_text=True)
    overdue = re.search(r'id="count-overdue" data-count="(\d+)"', html).group(1)
    soon = re.search(r'id="count-due-soon" data-count="(\d+)"', html).group(1)
    assert top[1] == (f"Tính đến ngày 15/06/2026: {overdue} nhiệm vụ quá hạn, "
                      f"{soon} nhiệm vụ sắp đến hạn")
    assert top[2] == f"Đơn vị chủ trì: {w.a1.name}"
    assert resp.headers["Content-Disposition"] == (
        'attachment; filename="qua-han-2026-06-15-phong-cai-cach-hanh-chinh.xlsx"')


def test_a_row_s_line_escapes_the_lead_unit_s_name_and_keeps_the_translations(rich, as_user):
    """The rows are written by the view (dashboard.routes.row_items), not the template: a
    unit's name and a title are escaped as the template escaped them; "No lead unit", the due
    date and the days are the catalogue's words, in either language."""
    w = rich
    w.a1x.name = 'Phòng <b>"A&B"</b>'
    w.t_over10.title = "Số hóa <script>x</script> & 'hồ sơ'"
    db.session.commit()
    client = as_user("head_a")
    html = client.get("/overdue").get_data(as_text=True)
    row = re.search(rf'<li[^>]*data-task-id="{w.t_over10.id}"[^>]*>(.*?)</li>', html, re.DOTALL).group(1)
    assert "Phòng &lt;b&gt;&#34;A&amp;B&#34;&lt;/b&gt; · hạn 05/06/2026 · " in row
    assert "<b>" not in row
    assert ">Số hóa &lt;script&gt;x&lt;/script&gt; &amp; &#39;hồ sơ&#39;</a>" in row
    assert ">Quá hạn 10 ngày</span>" in row
    nolead = re.search(rf'<li[^>]*data-task-id="{w.t_nolead.id}"[^>]*>(.*?)</li>', html, re.DOTALL).group(1)
    assert "Chưa có đơn vị chủ trì · hạn " in nolead
    client.post("/language/en", data={"next": "/overdue"})
    html = client.get("/overdue").get_data(as_text=True)
    row = re.search(rf'<li[^>]*data-task-id="{w.t_over10.id}"[^>]*>(.*?)</li>', html, re.DOTALL).group(1)
    assert "Phòng &lt;b&gt;&#34;A&amp;B&#34;&lt;/b&gt; · due 05/06/2026 · " in row
    assert ">10 days overdue</span>" in row
