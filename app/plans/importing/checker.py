"""Checking every row of a plan file against the plan and the task rule set
(app/domain/task_rules.py check_task): the preview of what an import will do."""

import time
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.common.errors import RuleViolation
from app.domain import task_rules as rules
from app.domain.six_clears import SixClears, Step, TaskFacts, check_six_clears
from app.domain.status import Lifecycle
from app.domain.text import fold, normalize_space
from app.extensions import db
from app.formfields import parse_date
from app.models import (
    Plan,
    PlanStatus,
    Task,
    User,
)
from app.models.user import LEADER_ROLES
from app.plans import recurring
from app.plans.importing.cells import (
    _BULLET,
    _ROMAN,
    _ROMAN_TITLE,
    _STEP_DATE,
    _STT,
    BULLET_MARK,
    BULLET_TITLE,
    DATE_LIKE,
    LETTER,
    LETTER_TITLE,
    OFFICIAL_STT,
    _blank,
    _date,
    _decimal,
    _shown,
    _split,
    _stt,
    _text,
    deadline_in_words,
    recurrence_in_words,
)
from app.plans.importing.columns import (
    COLUMNS,
    DIRECTION_WORDS,
    KEEPABLE,
    KEY_NO,
    KEY_YES,
    LABEL,
    RULE_COLUMNS,
    Issue,
)
from app.plans.importing.directory import Directory, UnitRef, group_of
from app.plans.importing.isolation import read_isolated
from app.plans.importing.reader import Sheet
from app.tasks import breakdown
from app.tasks import commands as task_service
from app.tasks.messages import message as rule_message

# Decimal places of the columns the values land in (Numeric(8, 2), Numeric(18, 4)).
# How the plan's words the task has no field for are kept in its description (data, in the
# language of the plans: not translated).
DEADLINE_NOTE = "Thời hạn theo kế hoạch"
NOTE = "Ghi chú"
WEIGHT_PLACES = Decimal("0.01")
VALUE_PLACES = Decimal("0.0001")
WEIGHT_MAX = Decimal("999999.99")
VALUE_MAX = Decimal("1e14")
# A field the import is to create, before it has an id (only ever compared, never stored).
NEW_FIELD = -1


# ------------------------------------------------------------------ the preview

ADD, CHANGE, SAME = "add", "change", "same"


@dataclass
class RowPlan:
    """One task row: what it says, resolved, and what the import will do with it."""

    line: int
    stt: str
    file_stt: str
    title: str
    values: dict = field(default_factory=dict)
    steps: list[tuple[str, date | None]] = field(default_factory=list)
    coordinator_ids: list[int] = field(default_factory=list)
    field_name: str = ""
    new_field: bool = False
    parent_stt: str | None = None
    parent_due: date | None = None
    depth: int = 1
    action: str = ADD
    task_id: int | None = None
    changed: list[str] = field(default_factory=list)
    clears: SixClears | None = None
    has_error: bool = False
    names: dict = field(default_factory=dict)
    people: tuple = (None, None, None)
    numbered: bool = True
    # Each changed column as (header, stored value, new value), both as a person reads them.
    diffs: list[tuple[str, str, str]] = field(default_factory=list)
    # Columns left blank for an existing task: the stored value is kept (issue 11, item 6).
    kept: set = field(default_factory=set)
    # A completion date this row brings (a draft plan only): marked "imported".
    completes: bool = False
    # A deadline written in words: the words, the date read from them (None: unclear), and
    # whether they name recurring work ("Thường xuyên", "Hằng tháng").
    due_words: str = ""
    due_read: date | None = None
    due_recurring: bool = False
    # A recurring task (docs/recurring.md): (frequency, due day or None) read from the
    # "Định kỳ" column or the deadline's words; the row is then a rule, not a task.
    recurrence: tuple[str, int | None] | None = None

    @property
    def is_clear(self) -> bool:
        return self.clears is not None and self.clears.ok


@dataclass
class Section:
    line: int
    number: str
    title: str


