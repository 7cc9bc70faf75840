"""axe-core on the main pages: no serious or critical violations, for visitors, members and staff.

Each page is also photographed at desktop and phone widths into artifacts/screenshots/.
"""

from __future__ import annotations

import pytest

from community import services as community
from escalation.deadlines import escalate_thread
from escalation.models import Ticket
from escalation.tickets import claim_ticket
from tests.e2e.conftest import serious_accessibility_violations, shoot, sign_in
from tests.factories import DEFAULT_PASSWORD, CategoryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def thread(live_server):
    category = CategoryFactory(name="Billing", slug="billing")
    asker, helper, voter = UserFactory(display_name="Ada Asker"), UserFactory(display_name="Hana Helper"), UserFactory()
    thread = community.ask_question(
        author=asker,
        category=category,
        title="How do I change the billing address on my invoices?",
        body="My company moved and the invoices still show the **old address**.",
        tags=["invoices", "account"],
    )
    answer = community.post_answer(author=helper, thread=thread, body="Open *Settings*, then *Billing*, and edit it there.")
    community.post_answer(author=voter, thread=thread, body="Same here; the steps above worked for me.")
    community.upvote_answer(user=voter, answer=answer)
    community.accept_answer(user=asker, answer=answer)
    waiting = community.ask_question(
        author=voter, category=category, title="Can I get a copy of last year's invoices?", body="For my tax return."
    )
    escalate_thread(thread=waiting, reason=Ticket.Reason.UNANSWERED)
    return thread


def _signed_in_state(browser, base_url: str, user) -> dict:
    context = browser.new_context()
    try:
        sign_in(context.new_page(), base_url, user.email, DEFAULT_PASSWORD)
        return context.storage_state()
    finally:
        context.close()


def test_public_pages_have_no_serious_accessibility_violations(browser, page, live_server, thread):
    pages = {
        "home": "/",
        "thread": thread.get_absolute_url(),
        "profile": thread.author.get_absolute_url(),
        "search": "/search/?q=billing+address",
        "leaderboard": "/kudos/leaderboard/",
        "sign-in": "/accounts/login/",
    }
    for name, path in pages.items():
        url = f"{live_server.url}{path}"
        assert serious_accessibility_violations(browser, url) == [], name
        page.goto(url)
        shoot(page, f"a11y-{name}")


def test_member_and_staff_pages_have_no_serious_accessibility_violations(browser, page, live_server, thread):
    member, staff = UserFactory(), StaffFactory(display_name="Sam Support")
    # A queue with tickets in a few states: claimed, private, and the open one from the fixture.
    outage = community.ask_question(
        author=member, category=thread.category, title="Invoices page shows an error since the update", body="Error 500."
    )
    ticket, _ = escalate_thread(thread=outage, reason=Ticket.Reason.STILL_NEEDS_HELP)
    claim_ticket(ticket_id=ticket.pk, staff=staff)
    community.ask_question(
        author=member, category=thread.category, title="Refund to the wrong card", body="It went to 4111 1111 1111 1111."
    )
    member_state = _signed_in_state(browser, live_server.url, member)
    staff_state = _signed_in_state(browser, live_server.url, staff)
    for path in ("/ask/", thread.get_absolute_url()):
        assert serious_accessibility_violations(browser, f"{live_server.url}{path}", storage_state=member_state) == [], path
    for path in ("/staff/queue/", "/staff/flags/", thread.get_absolute_url()):
        assert serious_accessibility_violations(browser, f"{live_server.url}{path}", storage_state=staff_state) == [], path
    staff_page = browser.new_context(storage_state=staff_state).new_page()
    staff_page.goto(f"{live_server.url}/staff/queue/")
    shoot(staff_page, "a11y-staff-queue")
    staff_page.context.close()
