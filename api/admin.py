from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from api import services
from api.models import ApiToken


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name", "kind", "can_read", "can_write", "can_staff", "expires_at"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None:
            if not any(data.get(f"can_{s}") for s in ApiToken.SCOPES):
                raise forms.ValidationError("Choose at least one scope.")
            user = data.get("user")
            if data.get("can_staff") and user is not None and not user.is_staff:
                self.add_error("can_staff", "Only staff accounts can have the staff scope.")
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Service tokens for integrations are made here (shown once, in the message after
    saving); members make personal tokens at /settings/api-tokens/."""

    list_display = ("name", "user", "kind", "scope_list", "created_at", "last_used_at", "revoked_at")
    list_filter = ("kind", "revoked_at")
    search_fields = ("name", "prefix", "user__username", "user__email")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    raw_id_fields = ("user",)
    actions = ["revoke"]
    form = ApiTokenForm

    def get_fields(self, request, obj=None):
        fields = ["user", "name", "kind", "can_read", "can_write", "can_staff", "expires_at"]
        return fields if obj is None else ["prefix", *fields, "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("user", "kind", "can_read", "can_write", "can_staff", *self.readonly_fields)

    @admin.display(description="scopes")
    def scope_list(self, obj) -> str:
        return ", ".join(obj.scopes)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name", "expires_at"])
            return
        scopes = [s for s in ApiToken.SCOPES if form.cleaned_data.get(f"can_{s}")]
        try:
            token, clear = services.create_token(
                user=obj.user, name=obj.name, scopes=scopes, kind=obj.kind, created_by=request.user,
                expires_at=obj.expires_at,
            )
        except (ValidationError, PermissionDenied) as exc:
            raise ValidationError(str(exc)) from exc
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = token.pk, token.prefix, token.key_hash, token.created_at
        obj._state.adding = False
        messages.warning(request, f"Copy the token now, it is shown only once: {clear}")

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            services.revoke_token(token_id=token.pk, by=request.user)
        self.message_user(request, f"Revoked {queryset.count()} token(s).")
