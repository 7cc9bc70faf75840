"""Rebuild the deflection report's daily rollup for a range of days."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Min
from django.utils import timezone

from community.models import Thread
from reports.services import rebuild_daily_stats


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date; write it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Recompute DailyCategoryStats for the days from --from to --to (inclusive). Without "
        "--from: from the day of the first question. Without --to: today. Rebuilds in chunks "
        "of --chunk days, each in its own transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", type=_day, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="last", type=_day, help="Last day, YYYY-MM-DD.")
        parser.add_argument("--chunk", type=int, default=31, help="Days per transaction (default 31).")

    def handle(self, *args, first=None, last=None, chunk=31, **options):
        last = last or timezone.localdate()
        if first is None:
            oldest = Thread.objects.aggregate(oldest=Min("created_at"))["oldest"]
            first = timezone.localdate(oldest) if oldest else last
        if last < first:
            raise CommandError("--to is before --from.")
        if chunk < 1:
            raise CommandError("--chunk must be at least 1.")
        rows = 0
        day = first
        while day <= last:
            end = min(day + timedelta(days=chunk - 1), last)
            rows += rebuild_daily_stats(first_day=day, last_day=end)
            day = end + timedelta(days=1)
        self.stdout.write(f"Rebuilt {(last - first).days + 1} days from {first} to {last}: {rows} rows.")
