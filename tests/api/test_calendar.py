"""Deadline calendars: a secret address per person (shown once, revocable, read-only) serving
their deadlines as iCalendar, validated with the icalendar library; the event moves when
the due date moves."""

from datetime import date

import icalendar
from sqlalchemy import select

from app.calendar import service as calendar
from app.extensions import db
from app.models import CalendarFeed, User
from tests.conftest import issue_world_plans


def _secret(html: str, marker: str = 'id="calendar-url">') -> str:
    start = html.index(marker) + len(marker)
    url = html[start:html.index("<", start)]
    return url.rsplit("/", 1)[1].removesuffix(".ics")


def _events(resp) -> dict:
    cal = icalendar.Calendar.from_ical(resp.get_data())
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_a_person_subscribes_to_their_deadlines(world, as_user, client):
    as_user("staff_a")
    page = client.post("/calendar")
    assert page.status_code == 201
    secret = _secret(page.get_data(as_text=True))
    feed = db.session.scalars(select(CalendarFeed)).one()
    assert secret not in feed.token_hash
    client.post("/logout")
    resp = client.get(f"/calendar/{secret}.ics")
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    events = _events(resp)
    assert list(events) == [f"task-{world.task.id}@localhost"]
    event = events[f"task-{world.task.id}@localhost"]
    assert event.decoded("DTSTART") == date(2026, 6, 30)
    assert str(event["SUMMARY"]) == world.task.title
    description = str(event["DESCRIPTION"])
    assert "✓ Rõ người: Phạm Văn Đăng, Sở Nội vụ" in description
    assert "Rõ quy trình: 1. Dự thảo bộ chỉ số (01/03/2026)" in description
    assert str(event["URL"]).endswith(f"/tasks/{world.task.id}")
    # Every line within 75 octets, CRLF (RFC 5545), though Vietnamese takes 2-3 bytes a letter.
    raw = resp.get_data()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))


def test_the_event_moves_with_the_due_date_and_leaders_may_see_their_unit(world, client, app):
    issue_world_plans(world)
    secret = calendar.new_feed(db.session.get(User, world.deputy.id))
    db.session.commit()
    first = _events(client.get(f"/calendar/{secret}.ics"))
    # The deputy is accountable for world.task only; her unit's feed has both of unit A's.
    assert set(first) == {f"task-{world.task.id}@localhost"}
    unit = _events(client.get(f"/calendar/{secret}.ics?unit=1"))
    assert set(unit) == {f"task-{t}@localhost" for t in (world.task.id, world.task2.id)}
    from app.deadlines import extensions

    staff = db.session.get(User, world.staff.id)
    ext = extensions.request_extension(staff, world.task.id, date(2026, 7, 31), "Chờ số liệu",
                                       date(2026, 6, 15), max_extensions=2)
    db.session.commit()
    extensions.decide_extension(db.session.get(User, world.deputy.id), ext.id, True, "")
    db.session.commit()
    moved = _events(client.get(f"/calendar/{secret}.ics"))[f"task-{world.task.id}@localhost"]
    assert moved.decoded("DTSTART") == date(2026, 7, 31)
    assert int(moved["SEQUENCE"]) > int(first[f"task-{world.task.id}@localhost"]["SEQUENCE"])


def test_an_address_stops_working_when_renewed_turned_off_or_its_user_disabled(world, as_user, client):
    as_user("staff_a")
    old = _secret(client.post("/calendar").get_data(as_text=True))
    new = _secret(client.post("/calendar").get_data(as_text=True))
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    assert client.post("/calendar/revoke").status_code == 302
    assert client.get(f"/calendar/{new}.ics").status_code == 404
    assert client.get("/calendar/not-a-secret.ics").status_code == 404
    again = calendar.new_feed(db.session.get(User, world.staff.id))
    db.session.get(User, world.staff.id).is_active = False
    db.session.commit()
    assert client.get(f"/calendar/{again}.ics").status_code == 404


