from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from accounts.names import clean_display_name, skeleton
from accounts.selectors import name_taken_by_lookalike


@transaction.atomic
def update_profile(*, user: User, display_name: str) -> User:
    """Set the member's public display name: invisible and bidi characters removed,
    whitespace folded; empty falls back to the username. Raises ValidationError when the name
    looks like another member's or staff's name (same confusable skeleton)."""
    display_name = clean_display_name(display_name)
    if display_name and name_taken_by_lookalike(display_name, exclude_user_id=user.pk):
        raise ValidationError("This name looks too much like another member's name. Please choose another.")
    User.objects.filter(pk=user.pk).update(display_name=display_name, display_name_skeleton=skeleton(display_name))
    user.display_name = display_name
    user.display_name_skeleton = skeleton(display_name)
    return user
