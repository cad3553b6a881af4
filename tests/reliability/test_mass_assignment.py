"""Mass assignment (ASVS V15.3.3, V8.2.3): every form, posted by every role with its
legitimate fields plus every model column and the usual extras (unit_id, owner_unit_id,
status, version, role, weight, due_on, completed_on, is_clear, assignee_id, created_by_id,
password_hash, is_active, ...), changes nothing outside what that form may change:
the columns listed in SPEC for rows that existed, the checks in NEW for rows it adds.

Figure: N posts (forms x roles), 0 changes outside the allowed fields."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rel_forms import FORMS, payload, url_for_form
from rel_support import Diff, figure, rules, snapshot
from wtforms.fields.core import UnboundField

from app.dashboard import tallies
from app.extensions import db
from tests.support.snapshot import DERIVED

ROLES = ("anonymous", "admin", "assessor", "head", "deputy", "staff")
TODAY = date(2026, 6, 15)
TASK_INPUT = {"title", "title_folded", "description", "assignee_id", "lead_unit_id", "leader_id",
              "responsibility", "start_on", "due_on", "original_due_on", "output_product",
              "indicator_name", "indicator_unit", "indicator_target", "field_id", "weight"}
TOUCH = {"updated_at", "version"}

# Rows that existed: {table: columns that a successful post may change}.
READ = {"notifications": {"read_at"}}

SPEC = {
    "auth.login": {"users": {"last_login_at", "password_hash"}},
    "auth.logout": {"users": {"session_token"}},
    "auth.password": {"users": {"password_hash", "session_token"}},
    "auth.language": {"users": {"locale"}},
    "plans.create": {},
    "plans.edit": {"plans": {"title", "doc_number", "doc_date", "version"}},
    "plans.issue": {"plans": {"status", "issued_at", "issued_by_id", "version"},
                    "tasks": {"is_clear", "original_due_on", "updated_at"}},
    "plans.close": {"plans": {"status", "version"}},
    "plans.reopen": {"plans": {"status", "version"}},
    "plans.import_file": {},
    # Recurring tasks on a draft plan: the rule only (a draft has no occurrences).
    "plans.recurring_new": {},
    "plans.recurring_edit": {"recurring_rules": {"due_day", "version"}},
    "plans.recurring_delete": {"recurring_rules": {"is_active", "deleted_reason", "version"}},
    "plans.import_confirm": {},
    "plans.import_columns": {},
    "tasks.create": {},
    "tasks.edit": {"tasks": {"title", "title_folded", "title_sort", "is_clear"} | TOUCH},
    # Acting on a task marks the actor's own notifications about it read.
    "tasks.progress": {"tasks": {"progress", "indicator_actual", "status"} | TOUCH, **READ},
    "tasks.step": {"process_steps": {"is_done", "done_at", "done_by_id"}},
    "tasks.submit": {"tasks": {"status", "submitted_on"} | TOUCH, **READ},
    "tasks.review": {"tasks": {"status", "completed_on", "progress"} | TOUCH, **READ},
    "tasks.withdraw": {"tasks": {"status", "submitted_on"} | TOUCH, **READ},
    "tasks.cancel": {"tasks": {"status", "cancel_reason", "excluded_on"} | TOUCH},
    "tasks.suspend": {"tasks": {"status", "cancel_reason", "excluded_on"} | TOUCH},
    "tasks.resume": {"tasks": {"status", "cancel_reason", "excluded_on"} | TOUCH},
    "tasks.request_extension": {},
    "tasks.coordinator_note": {},  # a history row only: nothing of the task moves
    "tasks.coordinator_contacts": {},
    "tasks.decide_extension": {"extensions": {"status", "decided_by_id", "decided_at",
                                              "decision_comment"},
                               "tasks": {"due_on", "extension_count", "overdue_flagged_at"} | TOUCH,
                               **READ},
    "notifications.read": {"notifications": {"read_at"}},
    "notifications.open": {"notifications": {"read_at"}},
    "notifications.read_all": {"notifications": {"read_at"}},
    "notifications.settings": {"users": {"email_digest"}},
    "tokens.create": {},
    "tokens.revoke": {"api_tokens": {"revoked_at", "revoked_by_id"}},
    "calendar.create": {"calendar_feeds": {"revoked_at"}},
    "calendar.revoke": {"calendar_feeds": {"revoked_at"}},
    "admin.units": {},
    "admin.unit": {"units": {"name", "name_folded", "name_sort"}},
    "admin.unit_merge": {"units": {"is_active", "successor_id", "parent_id", "path"},
                         "users": {"unit_id"}, "plans": {"unit_id"},
                         "tasks": {"lead_unit_id", "owner_unit_id"}, "fields": {"unit_id"}},
    "org.fields": {},
    "org.roles": {"users": {"extra_roles", "session_token"}},
    "admin.user_new": {},
    "admin.user_edit": {"users": {"full_name", "name_folded", "name_sort"}},
    "assessment.freeze": {},
    # Only the decision's fields; the frozen figures stay as they are.
    "assessment.final_grade": {"assessment_unit_rows": {
        "final_grade", "final_decision_no", "final_decision_on", "final_reason", "final_by_id",
        "final_at"}},
    # Quality of operation (issue 13): each step changes only the columns of its stage.
    "quality.new_set": {},
    "quality.add_criterion": {},
    "quality.copy_set": {},
    "quality.delete_criterion": {},
    "quality.publish_set": {"indicator_sets": {"status", "published_at"}},
    "quality.publish_results": {"indicator_sets": {"status", "decision_no", "decision_on",
                                                   "results_published_at"},
                                "quality_sheets": {"status", "version"}},
    "quality.self_score": {"quality_scores": {"self_points", "self_note", "self_by_id", "self_at"}},
    "quality.submit": {"quality_sheets": {"status", "submitted_at", "submitted_by_id",
                                          "auto_as_of", "version"},
                       "quality_scores": {"auto_points", "is_applicable"}},
    "quality.appraise": {"quality_scores": {"appraised_points", "appraisal_note",
                                            "appraised_by_id", "appraised_at"}},
    "quality.finalize": {"quality_sheets": {"status", "appraised_at", "appraised_by_id", "version"},
                         "quality_scores": {"appraised_points", "appraised_by_id", "appraised_at"}},
    "quality.send_back": {"quality_sheets": {"status", "version", "auto_as_of"}},
    "quality.import_preview": {},
    # The import replaces the draft's tree: its rows (ids reused on SQLite) change whole.
    "quality.import_confirm": {"criteria": {"set_id", "parent_id", "code", "title", "max_points",
                                            "method", "plan_kind", "is_evidence_required",
                                            "position"}},
    "quality.set_window": {"indicator_sets": {"entry_opens_on", "entry_closes_on"}},
    "quality.draft_score": {"quality_scores": {"draft_points", "draft_note", "draft_by_id",
                                               "draft_at"}},
    "quality.ask_explanation": {},
    "quality.answer_explanation": {"quality_explanations": {"answer", "answered_by_id",
                                                            "answered_at"}},
}
ALWAYS_NEW = {"audit_log", "notifications", "outbox"}
DELETABLE = {"auth.login": {"login_failures"}, "quality.delete_criterion": {"criteria"},
             "quality.import_confirm": {"criteria"},
             "org.fields": {"user_fields"}}


def _new_task(w, who, plan_id, owner):
    def check(r):
        return [k for k, ok in (
            ("plan_id", r["plan_id"] == plan_id), ("owner_unit_id", r["owner_unit_id"] == owner),
            ("created_by_id", r["created_by_id"] == who.id),
            ("status", r["status"] in ("assigned", "draft")), ("progress", r["progress"] == 0),
            ("completed_on", r["completed_on"] is None), ("submitted_on", r["submitted_on"] is None),
            ("extension_count", r["extension_count"] == 0), ("version", r["version"] <= 3),
            ("weight", Decimal(r["weight"]) == Decimal(1)), ("cancel_reason", not r["cancel_reason"]),
            ("indicator_actual", r["indicator_actual"] is None)) if not ok]
    return check


def new_checks(endpoint, w):
    """{table: row -> [bad columns]} for the rows a successful post may add."""
    head, staff2 = w.head, w.staff2
    out = {
        "plans.create": {"plans": lambda r: [k for k, ok in (
            ("status", r["status"] == "draft"), ("unit_id", r["unit_id"] == w.a.id),
            ("issued_at", r["issued_at"] is None), ("issued_by_id", r["issued_by_id"] is None),
            ("year", r["year"] == 2026), ("version", r["version"] == 1)) if not ok]},
        "tasks.create": {"tasks": _new_task(w, head, w.plan.id, w.a.id),
                         "process_steps": lambda r: [k for k, ok in (
                             ("is_done", not r["is_done"]), ("done_by_id", r["done_by_id"] is None))
                             if not ok],
                         "task_coordinators": lambda r: []},
        "plans.import_confirm": {"tasks": _new_task(w, head, getattr(w, "import_plan_id", None),
                                                    w.a.id),
                                 "process_steps": lambda r: [], "task_coordinators": lambda r: [],
                                 "progress_updates": lambda r: []},
        "plans.recurring_new": {"recurring_rules": lambda r: [k for k, ok in (
            ("plan_id", r["plan_id"] == w.plan.id), ("created_by_id", r["created_by_id"] == head.id),
            ("is_active", r["is_active"]), ("assignee_id", r["assignee_id"] == w.staff.id),
            ("weight", Decimal(r["weight"]) == Decimal(1)), ("version", r["version"] == 1),
            ("deleted_reason", not r["deleted_reason"])) if not ok]},
        "tasks.coordinator_contacts": {"task_coordinator_contacts": lambda r: [k for k, ok in (
            ("task_id", r["task_id"] == w.task_b.id), ("unit_id", r["unit_id"] == w.a.id),
            ("user_id", r["user_id"] == w.staff.id)) if not ok]},
        "tasks.progress": {"progress_updates": lambda r: [k for k, ok in (
            ("author_id", r["author_id"] == w.staff.id), ("task_id", r["task_id"] == w.task.id),
            ("percent", r["percent"] == 40)) if not ok]},
        "tasks.request_extension": {"extensions": lambda r: [k for k, ok in (
            ("requested_by_id", r["requested_by_id"] == staff2.id),
            ("task_id", r["task_id"] == w.task2.id), ("status", r["status"] == "pending"),
            ("decided_by_id", r["decided_by_id"] is None),
            ("proposed_due_on", r["proposed_due_on"] == date(2026, 8, 31))) if not ok]},
        # Each role's own token or address, whatever user_id, hash or dates the post names.
        "tokens.create": {"api_tokens": lambda r: [k for k, ok in (
            ("user_id", r["user_id"] == r["created_by_id"] != w.staff_b.id),
            ("token_hash", len(r["token_hash"]) == 64), ("revoked_at", r["revoked_at"] is None),
            ("last_used_at", r["last_used_at"] is None)) if not ok]},
        "calendar.create": {"calendar_feeds": lambda r: [k for k, ok in (
            ("user_id", r["user_id"] != w.staff_b.id), ("token_hash", len(r["token_hash"]) == 64),
            ("revoked_at", r["revoked_at"] is None),
            ("last_used_at", r["last_used_at"] is None)) if not ok]},
        # Only the named deputy, only the field chosen.
        "org.fields": {"user_fields": lambda r: [k for k, ok in (
            ("user_id", r["user_id"] == w.deputy.id),
            ("field_id", r["field_id"] == getattr(w, "org_field", None))) if not ok]},
        "admin.units": {"units": lambda r: [k for k, ok in (
            ("code", r["code"] == "SNV-VP"), ("is_active", r["is_active"]),
            ("parent_id", r["parent_id"] == w.a.id)) if not ok]},
        "admin.user_new": {"users": lambda r: [k for k, ok in (
            ("username", r["username"] == "cv.moi"), ("role", r["role"] == "staff"),
            ("unit_id", r["unit_id"] == w.a.id), ("is_active", r["is_active"]),
            ("password_hash", r["password_hash"].startswith("$argon2")),
            ("session_token", r["session_token"] != "forged-token"),
            ("last_login_at", r["last_login_at"] is None)) if not ok]},
        "assessment.final_grade": {"assessment_unit_rows": lambda r: [k for k, ok in (
            ("final_grade", r["final_grade"] == "good"),
            ("final_decision_no", r["final_decision_no"] == "125/QĐ-UBND"),
            ("final_by_id", r["final_by_id"] == w.assessor.id)) if not ok]},
        "assessment.freeze": {t: (lambda r: []) for t in (
            "assessment_runs", "assessment_unit_rows", "assessment_leader_rows",
            "assessment_task_rows")},
        "quality.new_set": {"indicator_sets": lambda r: [k for k, ok in (
            ("status", r["status"] == "draft"), ("year", r["year"] == 2026),
            ("unit_group", r["unit_group"] == "commune"),
            ("created_by_id", r["created_by_id"] in (w.assessor.id, w.admin.id))) if not ok]},
        "quality.add_criterion": {"criteria": lambda r: [k for k, ok in (
            ("code", r["code"] == "3"), ("set_id", r["set_id"] == getattr(w, "q_set", None)),
            ("method", r["method"] == "manual"), ("plan_kind", r["plan_kind"] is None)) if not ok]},
        "quality.copy_set": {
            "indicator_sets": lambda r: [k for k, ok in (
                ("status", r["status"] == "draft"), ("year", r["year"] == 2027),
                ("unit_group", r["unit_group"] == "department")) if not ok],
            "criteria": lambda r: [k for k, ok in (("set_id", r["set_id"] != w.q_set),) if not ok]},
        "quality.import_confirm": {"criteria": lambda r: [k for k, ok in (
            ("set_id", r["set_id"] == w.q_set),) if not ok]},
        "quality.ask_explanation": {"quality_explanations": lambda r: [k for k, ok in (
            ("sheet_id", r["sheet_id"] == w.q_sheet[w.a.id]),
            ("asked_by_id", r["asked_by_id"] == w.assessor.id),
            ("answer", r["answer"] is None)) if not ok]},
        "quality.publish_set": {
            "quality_sheets": lambda r: [k for k, ok in (
                ("status", r["status"] == "open"), ("set_id", r["set_id"] == w.q_set)) if not ok],
            "quality_scores": lambda r: [k for k, ok in (
                ("self_points", r["self_points"] is None),
                ("appraised_points", r["appraised_points"] is None)) if not ok]},
    }
    return out.get(endpoint, {})


def extras(w) -> dict:
    """Hostile values for every column of every model, and the usual suspects."""
    from app.extensions import db as _db

    out = {}
    for table in _db.metadata.sorted_tables:
        for col in table.columns:
            out.setdefault(col.name, "999")
    out.update({
        "unit_id": str(w.b.id), "owner_unit_id": str(w.b.id), "plan_id": str(w.plan_b.id),
        "status": "completed", "version": "999", "role": "admin", "weight": "99",
        "due_on": "01/01/2027", "original_due_on": "01/01/2027", "completed_on": "01/01/2026",
        "submitted_on": "01/01/2026", "is_clear": "1", "assignee_id": str(w.staff_b.id),
        "leader_id": str(w.deputy_b.id), "created_by_id": str(w.staff_b.id),
        "password_hash": "x", "session_token": "forged-token", "is_active": "",
        "progress": "100", "username": "hacker", "code": "HACK", "path": "/1/",
        "extension_count": "9", "indicator_actual": "999", "cancel_reason": "x",
        "author_id": str(w.staff_b.id), "task_id": str(w.task_b.id),
        "requested_by_id": str(w.staff_b.id), "decided_by_id": str(w.staff_b.id),
        "user_id": str(w.staff_b.id), "actor_id": str(w.staff_b.id), "read_at": "2020-01-01",
        "email_digest": "y", "locale": "en", "email": "evil@example.com", "year": "2099",
        "kind": "other", "id": "1", "decision": "confirm", "next": "//evil.example",
    })
    return out


def form_fields(endpoint: str) -> set[str]:
    """The names a form legitimately reads: its WTForms fields and the request.form keys the
    view reads itself."""
    from app.admin import forms as admin_forms
    from app.assessment import forms as assessment_forms
    from app.auth import forms as auth_forms
    from app.notifications import forms as notification_forms
    from app.org import forms as org_forms
    from app.plans import forms as plan_forms
    from app.quality import forms as quality_forms
    from app.tasks import forms as task_forms

    classes = {
        "auth.login": auth_forms.LoginForm, "auth.password": auth_forms.PasswordForm,
        "plans.create": plan_forms.PlanForm, "plans.edit": plan_forms.PlanEditForm,
        "plans.recurring_new": plan_forms.RecurringRuleForm,
        "plans.recurring_edit": plan_forms.RecurringRuleForm,
        "plans.recurring_delete": plan_forms.RecurringDeleteForm,
        "tasks.create": task_forms.TaskForm, "tasks.edit": task_forms.TaskForm,
        "tasks.progress": task_forms.ProgressForm, "tasks.submit": task_forms.SubmitForm,
        "tasks.review": task_forms.ReviewForm, "tasks.cancel": task_forms.CancelForm,
        "tasks.withdraw": task_forms.WithdrawForm,
        "tasks.coordinator_note": task_forms.CoordinatorNoteForm,
        "tasks.request_extension": task_forms.ExtensionRequestForm,
        "tasks.decide_extension": task_forms.ExtensionDecisionForm,
        "notifications.settings": notification_forms.NotificationSettingsForm,
        "admin.units": admin_forms.UnitForm, "admin.unit": admin_forms.UnitEditForm,
        "admin.user_new": admin_forms.UserForm, "admin.user_edit": admin_forms.UserForm,
        "assessment.final_grade": assessment_forms.FinalGradeForm,
        "quality.new_set": quality_forms.SetForm, "quality.add_criterion": quality_forms.CriterionForm,
        "quality.publish_results": quality_forms.PublishResultsForm,
        "quality.copy_set": quality_forms.CopySetForm,
        "quality.send_back": quality_forms.ReturnForm,
        "quality.set_window": quality_forms.WindowForm,
        "quality.ask_explanation": quality_forms.AskForm,
        "quality.import_preview": quality_forms.ImportSetForm,
        "quality.import_confirm": quality_forms.ConfirmImportForm,
        "org.fields": org_forms.FieldsForm, "org.roles": org_forms.RolesForm,
        "admin.unit_merge": admin_forms.MergeForm,
    }
    names = set()
    cls = classes.get(endpoint)
    for klass in (cls.__mro__ if cls else ()):
        for name, value in vars(klass).items():
            if isinstance(value, UnboundField):
                names.add(name)
    names |= {"tasks.step": {"done"}, "tasks.review": {"decision"},
              "tasks.decide_extension": {"decision"}, "auth.language": {"next"},
              "notifications.read": {"page"}, "plans.import_confirm": {"token"},
              "plans.import_columns": {"token", "column-0", "column-1"},
              "plans.import_file": {"file"},
              "assessment.freeze": {"period", "as_of", "unit"},
              "assessment.final_grade": {"grade", "decision_no", "decision_on",
                                         "reason"},
              "quality.self_score": {"s1_1-points", "s1_1-note", "s1_1-files"},
              "quality.appraise": {"a1_1-points", "a1_1-reason"},
              "quality.draft_score": {"d1_1-points", "d1_1-note", "d1_1-files"},
              "quality.answer_explanation": {k for k in extras_answer()},
              "org.fields": {"back"}, "org.roles": {"back"}}.get(endpoint, set())
    return names


def extras_answer() -> set[str]:
    """The answer form's fields carry the explanation's id; any id of the world's."""
    from tests.quality import world as qw

    return {f"x{i}-{name}" for i in range(1, 50) for name in ("answer", "files")} | {
        f"x{qw.MISSING}-answer"}


