"""Grouped upvote notifications count people, not clicks (issue 13 §4)."""

from __future__ import annotations

import pytest

from community import services as community
from notifications.models import Kind, Notification
from tests.factories import UserFactory
from tests.notifications.conftest import answer, ask

pytestmark = pytest.mark.django_db


def test_four_voters_toggling_their_votes_helped_four_people(member, category):
    thread = ask(UserFactory(), category)
    reply = answer(member, thread)
    voters = [UserFactory() for _ in range(4)]
    for voter in voters:
        community.toggle_upvote(user=voter, answer=reply)
    for voter in voters[:3]:
        community.toggle_upvote(user=voter, answer=reply)  # taken back
        community.toggle_upvote(user=voter, answer=reply)  # and given again
    row = Notification.objects.get(recipient=member, kind=Kind.UPVOTED)
    assert row.count == 4
    assert "helped 4 people" in row.text


def test_a_voter_counted_before_the_member_read_it_is_not_news_again(member, category):
    from notifications import services

    thread = ask(UserFactory(), category)
    reply = answer(member, thread)
    voter = UserFactory()
    community.toggle_upvote(user=voter, answer=reply)
    services.mark_all_read(user=member)
    community.toggle_upvote(user=voter, answer=reply)
    community.toggle_upvote(user=voter, answer=reply)
    assert Notification.objects.filter(recipient=member, kind=Kind.UPVOTED).count() == 1
    community.toggle_upvote(user=UserFactory(), answer=reply)
    assert Notification.objects.filter(recipient=member, kind=Kind.UPVOTED, read_at__isnull=True).get().count == 1


def test_a_grouped_notification_reads_and_writes_the_same_on_every_database(
    member, category, django_assert_max_num_queries
):
    """On PostgreSQL the grouped path is one statement (notifications.services._notify_grouped),
    elsewhere the ORM's reads and writes: both keep the member's preference, count people once,
    merge into the unread row and start a new one once it is read."""
    from django.db import connection

    from notifications import services

    thread = ask(UserFactory(), category)
    reply = answer(member, thread)
    services.set_preferences(user=member, choices={Kind.UPVOTED: (False, True)})
    first_voter, second_voter = UserFactory(), UserFactory()

    def notify(actor):
        return services.notify(
            recipient=member, kind=Kind.UPVOTED, thread=thread, answer=reply, actor=actor,
            group_key=f"upvoted:answer:{reply.pk}", text="Your answer helped someone.",
            grouped_text="Your answer helped {count} people.",
        )

    first = notify(first_voter)
    assert (first.count, first.text, first.actor_id, first.data) == (1, "Your answer helped someone.", first_voter.pk, {"actors": [first_voter.pk]})
    assert (first.on_site, first.email_status, first.thread_id, first.answer_id) == (False, "pending", thread.pk, reply.pk)
    assert notify(first_voter).pk == first.pk  # counted already: nothing changes
    with django_assert_max_num_queries(1 if connection.vendor == "postgresql" else 4):
        merged = notify(second_voter)
    stored = Notification.objects.get(pk=first.pk)
    for row in (merged, stored):
        assert (row.pk, row.count, row.text, row.actor_id) == (first.pk, 2, "Your answer helped 2 people.", second_voter.pk)
        assert row.data == {"actors": [first_voter.pk, second_voter.pk]}
        assert (row.on_site, row.email_status) == (False, "pending")
    assert services.unread_count(member) == 0  # off the bell, as the member chose

    Notification.objects.filter(pk=first.pk).update(read_at=stored.created_at)
    assert notify(first_voter) is None  # counted in the read row, and no unread row
    fresh = notify(UserFactory())
    assert fresh.pk != first.pk and fresh.count == 1
    assert Notification.objects.filter(recipient=member, kind=Kind.UPVOTED).count() == 2