@dataclass
class Preview:
    """What the import will do, and why it cannot when `errors` is not empty."""

    plan: Plan
    rows: list[RowPlan] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    # Rows naming a group of units as the lead: {number: (the group as written, its units)}.
    groups: dict = field(default_factory=dict)
    errors: list[Issue] = field(default_factory=list)
    new_fields: list[str] = field(default_factory=list)
    present: set = field(default_factory=set)
    kept: int = 0
    seconds: float = 0.0
    sheet: Sheet | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def column_mapping(self) -> list[tuple[str, str]]:
        """How each column of the file was understood: (its header as written, the column)."""
        if self.sheet is None:
            return []
        return [(written, LABEL[key]) for written, key in self.sheet.mapping if key in LABEL]

    @property
    def issues(self) -> list[Issue]:
        return self.errors

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action and not r.has_error)

    @property
    def added(self) -> int:
        return self.count(ADD)

    @property
    def changed(self) -> int:
        return self.count(CHANGE)

    @property
    def unchanged(self) -> int:
        return self.count(SAME)

    @property
    def not_clear(self) -> list[RowPlan]:
        return [r for r in self.rows if r.clears is not None and not r.clears.ok]

    def summary_lines(self) -> list[str]:
        """The preview in a few lines, for the command line."""
        lines = [_("%(rows)s task rows: %(added)s to add, %(changed)s to change, %(same)s unchanged.",
                   rows=len(self.rows), added=self.added, changed=self.changed, same=self.unchanged)]
        if self.kept:
            lines.append(_("%(n)s tasks of the plan are not in the file and stay as they are.",
                           n=self.kept))
        if self.new_fields:
            lines.append(_("New fields to create: %(names)s.", names=", ".join(self.new_fields)))
        for stt, (written, names) in self.groups.items():
            lines.append(_("Task %(stt)s names the group “%(group)s”: one sub-task for each of "
                           "%(names)s.", stt=stt, group=written, names=", ".join(names)))
        for r in self.rows:
            if r.action != CHANGE or r.has_error:
                continue
            lines.append(_("Row %(row)s (task %(stt)s) will change:", row=r.line, stt=r.stt))
            for header, old, new in r.diffs:
                lines.append(f"  {header}: {_shown_change(old)} → {_shown_change(new)}")
        unclear = self.not_clear
        lines.append(ngettext("%(num)s row is not clear on all six.", "%(num)s rows are not clear on all six.", len(unclear)))
        for r in unclear:
            failed = ", ".join(x.label("vi") for x in r.clears.failed)
            lines.append(f"  {r.stt}. {r.title[:80]} — {failed}")
        return lines


def _shown_change(text: str) -> str:
    """One side of an "old → new" line: on one line, cut at 120 characters, "—" when empty."""
    text = " ".join((text or "").split())
    if not text:
        return "—"
    return text if len(text) <= 120 else text[:119] + "…"


def _section_field(title: str) -> str:
    title = normalize_space(title)
    # Sections are usually in capitals ("I. CẢI CÁCH THỂ CHẾ"); a field reads "Cải cách thể chế".
    if title.isupper():
        title = title[:1] + title[1:].lower()
    return title


