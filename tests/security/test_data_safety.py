"""Nothing is lost: a failed form keeps what the member typed, and an error inside a service
rolls back what that request wrote, and only that (ATOMIC_REQUESTS is off: every service owns
its transaction)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from community import events, services, validators
from community.models import Answer, Revision, Thread
from escalation.models import Ticket
from kudos.models import LedgerEntry
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


@pytest.fixture
def failing_receiver():
    """Connect a receiver that raises to a community event, as a bug in another app would."""
    connected = []

    def connect(signal):
        def receiver(sender, **kwargs):
            raise Boom("a receiver failed")

        signal.connect(receiver, weak=False, dispatch_uid=f"test-failing-{id(signal)}")
        connected.append(signal)

    yield connect
    for signal in connected:
        signal.disconnect(dispatch_uid=f"test-failing-{id(signal)}")


def counts() -> dict:
    from taggit.models import TaggedItem

    return {
        "threads": Thread.objects.count(),
        "answers": Answer.objects.count(),
        "revisions": Revision.objects.count(),
        "tickets": Ticket.objects.count(),
        "ledger": LedgerEntry.objects.count(),
        "tagged": TaggedItem.objects.count(),
    }


# --- A failed form keeps what was typed --------------------------------------------------------


def test_a_failed_ask_form_keeps_the_title_body_tags_and_privacy_box(client, member, category):
    client.force_login(member)
    typed = {
        "title": "Short",  # too short
        "body": "Everything I typed, with **Markdown** & <symbols>.",
        "category": category.pk,
        "tags": "sync, ios",
        "is_private": "on",
    }
    response = client.post(reverse("community:ask"), typed)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="Short"' in html
    assert "Everything I typed, with **Markdown** &amp; &lt;symbols&gt;.</textarea>" in html
    assert 'value="sync, ios"' in html
    assert re.search(r'<input[^>]*name="is_private"[^>]*checked', html)
    assert not Thread.objects.exists()


def test_a_failed_answer_keeps_the_text_on_the_thread_page(client, member, other_member, category):
    thread = services.ask_question(author=other_member, category=category, title="Printer will not pair", body="Help")
    client.force_login(member)
    response = client.post(reverse("community:answer", args=[thread.pk]), {"body": " x "})
    assert response.status_code == 400
    assert re.search(r">\s*x\s*</textarea>", response.content.decode())
    assert not Answer.objects.exists()


def test_a_failed_question_edit_keeps_the_new_text_and_the_old_one_stays(client, member, category):
    thread = services.ask_question(author=member, category=category, title="Printer will not pair", body="Old body")
    client.force_login(member)
    response = client.post(
        reverse("community:edit_question", args=[thread.pk]),
        {"title": "Tiny", "body": "My long new explanation", "tags": "printer"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="Tiny"' in html and "My long new explanation</textarea>" in html
    thread.refresh_from_db()
    assert (thread.title, thread.body) == ("Printer will not pair", "Old body")
    assert not Revision.objects.exists()


def test_a_failed_answer_edit_keeps_the_new_text(client, member, other_member, category):
    thread = services.ask_question(author=other_member, category=category, title="Printer will not pair", body="Help")
    answer = services.post_answer(author=member, thread=thread, body="Restart the printer.")
    client.force_login(member)
    too_long = "y" * (validators.BODY_MAX_LENGTH + 1)
    response = client.post(reverse("community:edit_answer", args=[answer.pk]), {"body": too_long})
    assert response.status_code == 400
    assert too_long in response.content.decode()
    answer.refresh_from_db()
    assert answer.body == "Restart the printer."


# --- An error rolls back that request only ------------------------------------------------------


def test_requests_are_not_wrapped_in_one_transaction_services_own_theirs():
    assert not settings.DATABASES["default"].get("ATOMIC_REQUESTS")


def test_an_error_inside_ask_question_leaves_no_thread_tags_ticket_or_points(member, category, failing_receiver):
    failing_receiver(events.question_asked)
    before = counts()
    with pytest.raises(Boom):
        services.ask_question(
            author=member, category=category, title="Charged twice this month", body="Card", tags="billing", is_private=True
        )
    assert counts() == before


def test_an_error_inside_post_answer_leaves_the_thread_as_it_was(member, other_member, category, failing_receiver):
    thread = services.ask_question(author=other_member, category=category, title="Printer will not pair", body="Help")
    failing_receiver(events.answer_posted)
    before = counts()
    with pytest.raises(Boom):
        services.post_answer(author=member, thread=thread, body="Restart it")
    thread.refresh_from_db()
    assert counts() == before
    assert (thread.answer_count, thread.first_answer_at) == (0, None)


def test_an_error_inside_edit_question_keeps_the_old_text_and_no_revision(member, category, failing_receiver):
    thread = services.ask_question(author=member, category=category, title="Printer will not pair", body="Old body")
    failing_receiver(events.question_edited)
    with pytest.raises(Boom):
        services.edit_question(user=member, thread=thread, title="Printer will not pair at all", body="New body")
    thread.refresh_from_db()
    assert (thread.title, thread.body, thread.edited_at) == ("Printer will not pair", "Old body", None)
    assert not Revision.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_request_rolls_back_only_itself_with_real_commits(failing_receiver):
    """Without the test's wrapping transaction: each request commits or rolls back for real.
    The failing request answers 500 and leaves nothing; the requests before and after it are
    kept."""
    member, other = UserFactory(), UserFactory()
    category = CategoryFactory()
    client = Client(raise_request_exception=False)
    client.force_login(member)
    form = {"title": "Calendar sync stops after update", "body": "Since 4.2", "category": category.pk, "tags": "sync"}
    assert client.post(reverse("community:ask"), form).status_code == 302
    kept = counts()
    failing_receiver(events.question_asked)
    response = client.post(reverse("community:ask"), {**form, "title": "A second question that fails"})
    assert response.status_code == 500
    assert counts() == kept
    assert not connection.in_atomic_block
    events.question_asked.disconnect(dispatch_uid=f"test-failing-{id(events.question_asked)}")
    assert client.post(reverse("community:ask"), {**form, "title": "A third question that works"}).status_code == 302
    assert Thread.objects.filter(author=member).count() == 2
    assert not Thread.objects.filter(title="A second question that fails").exists()
