"""Points for community's events, through community's real services."""

import pytest
from django.core.exceptions import PermissionDenied

from community import events, moderation
from community import services as community
from community.models import Answer, Thread
from kudos.models import LedgerEntry, PointRule, Reason
from kudos.services import find_drift, set_rule_points
from tests.factories import StaffFactory, UserFactory
from tests.kudos.conftest import points_of

pytestmark = pytest.mark.django_db


def test_upvote_gives_the_answerer_ten_points_with_a_ledger_row(answer, answerer, voter):
    community.upvote_answer(user=voter, answer=answer)

    assert points_of(answerer) == 10
    entry = LedgerEntry.objects.get()
    assert (entry.recipient, entry.points, entry.reason, entry.actor, entry.answer, entry.thread) == (
        answerer, 10, Reason.ANSWER_UPVOTED, voter, answer, answer.thread
    )
    assert find_drift() == []


def test_unvote_takes_the_points_back_with_a_negative_row(answer, answerer, voter):
    community.upvote_answer(user=voter, answer=answer)
    community.remove_upvote(user=voter, answer=answer)

    assert points_of(answerer) == 0
    credit, reversal = LedgerEntry.objects.order_by("pk")
    assert reversal.points == -10 and reversal.reversal_of == credit and reversal.cause == "answer_unvoted"


def test_vote_unvote_and_vote_again_credits_again(answer, answerer, voter):
    community.upvote_answer(user=voter, answer=answer)
    community.remove_upvote(user=voter, answer=answer)
    community.upvote_answer(user=voter, answer=answer)

    assert points_of(answerer) == 10
    assert list(LedgerEntry.objects.order_by("pk").values_list("points", "generation")) == [(10, 0), (-10, 0), (10, 1)]


def test_second_upvote_by_same_member_gives_nothing(answer, answerer, voter):
    community.upvote_answer(user=voter, answer=answer)
    community.upvote_answer(user=voter, answer=answer)

    assert points_of(answerer) == 10
    assert LedgerEntry.objects.count() == 1


def test_self_vote_gives_nothing_even_if_the_event_is_sent(answer, answerer):
    with pytest.raises(PermissionDenied):
        community.upvote_answer(user=answerer, answer=answer)
    events.answer_upvoted.send(sender=Answer, answer=answer, voter=answerer)

    assert points_of(answerer) == 0
    assert not LedgerEntry.objects.exists()


def test_replayed_upvote_event_gives_nothing(answer, answerer, voter):
    community.upvote_answer(user=voter, answer=answer)
    events.answer_upvoted.send(sender=Answer, answer=answer, voter=voter)
    events.answer_upvoted.send(sender=Answer, answer=answer, voter=voter)

    assert points_of(answerer) == 10
    assert LedgerEntry.objects.count() == 1


def test_replayed_unvote_event_takes_back_only_once(answer, answerer, voter):
    community.upvote_answer(user=voter, answer=answer)
    community.remove_upvote(user=voter, answer=answer)
    events.answer_unvoted.send(sender=Answer, answer=answer, voter=voter)

    assert points_of(answerer) == 0
    assert LedgerEntry.objects.count() == 2


def test_accepting_an_answer_gives_answerer_fifteen_and_asker_two(answer, answerer, asker):
    community.accept_answer(user=asker, answer=answer)

    assert points_of(answerer) == 15
    assert points_of(asker) == 2
    assert set(LedgerEntry.objects.values_list("reason", "points")) == {
        (Reason.ANSWER_ACCEPTED, 15),
        (Reason.ACCEPTED_AN_ANSWER, 2),
    }


def test_unaccepting_takes_back_both(answer, answerer, asker):
    community.accept_answer(user=asker, answer=answer)
    community.unaccept_answer(user=asker, answer=answer)

    assert (points_of(answerer), points_of(asker)) == (0, 0)
    assert LedgerEntry.objects.filter(reversal_of__isnull=False).count() == 2


def test_replayed_accept_event_gives_nothing(answer, answerer, asker, thread):
    community.accept_answer(user=asker, answer=answer)
    thread.refresh_from_db()
    events.solution_accepted.send(sender=Thread, thread=thread, answer=answer, accepted_by=asker)

    assert (points_of(answerer), points_of(asker)) == (15, 2)


def test_replacing_the_solution_moves_the_points_to_the_new_answer(thread, answer, answerer, asker):
    other = UserFactory()
    second = community.post_answer(author=other, thread=thread, body="Update the firmware.")
    community.accept_answer(user=asker, answer=answer)
    community.accept_answer(user=asker, answer=second)

    assert (points_of(answerer), points_of(other), points_of(asker)) == (0, 15, 2)


def test_staff_accepting_gives_the_answerer_points_but_no_asker_bonus(answer, answerer, asker):
    community.accept_answer(user=StaffFactory(), answer=answer)

    assert (points_of(answerer), points_of(asker)) == (15, 0)


def test_asker_accepting_their_own_answer_gives_nothing(thread, asker):
    own = community.post_answer(author=asker, thread=thread, body="Fixed it myself: new cable.")
    community.accept_answer(user=asker, answer=own)

    assert points_of(asker) == 0
    assert not LedgerEntry.objects.exists()


