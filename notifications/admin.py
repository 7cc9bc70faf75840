from django.contrib import admin

from notifications.models import NotificationSettings


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "accept_reminder_days"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not NotificationSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
