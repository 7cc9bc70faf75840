"""Admin for kudos: ranks (with a preview of members per rank before saving), point rules,
and the read-only ledger (staff awards are made on /kudos/award/, linked from the ledger)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.html import format_html

from config.admin import ReadOnlyAdmin
from kudos.models import LedgerEntry, PointRule, Rank, RankNotice
from kudos.ranks import RankInfo, RankTable
from kudos.selectors import rank_change_preview, rank_table

PREVIEW_BUTTON = "_preview"
NO_UPPER_BOUND = 2**31 - 1


class RankForm(forms.ModelForm):
    """On "Preview" the form computes members per rank now and after the change, then refuses
    to validate, so the admin shows the form again, with what was typed, and saves nothing."""

    preview_rows = None

    class Meta:
        model = Rank
        fields = "__all__"
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}

    def _post_clean(self):
        super()._post_clean()
        if PREVIEW_BUTTON not in self.data or self.errors:
            return
        current = rank_table()
        edited_id = self.instance.pk or 0  # 0: the rank being added
        proposed = [r for r in current.ranks if r.id != edited_id]
        proposed.append(
            RankInfo(id=edited_id, name=self.cleaned_data["name"], min_points=self.cleaned_data["min_points"])
        )
        self.preview_rows = rank_change_preview(
            current=current, proposed=RankTable.build(proposed), edited_id=edited_id
        )
        self.add_error(None, "Preview only: nothing was saved.")


@admin.register(Rank)
class RankAdmin(admin.ModelAdmin):
    form = RankForm
    change_form_template = "admin/kudos/rank/change_form.html"
    list_display = [
        "name", "badge", "min_points", "members_now", "flag_weight", "can_retag", "questions_per_day"
    ]
    ordering = ["min_points"]
    fieldsets = [
        (None, {"fields": ["name", "min_points", "colour", "description"]}),
        (
            "Privileges",
            {
                "fields": [
                    "questions_per_day",
                    "answers_per_day",
                    "links_per_day",
                    "seconds_between_posts",
                    "flag_weight",
                    "can_retag",
                    "votes_move_points",
                    "trusted_after_hours",
                    "trust_needs_verified_email",
                ]
            },
        ),
    ]

    class Media:
        css = {"all": ["/kudos/ranks.css"]}

    def get_queryset(self, request):
        """Members per rank in the same query as the ranks: between this threshold and the
        next one."""
        User = get_user_model()
        next_min = Rank.objects.filter(min_points__gt=OuterRef("min_points")).order_by("min_points").values(
            "min_points"
        )[:1]
        qs = super().get_queryset(request).annotate(
            next_min=Coalesce(Subquery(next_min), Value(NO_UPPER_BOUND), output_field=IntegerField())
        )
        members = (
            User.objects.filter(
                is_active=True, points__gte=OuterRef("min_points"), points__lt=OuterRef("next_min")
            )
            .order_by()
            .values("is_active")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return qs.annotate(members=Coalesce(Subquery(members), Value(0), output_field=IntegerField()))

    @admin.display(description="members now", ordering="members")
    def members_now(self, obj):
        return obj.members

    @admin.display(description="badge")
    def badge(self, obj):
        return format_html('<strong class="badge rank-{}">{}</strong>', obj.pk, obj.name)

    def render_change_form(self, request, context, *args, **kwargs):
        form = context["adminform"].form
        if form.preview_rows is not None:
            context["errors"] = []
            context["rank_preview"] = form.preview_rows
        return super().render_change_form(request, context, *args, **kwargs)


@admin.register(PointRule)
class PointRuleAdmin(admin.ModelAdmin):
    list_display = ["action", "points", "description"]
    list_editable = ["points"]
    list_display_links = ["action"]
    readonly_fields = ["action"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    change_list_template = "admin/kudos/ledgerentry/change_list.html"
    list_display = [
        "created_at", "recipient", "points", "reason", "source_key", "generation", "cause", "actor", "note"
    ]
    list_filter = ["reason", "created_at"]
    list_select_related = ["recipient", "actor"]
    search_fields = ["recipient__username", "recipient__email", "source_key", "note"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(RankNotice)
class RankNoticeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "rank_name", "seen_at"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
