from django.contrib import admin

from django import forms

from config.admin import HttpsURLsMixin, NoEditAdmin, https_formfield
from escalation.models import (
    Channel,
    ChatMessage,
    Deadline,
    EscalationPolicy,
    HelpdeskHandoff,
    StaffChatWebhook,
    Ticket,
    TicketEvent,
    TicketNote,
)


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "answer_within_minutes", "solve_within_minutes", "staff_response_minutes"]
    list_select_related = ["category"]

    def get_readonly_fields(self, request, obj=None):
        # The default row has no category; a category row keeps its category.
        return ["category"] if obj is not None else []

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None and "category" in form.base_fields:
            form.base_fields["category"].required = True
            form.base_fields["category"].help_text = "Categories without a policy use the default policy."
        return form

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_default


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = "__all__"
        widgets = {"api_token": forms.PasswordInput(render_value=True)}
        formfield_callback = https_formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].required = False  # plain channels predate helpdesk hand-off

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or Channel.Kind.INSTRUCTIONS

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind and kind != Channel.Kind.INSTRUCTIONS and not data.get("api_url"):
            self.add_error("api_url", "A helpdesk channel needs the helpdesk's address.")
        if kind == Channel.Kind.ZENDESK and not (data.get("api_user") and data.get("api_token")):
            self.add_error("api_token", "Zendesk needs the agent's email and an API token.")
        return data


@admin.register(Channel)
class ChannelAdmin(HttpsURLsMixin, admin.ModelAdmin):
    """Channels staff redirect tickets to. A helpdesk channel (Zendesk or a JSON webhook) also
    creates a ticket in that helpdesk (escalation.helpdesk); only admins set its address."""

    form = ChannelForm
    list_display = ["name", "kind", "is_active", "position", "link"]
    list_editable = ["is_active", "position"]
    fieldsets = [
        (None, {"fields": ["name", "instructions", "link", "is_active", "position"]}),
        ("Helpdesk hand-off", {"fields": ["kind", "api_url", "api_user", "api_token"],
                               "description": "Optional: open a ticket in the company's helpdesk when staff "
                                              "redirect to this channel."}),
    ]


@admin.register(StaffChatWebhook)
class StaffChatWebhookAdmin(HttpsURLsMixin, admin.ModelAdmin):
    """Slack or Microsoft Teams incoming webhooks that hear of new and overdue tickets."""

    list_display = ["name", "kind", "notify_new", "notify_overdue", "is_active"]
    actions = ["send_test_message"]

    @admin.action(description="Send a test message")
    def send_test_message(self, request, queryset):
        from escalation import chat

        for hook in queryset:
            chat.queue_test_message(hook=hook)
        self.message_user(request, f"Queued a test message to {queryset.count()} chat(s); see Chat messages.")


@admin.register(HelpdeskHandoff)
class HelpdeskHandoffAdmin(HttpsURLsMixin, NoEditAdmin):
    list_display = ["ticket", "channel", "status", "remote_id", "remote_status", "attempts", "synced_at"]
    list_filter = ["status", "channel"]
    list_select_related = ["ticket", "channel"]


@admin.register(ChatMessage)
class ChatMessageAdmin(NoEditAdmin):
    list_display = ["created_at", "hook", "status", "attempts", "response_status", "error"]
    list_filter = ["status", "hook"]
    list_select_related = ["hook"]


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "actor", "action", "detail"]

    def has_add_permission(self, request, obj=None):
        return False


class TicketNoteInline(admin.TabularInline):
    model = TicketNote
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "author", "body"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(NoEditAdmin):
    """Read-only: staff work tickets on /staff/, where every change is a service call."""

    list_display = ["pk", "thread", "reason", "status", "assignee", "due_at", "created_at"]
    list_filter = ["status", "reason"]
    list_select_related = ["thread", "assignee"]
    search_fields = ["thread__title"]
    inlines = [TicketNoteInline, TicketEventInline]


@admin.register(Deadline)
class DeadlineAdmin(NoEditAdmin):
    list_display = ["thread", "kind", "due_at", "status", "done_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["thread"]
