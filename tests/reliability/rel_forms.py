"""For every state-changing route: who normally posts it, what a legitimate post carries,
which objects its URL names, and what must be in place first. Used by the CSRF, mass
assignment and audit groups; a POST rule missing here fails those groups until added."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from rel_support import (
    NEW_PASSWORD,
    new_task_data,
    root,
    task_form_data,
    user_form,
    world_values,
)
from sqlalchemy import select

from app.extensions import db
from app.settings import current_settings
from tests.quality import world as qw


@dataclass
class Form:
    actor: str | None                      # role (rel_support.USERNAMES) or None: anonymous
    data: Callable                          # w -> dict
    values: Callable = lambda w: {}         # w -> URL argument overrides
    prepare: Callable | None = None         # w -> None, run before the post (committed)
    files: Callable | None = None           # w -> {field: [(bytes, name)]}
    audit: "tuple | Callable" = ()          # the audit actions one successful post writes
    extra: dict = field(default_factory=dict)


def submit_task(w) -> None:
    from app.clock import local_today
    from app.tasks import commands as tasks

    tasks.submit_task(w.staff, w.task.id, "Đã hoàn thành", local_today())
    db.session.commit()


def coordinate_task_b(w) -> None:
    """Unit A coordinates unit B's task_b, the plans issued (issue 17 §2): head_a takes part
    in it as the head of a coordinating unit."""
    from sqlalchemy import insert, update

    from app.models import Plan, task_coordinators

    db.session.execute(update(Plan).where(Plan.id.in_([w.plan.id, w.plan_b.id]))
                       .values(status="issued"))
    db.session.execute(insert(task_coordinators).values(task_id=w.task_b.id, unit_id=w.a.id))
    db.session.commit()


def issue_plan_a(w) -> None:
    """Unit A's plan issued (straight to the column): an extension is asked only on an
    issued plan's task (a draft's have nothing due)."""
    from sqlalchemy import update

    from app.models import Plan

    db.session.execute(update(Plan).where(Plan.id == w.plan.id).values(status="issued"))
    db.session.commit()


def suspend_task(w) -> None:
    from app.clock import local_today
    from app.tasks import commands as tasks

    tasks.suspend_task(w.head, w.task.id, "Chờ ý kiến của tỉnh", local_today())
    db.session.commit()


def a_field(w) -> None:
    """A province-wide field, for a deputy's fields of responsibility (w.org_field)."""
    from app.models import Field

    f = Field(unit_id=None, name="Cải cách thủ tục hành chính", name_sort="cai cach thu tuc hanh chinh")
    db.session.add(f)
    db.session.commit()
    w.org_field = f.id


def PASSWORD():
    return root().PASSWORD


def plan_xlsx(w) -> bytes:
    """Plan A exported in the import template (two tasks)."""
    from app.models import Plan
    from app.plans import export as plan_export

    return plan_export.export_bytes(db.session.get(Plan, w.plan.id))


def prepare_import(w) -> None:
    """A new draft plan of unit A and, kept on the server under a token, the preview of
    importing plan A's export into it (what the confirm button imports)."""
    from app.clock import local_today
    from app.models import Plan
    from app.plans import importing as plan_import

    plan = Plan(unit_id=w.a.id, year=2026, kind="work", title="Kế hoạch công tác năm 2026")
    db.session.add(plan)
    db.session.commit()
    p = plan_import.preview(plan, plan_xlsx(w), local_today(), settings=current_settings().task_rules)
    assert p.ok, [str(i.message) for i in p.issues][:5]
    w.import_plan_id = plan.id
    w.import_token = plan_import.store_upload(w.head, plan, p.sheet, "ke-hoach.xlsx", current_settings().files)
    w.import_added = sum(1 for r in p.rows if r.action == plan_import.ADD)
    db.session.commit()


def issue_plan(w) -> None:
    """Plan A issued (its tasks are clear), as plans.close needs."""
    from app.plans import service as plans

    _plan, unclear = plans.issue_plan(w.head, w.plan.id)
    assert not unclear
    db.session.commit()


