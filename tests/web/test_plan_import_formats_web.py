"""The upload page with plans as they were written (issue 14): a Word document and an old
.xls go through preview (the column mapping, the deadlines read) and confirmation."""

from web_support import parse

from tests.plan_docs import word, xls
from tests.services.test_plan_import_formats import WORD_PLAN
from tests.web.test_plan_import_web import n_tasks, new_plan, upload


def columns(doc) -> dict:
    """The column-mapping form of the preview: {header as written: the column chosen}."""
    form = doc.by_id("import-columns")
    out = {}
    for select in form.find_all("select"):
        label = form.find("label", **{"for": select.attrs["id"]}).text()
        chosen = [o.attrs["value"] for o in select.find_all("option") if "selected" in o.attrs]
        out[label] = chosen[0] if chosen else ""
    return out


def test_a_word_plan_previews_its_mapping_and_deadlines_then_imports(world, make, as_user):
    plan = new_plan(world, make)
    c = as_user("head_a")
    before = n_tasks()
    # The name says .xlsx: the content decides.
    resp = upload(c, plan.id, word(WORD_PLAN, merges=[(2, 2, 3, 2)]), "ke-hoach.xlsx")
    assert resp.status_code == 200
    doc = parse(resp.get_data(as_text=True))
    mapping = columns(doc)
    assert mapping["“Nội dung nhiệm vụ”"] == "title"
    assert mapping["“Thời hạn hoàn thành”"] == "due_on"
    assert mapping["“Ghi chú”"] == "note"
    deadlines = {tr.attrs["data-stt"]: tr.find(cls="import-deadline")
                 for tr in doc.by_id("import-rows").find_all("tr", **{"data-action": "add"})}
    assert deadlines["I.1"].attrs["data-due"] == "2026-06-30"
    assert "“Tháng 6/2026” được hiểu là ngày 30/06/2026" in deadlines["I.1"].text()
    assert deadlines["I.3"].attrs["data-due"] == ""
    assert "“Thường xuyên” không chỉ ra ngày" in deadlines["I.3"].text()
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
    assert list(columns(doc).values()) == [
        "stt", "title", "lead_unit", "coordinators", "due_on", "output_product", "note"]
    token = doc.find("input", name="token").attrs["value"]
    assert c.post(f"/plans/{plan.id}/import/confirm", data={"token": token}).status_code == 302
    assert n_tasks() == before + 3


def test_a_file_that_is_no_plan_is_refused_in_vietnamese(world, make, as_user):
    plan = new_plan(world, make)
    c = as_user("head_a")
    resp = upload(c, plan.id, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "ke-hoach.xls")
    assert resp.status_code == 422
    assert "Tệp không phải là tệp Excel (.xlsx, .xls) hay Word (.docx) đọc được." in resp.get_data(as_text=True)


OWN_WORDS = [["STT", "Nhiệm vụ", "Đơn vị làm", "Mốc thời gian", "Ngày xong"],
             ["1", "Rà soát thủ tục", "SNV", "Quý II", None],
             ["2", "Kiểm tra", "SNV", "30/09/2026", "10/06/2026"]]


def _remap(c, plan_id, doc, **chosen):
    token = doc.find("input", name="token").attrs["value"]
    form = doc.by_id("import-columns")
    data = {"token": token}
    for select in form.find_all("select"):
        data[select.attrs["name"]] = select.attrs.get("data-column", "")
    data.update(chosen)
    return c.post(f"/plans/{plan_id}/import/columns", data=data, follow_redirects=True)


