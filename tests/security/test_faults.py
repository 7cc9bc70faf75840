"""Issue 13 §5: faults that must never become a 500: a broker that is down when a task is
queued, NUL bytes in any input, and the policy header on the 404 page under DEBUG."""

from __future__ import annotations

import logging
import socket

import pytest
from django.test import override_settings
from django.urls import reverse

from community import services
from community.models import Answer, Thread
from config.celery import app as celery_app
from config.tasks import enqueue_on_commit
from notifications.models import Kind, Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- The broker is down -----------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on leaving: nothing listens there


@pytest.fixture
def broker_down():
    """Celery as in production (not eager) with its broker at an address nothing answers."""
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url", "broker_transport_options")}
    celery_app.conf.update(
        task_always_eager=False,
        broker_url=f"redis://127.0.0.1:{_closed_port()}/0",
        broker_transport_options={"socket_connect_timeout": 1},
    )
    celery_app._pool = None
    celery_app.__dict__.pop("amqp", None)
    yield
    celery_app.conf.update(saved)
    celery_app._pool = None


def test_a_broker_error_after_commit_is_logged_and_never_raised(broker_down, caplog, django_capture_on_commit_callbacks):
    from notifications.tasks import send_notification_email

    with caplog.at_level(logging.ERROR, logger="config.tasks"):
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_on_commit(send_notification_email, 12345)
    assert "Could not queue" in caplog.text


def test_posts_succeed_while_the_broker_is_down_and_the_database_paths_catch_up(
    broker_down, client, member, category, django_capture_on_commit_callbacks
):
    """Asking queues escalation's countdown; answering queues the asker's email."""
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(
            reverse("community:ask"),
            {"title": "Calendar sync stops after the update", "body": "Since 4.2 it does not sync.", "category": category.pk},
        )
    assert asked.status_code == 302
    thread = Thread.objects.get(author=member)
    helper = UserFactory()
    client.force_login(helper)
    with django_capture_on_commit_callbacks(execute=True):
        answered = client.post(reverse("community:answer", args=[thread.pk]), {"body": "Sign out and in again."})
    assert answered.status_code == 302
    assert Answer.objects.filter(thread=thread, author=helper).count() == 1
    notification = Notification.objects.get(recipient=member, kind=Kind.ANSWER)
    assert notification.email_status == Notification.EmailStatus.PENDING


def test_the_pending_mail_run_sends_what_the_broker_lost(broker_down, member, category, django_capture_on_commit_callbacks, mailoutbox):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from notifications.emails import send_pending_emails

    thread = services.ask_question(author=member, category=category, title="Calendar sync stops after the update", body="x y z")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_answer(author=UserFactory(), thread=thread, body="Sign out and in again.")
    assert mailoutbox == []
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        assert send_pending_emails() == 1
    assert len(mailoutbox) == 1


# --- NUL bytes --------------------------------------------------------------------------------

NUL_URLS = [
    "/?category=a%00",
    "/?tag=a%00",
    "/search/?q=a%00b",
    "/ask/similar/?title=abc%00def",
    "/u/a%00/",
    "/ask/?category=a%00",
    "/tags/?x=%00",
    "/?page=1%00",
]


@pytest.mark.parametrize("url", NUL_URLS)
@pytest.mark.parametrize("signed_in", [False, True])
def test_a_nul_byte_in_the_url_is_a_400_never_a_500(client, member, url, signed_in):
    if signed_in:
        client.force_login(member)
    response = client.get(url)
    assert response.status_code == 400
    assert "Content-Security-Policy" in response


def test_a_nul_byte_in_a_form_field_is_a_400_and_nothing_is_saved(client, member, category):
    client.force_login(member)
    response = client.post(
        reverse("community:ask"),
        {"title": "Calendar sync\x00 stops after the update", "body": "Since 4.2", "category": category.pk},
    )
    assert response.status_code == 400
    assert not Thread.objects.exists()


def test_a_nul_byte_in_a_cookie_is_a_400(client):
    client.cookies["sessionid"] = "abc\x00def"
    assert client.get("/").status_code == 400


def test_a_nul_byte_in_an_htmx_post_is_a_400_and_nothing_changes(client, member, category):
    thread = services.ask_question(author=UserFactory(), category=category, title="Calendar sync stops after the update", body="x")
    client.force_login(member)
    response = client.post(reverse("community:answer", args=[thread.pk]), {"body": "Try\x00 this"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert not Answer.objects.filter(thread=thread).exists()


@pytest.mark.usefixtures("on_postgres")
@pytest.mark.parametrize("url", NUL_URLS)
def test_nul_bytes_never_reach_postgresql(client, url):
    assert client.get(url).status_code == 400


# --- The 404 page under DEBUG -----------------------------------------------------------------


@override_settings(DEBUG=True)
def test_the_404_page_under_debug_carries_the_content_security_policy(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "script-src" in response["Content-Security-Policy"]


@override_settings(DEBUG=True)
def test_a_missing_thread_under_debug_carries_the_content_security_policy(client):
    response = client.get("/t/999999/nothing/")
    assert response.status_code == 404
    assert "Content-Security-Policy" in response
