"""A person makes an API token on its page, uses it from another system (the token works,
their browser session alone does not), revokes it; and subscribes to their deadline calendar."""

import re

import pytest
from playwright.sync_api import expect


@pytest.mark.e2e
def test_make_use_and_revoke_a_token_and_subscribe_to_the_calendar(open_page, live):
    page = open_page("staff_a")
    page.click("nav a.app-account")  # the account page (name · role) links to the tokens
    page.click("#account-tokens")
    expect(page.locator("h1")).to_have_text("Token API")
    page.fill("#name", "Hệ thống quản lý văn bản")
    page.uncheck("#read_only")
    page.fill("#expires_on", "31/12/2026")
    page.click("button[type=submit]:has-text('Tạo token')")
    secret = page.locator("#token-secret").inner_text().strip()
    assert re.fullmatch(r"sr_[A-Za-z0-9_-]{40,}", secret)
    row = page.locator("#tokens tbody tr").first
    expect(row).to_contain_text("Hệ thống quản lý văn bản")
    expect(row).to_contain_text("Đọc và ghi")

    api = page.request  # shares the browser's cookies: the session alone must not be enough
    assert api.get(live.url + "/api/v1/me").status == 401
    me = api.get(live.url + "/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status == 200 and me.json()["username"] == "staff_a"
    mine = api.get(live.url + "/api/v1/tasks?mine=true",
                   headers={"Authorization": f"Bearer {secret}"}).json()
    assert mine["total"] >= 1

    # Shown once: reloading the page no longer shows it.
    page.goto(live.url + "/tokens")
    expect(page.locator("#token-secret")).to_have_count(0)
    page.locator("#tokens tbody tr").first.locator("button:has-text('Thu hồi')").click()
    expect(page.locator("#tokens tbody tr").first).to_contain_text("Đã thu hồi")
    assert api.get(live.url + "/api/v1/me",
                   headers={"Authorization": f"Bearer {secret}"}).status == 401

    page.click("#calendar-link")
    page.click("button:has-text('Tạo địa chỉ lịch')")
    url = page.locator("#calendar-url").inner_text().strip()
    phone = page.context.browser.new_context()  # a phone's calendar: no session at all
    try:
        feed = phone.request.get(url)
        assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
        assert "BEGIN:VEVENT" in feed.text()
    finally:
        phone.close()
    assert page.errors == []