def test_the_user_corrects_the_columns_and_the_file_is_read_again(world, make, as_user):
    """Columns named in the unit's own words are not understood; the user says what they are,
    the stored upload is read again (the same cells), checked, then confirmed."""
    plan = new_plan(world, make)
    c = as_user("head_a")
    before = n_tasks()
    resp = upload(c, plan.id, word(OWN_WORDS), "ke-hoach.docx")
    assert resp.status_code == 200
    doc = parse(resp.get_data(as_text=True))
    assert columns(doc) == {"“STT”": "stt", "“Nhiệm vụ”": "title", "“Đơn vị làm”": "",
                            "“Mốc thời gian”": "", "“Ngày xong”": ""}
    assert [tr.attrs["data-stt"] for tr in doc.by_id("import-rows").find_all("tr", **{"data-action": "add"})] == ["1", "2"]
    again = _remap(c, plan.id, doc, **{"column-2": "lead_unit", "column-3": "due_on"})
    assert again.status_code == 200
    doc = parse(again.get_data(as_text=True))
    assert columns(doc)["“Đơn vị làm”"] == "lead_unit" and columns(doc)["“Mốc thời gian”"] == "due_on"
    rows = doc.by_id("import-rows").find_all("tr", **{"data-action": "add"})
    assert "Sở Nội vụ" in rows[0].text()
    assert rows[0].find(cls="import-deadline").attrs["data-due"] == "2026-06-30"
    assert n_tasks() == before
    token = doc.find("input", name="token").attrs["value"]
    assert c.post(f"/plans/{plan.id}/import/confirm", data={"token": token}).status_code == 302
    assert n_tasks() == before + 2


def test_a_column_chosen_is_checked_like_a_file_column(world, make, as_user):
    """INTEGRITY: a column said to be the completion date goes through the completion rules
    (an issued plan completes a task only through submit and confirm), and a choice that is
    no column (a task's status, is_clear) is ignored."""
    from app.extensions import db
    plan = new_plan(world, make)
    plan.status = "issued"
    db.session.commit()
    c = as_user("head_a")
    doc = parse(upload(c, plan.id, word(OWN_WORDS), "ke-hoach.docx").get_data(as_text=True))
    resp = _remap(c, plan.id, doc, **{"column-2": "lead_unit", "column-4": "completed_on"})
    assert resp.status_code == 422
    page = parse(resp.get_data(as_text=True))
    errors = page.by_id("import-errors").text()
    assert "Dòng 3, cột Ngày hoàn thành: kế hoạch đã ban hành" in errors
    assert page.by_id("confirm-import") is None
    forged = _remap(c, plan.id, doc, **{"column-2": "status", "column-3": "is_clear"})
    assert forged.status_code == 404  # the first token was spent by the correction above
    token = page.find("input", name="token").attrs["value"]
    assert c.post(f"/plans/{plan.id}/import/confirm", data={"token": token}).status_code == 422
    forged = _remap(c, plan.id, page, **{"column-2": "status", "column-4": "is_clear"})
    assert forged.status_code == 422  # read as before: "Ngày xong" is no column now, no status
    assert columns(parse(forged.get_data(as_text=True)))["“Đơn vị làm”"] == "lead_unit"


def test_two_columns_cannot_be_the_same_and_stt_and_task_are_required(world, make, as_user):
    plan = new_plan(world, make)
    c = as_user("head_a")
    doc = parse(upload(c, plan.id, word(OWN_WORDS), "ke-hoach.docx").get_data(as_text=True))
    resp = _remap(c, plan.id, doc, **{"column-2": "title", "column-0": ""})
    assert resp.status_code == 422
    errors = parse(resp.get_data(as_text=True)).by_id("import-errors").text()
    assert "Hai cột (“Nhiệm vụ” và “Đơn vị làm”) không thể cùng là Nhiệm vụ." in errors
    assert "Hãy chọn cột STT." in errors


def test_someone_elses_upload_cannot_be_read_again(world, make, as_user):
    plan = new_plan(world, make)
    doc = parse(upload(as_user("head_a"), plan.id, word(OWN_WORDS)).get_data(as_text=True))
    other = as_user("admin")
    assert _remap(other, plan.id, doc, **{"column-2": "lead_unit"}).status_code in (403, 404)
