from django.contrib import admin

from config.admin import ReadOnlyAdmin
from reports.models import DailyCategoryStats, ReportSettings


@admin.register(ReportSettings)
class ReportSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "cost_per_ticket", "currency"]

    def has_add_permission(self, request):
        # One row: it is made on first use, so there is only ever something to change.
        return super().has_add_permission(request) and not ReportSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DailyCategoryStats)
class DailyCategoryStatsAdmin(ReadOnlyAdmin):
    """Read-only: the rows are derived data, rebuilt with the rebuild_report_stats command."""

    list_display = ["day", "category", "asked", "answered_by_community", "solved_by_community",
                    "solved_by_staff", "escalated", "computed_at"]
    list_filter = ["category"]
    list_select_related = ["category"]
    date_hierarchy = "day"