class _Checker:
    """Turns the sheet rows into row plans, collecting every error on the way."""

    def __init__(self, plan: Plan, sheet: Sheet, today: date, actor: User | None,
                 settings: rules.RuleSettings):
        self.plan, self.sheet, self.today = plan, sheet, today
        self.actor, self.settings = actor, settings
        self.preview = Preview(plan=plan, present=sheet.present)
        self.dir = Directory(plan.unit, sheet.rows)
        self._plan_facts = task_service.plan_facts(plan)

    def error(self, line: int | None, key: str | None, message: str, row: RowPlan | None = None):
        self.preview.errors.append(Issue(message, line, LABEL.get(key) if key else None))
        if row is not None:
            row.has_error = True

    def run(self) -> Preview:
        raw = self._groups(self._numbered())
        self._existing = self._load_existing()
        self.dir.ensure_people({i for t in self._existing.values()
                                for i in (t.assignee_id, t.leader_id) if i})
        for line, stt, file_stt, cells, section_field, numbered in raw:
            row = RowPlan(line=line, stt=stt, file_stt=file_stt, title="")
            # A row with a wrong number is still read, so that every error shows at once.
            row.numbered = numbered
            row.has_error = not numbered
            self._row(row, cells, section_field)
            self.preview.rows.append(row)
        self._tree()
        self._rules()
        self._against_plan()
        return self.preview

    # -- numbering, sections, duplicates
    def _numbered(self) -> list:
        """Each row's number as officials wrote it (issue 14): a Roman section with its title
        is no task (it gives the tasks below it their field, and its numeral their number:
        "II.3"); "1", "1.1", "1.1.1"; "a)", "b)" under the last number ("2.a"); "-" and "+"
        bullets under the item above them, numbered in order ("2.a.1", and "2.a.1.1" for a
        "+" under a "-"). The number shown and exported is this one, never a renumbering."""
        out = []
        section_field = ""
        section = ""
        number = item = dash = None  # the last number, the last number or letter, the last "-"
        bullets: dict[str, int] = {}
        seen: dict[str, int] = {}
        for line, cells in self.sheet.rows:
            stt_raw = cells.get("stt")
            stt = _stt(stt_raw)
            raw_text = _text(stt_raw).replace(" ", "")
            title = _text(cells.get("title"))
            # A section: "I" with its title in the next cell, or "I. CẢI CÁCH THỂ CHẾ" alone.
            roman = None if title else _ROMAN_TITLE.match(_text(stt_raw))
            if _ROMAN.match(stt) or roman:
                head = roman.group(2) if roman else title
                if not normalize_space(head):
                    self.error(line, "title", _("the section has no title"))
                    continue
                section = roman.group(1) if roman else stt
                self.preview.sections.append(Section(line, section, normalize_space(head)))
                section_field = _section_field(_text(cells.get("field")) or head)
                number = item = dash = None
                continue
            letter = LETTER.match(raw_text)
            bullet = raw_text if BULLET_MARK.match(raw_text) else None
            if not stt:
                # The mark may open the task's text instead: "a) Rà soát …", "- Rà soát …".
                if m := LETTER_TITLE.match(title):
                    letter, cells = m, {**cells, "title": m.group(2)}
                elif m := BULLET_TITLE.match(title):
                    bullet, cells = m.group(1), {**cells, "title": m.group(2)}
            if letter or bullet:
                parent = number if letter else (dash if bullet == "+" and dash else item)
                if parent is None:
                    self.error(line, "stt", _("“%(value)s” has no numbered task above it to belong to",
                                              value=_shown(stt_raw) or (bullet or letter.group(1))))
                    out.append((line, "", "", cells, section_field, False))
                    continue
                if letter:
                    stt = f"{parent}.{letter.group(1)}"
                    item, dash = stt, None
                else:
                    bullets[parent] = bullets.get(parent, 0) + 1
                    stt = f"{parent}.{bullets[parent]}"
                    if bullet != "+":
                        dash = stt
            elif not stt:
                self.error(line, "stt", _("the number (STT) is missing"))
                out.append((line, "", "", cells, section_field, False))
                continue
            elif not OFFICIAL_STT.match(stt):
                self.error(line, "stt", _("“%(value)s” is not a number such as 1, 2.1 or 2.2.1, "
                                          "nor a section such as I or II", value=_shown(stt_raw)))
                out.append((line, stt, stt, cells, section_field, False))
                continue
            else:
                if section and _STT.match(stt):
                    stt = f"{section}.{stt}"
                number = item = stt
                dash = None
            if len(stt) > 32:
                self.error(line, "stt", _("at most %(n)s characters", n=32))
                out.append((line, stt, stt, cells, section_field, False))
                continue
            if stt in seen:
                self.error(line, "stt", _("the number %(stt)s is already used on row %(other)s",
                                          stt=stt, other=seen[stt]))
                out.append((line, stt, stt, cells, section_field, False))
                continue
            seen[stt] = line
            out.append((line, stt, stt, cells, section_field, True))
        return out

    def _groups(self, raw: list) -> list:
        """A group of units as the lead ("Các sở, ban, ngành", "UBND các xã, phường", "Các
        cơ quan, đơn vị", issue 14): the row becomes one task led by the plan's unit with
        one sub-task per unit of the group below the plan's unit, numbered after the row's
        own sub-tasks, each with the row's text, dates and coordinators."""
        taken = {stt for _l, stt, _f, _c, _s, ok in raw if ok}
        out = []
        for entry in raw:
            line, stt, file_stt, cells, section_field, ok = entry
            text = _text(cells.get("lead_unit"))
            group = group_of(text) if ok and text else None
            if group is None:
                out.append(entry)
                continue
            units = self.dir.group(group)
            if not units:
                self.error(line, "lead_unit", _("no unit of the group “%(value)s” is below %(unit)s",
                                                value=normalize_space(text), unit=self.plan.unit.name))
                out.append((line, stt, file_stt, cells, section_field, False))
                continue
            self.preview.groups[stt] = (normalize_space(text), [u.name for u in units])
            out.append((line, stt, file_stt, {**cells, "lead_unit": self.plan.unit.code},
                        section_field, True))
            n = 0
            for u in units:
                n += 1
                while f"{stt}.{n}" in taken:
                    n += 1
                sub = f"{stt}.{n}"
                taken.add(sub)
                out.append((line, sub, sub, {**cells, "lead_unit": u.code}, section_field, True))
        return out

    # -- one row
    def _row(self, row: RowPlan, cells: dict, section_field: str) -> None:
        v = row.values
        line = row.line
        old = self._existing.get(row.stt) if row.numbered else None
        cells = self._deadline_words(row, cells)
        # Re-import never empties what is stored (issue 11, item 6): for a task of the plan,
        # a blank cell keeps the stored value, whatever the column.
        if old is not None:
            row.kept = {k for k in KEEPABLE if _blank(cells.get(k))}
        for key in ("title", "description", "responsibility", "output_product", "indicator_name",
                    "indicator_unit", "field"):
            text = _text(cells.get(key))
            if key in ("title", "indicator_name", "indicator_unit", "field"):
                text = normalize_space(text)
            # Measured here on every row, a row the rule set will not see (its number is
            # wrong) included, by the rule set's table and in its words; check_task does not
            # repeat it for the column (_rules).
            too_long = rules.check_text(key, text)
            if too_long is not None:
                self.error(line, key, str(rule_message(too_long)), row)
            v[key] = text
        if old is not None:
            for key in row.kept & {"title", "description", "responsibility", "output_product",
                                   "indicator_name", "indicator_unit"}:
                v[key] = _norm(getattr(old, key))
        row.title = v["title"]
        kept_text = []
        if row.due_words and row.due_read is None and row.recurrence is None:
            kept_text.append(f"{DEADLINE_NOTE}: {row.due_words}")
        note = normalize_space(_text(cells.get("note")))
        if note:
            kept_text.append(f"{NOTE}: {note}")
        for extra in kept_text:
            # The plan's own words are kept in the description, once (re-imports add nothing).
            if extra not in v["description"]:
                v["description"] = f"{v['description']}\n{extra}".strip()
        # The description with the plan's own words added is measured by the rule set
        # (check_task, in _rules) on what will be saved.
        field_text = v.pop("field")
        if old is not None and "field" in row.kept and old.field is not None:
            field_text = normalize_space(old.field.name)
        row.field_name = field_text or section_field
        for key in ("start_on", "due_on"):
            v[key] = self._date(row, cells, key)
        for key in ("indicator_target",):
            v[key] = self._number(row, cells, key, VALUE_PLACES, VALUE_MAX)
        v["is_key"], v["indicator_direction"] = self._key_and_direction(row, cells, old)
        weight = self._number(row, cells, "weight", WEIGHT_PLACES, WEIGHT_MAX)
        v["weight"] = Decimal(1).quantize(WEIGHT_PLACES) if weight is None else weight
        if old is not None:
            for key in row.kept & {"start_on", "due_on", "indicator_target", "weight"}:
                v[key] = getattr(old, key)
        # Progress already made (optional columns): empty leaves a task's progress alone.
        v["progress"] = None
        if not _blank(cells.get("progress")):
            try:
                p = _decimal(cells["progress"])
            except ValueError:
                self.error(line, "progress", _("%(value)s is not a number",
                                               value=_shown(cells["progress"])), row)
            else:
                # The rule set's check, as the progress form's (one rule, one message).
                for violation in rules.check_progress(p):
                    self.error(line, "progress", str(rule_message(violation)), row)
                v["progress"] = int(p.quantize(Decimal(1), ROUND_HALF_UP))
        v["completed_on"] = self._date(row, cells, "completed_on")
        v["indicator_actual"] = self._number(row, cells, "indicator_actual", VALUE_PLACES, VALUE_MAX)
        self._steps(row, cells)
        if old is not None and "steps" in row.kept:
            row.steps = [(st.title, st.due_on) for st in old.steps]
        self._who(row, cells, old)
        self._completion(row, old)

    def _completion(self, row: RowPlan, old: Task | None) -> None:
        """Completion only through submit -> confirm (DESIGN.md 4). The one exception: a
        completion date imported into a draft plan, between the task's start and today. An
        issued plan's file may repeat the completion date already recorded, nothing else."""
        v, line = row.values, row.line
        done = v["completed_on"]
        if done is None:
            return
        shown = done.strftime("%d/%m/%Y")
        recorded = old is not None and old.status == Lifecycle.COMPLETED and old.completed_on == done
        if recorded:
            return
        if self.plan.status != PlanStatus.DRAFT:
            self.error(line, "completed_on", _("the plan has been issued: a task is completed only "
                                               "when its report of completion is confirmed (%(value)s "
                                               "is not the recorded completion date)", value=shown), row)
            return
        if done > self.today:
            self.error(line, "completed_on", _("the completion date %(value)s is after today",
                                               value=shown), row)
        elif v["start_on"] and done < v["start_on"]:
            self.error(line, "completed_on", _("the completion date %(value)s is before the start "
                                               "date %(start)s", value=shown,
                                               start=v["start_on"].strftime("%d/%m/%Y")), row)
        row.completes = True

    def _deadline_words(self, row: RowPlan, cells: dict) -> dict:
        """A deadline written in words (issue 14) read as the last day it names, shown in the
        preview as the date chosen; words naming no date ("Thường xuyên", anything else)
        leave the task with an unclear deadline and the words kept in its description. Text
        written as a date ("31/02/2026") is still read strictly: a typo is an error."""
        said = normalize_space(_text(cells.get("recurrence")))
        if said:
            row.recurrence = recurrence_in_words(said)
            if row.recurrence is None:
                self.error(row.line, "recurrence", _(
                    "“%(value)s” is not a recurrence such as Hằng tháng, Hằng quý, 6 tháng or "
                    "Hằng năm", value=said[:60]), row)
        raw = cells.get("due_on")
        if isinstance(raw, str) and not _blank(raw) and not DATE_LIKE.match(raw):
            found = recurrence_in_words(raw)
            if found is not None:
                row.due_words = normalize_space(_text(raw))[:200]
                row.due_recurring = True
                row.recurrence = row.recurrence or found
        if row.recurrence is not None:
            # A rule's dates are its schedule's (checked with the rule in _rules).
            return {**cells, "due_on": None, "start_on": None}
        if not isinstance(raw, str) or _blank(raw) or DATE_LIKE.match(raw):
            return cells
        try:
            if parse_date(_text(raw)) is not None:
                return cells
        except ValueError:
            pass
        row.due_words = normalize_space(_text(raw))[:200]
        row.due_read, row.due_recurring = deadline_in_words(row.due_words, self.plan.year)
        return {**cells, "due_on": row.due_read}

    def _date(self, row: RowPlan, cells: dict, key: str) -> date | None:
        value = cells.get(key)
        if _blank(value):
            return None
        try:
            return _date(value)
        except (ValueError, TypeError, OverflowError):
            self.error(row.line, key, _("%(value)s is not a valid date", value=_shown(value)), row)
            return None

    def _number(self, row: RowPlan, cells: dict, key: str, places: Decimal,
                limit: Decimal) -> Decimal | None:
        value = cells.get(key)
        if _blank(value):
            return None
        try:
            d = _decimal(value)
        except ValueError:
            self.error(row.line, key, _("%(value)s is not a number", value=_shown(value)), row)
            return None
        if not d.is_finite() or abs(d) > limit:
            self.error(row.line, key, _("%(value)s is too large", value=_shown(value)), row)
            return None
        return d.quantize(places, ROUND_HALF_UP)

    def _steps(self, row: RowPlan, cells: dict) -> None:
        raw = cells.get("steps")
        text = _text(raw)
        if not text:
            return
        # One step per line when the cell has line breaks (even a trailing one), else ";".
        lines = isinstance(raw, str) and ("\n" in raw or "\r" in raw)
        parts = text.split("\n") if lines else text.split(";")
        steps = []
        for part in parts:
            part = _BULLET.sub("", part)
            part = normalize_space(part)
            if not part:
                continue
            due = None
            m = _STEP_DATE.match(part)
            if m:
                try:
                    due = parse_date(m.group(2))
                except ValueError:
                    self.error(row.line, "steps", _("%(value)s is not a valid date",
                                                    value=m.group(2)), row)
                part = normalize_space(m.group(1))
            if len(part) > 500:
                self.error(row.line, "steps", _("at most %(n)s characters", n=500), row)
            steps.append((part, due))
        row.steps = steps


    def _who(self, row: RowPlan, cells: dict, old: Task | None) -> None:
        """Units and people by code, name, username or email (import-only: resolving names);
        a blank cell of an existing task keeps who is stored."""
        v, d, plan = row.values, self.dir, self.plan
        lead = None
        if "lead_unit" in row.kept:
            v["lead_unit_id"] = old.lead_unit_id
            lead = d.units.get(old.lead_unit_id) if old.lead_unit_id else None
        else:
            text = _text(cells.get("lead_unit"))
            if text:
                lead, err = d.unit(text)
                if err:
                    self.error(row.line, "lead_unit", err, row)
            v["lead_unit_id"] = lead.id if lead else None
        if lead is not None:
            d.ensure_subtree(lead)
        row.names["lead_unit"] = lead.name if lead else ""
        coords = []
        if "coordinators" in row.kept:
            coords = [u.id for u in old.coordinators]
        for token in _split(_text(cells.get("coordinators"))):
            group = group_of(token)
            if group is not None:
                # Every unit of the group but the lead (issue 14).
                for unit in d.group(group):
                    if unit.id not in coords and (lead is None or unit.id != lead.id):
                        coords.append(unit.id)
                continue
            u, err = d.unit(token)
            found = [u] if u is not None else []
            if err and "," in token:
                # Names may contain commas ("Phòng Công chức, viên chức"): a list is split on
                # "," only where every piece is a known unit.
                pieces = [d.unit(p)[0] for p in token.split(",") if normalize_space(p)]
                if pieces and all(pieces):
                    found, err = pieces, None
            if err:
                self.error(row.line, "coordinators", err, row)
            for unit in found:
                if unit.id not in coords:
                    coords.append(unit.id)
        row.coordinator_ids = sorted(coords)
        plan_unit = d.units.get(plan.unit_id) or UnitRef(plan.unit_id, plan.unit.code,
                                                          plan.unit.name, plan.unit.path)
        assignee = None
        if "assignee" in row.kept:
            v["assignee_id"] = old.assignee_id
            assignee = d.people.get(old.assignee_id) if old.assignee_id else None
        else:
            text = _text(cells.get("assignee"))
            if text:
                scope = lead or plan_unit
                assignee, err = d.person(text, (scope,), False, scope.name)
                if err:
                    self.error(row.line, "assignee", err, row)
            v["assignee_id"] = assignee.id if assignee else None
        leader = None
        if "leader" in row.kept:
            v["leader_id"] = old.leader_id
            leader = d.people.get(old.leader_id) if old.leader_id else None
        else:
            text = _text(cells.get("leader"))
            if text:
                leader, err = d.leader(text, self._plan_facts, lead)
                if err:
                    self.error(row.line, "leader", err, row)
            v["leader_id"] = leader.id if leader else None
        row.names["assignee"] = assignee.full_name if assignee else ""
        row.names["leader"] = leader.full_name if leader else ""
        row.people = (assignee, leader, lead)

    # -- the tree of numbers
    def _tree(self) -> None:
        rows = [r for r in self.preview.rows if r.numbered]
        by_stt = {r.stt: r for r in rows}
        for r in rows:
            parts = r.stt.split(".")
            r.depth = len(parts)
            # "II.3" is a task of section II: a section is no task, so it has no parent.
            if len(parts) > 1 and not _ROMAN.match(".".join(parts[:-1])):
                r.parent_stt = ".".join(parts[:-1])
                if r.parent_stt not in by_stt and r.parent_stt not in self._existing:
                    self.error(r.line, "stt", _("there is no row %(parent)s for this sub-task",
                                                parent=r.parent_stt), r)
        # The due date a row may not pass (a rule of the rule set, checked in _rules): its
        # parent's in the file or in the plan, or that of the higher plan's task it breaks down.
        higher = breakdown.breakdown_parents(self.plan.id) if self.plan.id is not None else {}
        for r in rows:
            if r.parent_stt:
                parent = by_stt.get(r.parent_stt)
                if parent is not None:
                    r.parent_due = parent.values.get("due_on")
                elif r.parent_stt in self._existing:
                    r.parent_due = self._existing[r.parent_stt].due_on
            elif r.stt in higher:
                r.parent_due = higher[r.stt].due_on

    def _rules(self) -> None:
        """The task rule set (app/domain/task_rules.py), the same the task form calls, over
        each row's final values (stored ones kept by blank cells included). A rule on a column
        the file already got wrong (an unknown unit, a date that is not a date) is not
        repeated."""
        plan = self._plan_facts
        actor = (task_service.actor_facts(self.actor) if self.actor is not None
                 else rules.ActorFacts(0, "system", None, ""))
        for r in self.preview.rows:
            if not r.numbered:
                continue
            if r.recurrence is not None:
                self._recurring_rule(r)
                continue
            old = self._existing.get(r.stt)
            after = self._values(r)
            before = task_service.values_of(old) if old is not None else None
            broken = {i.column for i in self.preview.errors if i.row == r.line}
            for v in rules.check_task(plan=plan, actor=actor, before=before, after=after,
                                      directory=self._rule_directory(before, after),
                                      today=self.today, settings=self.settings,
                                      parent_due_on=r.parent_due, amendments_allowed=False,
                                      parent_plan_status=(str(self.plan.status)
                                                          if r.parent_stt else None)):
                key = RULE_COLUMNS.get(v.field) if v.field else None
                if key and LABEL[key] in broken:
                    continue
                self.error(r.line, key, str(rule_message(v)), r)

    def _recurring_rule(self, r: RowPlan) -> None:
        """A recurring row: the rule's own checks (app/plans/recurring.py), its dates those
        of its first occurrence; on a draft plan it may lack a clear, as a task may."""
        if r.parent_stt or any(c.parent_stt == r.stt for c in self.preview.rows):
            self.error(r.line, "recurrence", _("a recurring task cannot be a sub-task nor have "
                                               "sub-tasks"), r)
            return
        data = recurring_input(r)
        try:
            recurring.check_rule(self.actor, self.plan, data, self.settings, draft_ok=True)
        except RuleViolation as e:
            broken = {i.column for i in self.preview.errors if i.row == r.line}
            for v in getattr(e, "violations", [e]):
                key = RECURRING_COLUMNS.get(v.field, v.field)
                if key in LABEL and LABEL[key] in broken:
                    continue
                self.error(r.line, key if key in LABEL else None, str(v.message), r)
            return
        first = recurring.first_occurrence(data, self.plan.year)
        r.values["start_on"], r.values["due_on"] = first.start_on, first.due_on

    def _values(self, r: RowPlan) -> rules.TaskValues:
        v = r.values
        return rules.TaskValues(
            title=v["title"], description=v["description"], assignee_id=v["assignee_id"],
            lead_unit_id=v["lead_unit_id"], coordinator_ids=tuple(r.coordinator_ids),
            leader_id=v["leader_id"], responsibility=v["responsibility"],
            steps=tuple(Step(t, dd) for t, dd in r.steps), start_on=v["start_on"],
            due_on=v["due_on"], output_product=v["output_product"],
            indicator_name=v["indicator_name"], indicator_unit=v["indicator_unit"],
            indicator_target=v["indicator_target"],
            field_id=self._field_id(r),
            weight=v["weight"], is_key=v["is_key"], indicator_direction=v["indicator_direction"])

    def _field_id(self, r: RowPlan) -> int | None:
        """The field a row names, as the rule set sees it: a field the import is to create
        has no id yet, so it stands as NEW_FIELD (a change from any stored field: on an
        issued plan the field is locked, rule field_locked)."""
        if not r.field_name:
            return None
        return self.dir.fields.get(r.field_name.casefold(), NEW_FIELD)

    def _key_and_direction(self, row: RowPlan, cells: dict, old: Task | None) -> tuple[bool, str]:
        """The "Trọng tâm" (x / có) and "Chiều chỉ tiêu" (cao / thấp) cells; a blank keeps
        the stored value (a new task: not key, higher is better)."""
        key = bool(old.is_key) if old is not None else False
        raw = fold(normalize_space(_text(cells.get("is_key"))))
        if raw:
            if raw in KEY_YES:
                key = True
            elif raw in KEY_NO:
                key = False
            else:
                self.error(row.line, "is_key", _("write x or có for a key task, or leave it "
                                                 "blank (%(value)s)",
                                                 value=_shown(cells.get("is_key"))), row)
        direction = (old.indicator_direction or "higher") if old is not None else "higher"
        raw = fold(normalize_space(_text(cells.get("indicator_direction"))))
        if raw:
            if raw in DIRECTION_WORDS:
                direction = DIRECTION_WORDS[raw]
            else:
                self.error(row.line, "indicator_direction",
                           _("write cao (higher is better) or thấp (lower is better) "
                             "(%(value)s)", value=_shown(cells.get("indicator_direction"))), row)
        return key, direction

    def _rule_directory(self, *values: rules.TaskValues | None) -> rules.Directory:
        """The rule set's directory of the units and people the values name, from what the
        importer loaded (no query per row). Someone not loaded is disabled or unknown."""
        units, people = {}, {}
        for x in values:
            if x is None:
                continue
            for uid in (x.lead_unit_id, *x.coordinator_ids):
                u = self.dir.units.get(uid) if uid is not None else None
                if u is not None:
                    units[uid] = rules.UnitFacts(u.id, u.path, True)
            for pid in (x.assignee_id, x.leader_id):
                p = self.dir.people.get(pid) if pid is not None else None
                if p is not None:
                    people[pid] = rules.PersonFacts(p.id, p.unit_id, p.unit_path, p.role, True)
        return rules.Directory(units, people)

    def _load_existing(self) -> dict[str, Task]:
        if self.plan.id is None:
            return {}
        tasks = db.session.scalars(select(Task).where(Task.plan_id == self.plan.id)
                                   .options(selectinload(Task.steps), selectinload(Task.coordinators),
                                            selectinload(Task.field))
                                   .order_by(Task.id)).all()
        out: dict[str, Task] = {}
        for t in tasks:
            out.setdefault(t.stt, t)
        return out

    # -- fields, six clears, added / changed / unchanged
    def _against_plan(self) -> None:
        p = self.preview
        d = self.dir
        new_fields: dict[str, str] = {}
        for r in p.rows:
            if r.field_name:
                k = r.field_name.casefold()
                if k not in d.fields:
                    new_fields.setdefault(k, r.field_name)
                    r.new_field = True
        p.new_fields = list(new_fields.values())
        file_stts = {r.stt for r in p.rows}
        p.kept = sum(1 for stt in self._existing if stt not in file_stts)
        self._rule_titles = ({_norm(r.title).casefold() for r in recurring.rules_of(self.plan)}
                             if self.plan.id is not None else set())
        for r in p.rows:
            if r.has_error:
                continue
            r.clears = check_six_clears(self._facts(r))
            if r.recurrence is not None:
                # Imported once: a rule of the same title already in force is left as it is.
                r.action = SAME if _norm(r.values["title"]).casefold() in self._rule_titles else ADD
                continue
            existing = self._existing.get(r.stt)
            if existing is None:
                r.action = ADD
                continue
            r.task_id = existing.id
            r.diffs = _differences(existing, r, d)
            r.changed = [LABEL[k] for k, _old, _new in r.diffs]
            r.diffs = [(LABEL[k], old, new) for k, old, new in r.diffs]
            r.action = CHANGE if r.changed else SAME
            if r.changed and existing.status in (Lifecycle.COMPLETED, Lifecycle.CANCELLED):
                self.error(r.line, None, _("task %(stt)s is completed or cancelled and can no "
                                           "longer be changed", stt=r.stt), r)
            elif (existing.status == Lifecycle.SUBMITTED and LABEL["progress"] in r.changed
                  and not r.values["completed_on"]):
                self.error(r.line, "progress", _("task %(stt)s is awaiting confirmation: its "
                                                 "progress cannot be changed now", stt=r.stt), r)

    def _facts(self, r: RowPlan) -> TaskFacts:
        assignee, leader, lead = r.people
        v = r.values
        return TaskFacts(
            title=v["title"], description=v["description"],
            assignee_id=v["assignee_id"], lead_unit_id=v["lead_unit_id"],
            assignee_in_lead_unit=(assignee is None or lead is None
                                   or assignee.unit_path.startswith(lead.path)),
            leader_id=v["leader_id"],
            leader_is_leader=leader is None or leader.role in LEADER_ROLES,
            responsibility=v["responsibility"],
            steps=tuple(Step(t, dd) for t, dd in r.steps),
            start_on=v["start_on"], due_on=v["due_on"],
            period_start=self.plan.period_start, period_end=self.plan.period_end,
            output_product=v["output_product"], indicator_name=v["indicator_name"],
            indicator_unit=v["indicator_unit"], indicator_target=v["indicator_target"])


