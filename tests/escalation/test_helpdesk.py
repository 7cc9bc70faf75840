"""Helpdesk hand-off (Zendesk's Tickets API and a generic JSON webhook) and staff chat
(Slack, Microsoft Teams), each against a local HTTP server that speaks the format."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from escalation import chat, helpdesk, tasks

from escalation.deadlines import notify_staff_of_new_tickets, sweep_due_deadlines

from escalation.models import Channel, ChatMessage, HelpdeskHandoff, StaffChatWebhook, Ticket, TicketEvent
from escalation.tickets import redirect_ticket
from tests.api.receiver import Receiver
from tests.escalation.conftest import answer, ask
from tests.escalation.fake_helpdesk import FakeJsonHelpdesk, FakeZendesk

pytestmark = pytest.mark.django_db


@pytest.fixture
def zendesk():
    server = FakeZendesk()
    yield server
    server.stop()


@pytest.fixture
def queued(monkeypatch):
    ids = {"handoffs": [], "messages": []}
    monkeypatch.setattr(tasks.push_handoff, "delay", lambda pk: ids["handoffs"].append(pk))
    monkeypatch.setattr(tasks.send_chat_message, "delay", lambda pk: ids["messages"].append(pk))
    return ids


def zendesk_channel(server) -> Channel:
    return Channel.objects.create(name="Acme Zendesk", instructions="Our helpdesk will email you.",
                                  kind=Channel.Kind.ZENDESK, api_url=server.url, api_user="agent@acme.test",
                                  api_token="zd-token")


def escalated_ticket(member, category, **kwargs) -> Ticket:
    thread = ask(member, category, is_private=True, title="Refund for a double charge", **kwargs)
    return Ticket.objects.get(thread=thread)


def test_redirecting_to_zendesk_creates_a_ticket_there_after_commit(
        zendesk, queued, member, staff, category, client, django_capture_on_commit_callbacks):
    channel = zendesk_channel(zendesk)
    ticket = escalated_ticket(member, category)
    answer(staff, ticket.thread, body="We are looking into the refund now.")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("escalation:redirect", args=[ticket.pk]), {"channel": channel.pk})
    assert response.status_code == 302
    handoff = HelpdeskHandoff.objects.get(ticket=ticket)
    assert queued["handoffs"] == [handoff.pk] and zendesk.tickets == {}  # not in the request
    handoff = helpdesk.push_handoff(handoff_id=handoff.pk)
    assert handoff.status == "created" and handoff.remote_id == "1001" and handoff.remote_status == "new"
    assert handoff.remote_url == f"{zendesk.url}/agent/tickets/1001"
    sent = zendesk.tickets[1001]
    assert sent["subject"] == "Refund for a double charge" and sent["external_id"] == f"peerdesk-ticket-{ticket.pk}"
    assert sent["requester"]["email"] == member.email
    assert "We are looking into the refund now." in sent["comment"]["body"]
    assert TicketEvent.objects.filter(ticket=ticket, action="handoff").exists()
    # Staff see the link and the remote status; the asker is told where it continues.
    page = client.get(reverse("escalation:ticket", args=[ticket.pk])).content.decode()
    assert f"{zendesk.url}/agent/tickets/1001" in page and "new" in page
    client.force_login(member)
    notice = client.get(ticket.thread.get_absolute_url()).content.decode()
    assert "continues in our helpdesk" in notice and f"{zendesk.url}/hc/requests/1001" in notice


def test_the_remote_status_is_refreshed_by_the_sweep(zendesk, queued, member, staff, category):
    ticket = escalated_ticket(member, category)
    redirect_ticket(ticket_id=ticket.pk, staff=staff, channel=zendesk_channel(zendesk))
    handoff = helpdesk.push_handoff(handoff_id=HelpdeskHandoff.objects.get().pk)
    zendesk.tickets[1001]["status"] = "solved"
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert tasks.sync_integrations()["refreshed"] == 1
    handoff.refresh_from_db()
    assert handoff.remote_status == "solved" and not handoff.is_open_remotely
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        assert tasks.sync_integrations()["refreshed"] == 0  # a solved ticket is not asked again


def test_a_lost_answer_is_not_created_twice_and_failures_back_off(queued, member, staff, category):
    flaky = FakeZendesk(fail_creates=1)
    try:
        ticket = escalated_ticket(member, category)
        redirect_ticket(ticket_id=ticket.pk, staff=staff, channel=zendesk_channel(flaky))
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            handoff = helpdesk.push_handoff(handoff_id=HelpdeskHandoff.objects.get().pk)
        assert handoff.status == "pending" and "502" in handoff.last_error
        assert handoff.next_attempt_at == start + timedelta(seconds=60)
        with time_machine.travel(start + timedelta(seconds=61), tick=False):
            assert tasks.sync_integrations()["handoffs"] == 1
            handoff = helpdesk.push_handoff(handoff_id=handoff.pk)
        assert handoff.status == "created" and handoff.remote_id == "1001"
        assert len(flaky.tickets) == 1  # found by external_id, not made again
    finally:
        flaky.stop()


def test_an_unreachable_helpdesk_is_given_up_after_a_day_and_staff_see_why(queued, member, staff, category):
    channel = Channel.objects.create(name="Down desk", instructions="x", kind=Channel.Kind.WEBHOOK,
                                     api_url="http://127.0.0.1:9/tickets")
    ticket = escalated_ticket(member, category)
    redirect_ticket(ticket_id=ticket.pk, staff=staff, channel=channel)
    handoff = HelpdeskHandoff.objects.get()
    moment = timezone.now()
    while handoff.status == "pending":
        with time_machine.travel(moment, tick=False):
            handoff = helpdesk.push_handoff(handoff_id=handoff.pk)
        moment = handoff.next_attempt_at
    assert handoff.status == "failed" and "ConnectionError" in handoff.last_error
    assert moment - ticket.created_at < timedelta(days=1)
    assert TicketEvent.objects.filter(ticket=ticket, action="handoff", detail__contains="could not be created").exists()


def test_a_generic_json_helpdesk_gets_the_ticket_with_an_idempotency_key(queued, member, staff, category):
    desk = FakeJsonHelpdesk()
    try:
        channel = Channel.objects.create(name="Desk", instructions="x", kind=Channel.Kind.WEBHOOK, api_url=desk.url,
                                         api_token="hd-secret")
        ticket = escalated_ticket(member, category)
        redirect_ticket(ticket_id=ticket.pk, staff=staff, channel=channel)
        handoff = helpdesk.push_handoff(handoff_id=HelpdeskHandoff.objects.get().pk)
        assert handoff.remote_id == "HD-1" and handoff.customer_url.endswith("/my/HD-1")
        assert desk.server.received[0].headers["Idempotency-Key"] == f"peerdesk-ticket-{ticket.pk}"
        desk.tickets[f"peerdesk-ticket-{ticket.pk}"]["status"] = "pending"
        assert helpdesk.refresh_status(handoff_id=handoff.pk).remote_status == "pending"
    finally:
        desk.stop()


def test_a_helpdesk_link_that_is_not_http_is_never_shown(queued, member, staff, category, monkeypatch):
    evil = Receiver(body=b'{"id": "X1", "url": "javascript:alert(1)", "customer_url": "data:text/html,x"}')
    try:
        channel = Channel.objects.create(name="Evil", instructions="x", kind=Channel.Kind.WEBHOOK, api_url=evil.url)
        ticket = escalated_ticket(member, category)
        redirect_ticket(ticket_id=ticket.pk, staff=staff, channel=channel)
        handoff = helpdesk.push_handoff(handoff_id=HelpdeskHandoff.objects.get().pk)
        assert handoff.remote_id == "X1" and handoff.remote_url == "" and handoff.customer_url == ""
    finally:
        evil.stop()


def test_an_instructions_channel_makes_no_handoff(queued, member, staff, category):
    channel = Channel.objects.create(name="Billing", instructions="Write to billing@example.com.")
    ticket = escalated_ticket(member, category)
    redirect_ticket(ticket_id=ticket.pk, staff=staff, channel=channel)
    assert not HelpdeskHandoff.objects.exists()


# --- Staff chat ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["slack", "teams"])
def test_new_and_overdue_tickets_are_posted_to_staff_chat(kind, queued, member, category, policy,
                                                          django_capture_on_commit_callbacks):
    hook_server = Receiver()
    try:
        hook = StaffChatWebhook.objects.create(name="Support", kind=kind, url=hook_server.url)
        public = ask(member, category, title="Calendar export is empty")
        private = escalated_ticket(member, category)
        later = timezone.now() + timedelta(minutes=61)
        with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
            sweep_due_deadlines()
        message = ChatMessage.objects.get()
        assert queued["messages"] == [message.pk]
        with time_machine.travel(later, tick=False):
            chat.send_message(message_id=message.pk)
        sent = hook_server.received[0].json()
        text = sent["text"] if kind == "slack" else " ".join(
            block["text"] for block in sent["attachments"][0]["content"]["body"])
        assert "2 new tickets" in text and "Calendar export is empty" in text
        assert "Refund for a double charge" not in text and f"#{private.pk}" in text  # private: number only
        assert ChatMessage.objects.get().status == "sent"
        # Overdue once the staff response time (30 min) has passed: announced once.
        with time_machine.travel(later + timedelta(minutes=35)):
            assert len(chat.announce_overdue_tickets()) == 2
            assert chat.announce_overdue_tickets() == []
        overdue = ChatMessage.objects.exclude(pk=message.pk).get()
        assert "overdue" in overdue.text and overdue.hook == hook
        assert public.pk
    finally:
        hook_server.stop()


def test_chat_failures_are_retried_then_given_up(queued, member, category):
    StaffChatWebhook.objects.create(name="Gone", kind="slack", url="http://127.0.0.1:9/hook")
    escalated_ticket(member, category)
    notify_staff_of_new_tickets()
    message = ChatMessage.objects.get()
    moment = timezone.now()
    while message.status == "pending":
        with time_machine.travel(moment, tick=False):
            message = chat.send_message(message_id=message.pk)
        moment = message.next_attempt_at
    assert message.status == "failed" and message.attempts == len(chat.BACKOFF) + 1


def test_no_chat_configured_costs_the_sweep_no_query(member, category, django_assert_num_queries):
    chat.active_hooks()
    with django_assert_num_queries(0):
        assert chat.queue_new_tickets(ticket_ids=[1, 2]) == []
        assert chat.announce_overdue_tickets() == []


def test_admins_set_up_helpdesk_channels_and_chat_with_http_addresses_only(admin_user, client):
    client.force_login(admin_user)
    bad = client.post("/admin/escalation/channel/add/", {"name": "ZD", "instructions": "x", "kind": "zendesk",
                                                          "api_url": "file:///etc/passwd", "position": 0})
    assert bad.status_code == 200 and not Channel.objects.exists()
    no_token = client.post("/admin/escalation/channel/add/", {"name": "ZD", "instructions": "x", "kind": "zendesk",
                                                               "api_url": "https://acme.zendesk.com", "position": 0})
    assert no_token.status_code == 200 and not Channel.objects.exists()
    client.post("/admin/escalation/staffchatwebhook/add/", {"name": "S", "kind": "slack", "url": "gopher://x/"})
    assert not StaffChatWebhook.objects.exists()


def test_admins_send_a_test_message_to_a_chat(admin_user, client):
    server = Receiver()
    try:
        hook = StaffChatWebhook.objects.create(name="Support", kind="slack", url=server.url)
        client.force_login(admin_user)
        client.post("/admin/escalation/staffchatwebhook/", {"action": "send_test_message", "_selected_action": [hook.pk]})
        message = ChatMessage.objects.get()
        chat.send_message(message_id=message.pk)  # tasks run eagerly in tests; this finds it sent
        assert ChatMessage.objects.get().status == "sent"
        assert "Peerdesk is connected" in server.received[0].json()["text"]
    finally:
        server.stop()


def test_a_helpdesk_error_echoing_a_card_number_is_stored_masked(queued, member, staff, category):
    """Errors keep the helpdesk's answer for staff; one that echoes account data (a proxy
    repeating the request, a form's validation message) is masked before it is stored."""
    echo = Receiver(respond=lambda request: (422, b'{"error": "card 4111 1111 1111 1111 is not allowed"}'))
    try:
        channel = Channel.objects.create(name="Echo desk", instructions="x", kind=Channel.Kind.WEBHOOK,
                                         api_url=echo.url + "/tickets")
        ticket = escalated_ticket(member, category)
        redirect_ticket(ticket_id=ticket.pk, staff=staff, channel=channel)
        handoff = helpdesk.push_handoff(handoff_id=HelpdeskHandoff.objects.get().pk)
    finally:
        echo.stop()
    assert handoff.status == "pending" and "422" in handoff.last_error
    assert "4111 1111 1111 1111" not in handoff.last_error and "1111" in handoff.last_error
