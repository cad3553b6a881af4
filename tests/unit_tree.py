"""A unit tree for the tests of the order in which units are listed: created in an order that
is not the order of display, with more than ten units so that ordering the materialised path
as text (1, 10, 11, 2) would also go wrong."""

from app.directory import units
from app.extensions import db
from app.models import Unit

# (code, name, kind, parent code), in the order of creation.
UNITS = (
    ("T", "UBND tỉnh Thử Nghiệm", "province", None),
    ("T-XEK", "UBND Xã Ea Kar", "commune", "T"),
    ("T-PBMT", "UBND Phường Buôn Ma Thuột", "ward", "T"),
    ("T-SYT", "Sở Y tế", "department", "T"),
    ("T-SNV", "Sở Nội vụ", "department", "T"),
    ("T-VP", "Văn phòng UBND tỉnh", "department", "T"),
    ("T-DKPQ", "UBND Đặc khu Phú Quý", "special_zone", "T"),
    ("T-SCT", "Sở Công Thương", "department", "T"),
    ("T-STC", "Sở Tài chính", "department", "T"),
    ("T-XCM", "UBND Xã Cư M'gar", "commune", "T"),
    ("T-TTHCC", "Trung tâm Phục vụ hành chính công tỉnh", "office", "T"),
    ("T-SDTTG", "Sở Dân tộc và Tôn giáo", "department", "T"),
    ("T-SNV-TC", "Phòng Tổ chức, biên chế", "section", "T-SNV"),
    ("T-SNV-CCHC", "Phòng Cải cách hành chính", "section", "T-SNV"),
)

# A parent before its sub-units; siblings by kind (departments, offices, sections, then wards,
# communes, special zones), then in Vietnamese alphabetical order.
EXPECTED = (
    "T",
    "T-SCT",       # Sở Công Thương
    "T-SDTTG",     # Sở Dân tộc và Tôn giáo
    "T-SNV",       # Sở Nội vụ
    "T-SNV-CCHC",  # Phòng Cải cách hành chính
    "T-SNV-TC",    # Phòng Tổ chức, biên chế
    "T-STC",       # Sở Tài chính
    "T-SYT",       # Sở Y tế
    "T-VP",        # Văn phòng UBND tỉnh
    "T-TTHCC",     # office
    "T-PBMT",      # ward
    "T-XCM",       # commune: Cư M'gar before Ea Kar
    "T-XEK",
    "T-DKPQ",      # special zone
)


def build(parent: Unit | None = None) -> dict[str, Unit]:
    """Create the tree (under `parent`, else at the top), committed; the units by code."""
    made: dict[str, Unit] = {}
    for code, name, kind, parent_code in UNITS:
        top = parent.code if parent is not None else None
        made[code] = units.add_unit(code, name, parent_code or top, kind)
    db.session.commit()
    return made
