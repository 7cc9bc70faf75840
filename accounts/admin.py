from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "email", "points", "is_staff", "is_active", "date_joined")
    search_fields = ("username", "display_name", "email")
    readonly_fields = ("points",)
    fieldsets = BaseUserAdmin.fieldsets + (("Community", {"fields": ("display_name", "points")}),)
