"""Hand-off to the company's helpdesk: a helpdesk channel (Channel.kind zendesk or webhook)
turns an escalated ticket into a ticket there, through its REST API.

Staff redirect the ticket to the channel (tickets.redirect_ticket): a HelpdeskHandoff row is
written in that transaction and a task creates the remote ticket after commit. The row is the
clock: the integrations sweep (escalation.tasks.sync_integrations) retries pending rows with
backoff for about a day and refreshes the remote status of open ones. Every call runs in a
Celery worker with short timeouts (WEBHOOK_TIMEOUT_SECONDS), never in a request.

Zendesk: POST {api_url}/api/v2/tickets.json with API-token basic auth (``<email>/token``),
``external_id`` ``peerdesk-ticket-<id>``; a retry first looks the ticket up by that id, so a
create whose answer was lost is not made twice. Status from GET /api/v2/tickets/<id>.json.

Generic JSON webhook: POST {api_url} with the JSON below (``Authorization: Bearer <token>``
when a token is set, ``Idempotency-Key: peerdesk-ticket-<id>``); the helpdesk answers 2xx with
``{"id": ..., "url": ..., "customer_url": ... (optional), "status": ...}``; status from
GET {api_url}/<id> answering ``{"status": ...}``. See docs/architecture.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from community.privacy import mask_account_data
from config import retries
from config.tasks import enqueue_on_commit, task_named
from escalation.models import Channel, HelpdeskHandoff, Ticket, TicketEvent

logger = logging.getLogger(__name__)

BACKOFF = (60, 5 * 60, 15 * 60, 60 * 60, 3 * 60 * 60, 6 * 60 * 60, 12 * 60 * 60)
STATUS_REFRESH = timedelta(minutes=5)
BATCH = 50
# The task that creates the remote ticket, queued by name: escalation.tasks calls into this
# module, so importing it would make an import cycle (config.tasks.task_named).
PUSH_HANDOFF_TASK = "escalation.tasks.push_handoff"


class HelpdeskError(Exception):
    pass


@dataclass
class RemoteTicket:
    id: str
    url: str = ""
    customer_url: str = ""
    status: str = ""


def external_id(ticket: Ticket) -> str:
    return f"peerdesk-ticket-{ticket.pk}"


def ticket_fields(ticket: Ticket) -> dict:
    """What the helpdesk gets: the question, the answers so far, who asked, and the link."""
    thread = ticket.thread
    answers = thread.answers.filter(is_deleted=False).select_related("author").order_by("created_at", "pk")
    lines = [thread.body, "", f"Asked on Peerdesk: {settings.SITE_URL}{thread.get_absolute_url()}"]
    for answer in answers[:20]:
        lines += ["", f"--- {'Official answer' if answer.is_official else 'Answer'} by {answer.author.name}:",
                  answer.body]
    return {
        "external_id": external_id(ticket),
        "subject": thread.title,
        "description": "\n".join(lines)[:60_000],
        "requester": {"name": thread.author.name, "email": thread.author.email},
        "peerdesk_url": f"{settings.SITE_URL}{thread.get_absolute_url()}",
        "reason": ticket.reason,
        "is_private": thread.is_private,
    }


def _stored(text: str) -> str:
    """What the helpdesk said (errors echo its response), bounded and with account data
    masked before it is stored and shown to staff, as every other stored text."""
    return mask_account_data(text[:300], max_chars=300).text[:300]


def record_handoff_event(*, ticket_id: int, detail: str, now: datetime) -> None:
    TicketEvent.objects.create(ticket_id=ticket_id, action=TicketEvent.Action.HANDOFF, detail=_stored(detail),
                               created_at=now)


def _timeout() -> tuple[int, int]:
    seconds = settings.WEBHOOK_TIMEOUT_SECONDS
    return (min(3, seconds), seconds)


def _json(response: requests.Response) -> dict:
    if not 200 <= response.status_code < 300:
        raise HelpdeskError(f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        data = response.json()
    except ValueError as exc:
        raise HelpdeskError("The helpdesk answered with something that is not JSON.") from exc
    if not isinstance(data, dict):
        raise HelpdeskError("The helpdesk answered with unexpected JSON.")
    return data


# --- Zendesk --------------------------------------------------------------------------------


def _zendesk(channel: Channel, method: str, path: str, **kwargs) -> dict:
    response = requests.request(
        method, channel.api_url.rstrip("/") + path, auth=(f"{channel.api_user}/token", channel.api_token),
        timeout=_timeout(), allow_redirects=False, **kwargs,
    )
    return _json(response)


def _zendesk_remote(channel: Channel, data: dict) -> RemoteTicket:
    base = channel.api_url.rstrip("/")
    remote_id = str(data["id"])
    return RemoteTicket(id=remote_id, url=f"{base}/agent/tickets/{remote_id}",
                        customer_url=f"{base}/hc/requests/{remote_id}", status=str(data.get("status", "")))


def zendesk_create(channel: Channel, fields: dict) -> RemoteTicket:
    body = {"ticket": {
        "subject": fields["subject"],
        "comment": {"body": fields["description"], "public": False},
        "requester": fields["requester"],
        "external_id": fields["external_id"],
        "tags": ["peerdesk", f"peerdesk_{fields['reason']}"],
    }}
    return _zendesk_remote(channel, _zendesk(channel, "POST", "/api/v2/tickets.json", json=body)["ticket"])


def zendesk_find(channel: Channel, external: str) -> RemoteTicket | None:
    found = _zendesk(channel, "GET", "/api/v2/tickets.json", params={"external_id": external}).get("tickets") or []
    return _zendesk_remote(channel, found[0]) if found else None


def zendesk_status(channel: Channel, remote_id: str) -> str:
    return str(_zendesk(channel, "GET", f"/api/v2/tickets/{quote(remote_id)}.json")["ticket"].get("status", ""))


# --- Generic JSON webhook ------------------------------------------------------------------------


def _webhook_headers(channel: Channel, **extra) -> dict:
    headers = {"User-Agent": "Peerdesk-Helpdesk/1", **extra}
    if channel.api_token:
        headers["Authorization"] = f"Bearer {channel.api_token}"
    return headers


def webhook_create(channel: Channel, fields: dict) -> RemoteTicket:
    response = requests.post(channel.api_url, json=fields, timeout=_timeout(), allow_redirects=False,
                             headers=_webhook_headers(channel, **{"Idempotency-Key": fields["external_id"]}))
    data = _json(response)
    if data.get("id") in (None, ""):
        raise HelpdeskError("The helpdesk's answer has no ticket id.")
    return RemoteTicket(id=str(data["id"])[:100], url=_safe_url(data.get("url")),
                        customer_url=_safe_url(data.get("customer_url")), status=str(data.get("status", ""))[:40])


def webhook_status(channel: Channel, remote_id: str) -> str:
    response = requests.get(f"{channel.api_url.rstrip('/')}/{quote(remote_id)}", timeout=_timeout(),
                            allow_redirects=False, headers=_webhook_headers(channel))
    return str(_json(response).get("status", ""))[:40]


def _safe_url(value) -> str:
    """Only http(s) links from a helpdesk's answer are shown (never javascript: and the like)."""
    value = str(value or "")[:500]
    return value if value.startswith(("https://", "http://")) else ""


