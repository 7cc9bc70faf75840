from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts import hooks
from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "email", "points", "is_staff", "is_active", "date_joined")
    search_fields = ("username", "display_name", "email")
    readonly_fields = ("points",)
    fieldsets = BaseUserAdmin.fieldsets + (("Community", {"fields": ("display_name", "points")}),)

    def save_model(self, request, obj, form, change) -> None:
        # A display name edited here is text a person wrote, like one edited on the site.
        obj.display_name, findings = hooks.mask_text(obj.display_name or "", max_chars=60)
        if findings:
            self.message_user(request, hooks.explain(findings, where="display name"), level=messages.WARNING)
        super().save_model(request, obj, form, change)
