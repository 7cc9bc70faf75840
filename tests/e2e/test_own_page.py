"""A member reading a thread again in the browser is served their own copy of the page
(community.ownpage): it looks and works as the page rendered for them does (its scripts run
under the fresh CSP nonce, htmx posts with the fresh CSRF token), and what they change shows at
once. Runs at desktop and at phone width; screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from community import services as community
from tests.e2e.conftest import ARTIFACTS, signed_in_page
from tests.factories import DEFAULT_PASSWORD, CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_member_reloading_a_thread_gets_their_copy_and_it_works(browser, live_server, size):
    category = CategoryFactory(name="Calendar", slug="calendar")
    asker, solver = UserFactory(display_name="Ada Asker"), UserFactory(display_name="Sam Solver")
    reader = UserFactory(display_name="Rita Reader")
    thread = community.ask_question(
        author=asker, category=category, title="Calendar sync stops after the 4.2 update",
        body="Since the update my work calendar no longer syncs on my phone.", tags=["sync"],
    )
    answer = community.post_answer(author=solver, thread=thread, body="Sign out of the app and sign in again.")
    context, page = signed_in_page(browser, live_server.url, reader, size, DEFAULT_PASSWORD)
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        url = live_server.url + thread.get_absolute_url()
        served = [page.goto(url).headers.get("x-member-page") for _ in range(3)]
        assert served[0] is None and served[-1] == "own", served
        expect(page.get_by_role("heading", name="Calendar sync stops after the 4.2 update")).to_be_visible()
        page.wait_for_function("() => !!window.htmx")  # site.js and htmx ran under the new nonce
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"own-page-{size}.png"), full_page=True)

        helped = page.locator(f"#answer-{answer.pk}").get_by_role("button", name=re.compile("This helped"))
        helped.click()
        expect(helped).to_have_attribute("aria-pressed", "true")
        expect(helped).to_contain_text("1")

        # The vote changed the page: rendered again, then the member's copy again.
        assert page.goto(url).headers.get("x-member-page") is None
        assert page.goto(url).headers.get("x-member-page") == "own"
        expect(page.locator(f"#answer-{answer.pk}").get_by_role("button", name=re.compile("This helped"))).to_have_attribute(
            "aria-pressed", "true")
        expect(page.get_by_text("Rita Reader").first).to_be_attached()
        assert problems == [], problems
    finally:
        context.close()
