"""A customer signs in through the company's identity provider (the test OpenID Connect
provider, a real separate process) and asks a question."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from community.models import Thread
from tests.accounts.sso import oidc
from tests.accounts.sso.apps import make_oidc_app
from tests.e2e.conftest import serious_accessibility_violations, shoot
from tests.factories import CategoryFactory

MEMBERS = {"grace": {"email": "grace@corp.example", "name": "Grace Hopper", "email_verified": True, "password": "idp-pw"}}


@pytest.fixture
def provider(live_server, tmp_path):
    started = oidc.start_provider(tmp_path, MEMBERS, callbacks=(f"{live_server.url}/accounts/oidc/company/login/callback/",))
    yield started
    started.stop()


def test_customer_signs_in_with_the_company_idp_and_asks(page, live_server, provider, browser):
    make_oidc_app(server_url=provider.server_url, client_id=oidc.CLIENT_ID, secret=oidc.CLIENT_SECRET)
    CategoryFactory(name="Calendar")
    page.goto(f"{live_server.url}/accounts/login/")
    shoot(page, "login-sso")
    assert serious_accessibility_violations(browser, f"{live_server.url}/accounts/login/") == []
    page.get_by_role("link", name="Sign in with Company sign-in").click()
    page.get_by_role("button", name=re.compile("continue", re.I)).click()
    # The identity provider's own page.
    expect(page.get_by_role("heading", name="Company identity provider")).to_be_visible()
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill("idp-pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("details.member-menu")).to_contain_text("Grace Hopper")

    page.get_by_role("link", name="Ask a question").first.click()
    page.get_by_label("Title").fill("Calendar invites arrive an hour late")
    page.get_by_label("Details", exact=True).fill("Since the clocks changed every invite shows an hour late.")
    page.get_by_label("Product area").select_option(label="Calendar")
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar invites arrive an hour late")
    assert Thread.objects.get(title="Calendar invites arrive an hour late").author.email == "grace@corp.example"
