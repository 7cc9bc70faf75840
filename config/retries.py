"""Outgoing calls that the database retries: the one copy of how an attempt takes its row and
when the next attempt is due.

A webhook delivery (api.webhooks), a helpdesk hand-off (escalation.helpdesk) and a staff chat
message (escalation.chat) are rows with ``status``, ``attempts`` and ``next_attempt_at``. A
beat sweep and an after-commit task may both try to send the same row, so an attempt first
takes it under a short lease; a failed attempt is tried again after the caller's backoff, and
given up once that is spent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import models, transaction
from django.db.models import F

# Long enough for one attempt (a few WEBHOOK_TIMEOUT_SECONDS); a worker that dies mid-attempt
# leaves the row to the next sweep after it.
LEASE = timedelta(minutes=2)


def lease_attempt(model: type[models.Model], pk: int, *, pending: str, now: datetime, **also) -> bool:
    """Take row ``pk`` of ``model`` for one attempt if its status is ``pending`` and it is due:
    ``attempts`` counts this attempt and the next one moves a LEASE ahead, so other workers
    leave the row alone meanwhile; ``also`` are further fields to set. False when the row is
    not pending, not due or locked by another worker. Runs its own short transaction: call it
    outside any, before the call that may be slow."""
    with transaction.atomic():
        row = (
            model._default_manager.select_for_update(skip_locked=True)
            .filter(pk=pk, status=pending, next_attempt_at__lte=now)
            .first()
        )
        if row is None:
            return False
        model._default_manager.filter(pk=pk).update(
            next_attempt_at=now + LEASE, attempts=F("attempts") + 1, **also
        )
    return True


def retry_at(backoff: Sequence[int], *, attempts: int, now: datetime) -> datetime | None:
    """When to try again after attempt number ``attempts`` failed (``backoff``: the seconds to
    wait after the first, second, ... failure), or None once the backoff is spent: give up."""
    if attempts <= len(backoff):
        return now + timedelta(seconds=backoff[attempts - 1])
    return None
