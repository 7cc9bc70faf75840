"""Celery tasks of the kudos app: thin wrappers taking primary keys."""

from __future__ import annotations

from celery import shared_task

from kudos import emails


@shared_task(name="kudos.tasks.send_rank_up_email")
def send_rank_up_email(notice_id: int) -> int:
    return emails.send_rank_up_email(notice_id=notice_id)
