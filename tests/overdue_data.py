"""A unit tree with sub-units, fields, three leaders and tasks in every timeliness, for
the dashboard and overdue-list tests; and the pure rule applied to it in Python."""

from collections import Counter
from datetime import date
from types import SimpleNamespace

from sqlalchemy import select

from app.domain.status import Lifecycle, timeliness
from app.extensions import db
from app.models import Field, Task, Unit, User
from tests.conftest import TODAY, attach_evidence, issue_world_plans

DUE_SOON_DAYS = 3


def build_rich(world, make, issue: bool = True) -> SimpleNamespace:
    """Unit A gets sub-units A1 (with A1x below it) and A2, a second deputy, three fields
    and tasks overdue, due soon, due this week, done on time, done late, cancelled,
    suspended, submitted, without field or lead unit; unit B gets an overdue task too.
    The tasks are built while the world's plans are drafts, then the plans are issued
    (tasks of draft plans are never overdue, DESIGN.md 4); `issue=False` leaves them drafts
    for the caller to add more and issue them."""
    w = world
    w.a1 = make.unit("Phòng Cải cách hành chính", parent=w.a, code="SNV-CCHC")
    w.a1x = make.unit("Tổ Số hóa", parent=w.a1, code="SNV-CCHC-SH")
    w.a2 = make.unit("Phòng Công chức", parent=w.a, code="SNV-CC")
    w.deputy2 = make.user(w.a, "deputy", "Bùi Văn An", "deputy_a2")
    w.staff_a1 = make.user(w.a1, "staff", "Đinh Thị Hoa", "staff_a1")
    w.staff_a1x = make.user(w.a1x, "staff", "Lý Văn Khoa", "staff_a1x")
    w.staff_a2 = make.user(w.a2, "staff", "Mai Thị Nga", "staff_a2b")
    w.f1 = Field(unit_id=w.a.id, name="Cải cách thể chế", name_sort="cai cach the che")
    w.f2 = Field(unit_id=w.a.id, name="Chính quyền số", name_sort="chinh quyen so")
    w.f3 = Field(unit_id=None, name="Tài chính công", name_sort="tai chinh cong")
    db.session.add_all([w.f1, w.f2, w.f3])
    db.session.commit()

    def t(title, lead, person, leader, fld, due, status=None, done=None, start=date(2026, 1, 5)):
        task = make.task(w.plan, w.head, lead, person, leader, title=title, due_on=due,
                         start_on=start, field_id=fld.id if fld else None)
        if status is not None:
            task.status = status
            if status in (Lifecycle.COMPLETED, Lifecycle.SUBMITTED):
                task.submitted_on = done
            if status == Lifecycle.COMPLETED:
                task.completed_on = done
                task.progress = 100
            if status in (Lifecycle.COMPLETED, Lifecycle.SUBMITTED):
                attach_evidence(person, task.id)  # submitted with evidence (DESIGN.md 4)
            db.session.commit()
        return task

    d = date
    w.t_over30 = t("Rà soát quy chế làm việc", w.a1, w.staff_a1, w.deputy, w.f1, d(2026, 5, 16))
    w.t_over1 = t("Cập nhật danh mục thủ tục", w.a, w.staff, w.deputy, w.f1, d(2026, 6, 14))
    w.t_over10 = t("Số hóa kết quả giải quyết thủ tục", w.a1x, w.staff_a1x, w.deputy2, w.f2, d(2026, 6, 5))
    w.t_today = t("Báo cáo tình hình công chức quý II", w.a2, w.staff_a2, w.head, None, d(2026, 6, 15))
    w.t_soon3 = t("Triển khai chữ ký số", w.a, w.staff, w.deputy, w.f2, d(2026, 6, 18))
    w.t_within4 = t("Kiểm tra công vụ", w.a, w.staff2, w.deputy, w.f1, d(2026, 6, 19))
    w.t_week6 = t("Tập huấn một cửa điện tử", w.a1, w.staff_a1, w.deputy, w.f2, d(2026, 6, 21))
    w.t_week7 = t("Tổng kết sáu tháng đầu năm", w.a1, w.staff_a1, w.deputy, w.f2, d(2026, 6, 22))
    w.t_ontime = t("Ban hành kế hoạch tuyên truyền", w.a1, w.staff_a1, w.deputy2, w.f1, d(2026, 6, 10),
                   Lifecycle.COMPLETED, d(2026, 6, 10))
    w.t_late = t("Đánh giá chỉ số hài lòng", w.a2, w.staff_a2, w.deputy, w.f3, d(2026, 6, 1),
                 Lifecycle.COMPLETED, d(2026, 6, 3))
    w.t_cancelled = t("Khảo sát cũ", w.a, w.staff, w.deputy, w.f1, d(2026, 6, 1), Lifecycle.CANCELLED)
    w.t_suspended = t("Thí điểm phần mềm", w.a1, w.staff_a1, w.head, w.f2, d(2026, 6, 5),
                      Lifecycle.SUSPENDED)
    w.t_head_over = t("Sửa đổi quy chế phối hợp", w.a, w.staff2, w.head, None, d(2026, 6, 12))
    # Submitted two days late: still overdue while it awaits confirmation (a submission
    # made on time would be within deadline, DESIGN.md 4).
    w.t_submitted = t("Chuẩn hóa dữ liệu cán bộ", w.a, w.staff, w.deputy, w.f2, d(2026, 6, 10),
                      Lifecycle.SUBMITTED, d(2026, 6, 12))
    w.t_nolead = t("Việc chưa giao đơn vị", None, None, w.deputy, None, d(2026, 6, 13))
    w.t_b_over = make.task(w.plan_b, w.head_b, w.b, w.staff_b, w.deputy_b, title="Việc quá hạn của Sở B",
                           due_on=d(2026, 6, 2))
    if issue:
        issue_world_plans(w)
    return w


def all_tasks() -> list[Task]:
    db.session.expire_all()
    return db.session.scalars(select(Task).order_by(Task.id)).all()


def units_by_id() -> dict[int, Unit]:
    return {u.id: u for u in db.session.scalars(select(Unit))}


def rule(task: Task) -> str:
    """The pure rule of DESIGN.md section 4."""
    return timeliness(task.status, task.due_on, task.completed_on, TODAY, DUE_SOON_DAYS,
                      task.submitted_on).value


def counts(tasks) -> dict[str, int]:
    c = Counter(rule(t) for t in tasks)
    return {k: c.get(k, 0) for k in ("overdue", "due_soon", "within", "done_on_time", "done_late",
                                     "excluded")}


def in_head_scope(task: Task, head: User, units: dict[int, Unit]) -> bool:
    """access.task_scope for a head, in Python."""
    path = units[head.unit_id].path

    def under(uid):
        return uid is not None and units[uid].path.startswith(path)

    return (under(task.owner_unit_id) or under(task.lead_unit_id) or task.assignee_id == head.id
            or task.leader_id == head.id)
