"""Cell values as the checker reads them: text, dates, numbers, numbers of tasks."""

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from openpyxl.utils.datetime import from_excel

from app.domain.text import fold, normalize_space
from app.formfields import parse_date, parse_decimal
from app.reports.xlsx import FORMULA_STARTS

_STT = re.compile(r"^\d+(\.\d+)*$")
# A task's number as officials write it (issue 14): an optional section ("II."), numbers
# ("1", "1.1"), letters ("2.a") and the numbers of bullets under them ("2.a.1").
OFFICIAL_STT = re.compile(r"^(?:[IVXLCDM]+\.)?\d+(?:\.(?:\d+|[a-zđ]))*$")
# "a)", "a.", "b)" in the STT cell, or at the start of the task ("a) Rà soát …").
LETTER = re.compile(r"^([a-zđ])\s*[).]$")
LETTER_TITLE = re.compile(r"^([a-zđ])\)\s+(\S.*)$", re.DOTALL)
# "-" and "+" bullets (and "•", "–"), alone in the STT cell or at the start of the task.
BULLET_MARK = re.compile(r"^[-+•–]$")
BULLET_TITLE = re.compile(r"^([-+•–])\s*(\S.*)$", re.DOTALL)
_ROMAN = re.compile(r"^[IVXLCDM]+$")
_ROMAN_TITLE = re.compile(r"^([IVXLCDM]+)\s*[.):\-–]\s*(\S.*)$")
_BULLET = re.compile(r"^\s*(?:[-+•*–]|\d+[.)])\s+")
_STEP_DATE = re.compile(r"^(.*?)\s*[(\[]\s*(?:hạn|han|hạn:|han:|deadline:?)?\s*"
                        r"([0-9][0-9/.\-]{5,})\s*[)\]]\s*$", re.IGNORECASE)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str:
    """A cell as text: NFC, Windows line ends unified, ends trimmed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        value = format(value, ".15g")
    elif isinstance(value, bool):
        value = "1" if value else "0"
    elif isinstance(value, str) and value[:1] == "'" and value[1:2] in FORMULA_STARTS:
        # Exports made before the quote-prefix style wrote text that looks like a formula
        # as '=... (today they write it as typed); read those files back as typed too.
        value = value[1:]
    text = str(value)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "\n" not in text and "\r" not in text:
        return text.strip()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _shown(value) -> str:
    """A raw value as quoted in a message."""
    return _text(value)[:60]


def _date(value) -> date:
    """A real Excel date, a date serial, or text dd/mm/yyyy, d/m/yyyy, yyyy-mm-dd."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Serials of 1950-2200 only: a bare 2026 is a mistake, not 18/07/1905.
        if 18264 <= value <= 110000:
            return from_excel(value).date()
        raise ValueError(value)
    d = parse_date(_text(value))
    if d is None:
        raise ValueError(value)
    return d


def _decimal(value) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(value)  # noqa: TRY004 - TRUE in a number column: "not a number"
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(format(value, ".15g"))
    if isinstance(value, Decimal):
        return value
    text = _text(value).rstrip("%").strip()
    try:
        d = parse_decimal(text)
    except (InvalidOperation, ValueError):
        raise ValueError(value) from None
    if d is None:
        raise ValueError(value)
    return d


