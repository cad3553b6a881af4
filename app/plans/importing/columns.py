"""The columns of a plan file: their names, the names officials give them, and the error
that locates a problem by row and column."""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import format_decimal
from flask_babel import gettext as _

from app.domain.text import fold

if TYPE_CHECKING:
    from app.plans.importing.checker import Preview


MAX_FILE_BYTES = 10 * 1024 * 1024
# A zip bomb expands a small upload into gigabytes: refuse before openpyxl inflates it.
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
MAX_ROWS = 5000
HEADER_SCAN_ROWS = 20

@dataclass(frozen=True)
class Column:
    key: str
    header: str
    optional: bool = False
    aliases: tuple[str, ...] = ()


# The template's columns, in order (issue 5). The last three carry progress already made.
# Only STT and Nhiệm vụ are required (issue 14): a unit's plan names what it names, and a row
# lacking a clear is imported into the draft plan as an unclear task. The aliases are the
# names officials give the columns, compared like headers (without case, diacritics,
# punctuation or line breaks); docs/plan-import.md lists them.
COLUMNS = (
    Column("stt", "STT", aliases=("TT", "Số TT", "Số thứ tự")),
    Column("title", "Nhiệm vụ", aliases=(
        "Tên nhiệm vụ", "Nội dung nhiệm vụ", "Nội dung công việc", "Nội dung", "Nhiệm vụ, giải pháp",
        "Nhiệm vụ cụ thể", "Nội dung thực hiện", "Tên công việc", "Công việc")),
    Column("description", "Mô tả", aliases=("Mô tả nhiệm vụ",), optional=True),
    Column("lead_unit", "Đơn vị chủ trì", aliases=(
        "Cơ quan chủ trì", "Đơn vị chủ trì thực hiện", "Cơ quan chủ trì thực hiện", "Chủ trì",
        "Cơ quan, đơn vị chủ trì", "Đơn vị thực hiện chủ trì", "Cơ quan thực hiện chủ trì"),
        optional=True),
    Column("coordinators", "Đơn vị phối hợp", aliases=(
        "Cơ quan phối hợp", "Phối hợp", "Đơn vị phối hợp thực hiện", "Cơ quan phối hợp thực hiện",
        "Cơ quan, đơn vị phối hợp", "Đơn vị thực hiện phối hợp", "Cơ quan thực hiện phối hợp"),
        optional=True),
    Column("assignee", "Người thực hiện", optional=True),
    Column("leader", "Lãnh đạo phụ trách", optional=True),
    Column("responsibility", "Trách nhiệm", optional=True),
    Column("steps", "Quy trình", optional=True),
    Column("start_on", "Ngày bắt đầu", aliases=("Thời gian bắt đầu",), optional=True),
    Column("due_on", "Hạn hoàn thành", aliases=(
        "Thời gian hoàn thành", "Thời hạn hoàn thành", "Thời hạn", "Tiến độ hoàn thành",
        "Thời gian thực hiện", "Hạn", "Thời hạn thực hiện"), optional=True),
    Column("output_product", "Sản phẩm đầu ra", aliases=(
        "Sản phẩm", "Kết quả/sản phẩm", "Kết quả, sản phẩm", "Hình thức văn bản", "Sản phẩm dự kiến",
        "Hình thức sản phẩm", "Kết quả"), optional=True),
    Column("indicator_name", "Chỉ tiêu", optional=True),
    Column("indicator_unit", "Đơn vị tính", optional=True),
    Column("indicator_target", "Giá trị mục tiêu", optional=True),
    Column("field", "Lĩnh vực", optional=True),
    Column("weight", "Trọng số", optional=True),
    Column("progress", "Tiến độ (%)", optional=True),
    Column("completed_on", "Ngày hoàn thành", optional=True),
    Column("indicator_actual", "Giá trị thực hiện", optional=True),
    # A recurring task (docs/recurring.md): "Hằng tháng", "Hằng quý", "6 tháng", "Hằng năm",
    # with the due day if given ("Hằng tháng, trước ngày 20"); the row is then a rule.
    Column("recurrence", "Định kỳ", aliases=("Tần suất", "Lặp lại", "Định kỳ báo cáo"),
           optional=True),
    # Issue 13: a key task (x / có) and the indicator's direction (cao / thấp); the
    # achievement is exported for reading and ignored on import (it is computed).
    Column("is_key", "Trọng tâm", aliases=("Nhiệm vụ trọng tâm",), optional=True),
    Column("indicator_direction", "Chiều chỉ tiêu", optional=True),
    Column("achievement", "Tỷ lệ đạt (%)", optional=True),
)
# Columns a plan as issued may have that the template has not: read, never exported.
EXTRA_COLUMNS = (
    Column("note", "Ghi chú", aliases=("Ghi chú khác",), optional=True),
)
HEADERS = tuple(c.header for c in COLUMNS)
# What a column of the file may be said to be in the preview: (key, header).
COLUMN_CHOICES = tuple((c.key, c.header) for c in (*COLUMNS, *EXTRA_COLUMNS))
LABEL = {c.key: c.header for c in (*COLUMNS, *EXTRA_COLUMNS)}
PROGRESS_KEYS = ("progress", "completed_on", "indicator_actual")
# The rule set's fields (those of the task form) as the template's columns.
RULE_COLUMNS = {"title": "title", "description": "description", "assignee_id": "assignee",
                "lead_unit_id": "lead_unit", "coordinator_ids": "coordinators",
                "leader_id": "leader", "responsibility": "responsibility", "steps": "steps",
                "start_on": "start_on", "due_on": "due_on", "output_product": "output_product",
                "indicator_name": "indicator_name", "indicator_unit": "indicator_unit",
                "indicator_target": "indicator_target", "field_id": "field", "weight": "weight",
                "is_key": "is_key", "indicator_direction": "indicator_direction"}
