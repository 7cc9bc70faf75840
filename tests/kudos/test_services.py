"""Staff awards, reconcile, rank-ups, the rank table cache, badges and privileges."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db.models import F

from accounts.badges import badges_for
from accounts.models import User
from community import services as community
from community.hooks import privileges_for
from kudos.models import LedgerEntry, Rank, RankNotice, Reason
from kudos.services import award_points, credit_points, find_drift
from tests.factories import UserFactory
from tests.kudos.conftest import points_of

pytestmark = pytest.mark.django_db


def test_staff_award_moves_points_with_a_reasoned_ledger_row(member, staff):
    entry = award_points(staff=staff, member=member, points=123, note="Wrote the router FAQ")

    assert points_of(member) == 123
    assert (entry.reason, entry.note, entry.actor) == (Reason.STAFF_AWARD, "Wrote the router FAQ", staff)


def test_staff_award_with_the_same_key_awards_once(member, staff):
    award_points(staff=staff, member=member, points=50, note="Thanks", key="k1")
    award_points(staff=staff, member=member, points=50, note="Thanks", key="k1")

    assert points_of(member) == 50


def test_only_staff_may_award_and_a_reason_is_needed(member, other_member, staff):
    with pytest.raises(PermissionDenied):
        award_points(staff=other_member, member=member, points=5, note="Because")
    with pytest.raises(ValidationError):
        award_points(staff=staff, member=member, points=5, note="  ")
    with pytest.raises(ValidationError):
        award_points(staff=staff, member=member, points=0, note="Nothing")
    assert points_of(member) == 0


def test_reconcile_reports_a_wrong_total_and_fix_repairs_it(member, other_member, staff, capsys):
    award_points(staff=staff, member=member, points=30, note="Help")
    User.objects.filter(pk=member.pk).update(points=F("points") + 7)
    User.objects.filter(pk=other_member.pk).update(points=-3)

    call_command("reconcile_points")
    out = capsys.readouterr().out
    assert f"{member.username} (id {member.pk}): stored 37, ledger 30 (+7)" in out
    assert f"{other_member.username} (id {other_member.pk}): stored -3, ledger 0 (-3)" in out
    assert points_of(member) == 37  # reporting changes nothing

    call_command("reconcile_points", "--fix")
    assert (points_of(member), points_of(other_member)) == (30, 0)
    assert find_drift() == []
    call_command("reconcile_points")
    assert "All member totals match the ledger." in capsys.readouterr().out


def test_rank_follows_thresholds(member, staff):
    assert [b.label for b in badges_for(member)] == ["New member"]
    award_points(staff=staff, member=member, points=50, note="Help")
    member.refresh_from_db()
    assert [b.label for b in badges_for(member)] == ["Contributor"]


def test_badges_need_no_query_per_name(django_assert_num_queries, staff):
    members = [UserFactory() for _ in range(5)]
    badges_for(members[0])  # warm the process's table
    with django_assert_num_queries(0):
        labels = [badges_for(m)[0].label for m in members]
    assert labels == ["New member"] * 5


def test_threshold_change_applies_at_once_without_touching_members(member, staff):
    award_points(staff=staff, member=member, points=60, note="Help")
    member.refresh_from_db()
    assert badges_for(member)[0].label == "Contributor"

    contributor = Rank.objects.get(name="Contributor")
    contributor.min_points = 100
    contributor.save()

    assert badges_for(member)[0].label == "New member"
    assert points_of(member) == 60


def test_another_process_sees_a_new_version_in_the_shared_cache(member):
    """A rank saved elsewhere writes a new version to the cache; this process reloads."""
    from django.core.cache import cache

    from kudos import selectors

    assert badges_for(member)[0].label == "New member"
    Rank.objects.filter(name="New member").update(name="Newcomer")  # no signal: as if elsewhere
    assert badges_for(member)[0].label == "New member"  # same version: the cached table
    cache.set(selectors.VERSION_KEY, "from-another-process", timeout=None)
    assert badges_for(member)[0].label == "Newcomer"


def test_rank_badge_carries_the_rank_class_for_its_colour(member):
    badge = badges_for(member)[0]
    assert badge.css_class == f"rank-{Rank.objects.get(name='New member').pk}"
    assert badge.colour == ""  # colours come from the stylesheet, never an inline style


def test_privileges_come_from_the_members_rank(member, staff):
    Rank.objects.filter(name="New member").update(questions_per_day=3)
    Rank.objects.filter(name="Expert").update(flag_weight=3)
    Rank.objects.first().save()  # signal the change
    assert privileges_for(member).questions_per_day == 3
    assert privileges_for(member).flag_weight == 1

    award_points(staff=staff, member=member, points=1000, note="Expert help")
    member.refresh_from_db()
    privileges = privileges_for(member)
    assert (privileges.flag_weight, privileges.can_retag, privileges.questions_per_day) == (3, True, None)


def test_reaching_a_rank_stores_a_notice_and_emails_after_commit(member, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        award_points(staff=staff, member=member, points=49, note="Almost")
    assert not RankNotice.objects.exists()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        award_points(staff=staff, member=member, points=1, note="There")
        assert len(mail.outbox) == 0  # nothing sent before commit
    assert callbacks
    notice = RankNotice.objects.get()
    assert (notice.user, notice.rank_name, notice.seen_at) == (member, "Contributor", None)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]
    assert "Contributor" in mail.outbox[0].subject


def test_climbing_back_over_a_threshold_does_not_notify_again(answer, answerer, staff):
    award_points(staff=staff, member=answerer, points=45, note="Earlier help")
    voter = UserFactory()
    community.upvote_answer(user=voter, answer=answer)
    community.remove_upvote(user=voter, answer=answer)
    community.upvote_answer(user=voter, answer=answer)

    assert points_of(answerer) == 55
    assert RankNotice.objects.filter(user=answerer).count() == 1


def test_an_upvote_over_the_threshold_ranks_the_answerer_up(answer, answerer, staff, django_capture_on_commit_callbacks):
    award_points(staff=staff, member=answerer, points=45, note="Earlier help")
    with django_capture_on_commit_callbacks(execute=True):
        community.upvote_answer(user=UserFactory(), answer=answer)

    answerer.refresh_from_db()
    assert answerer.points == 55
    assert badges_for(answerer)[0].label == "Contributor"
    assert RankNotice.objects.filter(user=answerer, rank_name="Contributor").exists()


def test_the_member_is_told_of_the_rank_up_once_by_a_notification(client, member, staff, django_capture_on_commit_callbacks):
    """The notifications app is the one announcement (there is no flash message as well)."""
    with django_capture_on_commit_callbacks(execute=True):
        award_points(staff=staff, member=member, points=200, note="Lots of help")
    client.force_login(member)

    first = client.get("/notifications/")
    assert "You reached the rank “Helper”" in first.content.decode()
    assert RankNotice.objects.get().rank_name == "Helper"
    second = client.get("/kudos/leaderboard/")
    assert "you reached the rank" not in second.content.decode().lower()


def test_a_replayed_credit_racing_in_loses_to_the_constraint(member):
    """Two copies of one event that both passed the check: the constraint lets one in."""
    from django.db import IntegrityError, transaction

    credit_points(recipient=member, reason=Reason.ME_TOO, source_key="thread:1:user:2", points=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(recipient=member, points=2, reason=Reason.ME_TOO, source_key="thread:1:user:2")
    assert points_of(member) == 2


def test_staff_carry_the_staff_badge_and_no_community_rank(staff):
    from accounts.badges import badges_for

    assert [badge.label for badge in badges_for(staff)] == ["Staff"]