def close_plan(w) -> None:
    """Plan A issued, then closed, as plans.reopen needs."""
    from app.plans import service as plans

    issue_plan(w)
    plans.close_plan(w.head, w.plan.id)
    db.session.commit()


def make_token(w) -> None:
    """A token of staff_a to revoke (committed)."""
    from app.models import User
    from app.tokens import service as tokens

    new = tokens.create_token(None, db.session.get(User, w.staff.id),
                              f"Token {date.today().isoformat()} {id(w)}-{_n()}", False, None,
                              date(2026, 6, 15))
    db.session.commit()
    w.token_id = new.token.id


def make_calendar(w) -> None:
    """A calendar address of staff_a to turn off (committed)."""
    from app.calendar import service as calendar
    from app.models import User

    calendar.new_feed(db.session.get(User, w.staff.id))
    db.session.commit()


def recurring_data(w) -> dict:
    """A clear monthly recurring task of unit A."""
    return {"frequency": "monthly", "cutoff_kind": "decree", "due_kind": "day", "due_day": "20",
            "title": "Báo cáo tình hình thực hiện công tác CCHC hằng tháng",
            "description": "Tổng hợp kết quả CCHC của tháng.", "lead_unit_id": str(w.a.id),
            "assignee_id": str(w.staff.id), "leader_id": str(w.deputy.id),
            "responsibility": "Chịu trách nhiệm tổng hợp và gửi báo cáo đúng hạn.",
            "steps_text": "Tổng hợp số liệu\nTrình ký", "output_product": "Báo cáo tháng",
            "weight": "1"}