def hostile_post(w, endpoint, form, more: dict | None = None) -> dict:
    fields = form_fields(endpoint)
    legit = payload(form, w)
    added = {k: v for k, v in (more or extras(w)).items() if k not in fields and k not in legit}
    return legit | added


def violations(endpoint: str, w, diff: Diff) -> list:
    allowed = SPEC.get(endpoint, {})
    checks = new_checks(endpoint, w)
    bad = []
    # The tallies are the database's own sums of the tasks (triggers): no post assigns them;
    # they must equal a recount of the tasks the post left, which the checks above judge.
    if any(t in DERIVED for t in (*diff.updated, *diff.added, *diff.deleted)) \
            and tallies.stored() != tallies.recount():
        bad.append(("tallies differ from a recount", endpoint))
    for table, rows in diff.updated.items():
        if table in DERIVED:
            continue
        for pk, cells in rows.items():
            extra = set(cells) - allowed.get(table, set())
            if extra:
                bad.append(("changed", table, pk, {c: cells[c] for c in extra}))
    for table, rows in diff.added.items():
        if table in ALWAYS_NEW or table in DERIVED:
            continue
        check = checks.get(table)
        if check is None:
            bad.append(("added", table, rows[:2]))
            continue
        for r in rows:
            wrong = check(r)
            if wrong:
                bad.append(("added", table, {k: r[k] for k in wrong}))
    for table, rows in diff.deleted.items():
        if table not in DELETABLE.get(endpoint, set()) and endpoint != "tasks.edit" \
                and table not in DERIVED:
            bad.append(("deleted", table, rows[:2]))
    for r in diff.added.get("audit_log", []):
        if r["action"] != "access.denied" and r["actor_id"] in (w.staff_b.id,) and \
                endpoint not in ("auth.login",):
            bad.append(("audit actor", r))
    return bad