def _stt(value) -> str:
    """"2.1" from 2.1 (a number), " 2.1. " or "02.1"; "II.3" and "2.a" as written; "I" for a
    section; "" when blank."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _text(value).replace(" ", "").rstrip(".")
    if _STT.match(text):
        return ".".join(str(int(p)) for p in text.split("."))
    if OFFICIAL_STT.match(text):
        return ".".join(str(int(p)) if p.isdecimal() else p for p in text.split("."))
    return text


def numbering_only(value) -> bool:
    """A cell holding only a number, a letter or a bullet (a row prepared and left empty)."""
    text = _text(value).replace(" ", "")
    return bool(OFFICIAL_STT.match(_stt(value)) or LETTER.match(text) or BULLET_MARK.match(text))


def _split(text: str) -> list[str]:
    """Several values in a cell: one per line and separated by ";" (issue 14)."""
    parts = re.split(r"[;\n]", text)
    return [normalize_space(p) for p in parts if normalize_space(p)]




# ------------------------------------------------------------------ deadlines in words

_ROMAN_QUARTER = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
# fold() turns "/", "-" and "." into spaces: "Tháng 6/2026" is read as "thang 6 2026".
_YEAR = r"(?:\s+(?:nam\s+)?(\d{4}))?"
_MONTH_WORDS = re.compile(r"^(?:truoc\s+|trong\s+|cuoi\s+)?thang\s+(\d{1,2})" + _YEAR + "$")
_QUARTER_WORDS = re.compile(r"^(?:truoc\s+|trong\s+|cuoi\s+)?quy\s+(iv|i{1,3}|[1-4])" + _YEAR + "$")
# "6 tháng" alone is six-monthly recurring work (recurrence_in_words), not a date.
_MONTHS_OF_YEAR = re.compile(r"^(6\s+thang\s+dau\s+nam|9\s+thang(?:\s+dau\s+nam)?)" + _YEAR + "$")
_BEFORE = re.compile(r"^(?:truoc|cham\s+nhat|han\s+chot|den)(?:\s+ngay)?\s+(\d{1,2})\s+(\d{1,2})"
                     r"(?:\s+(\d{4}))?$")
_WHOLE_YEAR = re.compile(r"^(?:trong\s+|ca\s+|cuoi\s+)?nam(?:\s+(\d{4}))?$")
_RECURRING = re.compile(r"^(thuong\s+xuyen|hang\s+(ngay|tuan|thang|quy|nam)|dinh\s+ky.*|lien\s+tuc)$")
# Text that means to be a date (digits and separators): a typo in it is an error, not words.
DATE_LIKE = re.compile(r"^\s*\d{1,4}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,4}\s*$")


def _month_end(year: int, month: int) -> date:
    return date(year, 12, 31) if month == 12 else date(year, month + 1, 1) - timedelta(days=1)


def deadline_in_words(text: str, plan_year: int) -> tuple[date | None, bool]:
    """A deadline written in words, read as the last day of what it names (issue 14):
    "Tháng 6/2026", "Quý II", "6 tháng đầu năm", "9 tháng", "Trước ngày 30/6/2026",
    "Năm 2026", "Cả năm"; a year left out is the plan's. Returns (the date or None,
    recurring): "Thường xuyên", "Hằng tháng", "Hằng quý" … are recurring work, no date."""
    words = fold(text)
    if _RECURRING.match(words):
        return None, True
    try:
        if m := _MONTH_WORDS.match(words):
            month, year = int(m.group(1)), int(m.group(2) or plan_year)
            return (_month_end(year, month), False) if 1 <= month <= 12 else (None, False)
        if m := _QUARTER_WORDS.match(words):
            q, year = _ROMAN_QUARTER[m.group(1)], int(m.group(2) or plan_year)
            return _month_end(year, q * 3), False
        if m := _MONTHS_OF_YEAR.match(words):
            return _month_end(int(m.group(2) or plan_year), int(m.group(1)[0])), False
        if m := _BEFORE.match(words):
            return date(int(m.group(3) or plan_year), int(m.group(2)), int(m.group(1))), False
        if m := _WHOLE_YEAR.match(words):
            return date(int(m.group(1) or plan_year), 12, 31), False
    except ValueError:
        return None, False
    return None, False


# ------------------------------------------------------------------ recurring work in words

# "Hằng tháng", "Hàng quý", "6 tháng", "Định kỳ hằng năm", "Hằng tháng, trước ngày 20": a
# recurring task (app/plans/recurring.py), with the due day when the words give one.
_EVERY = {"thang": "monthly", "quy": "quarterly", "nam": "yearly"}
_RECURRENCE = re.compile(
    r"^(?:bao\s+cao\s+)?(?:dinh\s+ky\s*)?(?:(?:hang|moi)\s+(thang|quy|nam)|(6)\s+thang(?:\s+mot\s+lan)?"
    r"|(9)\s+thang\s+mot\s+lan)?(?:\s+(?:truoc|cham\s+nhat|vao|han)?\s*(?:ngay\s+)?(\d{1,2}))?$")


def recurrence_in_words(text: str) -> tuple[str, int | None] | None:
    """(frequency, due day or None) of recurring work written in words, else None:
    "Hằng tháng"/"Hàng tháng" monthly, "Hằng quý"/"Hàng quý" quarterly, "6 tháng" six-monthly,
    "Hằng năm" yearly, "Định kỳ" alone quarterly (the usual CCHC report); "..., trước ngày
    20" gives the due day. "6 tháng đầu năm" and "9 tháng" name a date (deadline_in_words);
    "Thường xuyên" is continuous work, not a recurring task."""
    words = fold(text).strip()
    if not words or words.startswith("thuong"):
        return None
    m = _RECURRENCE.match(words)
    if m is None or not (m.group(1) or m.group(2) or m.group(3) or words.startswith(("dinh ky", "bao cao dinh ky"))):
        return None
    if m.group(1):
        frequency = _EVERY[m.group(1)]
    elif m.group(2):
        frequency = "half_yearly"
    elif m.group(3):
        frequency = "nine_months"
    else:
        frequency = "quarterly"
    day = int(m.group(4)) if m.group(4) else None
    return frequency, day
