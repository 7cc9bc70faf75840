"""Celery tasks of the escalation app: thin wrappers taking primary keys.

sweep_due_deadlines runs from beat every ESCALATION_SWEEP_SECONDS and is the path every
escalation can rely on; escalate_if_due is a countdown fast path that may be lost or delivered
twice without harm.
"""

from __future__ import annotations

from celery import shared_task

from escalation import emails, services


@shared_task(name="escalation.tasks.sweep_due_deadlines")
def sweep_due_deadlines() -> int:
    return services.sweep_due_deadlines()


@shared_task(name="escalation.tasks.escalate_if_due")
def escalate_if_due(thread_id: int) -> int:
    return services.escalate_thread_if_due(thread_id=thread_id)


@shared_task(name="escalation.tasks.send_new_tickets_email")
def send_new_tickets_email(ticket_ids: list[int]) -> int:
    return emails.send_new_tickets_email(ticket_ids=ticket_ids)


@shared_task(name="escalation.tasks.send_staff_reply_email")
def send_staff_reply_email(answer_id: int) -> int:
    return emails.send_staff_reply_email(answer_id=answer_id)


@shared_task(name="escalation.tasks.send_channel_email")
def send_channel_email(ticket_id: int) -> int:
    return emails.send_channel_email(ticket_id=ticket_id)
