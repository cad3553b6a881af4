"""The upload page with plans as they were written (issue 14): a Word document and an old
.xls go through preview (the column mapping, the deadlines read) and confirmation."""

from web_support import parse

from tests.plan_docs import word, xls
from tests.services.test_plan_import_formats import WORD_PLAN
from tests.web.test_plan_import_web import n_tasks, new_plan, upload


def test_a_word_plan_previews_its_mapping_and_deadlines_then_imports(world, make, as_user):
    plan = new_plan(world, make)
    c = as_user("head_a")
    before = n_tasks()
    # The name says .xlsx: the content decides.
    resp = upload(c, plan.id, word(WORD_PLAN, merges=[(2, 2, 3, 2)]), "ke-hoach.xlsx")
    assert resp.status_code == 200
    doc = parse(resp.get_data(as_text=True))
    mapping = {li.attrs["data-column"]: li.text() for li in doc.by_id("import-mapping").find_all("li")}
    assert mapping["Nhiệm vụ"] == "“Nội dung nhiệm vụ” → Nhiệm vụ"
    assert mapping["Hạn hoàn thành"] == "“Thời hạn hoàn thành” → Hạn hoàn thành"
    assert mapping["Ghi chú"] == "“Ghi chú” → Ghi chú"
    deadlines = {tr.attrs["data-stt"]: tr.find(cls="import-deadline")
                 for tr in doc.by_id("import-rows").find_all("tr", **{"data-action": "add"})}
    assert deadlines["1"].attrs["data-due"] == "2026-06-30"
    assert "“Tháng 6/2026” được hiểu là ngày 30/06/2026" in deadlines["1"].text()
    assert deadlines["3"].attrs["data-due"] == ""
    assert "“Thường xuyên” không chỉ ra ngày" in deadlines["3"].text()
    assert n_tasks() == before
    token = doc.find("input", name="token").attrs["value"]
    done = c.post(f"/plans/{plan.id}/import/confirm", data={"token": token})
    assert done.status_code == 302
    assert n_tasks() == before + 4


def test_an_old_xls_plan_imports_through_the_page(world, make, as_user):
    plan = new_plan(world, make)
    c = as_user("head_a")
    before = n_tasks()
    resp = upload(c, plan.id, xls("ke-hoach-cu.xls"), "ke-hoach-cu.xls")
    assert resp.status_code == 200
    doc = parse(resp.get_data(as_text=True))
    assert [li.attrs["data-column"] for li in doc.by_id("import-mapping").find_all("li")] == [
        "STT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Hạn hoàn thành",
        "Sản phẩm đầu ra", "Ghi chú"]
    token = doc.find("input", name="token").attrs["value"]
    assert c.post(f"/plans/{plan.id}/import/confirm", data={"token": token}).status_code == 302
    assert n_tasks() == before + 3


def test_a_file_that_is_no_plan_is_refused_in_vietnamese(world, make, as_user):
    plan = new_plan(world, make)
    c = as_user("head_a")
    resp = upload(c, plan.id, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "ke-hoach.xls")
    assert resp.status_code == 422
    assert "Tệp không phải là tệp Excel (.xlsx, .xls) hay Word (.docx) đọc được." in resp.get_data(as_text=True)
