"""A community manager lowers a rank threshold on /manage/: the preview says who moves before
saving, the badge changes at once, and the audit log shows the change."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from community import services as community
from console.services import community_managers_group
from kudos.models import Rank
from tests.e2e.conftest import serious_accessibility_violations, shoot, sign_in
from tests.factories import DEFAULT_PASSWORD, CategoryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_lowers_a_threshold_sees_who_moves_and_the_badge_changes(page, browser, live_server):
    manager = UserFactory(display_name="Morgan Manager")
    manager.groups.add(community_managers_group())
    member = UserFactory(display_name="Mira Member")
    category = CategoryFactory()
    thread = community.ask_question(author=UserFactory(), category=category, title="Printer keeps going offline", body="Why?")
    answer = community.post_answer(author=member, thread=thread, body="Give it a fixed address in the router.")
    for _ in range(4):
        community.upvote_answer(user=UserFactory(), answer=answer)
    member.refresh_from_db()
    assert member.points == 40
    contributor = Rank.objects.get(name="Contributor")

    sign_in(page, live_server.url, manager.email, DEFAULT_PASSWORD)
    page.locator("summary").filter(has_text="Morgan Manager").click()
    page.get_by_role("link", name="Manage community").click()
    expect(page.get_by_role("heading", name="Manage the community")).to_be_visible()
    shoot(page, "manage-home")
    page.get_by_role("navigation", name="Manage").get_by_role("link", name="Ranks").click()
    shoot(page, "manage-ranks")
    page.get_by_role("link", name="Edit Contributor").click()
    page.get_by_label("Points needed").fill("30")
    expect(page.get_by_text("1 member would move up from")).to_be_visible()
    expect(page.locator("#rank-move-summary")).to_contain_text("1 member would move up to Contributor")
    expect(page.locator("#rank-preview").get_by_role("link", name="Mira Member")).to_be_visible()
    shoot(page, "manage-rank-preview")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(re.compile("Contributor now starts at 30 points"))).to_be_visible()
    contributor.refresh_from_db()
    assert contributor.min_points == 30

    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    mira = page.get_by_role("article", name="Answer by Mira Member")
    expect(mira.get_by_text("Contributor", exact=True)).to_be_visible()

    page.goto(f"{live_server.url}/manage/audit/")
    expect(page.get_by_text("Rank Contributor")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("min_points: 50 → 30"))).to_be_visible()
    shoot(page, "manage-audit")
    for path in ("/manage/escalation/", "/manage/points/", f"/manage/members/{member.username}/"):
        page.goto(f"{live_server.url}{path}")
        shoot(page, "manage" + path.replace("/manage", "").rstrip("/").replace("/", "-").replace(member.username, "member"))

    state = page.context.storage_state()
    for path in ("/manage/", "/manage/ranks/", f"/manage/ranks/{contributor.pk}/", "/manage/points/",
                 "/manage/escalation/", "/manage/members/", f"/manage/members/{member.username}/", "/manage/audit/"):
        assert serious_accessibility_violations(browser, f"{live_server.url}{path}", storage_state=state) == [], path


def test_support_staff_get_403_on_manage(page, live_server):
    staff = StaffFactory()
    sign_in(page, live_server.url, staff.email, DEFAULT_PASSWORD)
    response = page.goto(f"{live_server.url}/manage/")
    assert response.status == 403
