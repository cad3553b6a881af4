"""The six-clears check: is a task clear on person, task, responsibility,
process, deadline and result? Pure: it judges the facts it is given."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from app.domain.text import fold


class Clear(StrEnum):
    PERSON = "person"
    TASK = "task"
    RESPONSIBILITY = "responsibility"
    PROCESS = "process"
    DEADLINE = "deadline"
    RESULT = "result"


CLEAR_LABELS = {
    Clear.PERSON: ("Rõ người", "Clear person"),
    Clear.TASK: ("Rõ việc", "Clear task"),
    Clear.RESPONSIBILITY: ("Rõ trách nhiệm", "Clear responsibility"),
    Clear.PROCESS: ("Rõ quy trình", "Clear process"),
    Clear.DEADLINE: ("Rõ thời gian", "Clear deadline"),
    Clear.RESULT: ("Rõ hiệu quả", "Clear result"),
}

# Openings that state a direction, not a job ("Tăng cường công tác ...").
# A title made only of one of these, with no output product, names nothing to deliver.
GENERIC_OPENINGS = tuple(fold(p) for p in (
    "tăng cường", "đẩy mạnh", "tiếp tục thực hiện", "tiếp tục", "nâng cao", "chú trọng",
    "quan tâm", "thực hiện tốt", "tập trung", "duy trì", "phát huy", "đổi mới",
))
MIN_TITLE_WORDS = 3


@dataclass(frozen=True)
class Step:
    title: str
    due_on: date | None = None


@dataclass(frozen=True)
class TaskFacts:
    """What the check needs to know about one task."""

    title: str = ""
    description: str = ""
    assignee_id: int | None = None
    lead_unit_id: int | None = None
    assignee_in_lead_unit: bool = True
    leader_id: int | None = None
    leader_is_leader: bool = True
    responsibility: str = ""
    steps: tuple[Step, ...] = ()
    start_on: date | None = None
    due_on: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    output_product: str = ""
    indicator_name: str = ""
    indicator_unit: str = ""
    indicator_target: Decimal | None = None


@dataclass(frozen=True)
class Reason:
    vi: str
    en: str

    def text(self, locale: str) -> str:
        return self.en if locale == "en" else self.vi


@dataclass(frozen=True)
class ClearResult:
    clear: Clear
    ok: bool
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def label(self, locale: str) -> str:
        vi, en = CLEAR_LABELS[self.clear]
        return en if locale == "en" else vi


@dataclass(frozen=True)
class SixClears:
    results: tuple[ClearResult, ...]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> tuple[ClearResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    def __getitem__(self, clear: Clear) -> ClearResult:
        return next(r for r in self.results if r.clear == clear)


def _blank(text: str | None) -> bool:
    return not (text or "").strip()


def is_generic_title(title: str) -> bool:
    """True when the title opens with a generic direction ("Đẩy mạnh ...")."""
    folded = fold(title)
    return any(folded == g or folded.startswith(g + " ") for g in GENERIC_OPENINGS)


def _person(f: TaskFacts) -> list[Reason]:
    reasons = []
    if f.assignee_id is None:
        reasons.append(Reason("Chưa có người thực hiện", "No responsible person"))
    if f.lead_unit_id is None:
        reasons.append(Reason("Chưa có đơn vị chủ trì", "No lead unit"))
    if f.assignee_id is not None and f.lead_unit_id is not None and not f.assignee_in_lead_unit:
        reasons.append(Reason("Người thực hiện không thuộc đơn vị chủ trì",
                              "The responsible person is not in the lead unit"))
    return reasons


def _task(f: TaskFacts) -> list[Reason]:
    reasons = []
    words = fold(f.title).split()
    if len(words) < MIN_TITLE_WORDS:
        reasons.append(Reason("Tên nhiệm vụ quá chung, cần nêu rõ việc làm và đối tượng",
                              "The title is too short: say what is done to what"))
    elif is_generic_title(f.title) and _blank(f.output_product):
        reasons.append(Reason("Tên nhiệm vụ chỉ nêu phương hướng chung, không có sản phẩm cụ thể",
                              "The title states only a general direction with no output product"))
    if _blank(f.description):
        reasons.append(Reason("Chưa có mô tả nhiệm vụ", "No description"))
    return reasons


def _responsibility(f: TaskFacts) -> list[Reason]:
    reasons = []
    if f.leader_id is None:
        reasons.append(Reason("Chưa có lãnh đạo phụ trách", "No accountable leader"))
    elif not f.leader_is_leader:
        reasons.append(Reason("Lãnh đạo phụ trách phải là người đứng đầu hoặc cấp phó",
                              "The accountable leader must be the head or a deputy"))
    if _blank(f.responsibility):
        reasons.append(Reason("Chưa nêu trách nhiệm của người thực hiện",
                              "What the person answers for is not stated"))
    return reasons


def _process(f: TaskFacts) -> list[Reason]:
    steps = [s for s in f.steps if not _blank(s.title)]
    if not steps:
        return [Reason("Chưa có bước thực hiện nào", "No process steps")]
    reasons = []
    for n, s in enumerate(steps, start=1):
        if s.due_on is None:
            continue
        if (f.start_on and s.due_on < f.start_on) or (f.due_on and s.due_on > f.due_on):
            reasons.append(Reason(f"Bước {n}: thời hạn nằm ngoài thời gian thực hiện nhiệm vụ",
                                  f"Step {n}: its date is outside the task's dates"))
    return reasons


def _deadline(f: TaskFacts) -> list[Reason]:
    reasons = []
    if f.start_on is None:
        reasons.append(Reason("Chưa có ngày bắt đầu", "No start date"))
    if f.due_on is None:
        reasons.append(Reason("Chưa có hạn hoàn thành", "No due date"))
    if f.start_on and f.due_on and f.due_on < f.start_on:
        reasons.append(Reason("Hạn hoàn thành trước ngày bắt đầu", "The due date is before the start date"))
    if f.period_start and f.period_end:
        for d, vi, en in ((f.start_on, "Ngày bắt đầu", "The start date"),
                          (f.due_on, "Hạn hoàn thành", "The due date")):
            if d and not (f.period_start <= d <= f.period_end):
                reasons.append(Reason(f"{vi} nằm ngoài năm kế hoạch", f"{en} is outside the plan's year"))
    return reasons


def _result(f: TaskFacts) -> list[Reason]:
    reasons = []
    if _blank(f.output_product):
        reasons.append(Reason("Chưa có sản phẩm đầu ra", "No expected output product"))
    if not _blank(f.indicator_name) and (_blank(f.indicator_unit) or f.indicator_target is None):
        reasons.append(Reason("Chỉ tiêu thiếu đơn vị tính hoặc giá trị mục tiêu",
                              "The indicator lacks a unit or a target value"))
    return reasons


_CHECKS = (
    (Clear.PERSON, _person),
    (Clear.TASK, _task),
    (Clear.RESPONSIBILITY, _responsibility),
    (Clear.PROCESS, _process),
    (Clear.DEADLINE, _deadline),
    (Clear.RESULT, _result),
)


def check_six_clears(facts: TaskFacts) -> SixClears:
    """Judge a task on each of the six clears, with the reasons for every failure."""
    results = []
    for clear, check in _CHECKS:
        reasons = tuple(check(facts))
        results.append(ClearResult(clear, not reasons, reasons))
    return SixClears(tuple(results))
