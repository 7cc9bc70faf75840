"""Celery tasks of the notifications app: thin wrappers taking primary keys."""

from __future__ import annotations

from celery import shared_task

from notifications import emails, services


@shared_task(name="notifications.tasks.send_notification_email")
def send_notification_email(notification_id: int) -> int:
    return emails.send_notification_email(notification_id=notification_id)


@shared_task(name="notifications.tasks.send_pending_emails")
def send_pending_emails() -> int:
    """Beat: the upvote digest (one mail per answer per period) and lost immediate mails."""
    return emails.send_pending_emails()


@shared_task(name="notifications.tasks.send_accept_reminders")
def send_accept_reminders() -> int:
    return services.send_accept_reminders()
