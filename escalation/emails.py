"""Emails of the escalation app, built from templates/escalation/email/ and sent by tasks.

Each function takes primary keys, re-reads the rows (the task may run long after the request)
and returns how many messages it sent.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from community.models import Answer
from escalation.models import Ticket


def _absolute(path: str) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def _send(*, subject: str, template: str, context: dict, to: list[str] | None = None, bcc: list[str] | None = None) -> int:
    context = {"SITE_NAME": settings.SITE_NAME, **context}
    body = render_to_string(template, context)
    subject = f"[{settings.SITE_NAME}] {subject}".replace("\n", " ")
    return EmailMessage(subject=subject, body=body, to=to or [], bcc=bcc or []).send()


def send_new_tickets_email(*, ticket_ids: list[int]) -> int:
    """One email to every active staff member listing these new tickets."""
    tickets = list(Ticket.objects.with_queue_data().filter(pk__in=ticket_ids).order_by("due_at", "pk"))
    recipients = list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )
    if not tickets or not recipients:
        return 0
    rows = [{"ticket": t, "url": _absolute(t.get_absolute_url())} for t in tickets]
    count = len(tickets)
    return _send(
        subject=f"{count} new ticket{'s' if count != 1 else ''} in the support queue",
        template="escalation/email/new_tickets.txt",
        context={"rows": rows, "queue_url": _absolute("/staff/queue/")},
        to=[settings.DEFAULT_FROM_EMAIL],
        bcc=recipients,
    )


def send_staff_reply_email(*, answer_id: int) -> int:
    """Tell the asker that support staff answered their question."""
    answer = Answer.objects.select_related("thread", "thread__author", "author").filter(pk=answer_id).first()
    if answer is None or answer.is_deleted:
        return 0
    asker = answer.thread.author
    if not asker.email or not asker.is_active or asker.pk == answer.author_id:
        return 0
    return _send(
        subject=f"Our support team answered: {answer.thread.title}",
        template="escalation/email/staff_reply.txt",
        context={"answer": answer, "thread": answer.thread, "asker": asker, "url": _absolute(answer.get_absolute_url())},
        to=[asker.email],
    )


def send_channel_email(*, ticket_id: int) -> int:
    """Send the asker the instructions of the channel staff redirected them to."""
    ticket = Ticket.objects.select_related("thread", "thread__author", "channel").filter(pk=ticket_id).first()
    if ticket is None or ticket.channel is None:
        return 0
    asker = ticket.thread.author
    if not asker.email or not asker.is_active:
        return 0
    return _send(
        subject=f"Next steps for your question: {ticket.thread.title}",
        template="escalation/email/channel.txt",
        context={
            "ticket": ticket,
            "thread": ticket.thread,
            "channel": ticket.channel,
            "asker": asker,
            "url": _absolute(ticket.thread.get_absolute_url()),
        },
        to=[asker.email],
    )
