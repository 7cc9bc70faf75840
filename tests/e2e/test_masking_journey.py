"""A card number typed into a question, followed in a real browser: the asker is warned in the
preview and told after posting, and the asker, staff (queue and ticket), the staff digest mail
and the answer mail only ever show the mask."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from community.models import Thread
from escalation.deadlines import notify_staff_of_new_tickets
from escalation.models import Ticket
from tests.e2e.conftest import shoot, sign_in
from tests.factories import DEFAULT_PASSWORD, CategoryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Typed with non-breaking spaces, as a card number copied from a banking app often is.
CARD = "4111\u00a01111\u00a01111\u00a01111"
MASK = "•••• 1111"
FULL = re.compile(r"4111\D{0,3}1111\D{0,3}1111")


def _assert_no_full_number(text: str, where: str) -> None:
    assert not FULL.search(text), f"{where} shows the full card number"


def test_a_card_number_in_a_question_is_masked_for_the_asker_staff_and_every_mail(page, new_page, live_server):
    CategoryFactory(name="Payments", slug="payments")
    asker = UserFactory(display_name="Cora Card")
    staff = StaffFactory(display_name="Sam Support")

    sign_in(page, live_server.url, asker.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/ask/")
    page.get_by_label("Title").fill(f"Card {CARD} declined twice")
    page.get_by_label("Details", exact=True).fill(f"I paid with **{CARD}** and it was declined. What now?")
    page.get_by_label("Product area").select_option(label="Payments")
    # The live preview says what will be masked before anything is posted.
    expect(page.get_by_text(re.compile("We'll mask it before saving"))).to_be_visible()
    expect(page.locator(".preview").get_by_text(re.compile(re.escape(MASK)))).to_be_visible()
    page.get_by_role("button", name="Post your question").click()

    expect(page.get_by_text(re.compile("We masked a payment card number in your question"))).to_be_visible()
    expect(page.get_by_text(re.compile("our staff can see your account without them"))).to_be_visible()
    expect(page.get_by_text(re.compile("so we made it private"))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Card {MASK} declined twice")
    _assert_no_full_number(page.content(), "the asker's thread page")
    shoot(page, "masked-question")

    thread = Thread.objects.get()
    assert thread.is_private and thread.title == f"Card {MASK} declined twice"
    _assert_no_full_number(thread.title + thread.body + thread.body_html, "the database")

    # Staff: the digest mail, the queue and the ticket show the mask, nothing more.
    mail.outbox.clear()
    notify_staff_of_new_tickets()
    [digest] = [m for m in mail.outbox if m.to == [staff.email]]
    assert MASK in digest.body
    for text in [digest.subject, digest.body] + [content for content, _type in digest.alternatives]:
        _assert_no_full_number(text, "the staff digest mail")

    desk = new_page()
    sign_in(desk, live_server.url, staff.email, DEFAULT_PASSWORD)
    desk.goto(f"{live_server.url}/staff/queue/")
    row = desk.get_by_role("link", name=re.compile(re.escape(f"Card {MASK} declined twice")))
    expect(row).to_be_visible()
    _assert_no_full_number(desk.content(), "the staff queue")
    shoot(desk, "masked-staff-queue")
    ticket = Ticket.objects.get(thread=thread)
    desk.goto(f"{live_server.url}/staff/tickets/{ticket.pk}/")
    expect(desk.get_by_text(re.compile(re.escape(f"I paid with {MASK}"))).first).to_be_visible()
    _assert_no_full_number(desk.content(), "the ticket page")

    # Staff answer, quoting the card back by mistake: masked too, and the asker's mail shows the mask.
    mail.outbox.clear()
    desk.locator("#answer textarea").fill(f"We refunded {CARD} today.")
    desk.get_by_role("button", name=re.compile("Post official answer", re.I)).click()
    expect(desk.get_by_text(re.compile("We masked a payment card number in your answer"))).to_be_visible()
    [reply_mail] = [m for m in mail.outbox if m.to == [asker.email]]
    for text in [reply_mail.subject, reply_mail.body] + [content for content, _type in reply_mail.alternatives]:
        _assert_no_full_number(text, "the mail to the asker")
    assert MASK in reply_mail.subject

    page.reload()
    expect(page.get_by_text(re.compile(re.escape(f"We refunded {MASK} today.")))).to_be_visible()
    _assert_no_full_number(page.content(), "the asker's thread page after the answer")
    shoot(page, "masked-answer")
