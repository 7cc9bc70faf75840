"""Reads about members that other apps rely on."""

from __future__ import annotations


def has_verified_email(user) -> bool:
    """Whether the member confirmed an email address (allauth). One query, remembered on the
    user object for the rest of the request."""
    cached = getattr(user, "_peerdesk_verified_email", None)
    if cached is None:
        from allauth.account.models import EmailAddress

        cached = EmailAddress.objects.filter(user_id=user.pk, verified=True).exists()
        user._peerdesk_verified_email = cached
    return cached


def name_taken_by_lookalike(name: str, *, exclude_user_id: int | None = None) -> bool:
    """Whether another member's username or display name has the same confusable skeleton
    as ``name`` (accounts.names.skeleton): "ѕtaff" is taken when "staff" exists. One query
    over two indexed columns."""
    from django.db.models import Q

    from accounts.models import User
    from accounts.names import skeleton

    key = skeleton(name)
    if not key:
        return False
    others = User.objects.filter(Q(username_skeleton=key) | Q(display_name_skeleton=key))
    if exclude_user_id is not None:
        others = others.exclude(pk=exclude_user_id)
    return others.exists()
