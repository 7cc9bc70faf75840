from __future__ import annotations

from django.db import transaction

from accounts import events
from accounts.models import User


@transaction.atomic
def update_profile(*, user: User, display_name: str) -> User:
    """Set the member's public display name (whitespace folded; empty falls back to username)
    and send accounts.events.profile_changed when it changed. Writes with update(), so no
    post_save runs: the event is how the rest of the site learns of it."""
    display_name = " ".join((display_name or "").split())[:60]
    changed = User.objects.filter(pk=user.pk).exclude(display_name=display_name).update(display_name=display_name)
    user.display_name = display_name
    if changed:
        events.profile_changed.send(sender=User, user=user)
    return user
