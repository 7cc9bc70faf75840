"""What Django admin classes of several apps share (config is not an app: nothing here is
registered)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only services write (ledgers, logs, derived rows): admins may look, never
    add, change or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
