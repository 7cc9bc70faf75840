"""What console hooks into other apps, from ConsoleConfig.ready(); none of them imports console.

- The Django admin: the ModelAdmins of the audited settings (console.audit.AUDITED: ranks,
  point rules, escalation policies, channels, the flag threshold) are re-registered with
  AuditedAdminMixin in front, so an edit, a list_editable change or a delete in the admin writes
  the same audit row as /manage/, in the admin's own transaction.
- Sign-in works out whether the header links the member to /manage/ (kept in the session), and
  role changes made anywhere (the admin's user and group pages too) make every session work it
  out again (console.permissions).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models.signals import m2m_changed

from console.audit import AUDITED, record_setting, snapshot
from console.models import AuditEntry


class AuditedAdminMixin:
    """Audit rows for saves and deletes made through a ModelAdmin."""

    def save_model(self, request, obj, form, change):
        before = None
        if change and obj.pk is not None:
            before = snapshot(type(obj)._default_manager.filter(pk=obj.pk).first())
        super().save_model(request, obj, form, change)
        record_setting(
            actor=request.user,
            source=AuditEntry.Source.ADMIN,
            verb="update" if before is not None else "create",
            instance=obj,
            before=before,
            after=snapshot(obj),
        )

    def delete_model(self, request, obj):
        before = snapshot(obj)
        pk = obj.pk
        super().delete_model(request, obj)
        obj.pk = pk
        record_setting(
            actor=request.user, source=AuditEntry.Source.ADMIN, verb="delete", instance=obj, before=before, after=None
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            record_setting(
                actor=request.user,
                source=AuditEntry.Source.ADMIN,
                verb="delete",
                instance=obj,
                before=snapshot(obj),
                after=None,
            )
        super().delete_queryset(request, queryset)


def audit_admin(site: admin.AdminSite = admin.site) -> None:
    for model in AUDITED:
        if not site.is_registered(model):
            continue
        current = type(site._registry[model])
        if issubclass(current, AuditedAdminMixin):
            continue
        site.unregister(model)
        site.register(model, type(f"Audited{current.__name__}", (AuditedAdminMixin, current), {}))


def _roles_changed(sender, **kwargs) -> None:
    from console.permissions import forget_roles

    forget_roles()


def _signed_in(sender, request, user, **kwargs) -> None:
    from console.permissions import remember_manage_link

    if request is not None:
        remember_manage_link(request, user)


def connect() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.connect(_signed_in, dispatch_uid="console.signed_in")
    audit_admin()
    User = get_user_model()
    m2m_changed.connect(_roles_changed, sender=User.groups.through, dispatch_uid="console.user_groups")
    m2m_changed.connect(_roles_changed, sender=User.user_permissions.through, dispatch_uid="console.user_perms")
    m2m_changed.connect(_roles_changed, sender=Group.permissions.through, dispatch_uid="console.group_perms")