def _valid(resp) -> icalendar.Calendar:
    """Parsed by the icalendar library with no component in error."""
    cal = icalendar.Calendar.from_ical(resp.get_data())
    for component in cal.walk():
        assert not getattr(component, "errors", []), (component.name, component.errors)
    assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]
    return cal


def test_the_description_holds_all_six_clears_in_the_owners_language(world, client):
    from app.domain.six_clears import CLEAR_LABELS

    secret = calendar.new_feed(db.session.get(User, world.staff.id))
    db.session.commit()
    event = _valid(client.get(f"/calendar/{secret}.ics")).walk("VEVENT")[0]
    lines = str(event["DESCRIPTION"]).split("\n")
    assert [line.split(":")[0][2:] for line in lines[:6]] == [vi for vi, _en in CLEAR_LABELS.values()]
    assert all(line[0] in "✓✗" for line in lines[:6])
    assert lines[6].endswith(f"/tasks/{world.task.id}")
    assert event.decoded("DTEND") == date(2026, 7, 1)  # all day: DTEND is the next day
    db.session.get(User, world.staff.id).locale = "en"
    db.session.commit()
    event = _valid(client.get(f"/calendar/{secret}.ics")).walk("VEVENT")[0]
    lines = str(event["DESCRIPTION"]).split("\n")
    assert [line.split(":")[0][2:] for line in lines[:6]] == [en for _vi, en in CLEAR_LABELS.values()]


def test_the_unit_option_is_a_leaders_and_cancelled_tasks_leave_the_feed(world, client):
    from sqlalchemy import update

    from app.models import Task

    issue_world_plans(world)
    staff = calendar.new_feed(db.session.get(User, world.staff.id))
    head = calendar.new_feed(db.session.get(User, world.head.id))
    db.session.commit()
    # A staff member asking for the unit's feed still gets their own deadlines only.
    assert set(_events(client.get(f"/calendar/{staff}.ics?unit=1"))) == {
        f"task-{world.task.id}@localhost"}
    # The head: accountable for task2; the unit's option adds task (never unit B's).
    assert set(_events(client.get(f"/calendar/{head}.ics"))) == {f"task-{world.task2.id}@localhost"}
    unit = _valid(client.get(f"/calendar/{head}.ics?unit=1"))
    assert {str(e["UID"]) for e in unit.walk("VEVENT")} == {
        f"task-{t}@localhost" for t in (world.task.id, world.task2.id)}
    db.session.execute(update(Task).where(Task.id == world.task.id).values(status="cancelled"))
    db.session.commit()
    assert set(_events(client.get(f"/calendar/{head}.ics?unit=1"))) == {
        f"task-{world.task2.id}@localhost"}


def test_an_occurrence_of_a_recurring_task_says_its_period(world, client):
    """The occurrences of a monthly report share their title; each event says its period, as
    the task's page does ("Kỳ: Tháng 3/2026"), in the owner's language (docs/recurring.md)."""
    from decimal import Decimal

    from app.models import Task
    from app.plans import recurring
    from app.plans import service as plans
    from app.plans.recurring import RuleInput
    from app.settings import current_settings

    title = "Báo cáo tình hình thực hiện công tác cải cách hành chính"
    recurring.add_rule(world.head, world.plan.id, RuleInput(
        title=title, description="Tổng hợp, báo cáo kết quả thực hiện nhiệm vụ CCHC của kỳ.",
        frequency="monthly", due_kind="day", due_day=20, assignee_id=world.staff.id,
        lead_unit_id=world.a.id, leader_id=world.deputy.id,
        responsibility="Chịu trách nhiệm tổng hợp số liệu và gửi báo cáo đúng hạn.",
        steps_text="Tổng hợp số liệu\nTrình ký, gửi báo cáo", output_product="Báo cáo CCHC",
        weight=Decimal(1)), today=date(2026, 6, 15), settings=current_settings().task_rules)
    plans.issue_plan(world.head, world.plan.id)
    secret = calendar.new_feed(db.session.get(User, world.staff.id))
    db.session.commit()
    march = db.session.scalars(select(Task).where(Task.period_code == "M03")).one()
    events = {str(e["UID"]): e for e in _valid(client.get(f"/calendar/{secret}.ics")).walk("VEVENT")}
    event = events[f"task-{march.id}@localhost"]
    assert str(event["SUMMARY"]) == f"{title} (Tháng 3/2026)"
    lines = str(event["DESCRIPTION"]).split("\n")
    assert lines[0] == "Kỳ: Tháng 3/2026"
    assert lines[1].startswith("✓ Rõ người:")  # the six clears follow
    # A task that is no occurrence has neither.
    plain = events[f"task-{world.task.id}@localhost"]
    assert str(plain["SUMMARY"]) == world.task.title
    assert not str(plain["DESCRIPTION"]).startswith("Kỳ")
    db.session.get(User, world.staff.id).locale = "en"
    db.session.commit()
    events = {str(e["UID"]): e for e in _valid(client.get(f"/calendar/{secret}.ics")).walk("VEVENT")}
    event = events[f"task-{march.id}@localhost"]
    assert str(event["SUMMARY"]) == f"{title} (Month 3/2026)"
    assert str(event["DESCRIPTION"]).split("\n")[0] == "Period: Month 3/2026"


