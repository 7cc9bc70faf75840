"""Outgoing webhooks: rows written with the event, signed deliveries sent after commit by a
worker, retries with backoff for a day, redelivery, private data, and a hanging receiver."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from api import tasks, webhooks
from api.models import WebhookDelivery, WebhookEndpoint
from community import services as community
from escalation.deadlines import notify_staff_of_new_tickets
from escalation.models import Ticket
from escalation.tickets import claim_ticket, resolve_ticket
from tests.api.receiver import Receiver

pytestmark = pytest.mark.django_db


def endpoint_for(receiver, events=("question.asked",), **extra) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(name="CRM", url=receiver.url + "/hooks", events=list(events), **extra)


def ask(member, category, **kwargs):
    values = {"title": "Sync stops after the update", "body": "Calendar sync stopped working yesterday."}
    return community.ask_question(author=member, category=category, **{**values, **kwargs})


def test_an_event_is_recorded_in_its_transaction_and_sent_signed_after_commit(
        receiver, queued, member, category, django_capture_on_commit_callbacks):
    endpoint = endpoint_for(receiver)
    with django_capture_on_commit_callbacks(execute=True):
        thread = ask(member, category)
    delivery = WebhookDelivery.objects.get()
    assert queued == [delivery.pk] and receiver.received == []  # nothing sent in the request
    sent = webhooks.attempt_delivery(delivery_id=delivery.pk)
    assert sent.status == WebhookDelivery.Status.SUCCEEDED and sent.response_status == 200
    assert sent.response_body == '{"ok": true}' and sent.attempts == 1
    got = receiver.received[0]
    assert got.path == "/hooks" and got.headers["Peerdesk-Event"] == "question.asked"
    assert webhooks.verify_signature(endpoint.secret, got.headers["Peerdesk-Signature"], got.body)
    assert not webhooks.verify_signature("whsec_wrong", got.headers["Peerdesk-Signature"], got.body)
    assert not webhooks.verify_signature(endpoint.secret, got.headers["Peerdesk-Signature"], got.body + b" ")
    payload = got.json()
    assert payload["event"] == "question.asked" and payload["id"] == got.headers["Peerdesk-Delivery"]
    assert payload["data"]["thread"]["title"] == thread.title
    # A second attempt (a repeated task) finds it done.
    assert webhooks.attempt_delivery(delivery_id=delivery.pk) is None
    assert len(receiver.received) == 1


def test_an_old_signature_is_refused_by_the_documented_check(receiver, queued, member, category):
    endpoint = endpoint_for(receiver)
    ask(member, category)
    webhooks.attempt_delivery(delivery_id=WebhookDelivery.objects.get().pk)
    got = receiver.received[0]
    later = time.time() + 301
    assert not webhooks.verify_signature(endpoint.secret, got.headers["Peerdesk-Signature"], got.body, now=later)


def test_failures_are_retried_with_backoff_for_a_day_then_given_up(receiver, queued, member, category):
    receiver.status, receiver.body = 503, b"busy"
    endpoint_for(receiver)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ask(member, category)
        delivery = WebhookDelivery.objects.get()
        delivery = webhooks.attempt_delivery(delivery_id=delivery.pk)
    assert delivery.status == "pending" and delivery.response_status == 503 and delivery.error == "HTTP 503"
    assert delivery.next_attempt_at == start + timedelta(seconds=60)
    waits = []
    moment = start
    while delivery.status == "pending":
        waits.append(int((delivery.next_attempt_at - moment).total_seconds()))
        moment = delivery.next_attempt_at
        with time_machine.travel(moment, tick=False):
            assert webhooks.due_delivery_ids() == [delivery.pk]
            delivery = webhooks.attempt_delivery(delivery_id=delivery.pk)
    assert waits == list(webhooks.BACKOFF)
    assert delivery.status == "failed" and delivery.attempts == len(webhooks.BACKOFF) + 1
    assert moment - start < timedelta(days=1)
    assert len(receiver.received) == delivery.attempts


def test_the_beat_sweep_sends_what_the_fast_path_lost(receiver, queued, member, category, monkeypatch):
    endpoint_for(receiver)
    ask(member, category)  # its after-commit task is "lost": never run
    swept: list[int] = []
    monkeypatch.setattr(tasks.deliver_webhook, "delay", lambda pk: swept.append(pk))
    assert tasks.retry_due_webhooks() == 1
    tasks.deliver_webhook(swept[0])
    assert WebhookDelivery.objects.get().status == "succeeded"
    assert tasks.retry_due_webhooks() == 0


def test_a_delivery_being_sent_is_not_sent_twice(receiver, queued, member, category):
    endpoint_for(receiver)
    ask(member, category)
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    assert webhooks._claim(delivery.pk, now) is not None
    assert webhooks.attempt_delivery(delivery_id=delivery.pk, now=now) is None  # leased
    assert webhooks.due_delivery_ids(now=now) == []


def test_redelivery_sends_the_same_event_again(receiver, queued, member, category):
    endpoint_for(receiver)
    ask(member, category)
    first = webhooks.attempt_delivery(delivery_id=WebhookDelivery.objects.get().pk)
    copy = webhooks.redeliver(delivery_id=first.pk)
    assert copy.pk != first.pk and copy.event_id == first.event_id and copy.redelivery_of_id == first.pk
    webhooks.attempt_delivery(delivery_id=copy.pk)
    ids = [r.headers["Peerdesk-Delivery"] for r in receiver.received]
    assert ids == [str(first.event_id)] * 2


def test_private_threads_reach_only_trusted_endpoints_with_their_content(queued, member, category):
    plain, trusted = Receiver(), Receiver()
    try:
        endpoint_for(plain)
        endpoint_for(trusted, trusts_private_data=True)
        thread = ask(member, category, title="Refund for my plan please", body="Card 4111 1111 1111 1111 charged twice")
        assert thread.is_private
        for delivery in WebhookDelivery.objects.all():
            webhooks.attempt_delivery(delivery_id=delivery.pk)
        untrusted_body = plain.received[0].body.decode()
        assert "Refund" not in untrusted_body and "4111" not in untrusted_body and "charged" not in untrusted_body
        assert plain.received[0].json()["data"]["thread"] == {"id": thread.pk, "is_private": True}
        assert trusted.received[0].json()["data"]["thread"]["title"] == "Refund for my plan please"
    finally:
        plain.stop()
        trusted.stop()


def test_a_thread_made_private_after_the_event_is_redacted_when_sent(receiver, queued, member, category):
    endpoint_for(receiver, events=("question.asked", "question.answered"))
    thread = ask(member, category)
    community.edit_question(user=member, thread=thread, title=thread.title, body=thread.body, is_private=True)
    webhooks.attempt_delivery(delivery_id=WebhookDelivery.objects.get(event="question.asked").pk)
    body = receiver.received[0].body.decode()
    assert thread.title not in body and "Calendar sync" not in body


def test_a_hanging_receiver_never_holds_a_web_request_and_times_out_in_the_worker(
        queued, member, category, client, settings, django_capture_on_commit_callbacks):
    hanging = Receiver(hang=True)
    try:
        endpoint_for(hanging)
        client.force_login(member)
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("community:ask"), {"title": "Sync stops after the update",
                                                              "body": "Calendar sync stopped yesterday.",
                                                              "category": category.pk})
        assert response.status_code == 302
        assert hanging.received == [] and len(queued) == 1  # the page only wrote a row
        assert time.monotonic() - started < 5
        settings.WEBHOOK_TIMEOUT_SECONDS = 1
        started = time.monotonic()
        delivery = webhooks.attempt_delivery(delivery_id=queued[0])
        assert time.monotonic() - started < 4
        assert delivery.status == "pending" and "Timeout" in delivery.error and delivery.attempts == 1
    finally:
        hanging.stop()


def test_a_dead_receiver_is_a_logged_failure(queued, member, category):
    WebhookEndpoint.objects.create(name="Gone", url="http://127.0.0.1:9/hooks", events=["question.asked"])
    ask(member, category)
    delivery = webhooks.attempt_delivery(delivery_id=WebhookDelivery.objects.get().pk)
    assert delivery.status == "pending" and "ConnectionError" in delivery.error


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://127.0.0.1/", "ftp://example.com/x", "javascript:alert(1)"])
def test_only_http_and_https_addresses_are_accepted(url):
    with pytest.raises(ValidationError):
        WebhookEndpoint(name="bad", url=url, events=["question.asked"]).full_clean()


def test_ticket_and_rank_events_are_sent(receiver, queued, member, staff, category):
    endpoint_for(receiver, events=("question.escalated", "ticket.claimed", "ticket.resolved", "member.rank_reached"))
    thread = ask(member, category, is_private=True)
    notify_staff_of_new_tickets()
    ticket = Ticket.objects.get(thread=thread)
    claim_ticket(ticket_id=ticket.pk, staff=staff)
    resolve_ticket(ticket_id=ticket.pk, staff=staff)
    events = list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True))
    assert events == ["question.escalated", "ticket.claimed", "ticket.resolved"]
    payload = WebhookDelivery.objects.get(event="ticket.claimed").payload
    assert payload["ticket"]["assignee"]["username"] == staff.username
    assert payload["thread"] == {"id": thread.pk, "is_private": True}


def test_events_without_subscribers_cost_no_query(member, category, django_assert_num_queries):
    webhooks.active_endpoints()
    with django_assert_num_queries(0):
        assert webhooks.emit("question.asked", data=lambda trusted: {}) == []


def test_admins_register_endpoints_ping_them_and_redeliver(receiver, queued, admin_user, client):
    client.force_login(admin_user)
    refused = client.post("/admin/api/webhookendpoint/add/", {"name": "Bad", "url": "ftp://example.com/",
                                                             "events": ["question.asked"]})
    assert refused.status_code == 200 and not WebhookEndpoint.objects.exists()
    client.post("/admin/api/webhookendpoint/add/", {"name": "CRM", "url": receiver.url, "events": ["question.asked"],
                                                    "is_active": "on"})
    endpoint = WebhookEndpoint.objects.get()
    page = client.get(f"/admin/api/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret.encode() in page.content
    client.post("/admin/api/webhookendpoint/", {"action": "send_test_event", "_selected_action": [endpoint.pk]})
    ping = WebhookDelivery.objects.get(event="ping")
    webhooks.attempt_delivery(delivery_id=ping.pk)
    assert WebhookDelivery.objects.get(pk=ping.pk).status == "succeeded"
    log = client.get(f"/admin/api/webhookdelivery/{ping.pk}/change/")
    assert log.status_code == 200 and b"Delivered" in log.content
    client.post("/admin/api/webhookdelivery/", {"action": "redeliver", "_selected_action": [ping.pk]})
    assert WebhookDelivery.objects.filter(redelivery_of=ping).count() == 1
