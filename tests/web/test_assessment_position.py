"""The leaders' "Chức vụ" column says the same on the assessment page (live, frozen and
print) as in the official XLSX: the leader's post (chức vụ: "Phó Giám đốc Sở") where it is
recorded, else the role (người đứng đầu, cấp phó)."""

from io import BytesIO

from openpyxl import load_workbook
from web_support import page

from app.extensions import db
from app.models import User
from tests.conftest import issue_world_plans

Q2 = "period=2026-Q2&as_of=15/06/2026"


def cell(doc, user_id: int) -> str:
    row = doc.find("tr", **{"data-leader-id": str(user_id)})
    return row.find("td", cls="leader-role").text()


def xlsx_positions(resp) -> dict[str, str]:
    ws = load_workbook(BytesIO(resp.get_data()))["Lãnh đạo"]
    rows = list(ws.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] == "STT")
    name, position = rows[at].index("Họ và tên"), rows[at].index("Chức vụ")
    return {r[name]: r[position] for r in rows[at + 1:] if r[name]}


def test_the_page_shows_the_post_the_export_writes(world, as_user):
    issue_world_plans(world)
    db.session.get(User, world.deputy.id).title = "Phó Giám đốc Sở"
    db.session.commit()
    c = as_user("assessor")
    exported = xlsx_positions(c.get(f"/assessment/export.xlsx?{Q2}"))
    assert exported[world.deputy.full_name] == "Phó Giám đốc Sở"
    assert exported[world.head.full_name] == "Người đứng đầu"
    resp = c.post("/assessment/freeze", data={"period": "2026-Q2", "as_of": "15/06/2026", "unit": ""})
    for url in (f"/assessment?{Q2}", f"/assessment/print?{Q2}", resp.headers["Location"]):
        doc = page(c.get(url))
        assert cell(doc, world.deputy.id) == "Phó Giám đốc Sở", url
        assert cell(doc, world.head.id) == "Người đứng đầu", url
        assert cell(doc, world.deputy_b.id) == "Cấp phó", url
    c.post("/language/en", data={"next": "/"})
    doc = page(c.get(f"/assessment?{Q2}"))
    assert cell(doc, world.deputy.id) == "Phó Giám đốc Sở"   # a post is a name, never translated
    assert cell(doc, world.deputy_b.id) == "Deputy head"
