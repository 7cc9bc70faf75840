"""Upvotes given in the browser reach the answer's author as one grouped notification
(notifications.services.notify; on PostgreSQL one statement, _notify_grouped): two members say
"This helped", one of them twice over, and the author's bell and list say two people, once.
Runs at desktop and at phone width; screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from community import services as community
from tests.e2e.conftest import ARTIFACTS, signed_in_page
from tests.factories import DEFAULT_PASSWORD, CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_two_members_helped_and_the_author_is_told_once(browser, live_server, size):
    category = CategoryFactory(name="Calendar", slug="calendar")
    asker, solver = UserFactory(display_name="Ada Asker"), UserFactory(display_name="Sam Solver")
    thread = community.ask_question(
        author=asker, category=category, title="Calendar sync stops after the 4.2 update",
        body="Since the update my work calendar no longer syncs on my phone.",
    )
    answer = community.post_answer(author=solver, thread=thread, body="Sign out of the app and sign in again.")
    url = live_server.url + thread.get_absolute_url()

    for name, clicks in (("Rita Reader", 3), ("Vic Voter", 1)):  # Rita: helped, took it back, helped
        context, page = signed_in_page(browser, live_server.url, UserFactory(display_name=name), size, DEFAULT_PASSWORD)
        try:
            page.goto(url)
            helped = page.locator(f"#answer-{answer.pk}").get_by_role("button", name=re.compile("This helped"))
            for click in range(clicks):
                helped.click()
                expect(helped).to_have_attribute("aria-pressed", "true" if click % 2 == 0 else "false")
        finally:
            context.close()

    context, page = signed_in_page(browser, live_server.url, solver, size, DEFAULT_PASSWORD)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(url)
        expect(page.get_by_label("Notifications, 1 unread")).to_be_visible()
        page.goto(live_server.url + "/notifications/")
        item = page.locator("li.notification")
        expect(item).to_have_count(1)
        expect(item).to_contain_text(f"Your answer to “{thread.title}” helped 2 people.")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"upvote-notification-{size}.png"), full_page=True)
        assert problems == [], problems
    finally:
        context.close()
