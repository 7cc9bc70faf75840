"""Issue 13 §4 in the browser: staff reverse a voting ring's points; a helper retags."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from community import services as community
from tests.e2e.conftest import serious_accessibility_violations, shoot, sign_in
from tests.factories import DEFAULT_PASSWORD, CategoryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_find_a_voting_ring_and_reverse_its_points(page, browser, live_server):
    category = CategoryFactory()
    target = UserFactory(display_name="Paula Puppeteer")
    answers = []
    for n in range(2):
        thread = community.ask_question(
            author=UserFactory(), category=category, title=f"Calendar sync question number {n}", body="It stopped."
        )
        answers.append(community.post_answer(author=target, thread=thread, body="Sign out and in again."))
    for n in range(4):
        puppet = UserFactory(display_name=f"Puppet {n}")
        for answer in answers:
            community.upvote_answer(user=puppet, answer=answer)
    staff = StaffFactory()
    sign_in(page, live_server.url, staff.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/staff/flags/")
    page.get_by_role("link", name="Voting rings").click()
    ring = page.get_by_role("article", name=re.compile("5 members"))
    expect(ring).to_contain_text("Paula Puppeteer")
    expect(ring).to_contain_text("80 points still credited")
    ring.get_by_label("Reason").fill("Four accounts made to vote for one member")
    shoot(page, "staff-voting-rings")
    storage = page.context.storage_state()
    assert serious_accessibility_violations(browser, f"{live_server.url}/staff/voting-rings/", storage_state=storage) == []
    ring.get_by_role("button", name="Reverse 80 points").click()
    expect(page.get_by_role("alert").or_(page.locator(".message"))).to_contain_text("Reversed 80 points")
    expect(page.get_by_text("No points are left to take back")).to_be_visible()
    target.refresh_from_db()
    assert target.points == 0


def test_a_helper_retags_someone_elses_question(page, browser, live_server):
    category = CategoryFactory()
    thread = community.ask_question(
        author=UserFactory(), category=category, title="Calendar sync stops after the update", body="It stopped."
    )
    helper = UserFactory(points=250)
    sign_in(page, live_server.url, helper.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    page.get_by_role("link", name="Edit tags").click()
    page.get_by_label("Tags").fill("calendar, sync")
    shoot(page, "retag")
    storage = page.context.storage_state()
    assert serious_accessibility_violations(browser, page.url, storage_state=storage) == []
    page.get_by_role("button", name="Save tags").click()
    expect(page.get_by_role("list", name="Tags")).to_contain_text("calendar")
