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