# --- Services ------------------------------------------------------------------------------------


@transaction.atomic(savepoint=False)
def start_handoff(*, ticket: Ticket, channel: Channel, now: datetime | None = None) -> HelpdeskHandoff:
    """Record that ``ticket`` goes to the helpdesk of ``channel`` and create the remote ticket
    after commit. Called from redirect_ticket under its ticket lock. A ticket that already has
    a remote ticket keeps it (a reopened and redirected ticket is not created twice)."""
    now = now or timezone.now()
    handoff, created = HelpdeskHandoff.objects.get_or_create(
        ticket=ticket, defaults={"channel": channel, "created_at": now, "next_attempt_at": now}
    )
    if not created and handoff.status == HelpdeskHandoff.Status.FAILED:
        HelpdeskHandoff.objects.filter(pk=handoff.pk).update(
            channel=channel, status=HelpdeskHandoff.Status.PENDING, attempts=0, next_attempt_at=now,
            created_at=now, last_error="",
        )
        handoff.refresh_from_db()
    if handoff.status == HelpdeskHandoff.Status.PENDING:
        enqueue_on_commit(task_named(PUSH_HANDOFF_TASK), handoff.pk)
    return handoff


def _claim(handoff_id: int, now: datetime) -> HelpdeskHandoff | None:
    if not retries.lease_attempt(HelpdeskHandoff, handoff_id, pending=HelpdeskHandoff.Status.PENDING, now=now):
        return None
    return HelpdeskHandoff.objects.select_related("channel", "ticket__thread__author").get(pk=handoff_id)


