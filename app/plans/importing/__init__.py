"""Import an annual plan from a file: read it safely (reader), resolve the units and people it
names (directory), check every row through the task rule set and preview what will happen
(checker), then write it all-or-nothing (writer); uploads wait for confirmation (uploads).

Callers use this package's names: `from app.plans import importing as plan_import`."""

from app.plans.importing.checker import ADD, CHANGE, SAME, Preview, RowPlan, preview
from app.plans.importing.columns import (
    COLUMN_CHOICES,
    COLUMNS,
    HEADERS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    PROGRESS_KEYS,
    ImportRefused,
    Issue,
)
from app.plans.importing.directory import Directory, UnitRef
from app.plans.importing.reader import Sheet, read_sheet, remap
from app.plans.importing.uploads import discard_upload, load_upload, store_upload
from app.plans.importing.writer import (
    apply,
    check_can_import,
    plan_for,
    record_plan_created,
)

__all__ = [
    "ADD",
    "CHANGE",
    "COLUMNS",
    "COLUMN_CHOICES",
    "HEADERS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "PROGRESS_KEYS",
    "SAME",
    "Directory",
    "ImportRefused",
    "Issue",
    "Preview",
    "RowPlan",
    "Sheet",
    "UnitRef",
    "apply",
    "check_can_import",
    "discard_upload",
    "load_upload",
    "plan_for",
    "preview",
    "read_sheet",
    "record_plan_created",
    "remap",
    "store_upload",
]
