"""Issue 13 §4: staff see voting rings and reverse their points through the ledger."""

from __future__ import annotations

import pytest
from django.urls import reverse

from community import services as community
from kudos import selectors, services
from kudos.models import LedgerEntry, Reason
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

_n = iter(range(10_000))


def answers_by(author, category, count: int):
    made = []
    for _ in range(count):
        thread = community.ask_question(
            author=UserFactory(), category=category, title=f"Calendar sync question number {next(_n)}", body="It stopped."
        )
        made.append(community.post_answer(author=author, thread=thread, body="Sign out and in again."))
    return made


def sock_puppets(target, category, *, puppets: int = 4, votes_each: int = 2):
    answers = answers_by(target, category, votes_each)
    accounts = [UserFactory() for _ in range(puppets)]
    for account in accounts:
        for answer in answers:
            community.upvote_answer(user=account, answer=answer)
    return accounts


def test_four_sock_puppets_feeding_one_member_are_one_ring(member, category):
    puppets = sock_puppets(member, category)
    # An honest helper with voters who also vote elsewhere is no ring.
    helper = UserFactory()
    for answer in answers_by(helper, category, 2):
        for voter in [UserFactory() for _ in range(3)]:
            community.upvote_answer(user=voter, answer=answer)
    rings = selectors.voting_rings()
    assert len(rings) == 1
    ring = rings[0]
    assert {m.pk for m in ring.members} == {member.pk, *(p.pk for p in puppets)}
    assert ring.points == 80 and ring.credits == 8 and ring.share == 100


def test_two_members_trading_votes_are_a_ring_but_one_loyal_fan_is_not(category):
    alice, bob, fan, helper = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    for answer in answers_by(alice, category, 2):
        community.upvote_answer(user=bob, answer=answer)
    for answer in answers_by(bob, category, 2):
        community.upvote_answer(user=alice, answer=answer)
    for answer in answers_by(helper, category, 3):
        community.upvote_answer(user=fan, answer=answer)
    rings = selectors.voting_rings()
    assert [{m.pk for m in ring.members} for ring in rings] == [{alice.pk, bob.pk}]


def test_staff_reverse_a_rings_points_through_the_ledger_with_a_reason(client, member, category):
    puppets = sock_puppets(member, category)
    member.refresh_from_db()
    assert member.points == 80
    ring = selectors.voting_rings()[0]
    staff = StaffFactory()
    client.force_login(staff)
    response = client.post(
        reverse("kudos_staff:reverse_ring"), {"members": ring.member_ids, "reason": "Sock puppets of one account"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.points == 0
    reversals = LedgerEntry.objects.filter(reversal_of__isnull=False, cause=services.RING_CAUSE)
    assert reversals.count() == 8
    assert set(reversals.values_list("note", flat=True)) == {"Sock puppets of one account"}
    assert set(reversals.values_list("actor_id", flat=True)) == {staff.pk}
    assert services.find_drift() == []
    # The ring cannot vote its points back.
    answer = LedgerEntry.objects.filter(reason=Reason.ANSWER_UPVOTED).first().answer
    community.remove_upvote(user=puppets[0], answer=answer)
    community.upvote_answer(user=puppets[0], answer=answer)
    member.refresh_from_db()
    assert member.points == 0
    page = client.get(reverse("kudos_staff:voting_rings")).content.decode()
    assert "No points are left to take back" in page


def test_a_reversal_without_a_reason_keeps_the_points_and_says_why(client, member, category):
    sock_puppets(member, category)
    ring = selectors.voting_rings()[0]
    client.force_login(StaffFactory())
    response = client.post(reverse("kudos_staff:reverse_ring"), {"members": ring.member_ids, "reason": "  "})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    member.refresh_from_db()
    assert member.points == 80


def test_account_data_in_the_reason_is_masked_before_it_is_stored(client, member, category):
    sock_puppets(member, category)
    ring = selectors.voting_rings()[0]
    client.force_login(StaffFactory())
    typed = "Puppets paid with card 4111 1111 1111 1111"
    response = client.post(reverse("kudos_staff:reverse_ring"), {"members": ring.member_ids, "reason": typed})
    assert response.status_code == 302
    notes = set(LedgerEntry.objects.filter(cause=services.RING_CAUSE).values_list("note", flat=True))
    assert len(notes) == 1
    (note,) = notes
    assert "4111 1111 1111 1111" not in note and "1111" in note


def test_only_staff_see_the_report_or_reverse_points(client, member, category):
    sock_puppets(member, category)
    ring = selectors.voting_rings()[0]
    for user in (None, member, UserFactory()):
        client.logout()
        if user:
            client.force_login(user)
        assert client.get(reverse("kudos_staff:voting_rings")).status_code == 404
        response = client.post(reverse("kudos_staff:reverse_ring"), {"members": ring.member_ids, "reason": "x"})
        assert response.status_code in (302, 403, 404)
    member.refresh_from_db()
    assert member.points == 80
    with pytest.raises(Exception):
        services.reverse_ring_points(staff=member, member_ids=[m.pk for m in ring.members], reason="x")


@pytest.mark.parametrize("rings", [1, 4])
def test_the_report_runs_the_same_queries_for_one_ring_or_many(client, category, django_assert_max_num_queries, rings):
    for _ in range(rings):
        sock_puppets(UserFactory(), category, puppets=2)
    client.force_login(StaffFactory())
    with django_assert_max_num_queries(12):
        response = client.get(reverse("kudos_staff:voting_rings"))
    assert response.status_code == 200
    assert response.content.decode().count('class="card flagged-post voting-ring"') == rings
