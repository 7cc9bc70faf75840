"""Celery tasks of the escalation app: thin wrappers taking primary keys.

sweep_due_deadlines runs from beat every ESCALATION_SWEEP_SECONDS and is the path every
escalation can rely on; escalate_if_due is a countdown fast path that may be lost or delivered
twice without harm.
"""

from __future__ import annotations

from celery import shared_task

from escalation import services


@shared_task(name="escalation.tasks.sweep_due_deadlines")
def sweep_due_deadlines() -> int:
    return services.sweep_due_deadlines()


@shared_task(name="escalation.tasks.escalate_if_due")
def escalate_if_due(thread_id: int) -> int:
    return services.escalate_thread_if_due(thread_id=thread_id)

