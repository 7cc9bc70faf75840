"""Celery tasks of the escalation app: thin wrappers taking primary keys.

sweep_due_deadlines runs from beat every ESCALATION_SWEEP_SECONDS and is the path every
escalation can rely on; escalate_if_due is a countdown fast path that may be lost or delivered
twice without harm.
"""

from __future__ import annotations

from celery import shared_task

from escalation import chat, deadlines, helpdesk


@shared_task(name="escalation.tasks.sweep_due_deadlines")
def sweep_due_deadlines() -> int:
    return deadlines.sweep_due_deadlines()


@shared_task(name="escalation.tasks.escalate_if_due")
def escalate_if_due(thread_id: int) -> int:
    return deadlines.escalate_thread_if_due(thread_id=thread_id)


@shared_task(name=helpdesk.PUSH_HANDOFF_TASK)
def push_handoff(handoff_id: int) -> None:
    helpdesk.push_handoff(handoff_id=handoff_id)


@shared_task(name=chat.SEND_MESSAGE_TASK)
def send_chat_message(message_id: int) -> None:
    chat.send_message(message_id=message_id)


@shared_task(name="escalation.tasks.sync_integrations")
def sync_integrations() -> dict:
    """Beat: helpdesk hand-offs due (created or retried), remote statuses to refresh, overdue
    tickets to announce in staff chat, chat messages due. Each call is bounded by
    WEBHOOK_TIMEOUT_SECONDS; the rows say what is left for the next run."""
    pending, stale = helpdesk.due_handoffs()
    for handoff_id in pending:
        push_handoff.delay(handoff_id)
    for handoff_id in stale:
        helpdesk.refresh_status(handoff_id=handoff_id)
    overdue = chat.announce_overdue_tickets()
    due = chat.due_messages()
    for message_id in due:
        send_chat_message.delay(message_id)
    return {"handoffs": len(pending), "refreshed": len(stale), "overdue": len(overdue), "messages": len(due)}
