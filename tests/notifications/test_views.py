"""The bell, the list, marking read, the settings page and the one-click unsubscribe link."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from community import services as community
from notifications import services
from notifications.models import Kind, Notification, NotificationPreference
from tests.factories import UserFactory
from tests.notifications.conftest import answer, ask

pytestmark = pytest.mark.django_db

BELL = Template("{% load notifications %}{% notification_bell %}")


def _answers_for(member, category, n: int) -> list[Notification]:
    thread = ask(member, category)
    for _ in range(n):
        answer(UserFactory(), thread)
    return list(Notification.objects.filter(recipient=member))


def _render_bell(user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return BELL.render(Context({"request": request, "user": user}))


# --- The bell ----------------------------------------------------------------------------------


def test_the_bell_costs_anonymous_visitors_no_query(django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    with django_assert_num_queries(0):
        assert _render_bell(AnonymousUser()).strip() == ""


def test_the_bell_costs_a_member_at_most_one_query_then_none_from_the_cache(member, category, django_assert_num_queries):
    _answers_for(member, category, 2)
    with django_assert_num_queries(1):
        html = _render_bell(member)
    assert 'aria-label="Notifications, 2 unread"' in html
    with django_assert_num_queries(0):
        assert 'aria-label="Notifications, 2 unread"' in _render_bell(member)


def test_the_bell_count_follows_new_and_read_notifications(member, category, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _answers_for(member, category, 1)[0]
    assert services.unread_count(member) == 1
    with django_capture_on_commit_callbacks(execute=True):
        answer(UserFactory(), first.thread)
    assert services.unread_count(member) == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_read(user=member, notification_id=first.pk)
    assert services.unread_count(member) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_all_read(user=member)
    assert services.unread_count(member) == 0


def test_every_page_shows_the_bell_with_its_accessible_name(client, member, category):
    _answers_for(member, category, 3)
    client.force_login(member)
    html = client.get("/").content.decode()
    assert 'aria-label="Notifications, 3 unread"' in html
    assert reverse("notifications:list") in html
    assert "Notifications," not in Client().get("/").content.decode()


# --- The list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 25])
def test_the_list_shows_the_members_notifications_in_a_fixed_number_of_queries(client, member, category, size, django_assert_max_num_queries):
    _answers_for(member, category, size)
    other = UserFactory()
    _answers_for(other, category, 1)
    client.force_login(member)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("notifications:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="notification notification-unread"') == min(size, 20)
    assert other.notifications.get().text not in html


def test_the_list_needs_sign_in(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_marking_read_works_with_and_without_htmx(client, member, category):
    first, second = _answers_for(member, category, 2)
    client.force_login(member)
    response = client.post(reverse("notifications:read", args=[first.pk]))
    assert response.status_code == 302
    response = client.post(reverse("notifications:read", args=[second.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="notification-{second.pk}"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_nobody_marks_someone_elses_notification_read(client, member, other_member, category):
    [mine] = _answers_for(member, category, 1)
    client.force_login(other_member)
    assert client.post(reverse("notifications:read", args=[mine.pk])).status_code == 404
    assert client.get(reverse("notifications:read", args=[mine.pk])).status_code == 405
    mine.refresh_from_db()
    assert mine.read_at is None


def test_mark_all_read_marks_only_ones_own(client, member, other_member, category):
    _answers_for(member, category, 2)
    _answers_for(other_member, category, 1)
    client.force_login(member)
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "Marked 2 notifications read." in response.content.decode()
    assert Notification.objects.filter(read_at__isnull=True).get().recipient == other_member


# --- Settings ----------------------------------------------------------------------------------


def test_the_settings_page_saves_each_kinds_choices(client, member):
    client.force_login(member)
    page = client.get(reverse("notifications:settings")).content.decode()
    assert "New tickets in the support queue" not in page  # staff only
    data = {f"{kind}-on_site": "on" for kind in services.kinds_for(member)}
    data.update({f"{kind}-email": "on" for kind in services.kinds_for(member) if kind != Kind.UPVOTED})
    del data[f"{Kind.ANSWER}-on_site"]
    response = client.post(reverse("notifications:settings"), data, follow=True)
    assert "Your notification settings were saved." in response.content.decode()
    prefs = services.preferences_for(member)
    assert prefs[Kind.ANSWER] == (False, True)
    assert prefs[Kind.UPVOTED] == (True, False)
    assert prefs[Kind.RANK] == (True, True)


def test_staff_can_choose_the_ticket_digest(client, staff):
    client.force_login(staff)
    assert "New tickets in the support queue" in client.get(reverse("notifications:settings")).content.decode()
    client.post(reverse("notifications:settings"), {})
    assert services.preferences_for(staff)[Kind.NEW_TICKETS] == (False, False)


# --- Unsubscribe -------------------------------------------------------------------------------


def _unsubscribe_url_from_mail(member, category, django_capture_on_commit_callbacks) -> str:
    thread = ask(member, category)
    with django_capture_on_commit_callbacks(execute=True):
        answer(UserFactory(), thread)
    [message] = mail.outbox
    header = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert header in message.body and header in message.alternatives[0][0]
    return re.sub(r"^https?://[^/]+", "", header)


def test_the_unsubscribe_link_asks_first_then_unsubscribes_without_sign_in(member, category, django_capture_on_commit_callbacks):
    url = _unsubscribe_url_from_mail(member, category, django_capture_on_commit_callbacks)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(url)
    assert page.status_code == 200
    assert "Stop these emails?" in page.content.decode()
    assert not NotificationPreference.objects.exists()  # a GET (a mail scanner) changes nothing
    token = browser.cookies["csrftoken"].value
    done = browser.post(url, {"csrfmiddlewaretoken": token})
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    assert services.preferences_for(member)[Kind.ANSWER] == (True, False)
    assert services.preferences_for(member)[Kind.RANK] == (True, True)


def test_a_mail_clients_one_click_post_unsubscribes(member, category, django_capture_on_commit_callbacks):
    url = _unsubscribe_url_from_mail(member, category, django_capture_on_commit_callbacks)
    response = Client(enforce_csrf_checks=True).post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert services.preferences_for(member)[Kind.ANSWER] == (True, False)


def test_an_unsubscribe_form_post_without_a_csrf_token_is_refused(member, category, django_capture_on_commit_callbacks):
    url = _unsubscribe_url_from_mail(member, category, django_capture_on_commit_callbacks)
    response = Client(enforce_csrf_checks=True).post(url, {"anything": "else"})
    assert response.status_code == 403
    assert not NotificationPreference.objects.exists()


def test_after_unsubscribing_that_kind_is_no_longer_mailed(member, category, django_capture_on_commit_callbacks):
    url = _unsubscribe_url_from_mail(member, category, django_capture_on_commit_callbacks)
    Client().post(url)
    mail.outbox.clear()
    thread = ask(member, category)
    with django_capture_on_commit_callbacks(execute=True):
        answer(UserFactory(), thread)
    assert mail.outbox == []
    assert Notification.objects.shown_to(member).count() == 2


@pytest.mark.parametrize("token", ["nonsense", "eyJ1IjoxLCJrIjoiYW5zd2VyIn0:forged:signature"])
def test_a_tampered_unsubscribe_link_says_so(client, member, token):
    response = client.get(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert client.post(reverse("notifications:unsubscribe", args=[token])).status_code == 400


def test_an_unsubscribe_token_names_one_member_and_kind(member, other_member):
    token = services.unsubscribe_token(user_id=member.pk, kind=Kind.RANK)
    assert services.read_unsubscribe_token(token) == (member, Kind.RANK)
    assert other_member.username not in token
    assert services.read_unsubscribe_token(token.replace(str(member.pk), str(other_member.pk), 1)) in (None, (member, Kind.RANK))


def test_the_bell_opens_a_dropdown_with_the_latest_notifications_one_line_each(client, django_capture_on_commit_callbacks):
    from community import services as community
    from tests.factories import CategoryFactory, UserFactory

    asker, helper = UserFactory(), UserFactory(display_name="Helpful Helper")
    category = CategoryFactory()
    with django_capture_on_commit_callbacks(execute=True):
        thread = community.ask_question(author=asker, category=category, title="Export my calendar to CSV",
                                        body="How do I export everything?", tags="")
        for n in range(10):
            community.post_answer(author=helper, thread=thread, body=f"Try Settings, then Export ({n}).")
    client.force_login(asker)
    page = client.get("/").content.decode()
    assert 'class="bell-menu"' in page and "/notifications/dropdown/" in page
    html = client.get("/notifications/dropdown/", HTTP_HX_REQUEST="true").content.decode()
    assert 1 <= html.count('<li class="bell-item') <= 8
    assert "Helpful Helper" in html
    assert "See all" in html and 'href="/notifications/"' in html
    assert "Unread" in html


def test_the_dropdown_needs_a_member(client):
    response = client.get("/notifications/dropdown/")
    assert response.status_code == 302
