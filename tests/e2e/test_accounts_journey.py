import re

from playwright.sync_api import expect

from tests.e2e.conftest import serious_accessibility_violations, shoot, sign_in
from tests.factories import DEFAULT_PASSWORD, UserFactory


def test_visitor_signs_up_signs_out_and_signs_back_in(page, live_server):
    page.goto(live_server.url)
    page.get_by_role("link", name="Join").click()
    page.get_by_label("Email").fill("rowan@example.com")
    page.get_by_label("Username").fill("rowan")
    page.get_by_label("Display name").fill("Rowan Reader")
    page.get_by_label(re.compile(r"^Password:?$")).fill("a-long-unusual-passphrase")
    page.get_by_label("Password (again)").fill("a-long-unusual-passphrase")
    shoot(page, "signup")
    page.get_by_role("button", name="Sign Up").click()

    menu = page.locator("details.member-menu")
    expect(menu).to_contain_text("Rowan Reader")
    menu.locator("summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    sign_in(page, live_server.url, "rowan@example.com", "a-long-unusual-passphrase")
    expect(page.locator("details.member-menu")).to_contain_text("Rowan Reader")
    page.locator("details.member-menu summary").click()
    page.get_by_role("link", name="Your profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rowan Reader")
    shoot(page, "profile")


def test_wrong_password_is_told_and_email_kept(page, live_server):
    UserFactory(email="known@example.com")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("known@example.com")
    page.get_by_label(re.compile(r"^Password:?$")).fill("not-the-password")
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page.get_by_text(re.compile("not correct", re.I))).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("known@example.com")
    shoot(page, "login-error")


def test_sign_in_and_sign_up_pages_have_no_serious_accessibility_violations(browser, live_server):
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        assert serious_accessibility_violations(browser, f"{live_server.url}{path}") == [], path


def test_profile_page_has_no_serious_accessibility_violations(browser, live_server):
    member = UserFactory(password=DEFAULT_PASSWORD)
    assert serious_accessibility_violations(browser, f"{live_server.url}{member.get_absolute_url()}") == []
