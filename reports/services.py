"""Writes of the reports app: rebuilding the daily rollup."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from reports.models import DailyCategoryStats, ReportSettings
from reports.selectors import COUNT_FIELDS, Period, daily_counts


@transaction.atomic
def rebuild_daily_stats(*, first_day: date, last_day: date) -> int:
    """Recompute the rollup rows of [first_day, last_day] from the questions; returns the
    number of rows written.

    Replaces the rows of those days in one transaction, so a reader sees the old rows or the
    new ones, never a half-built day; days without questions get no row. Idempotent. Rebuilds
    queue on the ReportSettings row lock, so two at once (a beat run and a worker start, or the
    command) never delete each other's fresh rows half-way.
    """
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    ReportSettings.load()
    ReportSettings.objects.select_for_update().get(pk=1)
    period = Period(first_day, last_day)
    now = timezone.now()
    rows = [
        DailyCategoryStats(day=row["day"], category_id=row["category_id"], computed_at=now,
                           **{name: row[name] for name in COUNT_FIELDS})
        for row in daily_counts(start=period.start, end=period.end)
    ]
    DailyCategoryStats.objects.filter(day__gte=first_day, day__lte=last_day).delete()
    DailyCategoryStats.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def rebuild_recent_stats(*, now=None) -> int:
    """Rebuild the last REPORT_ROLLUP_DAYS days up to today (the beat task)."""
    today = timezone.localdate(now or timezone.now())
    return rebuild_daily_stats(first_day=today - timedelta(days=settings.REPORT_ROLLUP_DAYS - 1), last_day=today)
