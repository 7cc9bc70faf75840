"""Admin settings of the experts tier (the settings row, per-category programmes, service
areas, the service list) and read-only views of its records: every change to experts, offers,
sessions and the ledger goes through experts.services from the /staff/experts/ pages."""

from django.contrib import admin

from config.admin import HttpsURLsMixin, ReadOnlyAdmin
from experts.models import (
    CategoryProgramme,
    Claim,
    Expert,
    ExpertSettings,
    Offer,
    PayoutBatch,
    PayoutEntry,
    Service,
    ServiceArea,
    Session,
)


@admin.register(ExpertSettings)
class ExpertSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "currency", "probation_answers", "approve_after_days", "minimum_payout",
                    "quality_threshold", "quality_min_tasks"]

    def has_add_permission(self, request):
        # One row, made on first use (and when this list opens), so there is only ever
        # something to change; answering without a query keeps the admin's sidebar cheap.
        return False

    def changelist_view(self, request, extra_context=None):
        ExpertSettings.load()
        return super().changelist_view(request, extra_context)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CategoryProgramme)
class CategoryProgrammeAdmin(admin.ModelAdmin):
    list_display = ["category", "is_enabled", "fee", "currency", "expert_window_minutes", "claim_hold_minutes"]
    list_editable = ["is_enabled"]
    list_select_related = ["category"]


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "mode", "duration_minutes", "price", "expert_fee", "currency", "is_active"]
    list_filter = ["mode", "is_active", "category"]
    list_select_related = ["category"]


@admin.register(Expert)
class ExpertAdmin(ReadOnlyAdmin):
    list_display = ["user", "status", "quality_score", "quality_tasks", "balance", "currency", "applied_at"]
    list_filter = ["status"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    list_display = ["thread", "category", "status", "fee", "currency", "window_ends_at"]
    list_filter = ["status"]
    list_select_related = ["thread", "category"]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["offer", "expert", "status", "hold_until", "needs_review", "outcome", "rating"]
    list_filter = ["status", "needs_review", "outcome"]
    list_select_related = ["offer", "expert__user"]


@admin.register(Session)
class SessionAdmin(HttpsURLsMixin, ReadOnlyAdmin):
    list_display = ["pk", "service", "customer", "expert", "mode", "status", "created_at"]
    list_filter = ["status", "mode"]
    list_select_related = ["service", "customer", "expert__user"]


@admin.register(PayoutEntry)
class PayoutEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "expert", "kind", "amount", "currency", "batch", "note"]
    list_filter = ["kind"]
    list_select_related = ["expert__user", "batch"]


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "status", "total", "currency", "created_by", "created_at", "paid_at"]
    list_filter = ["status"]
    list_select_related = ["created_by"]
