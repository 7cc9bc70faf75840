"""Who may work the escalation queue."""

from __future__ import annotations

from django.http import Http404


def can_work_queue(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def check_can_work_queue(user) -> None:
    """Staff only. Everyone else gets 404, so the staff pages do not announce themselves."""
    if not can_work_queue(user):
        raise Http404("No such page.")
