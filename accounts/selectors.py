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
