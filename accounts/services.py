from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts import hooks
from accounts.models import User

DISPLAY_NAME_MAX_LENGTH = 60


@transaction.atomic
def update_profile(*, user: User, display_name: str) -> User:
    """Set the member's public display name (whitespace folded; empty falls back to username).

    Account data in the name (a card number typed into the wrong box) is masked before it is
    stored (accounts.hooks, community.privacy); ``user.masked_findings`` says what."""
    display_name = " ".join((display_name or "").split())[:DISPLAY_NAME_MAX_LENGTH]
    display_name, findings = hooks.mask_text(display_name, max_chars=DISPLAY_NAME_MAX_LENGTH)
    User.objects.filter(pk=user.pk).update(display_name=display_name)
    user.display_name = display_name
    user.masked_findings: list[Any] = findings
    return user


@transaction.atomic
def set_time_zone(*, user: User, time_zone: str, only_if_unset: bool = False) -> User:
    """Set the zone the member's times are shown in ("" follows the browser). An unknown zone
    raises ValidationError. ``only_if_unset`` (the browser reporting its zone on a first visit)
    never overwrites a zone the member chose."""
    from django.core.exceptions import ValidationError

    from accounts import timezones

    time_zone = (time_zone or "").strip()
    if time_zone and not timezones.valid(time_zone):
        raise ValidationError("Choose a time zone from the list.")
    users = User.objects.filter(pk=user.pk)
    if only_if_unset:
        users = users.filter(time_zone="")
    if users.update(time_zone=time_zone):
        user.time_zone = time_zone
    return user
