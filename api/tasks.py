"""Celery tasks of the api app: webhook deliveries (api.webhooks), taking ids."""

from __future__ import annotations

from celery import shared_task

from api import webhooks


@shared_task(name=webhooks.DELIVER_TASK)
def deliver_webhook(delivery_id: int) -> None:
    webhooks.attempt_delivery(delivery_id=delivery_id)


@shared_task(name="api.tasks.retry_due_webhooks")
def retry_due_webhooks() -> int:
    """Beat: queue every pending delivery whose time has come (the path every delivery can
    rely on; the task queued after commit is only the fast path)."""
    ids = webhooks.due_delivery_ids()
    for delivery_id in ids:
        deliver_webhook.delay(delivery_id)
    return len(ids)
