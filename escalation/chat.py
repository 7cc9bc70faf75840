"""Staff chat: new and overdue tickets posted to Slack or Microsoft Teams incoming webhooks
(StaffChatWebhook, an admin setting).

New tickets go out with the sweep that announces them to staff (deadlines.
notify_staff_of_new_tickets), one message per sweep; overdue tickets once each, found by the
integrations sweep (escalation.tasks.sync_integrations). Messages are ChatMessage rows sent by a
worker after commit and retried by the same sweep for a few hours: the database is the clock.
A private thread is named by its ticket number only: a chat channel is not the staff queue.
"""

from __future__ import annotations

import logging
from datetime import datetime

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from config import retries
from config.tasks import enqueue_on_commit, task_named
from escalation.models import ChatMessage, StaffChatWebhook, Ticket

logger = logging.getLogger(__name__)

HOOKS_CACHE_KEY = "escalation:chat-hooks"
BACKOFF = (60, 5 * 60, 15 * 60, 60 * 60)
LISTED = 10  # tickets named in one message; the rest are counted
# The task that sends one message, queued by name: escalation.tasks calls into this module, so
# importing it would make an import cycle (config.tasks.task_named).
SEND_MESSAGE_TASK = "escalation.tasks.send_chat_message"


def active_hooks() -> list[dict]:
    """The active chat webhooks (cached until one changes), so a sweep without any costs no query."""
    found = cache.get(HOOKS_CACHE_KEY)
    if found is None:
        found = list(StaffChatWebhook.objects.filter(is_active=True).values("id", "notify_new", "notify_overdue"))
        cache.set(HOOKS_CACHE_KEY, found, timeout=600)
    return found


def forget_hooks() -> None:
    cache.delete(HOOKS_CACHE_KEY)


def _line(ticket: Ticket) -> str:
    url = settings.SITE_URL + reverse("escalation:ticket", kwargs={"pk": ticket.pk})
    title = "Private question" if ticket.thread.is_private else ticket.thread.title
    return f"• #{ticket.pk} {ticket.get_reason_display()}: {title} {url}"


def compose(heading: str, tickets: list[Ticket]) -> str:
    lines = [heading, *(_line(t) for t in tickets[:LISTED])]
    if len(tickets) > LISTED:
        lines.append(f"…and {len(tickets) - LISTED} more: {settings.SITE_URL}{reverse('escalation:queue')}")
    return "\n".join(lines)


def _queue_message(*, flag: str, text: str, now: datetime) -> list[ChatMessage]:
    hooks = [h for h in active_hooks() if h[flag]]
    if not hooks:
        return []
    messages = ChatMessage.objects.bulk_create(
        [ChatMessage(hook_id=h["id"], text=text, created_at=now, next_attempt_at=now) for h in hooks]
    )
    for message in messages:
        enqueue_on_commit(task_named(SEND_MESSAGE_TASK), message.pk)
    return messages


@transaction.atomic
def queue_test_message(*, hook: StaffChatWebhook) -> ChatMessage:
    """A message to one chat, to check the webhook address (the admin's action)."""
    now = timezone.now()
    message = ChatMessage.objects.create(hook=hook, text=f"Peerdesk is connected: new and overdue tickets will "
                                         f"appear here. {settings.SITE_URL}{reverse('escalation:queue')}",
                                         created_at=now, next_attempt_at=now)
    enqueue_on_commit(task_named(SEND_MESSAGE_TASK), message.pk)
    return message


def queue_new_tickets(*, ticket_ids: list[int], now: datetime | None = None) -> list[ChatMessage]:
    """One message about these newly announced tickets to every chat that wants new tickets."""
    if not ticket_ids or not any(h["notify_new"] for h in active_hooks()):
        return []
    tickets = list(Ticket.objects.filter(pk__in=ticket_ids).select_related("thread").order_by("created_at", "pk"))
    count = len(tickets)
    heading = f"{count} new ticket{'s' if count != 1 else ''} in the support queue:"
    return _queue_message(flag="notify_new", text=compose(heading, tickets), now=now or timezone.now())


def announce_overdue_tickets(*, now: datetime | None = None) -> list[int]:
    """Tell the chats, once per ticket, about tickets whose staff reply is overdue."""
    now = now or timezone.now()
    if not any(h["notify_overdue"] for h in active_hooks()):
        return []
    with transaction.atomic():
        tickets = list(
            Ticket.objects.filter(status__in=Ticket.AWAITING_STAFF, due_at__lt=now, overdue_announced_at__isnull=True)
            .select_related("thread").select_for_update(skip_locked=True, of=("self",)).order_by("due_at", "pk")[:200]
        )
        if not tickets:
            return []
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(overdue_announced_at=now)
        count = len(tickets)
        heading = f"{count} ticket{'s are' if count != 1 else ' is'} overdue for a staff reply:"
        _queue_message(flag="notify_overdue", text=compose(heading, tickets), now=now)
    return [t.pk for t in tickets]


def body_for(hook: StaffChatWebhook, text: str) -> dict:
    if hook.kind == StaffChatWebhook.Kind.TEAMS:
        # A Teams Workflows ("When a Teams webhook request is received") adaptive card message.
        return {
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [{"type": "TextBlock", "text": line, "wrap": True} for line in text.split("\n")],
                },
            }],
        }
    return {"text": text}


def send_message(*, message_id: int, now: datetime | None = None) -> ChatMessage | None:
    """One attempt at a due pending message, under a lease, outside any transaction."""
    now = now or timezone.now()
    if not retries.lease_attempt(ChatMessage, message_id, pending=ChatMessage.Status.PENDING, now=now):
        return None
    message = ChatMessage.objects.select_related("hook").get(pk=message_id)
    seconds = settings.WEBHOOK_TIMEOUT_SECONDS
    try:
        response = requests.post(message.hook.url, json=body_for(message.hook, message.text),
                                 timeout=(min(3, seconds), seconds), allow_redirects=False)
        status, error = response.status_code, "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"[:300]
    changes: dict = {"response_status": status, "error": error}
    retry_at = retries.retry_at(BACKOFF, attempts=message.attempts, now=now) if error else None
    if not error:
        changes["status"] = ChatMessage.Status.SENT
    elif retry_at is not None:
        changes["next_attempt_at"] = retry_at
    else:
        changes["status"] = ChatMessage.Status.FAILED
    ChatMessage.objects.filter(pk=message.pk).update(**changes)
    message.refresh_from_db()
    return message


def due_messages(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(ChatMessage.objects.filter(status=ChatMessage.Status.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at").values_list("pk", flat=True)[:200])
