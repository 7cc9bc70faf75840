"""Races that only a database with row locks can show: run on PostgreSQL (skipped on SQLite)."""

from __future__ import annotations

import pytest

from api import webhooks
from api.models import WebhookDelivery, WebhookEndpoint
from escalation import helpdesk
from escalation.models import Channel, HelpdeskHandoff, Ticket
from escalation.tickets import redirect_ticket
from tests.escalation.conftest import ask
from tests.escalation.fake_helpdesk import FakeJsonHelpdesk
from tests.escalation.test_concurrency import _run_at_once
from tests.factories import CategoryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_workers_racing_for_the_same_delivery_send_it_once(on_postgres, receiver, queued):
    WebhookEndpoint.objects.create(name="CRM", url=receiver.url, events=["question.asked"])
    ask(UserFactory(), CategoryFactory())
    delivery = WebhookDelivery.objects.get()
    results = _run_at_once(6, lambda i: webhooks.attempt_delivery(delivery_id=delivery.pk))
    assert sum(1 for r in results if isinstance(r, WebhookDelivery)) == 1, results
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get().attempts == 1


def test_workers_racing_for_the_same_handoff_create_one_remote_ticket(on_postgres, monkeypatch):
    from escalation import tasks

    monkeypatch.setattr(tasks.push_handoff, "delay", lambda pk: None)  # the race is between workers
    desk = FakeJsonHelpdesk()
    try:
        channel = Channel.objects.create(name="Desk", instructions="x", kind=Channel.Kind.WEBHOOK, api_url=desk.url,
                                         api_token="hd-secret")
        thread = ask(UserFactory(), CategoryFactory(), is_private=True)
        ticket = Ticket.objects.get(thread=thread)
        redirect_ticket(ticket_id=ticket.pk, staff=StaffFactory(), channel=channel)
        handoff = HelpdeskHandoff.objects.get()
        results = _run_at_once(6, lambda i: helpdesk.push_handoff(handoff_id=handoff.pk))
        assert sum(1 for r in results if isinstance(r, HelpdeskHandoff)) == 1, results
        assert len(desk.server.received) == 1
    finally:
        desk.stop()
