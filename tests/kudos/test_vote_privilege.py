"""Issue 13 §4: voting that moves points is a rank privilege, never a brand-new account's."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from community import moderation, services
from kudos.models import LedgerEntry, Rank, Reason
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(member, category):
    thread = services.ask_question(
        author=UserFactory(), category=category, title="Calendar sync stops after the update", body="It stopped."
    )
    return services.post_answer(author=member, thread=thread, body="Sign out and in again.")


def test_four_fresh_accounts_cannot_give_a_member_forty_points(member, reply):
    for _ in range(4):
        services.upvote_answer(user=UserFactory(date_joined=timezone.now()), answer=reply)
    member.refresh_from_db()
    reply.refresh_from_db()
    assert member.points == 0
    assert reply.upvote_count == 4  # the votes still say the answer helped
    assert not LedgerEntry.objects.filter(reason=Reason.ANSWER_UPVOTED).exists()


def test_an_account_older_than_a_day_with_a_verified_email_moves_points(member, reply):
    services.upvote_answer(user=UserFactory(date_joined=timezone.now() - timedelta(hours=25)), answer=reply)
    member.refresh_from_db()
    assert member.points == 10


def test_an_unverified_email_moves_no_points(member, reply):
    services.upvote_answer(user=UserFactory(verified_email=False), answer=reply)
    member.refresh_from_db()
    assert member.points == 0


def test_the_day_counts_from_sign_up(member, reply):
    voter = UserFactory(date_joined=timezone.now())
    with time_machine.travel(timezone.now() + timedelta(hours=23), tick=False):
        services.upvote_answer(user=voter, answer=reply)
    member.refresh_from_db()
    assert member.points == 0
    services.remove_upvote(user=voter, answer=reply)
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        services.upvote_answer(user=voter, answer=reply)
    member.refresh_from_db()
    assert member.points == 10


def test_the_privilege_is_admin_tunable_per_rank(member, reply):
    rank = Rank.objects.get(name="New member")
    rank.trusted_after_hours = 0
    rank.trust_needs_verified_email = False
    rank.save()
    services.upvote_answer(user=UserFactory(date_joined=timezone.now(), verified_email=False), answer=reply)
    member.refresh_from_db()
    assert member.points == 10
    rank.votes_move_points = False
    rank.save()
    services.upvote_answer(user=UserFactory(), answer=reply)
    member.refresh_from_db()
    assert member.points == 10


def test_staff_votes_move_points(member, reply):
    services.upvote_answer(user=StaffFactory(date_joined=timezone.now()), answer=reply)
    member.refresh_from_db()
    assert member.points == 10


def test_restoring_a_hidden_answer_gives_back_only_privileged_votes(member, reply):
    from community.models import Flag

    services.upvote_answer(user=UserFactory(), answer=reply)
    services.upvote_answer(user=UserFactory(date_joined=timezone.now()), answer=reply)
    for _ in range(3):
        moderation.flag_post(user=UserFactory(), post=reply, reason=Flag.Reason.SPAM)
    member.refresh_from_db()
    assert member.points == 0
    moderation.restore_post(user=StaffFactory(), post=reply)
    member.refresh_from_db()
    assert member.points == 10


def test_a_brand_new_voter_is_told_their_vote_earns_no_points_yet(client, reply):
    voter = UserFactory(date_joined=timezone.now())
    client.force_login(voter)
    from django.urls import reverse

    html = client.post(reverse("community:vote", args=[reply.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'aria-pressed="true"' in html and "once your account is a little older" in html
    client.force_login(UserFactory())
    html = client.post(reverse("community:vote", args=[reply.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "once your account is a little older" not in html
