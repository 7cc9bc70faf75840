"""Writes of the api app: tokens (here) and webhooks (api.webhooks)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from api import tokens
from api.models import ApiToken
from community import privacy

LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKENS_PER_MEMBER = 20


@transaction.atomic
def create_token(
    *, user, name: str, scopes: list[str], kind: str = ApiToken.Kind.PERSONAL, created_by=None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for ``user`` and return it with its clear text, which is shown once and
    never stored. The staff scope needs a staff account; service tokens are made by admins."""
    name = " ".join((name or "")[:1000].split())[:80]
    if not name:
        raise ValidationError("Give the token a name.")
    if found := privacy.detect(name):
        raise ValidationError(f"The name looks like it contains {privacy.describe(found)}: leave account data out of it.")
    unknown = set(scopes) - set(ApiToken.SCOPES)
    if unknown or not scopes:
        raise ValidationError("Choose at least one of read, write and staff.")
    if "staff" in scopes and not user.is_staff:
        raise ValidationError("Only staff accounts can have a token with the staff scope.")
    if kind == ApiToken.Kind.SERVICE and not (created_by is not None and created_by.is_superuser):
        raise PermissionDenied("Only admins make service tokens.")
    if ApiToken.objects.filter(user=user).usable().count() >= MAX_TOKENS_PER_MEMBER:
        raise ValidationError(f"You already have {MAX_TOKENS_PER_MEMBER} tokens: revoke one first.")
    clear, prefix, key_hash = tokens.generate()
    token = ApiToken.objects.create(
        user=user, name=name, kind=kind, prefix=prefix, key_hash=key_hash,
        can_read="read" in scopes, can_write="write" in scopes, can_staff="staff" in scopes,
        expires_at=expires_at,
    )
    return token, clear


def revoke_token(*, token_id: int, by) -> ApiToken:
    """Revoke a token: its owner or an admin. Revoking twice changes nothing."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token_id)
        if token.user_id != by.pk and not by.is_superuser:
            raise PermissionDenied("That is not your token.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def authenticate_token(clear: str) -> ApiToken | None:
    """The usable token this clear text is, or None. Records when it was last used, at most
    once a minute per token (one UPDATE, no lock), so a busy token does not write each call."""
    prefix = tokens.parse_prefix(clear)
    if prefix is None:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not tokens.matches(clear, token.key_hash) or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
