from django.contrib import admin

from console.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: rows are written by console.audit, never edited."""

    list_display = ["created_at", "actor_name", "source", "area", "action", "target", "reason"]
    list_filter = ["area", "source", "created_at"]
    search_fields = ["actor_name", "target", "action", "reason"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
