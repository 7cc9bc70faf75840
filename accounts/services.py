from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import events, hooks
from accounts.models import User
from accounts.names import NAME_MAX_LENGTH, clean_display_name, skeleton
from accounts.selectors import name_taken_by_lookalike

DISPLAY_NAME_MAX_LENGTH = NAME_MAX_LENGTH
LOOKALIKE_MESSAGE = "This name looks too much like another member's name. Please choose another."


@transaction.atomic
def update_profile(*, user: User, display_name: str) -> User:
    """Set the member's public display name (invisible and bidi characters removed,
    whitespace folded; empty falls back to username) and send accounts.events.profile_changed
    when it changed. Writes with update(), so no post_save runs: the event is how the rest of
    the site learns of it.

    Account data in the name (a card number typed into the wrong box) is masked before it is
    stored (accounts.hooks, community.privacy); ``user.masked_findings`` says what. Raises
    ValidationError when the name looks like another member's or staff's name (the same
    confusable skeleton, accounts.names)."""
    display_name = clean_display_name(display_name)
    display_name, findings = hooks.mask_text(display_name, max_chars=DISPLAY_NAME_MAX_LENGTH)
    if display_name and name_taken_by_lookalike(display_name, exclude_user_id=user.pk):
        raise ValidationError(LOOKALIKE_MESSAGE)
    changed = (
        User.objects.filter(pk=user.pk)
        .exclude(display_name=display_name)
        .update(display_name=display_name, display_name_skeleton=skeleton(display_name))
    )
    user.display_name = display_name
    user.display_name_skeleton = skeleton(display_name)
    user.masked_findings: list[Any] = findings
    if changed:
        events.profile_changed.send(sender=User, user=user)
    return user


@transaction.atomic
def set_member_active(*, user: User, is_active: bool) -> User:
    """Suspend (False) or reinstate (True) a member. A suspended member is signed out on their
    next request (Django refuses inactive users) and cannot sign in. Locks the user row."""
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()
    User.objects.filter(pk=user.pk).update(is_active=is_active)
    user.is_active = is_active
    return user


@transaction.atomic
def set_staff(*, user: User, is_staff: bool) -> User:
    """Give or take the support-staff role (the staff queue, moderation, the report)."""
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()
    User.objects.filter(pk=user.pk).update(is_staff=is_staff)
    user.is_staff = is_staff
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