# Where a recurring rule's refusal is shown: its form's field as the template's column.
RECURRING_COLUMNS = {"frequency": "recurrence", "due_day": "recurrence",
                     "working_days": "recurrence", "cutoff_day": "recurrence",
                     "steps_text": "steps", "assignee_id": "assignee", "lead_unit_id": "lead_unit",
                     "leader_id": "leader"}


def recurring_input(r: RowPlan) -> "recurring.RuleInput":
    """A recurring row as the rule's values: due on its day when the words give one, else
    two working days after the cut-off of Decree 09/2019 (the 14th)."""
    frequency, day = r.recurrence
    v = r.values
    return recurring.RuleInput(
        title=v["title"], frequency=frequency, cutoff_kind=recurring.DECREE,
        due_kind="day" if day else "working_days", due_day=day,
        working_days=None if day else 2, description=v["description"],
        assignee_id=v.get("assignee_id"), lead_unit_id=v.get("lead_unit_id"),
        leader_id=v.get("leader_id"), responsibility=v["responsibility"],
        steps_text="\n".join(t for t, _d in r.steps), output_product=v["output_product"],
        weight=v["weight"])


def _norm(text: str | None) -> str:
    return _text(text or "")


def _dec_eq(a: Decimal | None, b: Decimal | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return Decimal(a) == Decimal(b)


def _date_text(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _number_text(x: Decimal | None) -> str:
    if x is None:
        return ""
    x = Decimal(x)
    return format_decimal(x.normalize() if x == x.to_integral_value() else x)


def _steps_text(steps: list) -> str:
    return "; ".join(t + (f" ({_date_text(dd)})" if dd else "") for t, dd in steps)


def _differences(t: Task, r: RowPlan, d: Directory) -> list[tuple[str, str, str]]:
    """The columns whose value the row would change, each with the stored and the new value
    as a person reads them ("old → new" in the preview)."""
    v = r.values
    out = []

    def unit(i):
        u = d.units.get(i) if i else None
        return u.name if u else (f"#{i}" if i else "")

    def person(i):
        p = d.people.get(i) if i else None
        return p.full_name if p else (f"#{i}" if i else "")

    def diff(key: str, same: bool, old, new) -> None:
        if not same:
            out.append((key, old, new))

    diff("title", t.title == v["title"], t.title, v["title"])
    diff("description", _norm(t.description) == v["description"], _norm(t.description), v["description"])
    diff("lead_unit", t.lead_unit_id == v["lead_unit_id"], unit(t.lead_unit_id), unit(v["lead_unit_id"]))
    stored = sorted(u.id for u in t.coordinators)
    diff("coordinators", stored == r.coordinator_ids, "; ".join(unit(i) for i in stored),
         "; ".join(unit(i) for i in r.coordinator_ids))
    diff("assignee", t.assignee_id == v["assignee_id"], person(t.assignee_id), person(v["assignee_id"]))
    diff("leader", t.leader_id == v["leader_id"], person(t.leader_id), person(v["leader_id"]))
    diff("responsibility", _norm(t.responsibility) == v["responsibility"], _norm(t.responsibility),
         v["responsibility"])
    steps = [(s.title, s.due_on) for s in t.steps]
    diff("steps", steps == r.steps, _steps_text(steps), _steps_text(r.steps))
    diff("start_on", t.start_on == v["start_on"], _date_text(t.start_on), _date_text(v["start_on"]))
    diff("due_on", t.due_on == v["due_on"], _date_text(t.due_on), _date_text(v["due_on"]))
    diff("output_product", _norm(t.output_product) == v["output_product"], _norm(t.output_product),
         v["output_product"])
    diff("indicator_name", (t.indicator_name or "") == v["indicator_name"], t.indicator_name or "",
         v["indicator_name"])
    diff("indicator_unit", (t.indicator_unit or "") == v["indicator_unit"], t.indicator_unit or "",
         v["indicator_unit"])
    diff("indicator_target", _dec_eq(t.indicator_target, v["indicator_target"]),
         _number_text(t.indicator_target), _number_text(v["indicator_target"]))
    field_id = d.fields.get(r.field_name.casefold()) if r.field_name else None
    diff("field", (not r.new_field) and t.field_id == field_id,
         t.field.name if t.field is not None else "", r.field_name)
    diff("weight", _dec_eq(t.weight, v["weight"]), _number_text(t.weight), _number_text(v["weight"]))
    diff("is_key", bool(t.is_key) == v["is_key"], "x" if t.is_key else "", "x" if v["is_key"] else "")
    old_direction = t.indicator_direction or "higher"
    diff("indicator_direction", old_direction == v["indicator_direction"],
         DIRECTION_TEXT[old_direction], DIRECTION_TEXT[v["indicator_direction"]])
    if v["progress"] is not None:
        diff("progress", t.progress == v["progress"] or (
            v["completed_on"] is not None and t.status == Lifecycle.COMPLETED and t.progress == 100),
            f"{t.progress}%", f"{v['progress']}%")
    if v["completed_on"] is not None:
        recorded = t.completed_on if t.status == Lifecycle.COMPLETED else None
        diff("completed_on", recorded == v["completed_on"], _date_text(recorded),
             _date_text(v["completed_on"]))
    if v["indicator_actual"] is not None:
        diff("indicator_actual", _dec_eq(t.indicator_actual, v["indicator_actual"]),
             _number_text(t.indicator_actual), _number_text(v["indicator_actual"]))
    return out


DIRECTION_TEXT = {"higher": "cao", "lower": "thấp"}


def _order(issue: Issue) -> tuple:
    columns = [c.header for c in COLUMNS]
    return (issue.row or 0, columns.index(issue.column) if issue.column in columns else -1)


def preview(plan: Plan, source: "bytes | Sheet", today: date, actor: User | None = None, *,
            settings: rules.RuleSettings) -> Preview:
    """Read (unless `source` was read already) and check a file against a plan, which may
    not be saved yet; writes nothing. Errors come in row and column order."""
    started = time.perf_counter()
    # A file is read in a separate process, under a time and a memory limit (isolation.py).
    sheet = source if isinstance(source, Sheet) else read_isolated(source)
    if sheet.issues:
        p = Preview(plan=plan, errors=list(sheet.issues), present=sheet.present)
    else:
        p = _Checker(plan, sheet, today, actor, settings).run()
        p.errors.sort(key=_order)
    p.sheet = sheet
    p.seconds = time.perf_counter() - started
    return p


