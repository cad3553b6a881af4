"""The words of the task rule set (app/domain/task_rules.py): one message per rule code,
translated once, for the form, the import and the API alike."""

from datetime import date

from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l

from app.domain.six_clears import Reason
from app.domain.task_rules import Violation


def _day(d: date) -> str:
    return d.strftime("%d/%m/%Y")


class _ReasonText:
    """A six-clears reason in the reader's language, chosen when the message is shown."""

    def __init__(self, reason: Reason):
        self.reason = reason

    def __str__(self) -> str:
        locale = get_locale()
        return self.reason.text(locale.language if locale else "vi")


class _Number:
    """A number in the reader's notation, chosen when the message is shown (vi: 0,1; en: 0.1)."""

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return format_decimal(self.value)


MESSAGES = {
    "plan_closed": lambda p: _l("The plan is closed: its tasks can no longer be changed."),
    "extension_draft_plan": lambda p: _l("The plan is still a draft: nothing is due yet, so "
                                         "there is nothing to extend; until it is issued, its "
                                         "dates are changed by editing the task."),
    "title_required": lambda p: _l("Enter the task's title."),
    "title_too_long": lambda p: _l("The title is %(length)s characters long; at most %(max)s "
                                   "are allowed. Shorten it, or move the detail to the "
                                   "description.", length=p["length"], max=p["max"]),
    "text_too_long": lambda p: _l("At most %(max)s characters.", max=_Number(p["max"])),
    "due_before_start": lambda p: _l("The due date cannot be before the start date."),
    "date_outside_year": lambda p: _l("The date must fall within the plan's year (%(year)s).",
                                      year=p["year"]),
    "due_after_parent": lambda p: _l("A sub-task cannot be due after its parent task (%(date)s).",
                                     date=_day(p["date"])),
    "weight_range": lambda p: _l("The weight must be between %(min)s and %(max)s.",
                                 min=_Number(p["min"]), max=_Number(p["max"])),
    "progress_range": lambda p: _l("Progress must be between 0 and 100."),
    "lead_unit_unknown": lambda p: _l("This unit does not exist or has been retired."),
    "lead_unit_outside_plan": lambda p: _l(
        "The lead unit must be the plan's unit or a unit below it."),
    "coordinator_unknown": lambda p: _l("A coordinating unit does not exist or has been retired."),
    "coordinator_is_lead": lambda p: _l("The lead unit cannot also be a coordinating unit."),
    "person_unknown": lambda p: _l("This person does not exist or has been disabled."),
    "field_unknown": lambda p: _l("This field of work does not exist."),
    "person_outside_lead_unit": lambda p: _l("The responsible person must belong to the lead unit."),
    "leader_not_leader": lambda p: _l("The accountable leader must be the head or a deputy."),
    "leader_outside_units": lambda p: _l(
        "The accountable leader must lead the lead unit, the plan's unit or a unit between "
        "them; for a section's plan, also the department it belongs to."),
    "deputy_not_leader": lambda p: _l("A deputy can only manage tasks they are accountable for."),
    "head_both_roles": lambda p: _l(
        "A head cannot be both the responsible person and the accountable leader of a task: "
        "nobody would confirm it."),
    "too_many_steps": lambda p: _l("At most %(n)s process steps.", n=p["n"]),
    "direction_unknown": lambda p: _l("Choose whether more or less is better."),
    "key_locked": lambda p: _l("The plan has been issued: whether the task is a key task can "
                               "no longer be changed (it decides quality scores)."),
    "direction_locked": lambda p: _l("The plan has been issued: the indicator's direction can "
                                     "no longer be changed (it decides quality scores)."),
    "added_weight_not_head": lambda p: _l("The plan has been issued: only the head of the "
                                          "plan's unit sets the weight of a task added now; "
                                          "leave it at %(weight)s.",
                                          weight=_Number(p["weight"])),
    "parent_fallen_due": lambda p: _l("The task this one would break down fell due on "
                                      "%(date)s: work that has fallen due is no longer broken "
                                      "down (its outcome stays with it).",
                                      date=_day(p["date"])),
    "field_locked": lambda p: _l("The plan has been issued: the task's field can no longer be "
                                 "changed (it decides quality scores)."),
    "indicator_locked": lambda p: _l("The plan has been issued: the indicator's name, unit and "
                                     "target can no longer be changed (they decide quality "
                                     "scores)."),
    "start_locked": lambda p: _l("The plan has been issued: the start date can no longer be changed."),
    "due_locked": lambda p: _l("The plan has been issued: the due date moves only through an "
                               "approved extension (request one on the task page)."),
    "amend_not_head": lambda p: _l("After issue, only the head of the plan's unit can reassign "
                                   "the task or change its weight (an amendment)."),
    "amend_reason_required": lambda p: _l("Give the reason for the amendment."),
    "amend_not_here": lambda p: _l("The plan has been issued: this cannot be changed by import; "
                                   "the head of the plan's unit amends it on the task page."),
    "unclear": lambda p: _l("The task would no longer be clear: %(reason)s",
                            reason=_ReasonText(p["reason"])),
    "added_due_past": lambda p: _l("A task added to an issued plan cannot be due before today "
                                   "(%(date)s).", date=_day(p["date"])),
}


def message(v: Violation):
    """The translated message of one violation (lazy: rendered in the reader's language)."""
    return MESSAGES[v.code](v.values)
