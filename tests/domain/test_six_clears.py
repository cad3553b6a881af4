"""The six-clears check, as tables of facts and the clear each one breaks."""

import unicodedata
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.domain.six_clears import (
    CLEAR_LABELS,
    Clear,
    Step,
    TaskFacts,
    check_six_clears,
    is_generic_title,
)

CLEAR = TaskFacts(
    title="Xây dựng bộ chỉ số đánh giá chất lượng phục vụ",
    description="Xây dựng và ban hành bộ chỉ số áp dụng cho các sở, ngành.",
    assignee_id=7,
    lead_unit_id=3,
    assignee_in_lead_unit=True,
    leader_id=5,
    leader_is_leader=True,
    responsibility="Chịu trách nhiệm dự thảo và trình ban hành đúng hạn.",
    steps=(Step("Dự thảo bộ chỉ số", date(2026, 3, 1)),
           Step("Lấy ý kiến các sở, ngành", date(2026, 4, 1)),
           Step("Trình ban hành", None)),
    start_on=date(2026, 1, 15),
    due_on=date(2026, 6, 30),
    period_start=date(2026, 1, 1),
    period_end=date(2026, 12, 31),
    output_product="Quyết định ban hành bộ chỉ số",
)


def test_a_fully_clear_task_passes_all_six():
    result = check_six_clears(CLEAR)
    assert result.ok
    assert result.failed == ()
    assert [r.clear for r in result.results] == list(Clear)
    assert all(r.ok and r.reasons == () for r in result.results)


def test_an_empty_task_fails_all_six():
    result = check_six_clears(TaskFacts())
    assert not result.ok
    assert {r.clear for r in result.failed} == set(Clear)


# (case, changed facts, the one clear that fails, Vietnamese reason, English reason)
FAILURES = [
    # 1. clear person
    ("no assignee", {"assignee_id": None}, Clear.PERSON,
     "Chưa có người thực hiện", "No responsible person"),
    ("no lead unit", {"lead_unit_id": None}, Clear.PERSON,
     "Chưa có đơn vị chủ trì", "No lead unit"),
    ("assignee not in lead unit", {"assignee_in_lead_unit": False}, Clear.PERSON,
     "Người thực hiện không thuộc đơn vị chủ trì", "The responsible person is not in the lead unit"),
    # 2. clear task
    ("two-word title", {"title": "Họp giao"}, Clear.TASK,
     "Tên nhiệm vụ quá chung, cần nêu rõ việc làm và đối tượng",
     "The title is too short: say what is done to what"),
    ("blank title", {"title": "   "}, Clear.TASK,
     "Tên nhiệm vụ quá chung, cần nêu rõ việc làm và đối tượng",
     "The title is too short: say what is done to what"),
    ("no description", {"description": ""}, Clear.TASK,
     "Chưa có mô tả nhiệm vụ", "No description"),
    ("whitespace description", {"description": " \n\t "}, Clear.TASK,
     "Chưa có mô tả nhiệm vụ", "No description"),
    # 3. clear responsibility
    ("no leader", {"leader_id": None}, Clear.RESPONSIBILITY,
     "Chưa có lãnh đạo phụ trách", "No accountable leader"),
    ("leader not head or deputy", {"leader_is_leader": False}, Clear.RESPONSIBILITY,
     "Lãnh đạo phụ trách phải là người đứng đầu hoặc cấp phó",
     "The accountable leader must be the head or a deputy"),
    ("no responsibility text", {"responsibility": "  "}, Clear.RESPONSIBILITY,
     "Chưa nêu trách nhiệm của người thực hiện", "What the person answers for is not stated"),
    # 4. clear process
    ("no steps", {"steps": ()}, Clear.PROCESS, "Chưa có bước thực hiện nào", "No process steps"),
    ("only blank steps", {"steps": (Step(" "), Step(""))}, Clear.PROCESS,
     "Chưa có bước thực hiện nào", "No process steps"),
    ("step before the start", {"steps": (Step("Dự thảo", date(2026, 1, 14)),)}, Clear.PROCESS,
     "Bước 1: thời hạn nằm ngoài thời gian thực hiện nhiệm vụ",
     "Step 1: its date is outside the task's dates"),
    ("step after the due date",
     {"steps": (Step("Dự thảo", date(2026, 3, 1)), Step("Trình", date(2026, 7, 1)))}, Clear.PROCESS,
     "Bước 2: thời hạn nằm ngoài thời gian thực hiện nhiệm vụ",
     "Step 2: its date is outside the task's dates"),
    # 5. clear deadline
    ("no start date", {"start_on": None}, Clear.DEADLINE, "Chưa có ngày bắt đầu", "No start date"),
    ("no due date", {"due_on": None}, Clear.DEADLINE, "Chưa có hạn hoàn thành", "No due date"),
    ("due before start", {"start_on": date(2026, 5, 2), "due_on": date(2026, 5, 1),
                              "steps": (Step("Dự thảo"),)}, Clear.DEADLINE,
     "Hạn hoàn thành trước ngày bắt đầu", "The due date is before the start date"),
    ("start before the plan year", {"start_on": date(2025, 12, 31)}, Clear.DEADLINE,
     "Ngày bắt đầu nằm ngoài năm kế hoạch", "The start date is outside the plan's year"),
    ("due after the plan year", {"due_on": date(2027, 1, 1)}, Clear.DEADLINE,
     "Hạn hoàn thành nằm ngoài năm kế hoạch", "The due date is outside the plan's year"),
    # 6. clear result
    ("no output product", {"output_product": ""}, Clear.RESULT,
     "Chưa có sản phẩm đầu ra", "No expected output product"),
    ("indicator without unit", {"indicator_name": "Tỷ lệ hồ sơ trực tuyến", "indicator_unit": "",
                                    "indicator_target": Decimal(80)}, Clear.RESULT,
     "Chỉ tiêu thiếu đơn vị tính hoặc giá trị mục tiêu", "The indicator lacks a unit or a target value"),
    ("indicator without target", {"indicator_name": "Tỷ lệ hồ sơ trực tuyến", "indicator_unit": "%",
                                      "indicator_target": None}, Clear.RESULT,
     "Chỉ tiêu thiếu đơn vị tính hoặc giá trị mục tiêu", "The indicator lacks a unit or a target value"),
]


