"""The deflection report's settings and its daily rollup.

The report answers one question for staff and admins: of the questions asked in a period, how
many did the community take off the support team, and what did that save. Per-day counts come
from ``DailyCategoryStats`` (one row per day and category, rebuilt by a beat task and by the
``rebuild_report_stats`` command) so a 90-day chart reads at most 90 × categories rows, however
many questions there are. Everything else is an aggregate over indexed columns (reports.selectors).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from community.models import Category


class ReportSettings(models.Model):
    """Admin-edited values the report needs. One row (pk=1), made on first use."""

    cost_per_ticket = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("25.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="What one support ticket costs the company; savings = solved by the community × this.",
    )
    currency = models.CharField(
        max_length=3,
        default="EUR",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code such as EUR or USD.")],
        help_text="Three-letter ISO 4217 code, e.g. EUR, USD, GBP.",
    )

    class Meta:
        verbose_name = "report settings"
        verbose_name_plural = "report settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="report_settings_single_row"),
            models.CheckConstraint(condition=Q(cost_per_ticket__gte=0), name="report_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return "Report settings"

    @classmethod
    def load(cls) -> "ReportSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class DailyCategoryStats(models.Model):
    """What became of the questions asked on ``day`` in ``category``, as of ``computed_at``.

    The outcome columns partition ``asked``: solved by the community + solved by staff +
    answered but unsolved + unanswered = asked. ``answered_by_community`` and ``escalated``
    overlap the others. Deleted questions are not counted.
    """

    day = models.DateField()
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    asked = models.PositiveIntegerField(default=0)
    answered_by_community = models.PositiveIntegerField(
        default=0, help_text="Questions with an answer from someone who is neither staff nor the asker."
    )
    solved_by_community = models.PositiveIntegerField(default=0)
    solved_by_staff = models.PositiveIntegerField(default=0)
    answered_unsolved = models.PositiveIntegerField(
        default=0, help_text="Answered by someone other than the asker, no accepted solution yet."
    )
    escalated = models.PositiveIntegerField(default=0, help_text="Questions that got a staff ticket.")
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "daily category statistics"
        verbose_name_plural = "daily category statistics"
        ordering = ["day", "category_id"]
        constraints = [
            models.UniqueConstraint(fields=["day", "category"], name="one_stats_row_per_day_and_category"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.category_id}: {self.asked} asked"

    @property
    def unanswered(self) -> int:
        return self.asked - self.solved_by_community - self.solved_by_staff - self.answered_unsolved
