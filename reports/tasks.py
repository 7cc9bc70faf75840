"""Celery tasks of the reports app."""

from __future__ import annotations

from celery import shared_task

from reports import services


@shared_task(name="reports.tasks.rebuild_recent_stats")
def rebuild_recent_stats() -> int:
    return services.rebuild_recent_stats()