STATS = {"posts": 0, "successes": 0, "violations": 0}


@pytest.fixture(scope="module")
def post_rules(shared):
    return {r.endpoint: r for r in rules(shared.app, "POST")}


def test_every_form_is_specified(post_rules):
    missing = sorted(set(post_rules) - set(SPEC))
    assert not missing, f"POST rules without a mass-assignment SPEC: {missing}"


@pytest.mark.parametrize("endpoint", sorted(SPEC))
def test_hostile_fields_change_nothing_else(shared, post_rules, endpoint):
    if endpoint not in post_rules:
        pytest.skip(f"{endpoint} is not a route (any more)")
    rule, form = post_rules[endpoint], FORMS[endpoint]
    w = shared.w
    roles = list(ROLES) + ([form.actor] if form.actor and form.actor not in ROLES else [])
    problems, successes = [], 0
    for role in roles:
        if form.prepare:
            form.prepare(w)
        url = url_for_form(rule, w, form)
        client = shared.client(None if role == "anonymous" else role)
        before = snapshot()
        resp = client.post(url, data=hostile_post(w, endpoint, form))
        diff = Diff(before, snapshot()).without_refusals()
        STATS["posts"] += 1
        ok = resp.status_code in (200, 201, 302, 303) and not diff.empty
        if ok:
            successes += 1
            bad = violations(endpoint, w, diff)
        else:
            bad = [] if diff.empty else [("refused post changed data", resp.status_code,
                                          diff.summary())]
        if bad:
            problems.append((role, bad))
        shared.restore()
    STATS["successes"] += successes
    STATS["violations"] += len(problems)
    expected = 0 if endpoint in ("plans.import_file", "plans.import_columns",
                                 "quality.import_preview") else 1
    assert successes >= expected, f"{endpoint}: no role's hostile post went through"
    assert not problems, problems


