"""Issue 13 §4: flags cannot be turned against staff or wielded by brand-new accounts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from community import moderation, services
from community.models import Answer, Flag
from community.selectors import flagged_posts
from kudos.models import Rank
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def fresh(**kwargs):
    """An account made a minute ago (verified email unless told otherwise)."""
    return UserFactory(date_joined=timezone.now() - timezone.timedelta(minutes=1), **kwargs)


@pytest.fixture
def thread(member, category):
    return services.ask_question(
        author=member, category=category, title="Calendar sync stops after the update", body="It stopped."
    )


def flag_three_times(post, flaggers):
    for flagger in flaggers:
        moderation.flag_post(user=flagger, post=post, reason=Flag.Reason.SPAM)


def test_three_fresh_accounts_cannot_hide_staffs_official_answer_nor_take_its_kudos(thread, member):
    staff = StaffFactory()
    official = services.post_answer(author=staff, thread=thread, body="Official: re-install the app.")
    services.upvote_answer(user=member, answer=official)
    staff.refresh_from_db()
    points = staff.points
    flag_three_times(official, [fresh() for _ in range(3)])
    official.refresh_from_db()
    staff.refresh_from_db()
    assert official.is_official and not official.is_hidden
    assert staff.points == points
    assert [item.post.pk for item in flagged_posts()] == [official.pk]  # waiting for review


def test_established_members_cannot_hide_an_official_answer_either(thread):
    official = services.post_answer(author=StaffFactory(), thread=thread, body="Official: re-install the app.")
    flag_three_times(official, [UserFactory() for _ in range(5)])
    official.refresh_from_db()
    assert not official.is_hidden
    assert Flag.objects.filter(answer=official, resolution=Flag.Resolution.PENDING).count() == 5


def test_a_staff_members_question_is_never_hidden_by_flags(category):
    thread = services.ask_question(
        author=StaffFactory(), category=category, title="Known issue: sync after 4.2", body="We are on it."
    )
    flag_three_times(thread, [UserFactory() for _ in range(3)])
    thread.refresh_from_db()
    assert not thread.is_hidden


def test_brand_new_accounts_flags_weigh_nothing_so_they_cannot_hide_a_post(thread):
    reply = services.post_answer(author=UserFactory(), thread=thread, body="Buy cheap watches here.")
    flag_three_times(reply, [fresh() for _ in range(4)])
    reply.refresh_from_db()
    assert not reply.is_hidden
    assert set(Flag.objects.filter(answer=reply).values_list("weight", flat=True)) == {0}


def test_an_unverified_email_makes_an_old_account_count_as_brand_new(thread):
    reply = services.post_answer(author=UserFactory(), thread=thread, body="Buy cheap watches here.")
    flag_three_times(reply, [UserFactory(verified_email=False) for _ in range(3)])
    reply.refresh_from_db()
    assert not reply.is_hidden


def test_established_members_still_hide_spam(thread):
    reply = services.post_answer(author=UserFactory(), thread=thread, body="Buy cheap watches here.")
    flag_three_times(reply, [UserFactory() for _ in range(3)])
    reply.refresh_from_db()
    assert reply.is_hidden


def test_fresh_flags_add_to_established_ones_only_with_their_own_weight(thread):
    reply = services.post_answer(author=UserFactory(), thread=thread, body="Buy cheap watches here.")
    flag_three_times(reply, [fresh(), fresh(), UserFactory(), UserFactory()])
    reply.refresh_from_db()
    assert not reply.is_hidden  # weight 0 + 0 + 1 + 1 < 3


def test_admins_can_trust_new_accounts_at_once_per_rank(thread):
    Rank.objects.filter(name="New member").update(trusted_after_hours=0, trust_needs_verified_email=False)
    Rank.objects.get(name="New member").save()  # bump the shared rank table
    reply = services.post_answer(author=UserFactory(), thread=thread, body="Buy cheap watches here.")
    flag_three_times(reply, [fresh(verified_email=False) for _ in range(3)])
    reply.refresh_from_db()
    assert reply.is_hidden


def test_the_moderation_page_shows_flags_on_an_official_answer(client, thread):
    official = services.post_answer(author=StaffFactory(), thread=thread, body="Official: re-install the app.")
    flag_three_times(official, [fresh() for _ in range(3)])
    client.force_login(StaffFactory())
    html = client.get(reverse("community:moderation")).content.decode()
    assert f"flagged-answer-{official.pk}" in html
    assert Answer.objects.get(pk=official.pk).is_hidden is False


# --- Retagging is a rank privilege ------------------------------------------------------------


def _rank_may_retag(name: str, allowed: bool) -> None:
    rank = Rank.objects.get(name=name)
    rank.can_retag = allowed
    rank.save()


def test_a_member_without_the_retag_privilege_cannot_change_others_tags(client, thread):
    newcomer = UserFactory(points=0)
    client.force_login(newcomer)
    assert client.get(reverse("community:retag", args=[thread.pk])).status_code == 403
    response = client.post(reverse("community:retag", args=[thread.pk]), {"tags": "spam"})
    assert response.status_code == 403
    assert list(thread.tags.names()) == []
    assert "Edit tags" not in client.get(thread.get_absolute_url()).content.decode()
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.retag_question(user=newcomer, thread=thread, tags="spam")


def test_a_rank_with_the_retag_privilege_changes_others_tags(client, thread):
    helper = UserFactory(points=250)  # Helper: can_retag by default
    client.force_login(helper)
    assert "Edit tags" in client.get(thread.get_absolute_url()).content.decode()
    response = client.post(reverse("community:retag", args=[thread.pk]), {"tags": "Calendar, sync"})
    assert response.status_code == 302
    assert sorted(thread.tags.names()) == ["calendar", "sync"]


def test_admins_turn_the_retag_privilege_off_and_on_per_rank(thread):
    from django.core.exceptions import PermissionDenied

    helper = UserFactory(points=250)
    _rank_may_retag("Helper", False)
    with pytest.raises(PermissionDenied):
        services.retag_question(user=helper, thread=thread, tags="sync")
    _rank_may_retag("New member", True)
    services.retag_question(user=UserFactory(points=0), thread=thread, tags="sync")
    assert list(thread.tags.names()) == ["sync"]


def test_a_brand_new_account_cannot_retag_even_at_a_rank_that_may(thread):
    from django.core.exceptions import PermissionDenied

    _rank_may_retag("New member", True)
    with pytest.raises(PermissionDenied):
        services.retag_question(user=fresh(), thread=thread, tags="spam")


def test_the_asker_and_staff_retag_and_bad_tags_keep_what_was_typed(client, thread, member):
    client.force_login(member)
    response = client.post(reverse("community:retag", args=[thread.pk]), {"tags": "ok, bad tag!"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "may use only letters" in html and 'value="ok, bad tag!"' in html
    services.retag_question(user=StaffFactory(), thread=thread, tags="sync")
    assert list(thread.tags.names()) == ["sync"]


# --- /ask/similar/ is limited -----------------------------------------------------------------


def test_similar_questions_are_limited_per_address_for_visitors(client, settings):
    settings.SIMILAR_QUESTIONS_PER_MINUTE = 5
    url = reverse("community:similar")
    for _ in range(5):
        assert client.get(url, {"title": "calendar sync"}).status_code == 200
    response = client.get(url, {"title": "calendar sync"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert client.get(url, {"title": "calendar sync"}, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_similar_questions_are_limited_per_member(client, settings, member):
    settings.SIMILAR_QUESTIONS_PER_MINUTE = 3
    client.force_login(member)
    url = reverse("community:similar")
    codes = [client.get(url, {"title": "calendar sync"}, REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]


def test_the_limit_opens_again_the_next_minute(client, settings):
    import time_machine

    settings.SIMILAR_QUESTIONS_PER_MINUTE = 1
    url = reverse("community:similar")
    start = timezone.now().replace(second=5)
    with time_machine.travel(start, tick=False):
        assert client.get(url, {"title": "calendar sync"}).status_code == 200
        assert client.get(url, {"title": "calendar sync"}).status_code == 429
    with time_machine.travel(start + timezone.timedelta(minutes=1), tick=False):
        assert client.get(url, {"title": "calendar sync"}).status_code == 200


def test_similar_questions_for_one_title_are_cached_until_the_lists_change(
    client, settings, thread, django_assert_num_queries
):
    settings.ANONYMOUS_PAGE_CACHE_SECONDS = 300
    url = reverse("community:similar")
    first = client.get(url, {"title": "Calendar sync stops"}).content.decode()
    assert "Calendar sync stops after the update" in first
    with django_assert_num_queries(0):
        again = client.get(url, {"title": "Calendar sync stops"}).content.decode()
    assert again == first
