"""Real concurrent connections on PostgreSQL: racing upvotes still make one grouped row."""

import threading

import pytest
from django.db import connections

from community import services as community
from notifications import emails, services
from notifications.models import Kind, Notification
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_upvotes_on_one_answer_are_counted_in_one_notification(on_postgres):
    asker, answerer = UserFactory(), UserFactory()
    thread = community.ask_question(
        author=asker, category=CategoryFactory(), title="Why does the app log me out?", body="Every hour."
    )
    answer = community.post_answer(author=answerer, thread=thread, body="Turn off battery saver for it.")
    voters = [UserFactory() for _ in range(6)]
    barrier = threading.Barrier(len(voters))
    errors = []

    def vote(voter):
        try:
            barrier.wait()
            community.upvote_answer(user=voter, answer=answer)
        except Exception as exc:  # noqa: BLE001 - collected and asserted on
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=vote, args=(v,)) for v in voters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    row = Notification.objects.get(recipient=answerer, kind=Kind.UPVOTED)
    assert row.count == 6
    assert emails.send_pending_emails() == 1