# Columns whose blank cell keeps a stored task's value (the progress columns always did).
# The words of the "Trọng tâm" and "Chiều chỉ tiêu" cells, folded (no diacritics, lower case).
KEY_YES = frozenset({"x", "co", "1", "yes", "true", "trong tam"})
KEY_NO = frozenset({"khong", "0", "no", "false", "-"})
DIRECTION_WORDS = {"cao": "higher", "tang": "higher", "cang cao cang tot": "higher",
                   "higher": "higher", "thap": "lower", "giam": "lower",
                   "cang thap cang tot": "lower", "lower": "lower"}
KEEPABLE = frozenset(c.key for c in COLUMNS) - {"stt", "achievement", *PROGRESS_KEYS}


def _key(text) -> str:
    """A header as compared: folded, letters and digits only ("Tiến độ (%)" -> "tiendo")."""
    return re.sub(r"[^a-z0-9]", "", fold(str(text or "")))


_BY_KEY = {}
for _c in (*COLUMNS, *EXTRA_COLUMNS):
    for _k in (_key(_c.header), *(_key(a) for a in _c.aliases)):
        _BY_KEY.setdefault(_k, _c.key)


# ------------------------------------------------------------------ issues

@dataclass(frozen=True)
class Issue:
    """One error that stops the import, located by sheet row and column when it has one."""

    message: str
    row: int | None = None
    column: str | None = None
    # The untranslated message and its values, so that an issue found in the parsing process
    # (no request, no language) is translated again in the user's language (isolation.py).
    msgid: str = ""
    params: tuple = ()

    @property
    def text(self) -> str:
        if self.row is not None and self.column:
            return _("Row %(row)s, column %(column)s: %(message)s", row=self.row,
                     column=self.column, message=self.message)
        if self.row is not None:
            return _("Row %(row)s: %(message)s", row=self.row, message=self.message)
        return self.message

    def __str__(self) -> str:
        return self.text


def file_issue(msgid: str, **params) -> Issue:
    """An issue of the whole file, translated (numbers in the reader's style: 5.000), with
    what it takes to translate it again where it is shown (isolation.py)."""
    shown = {k: format_decimal(v) if isinstance(v, int) else v for k, v in params.items()}
    return Issue(_(msgid, **shown), msgid=msgid, params=tuple(sorted(params.items())))


def translated(issue: Issue) -> Issue:
    """An issue of the whole file in the current language (read where there was none)."""
    return file_issue(issue.msgid, **dict(issue.params)) if issue.msgid else issue


class ImportRefused(Exception):
    """The file cannot be imported; `preview` holds the errors (and all that was read)."""

    def __init__(self, preview: "Preview"):
        super().__init__("; ".join(i.text for i in preview.errors[:5]))
        self.preview = preview


