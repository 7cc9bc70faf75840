"""Browser journeys for the conversation around a thread (issue 15): comments with @mention
suggestions, the asker adding details, following, live updates of an open thread, the profile
tabs and the "Mine" filter. Each journey runs at desktop and at phone width; screenshots go to
artifacts/screenshots/ (the chosen ones are copied to docs/screenshots/)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from community import services as community
from community.models import Comment, Follow
from escalation.models import Ticket
from notifications.models import Kind, Notification
from tests.e2e.conftest import ARTIFACTS, SIZES, serious_accessibility_violations, sign_in, signed_in_page
from tests.factories import DEFAULT_PASSWORD, CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(live_server):
    category = CategoryFactory(name="Calendar", slug="calendar")
    ada = UserFactory(username="ada", display_name="Ada Asker")
    hana = UserFactory(username="hana", display_name="Hana Helper")
    sam = UserFactory(username="sam", display_name="Sam Solver")
    thread = community.ask_question(
        author=ada,
        category=category,
        title="Calendar sync stops after the 4.2 update",
        body="Since the update my work calendar no longer syncs on my phone.",
        tags=["sync"],
    )
    answer = community.post_answer(author=sam, thread=thread, body="Sign out of the app and sign in again.")
    return {"category": category, "ada": ada, "hana": hana, "sam": sam, "thread": thread, "answer": answer}


def shoot_at(page, name: str, size: str) -> None:
    """A full-page screenshot at the width the journey runs at (name-desktop / name-phone)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => window.scrollTo(0, 0)")  # a sticky header stays at the top of the capture
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.screenshot(path=str(ARTIFACTS / f"{name}-{size}.png"), full_page=True)


