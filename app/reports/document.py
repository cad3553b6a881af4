"""The official document around a printed table (Decree 30/2020/NĐ-CP, appendix I): the
header (the issuing body under its parent, the number, the national title and motto, the
place and date), the kind and title, and the closing block (recipients, "Nơi nhận", and
who signs). One implementation for every print page and export that an official signs:
the plan, the assessment report, the overdue report, and the indicator set's ranking
and a unit's scoring sheet."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import Role, Unit, User

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"

# Who signs for a unit, by the kind of unit (Decree 30/2020, appendix I: "quyền hạn, chức vụ
# của người ký"): a People's Committee signs "TM." the committee, by its chair.
SIGNER_TITLES = {
    "province": ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
    "commune": ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
    "ward": ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
    "special_zone": ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
    "department": ("GIÁM ĐỐC",),
    "section": ("TRƯỞNG PHÒNG",),
}
DEFAULT_SIGNER_TITLE = ("THỦ TRƯỞNG ĐƠN VỊ",)
FILED = "Lưu: VT."  # the closing line of every "Nơi nhận": the records office keeps a copy


@dataclass(frozen=True)
class OfficialDocument:
    """What the header and the closing block of a document show; the page lays it out
    (app/templates/_document.html) and the XLSX writes the same lines."""

    issuer: tuple[str, ...]
    place: str
    issued_on: date
    kind: str  # "KẾ HOẠCH", "BÁO CÁO"
    title: str
    number: str = ""
    recipients: tuple[str, ...] = (FILED,)
    signer_title: tuple[str, ...] = DEFAULT_SIGNER_TITLE
    signer_name: str = ""

    @property
    def date_line(self) -> str:
        return date_line(self.place, self.issued_on)

    @property
    def number_line(self) -> str:
        """"Số: 12/KH-UBND", or the blank an official fills in by hand."""
        # non-breaking spaces: the blank keeps its width on the page and in Word
        return f"Số: {self.number}" if self.number else "Số:" + "\u00a0" * 8 + "/"


def date_line(place: str, d: date) -> str:
    """"Đắk Lắk, ngày 05 tháng 3 năm 2026": Decree 30/2020 writes a day below 10 and
    the months 1 and 2 with a leading zero."""
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"{place or '......'}, ngày {d.day:02d} tháng {month} năm {d.year}"


_PROVINCE = re.compile(r"^(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+(?:tỉnh|thành phố)\s+(.+)$",
                       re.IGNORECASE)


def default_issuer(scope_unit: Unit | None) -> tuple[str, ...]:
    """The issuing body in capitals: the scope unit under its parent ("UBND TỈNH ĐẮK LẮK",
    "SỞ NỘI VỤ"), or the root of the tree when everyone is assessed."""
    if scope_unit is None:
        roots = db.session.scalars(select(Unit.name).where(Unit.parent_id.is_(None), Unit.is_active)
                                   .order_by(Unit.path)).all()
        return (roots[0].upper(),) if len(roots) == 1 else ()
    lines = []
    if scope_unit.parent_id is not None:
        lines.append(db.session.scalar(select(Unit.name).where(Unit.id == scope_unit.parent_id)).upper())
    lines.append(scope_unit.name.upper())
    return tuple(lines)


def default_place(scope_unit: Unit | None) -> str:
    """The province of the tree's root ("UBND tỉnh Đắk Lắk" -> "Đắk Lắk"), else empty."""
    q = select(Unit.name).where(Unit.parent_id.is_(None), Unit.is_active).order_by(Unit.path)
    if scope_unit is not None:
        root_id = int(scope_unit.path.strip("/").split("/")[0])
        q = select(Unit.name).where(Unit.id == root_id)
    names = db.session.scalars(q).all()
    m = _PROVINCE.match(names[0].strip()) if len(names) == 1 else None
    return m.group(1) if m else ""


def _root_unit() -> Unit | None:
    roots = db.session.scalars(select(Unit).where(Unit.parent_id.is_(None), Unit.is_active)
                               .order_by(Unit.path).limit(2)).all()
    return roots[0] if len(roots) == 1 else None


def unit_head_name(unit: Unit | None) -> str:
    """The unit's head when it has exactly one (else a blank to sign by hand)."""
    if unit is None:
        return ""
    heads = db.session.scalars(select(User.full_name).where(
        User.unit_id == unit.id, User.role == Role.HEAD, User.is_active).limit(2)).all()
    return heads[0] if len(heads) == 1 else ""


def official_document(unit: Unit | None, issued_on: date, kind: str, title: str, *,
                      number: str = "", recipients: Sequence[str] = (),
                      signer_name: str | None = None) -> OfficialDocument:
    """The document a unit issues (`unit` None: the root of the tree, when there is one):
    its header from the unit and its parent, its signer's title from the unit's kind and
    the signer from `signer_name`, else the unit's head. "Lưu: VT." closes the recipients."""
    signer_unit = unit if unit is not None else _root_unit()
    recips = tuple(r for r in recipients if r) + (FILED,)
    return OfficialDocument(
        default_issuer(unit), default_place(unit), issued_on, kind, title, number, recips,
        SIGNER_TITLES.get(signer_unit.kind, DEFAULT_SIGNER_TITLE) if signer_unit else DEFAULT_SIGNER_TITLE,
        signer_name if signer_name is not None else unit_head_name(signer_unit))


def parent_recipient(unit: Unit | None) -> str:
    """"<parent> (để báo cáo);" for a unit under another, else empty."""
    if unit is None or unit.parent_id is None:
        return ""
    parent = db.session.scalar(select(Unit.name).where(Unit.id == unit.parent_id))
    return f"{parent} (để báo cáo);"