@pytest.mark.parametrize("case, changes, clear, vi, en", FAILURES, ids=[f[0] for f in FAILURES])
def test_each_failure_breaks_exactly_its_clear_with_a_reason_in_both_languages(case, changes, clear,
                                                                                vi, en):
    result = check_six_clears(replace(CLEAR, **changes))
    assert not result.ok
    assert [r.clear for r in result.failed] == [clear]
    failed = result[clear]
    assert not failed.ok
    assert [(r.vi, r.en) for r in failed.reasons] == [(vi, en)]
    assert [r.text("vi") for r in failed.reasons] == [vi]
    assert [r.text("en") for r in failed.reasons] == [en]
    # Any locale but English reads Vietnamese, the default language.
    assert [r.text("fr") for r in failed.reasons] == [vi]


@pytest.mark.parametrize("changes, clear, count", [
    ({"assignee_id": None, "lead_unit_id": None}, Clear.PERSON, 2),
    # With no assignee there is nobody to be outside the lead unit.
    ({"assignee_id": None, "assignee_in_lead_unit": False}, Clear.PERSON, 1),
    ({"lead_unit_id": None, "assignee_in_lead_unit": False}, Clear.PERSON, 1),
    ({"title": "Họp", "description": ""}, Clear.TASK, 2),
    ({"leader_id": None, "responsibility": ""}, Clear.RESPONSIBILITY, 2),
    # A missing leader is one reason, not also "not a leader".
    ({"leader_id": None, "leader_is_leader": False}, Clear.RESPONSIBILITY, 1),
    ({"steps": (Step("A", date(2026, 1, 1)), Step("B", date(2026, 12, 1)))}, Clear.PROCESS, 2),
    ({"start_on": None, "due_on": None}, Clear.DEADLINE, 2),
    ({"start_on": date(2025, 6, 1), "due_on": date(2027, 6, 1)}, Clear.DEADLINE, 2),
    ({"output_product": "", "indicator_name": "Số hồ sơ", "indicator_target": Decimal(5)}, Clear.RESULT, 2),
])
def test_several_faults_of_one_clear_are_each_reported(changes, clear, count):
    result = check_six_clears(replace(CLEAR, **changes))
    assert [r.clear for r in result.failed] == [clear]
    assert len(result[clear].reasons) == count


