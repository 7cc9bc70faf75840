from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from api import services, webhooks
from api.models import WEBHOOK_EVENTS, ApiToken, WebhookDelivery, WebhookEndpoint
from config.admin import NoEditAdmin


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


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", help_text=WebhookEndpoint._meta.get_field("url").help_text)
    events = forms.MultipleChoiceField(
        choices=list(WEBHOOK_EVENTS.items()), widget=forms.CheckboxSelectMultiple, required=True,
        help_text="“An expert offer was made” is sent once the experts tier is switched on.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "is_active", "trusts_private_data"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Admins register receivers here; each delivery is signed with the endpoint's secret
    (docs/webhooks.md). Deliveries, with their responses, are under Webhook deliveries."""

    form = WebhookEndpointForm
    list_display = ("name", "url", "is_active", "trusts_private_data", "event_list", "created_at")
    readonly_fields = ("secret", "created_at", "recent_deliveries")
    actions = ["send_test_event"]

    def get_fields(self, request, obj=None):
        fields = ["name", "url", "events", "is_active", "trusts_private_data"]
        return fields if obj is None else [*fields, "secret", "created_at", "recent_deliveries"]

    @admin.display(description="events")
    def event_list(self, obj) -> str:
        return ", ".join(obj.events or [])

    @admin.display(description="recent deliveries")
    def recent_deliveries(self, obj):
        from django.urls import reverse
        from django.utils.html import format_html

        url = reverse("admin:api_webhookdelivery_changelist") + f"?endpoint__id__exact={obj.pk}"
        return format_html('<a href="{}">See the deliveries to this endpoint</a>', url)

    @admin.action(description="Send a test event (ping)")
    def send_test_event(self, request, queryset):
        for endpoint in queryset:
            webhooks.send_test_event(endpoint=endpoint)
        self.message_user(request, f"Queued a ping to {queryset.count()} endpoint(s).")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(NoEditAdmin):
    """A log: read it, redeliver from it, never edit it."""

    list_display = ("event", "endpoint", "status", "attempts", "response_status", "created_at", "last_attempt_at",
                    "next_attempt_at")
    list_filter = ("status", "event", "endpoint")
    list_select_related = ("endpoint",)
    readonly_fields = ("endpoint", "event", "event_id", "thread_id", "payload", "status", "attempts", "next_attempt_at",
                       "last_attempt_at", "response_status", "response_body", "error", "duration_ms", "redelivery_of",
                       "created_at")
    actions = ["redeliver"]

    @admin.action(description="Redeliver the selected deliveries")
    def redeliver(self, request, queryset):
        for delivery in queryset:
            webhooks.redeliver(delivery_id=delivery.pk)
        self.message_user(request, f"Queued {queryset.count()} redelivery(ies).")
