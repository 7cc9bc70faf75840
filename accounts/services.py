from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts import events, hooks
from accounts.models import User

DISPLAY_NAME_MAX_LENGTH = 60


@transaction.atomic
def update_profile(*, user: User, display_name: str) -> User:
    """Set the member's public display name (whitespace folded; empty falls back to username)
    and send accounts.events.profile_changed when it changed. Writes with update(), so no
    post_save runs: the event is how the rest of the site learns of it.

    Account data in the name (a card number typed into the wrong box) is masked before it is
    stored (accounts.hooks, community.privacy); ``user.masked_findings`` says what."""
    display_name = " ".join((display_name or "").split())[:DISPLAY_NAME_MAX_LENGTH]
    display_name, findings = hooks.mask_text(display_name, max_chars=DISPLAY_NAME_MAX_LENGTH)
    changed = User.objects.filter(pk=user.pk).exclude(display_name=display_name).update(display_name=display_name)
    user.display_name = display_name
    user.masked_findings: list[Any] = findings
    if changed:
        events.profile_changed.send(sender=User, user=user)
    return user