def make_rule(w) -> None:
    """A recurring rule on plan A (a draft: no occurrences), its id kept as w.rule_id."""
    from app.clock import local_today
    from app.models import User
    from app.plans import recurring

    d = recurring_data(w)
    rule, _made = recurring.add_rule(
        db.session.get(User, w.head.id), w.plan.id, recurring.RuleInput(
            title=d["title"], description=d["description"], due_day=20,
            lead_unit_id=w.a.id, assignee_id=w.staff.id, leader_id=w.deputy.id,
            responsibility=d["responsibility"], steps_text="Tổng hợp số liệu\nTrình ký",
            output_product=d["output_product"]),
        today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    w.rule_id = rule.id


_COUNT = [0]


def _n() -> int:
    _COUNT[0] += 1
    return _COUNT[0]


FORMS: dict[str, Form] = {
    "auth.login": Form(None, lambda w: {"username": "staff_a", "password": PASSWORD()},
                       audit=("login",)),
    "auth.logout": Form("staff", lambda w: {}, audit=("logout",)),
    "auth.password": Form("staff", lambda w: {"current_password": PASSWORD(),
                                              "new_password": NEW_PASSWORD,
                                              "confirm": NEW_PASSWORD},
                          audit=("user.password",)),
    "auth.language": Form("staff", lambda w: {"next": "/plans"}),
    "plans.create": Form("head", lambda w: {"unit_id": str(w.a.id), "year": "2026",
                                            "kind": "digital",
                                            "title": "Kế hoạch chuyển đổi số năm 2026"},
                         audit=("plan.create",)),
    "plans.edit": Form("head", lambda w: {"title": "Kế hoạch CCHC năm 2026 (sửa đổi)",
                                          "doc_number": "01/KH-SNV", "doc_date": "18/01/2026"},
                       audit=("plan.update",)),
    "plans.issue": Form("head", lambda w: {}, audit=("plan.issue",)),
    "plans.recurring_new": Form("head", recurring_data, audit=("recurring.create",)),
    "plans.recurring_edit": Form("head", lambda w: recurring_data(w) | {"version": "1",
                                                                        "due_day": "25"},
                                 values=lambda w: {"rule_id": getattr(w, "rule_id", 999_999)},
                                 prepare=make_rule, audit=("recurring.update",)),
    "plans.recurring_delete": Form("head", lambda w: {"reason": "Không còn yêu cầu báo cáo"},
                                   values=lambda w: {"rule_id": getattr(w, "rule_id", 999_999)},
                                   prepare=make_rule, audit=("recurring.delete",)),
    "plans.close": Form("head", lambda w: {}, prepare=issue_plan, audit=("plan.close",)),
    "plans.reopen": Form("head", lambda w: {}, prepare=close_plan, audit=("plan.reopen",)),
    # The upload only previews: the rows wait in a file under a token, nothing in the database.
    "plans.import_file": Form("head", lambda w: {},
                              files=lambda w: {"file": [(plan_xlsx(w), "ke-hoach.xlsx")]}),
    # The same upload read again with the columns chosen: a preview, nothing written.
    "plans.import_columns": Form(
        "head", lambda w: {"token": getattr(w, "import_token", "0" * 32), "column-0": "stt",
                           "column-1": "title"},
        values=lambda w: {"plan_id": getattr(w, "import_plan_id", w.plan.id)},
        prepare=prepare_import),
    "plans.import_confirm": Form(
        "head", lambda w: {"token": getattr(w, "import_token", "0" * 32)},
        values=lambda w: {"plan_id": getattr(w, "import_plan_id", w.plan.id)},
        prepare=prepare_import,
        audit=lambda w: ("plan.import",) + ("task.create",) * w.import_added),
    "assessment.freeze": Form("assessor", lambda w: {"period": "2026", "as_of": "15/06/2026",
                                                     "unit": ""},
                              audit=("assessment.freeze",)),
    "assessment.final_grade": Form("assessor", lambda w: {
        "grade": "good", "decision_no": "125/QĐ-UBND", "decision_on": "12/06/2026",
        "reason": "Theo kết luận của Hội đồng thi đua"}, audit=("assessment.final_grade",)),
    "tasks.create": Form("head", lambda w: new_task_data(w.a.id, w.staff.id, w.head.id),
                         audit=("task.create",)),
    "tasks.edit": Form("head", lambda w: task_form_data(w.task.id) | {
        "title": "Xây dựng bộ chỉ số đánh giá (đã sửa)"}, audit=("task.update",)),
    "tasks.progress": Form("staff", lambda w: {"percent": "40", "note": "Đã dự thảo xong."},
                           audit=("task.progress",)),
    "tasks.step": Form("staff", lambda w: {"done": "1"}, audit=("step.done",)),
    "tasks.submit": Form("staff", lambda w: {"submit-note": "Đã hoàn thành, kèm báo cáo."},
                         audit=("task.submit",)),
    "tasks.review": Form("deputy", lambda w: {"decision": "confirm", "comment": "Đạt yêu cầu."},
                         prepare=submit_task, audit=("task.confirm",)),
    "tasks.withdraw": Form("staff", lambda w: {"note": "Bổ sung số liệu."},
                           prepare=submit_task, audit=("task.withdraw",)),
    "tasks.coordinator_note": Form("head", lambda w: {"note": "Sở Nội vụ đã gửi số liệu phối hợp."},
                                   values=lambda w: {"task_id": w.task_b.id},
                                   prepare=coordinate_task_b, audit=("task.coordinator_note",)),
    "tasks.coordinator_contacts": Form("head", lambda w: {f"u{w.a.id}-user_ids": str(w.staff.id)},
                                       values=lambda w: {"task_id": w.task_b.id, "unit_id": w.a.id},
                                       prepare=coordinate_task_b,
                                       audit=("task.coordinator_contacts",)),
    "tasks.cancel": Form("head", lambda w: {"reason": "Nhiệm vụ được gộp vào nhiệm vụ khác."},
                         audit=("task.cancel",)),
    "tasks.suspend": Form("head", lambda w: {"reason": "Chờ ý kiến của tỉnh."},
                          audit=("task.suspend",)),
    "tasks.resume": Form("head", lambda w: {"comment": "Đã có ý kiến của tỉnh."},
                         prepare=suspend_task, audit=("task.resume",)),
    "tasks.request_extension": Form(
        "staff2", lambda w: {"proposed_due_on": "31/08/2026",
                             "reason": "Chờ ý kiến góp ý của các sở, ngành"},
        values=lambda w: {"task_id": w.task2.id}, prepare=issue_plan_a,
        audit=("extension.request",)),
    "tasks.decide_extension": Form("deputy", lambda w: {"decision": "approve",
                                                        "comment": "Đồng ý gia hạn."},
                                   audit=("extension.approve",)),
    "tokens.create": Form("staff", lambda w: {"name": "LGSP Đắk Lắk", "read_only": "y",
                                              "expires_on": "31/12/2026"},
                          audit=("token.create",)),
    "tokens.revoke": Form("staff", lambda w: {}, prepare=make_token,
                          values=lambda w: {"token_id": getattr(w, "token_id", 999_999)},
                          audit=("token.revoke",)),
    "calendar.create": Form("staff", lambda w: {}, audit=("calendar.create",)),
    "calendar.revoke": Form("staff", lambda w: {}, prepare=make_calendar,
                            audit=("calendar.revoke",)),
    "notifications.read": Form("staff", lambda w: {}),
    "notifications.open": Form("staff", lambda w: {}),
    "notifications.read_all": Form("staff", lambda w: {}),
    "notifications.settings": Form("staff", lambda w: {"email_digest": "y"}),
    "admin.units": Form("admin", lambda w: {"code": "SNV-VP", "name": "Văn phòng Sở",
                                            "kind": "office", "parent_id": str(w.a.id)},
                        audit=("unit.create",)),
    "admin.unit": Form("admin", lambda w: {"name": "Sở Nội vụ tỉnh Đắk Lắk",
                                           "parent_id": str(w.province.id), "is_active": "y"},
                       values=lambda w: {"unit_id": w.a.id}, audit=("unit.rename",)),
    "admin.unit_merge": Form("admin", lambda w: {"target_id": str(w.province.id), "confirm": "y"},
                             values=lambda w: {"unit_id": w.a1.id},
                             audit=("unit.merge", "plan.unit_merge")),
    "admin.user_new": Form("admin", lambda w: {"username": "cv.moi", "full_name": "Nguyễn Văn Mới",
                                               "unit_id": str(w.a.id), "role": "staff",
                                               "is_active": "y", "new_password": NEW_PASSWORD},
                           audit=("user.create",)),
    "admin.user_edit": Form("admin", lambda w: user_form(w.staff, full_name="Phạm Văn Đăng Khoa"),
                            values=lambda w: {"user_id": w.staff.id}, audit=("user.update",)),
    # The organisation (issue 17 §2): a deputy's fields, by her head; extra roles, by the admin.
    "org.fields": Form("head", lambda w: {"field_ids": [str(getattr(w, "org_field", 0))]}, prepare=a_field,
                       values=lambda w: {"user_id": w.deputy.id}, audit=("user.fields",)),
    "org.roles": Form("admin", lambda w: {"extra_roles": ["assessor"]},
                      values=lambda w: {"user_id": w.deputy.id}, audit=("user.roles",)),
    # Quality of operation (issue 13): tests/quality/world.py builds each stage on unit A.
    "quality.new_set": Form("assessor", lambda w: dict(qw.SET_FORM), audit=("quality.set_create",)),
    "quality.add_criterion": Form("assessor", lambda w: dict(qw.CRITERION_FORM), values=qw.ids,
                                  prepare=qw.draft, audit=("quality.criterion_add",)),
    "quality.delete_criterion": Form("assessor", lambda w: {}, values=qw.ids, prepare=qw.draft,
                                     audit=("quality.criterion_delete",)),
    "quality.copy_set": Form("assessor", lambda w: {"year": "2027"}, values=qw.ids,
                             prepare=qw.published, audit=("quality.set_create", "quality.set_copy")),
    "quality.publish_set": Form("assessor", lambda w: {}, values=qw.ids, prepare=qw.draft,
                                audit=("quality.set_publish",)),
    "quality.publish_results": Form("assessor", lambda w: dict(qw.RESULTS_FORM), values=qw.ids,
                                    prepare=qw.appraised, audit=("quality.results_publish",)),
    "quality.self_score": Form("head", qw.self_data, values=qw.ids, prepare=qw.published,
                               audit=("quality.self_score",)),
    "quality.submit": Form("head", lambda w: {}, values=qw.ids, prepare=qw.scored,
                           audit=("quality.sheet_submit",)),
    "quality.appraise": Form("assessor", qw.appraisal_data, values=qw.ids, prepare=qw.submitted,
                             audit=("quality.appraise",)),
    "quality.finalize": Form("assessor", lambda w: {}, values=qw.ids, prepare=qw.submitted,
                             audit=("quality.sheet_finalize",)),
    "quality.send_back": Form("assessor", lambda w: {"reason": "Bổ sung tài liệu kiểm chứng"},
                              values=qw.ids, prepare=qw.submitted, audit=("quality.sheet_return",)),
    # The set's file, the entry window, drafts, explanations (app/quality/flow.py).
    "quality.import_preview": Form("assessor", lambda w: {}, values=qw.ids, prepare=qw.draft,
                                   files=lambda w: {"file": [(qw.set_file(), "bo-chi-so.xlsx")]}),
    "quality.import_confirm": Form("assessor", lambda w: {"token": getattr(w, "q_token", "0" * 32)},
                                   values=qw.ids, prepare=qw.staged_import,
                                   audit=("quality.criterion_add", "quality.criterion_add",
                                          "quality.set_import")),
    "quality.set_window": Form("assessor", lambda w: dict(qw.WINDOW_FORM), values=qw.ids,
                               prepare=qw.published, audit=("quality.window_open",)),
    "quality.draft_score": Form("staff", qw.draft_data, values=qw.ids, prepare=qw.published,
                                audit=("quality.draft_score",)),
    "quality.ask_explanation": Form("assessor", lambda w: dict(qw.ASK_FORM), values=qw.ids,
                                    prepare=qw.submitted, audit=("quality.explanation_ask",)),
    "quality.answer_explanation": Form("head", qw.answer_data, values=qw.ids, prepare=qw.asked,
                                       audit=("quality.explanation_answer",)),
}

# Routes that change only the actor's own display or delivery preferences, or the read
# mark of their own notifications (the notification row's read_at is itself the record):
# no audit row, on purpose.
NOT_AUDITED = {
    "auth.language": "the actor's display language",
    "notifications.read": "read_at on the actor's own notification is the record",
    "notifications.open": "read_at on the actor's own notification is the record",
    "notifications.read_all": "read_at on the actor's own notifications is the record",
    "notifications.settings": "the actor's own email delivery preference",
}


def form_for(endpoint: str) -> Form | None:
    return FORMS.get(endpoint)


def payload(form: Form, w, extra: dict | None = None) -> dict:
    """The form's data (plus `extra`), with its files as the test client sends them."""
    import io

    data = dict(form.data(w))
    if extra:
        data.update(extra)
    if form.files:
        for name, items in form.files(w).items():
            data[name] = [(io.BytesIO(content), filename) for content, filename in items]
    return data


def audit_actions(form: Form, w) -> tuple:
    return tuple(form.audit(w)) if callable(form.audit) else tuple(form.audit)


def url_for_form(rule, w, form: Form) -> str | None:
    from rel_support import fill

    values = world_values(w, form.actor or "staff") | form.values(w)
    return fill(rule, values)


def steps_of(task_id: int) -> list[int]:
    from app.models import ProcessStep

    return list(db.session.scalars(select(ProcessStep.id).where(ProcessStep.task_id == task_id)
                                   .order_by(ProcessStep.position)))


__all__ = ["FORMS", "NOT_AUDITED", "Form", "audit_actions", "date", "form_for", "payload",
           "steps_of", "url_for_form"]
