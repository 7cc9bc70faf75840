"""API tokens, webhook endpoints and webhook deliveries."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
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
        verbose_name = "API token"
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


# The event names an endpoint may subscribe to; api.webhooks documents and sends them.
WEBHOOK_EVENTS: dict[str, str] = {
    "question.asked": "A question was asked",
    "question.answered": "A question got an answer",
    "question.solved": "An answer was accepted as the solution",
    "question.escalated": "A question went to the staff queue (a ticket was opened)",
    "ticket.claimed": "Staff claimed a ticket",
    "ticket.resolved": "A ticket was resolved",
    "member.rank_reached": "A member reached a new rank",
    # Reserved for the experts tier (experts app): it calls api.webhooks.emit("expert.offer_made",
    # ...) from its receiver once it exists; endpoints may subscribe to it already.
    "expert.offer_made": "An expert offer was made (the experts tier)",
}
ENDPOINTS_CACHE_KEY = "api:webhook-endpoints"


def forget_endpoints() -> None:
    """Drop the cached list of active endpoints (api.webhooks.active_endpoints)."""
    from django.core.cache import cache

    cache.delete(ENDPOINTS_CACHE_KEY)


def _new_secret() -> str:
    import secrets

    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """An admin-registered address that receives signed POSTs for the events it subscribes to
    (api.webhooks.EVENTS). The secret signs every delivery (HMAC-SHA256, see docs/webhooks.md)."""

    name = models.CharField(max_length=80)
    url = models.URLField(
        max_length=500, validators=[URLValidator(schemes=["http", "https"])],
        help_text="http:// or https:// only. Only admins set this (SECURITY.md: webhooks and SSRF).",
    )
    secret = models.CharField(max_length=80, default=_new_secret, help_text="Give this to the receiver to check signatures.")
    events = models.JSONField(default=list, help_text="The event names this endpoint receives.")
    is_active = models.BooleanField(default=True)
    trusts_private_data = models.BooleanField(
        default=False,
        help_text="Only for your own systems: receive the title and text of private threads. "
        "Other endpoints get a private thread's id only.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        transaction.on_commit(forget_endpoints)
        forget_endpoints()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        transaction.on_commit(forget_endpoints)
        return result

    def clean(self) -> None:
        unknown = [e for e in (self.events or []) if e not in WEBHOOK_EVENTS]
        if not isinstance(self.events, list) or unknown:
            raise ValidationError({"events": f"Unknown events: {', '.join(map(str, unknown))}."})


class WebhookDelivery(models.Model):
    """One event sent to one endpoint, with its attempts. The row is the clock: a beat sweep
    (api.tasks.retry_due_webhooks) sends every pending row whose next_attempt_at has come."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Gave up"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    event_id = models.UUIDField(help_text="The same for a redelivery of the same event.")
    thread_id = models.BigIntegerField(null=True, blank=True, help_text="The thread the event is about, if any.")
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    redelivery_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhook_pending_due", condition=Q(status="pending")),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_endpoint_created"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.get_status_display()})"
