"""Form payloads as the browser posts them: a new task, a task's edit form unchanged, a
user's form. Dates are written dd/mm/yyyy, as the forms take them."""

from datetime import date

from sqlalchemy import select

from app.extensions import db


def vn(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def task_form_data(task_id: int) -> dict:
    """The edit form of a task as the browser would post it unchanged."""
    from app.models import ProcessStep, Task, task_coordinators

    db.session.rollback()
    t = db.session.execute(select(Task.__table__).where(Task.id == task_id)).mappings().one()
    steps = db.session.execute(select(ProcessStep.id, ProcessStep.title, ProcessStep.due_on)
                               .where(ProcessStep.task_id == task_id)
                               .order_by(ProcessStep.position)).all()
    coords = db.session.scalars(select(task_coordinators.c.unit_id)
                                .where(task_coordinators.c.task_id == task_id)).all()
    db.session.rollback()
    data = {
        "version": str(t["version"]), "title": t["title"], "description": t["description"],
        "lead_unit_id": str(t["lead_unit_id"] or ""), "assignee_id": str(t["assignee_id"] or ""),
        "leader_id": str(t["leader_id"] or ""), "responsibility": t["responsibility"],
        "start_on": vn(t["start_on"]), "due_on": vn(t["due_on"]),
        "output_product": t["output_product"], "indicator_name": t["indicator_name"],
        "indicator_unit": t["indicator_unit"],
        "indicator_target": "" if t["indicator_target"] is None else str(t["indicator_target"]),
        "indicator_direction": t["indicator_direction"] or "higher",
        "field_id": str(t["field_id"] or ""), "weight": str(t["weight"]),
        "coordinator_ids": [str(c) for c in coords],
    }
    if t["is_key"]:
        data["is_key"] = "y"  # a checkbox is posted only when ticked
    for i, s in enumerate(steps):
        data[f"steps-{i}-id"] = str(s.id)
        data[f"steps-{i}-title"] = s.title
        data[f"steps-{i}-due_on"] = vn(s.due_on)
    return data


# The indicator of `new_task_data(..., **WITH_INDICATOR)`.
WITH_INDICATOR = {"indicator_name": "Số thủ tục được đơn giản hóa", "indicator_unit": "thủ tục",
                  "indicator_target": "20"}


def new_task_data(lead_unit_id: int, assignee_id: int, leader_id: int, **kw) -> dict:
    """A complete, clear task as the create form posts it (dates dd/mm/yyyy), without an
    indicator unless `kw` gives one (WITH_INDICATOR)."""
    data = {
        "title": "Rà soát, đơn giản hóa thủ tục hành chính lĩnh vực nội vụ",
        "description": "Rà soát toàn bộ thủ tục và đề xuất phương án đơn giản hóa.",
        "lead_unit_id": str(lead_unit_id), "assignee_id": str(assignee_id),
        "leader_id": str(leader_id),
        "responsibility": "Chịu trách nhiệm về chất lượng phương án đơn giản hóa.",
        "steps-0-title": "Thống kê thủ tục hành chính", "steps-0-due_on": "15/02/2026",
        "steps-1-title": "Đề xuất phương án đơn giản hóa", "steps-1-due_on": "15/04/2026",
        "start_on": "01/02/2026", "due_on": "30/09/2026",
        "output_product": "Quyết định phê duyệt phương án đơn giản hóa",
        "weight": "1",
    }
    data.update(kw)
    return data


def user_form(u, **kw) -> dict:
    """A user's admin form as posted unchanged (then `kw`)."""
    data = {"full_name": u.full_name, "email": u.email or "", "title": u.title or "",
            "unit_id": str(u.unit_id), "role": str(u.role), "is_active": "y"}
    data.update(kw)
    return data
