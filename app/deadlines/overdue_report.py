"""The printable overdue report (issue 17): the overdue list as an official document, with
its figures by lead unit and by accountable leader (head or deputy) above the tasks."""

from dataclasses import dataclass, field
from datetime import date

from app.deadlines.overdue_list import OverdueList
from app.extensions import db
from app.models import Role, Unit, User
from app.reports.document import OfficialDocument, official_document, parent_recipient

KIND = "BÁO CÁO"
TITLE = "Tình hình thực hiện nhiệm vụ quá hạn, sắp đến hạn"
# The position an official report writes beside a leader's name.
POSITIONS = {Role.HEAD: "Người đứng đầu", Role.DEPUTY: "Cấp phó"}


@dataclass
class Tally:
    """One line of a summary: who or which unit, and how many tasks are overdue / due soon."""

    key: int | None
    name: str
    position: str = ""
    unit_name: str = ""
    overdue: int = 0
    due_soon: int = 0

    @property
    def total(self) -> int:
        return self.overdue + self.due_soon


@dataclass
class OverdueReport:
    doc: OfficialDocument
    result: OverdueList
    by_unit: list[Tally] = field(default_factory=list)
    by_leader: list[Tally] = field(default_factory=list)


def _add(t: Tally, is_overdue: bool) -> None:
    if is_overdue:
        t.overdue += 1
    else:
        t.due_soon += 1


def summaries(result: OverdueList) -> tuple[list[Tally], list[Tally]]:
    """The list's rows (already fetched, at most overdue_list.MAX_ROWS) counted by lead unit
    (most overdue first, then by name) and by accountable leader (in the list's order: the
    head first, then by name; none last). No query: the rows hold what it counts."""
    units: dict[int | None, Tally] = {}
    leaders: dict[int | None, Tally] = {}
    for r in result.rows:
        t = r.task
        u = units.get(t.lead_unit_id)
        if u is None:
            u = units[t.lead_unit_id] = Tally(t.lead_unit_id, t.lead_unit.name if t.lead_unit else "")
        _add(u, r.is_overdue)
        lead = leaders.get(t.leader_id)
        if lead is None:
            p = t.leader
            lead = leaders[t.leader_id] = Tally(
                t.leader_id, p.full_name if p else "", (p.title or POSITIONS.get(p.role, "")) if p else "",
                p.unit.name if p else "")  # User.unit is loaded with the user
        _add(lead, r.is_overdue)
    by_unit = sorted(units.values(), key=lambda t: (-t.overdue, -t.due_soon, t.name))
    return by_unit, list(leaders.values())


def issuer_unit(actor: User, unit_id: int | None) -> Unit | None:
    """Who issues the report: the unit filtered on, else the reader's unit (a head's,
    a deputy's or a staff member's), else, for the province-wide readers, the province."""
    if unit_id:
        return db.session.get(Unit, unit_id)
    if actor.has_role(Role.ADMIN, Role.ASSESSOR):
        return None
    return db.session.get(Unit, actor.unit_id)


def build_overdue_report(actor: User, result: OverdueList, unit_id: int | None,
                         issued_on: date) -> OverdueReport:
    """The overdue list `result` as an official report dated `issued_on`."""
    unit = issuer_unit(actor, unit_id)
    doc = official_document(
        unit, issued_on, KIND, f"{TITLE} (tính đến ngày {result.today:%d/%m/%Y})",
        recipients=(parent_recipient(unit), "Lãnh đạo, cá nhân có tên trong Báo cáo (để thực hiện);"))
    by_unit, by_leader = summaries(result)
    return OverdueReport(doc, result, by_unit, by_leader)
