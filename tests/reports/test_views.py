import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from reports.services import rebuild_daily_stats
from tests.factories import UserFactory
from tests.reports.conftest import accept, answer, ask, at

pytestmark = pytest.mark.django_db

URL = "/staff/report/"
CSV_URL = "/staff/report/report.csv"


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_urls_are_where_staff_expect_them():
    assert reverse("reports:report") == URL
    assert reverse("reports:csv") == CSV_URL


@pytest.mark.parametrize("url", [URL, CSV_URL])
def test_the_report_and_its_csv_are_404_for_anonymous_visitors_and_members(client, member, url):
    assert client.get(url).status_code == 404
    client.force_login(member)
    assert client.get(url).status_code == 404


def test_staff_and_admins_see_the_report_and_the_nav_link(client, staff, admin_user):
    for user in (staff, admin_user):
        client.force_login(user)
        response = client.get(URL)
        assert response.status_code == 200
        assert f'href="{URL}"' in response.content.decode()


def test_members_get_no_report_link(client, member):
    client.force_login(member)
    assert f'href="{URL}"' not in client.get("/").content.decode()


def test_the_page_shows_the_figures_charts_and_tables(client, dataset, today):
    rebuild_daily_stats(first_day=date(2026, 3, 1), last_day=date(2026, 3, 20))
    client.force_login(dataset.staff)
    response = client.get(URL, {"period": "30"})
    html = response.content.decode()
    assert response.status_code == 200
    figures = dict(response.context["figures"][i][:2] for i in range(len(response.context["figures"])))
    assert figures["Questions asked"] == "7"
    assert figures["Answered by the community"] == "5"
    assert figures["Solved by the community"] == "2"
    assert figures["Solved by staff"] == "1"
    assert figures["Escalated to staff"] == "3"
    assert figures["Tickets past their staff target"] == "2 of 3"
    assert figures["Median time to first answer"] == "1 h 30 min"
    assert figures["90th percentile time to first answer"] == "3 h 30 min"
    assert figures["Median time to solution"] == "4 h 0 min"
    assert figures["90th percentile time to solution"] == "4 h 48 min"
    assert figures["Estimated savings (USD)"] == "USD 80.00"
    assert html.count('role="img"') == 2
    assert "<title>Tue 10 Mar: 3 asked — 2 solved by the community" in html
    assert dataset.helper1.display_name in html
    assert "style=" not in html.split("<main", 1)[1]