def _state(browser, base_url: str, user) -> dict:
    context = browser.new_context()
    try:
        sign_in(context.new_page(), base_url, user.email, DEFAULT_PASSWORD)
        return context.storage_state()
    finally:
        context.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_members_comment_mention_each_other_and_follow_the_thread(browser, live_server, people, size):
    thread, answer = people["thread"], people["answer"]
    context, page = signed_in_page(browser, live_server.url, people["hana"], size, DEFAULT_PASSWORD)
    try:
        page.goto(live_server.url + thread.get_absolute_url())
        answer_card = page.locator(f"#answer-{answer.pk}")
        answer_card.get_by_text("Add a comment").click()
        box = answer_card.get_by_label("Your comment")
        expect(box).to_be_focused()
        # Typing @ad suggests Ada (htmx), Enter picks her; the counter follows the text.
        box.press_sequentially("Which version are you on, @ad", delay=15)
        suggestions = answer_card.get_by_role("listbox", name="Members to mention")
        expect(suggestions.get_by_role("option")).to_have_count(1)
        expect(suggestions).to_contain_text("Ada Asker")
        expect(suggestions).not_to_contain_text("@example.com")
        box.press("Enter")
        expect(box).to_have_value("Which version are you on, @ada ")
        expect(answer_card.locator(".char-count")).to_have_text("569 characters left")
        box.press_sequentially("and which phone?")
        answer_card.get_by_role("button", name="Post comment").click()
        comment = answer_card.locator(".comment").first
        expect(comment).to_contain_text("Which version are you on, @ada and which phone?")
        expect(comment.get_by_role("link", name="@ada")).to_have_attribute("href", "/u/ada/")
        # Following the thread (she did automatically by commenting): unfollow and follow again.
        follow = page.locator(f"#follow-question-{thread.pk}")
        expect(follow).to_contain_text("You follow this question")
        follow.get_by_role("button", name="Unfollow").click()
        expect(follow.get_by_role("button", name=re.compile(r"^Follow"))).to_be_visible()
        follow.get_by_role("button", name=re.compile(r"^Follow")).click()
        expect(follow).to_contain_text("You follow this question")
        # Editing her comment in place.
        comment.get_by_role("link", name="Edit comment").click()
        editor = page.locator(".comment.is-editing textarea")
        editor.fill("Which app version are you on, @ada?")
        page.get_by_role("button", name="Save comment").click()
        expect(answer_card.locator(".comment").first).to_contain_text("Which app version are you on, @ada?")
        # The answer box suggests members too.
        answer_box = page.get_by_role("textbox", name="Your answer")
        answer_box.press_sequentially("Thanks @sa", delay=15)
        expect(page.locator("#answer-mentions").get_by_role("option")).to_contain_text("Sam Solver")
        answer_box.press("Enter")
        expect(answer_box).to_have_value("Thanks @sam ")
        answer_box.fill("")
        shoot_at(page, "conversation-comments", size)
    finally:
        context.close()
    assert Notification.objects.filter(recipient=people["ada"], kind=Kind.MENTION).count() == 1
    assert Notification.objects.filter(recipient=people["sam"], kind=Kind.COMMENT).count() == 1
    assert Follow.objects.get(user=people["hana"], thread=thread).is_active

    # Ada, the asker, is offered to add details (not to answer), and her comment under the only
    # answer ("still broken") sends the thread to staff.
    context, page = signed_in_page(browser, live_server.url, people["ada"], size, DEFAULT_PASSWORD)
    try:
        page.goto(live_server.url + thread.get_absolute_url())
        expect(page.get_by_role("heading", name="Your answer")).to_have_count(0)
        details = page.get_by_role("region", name="Add details")
        expect(details).to_be_visible()
        expect(details.get_by_role("link", name="edit your question")).to_be_visible()
        details.get_by_label("Your comment").fill("I'm on 4.2.1 on a Pixel 7.")
        details.get_by_role("button", name="Add details").click()
        expect(details).to_contain_text("Your details are posted under your question")
        expect(page.locator(f"#comments-thread-{thread.pk}")).to_contain_text("I'm on 4.2.1 on a Pixel 7.")
        answer_card = page.locator(f"#answer-{answer.pk}")
        answer_card.get_by_text("Add a comment").click()
        answer_card.get_by_label("Your comment").fill("Signing out didn't work, same error.")
        answer_card.get_by_role("button", name="Post comment").click()
        expect(answer_card.locator(".comment")).to_have_count(2)
        page.goto(live_server.url + "/notifications/")
        expect(page.locator("main")).to_contain_text("Hana Helper mentioned you")
        page.goto(live_server.url + thread.get_absolute_url())
        shoot_at(page, "conversation-asker", size)
    finally:
        context.close()
    assert Ticket.objects.get(thread=thread).reason == Ticket.Reason.STILL_NEEDS_HELP
    assert Comment.objects.filter(thread=thread).count() == 3


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_an_open_thread_shows_new_answers_and_comments_without_a_reload(browser, live_server, people, settings, size):
    settings.LIVE_THREAD_POLL_SECONDS = 2
    thread, answer = people["thread"], people["answer"]
    context, page = signed_in_page(browser, live_server.url, people["hana"], size, DEFAULT_PASSWORD)
    try:
        page.goto(live_server.url + thread.get_absolute_url())
        expect(page.locator("#thread-facts")).to_contain_text(re.compile(r"Answers\s*1"))
        community.post_answer(author=UserFactory(display_name="Rita Replier"), thread=thread, body="Try the web app meanwhile.")
        community.post_comment(author=people["sam"], thread=thread, answer=answer, body="Also clear the cache.")
        live = page.locator("#live-updates")
        expect(live).to_contain_text("1 new answer and 1 new comment", timeout=15_000)
        expect(page.locator("#thread-facts")).to_contain_text(re.compile(r"Answers\s*2"))
        shoot_at(page, "live-thread-banner", size)
        live.get_by_role("button", name="Show").click()
        expect(page.locator("#answers")).to_contain_text("Try the web app meanwhile.")
        expect(page.locator("#answers")).to_contain_text("Also clear the cache.")
        expect(live.get_by_role("button", name="Show")).to_have_count(0)
        # Her vote updates the sidebar and Sam's rank badge in place, without a reload.
        page.locator(f"#answer-{answer.pk}").get_by_role("button", name=re.compile("This helped")).click()
        expect(page.locator("#thread-facts")).to_contain_text(re.compile(r"Found helpful\s*1"))
        # The asker accepts in another browser: the Solved badge arrives by the next poll.
        community.accept_answer(user=people["ada"], answer=answer)
        expect(page.locator("#thread-status")).to_contain_text("Solved", timeout=15_000)
        shoot_at(page, "live-thread", size)
    finally:
        context.close()


