"""The five journeys of Peerdesk's users, each clicked and typed through like a person would.

live_server tests flush the database after each test, which deletes the rows the data
migrations made; tests/e2e/conftest.py puts them back before each test.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from community import services as community
from community.models import Answer, Thread
from escalation.deadlines import sweep_due_deadlines
from escalation.models import EscalationPolicy, Ticket
from kudos.models import Rank
from tests.e2e.conftest import shoot, sign_in
from tests.factories import DEFAULT_PASSWORD, AdminFactory, CategoryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CARD = "4111 1111 1111 1111"


def _solved_question(*, category, title: str, body: str):
    asker, helper = UserFactory(), UserFactory()
    thread = community.ask_question(author=asker, category=category, title=title, body=body)
    answer = community.post_answer(author=helper, thread=thread, body="Open Settings, then Billing, and edit it there.")
    community.accept_answer(user=asker, answer=answer)
    return thread


def test_customer_asks_gets_an_answer_accepts_it_and_the_helper_ranks_up(page, new_page, live_server):
    billing = CategoryFactory(name="Billing", slug="billing")
    _solved_question(
        category=billing,
        title="How do I change the billing address on my invoices?",
        body="My company moved and the invoices still show the old address.",
    )
    helper = UserFactory(display_name="Hana Helper")
    contributor = Rank.objects.get(name="Contributor")
    # An accepted answer (15) reaches it. Ada's "This helped" moves no points: her account is
    # minutes old and her email unverified (a brand-new account, kudos' trust rules).
    contributor.min_points = 15
    contributor.save()

    # Ada signs up.
    page.goto(live_server.url)
    page.get_by_role("link", name="Join").click()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Display name").fill("Ada Asker")
    page.get_by_label(re.compile(r"^Password:?$")).fill("a-long-unusual-passphrase")
    page.get_by_label("Password (again)").fill("a-long-unusual-passphrase")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.locator("details.member-menu")).to_contain_text("Ada Asker")
    shoot(page, "home")

    # She asks, and is shown the solved question that looks like hers while typing the title.
    page.get_by_role("link", name="Ask a question").first.click()
    page.get_by_label("Title").press_sequentially("Change billing address", delay=20)
    suggestions = page.get_by_role("region", name="These might already answer your question")
    expect(suggestions).to_contain_text("How do I change the billing address on my invoices?")
    expect(suggestions).to_contain_text("Solved")
    page.get_by_label("Title").fill("Where do I change the billing address for next month's invoice?")
    page.get_by_label("Details", exact=True).fill(
        "I need next month's invoice to show our new office address. The old question is about past invoices."
    )
    page.get_by_label("Product area").select_option(label="Billing")
    page.get_by_label("Tags").fill("invoices")
    shoot(page, "ask")
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Where do I change the billing address for next month's invoice?"
    )
    expect(page.get_by_text("Your question is posted")).to_be_visible()
    thread_url = page.url

    # Hana answers in her own browser.
    hana = new_page()
    sign_in(hana, live_server.url, helper.email, DEFAULT_PASSWORD)
    hana.goto(thread_url)
    hana.get_by_role("textbox", name="Your answer").fill(
        "Go to Settings, Billing, Address, and tick 'Use for future invoices' before you save."
    )
    hana.get_by_role("button", name="Post your answer").click()
    expect(hana.get_by_text("Thanks, your answer is posted.")).to_be_visible()

    # Ada says it helped and accepts it.
    page.reload()
    answer = page.get_by_role("article", name="Answer by Hana Helper")
    answer.get_by_role("button", name=re.compile("This helped")).click()
    expect(answer.get_by_role("button", name=re.compile("This helped"))).to_have_attribute("aria-pressed", "true")
    answer.get_by_role("button", name="Mark as solution").click()
    expect(answer.get_by_text("✓ Solution", exact=True)).to_be_visible()
    shoot(page, "thread")

    # Hana's profile shows her points and the rank they earned.
    answer.get_by_role("link", name="Hana Helper").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hana Helper")
    expect(page.get_by_text(re.compile(r"^\s*15\s*points\s*$"))).to_be_visible()
    expect(page.get_by_role("main").get_by_text("Contributor", exact=True)).to_be_visible()
    shoot(page, "profile-ranked")
    helper.refresh_from_db()
    assert helper.points == 15
    thread = Thread.objects.get(title__startswith="Where do I change")
    assert thread.solution.author == helper


def test_unanswered_question_is_escalated_claimed_and_answered_officially(page, new_page, live_server):
    urgent = CategoryFactory(name="Outages", slug="outages")
    EscalationPolicy.objects.create(category=urgent, answer_within_minutes=1, solve_within_minutes=60)
    asker = UserFactory(display_name="Omar Outage")
    staff = StaffFactory(display_name="Sam Support")
    with time_machine.travel(timezone.now() - timedelta(minutes=2), tick=False):
        thread = community.ask_question(
            author=asker, category=urgent, title="The app shows a blank screen since this morning", body="Nothing loads."
        )

    # Nobody answered within the minute: the sweep opens a ticket.
    assert sweep_due_deadlines() >= 1
    ticket = Ticket.objects.get(thread=thread)
    assert ticket.status == Ticket.Status.OPEN

    # Staff find it in the queue, claim it and answer officially.
    sign_in(page, live_server.url, staff.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/staff/queue/")
    expect(page.get_by_role("heading", name="Support queue")).to_be_visible()
    shoot(page, "staff-queue")
    page.get_by_role("link", name=re.compile("blank screen since this morning")).click()
    page.get_by_role("button", name="Claim").click()
    expect(page.get_by_role("button", name="Claim")).to_have_count(0)
    page.get_by_label(re.compile(r"^Answer:?$")).fill(
        "We fixed an outage at 10:40. Please update to version 4.2.1 and the screen will load again."
    )
    shoot(page, "staff-ticket")
    page.get_by_role("button", name="Post official answer").click()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING

    # The asker sees the Official answer and accepts it, which resolves the ticket.
    omar = new_page()
    sign_in(omar, live_server.url, asker.email, DEFAULT_PASSWORD)
    omar.goto(f"{live_server.url}{thread.get_absolute_url()}")
    official = omar.get_by_role("article", name="Answer by Sam Support")
    expect(official.get_by_text("Official", exact=True)).to_be_visible()
    official.get_by_role("button", name="Mark as solution").click()
    expect(official.get_by_text("✓ Solution", exact=True)).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED


def test_question_with_a_card_number_is_private_to_the_asker_and_staff(page, new_page, live_server):
    payments = CategoryFactory(name="Payments", slug="payments")
    asker = UserFactory(display_name="Cora Card")
    other = UserFactory()
    community.ask_question(
        author=other, category=payments, title="Payment declined at checkout", body="My payment is declined every time."
    )
    staff = StaffFactory()

    sign_in(page, live_server.url, asker.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/ask/")
    page.get_by_label("Title").fill("My payment was declined twice")
    page.get_by_label("Details", exact=True).fill(f"I paid with {CARD} and it was declined. What now?")
    page.get_by_label("Product area").select_option(label="Payments")
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_text(re.compile("so we made it private"))).to_be_visible()
    expect(page.get_by_text("Private", exact=True).first).to_be_visible()
    shoot(page, "thread-private")
    thread_url = page.url
    thread = Thread.objects.get(title="My payment was declined twice")
    assert thread.is_private

    # Another customer: not found at its address, not found by search.
    nosy = new_page()
    sign_in(nosy, live_server.url, other.email, DEFAULT_PASSWORD)
    response = nosy.goto(thread_url)
    assert response.status == 404
    nosy.goto(live_server.url)
    nosy.get_by_label("Search questions").fill("payment declined")
    nosy.get_by_label("Search questions").press("Enter")
    expect(nosy.get_by_role("heading", level=1)).to_have_text("Results for “payment declined”")
    expect(nosy.get_by_role("link", name="Payment declined at checkout")).to_be_visible()
    expect(nosy.get_by_text("My payment was declined twice")).to_have_count(0)
    shoot(nosy, "search-empty")

    # Staff see it in their queue.
    desk = new_page()
    sign_in(desk, live_server.url, staff.email, DEFAULT_PASSWORD)
    desk.goto(f"{live_server.url}/staff/queue/")
    expect(desk.get_by_role("link", name=re.compile("My payment was declined twice"))).to_be_visible()


def test_admin_lowers_a_rank_threshold_and_a_members_badge_changes(page, live_server):
    admin = AdminFactory()
    member = UserFactory(display_name="Mira Member")
    category = CategoryFactory()
    # Mira has 40 points, short of Contributor at 50.
    thread = community.ask_question(author=UserFactory(), category=category, title="Printer keeps going offline", body="Why?")
    answer = community.post_answer(author=member, thread=thread, body="Give it a fixed address in the router.")
    for _ in range(4):
        community.upvote_answer(user=UserFactory(), answer=answer)
    member.refresh_from_db()
    assert member.points == 40

    page.goto(f"{live_server.url}{member.get_absolute_url()}")
    main = page.get_by_role("main")
    expect(main.get_by_text("New member", exact=True)).to_be_visible()
    expect(main.get_by_text("10 points to Contributor")).to_be_visible()

    sign_in(page, live_server.url, admin.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Ranks").click()
    page.get_by_role("link", name="Contributor", exact=True).click()
    page.get_by_label("Min points").fill("30")
    shoot(page, "admin-rank", phone=False)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(re.compile("was changed successfully"))).to_be_visible()

    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    mira = page.get_by_role("article", name="Answer by Mira Member")
    expect(mira.get_by_text("Contributor", exact=True)).to_be_visible()
    page.goto(f"{live_server.url}{member.get_absolute_url()}")
    main = page.get_by_role("main")
    expect(main.get_by_text("Contributor", exact=True)).to_be_visible()
    expect(main.get_by_text("New member", exact=True)).to_have_count(0)


def test_three_flags_hide_an_answer_until_staff_restore_it(page, new_page, live_server):
    category = CategoryFactory()
    staff = StaffFactory()
    author = UserFactory(display_name="Abe Answerer")
    thread = community.ask_question(author=UserFactory(), category=category, title="Can I export my data?", body="As CSV?")
    answer = community.post_answer(author=author, thread=thread, body="Yes, under Account, Export, choose CSV.")
    flaggers = [UserFactory() for _ in range(3)]

    for number, flagger in enumerate(flaggers):
        p = page if number == 0 else new_page()
        sign_in(p, live_server.url, flagger.email, DEFAULT_PASSWORD)
        p.goto(f"{live_server.url}{thread.get_absolute_url()}")
        article = p.get_by_role("article", name="Answer by Abe Answerer")
        expect(article.get_by_text("Flag this answer")).to_have_count(1)
        article.get_by_text("Flag this answer").click()
        article.get_by_label("Spam").check()
        if number == 0:
            shoot(p, "thread-flag")
        article.get_by_role("button", name="Send flag").click()
        expect(article.get_by_role("status")).to_contain_text(re.compile("flag", re.I))

    answer.refresh_from_db()
    assert answer.is_hidden

    # The public no longer sees it.
    visitor = new_page()
    visitor.goto(f"{live_server.url}{thread.get_absolute_url()}")
    expect(visitor.get_by_text("Yes, under Account, Export, choose CSV.")).to_have_count(0)

    # Staff restore it from the moderation page.
    desk = new_page()
    sign_in(desk, live_server.url, staff.email, DEFAULT_PASSWORD)
    desk.goto(f"{live_server.url}/staff/flags/")
    expect(desk.get_by_text("Yes, under Account, Export, choose CSV.")).to_be_visible()
    shoot(desk, "staff-flags")
    desk.get_by_role("button", name="Restore").click()
    expect(desk.get_by_text("Yes, under Account, Export, choose CSV.")).to_have_count(0)

    visitor.reload()
    expect(visitor.get_by_text("Yes, under Account, Export, choose CSV.")).to_be_visible()
    answer.refresh_from_db()
    assert not answer.is_hidden
    assert Answer.objects.filter(pk=answer.pk, is_hidden=False).exists()