def test_the_csv_has_the_same_figures_and_is_an_attachment(client, dataset, today):
    rebuild_daily_stats(first_day=date(2026, 3, 1), last_day=date(2026, 3, 20))
    client.force_login(dataset.staff)
    response = client.get(CSV_URL, {"period": "custom", "date_from": "2026-03-01", "date_to": "2026-03-20",
                                     "category": dataset.main.pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="peerdesk-report-main-20260301-20260320.csv"'
    rows = _rows(response)
    values = {(r[0], r[1]): r[2] for r in rows if len(r) == 3}
    assert values[("figure", "asked")] == "6"
    assert values[("figure", "solved_by_community")] == "1"
    assert values[("figure", "solved_by_staff")] == "1"
    assert values[("figure", "escalated")] == "3"
    assert values[("figure", "tickets_past_target")] == "2"
    assert values[("figure", "solution_median_hours")] == "3.00"
    assert values[("figure", "estimated_savings")] == "40.00"
    assert values[("settings", "currency")] == "USD"
    assert values[("escalated_by_reason", "still_needs_help")] == "1"
    assert values[("top_helper_solutions", dataset.helper1.username)] == "1"
    header = rows.index(["day", "asked", "answered_by_community", "solved_by_community", "solved_by_staff",
                         "answered_unsolved", "unanswered", "escalated"])
    days = {r[0]: r[1:] for r in rows[header + 1:]}
    assert len(days) == 20
    assert days["2026-03-12"] == ["3", "1", "0", "1", "1", "1", "3"]


@pytest.mark.parametrize("query, message", [
    ({"period": "custom", "date_from": "2026-13-01", "date_to": "2026-03-01"}, "Enter the start date as YYYY-MM-DD."),
    ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "The start date is after the end date."),
    ({"period": "custom", "date_from": "2026-03-10"}, "Choose both a start and an end date"),
    ({"period": "custom", "date_from": "2027-01-01", "date_to": "2027-01-02"}, "The start date is in the future"),
    ({"period": "custom", "date_from": "0001-01-01", "date_to": "9999-12-31"}, "Choose at most"),
    ({"period": "365"}, "Select a valid choice"),
    ({"category": "99999"}, "That category doesn't exist any more"),
    ({"category": "abc"}, "That category doesn't exist any more"),
])
def test_bad_input_gets_a_clear_message_and_keeps_what_was_typed(client, staff, today, query, message):
    client.force_login(staff)
    response = client.get(URL, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html.replace("&#x27;", "'")
    for name in ("date_from", "date_to"):
        if name in query:
            assert f'name="{name}" value="{query[name]}"' in html
    csv_response = client.get(CSV_URL, query)
    assert csv_response.status_code == 400
    assert message in csv_response.content.decode()


def test_the_page_accepts_a_from_to_period(client, dataset, today):
    rebuild_daily_stats(first_day=date(2026, 3, 1), last_day=date(2026, 3, 20))
    client.force_login(dataset.staff)
    response = client.get(URL, {"period": "custom", "date_from": "2026-03-12", "date_to": "2026-03-12"})
    assert response.status_code == 200
    assert response.context["report"].totals.asked == 3


def _grow(dataset, n: int) -> None:
    """n more questions, each answered by a different member and accepted."""
    for i in range(n):
        helper = UserFactory()
        thread = ask(dataset.asker2, dataset.main, at(11, 8 + i % 10))
        a = answer(helper, thread, at(11, 9 + i % 10))
        accept(dataset.asker2, a, at(11, 10 + i % 10))


@pytest.mark.parametrize("url", [URL, CSV_URL])
def test_the_number_of_queries_does_not_grow_with_the_data(client, dataset, today, url, django_assert_num_queries):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(dataset.staff)
    rebuild_daily_stats(first_day=date(2026, 3, 1), last_day=date(2026, 3, 20))
    cache.clear()  # both requests start cold, so what other apps cache per request is counted alike
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(dataset, 12)
    rebuild_daily_stats(first_day=date(2026, 3, 1), last_day=date(2026, 3, 20))
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == 200
    # 16 for the period itself, and the previous period of the same length for the comparison.
    assert len(large) == len(small) <= 20


def test_the_deflection_rate_leads_and_every_card_compares_with_the_previous_period(client, dataset, today):
    client.force_login(dataset.staff)
    html = client.get(reverse("reports:report"), {"period": "7"}).content.decode()
    assert html.index(">Deflection rate<") < html.index(">Questions asked<")
    assert "kpi-headline" in html
    assert "Changes compare with the 7 days before" in html
    assert html.count('class="kpi-change') == 6
    assert "Previous period" in html
    assert "Closed tickets, by outcome" in html


def test_change_says_which_way_and_whether_that_is_good():
    from datetime import timedelta as td

    from reports.views import _change

    assert _change(60.0, 50.0, better="up", unit="points") == {
        "text": "▲ 10.0 points", "tone": "good", "sr": "up 10.0 points from the previous period"}
    assert _change(12, 8, better="down")["tone"] == "bad"
    assert _change(td(hours=1), td(hours=2), better="down")["text"] == "▼ 50 %"
    assert _change(5, 5, better="up")["text"] == "no change"
    assert _change(None, 5, better="up")["tone"] == "flat"


def test_top_helpers_count_only_live_answers(category):
    from community import services as community
    from community.models import Answer
    from reports.selectors import Period, build_report
    from tests.factories import UserFactory

    asker, hidden_helper = UserFactory(), UserFactory(display_name="Hidden Helper")
    thread = community.ask_question(author=asker, category=category, title="Export my calendar to CSV",
                                    body="How do I export everything?", tags="")
    answer = community.post_answer(author=hidden_helper, thread=thread, body="Buy my course at spam dot example.")
    Answer.objects.filter(pk=answer.pk).update(is_hidden=True)
    report = build_report(period=Period.last(7))
    assert "Hidden Helper" not in [h.user.name for h in report.helpers]
