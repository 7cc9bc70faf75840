"""Times in the viewer's zone, one wording for the whole site, "just now" under a minute."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import timezones
from community import services

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=dt_timezone.utc)


@pytest.mark.parametrize(
    "ago, words",
    [
        (timedelta(seconds=0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=-30), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=59, seconds=59), "59 minutes ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=23), "23 hours ago"),
        (timedelta(hours=-2), "in 2 hours"),
        (timedelta(minutes=-5), "in 5 minutes"),
        (timedelta(days=1), "9 Mar 2026, 12:00"),
        (timedelta(days=-3), "13 Mar 2026, 12:00"),
    ],
)
def test_a_moment_is_worded_the_same_everywhere(ago, words):
    with timezone.override(dt_timezone.utc):
        assert timezones.format_when(NOW - ago, now=NOW) == words


def test_absolute_and_date_styles_use_the_active_zone():
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        assert timezones.format_when(NOW, now=NOW, style="abs") == "10 Mar 2026, 21:00"
        assert timezones.format_when(NOW.replace(hour=20), style="date") == "11 Mar 2026"
        assert timezones.format_full(NOW) == "10 Mar 2026, 21:00 JST"


def test_only_known_zones_are_valid():
    assert timezones.valid("Europe/Paris") == "Europe/Paris"
    assert timezones.valid("Mars/Olympus") == ""
    assert timezones.valid("../../etc/passwd") == ""
    assert timezones.valid("x" * 10_000) == ""


def _thread(member, category):
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        return services.ask_question(author=member, category=category, title="Calendar sync stops", body="Since 4.2")


def test_the_thread_page_shows_times_in_the_members_profile_zone(member, category):
    thread = _thread(member, category)
    member.time_zone = "America/New_York"
    member.save(update_fields=["time_zone"])
    client = Client()
    client.force_login(member)
    client.cookies["tz"] = "Asia/Tokyo"  # the profile wins over the browser
    with time_machine.travel(NOW, tick=False):
        html = client.get(thread.get_absolute_url()).content.decode()
    assert "8 Mar 2026, 08:00" in html  # 12:00 UTC in New York (summer time from that morning)
    assert 'data-tz="America/New_York" data-tz-source="profile"' in html
    assert "data-tz-save-url" not in html


def test_without_a_profile_zone_the_browsers_cookie_decides(member, category):
    thread = _thread(member, category)
    client = Client()
    client.cookies["tz"] = "Asia/Tokyo"
    with time_machine.travel(NOW, tick=False):
        html = client.get(thread.get_absolute_url()).content.decode()
    assert "8 Mar 2026, 21:00" in html
    assert 'title="8 Mar 2026, 21:00 JST"' in html


def test_a_bad_cookie_falls_back_to_the_site_zone(member, category):
    thread = _thread(member, category)
    client = Client()
    client.cookies["tz"] = "<script>"
    with time_machine.travel(NOW, tick=False):
        html = client.get(thread.get_absolute_url()).content.decode()
    assert "8 Mar 2026, 12:00" in html and "&lt;script&gt;" not in html


def test_a_fresh_post_says_just_now_not_0_minutes(member, category):
    thread = services.ask_question(author=member, category=category, title="Calendar sync stops", body="Since 4.2")
    html = Client().get(thread.get_absolute_url()).content.decode()
    assert ">just now</time>" in html
    assert "0 minutes" not in html
    assert ">just now</time>" in Client().get("/").content.decode()


def test_the_browser_zone_is_saved_once_for_a_member_without_one(member):
    client = Client()
    client.force_login(member)
    url = reverse("accounts:browser_time_zone")
    assert client.post(url, {"tz": "Europe/Paris"}).status_code == 204
    member.refresh_from_db()
    assert member.time_zone == "Europe/Paris"
    client.post(url, {"tz": "Asia/Tokyo"})
    member.refresh_from_db()
    assert member.time_zone == "Europe/Paris"  # never overwrites a zone already set
    assert client.post(url, {"tz": "Nowhere/Land"}).status_code == 400


def test_signed_out_visitors_posting_a_zone_change_nothing():
    assert Client().post(reverse("accounts:browser_time_zone"), {"tz": "Europe/Paris"}).status_code == 204


def test_the_member_picks_a_zone_on_the_profile_page(member):
    client = Client()
    client.force_login(member)
    page = client.get(reverse("accounts:edit_profile")).content.decode()
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in page
    response = client.post(reverse("accounts:edit_profile"), {"display_name": "Jo", "time_zone": "Europe/Berlin"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.time_zone == "Europe/Berlin"
    response = client.post(reverse("accounts:edit_profile"), {"display_name": "Jo", "time_zone": "Mars/Base"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    member.refresh_from_db()
    assert member.time_zone == "Europe/Berlin"


def test_anonymous_page_cache_keeps_one_copy_per_zone(member, category, settings):
    settings.ANONYMOUS_PAGE_CACHE_SECONDS = 300
    thread = _thread(member, category)
    tokyo, paris = Client(), Client()
    tokyo.cookies["tz"] = "Asia/Tokyo"
    paris.cookies["tz"] = "Europe/Paris"
    with time_machine.travel(NOW, tick=False):
        tokyo.get(thread.get_absolute_url())
        assert "8 Mar 2026, 13:00" in paris.get(thread.get_absolute_url()).content.decode()
        assert "8 Mar 2026, 21:00" in tokyo.get(thread.get_absolute_url()).content.decode()
