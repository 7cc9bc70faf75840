"""A ticket's history: the one way escalation's services add a line to it."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from community import privacy
from escalation.models import Ticket, TicketEvent


def record_event(
    ticket: Ticket, action: str, *, actor=None, detail: str = "", now: datetime | None = None
) -> TicketEvent:
    """Add a line to the ticket's history; the caller is inside the transaction that made the
    change it describes."""
    # Details are ours (a channel's name, a deadline), but never store a number in full.
    detail = privacy.mask_account_data(detail[:300], max_chars=300).text
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, action=action, detail=detail, created_at=now or timezone.now()
    )
