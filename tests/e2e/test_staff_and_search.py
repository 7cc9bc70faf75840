"""Staff at speed and search that finds, clicked through in the browser: a saved reply and
answer-and-resolve in one step, a bulk claim, a search with a typo, the report's comparison."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from community import services as community
from community.search import rebuild_search_words
from escalation.macros import create_macro
from escalation.models import Ticket
from tests.e2e.conftest import serious_accessibility_violations, shoot, sign_in
from tests.factories import DEFAULT_PASSWORD, CategoryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _private_question(asker, category, title):
    return community.ask_question(author=asker, category=category, title=title,
                                  body="My invoice shows a charge I do not recognise.", is_private=True)


def test_staff_answer_with_a_saved_reply_and_resolve_in_one_step(page, live_server):
    billing = CategoryFactory(name="Billing", slug="billing")
    asker = UserFactory(display_name="Olga Owner")
    staff = StaffFactory(display_name="Sam Support", email="sam@example.com")
    create_macro(staff=staff, title="Refund issued",
                 body="Hi {asker_name}, we refunded the charge on “{thread_title}”. — {staff_name}", shared=True)
    thread = _private_question(asker, billing, "Charged twice for the pro plan")
    ticket = Ticket.objects.get(thread=thread)

    sign_in(page, live_server.url, "sam@example.com", DEFAULT_PASSWORD)
    expect(page.locator(".site-nav")).to_contain_text("Support queue")
    page.goto(f"{live_server.url}/staff/tickets/{ticket.pk}/")
    page.locator("#answer").get_by_role("button", name="Refund issued").click()
    expect(page.locator("#answer textarea")).to_have_value(
        "Hi Olga Owner, we refunded the charge on “Charged twice for the pro plan”. — Sam Support")
    page.get_by_label("Post and resolve (solved by staff)").check()
    shoot(page, "staff-ticket-macro")
    page.get_by_role("button", name="Post official answer").click()
    expect(page.locator(".messages")).to_contain_text("ticket resolved")
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.outcome == "solved"
    expect(page.locator(".ticket-history")).to_contain_text("resolved — Solved by staff")


def test_staff_bulk_claim_three_tickets(page, live_server):
    billing = CategoryFactory(name="Billing", slug="billing")
    asker = UserFactory()
    StaffFactory(display_name="Sam Support", email="sam@example.com")
    tickets = [Ticket.objects.get(thread=_private_question(asker, billing, f"Invoice question {n}")) for n in range(4)]

    sign_in(page, live_server.url, "sam@example.com", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/staff/queue/")
    for ticket in tickets[:3]:
        page.get_by_label(f"Select ticket #{ticket.pk}").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("3 tickets selected")
    page.locator("#bulk-action").select_option("claim")
    shoot(page, "staff-queue-bulk")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".messages")).to_contain_text("Claimed 3 tickets")
    claimed = Ticket.objects.filter(pk__in=[t.pk for t in tickets], assignee__isnull=False).count()
    assert claimed == 3


def test_a_customer_searching_with_a_typo_finds_the_calendar_threads(page, live_server):
    category = CategoryFactory(name="Calendar", slug="calendar")
    author = UserFactory()
    for title in ("Calendar does not sync with Outlook", "Shared calendar shows the wrong time zone",
                  "Invoice in the wrong currency"):
        community.ask_question(author=author, category=category, title=title, body="Details of the problem.")
    rebuild_search_words()

    page.goto(live_server.url)
    page.get_by_label("Search questions").fill("calender")
    expect(page.locator("#site-search-suggestions")).to_contain_text("Calendar does not sync with Outlook")
    page.get_by_label("Search questions").press("Enter")
    expect(page.locator(".search-correction")).to_contain_text("Showing results for calendar")
    expect(page.locator(".search-results")).to_contain_text("does not sync with Outlook")
    expect(page.locator(".search-results")).to_contain_text("wrong time zone")
    expect(page.locator(".search-results")).not_to_contain_text("currency")
    shoot(page, "search-typo")
    assert serious_accessibility_violations(page.context.browser, f"{live_server.url}/search/?q=calender") == []

    page.goto(f"{live_server.url}/search/?q=laptop+fan+loud")
    page.get_by_role("link", name="Ask the community").click()
    expect(page).to_have_url(re.compile(r"/(accounts/login/|ask/)"))


def test_the_report_leads_with_the_deflection_rate_and_compares_periods(page, live_server):
    category = CategoryFactory(name="Billing", slug="billing")
    asker, helper = UserFactory(), UserFactory()
    StaffFactory(display_name="Sam Support", email="sam@example.com")
    thread = community.ask_question(author=asker, category=category, title="Change my billing address",
                                    body="Where do I change it?")
    answer = community.post_answer(author=helper, thread=thread, body="Settings, then Billing.")
    community.accept_answer(user=asker, answer=answer)

    sign_in(page, live_server.url, "sam@example.com", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/staff/report/?period=30")
    expect(page.locator(".kpi-headline")).to_contain_text("Deflection rate")
    expect(page.locator(".kpi-headline")).to_contain_text("100 %")
    expect(page.locator(".report-kpis")).to_contain_text("from none")
    shoot(page, "report-comparison")
