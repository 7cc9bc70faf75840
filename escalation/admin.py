from django.contrib import admin

from escalation.models import Channel, Deadline, EscalationPolicy, Ticket, TicketEvent, TicketNote


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


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "position", "link"]
    list_editable = ["is_active", "position"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "link":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)


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
class TicketAdmin(admin.ModelAdmin):
    """Read-only: staff work tickets on /staff/, where every change is a service call."""

    list_display = ["pk", "thread", "reason", "status", "assignee", "due_at", "created_at"]
    list_filter = ["status", "reason"]
    list_select_related = ["thread", "assignee"]
    search_fields = ["thread__title"]
    inlines = [TicketNoteInline, TicketEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    list_display = ["thread", "kind", "due_at", "status", "done_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["thread"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
