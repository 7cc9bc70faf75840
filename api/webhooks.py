"""Outgoing webhooks: which events exist, what each delivery carries, how it is signed and
sent, and when it is tried again.

Flow: a domain event (community, escalation, kudos; experts later) reaches api.receivers inside
the transaction that caused it; ``emit`` writes one WebhookDelivery row per subscribed endpoint
in that same transaction and queues a fast-path task after commit. The rows are the clock: a
beat sweep (api.tasks.retry_due_webhooks, every WEBHOOK_SWEEP_SECONDS) queues every pending
row whose time has come, so a lost task, a dead worker or a Redis restart delays a delivery by
one sweep and loses none. ``attempt_delivery`` claims a row with a short lease (so two workers
never send it at once), sends it outside any transaction with short timeouts, and records the
answer; failures are retried with backoff for a day, then given up.

Nothing here runs in a web request: a slow or dead receiver holds a Celery worker for at most
WEBHOOK_TIMEOUT_SECONDS per attempt, never a page.

Private threads: an endpoint not marked ``trusts_private_data`` gets a private thread's id and
nothing of its content, decided when the event is emitted *and* again at each attempt (a thread
may have become private since).

Signing (docs/webhooks.md for receivers): ``Peerdesk-Signature: t=<unix time>,v1=<hex>`` where
hex is HMAC-SHA256(endpoint secret, "<unix time>." + raw body).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import Callable

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from api.models import ENDPOINTS_CACHE_KEY, WEBHOOK_EVENTS, WebhookDelivery, WebhookEndpoint
from config import retries
from config.tasks import enqueue_on_commit, task_named

logger = logging.getLogger(__name__)

EVENTS = WEBHOOK_EVENTS
PING = "ping"
# Seconds to wait after the 1st, 2nd, ... failed attempt; the last retry is about 22 hours after
# the event, and nothing is tried once GIVE_UP_AFTER has passed since it was emitted.
BACKOFF = (60, 5 * 60, 15 * 60, 60 * 60, 3 * 60 * 60, 6 * 60 * 60, 12 * 60 * 60)
GIVE_UP_AFTER = timedelta(days=1)
RESPONSE_BODY_MAX = 2000
SWEEP_BATCH = 200
USER_AGENT = "Peerdesk-Webhooks/1"
# The fast-path task, queued by name: api.tasks calls into this module, so importing it would
# make an import cycle (config.tasks.task_named).
DELIVER_TASK = "api.tasks.deliver_webhook"


# --- Payloads ------------------------------------------------------------------------------------


def member_data(user) -> dict | None:
    if user is None:
        return None
    return {"username": user.username, "display_name": user.name}


def thread_data(thread, *, trusted: bool) -> dict:
    if thread.is_private and not trusted:
        return {"id": thread.pk, "is_private": True}
    return {
        "id": thread.pk,
        "is_private": thread.is_private,
        "title": thread.title,
        "body": thread.body,
        "category": thread.category.slug if thread.category_id else None,
        "author": member_data(thread.author),
        "url": settings.SITE_URL + thread.get_absolute_url(),
        "created_at": thread.created_at,
    }


def answer_data(answer, *, trusted: bool) -> dict:
    if answer.thread.is_private and not trusted:
        return {"id": answer.pk}
    return {
        "id": answer.pk,
        "body": answer.body,
        "is_official": answer.is_official,
        "author": member_data(answer.author),
        "url": settings.SITE_URL + answer.get_absolute_url(),
        "created_at": answer.created_at,
    }


def ticket_data(ticket) -> dict:
    return {
        "id": ticket.pk,
        "reason": ticket.reason,
        "status": ticket.status,
        "assignee": member_data(ticket.assignee) if ticket.assignee_id else None,
        "created_at": ticket.created_at,
    }


def redact(payload: dict) -> dict:
    """What an untrusted endpoint may get of an event about a (now) private thread: ids only."""
    kept = {}
    for key, value in payload.items():
        if key == "thread" and isinstance(value, dict):
            kept[key] = {"id": value.get("id"), "is_private": True}
        elif key == "answer" and isinstance(value, dict):
            kept[key] = {"id": value.get("id")}
        elif key in ("ticket", "member", "rank"):
            kept[key] = value
    return kept


# --- Emitting ------------------------------------------------------------------------------------


def active_endpoints() -> list[dict]:
    """(id, events, trusts_private_data) of the active endpoints, cached until one changes
    (WebhookEndpoint.save / delete), so an event with no subscriber costs no query."""
    found = cache.get(ENDPOINTS_CACHE_KEY)
    if found is None:
        found = list(WebhookEndpoint.objects.filter(is_active=True).values("id", "events", "trusts_private_data"))
        cache.set(ENDPOINTS_CACHE_KEY, found, timeout=600)
    return found


def emit(event: str, *, data: Callable[[bool], dict], thread_id: int | None = None,
         endpoints: list[WebhookEndpoint] | None = None) -> list[WebhookDelivery]:
    """Record a delivery of ``event`` for every active endpoint subscribed to it, in the
    caller's transaction, and queue each after commit. ``data(trusted)`` builds the payload for
    an endpoint that does (True) or does not (False) trust private data."""
    if endpoints is None:
        endpoints = [WebhookEndpoint(id=e["id"], trusts_private_data=e["trusts_private_data"])
                     for e in active_endpoints() if event in (e["events"] or [])]
    if not endpoints:
        return []
    event_id = uuid.uuid4()
    now = timezone.now()
    payloads: dict[bool, dict] = {}
    rows = []
    for endpoint in endpoints:
        trusted = bool(endpoint.trusts_private_data)
        if trusted not in payloads:
            payloads[trusted] = json.loads(json.dumps(data(trusted), cls=DjangoJSONEncoder))
        rows.append(WebhookDelivery(endpoint=endpoint, event=event, event_id=event_id, thread_id=thread_id,
                                    payload=payloads[trusted], created_at=now, next_attempt_at=now))
    with transaction.atomic(savepoint=False):
        created = WebhookDelivery.objects.bulk_create(rows)
    for row in created:
        _queue(row.pk)
    return created


def _queue(delivery_id: int) -> None:
    enqueue_on_commit(task_named(DELIVER_TASK), delivery_id)


def send_test_event(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A ``ping`` to one endpoint, whatever it subscribes to: to check the receiver."""
    return emit(PING, data=lambda trusted: {"message": "Hello from Peerdesk", "endpoint": endpoint.name},
                endpoints=[endpoint])[0]