def test_staff_progress_cannot_move_dates_status_or_weight(sw):
    """The case named in the issue, checked column by column."""
    from rel_support import row_counts

    from app.models import Task

    w = sw.w
    before = db.session.get(Task, w.task.id)
    due, weight, owner, plan = before.due_on, before.weight, before.owner_unit_id, before.plan_id
    c = sw.client("staff")
    counts = row_counts()
    resp = c.post(f"/tasks/{w.task.id}/progress", data={
        "percent": "100", "note": "Xong", "due_on": "31/12/2026", "status": "completed",
        "weight": "50", "completed_on": "01/06/2026", "owner_unit_id": str(w.b.id),
        "plan_id": str(w.plan_b.id), "version": "1", "assignee_id": str(w.staff_b.id),
        "leader_id": str(w.staff.id), "is_clear": "1"})
    assert resp.status_code == 302
    db.session.expire_all()
    t = db.session.get(Task, w.task.id)
    assert (t.due_on, t.weight, t.owner_unit_id, t.plan_id) == (due, weight, owner, plan)
    assert t.status == "in_progress" and t.completed_on is None
    assert t.assignee_id == w.staff.id and t.leader_id == w.deputy.id
    assert t.progress == 100
    assert row_counts()["progress_updates"] == counts["progress_updates"] + 1