def test_a_vote_shows_the_answerers_new_rank_at_once(page, live_server, people):
    from kudos.models import Rank

    first_rank = Rank.objects.filter(min_points__gt=0).order_by("min_points").first()
    first_rank.min_points = 10  # one upvote reaches it
    first_rank.save()
    thread, answer = people["thread"], people["answer"]
    sign_in(page, live_server.url, people["hana"].email, DEFAULT_PASSWORD)
    page.goto(live_server.url + thread.get_absolute_url())
    badges = page.locator(f"[data-member-badges='{people['sam'].pk}']").first
    expect(badges).not_to_contain_text(first_rank.name)
    page.locator(f"#answer-{answer.pk}").get_by_role("button", name=re.compile("This helped")).click()
    expect(badges).to_contain_text(first_rank.name)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_member_finds_their_own_questions_answers_and_follows(browser, live_server, people, size):
    ada, category = people["ada"], people["category"]
    private = community.ask_question(
        author=ada, category=category, title="Charged twice for my calendar plan", body="Please check.", is_private=True
    )
    other = community.ask_question(author=people["sam"], category=category, title="Does sync work on tablets?", body="Asking.")
    reply = community.post_answer(author=ada, thread=other, body="Yes, on every tablet I tried.")
    community.accept_answer(user=people["sam"], answer=reply)
    community.follow(user=ada, category=category)
    context, page = signed_in_page(browser, live_server.url, ada, size, DEFAULT_PASSWORD)
    try:
        page.goto(live_server.url + ada.get_absolute_url())
        tabs = page.get_by_role("navigation", name="Activity")
        activity = page.locator("#activity")
        expect(activity).to_contain_text(private.title)
        expect(activity).to_contain_text("Private")
        shoot_at(page, "profile-questions", size)
        tabs.get_by_role("link", name=re.compile("Answers")).click()
        expect(activity).to_contain_text("Yes, on every tablet I tried.")
        tabs.get_by_role("link", name=re.compile("Solutions")).click()
        expect(activity).to_contain_text("✓ Solution")
        tabs.get_by_role("link", name=re.compile("Following")).click()
        expect(activity).to_contain_text(people["thread"].title)
        expect(activity).to_contain_text("Calendar")
        shoot_at(page, "profile-following", size)
        # The Mine filter on the question list.
        page.goto(live_server.url + "/")
        page.get_by_label("Mine").check()
        page.get_by_role("button", name="Apply").click()
        expect(page).to_have_url(re.compile(r"mine=1"))
        listing = page.locator(".thread-list")
        expect(listing).to_contain_text(private.title)
        expect(listing).to_contain_text(other.title)
        expect(listing).to_contain_text(people["thread"].title)
        shoot_at(page, "mine-filter", size)
        # Category pages have their own Follow button.
        page.goto(live_server.url + category.get_absolute_url())
        expect(page.locator(f"#follow-category-{category.pk}")).to_contain_text("You follow this category")
    finally:
        context.close()
    # Someone else sees neither the private question nor the Following tab.
    context, page = signed_in_page(browser, live_server.url, people["hana"], size, DEFAULT_PASSWORD)
    try:
        page.goto(live_server.url + ada.get_absolute_url())
        expect(page.locator("#activity")).not_to_contain_text(private.title)
        expect(page.get_by_role("navigation", name="Activity").get_by_role("link", name=re.compile("Following"))).to_have_count(0)
    finally:
        context.close()


def test_the_new_pages_have_no_serious_accessibility_violations(browser, live_server, people):
    thread, answer = people["thread"], people["answer"]
    comment = community.post_comment(author=people["hana"], thread=thread, answer=answer, body="Which version, @ada?")
    community.post_comment(author=people["sam"], thread=thread, body="Same here on *4.2*.")
    from notifications.services import unfollow_token

    token = unfollow_token(user_id=people["hana"].pk, thread_id=thread.pk)
    pages = {
        "hana": [
            thread.get_absolute_url(),
            f"/comments/{comment.pk}/edit/",
            people["hana"].get_absolute_url() + "?tab=following",
            "/?mine=1",
            people["category"].get_absolute_url(),
            "/tags/sync/",
            f"/notifications/unfollow/{token}/",
        ],
        "ada": [thread.get_absolute_url(), people["ada"].get_absolute_url()],
    }
    problems = {}
    for who, paths in pages.items():
        state = _state(browser, live_server.url, people[who])
        for path in paths:
            found = serious_accessibility_violations(browser, live_server.url + path, storage_state=state)
            if found:
                problems[f"{who} {path}"] = found
    assert not problems, problems


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_follower_unfollows_from_the_link_in_the_mail(browser, live_server, people, size):
    from django.core import mail

    hana, thread = people["hana"], people["thread"]
    community.follow(user=hana, thread=thread)
    community.post_answer(author=UserFactory(display_name="Rita Replier"), thread=thread, body="Try the web app meanwhile.")
    [message] = [m for m in mail.outbox if m.to == [hana.email]]
    assert "Rita Replier answered" in message.body
    link = next(word for word in message.body.split() if "/notifications/unfollow/" in word)
    path = link[link.index("/notifications/unfollow/"):]
    context = browser.new_context(viewport=SIZES[size], locale="en-US", timezone_id="UTC")
    try:
        page = context.new_page()  # from the mail: not signed in
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", name="Unfollow this question?")).to_be_visible()
        expect(page.locator("main")).to_contain_text(thread.title)
        page.get_by_role("button", name="Unfollow").click()
        expect(page.get_by_role("heading", name="You no longer follow this question")).to_be_visible()
        shoot_at(page, "unfollow-from-mail", size)
    finally:
        context.close()
    assert not Follow.objects.get(user=hana, thread=thread).is_active
