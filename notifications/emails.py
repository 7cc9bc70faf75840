"""Notification emails: plain text plus HTML, each with a one-click unsubscribe link for its
kind (in the footer and in the List-Unsubscribe header, RFC 8058).

Called from tasks, after the transaction that wrote the notification committed. Everything is
re-read and re-checked when the mail goes out: the member's email preference for the kind, that
they are active and have an address, and that they may still see the thread.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from notifications.models import DIGEST_KINDS, STAFF_ONLY_KINDS, Kind, Notification
from notifications.services import LOST_EMAIL_AFTER, preference_for, unsubscribe_token


def absolute(path: str) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def _allowed(notification: Notification) -> bool:
    recipient = notification.recipient
    if not recipient.is_active or not recipient.email:
        return False
    if notification.kind in STAFF_ONLY_KINDS and not recipient.is_staff:
        return False
    if notification.thread is not None and not notification.thread.is_visible_to(recipient):
        return False
    answer = notification.answer
    if answer is not None and (answer.is_deleted or answer.is_hidden) and not recipient.is_staff:
        return False
    comment = notification.comment
    if comment is not None and (comment.is_deleted or comment.is_hidden) and not recipient.is_staff:
        return False
    return preference_for(recipient, notification.kind)[1]


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _subject_and_context(notification: Notification, *, new_votes: int) -> tuple[str, dict]:
    thread = notification.thread
    title = thread.title if thread is not None else ""
    context: dict = {}
    kind = notification.kind
    if kind == Kind.ANSWER:
        subject = f"New answer to your question: {title}"
    elif kind == Kind.ACCEPTED:
        subject = f"Your answer was accepted: {title}"
    elif kind == Kind.UPVOTED:
        context["new_votes"] = new_votes
        subject = f"Your answer helped {new_votes} more {_plural(new_votes, 'person', 'people')}: {title}"
    elif kind == Kind.RANK:
        subject = f"You reached the rank {notification.data.get('rank_name', '')}"
        context["rank_name"] = notification.data.get("rank_name", "")
        context["rank_description"] = notification.data.get("rank_description", "")
    elif kind == Kind.SUPPORT:
        event = notification.data.get("event", "")
        context["event"] = event
        if event == "reply":
            subject = f"Our support team answered: {title}"
        elif event == "redirected":
            from escalation.models import Channel

            context["channel"] = Channel.objects.filter(pk=notification.data.get("channel_id")).first()
            subject = f"Next steps for your question: {title}"
        elif event == "resolved":
            subject = f"Your question was marked resolved: {title}"
        else:
            subject = f"Your question is back with our support team: {title}"
    elif kind in (Kind.EXPERT_OFFER, Kind.EXPERT, Kind.SESSION, Kind.EXPERTS_STAFF):
        subject = notification.data.get("subject") or notification.text
        template_kind = "expert"
        context["template_kind"] = template_kind
    elif kind == Kind.ACCEPT_REMINDER:
        subject = f"Did an answer solve your question? {title}"
    elif kind == Kind.COMMENT:
        subject = f"New comment: {title}"
    elif kind == Kind.MENTION:
        subject = f"You were mentioned: {title}"
    elif kind == Kind.FOLLOWED:
        subject = f"New activity: {title}"
        if thread is not None and notification.data.get("via") == "thread":
            from notifications.services import unfollow_token

            context["unfollow_url"] = absolute(
                reverse("notifications:unfollow", args=[unfollow_token(user_id=notification.recipient_id, thread_id=thread.pk)])
            )
    else:  # Kind.NEW_TICKETS
        from escalation.models import Ticket

        tickets = list(
            Ticket.objects.with_queue_data().filter(pk__in=notification.data.get("ticket_ids", [])).order_by("due_at", "pk")
        )
        context["rows"] = [{"ticket": t, "url": absolute(t.get_absolute_url())} for t in tickets]
        context["queue_url"] = absolute(reverse("escalation:queue"))
        count = len(tickets)
        subject = f"{count} new ticket{_plural(count, '', 's')} in the support queue"
    return subject, context


def build_message(notification: Notification, *, new_votes: int = 1) -> EmailMultiAlternatives:
    recipient = notification.recipient
    subject, context = _subject_and_context(notification, new_votes=new_votes)
    unsubscribe_url = absolute(
        reverse("notifications:unsubscribe", args=[unsubscribe_token(user_id=recipient.pk, kind=notification.kind)])
    )
    context.update(
        {
            "SITE_NAME": settings.SITE_NAME,
            "notification": notification,
            "member": recipient,
            "thread": notification.thread,
            "answer": notification.answer,
            "comment": notification.comment,
            "url": absolute(notification.get_absolute_url()),
            "kind_label": notification.get_kind_display(),
            "unsubscribe_url": unsubscribe_url,
            "settings_url": absolute(reverse("notifications:settings")),
        }
    )
    template = f"notifications/email/{context.get('template_kind', notification.kind)}"
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}".replace("\n", " ").replace("\r", " "),
        body=render_to_string(f"{template}.txt", context),
        to=[recipient.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def send_notification_email(*, notification_id: int, now: datetime | None = None) -> int:
    """Mail one notification if it is still pending and allowed. Returns 1 when sent.

    The row is locked while the mail goes out, so two tasks (the after-commit one and the
    periodic mailer) never mail it twice; a failed send rolls back and stays pending for the
    next periodic run. A grouped row mails the votes that arrived since its last mail.
    """
    now = now or timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient", "thread", "answer", "answer__thread", "comment", "comment__thread")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.email_status != Notification.EmailStatus.PENDING:
            return 0
        if not _allowed(notification):
            Notification.objects.filter(pk=notification.pk).update(email_status=Notification.EmailStatus.SKIPPED)
            return 0
        new_votes = max(notification.count - notification.mailed_count, 1)
        Notification.objects.filter(pk=notification.pk).update(
            email_status=Notification.EmailStatus.SENT, emailed_at=now, mailed_count=notification.count
        )
        return build_message(notification, new_votes=new_votes).send()


def send_pending_emails(*, now: datetime | None = None) -> int:
    """Mail what waits: every grouped (upvote) row with votes not mailed yet, one mail per
    answer per run, and immediate emails whose task was lost. Returns how many were sent."""
    now = now or timezone.now()
    pending = Notification.objects.filter(email_status=Notification.EmailStatus.PENDING)
    ids = list(
        pending.filter(kind__in=list(DIGEST_KINDS)).values_list("pk", flat=True)
    ) + list(
        pending.exclude(kind__in=list(DIGEST_KINDS)).filter(created_at__lte=now - LOST_EMAIL_AFTER).values_list("pk", flat=True)
    )
    return sum(send_notification_email(notification_id=pk, now=now) for pk in ids)
