from django.contrib import admin

from config.admin import ReadOnlyAdmin
from console.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: rows are written by console.audit, never edited."""

    list_display = ["created_at", "actor_name", "source", "area", "action", "target", "reason"]
    list_filter = ["area", "source", "created_at"]
    search_fields = ["actor_name", "target", "action", "reason"]
    date_hierarchy = "created_at"
