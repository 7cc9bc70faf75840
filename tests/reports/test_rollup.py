from datetime import date

import pytest
import time_machine
from django.core.management import CommandError, call_command

from reports import tasks
from reports.models import DailyCategoryStats, ReportSettings
from tests.reports.conftest import at

pytestmark = pytest.mark.django_db


def test_the_command_rebuilds_a_range_in_chunks(dataset, today, capsys):
    call_command("rebuild_report_stats", "--from", "2026-03-01", "--to", "2026-03-11", "--chunk", "3")
    assert "Rebuilt 11 days from 2026-03-01 to 2026-03-11: 2 rows." in capsys.readouterr().out
    assert set(DailyCategoryStats.objects.values_list("day", flat=True)) == {date(2026, 3, 10)}


def test_the_command_without_dates_starts_at_the_first_question_and_ends_today(dataset, today, capsys):
    call_command("rebuild_report_stats")
    assert "from 2026-03-10 to 2026-03-20: 4 rows." in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--from", "2026-02-30"], "is not a date"),
    (["--from", "2026-03-10", "--to", "2026-03-01"], "--to is before --from"),
    (["--chunk", "0"], "at least 1"),
])
def test_the_command_refuses_bad_arguments(db, today, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("rebuild_report_stats", *args)


def test_the_beat_task_rebuilds_the_recent_days_and_leaves_older_ones(dataset, settings):
    settings.REPORT_ROLLUP_DAYS = 9  # 12 to 20 March
    with time_machine.travel(at(20, 12), tick=False):
        assert tasks.rebuild_recent_stats() == 2
    assert set(DailyCategoryStats.objects.values_list("day", flat=True)) == {date(2026, 3, 12), date(2026, 3, 20)}
    assert "reports-rollup" in settings.CELERY_BEAT_SCHEDULE
    assert settings.CELERY_BEAT_SCHEDULE["reports-rollup"]["task"] == "reports.tasks.rebuild_recent_stats"


def test_report_settings_are_one_row_with_a_default_cost(db):
    first = ReportSettings.load()
    assert ReportSettings.load().pk == first.pk == 1
    assert (str(first.cost_per_ticket), first.currency) == ("25.00", "EUR")


def test_a_starting_worker_rebuilds_the_recent_days_once(dataset, settings):
    from celery.signals import worker_ready

    settings.REPORT_ROLLUP_DAYS = 11  # 10 to 20 March
    with time_machine.travel(at(20, 12), tick=False):
        worker_ready.send(sender=None)
    assert DailyCategoryStats.objects.count() == 4