def test_summary():
    figure("mass-assignment", f"{STATS['posts']} hostile posts ({len(SPEC)} forms x 6 roles), "
                              f"{STATS['successes']} went through, changes outside the allowed "
                              f"fields: {STATS['violations']}")
    assert STATS["violations"] == 0


# ---- the slow profile: 1,000 random extras per form ----------------------------------

SLOW_FORMS = ("tasks.progress", "tasks.edit", "plans.edit", "notifications.settings",
              "admin.user_edit", "auth.password")


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", SLOW_FORMS)
def test_random_extras_change_nothing_else(shared, post_rules, endpoint):
    rule, form = post_rules[endpoint], FORMS[endpoint]
    w = shared.w
    columns = sorted({c.name for t in db.metadata.sorted_tables for c in t.columns}
                     | set(extras(w)))
    values = st.one_of(st.text(max_size=40), st.integers(-10**6, 10**9).map(str),
                       st.sampled_from(["completed", "admin", "1", "0", "y", "", "01/01/2027",
                                        str(w.b.id), str(w.staff_b.id)]))
    seen = {"n": 0}

    @settings(max_examples=1000, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(st.sampled_from(columns), values, max_size=12))
    def run(more):
        seen["n"] += 1
        url = url_for_form(rule, w, form)
        client = shared.cached(form.actor)
        before = snapshot()
        resp = client.post(url, data=hostile_post(w, endpoint, form, more))
        diff = Diff(before, snapshot()).without_refusals()
        if not diff.empty:
            assert resp.status_code in (200, 201, 302, 303)
            assert not violations(endpoint, w, diff), more
            shared.restore()

    run()
    figure("mass-assignment", f"{endpoint}: {seen['n']} random hostile posts, 0 changes outside "
                              f"the allowed fields")

