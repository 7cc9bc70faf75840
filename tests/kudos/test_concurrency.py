"""Real concurrent connections on PostgreSQL: points stay exact when votes race."""

import threading

import pytest
from django.db import connection as default_connection
from django.db import connections
from django.test import Client

from community import services as community
from community.models import AnswerVote
from kudos.models import LedgerEntry
from kudos.services import find_drift
from tests.factories import CategoryFactory, UserFactory
from tests.kudos.conftest import points_of

pytestmark = pytest.mark.django_db(transaction=True)


def _run_at_once(n, work):
    """Run work(i) in n threads released together; return the exceptions raised."""
    barrier = threading.Barrier(n)
    errors = []

    def run(i):
        try:
            barrier.wait()
            work(i)
        except Exception as exc:  # noqa: BLE001 - collected and asserted on
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.fixture
def contested_answer(default_rules_and_ranks):
    asker, answerer = UserFactory(), UserFactory()
    thread = community.ask_question(
        author=asker, category=CategoryFactory(), title="Why does the app log me out?", body="Every hour."
    )
    return community.post_answer(author=answerer, thread=thread, body="Turn off battery saver for it.")


def test_fifty_members_upvoting_at_once_give_fifty_votes_and_five_hundred_points(contested_answer):
    voters = [UserFactory() for _ in range(50)]

    errors = _run_at_once(50, lambda i: community.upvote_answer(user=voters[i], answer=contested_answer))

    assert errors == []
    contested_answer.refresh_from_db()
    assert AnswerVote.objects.filter(answer=contested_answer).count() == 50
    assert contested_answer.upvote_count == 50
    assert points_of(contested_answer.author) == 500
    assert LedgerEntry.objects.filter(recipient=contested_answer.author).count() == 50
    assert find_drift() == []


def test_one_member_upvoting_twenty_times_at_once_gives_one_vote(contested_answer):
    voter = UserFactory()

    errors = _run_at_once(20, lambda i: community.upvote_answer(user=voter, answer=contested_answer))

    assert errors == []
    assert AnswerVote.objects.filter(answer=contested_answer).count() == 1
    assert points_of(contested_answer.author) == 10
    assert LedgerEntry.objects.count() == 1


def test_twenty_vote_clicks_at_once_answer_without_errors_and_points_match_the_vote(contested_answer):
    """The vote button toggles, so the final state depends on the order; what must hold is
    no 500, and points that agree with whether the vote exists."""
    voter = UserFactory()
    clients = []
    for _ in range(20):
        c = Client(raise_request_exception=False)
        c.force_login(voter)
        clients.append(c)
    default_connection.close()
    statuses = []

    def click(i):
        statuses.append(clients[i].post(f"/a/{contested_answer.pk}/vote/").status_code)

    errors = _run_at_once(20, click)

    assert errors == []
    assert sorted(set(statuses)) == [302]
    votes = AnswerVote.objects.filter(answer=contested_answer, user=voter).count()
    assert points_of(contested_answer.author) == 10 * votes
    assert find_drift() == []