@transaction.atomic
def redeliver(*, delivery_id: int) -> WebhookDelivery:
    """Send an event again as a new delivery row (same event id, so receivers can recognise
    it), with a fresh day of retries."""
    original = WebhookDelivery.objects.get(pk=delivery_id)
    now = timezone.now()
    copy = WebhookDelivery.objects.create(
        endpoint_id=original.endpoint_id, event=original.event, event_id=original.event_id,
        thread_id=original.thread_id, payload=original.payload, redelivery_of=original,
        created_at=now, next_attempt_at=now,
    )
    _queue(copy.pk)
    return copy


# --- Signing -------------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(secret: str, header: str, body: bytes, *, now: float | None = None, tolerance: int = 300) -> bool:
    """What a receiver does (and the tests): recompute, compare in constant time, refuse old."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


# --- Sending -------------------------------------------------------------------------------------


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Take a due pending delivery for one attempt: the lease keeps other workers (a sweep's
    task, a repeated message) off it while it is being sent."""
    if not retries.lease_attempt(
        WebhookDelivery, delivery_id, pending=WebhookDelivery.Status.PENDING, now=now, last_attempt_at=now
    ):
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def _current_payload(delivery: WebhookDelivery) -> dict:
    if delivery.thread_id is None or delivery.endpoint.trusts_private_data:
        return delivery.payload
    from community.models import Thread

    still_public = Thread.objects.filter(pk=delivery.thread_id, is_private=False).exists()
    return delivery.payload if still_public else redact(delivery.payload)


def body_of(delivery: WebhookDelivery) -> bytes:
    envelope = {
        "id": str(delivery.event_id),
        "event": delivery.event,
        "created_at": delivery.created_at,
        "data": _current_payload(delivery),
    }
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def attempt_delivery(*, delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """One attempt at a due delivery; None when it is not due, done or being sent elsewhere."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        return _record(delivery, now=now, ok=False, error="The endpoint is turned off.", final=True)
    body = body_of(delivery)
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Peerdesk-Event": delivery.event,
        "Peerdesk-Delivery": str(delivery.event_id),
        "Peerdesk-Signature": signature(endpoint.secret, timestamp, body),
    }
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    started = time.monotonic()
    try:
        with requests.post(endpoint.url, data=body, headers=headers, timeout=(min(3, timeout), timeout),
                           allow_redirects=False, stream=True) as response:
            text = response.raw.read(RESPONSE_BODY_MAX, decode_content=True).decode("utf-8", errors="replace")
            status = response.status_code
    except requests.RequestException as exc:
        return _record(delivery, now=now, ok=False, error=f"{type(exc).__name__}: {exc}"[:300],
                       duration=time.monotonic() - started)
    return _record(delivery, now=now, ok=200 <= status < 300, status=status, body=text,
                   error="" if 200 <= status < 300 else f"HTTP {status}", duration=time.monotonic() - started)


def _record(delivery, *, now, ok: bool, status=None, body: str = "", error: str = "", duration: float | None = None,
            final: bool = False) -> WebhookDelivery:
    changes = {"response_status": status, "response_body": body[:RESPONSE_BODY_MAX], "error": error[:300],
               "duration_ms": int(duration * 1000) if duration is not None else None}
    if ok:
        changes["status"] = WebhookDelivery.Status.SUCCEEDED
    else:
        # attempts already counts this one (_claim).
        retry_at = retries.retry_at(BACKOFF, attempts=delivery.attempts, now=now)
        if final or retry_at is None or retry_at > delivery.created_at + GIVE_UP_AFTER:
            changes["status"] = WebhookDelivery.Status.FAILED
        else:
            changes["next_attempt_at"] = retry_at
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)
    delivery.refresh_from_db()
    if not ok:
        logger.info("webhook delivery %s to %s failed (%s)", delivery.pk, delivery.endpoint_id, error)
    return delivery


def due_delivery_ids(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
