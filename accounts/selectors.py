"""Reads about members that other apps rely on."""

from __future__ import annotations

from django.core.cache import cache


VERIFIED_EMAIL_KEY = "accounts:verified-email:{user_id}"
VERIFIED_EMAIL_SECONDS = 3600


def has_verified_email(user) -> bool:
    """Whether the member confirmed an email address (allauth). Remembered on the user object
    for the request and in the cache across requests (every vote asks: it decides whether the
    vote moves points); saving or deleting an address forgets it (forget_verified_email)."""
    cached = getattr(user, "_peerdesk_verified_email", None)
    if cached is None:
        key = VERIFIED_EMAIL_KEY.format(user_id=user.pk)
        cached = cache.get(key)
        if cached is None:
            from allauth.account.models import EmailAddress

            cached = EmailAddress.objects.filter(user_id=user.pk, verified=True).exists()
            cache.set(key, cached, VERIFIED_EMAIL_SECONDS)
        user._peerdesk_verified_email = cached
    return cached


def forget_verified_email(sender, instance, **kwargs) -> None:
    """post_save / post_delete of an allauth EmailAddress: ask the database again next time."""
    cache.delete(VERIFIED_EMAIL_KEY.format(user_id=instance.user_id))


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
