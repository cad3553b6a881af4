"""The top bar on the screens officials use: one line on a 1366-pixel laptop for every role,
no link broken over two lines, and the account link (name, role) leads to the password page."""
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_horizontal_overflow

# One line of nav links is about 56 px high; two lines make it 80 px or more.
ONE_LINE_PX = 70
SMALL_LAPTOP = {"width": 1280, "height": 800}


@pytest.mark.e2e
@pytest.mark.parametrize("username", ["admin", "head_a", "staff_a"])
@pytest.mark.parametrize("viewport", [None, SMALL_LAPTOP], ids=["1366", "1280"])
def test_the_top_bar_is_one_line_on_a_laptop(open_page, live, username, viewport):
    page = open_page(username, viewport=viewport)
    page.goto(live.url + "/plans")
    nav = page.locator("nav.app-nav")
    expect(page.locator(".navbar-toggler")).to_be_hidden()
    assert nav.bounding_box()["height"] < ONE_LINE_PX
    for link in page.locator("#mainnav .nav-link").all():
        box = link.bounding_box()
        assert box["height"] < ONE_LINE_PX / 2 + 8, link.inner_text()
    assert_no_horizontal_overflow(page)
    assert page.errors == []


@pytest.mark.e2e
def test_the_account_link_names_the_user_and_opens_the_password_page(open_page, live):
    page = open_page("head_a")
    page.goto(live.url + "/")
    account = page.locator("nav a.app-account")
    name = live.query(lambda: __import__("app.models", fromlist=["User"]).User.query
                      .filter_by(username="head_a").one().full_name)
    expect(account).to_contain_text(name)
    account.click()
    expect(page.locator("main h1")).to_have_text(live.tr("Change password"))
