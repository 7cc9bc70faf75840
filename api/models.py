"""API tokens, webhook endpoints and webhook deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


class ApiToken(models.Model):
    """A bearer token for the REST API, acting as ``user`` within its scopes.

    Personal tokens are made by members for themselves; service tokens by admins for an
    integration's own (service) account. Only a SHA-256 of the token is stored (api.tokens).
    """

    class Kind(models.TextChoices):
        PERSONAL = "personal", "Personal"
        SERVICE = "service", "Service"

    SCOPES = ("read", "write", "staff")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text="What the token is for, e.g. “CRM sync”.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSONAL)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    can_read = models.BooleanField("read", default=True)
    can_write = models.BooleanField("write", default=False, help_text="Ask questions and post answers.")
    can_staff = models.BooleanField(
        "staff", default=False, help_text="Work tickets. Only works for a staff account."
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_created")]

    def __str__(self) -> str:
        return f"{self.name} (pdk_{self.prefix}_…)"

    @property
    def scopes(self) -> list[str]:
        return [s for s in self.SCOPES if getattr(self, f"can_{s}")]

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    def allows(self, scope: str) -> bool:
        return self.is_usable and scope in self.scopes
