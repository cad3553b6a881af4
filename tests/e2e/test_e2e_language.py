"""The language switch (Tiếng Việt ⇄ English), Vietnamese text intact in the browser,
real CSRF protection, and the remaining pages at phone width."""

import re
import unicodedata

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PHONE, assert_no_horizontal_overflow, login, shot


def switch_button(page):
    return page.locator("nav form[action^='/language/'] button")


@pytest.mark.e2e
def test_language_switch_and_vietnamese_text(open_page, live):
    ids = live.ids
    page = open_page()
    page.goto(live.url + "/login")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_have_text(live.tr("Log in", "vi"))
    expect(switch_button(page)).to_have_text("English")

    # Before logging in: the choice is kept in the session and survives the login.
    switch_button(page).click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(live.tr("Log in", "en"))
    expect(switch_button(page)).to_have_text("Tiếng Việt")
    login(page, live, "lang_a")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav")).to_contain_text(live.tr("My tasks", "en"))

    # The plan page in English: clear labels and reasons in English, data as typed.
    page.goto(f"{live.url}/plans/{ids.plan}")
    generic = page.locator(f"tr[data-task-id='{ids.generic}']")
    expect(generic.locator(".badge[data-clear='person']")).to_contain_text("✗ Clear person")
    expect(generic.locator(".badge[data-clear='person']")).to_have_attribute(
        "title", re.compile("No responsible person"))
    expect(page.locator("h1")).to_have_text("Kế hoạch cải cách hành chính năm 2026")
    shot(page, "13-plan-english")

    # Back to Vietnamese on the same page (a query string is kept).
    page.goto(f"{live.url}/plans/{ids.plan}?page=1")
    switch_button(page).click()
    expect(page).to_have_url(re.compile(rf"/plans/{ids.plan}\?page=1$"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(switch_button(page)).to_have_text("English")
    expect(page.locator("nav")).to_contain_text(live.tr("My tasks", "vi"))
    expect(generic.locator(".badge[data-clear='person']")).to_contain_text("✗ Rõ người")
    expect(generic.locator(".badge[data-clear='person']")).to_have_attribute(
        "title", re.compile("Chưa có người thực hiện"))
    for label in ("Rõ người", "Rõ việc", "Rõ trách nhiệm", "Rõ quy trình", "Rõ thời gian", "Rõ hiệu quả"):
        expect(generic.locator(".six-clears")).to_contain_text(label)

    # Vietnamese text arrives intact: UTF-8, precomposed (NFC), names as typed.
    assert page.evaluate("document.characterSet") == "UTF-8"
    text = page.locator("body").inner_text()
    assert unicodedata.normalize("NFC", text) == text
    for phrase in ("Nguyễn Thị Ánh Tuyết", "Sở Nội vụ", "Tăng cường công tác cải cách hành chính",
                   "Phạm Văn Đăng", "Ngô Thị Lan"):
        assert phrase in text, phrase
    # ...and is drawn with a real font, not boxes: a precomposed letter is as wide as the
    # same letter with combining marks, which only a font that has the glyphs manages.
    widths = page.evaluate("""() => {
        const c = document.createElement('canvas').getContext('2d');
        c.font = getComputedStyle(document.body).font;
        return ['ệ', 'e\\u0323\\u0302', 'e'].map(s => c.measureText(s).width);
    }""")
    assert widths[0] == pytest.approx(widths[1], abs=0.5) and widths[0] == pytest.approx(widths[2], abs=1.5), widths
    assert page.errors == []


@pytest.mark.e2e
def test_saved_language_follows_the_user_and_forms_need_csrf(open_page, live):
    page = open_page("lang_a")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    switch_button(page).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # A new browser (no session cookie): the user's own choice is applied at login.
    other = open_page("lang_a")
    expect(other.locator("html")).to_have_attribute("lang", "en")
    switch_button(other).click()
    expect(other.locator("html")).to_have_attribute("lang", "vi")

    # A form posted without its CSRF token is refused; the language does not change.
    resp = other.request.post(live.url + "/language/en", form={"next": "/"}, max_redirects=0)
    assert resp.status == 400
    other.reload()
    expect(other.locator("html")).to_have_attribute("lang", "vi")
    assert page.errors == [] and other.errors == []


@pytest.mark.e2e
def test_phone_login_dashboard_and_my_tasks(open_page, live):
    page = open_page(viewport=PHONE)
    page.goto(live.url + "/login")
    assert_no_horizontal_overflow(page)
    login(page, live, "staff_a")
    expect(page.locator("[data-count=within]")).to_be_visible()
    assert_no_horizontal_overflow(page)
    page.goto(live.url + "/tasks/mine")
    expect(page.locator("#task-table tbody tr[data-task-id]").first).to_be_visible()
    assert_no_horizontal_overflow(page)
    shot(page, "14-phone-my-tasks")
    assert page.errors == []
