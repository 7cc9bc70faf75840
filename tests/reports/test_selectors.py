from datetime import date, timedelta
from decimal import Decimal

import pytest

from reports.models import DailyCategoryStats
from reports.selectors import Period, build_report, percentile
from reports.services import rebuild_daily_stats

pytestmark = pytest.mark.django_db


def _report(dataset, *, days=30, category=None):
    rebuild_daily_stats(first_day=date(2026, 2, 1), last_day=date(2026, 3, 20))
    return build_report(period=Period.last(days, today=date(2026, 3, 20)), category=category)


def test_every_figure_for_all_categories_matches_the_hand_built_dataset(dataset, today):
    report = _report(dataset)
    t = report.totals
    assert (t.asked, t.answered_by_community, t.solved_by_community, t.solved_by_staff) == (7, 5, 2, 1)
    assert (t.answered_unsolved, t.unanswered, t.escalated) == (3, 1, 3)
    assert {value: n for value, _, n in report.escalated_by_reason} == {
        "unanswered": 1, "unsolved": 0, "still_needs_help": 1, "confidential": 1, "flagged": 0,
    }
    assert (report.tickets, report.tickets_past_target) == (3, 2)
    assert report.first_answer_median == timedelta(hours=1, minutes=30)
    assert report.first_answer_p90 == timedelta(hours=3, minutes=30)
    assert report.solution_median == timedelta(hours=4)
    assert report.solution_p90 == timedelta(hours=4, minutes=48)
    assert [(h.user, h.solutions, h.answers) for h in report.helpers] == [
        (dataset.helper1, 1, 3), (dataset.helper2, 1, 3),
    ]
    assert (report.cost_per_ticket, report.currency, report.savings) == (Decimal("40.00"), "USD", Decimal("80.00"))


def test_the_days_split_the_questions_by_outcome(dataset, today):
    days = {d.day: d for d in _report(dataset).days}
    assert len(days) == 30
    tue, thu, fri = days[date(2026, 3, 10)], days[date(2026, 3, 12)], days[date(2026, 3, 20)]
    assert (tue.asked, tue.solved_by_community, tue.answered_unsolved, tue.answered_by_community) == (3, 2, 1, 3)
    assert (thu.asked, thu.solved_by_staff, thu.answered_unsolved, thu.unanswered, thu.escalated) == (3, 1, 1, 1, 3)
    assert thu.answered_by_community == 1
    # Today is counted live, with no rollup row yet.
    assert (fri.asked, fri.answered_by_community, fri.answered_unsolved) == (1, 1, 1)
    assert sum(d.asked for d in days.values()) == 7


def test_a_category_counts_only_its_own_questions(dataset, today):
    report = _report(dataset, category=dataset.main)
    t = report.totals
    assert (t.asked, t.answered_by_community, t.solved_by_community, t.solved_by_staff, t.escalated) == (6, 4, 1, 1, 3)
    assert report.solution_median == timedelta(hours=3)  # 4 h and 2 h
    assert [(h.user, h.solutions, h.answers) for h in report.helpers] == [
        (dataset.helper1, 1, 3), (dataset.helper2, 0, 2),
    ]
    assert report.savings == Decimal("40.00")
    other = _report(dataset, category=dataset.other)
    assert (other.totals.asked, other.totals.solved_by_community, other.tickets) == (1, 1, 0)


def test_a_shorter_period_leaves_out_older_questions(dataset, today):
    report = _report(dataset, days=7)
    assert (report.totals.asked, report.totals.answered_unsolved, report.tickets) == (1, 1, 0)
    assert report.first_answer_median == timedelta(minutes=30)
    assert report.solution_median is None
    assert [(h.user, h.answers) for h in report.helpers] == [(dataset.helper2, 1)]


def test_the_rollup_holds_one_row_per_day_and_category_and_rebuilding_is_idempotent(dataset, today):
    assert rebuild_daily_stats(first_day=date(2026, 3, 1), last_day=date(2026, 3, 20)) == 4
    assert rebuild_daily_stats(first_day=date(2026, 3, 1), last_day=date(2026, 3, 20)) == 4
    rows = {(r.day, r.category_id): r for r in DailyCategoryStats.objects.all()}
    assert set(rows) == {
        (date(2026, 3, 10), dataset.main.pk), (date(2026, 3, 10), dataset.other.pk),
        (date(2026, 3, 12), dataset.main.pk), (date(2026, 3, 20), dataset.main.pk),
    }
    main_tue = rows[(date(2026, 3, 10), dataset.main.pk)]
    assert (main_tue.asked, main_tue.solved_by_community, main_tue.answered_unsolved, main_tue.unanswered) == (2, 1, 1, 0)


def test_days_before_today_come_from_the_rollup(dataset, today):
    rebuild_daily_stats(first_day=date(2026, 3, 1), last_day=date(2026, 3, 20))
    DailyCategoryStats.objects.filter(day=date(2026, 3, 10)).update(asked=50)
    report = build_report(period=Period.last(30, today=date(2026, 3, 20)))
    assert report.totals.asked == 50 + 50 + 3 + 1


def test_python_percentile_interpolates_like_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([5], 0.9) == 5
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([4, 1, 3, 2, 5, 0.5], 0.9) == 4.5
    assert percentile([timedelta(hours=2), timedelta(hours=4)], 0.5) == timedelta(hours=3)


def test_the_report_indexes_exist_on_the_community_tables(db):
    from django.db import connection

    with connection.cursor() as cursor:
        threads = connection.introspection.get_constraints(cursor, "community_thread")
        answers = connection.introspection.get_constraints(cursor, "community_answer")
    assert threads["report_thread_cohort"]["columns"][0] == "created_at"
    assert answers["report_answer_created"]["columns"][0] == "created_at"


def test_the_postgres_percentile_aggregate_matches_the_python_one(dataset, today, on_postgres):
    from django.db.models import F, FloatField

    from community.models import Thread
    from reports.selectors import PercentileCont

    values = list(Thread.objects.filter(first_answer_at__isnull=False).values_list("answer_count", flat=True))
    got = Thread.objects.filter(first_answer_at__isnull=False).aggregate(
        p=PercentileCont(F("answer_count"), 0.9, output_field=FloatField())
    )["p"]
    assert got == pytest.approx(percentile(values, 0.9))


def test_days_are_calendar_days_in_the_site_time_zone(db, settings):
    from tests.factories import CategoryFactory, UserFactory
    from tests.reports.conftest import ask, at

    settings.TIME_ZONE = "Europe/Berlin"  # UTC+1 in March
    category, asker = CategoryFactory(), UserFactory()
    ask(asker, category, at(10, 23, 30))  # 00:30 on 11 March in Berlin
    ask(asker, category, at(10, 22, 30))  # 23:30 on 10 March in Berlin
    rebuild_daily_stats(first_day=date(2026, 3, 9), last_day=date(2026, 3, 12))
    assert dict(DailyCategoryStats.objects.values_list("day", "asked")) == {date(2026, 3, 10): 1, date(2026, 3, 11): 1}
    report = build_report(period=Period(date(2026, 3, 11), date(2026, 3, 11)), now=at(20, 12))
    assert report.totals.asked == 1
