"""The settings audit log: one row per change made on /manage/ or to the same settings in the
Django admin, with who, when, and the values before and after. Append-only: nothing updates
or deletes a row (the admin shows them read-only).

The model also carries the community manager's permission, ``console.manage_community``,
which the "Community managers" group (made by a data migration) holds.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    class Source(models.TextChoices):
        CONSOLE = "console", "Manage pages"
        ADMIN = "admin", "Django admin"

    class Area(models.TextChoices):
        RANKS = "ranks", "Ranks"
        POINTS = "points", "Point rules"
        ESCALATION = "escalation", "Escalation"
        CHANNELS = "channels", "Channels"
        FLAGS = "flags", "Flag threshold"
        MEMBERS = "members", "Members"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, help_text="Who, kept if the account goes.")
    source = models.CharField(max_length=10, choices=Source.choices)
    area = models.CharField(max_length=12, choices=Area.choices)
    action = models.CharField(max_length=40, help_text="What was done, e.g. rank.update.")
    target = models.CharField(max_length=200, help_text="What it was done to, in words.")
    target_id = models.CharField(max_length=40, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit entries"
        permissions = [("manage_community", "Can tune ranks, point rules, escalation and members on /manage/")]
        indexes = [models.Index(fields=["area", "-created_at"], name="audit_area_created")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name}: {self.action} {self.target}"

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field that differs, in a stable order."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
