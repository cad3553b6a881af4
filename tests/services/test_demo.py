"""The demo data: a province, people in every role and plans showing every timeliness."""

from datetime import date
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.common.errors import RuleViolation
from app.demo import loader as demo
from app.directory import users
from app.domain.status import Lifecycle, Timeliness
from app.extensions import db
from app.models import (
    AuditLog,
    Evidence,
    Plan,
    PlanStatus,
    ProcessStep,
    Task,
    Unit,
    User,
)
from app.models.user import Role
from app.plans import service as plans
from app.settings import current_settings
from tests.support.databases import rolled_back_app
from tests.support.snapshot import dump, restore

TODAY = date(2026, 6, 15)
SHOWN = set(Timeliness) - {Timeliness.EXCLUDED}


def plan_of(unit_code: str, kind: str = "cchc") -> Plan:
    return db.session.scalars(select(Plan).join(Unit, Plan.unit_id == Unit.id)
                              .where(Unit.code == unit_code, Plan.kind == kind)).one()


def tasks_of(plan: Plan) -> list[Task]:
    return db.session.scalars(select(Task).where(Task.plan_id == plan.id)).all()


def user(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def check_dates(today: date) -> None:
    """Every date inside the seed's year, sub-tasks inside their parent, nothing done after today."""
    all_tasks = db.session.scalars(select(Task)).all()
    by_id = {t.id: t for t in all_tasks}
    for t in all_tasks:
        for d in (t.start_on, t.due_on):
            assert d is None or d.year == today.year, (t.title, d)
        if t.start_on and t.due_on:
            assert t.start_on <= t.due_on, t.title
        if t.parent_id and t.due_on:
            assert t.due_on <= by_id[t.parent_id].due_on, t.title
        for d in (t.submitted_on, t.completed_on):
            assert d is None or d <= today, t.title
    steps = db.session.scalars(select(ProcessStep).where(ProcessStep.due_on.is_not(None))).all()
    assert all(s.due_on.year == today.year for s in steps)


@pytest.fixture(scope="module")
def seeded_world(database, tmp_path_factory):
    """The demo data seeded once per module (seeding takes seconds: ~7 s on PostgreSQL), in
    one transaction on a database of the module's own (tests/support/databases.
    rolled_back_app), with a savepoint set once it is seeded (`dump()`): each test goes back
    to it (`restore()`, a ROLLBACK TO SAVEPOINT), so every test finds the rows as seeded."""
    folder = tmp_path_factory.mktemp("demo")
    with rolled_back_app(database, folder, "sauro_demo", UPLOAD_FOLDER=str(folder / "uploads"),
                         TODAY=TODAY) as application:   # the evidence files it writes
        with application.app_context():
            summary = demo.seed(TODAY, current_settings())
            db.session.commit()
            pristine = dump()
            db.session.remove()
        yield application, summary, pristine


@pytest.fixture
def seeded(seeded_world):
    """An app context over the demo data seeded as of TODAY; gives seed()'s summary. The
    rows go back to the seeded state after the test (a test may issue a plan, log in, ...)."""
    application, summary, pristine = seeded_world
    with application.app_context():
        try:
            yield summary
        finally:
            restore(pristine)
            db.session.remove()


def test_the_snv_plan_has_at_least_sixty_tasks_in_the_current_year(seeded):
    plan = plan_of("SNV")
    # Issued: the department's head sees real figures (a draft's tasks are not flagged,
    # reminded or scored, DESIGN.md 4).
    assert (plan.year, plan.kind, plan.status) == (2026, "cchc", PlanStatus.ISSUED)
    assert plan.doc_number == "15/KH-SNV" and plan.doc_date.month == 1
    assert len(tasks_of(plan)) >= 60
    assert any(t.parent_id for t in tasks_of(plan))


def test_every_timeliness_occurs_in_the_snv_plan(seeded):
    assert SHOWN <= {t.timeliness(TODAY) for t in tasks_of(plan_of("SNV"))}


def test_dates_fit_the_plan_year(seeded):
    check_dates(TODAY)


def test_every_timeliness_occurs_early_in_the_year_too(app):
    today = date(2026, 2, 10)
    demo.seed(today, current_settings())
    assert SHOWN <= {t.timeliness(today) for t in tasks_of(plan_of("SNV"))}
    check_dates(today)


@pytest.mark.slow
@pytest.mark.parametrize("today", [date(2026, 1, 1), date(2026, 11, 20), date(2026, 12, 31)])
def test_dates_fit_the_year_whatever_today(app, today):
    demo.seed(today, current_settings())
    check_dates(today)
    if today == date(2026, 11, 20):
        assert SHOWN <= {t.timeliness(today) for t in tasks_of(plan_of("SNV"))}


def test_completion_walks_the_real_lifecycle(seeded):
    done = [t for t in tasks_of(plan_of("SNV")) if t.status == Lifecycle.COMPLETED]
    assert done and all(t.completed_on == t.submitted_on and t.progress == 100 for t in done)
    assert {t.timeliness(TODAY) for t in done} == {Timeliness.DONE_ON_TIME, Timeliness.DONE_LATE}
    statuses = {t.status for t in tasks_of(plan_of("SNV"))}
    assert {Lifecycle.SUBMITTED, Lifecycle.IN_PROGRESS, Lifecycle.ASSIGNED} <= statuses
    # every submission came with evidence, a real PDF on disk (DESIGN.md 4)
    handed_in = {t.id for t in tasks_of(plan_of("SNV"))
                 if t.status in (Lifecycle.SUBMITTED, Lifecycle.COMPLETED, Lifecycle.RETURNED)}
    files = db.session.execute(select(Evidence.task_id, Evidence.stored_name)
                               .where(Evidence.task_id.in_(handed_in))).all()
    assert handed_in and {f.task_id for f in files} == handed_in
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    assert all((folder / f.stored_name).read_bytes().startswith(b"%PDF-") for f in files)


def test_the_audit_log_tells_each_story_in_calendar_order(seeded):
    late = next(t for t in tasks_of(plan_of("SNV")) if t.timeliness(TODAY) == Timeliness.DONE_LATE)
    rows = db.session.scalars(select(AuditLog).where(AuditLog.task_id == late.id)
                              .order_by(AuditLog.id)).all()
    assert [rows[0].action, rows[-2].action, rows[-1].action] == ["task.create", "task.submit",
                                                                  "task.confirm"]
    assert rows[0].actor_id == user("gd.snv").id and rows[-2].actor_id == late.assignee_id
    assert [r.at for r in rows] == sorted(r.at for r in rows)
    assert rows[-2].at.date() == late.submitted_on  # 08:xx in Hà Nội time is 01:xx UTC


def test_seeding_twice_is_refused(seeded):
    with pytest.raises(RuleViolation):
        demo.seed(TODAY, current_settings())


def test_the_snv_head_sees_real_figures(seeded):
    """The largest department's issued plan is counted: overdue tasks and a score."""
    from app.dashboard import queries as dashboard

    data = dashboard.build(user("gd.snv"), TODAY, current_settings().due_soon_days)
    overdue = [t for t in tasks_of(plan_of("SNV")) if t.timeliness(TODAY) == Timeliness.OVERDUE]
    assert overdue and data.most_overdue
    assert {item.task.id for item in data.most_overdue} <= {t.id for t in overdue}


def test_the_snv_plan_holds_work_its_head_added_after_issue(seeded):
    """The demo shows the "Bổ sung sau ban hành" column with something in it: one task the head
    added after issue (the head's own addition: not hers to confirm, still listed)."""
    from app.assessment import service as assessment
    from app.domain.scoring import parse_period

    added = [t for t in tasks_of(plan_of("SNV")) if t.added_after_issue]
    assert [t.title for t in added] == [("Tổ chức tuyển dụng công chức năm 2026 theo vị trí "
                                         "việc làm còn thiếu")]
    assert not added[0].head_confirms and added[0].created_at > plan_of("SNV").issued_at
    report = assessment.live(parse_period("2026"), TODAY, current_settings().scoring, today=TODAY)
    assert sum(r.tally.additions for r in report.units) == 1
    assert next(r for r in report.leaders if r.username == "pgd.snv2").tally.additions == 1


def test_every_snv_cchc_task_is_clear(seeded):
    assert all(t.is_clear for t in tasks_of(plan_of("SNV")))


def test_some_tasks_are_unclear_so_the_snv_work_plan_cannot_be_issued(seeded):
    plan = plan_of("SNV", "work")
    assert plan.status == PlanStatus.DRAFT
    assert sum(1 for t in tasks_of(plan) if not t.is_clear) >= 3
    _, unclear = plans.issue_plan(user("gd.snv"), plan.id)
    assert len(unclear) >= 3
    assert plan.status == PlanStatus.DRAFT


def test_the_smaller_plans_are_clear_and_skhcn_is_issued(seeded):
    skhcn, ward = plan_of("SKHCN"), plan_of(demo.plan_spec("plan-ward.toml", 2026).unit)
    own = [t for t in tasks_of(skhcn) if t.recurring_rule_id is None]
    assert skhcn.status == PlanStatus.ISSUED and 10 <= len(own) <= 15
    assert 5 <= len(tasks_of(ward)) <= 8
    assert all(t.is_clear for t in tasks_of(skhcn) + tasks_of(ward))
    issued, unclear = plans.issue_plan(user("ct.buonmathuot"), ward.id)
    assert unclear == [] and issued.status == PlanStatus.ISSUED


def test_people_exist_in_every_role_and_log_in_with_the_demo_password(seeded):
    roles = set(db.session.scalars(select(User.role).distinct()))
    assert roles == set(Role)
    for username in ("admin", "danhgia", "gd.snv", "pgd.snv1", "pgd.snv2", "cv.snv1"):
        assert users.authenticate(username, demo.DEMO_PASSWORD, "127.0.0.1", current_settings().login) is not None
    assert user("admin").role == Role.ADMIN and user("danhgia").unit.code == "SNV"
    assert user("gd.snv").title == "Giám đốc Sở"
    assert all(u.username.isascii() and u.username == u.username.lower()
               for u in db.session.scalars(select(User)))


def test_the_province_has_its_departments_and_102_communes_and_wards(seeded):
    root = db.session.scalars(select(Unit).where(Unit.code == demo.province().root_code)).one()
    assert root.kind == "province" and root.parent_id is None
    local = db.session.scalar(select(func.count(Unit.id)).where(
        Unit.kind.in_(("commune", "ward", "special_zone")), Unit.parent_id == root.id))
    assert local == 102
    assert {"SNV", "SKHCN", "VPUBND", "STC", "STP"} <= set(db.session.scalars(select(Unit.code)))
    # Official style (issue 17): the kind of division in lower case after "UBND".
    names = set(db.session.scalars(select(Unit.name).where(
        Unit.kind.in_(("commune", "ward", "special_zone")))))
    assert "UBND phường Bình Kiến" in names
    assert not [n for n in names if n.startswith(("UBND Phường", "UBND Xã", "UBND Đặc khu"))]


def test_commune_authority_names_follow_the_official_style():
    from app.directory.units import commune_authority_name
    assert commune_authority_name("Phường Bình Kiến") == "UBND phường Bình Kiến"
    assert commune_authority_name("Xã  Ea Kar") == "UBND xã Ea Kar"
    assert commune_authority_name("Đặc khu Phú Quý") == "UBND đặc khu Phú Quý"


def test_the_summary_and_the_banner_list_the_accounts(seeded):
    for text in (seeded, demo.banner()):
        assert demo.DEMO_PASSWORD in text and "gd.snv" in text and "admin" in text
    assert "http://127.0.0.1:5000" in demo.banner()
    assert len(demo.banner().splitlines()) <= 12


def test_the_banner_of_an_empty_database_shows_no_accounts(app):
    assert demo.banner().splitlines() == ["Sáu Rõ đang chạy tại http://127.0.0.1:5000"]


def test_seed_demo_if_empty_twice_does_not_duplicate(runner):
    def counts():
        return [db.session.scalar(select(func.count()).select_from(m)) for m in (Unit, User, Plan, Task)]

    first = runner.invoke(args=["seed-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    after_first = counts()
    second = runner.invoke(args=["seed-demo", "--if-empty"])
    assert second.exit_code == 0, second.output
    assert "bỏ qua" in second.output
    assert counts() == after_first and after_first[3] >= 60


def test_a_typo_in_the_demo_data_is_refused_not_dropped():
    good = {"title": "T", "description": "", "output": "", "steps": [], "when": "within"}
    assert demo._item(good, 2026, "x.toml").title == "T"
    for bad in ({**good, "asignee": "cv.snv1"}, {**good, "when": "someday"}):
        with pytest.raises(ValueError):
            demo._item(bad, 2026, "x.toml")


def test_skhcn_has_the_usual_recurring_cchc_reports(seeded):
    """Monthly, quarterly, six-month and annual reports: one task per occurrence of the year,
    those already due reported on time, none overdue."""
    from app.domain.status import Lifecycle

    skhcn = plan_of("SKHCN")
    occ = [t for t in tasks_of(skhcn) if t.recurring_rule_id is not None]
    codes = {t.period_code for t in occ}
    assert {"M01", "M12", "Q1", "Q4", "H1", "H2", "Y"} <= codes and len(occ) == 12 + 4 + 2 + 1
    past = [t for t in occ if t.due_on < TODAY]
    assert past and all(t.status == Lifecycle.COMPLETED and t.completed_on <= t.due_on
                        for t in past)