def push_handoff(*, handoff_id: int, now: datetime | None = None) -> HelpdeskHandoff | None:
    """Create the remote ticket of a due pending hand-off (outside any transaction, under a
    lease). On failure the next try is scheduled with backoff; after about a day it is given up
    and the ticket's history says so, so staff can redirect it elsewhere."""
    now = now or timezone.now()
    handoff = _claim(handoff_id, now)
    if handoff is None:
        return None
    channel, ticket = handoff.channel, handoff.ticket
    try:
        if channel.kind == Channel.Kind.ZENDESK:
            remote = (zendesk_find(channel, external_id(ticket)) if handoff.attempts > 1 else None) or \
                zendesk_create(channel, ticket_fields(ticket))
        elif channel.kind == Channel.Kind.WEBHOOK:
            remote = webhook_create(channel, ticket_fields(ticket))
        else:
            raise HelpdeskError("This channel is not a helpdesk.")
    except (requests.RequestException, HelpdeskError, KeyError, TypeError) as exc:
        return _failed(handoff, now=now, error=f"{type(exc).__name__}: {exc}")
    with transaction.atomic():
        HelpdeskHandoff.objects.filter(pk=handoff.pk).update(
            status=HelpdeskHandoff.Status.CREATED, remote_id=remote.id, remote_url=remote.url,
            customer_url=remote.customer_url, remote_status=remote.status, synced_at=now, last_error="",
        )
        record_handoff_event(ticket_id=ticket.pk, detail=f"Helpdesk ticket {remote.id} created in {channel.name}", now=now)
    handoff.refresh_from_db()
    return handoff


def _failed(handoff: HelpdeskHandoff, *, now: datetime, error: str) -> HelpdeskHandoff:
    changes: dict = {"last_error": _stored(error)}
    retry_at = retries.retry_at(BACKOFF, attempts=handoff.attempts, now=now)
    if retry_at is not None:
        changes["next_attempt_at"] = retry_at
    else:
        changes["status"] = HelpdeskHandoff.Status.FAILED
    with transaction.atomic():
        HelpdeskHandoff.objects.filter(pk=handoff.pk).update(**changes)
        if changes.get("status") == HelpdeskHandoff.Status.FAILED:
            record_handoff_event(ticket_id=handoff.ticket_id, now=now,
                                 detail=f"The helpdesk ticket could not be created: {error}"[:300])
    logger.warning("helpdesk hand-off %s failed: %s", handoff.pk, error)
    handoff.refresh_from_db()
    return handoff


def refresh_status(*, handoff_id: int, now: datetime | None = None) -> HelpdeskHandoff:
    """Ask the helpdesk for the remote ticket's status (shown to staff on the ticket page)."""
    now = now or timezone.now()
    handoff = HelpdeskHandoff.objects.select_related("channel").get(pk=handoff_id)
    if handoff.status != HelpdeskHandoff.Status.CREATED:
        return handoff
    reader = zendesk_status if handoff.channel.kind == Channel.Kind.ZENDESK else webhook_status
    try:
        status = reader(handoff.channel, handoff.remote_id)
    except (requests.RequestException, HelpdeskError, KeyError, TypeError) as exc:
        HelpdeskHandoff.objects.filter(pk=handoff.pk).update(synced_at=now, last_error=_stored(f"{type(exc).__name__}: {exc}"))
    else:
        HelpdeskHandoff.objects.filter(pk=handoff.pk).update(remote_status=status[:40], synced_at=now, last_error="")
    handoff.refresh_from_db()
    return handoff


def due_handoffs(*, now: datetime | None = None) -> tuple[list[int], list[int]]:
    """(pending hand-offs to create now, created open ones whose status is stale)."""
    now = now or timezone.now()
    pending = list(HelpdeskHandoff.objects.filter(status=HelpdeskHandoff.Status.PENDING, next_attempt_at__lte=now)
                   .order_by("next_attempt_at").values_list("pk", flat=True)[:BATCH])
    stale = list(
        HelpdeskHandoff.objects.filter(status=HelpdeskHandoff.Status.CREATED)
        .filter(Q(synced_at__isnull=True) | Q(synced_at__lte=now - STATUS_REFRESH))
        .exclude(remote_status__in=["solved", "closed", "resolved"])
        .order_by("synced_at").values_list("pk", flat=True)[:BATCH]
    )
    return pending, stale