@pytest.mark.parametrize("changes", [
    # Title of exactly three words is long enough.
    {"title": "Lập báo cáo"},
    # Steps on the task's first and last day, and steps without a date, are inside.
    {"steps": (Step("A", date(2026, 1, 15)), Step("B", date(2026, 6, 30)), Step("C"))},
    # Blank steps are ignored when there are real ones.
    {"steps": (Step(""), Step("Dự thảo", date(2026, 2, 1)))},
    # Start and due on the same day; plan-year boundaries are inside.
    {"start_on": date(2026, 1, 1), "due_on": date(2026, 1, 1), "steps": (Step("A"),)},
    {"start_on": date(2026, 12, 31), "due_on": date(2026, 12, 31), "steps": (Step("A"),)},
    # Without a plan period the year is not checked.
    {"period_start": None, "period_end": None, "due_on": date(2030, 1, 1)},
    # A complete indicator; a zero target is a target.
    {"indicator_name": "Tỷ lệ hồ sơ trực tuyến", "indicator_unit": "%", "indicator_target": Decimal(95)},
    {"indicator_name": "Số vụ việc tồn đọng", "indicator_unit": "vụ", "indicator_target": Decimal(0)},
    # No indicator at all is fine when there is an output product.
    {"indicator_name": "", "indicator_unit": "%", "indicator_target": None},
    # A leader who is not a leader only matters when there is a leader.
    {"assignee_in_lead_unit": True, "leader_is_leader": True},
])
def test_edge_cases_that_stay_clear(changes):
    result = check_six_clears(replace(CLEAR, **changes))
    assert result.ok, [(r.clear, [x.en for x in r.reasons]) for r in result.failed]


GENERIC_TITLES = [
    "Tăng cường công tác cải cách hành chính",
    "Đẩy mạnh ứng dụng công nghệ thông tin trong cơ quan",
    "Tiếp tục thực hiện Đề án 06 của Chính phủ",
    "Tiếp tục rà soát, đơn giản hóa thủ tục",
    "Nâng cao chất lượng phục vụ người dân",
    "TĂNG CƯỜNG KỶ LUẬT, KỶ CƯƠNG HÀNH CHÍNH",
    "  Đẩy   mạnh   chuyển đổi số  ",
    # Decomposed (NFD) input reads the same as composed text.
    unicodedata.normalize("NFD", "Tăng cường công tác cải cách hành chính"),
]


@pytest.mark.parametrize("title", GENERIC_TITLES)
def test_a_generic_title_is_not_clear_without_an_output_product(title):
    assert is_generic_title(title)
    result = check_six_clears(replace(CLEAR, title=title, output_product=""))
    reasons = result[Clear.TASK].reasons
    assert [r.vi for r in reasons] == [
        "Tên nhiệm vụ chỉ nêu phương hướng chung, không có sản phẩm cụ thể"]
    assert [r.en for r in reasons] == [
        "The title states only a general direction with no output product"]


@pytest.mark.parametrize("title", GENERIC_TITLES)
def test_a_generic_title_is_clear_with_an_output_product(title):
    result = check_six_clears(replace(CLEAR, title=title,
                                      output_product="Báo cáo kết quả gửi Sở Nội vụ"))
    assert result.ok


@pytest.mark.parametrize("title", [
    "Xây dựng bộ chỉ số đánh giá",
    "Tập huấn nghiệp vụ cho cán bộ một cửa",      # "tập" is not "tập trung"
    "Tăng số hồ sơ trực tuyến toàn trình",        # "tăng" is not "tăng cường"
    "Duyệt kế hoạch năm sau",                     # "duyệt" is not "duy trì"
    "Rà soát việc tiếp tục thực hiện Đề án",       # the opening is what counts
])
def test_specific_titles_are_not_generic(title):
    assert not is_generic_title(title)
    assert check_six_clears(replace(CLEAR, title=title))[Clear.TASK].ok


@pytest.mark.parametrize("title", ["Tăng cường", "Đẩy mạnh", "Tiếp tục"])
def test_a_bare_generic_phrase_is_too_short_even_with_an_output(title):
    result = check_six_clears(replace(CLEAR, title=title))
    assert [r.en for r in result[Clear.TASK].reasons] == [
        "The title is too short: say what is done to what"]


@pytest.mark.parametrize("clear, vi, en", [
    (Clear.PERSON, "Rõ người", "Clear person"),
    (Clear.TASK, "Rõ việc", "Clear task"),
    (Clear.RESPONSIBILITY, "Rõ trách nhiệm", "Clear responsibility"),
    (Clear.PROCESS, "Rõ quy trình", "Clear process"),
    (Clear.DEADLINE, "Rõ thời gian", "Clear deadline"),
    (Clear.RESULT, "Rõ hiệu quả", "Clear result"),
])
def test_every_clear_has_a_label_in_both_languages(clear, vi, en):
    assert CLEAR_LABELS[clear] == (vi, en)
    result = check_six_clears(CLEAR)[clear]
    assert result.label("vi") == vi
    assert result.label("en") == en
