from __future__ import annotations

from django.db import transaction

from accounts.models import User


@transaction.atomic
def update_profile(*, user: User, display_name: str) -> User:
    """Set the member's public display name (whitespace folded; empty falls back to username)."""
    display_name = " ".join((display_name or "").split())[:60]
    User.objects.filter(pk=user.pk).update(display_name=display_name)
    user.display_name = display_name
    return user