def test_me_too_gives_the_asker_two_points_and_removing_it_takes_them_back(thread, asker, voter):
    community.add_me_too(user=voter, thread=thread)
    assert points_of(asker) == 2

    community.remove_me_too(user=voter, thread=thread)
    assert points_of(asker) == 0


def test_me_too_on_own_question_gives_nothing_even_if_the_event_is_sent(thread, asker):
    events.me_too_added.send(sender=Thread, thread=thread, user=asker)

    assert points_of(asker) == 0


def test_deleting_an_answer_takes_back_its_votes_and_solution(answer, answerer, asker, voter):
    community.upvote_answer(user=voter, answer=answer)
    community.accept_answer(user=asker, answer=answer)
    assert points_of(answerer) == 25

    community.delete_answer(user=answerer, answer=answer)

    assert (points_of(answerer), points_of(asker)) == (0, 0)
    assert find_drift() == []


def test_unvote_after_delete_takes_nothing_more(answer, answerer, voter):
    community.upvote_answer(user=voter, answer=answer)
    community.delete_answer(user=answerer, answer=answer)
    community.remove_upvote(user=voter, answer=answer)

    assert points_of(answerer) == 0
    assert LedgerEntry.objects.count() == 2


def test_deleting_a_question_takes_back_its_me_toos_and_asker_bonus(thread, answer, asker, answerer, voter):
    community.add_me_too(user=voter, thread=thread)
    community.accept_answer(user=asker, answer=answer)
    assert points_of(asker) == 4

    community.delete_question(user=asker, thread=thread)

    assert points_of(asker) == 0
    assert points_of(answerer) == 15  # the answerer's help stands


def _hide(post):
    """Flag the post until it is hidden (the default threshold is three flags of weight 1)."""
    for _ in range(3):
        moderation.flag_post(user=UserFactory(), post=post, reason="spam")
    post.refresh_from_db()
    assert post.is_hidden


def _restore(post, by):
    moderation.restore_post(user=by, post=post)


def test_hidden_answer_loses_its_points_and_restoring_gives_them_back(answer, answerer, asker, voter):
    community.upvote_answer(user=voter, answer=answer)
    community.accept_answer(user=asker, answer=answer)

    _hide(answer)
    assert points_of(answerer) == 0

    _restore(answer, by=StaffFactory())
    assert points_of(answerer) == 25
    assert find_drift() == []


def test_restoring_does_not_give_back_a_vote_taken_back_while_hidden(answer, answerer, voter):
    community.upvote_answer(user=voter, answer=answer)
    _hide(answer)
    community.remove_upvote(user=voter, answer=answer)
    _restore(answer, by=StaffFactory())

    assert points_of(answerer) == 0


def test_removed_answer_keeps_its_points_taken(answer, answerer, voter):
    staff = StaffFactory()
    community.upvote_answer(user=voter, answer=answer)
    _hide(answer)
    moderation.remove_post(user=staff, post=answer)
    events.post_removed.send(sender=Answer, post=answer, by=staff)  # replayed

    assert points_of(answerer) == 0
    assert LedgerEntry.objects.count() == 2


def test_removal_without_hiding_first_takes_the_points(answer, answerer, voter):
    community.upvote_answer(user=voter, answer=answer)
    moderation.remove_post(user=StaffFactory(), post=answer)

    assert points_of(answerer) == 0


def test_hidden_question_loses_me_toos_and_gets_them_back_when_restored(thread, answer, asker, voter):
    community.add_me_too(user=voter, thread=thread)
    community.accept_answer(user=asker, answer=answer)
    _hide(thread)
    assert points_of(asker) == 0

    _restore(thread, by=StaffFactory())
    assert points_of(asker) == 4


def test_removing_a_hidden_solution_keeps_its_points_taken(answer, answerer, asker, voter):
    community.upvote_answer(user=voter, answer=answer)
    community.accept_answer(user=asker, answer=answer)
    _hide(answer)
    moderation.remove_post(user=StaffFactory(), post=answer)

    assert (points_of(answerer), points_of(asker)) == (0, 0)
    assert find_drift() == []


def test_an_experts_flag_counts_double(answer, staff):
    from community.models import Flag
    from kudos.services import award_points

    expert = UserFactory()
    award_points(staff=staff, member=expert, points=1000, note="Long-time helper")
    expert.refresh_from_db()
    moderation.flag_post(user=expert, post=answer, reason="spam")
    moderation.flag_post(user=UserFactory(), post=answer, reason="spam")

    assert Flag.objects.get(user=expert).weight == 2
    answer.refresh_from_db()
    assert answer.is_hidden  # 2 + 1 reaches the threshold of 3


def test_points_follow_the_rule_in_force_and_reversal_takes_back_what_was_given(answer, answerer, voter):
    set_rule_points(action=Reason.ANSWER_UPVOTED, points=7)
    community.upvote_answer(user=voter, answer=answer)
    set_rule_points(action=Reason.ANSWER_UPVOTED, points=20)
    community.remove_upvote(user=voter, answer=answer)

    assert points_of(answerer) == 0


def test_a_rule_set_to_zero_credits_nothing(answer, answerer, voter):
    set_rule_points(action=Reason.ANSWER_UPVOTED, points=0)
    community.upvote_answer(user=voter, answer=answer)

    assert points_of(answerer) == 0
    assert not LedgerEntry.objects.exists()
