"""What Django admin classes of several apps share (config is not an app: nothing here is
registered)."""

from django.contrib import admin
from django.db import models


class NoEditAdmin(admin.ModelAdmin):
    """Records that only services write and change (tickets, deliveries, comments): admins may
    look and delete, never add or change."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoEditAdmin):
    """Records nobody may remove either (ledgers, audit logs, derived rows): admins only look."""

    def has_delete_permission(self, request, obj=None):
        return False


def _assume_https(db_field, kwargs: dict) -> dict:
    """An address typed without a scheme into a URL field is taken as https:// (Django 5 would
    assume http:// and warn)."""
    if isinstance(db_field, models.URLField):
        return {"assume_scheme": "https", **kwargs}
    return kwargs


def https_formfield(db_field, **kwargs):
    """A model form's ``formfield_callback`` that applies _assume_https (a form's fields are
    made when its class is, before any admin passes its own callback)."""
    return db_field.formfield(**_assume_https(db_field, kwargs))


class HttpsURLsMixin:
    """For a ModelAdmin: every URL field of its forms follows _assume_https."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return super().formfield_for_dbfield(db_field, request, **_assume_https(db_field, kwargs))
