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