def test_a_read_of_the_feed_is_stamped_at_most_once_a_minute(world, client):
    """A phone and Outlook polling the same address: one write a minute at most, not one a read."""
    from datetime import timedelta

    from sqlalchemy import event, update

    from app.models.base import utcnow

    writes, paused = [], []

    def count(_conn, _cursor, statement, *_args):
        if not paused and statement.lstrip().upper().startswith("UPDATE") and "calendar_feeds" in statement:
            writes.append(statement)

    secret = calendar.new_feed(db.session.get(User, world.staff.id))
    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(4):
            assert client.get(f"/calendar/{secret}.ics").status_code == 200
        assert len(writes) == 1
        old = utcnow() - timedelta(seconds=61)
        paused.append(True)  # the test ages the stamp: not a use
        db.session.execute(update(CalendarFeed).values(last_used_at=old))
        db.session.commit()
        paused.clear()
        assert client.get(f"/calendar/{secret}.ics").status_code == 200
        assert len(writes) == 2
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    db.session.expire_all()
    assert db.session.scalars(select(CalendarFeed)).one().last_used_at > old


def test_a_coordinated_task_is_marked_as_coordination_in_the_heads_unit_feed(world, client):
    """Unit B's task that unit A coordinates (phối hợp) reaches the unit feed of A's head, who
    may read it, but it is B's work, not A's: its title starts "[Phối hợp]" ("[Coordinating]"
    in English) and its description says which unit leads it. A's own tasks stay unmarked."""
    from sqlalchemy import insert

    from app.models import task_coordinators

    issue_world_plans(world)
    db.session.execute(insert(task_coordinators).values(task_id=world.task_b.id, unit_id=world.a.id))
    head = calendar.new_feed(db.session.get(User, world.head.id))
    db.session.commit()
    events = _events(client.get(f"/calendar/{head}.ics?unit=1"))
    coordinated = events[f"task-{world.task_b.id}@localhost"]
    assert str(coordinated["SUMMARY"]) == f"[Phối hợp] {world.task_b.title}"
    assert str(coordinated["DESCRIPTION"]).split("\n")[0] == (
        f"Phối hợp thực hiện: đơn vị chủ trì là {world.b.name}")
    for own in (world.task, world.task2):
        assert str(events[f"task-{own.id}@localhost"]["SUMMARY"]) == own.title
    # The head's own feed holds her own deadlines only (no coordinated task there).
    assert f"task-{world.task_b.id}@localhost" not in _events(client.get(f"/calendar/{head}.ics"))
    db.session.get(User, world.head.id).locale = "en"
    db.session.commit()
    coordinated = _events(client.get(f"/calendar/{head}.ics?unit=1"))[f"task-{world.task_b.id}@localhost"]
    assert str(coordinated["SUMMARY"]) == f"[Coordinating] {world.task_b.title}"
    assert str(coordinated["DESCRIPTION"]).split("\n")[0] == (
        f"Coordinating: the lead unit is {world.b.name}")
