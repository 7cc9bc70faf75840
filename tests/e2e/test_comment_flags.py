"""Browser journey: a member flags a rude comment from the thread page (the Flag link opens the
flag box in place), and staff remove it from the flagged-posts queue. At desktop and phone
width; screenshots go to artifacts/screenshots/comment-flag-*."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from community import services as community
from community.models import Comment, Flag
from tests.e2e.conftest import ARTIFACTS, serious_accessibility_violations, signed_in_page
from tests.factories import DEFAULT_PASSWORD, CategoryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def shoot_at(page, name: str, size: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => window.scrollTo(0, 0)")  # a sticky header stays at the top of the capture
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.screenshot(path=str(ARTIFACTS / f"comment-flag-{name}-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_member_flags_a_comment_and_staff_remove_it(browser, live_server, size):
    category = CategoryFactory(name="Calendar", slug="calendar")
    ada = UserFactory(username="ada", display_name="Ada Asker")
    sam = UserFactory(username="sam", display_name="Sam Solver")
    troll = UserFactory(username="troll", display_name="Tom Troll")
    rita = UserFactory(username="rita", display_name="Rita Reader")
    staff = StaffFactory(username="stella", display_name="Stella Staff")
    thread = community.ask_question(
        author=ada, category=category, title="Calendar sync stops after the 4.2 update",
        body="Since the update my work calendar no longer syncs on my phone.",
    )
    answer = community.post_answer(author=sam, thread=thread, body="Sign out of the app and sign in again.")
    community.post_comment(author=ada, thread=thread, answer=answer, body="Thanks, I'll try that tonight.")
    rude = community.post_comment(author=troll, thread=thread, answer=answer, body="Only an idiot would ask this.")

    # Rita flags Tom's comment: the Flag link opens the flag box under the comment (without
    # JavaScript it is a page of its own, shown here first).
    context, page = signed_in_page(browser, live_server.url, rita, size, DEFAULT_PASSWORD)
    try:
        page.goto(live_server.url + f"/comments/{rude.pk}/flag/")
        expect(page.get_by_role("heading", name="Flag a comment")).to_be_visible()
        expect(page.locator("main")).to_contain_text("Only an idiot would ask this.")
        shoot_at(page, "page", size)
        page.goto(live_server.url + thread.get_absolute_url())
        comment = page.locator(f"#comment-{rude.pk}")
        comment.get_by_role("link", name="Flag comment").click()
        box = comment.locator(f"#flag-comment-{rude.pk}")
        expect(box.get_by_role("group", name="What is wrong with it?")).to_be_visible()
        expect(box.get_by_label("Spam or advertising")).to_be_focused()  # the first reason
        box.get_by_label("Rude or abusive").check()
        box.get_by_label("Note for staff (optional)").fill("Insults the asker")
        shoot_at(page, "form", size)
        box.get_by_role("button", name="Send flag").click()
        expect(comment).to_contain_text("Thanks for flagging. Our staff will review this comment.")
        expect(page).to_have_url(re.compile(re.escape(thread.get_absolute_url()) + "$"))  # in place, no reload
        shoot_at(page, "sent", size)
        if size == "desktop":
            assert serious_accessibility_violations(
                browser, live_server.url + thread.get_absolute_url(), storage_state=context.storage_state()
            ) == []
    finally:
        context.close()
    flag = Flag.objects.get()
    assert (flag.comment_id, flag.user_id, flag.reason, flag.note) == (rude.pk, rita.pk, "rude", "Insults the asker")

    # Stella finds it in the queue, next to posts, and removes it.
    context, page = signed_in_page(browser, live_server.url, staff, size, DEFAULT_PASSWORD)
    try:
        page.goto(live_server.url + "/staff/flags/")
        item = page.locator(f"#flagged-comment-{rude.pk}")
        expect(item).to_contain_text("Comment on")
        expect(item).to_contain_text("Only an idiot would ask this.")
        expect(item).to_contain_text("Rude or abusive")
        expect(item).to_contain_text("Insults the asker")
        expect(item.get_by_role("link", name=thread.title)).to_have_attribute(
            "href", f"{thread.get_absolute_url()}#comment-{rude.pk}"
        )
        shoot_at(page, "queue", size)
        page.once("dialog", lambda dialog: dialog.accept())
        item.get_by_role("button", name="Remove").click()
        expect(page.locator(".flagged-post").first).to_contain_text("Comment removed.")
        shoot_at(page, "removed", size)
    finally:
        context.close()
    rude.refresh_from_db()
    assert rude.is_deleted and rude.is_hidden

    # Gone for Rita; Ada's comment is still there.
    context, page = signed_in_page(browser, live_server.url, rita, size, DEFAULT_PASSWORD)
    try:
        page.goto(live_server.url + thread.get_absolute_url())
        comments = page.locator(f"#comments-answer-{answer.pk}")
        expect(comments).to_contain_text("Thanks, I'll try that tonight.")
        expect(comments).not_to_contain_text("Only an idiot")
    finally:
        context.close()
    assert Comment.objects.filter(thread=thread, is_deleted=False).count() == 1
