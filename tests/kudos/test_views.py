"""Leaderboard, rank stylesheet, award page and the profile panel."""

import pytest
import time_machine
from datetime import timedelta
from django.utils import timezone

from community import services as community
from kudos.models import LedgerEntry, Rank
from kudos.services import award_points
from tests.factories import CategoryFactory, StaffFactory, UserFactory
from tests.kudos.conftest import points_of

pytestmark = pytest.mark.django_db


def _answered_and_upvoted(category, *, answerer, voters):
    thread = community.ask_question(
        author=UserFactory(), category=category, title="How do I pair the remote?", body="It blinks red."
    )
    answer = community.post_answer(author=answerer, thread=thread, body="Hold both buttons for 5 s.")
    for voter in voters:
        community.upvote_answer(user=voter, answer=answer)
    return thread, answer


def test_leaderboard_orders_members_by_points(client, staff):
    top, second = UserFactory(display_name="Top Helper"), UserFactory(display_name="Second Helper")
    award_points(staff=staff, member=top, points=300, note="a")
    award_points(staff=staff, member=second, points=60, note="b")

    html = client.get("/kudos/leaderboard/").content.decode()

    assert html.index("Top Helper") < html.index("Second Helper")
    assert "Helper</span>" in html  # the rank badge next to the name


@pytest.mark.parametrize("size", [3, 12])
def test_leaderboard_query_count_does_not_grow_with_members(client, staff, category, size, django_assert_max_num_queries):
    for i in range(size):
        _answered_and_upvoted(category, answerer=UserFactory(), voters=[UserFactory() for _ in range(2)])
    for params in ["", "?period=30d", f"?category={category.slug}", f"?period=30d&category={category.slug}"]:
        with django_assert_max_num_queries(4):
            response = client.get("/kudos/leaderboard/" + params)
        assert response.status_code == 200
        assert response.content.decode().count('class="member"') == size


def test_thirty_day_board_counts_only_recent_points(client, staff):
    old, recent = UserFactory(display_name="Old Timer"), UserFactory(display_name="Fresh Face")
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        award_points(staff=staff, member=old, points=500, note="long ago")
    award_points(staff=staff, member=recent, points=20, note="this week")

    html = client.get("/kudos/leaderboard/?period=30d").content.decode()

    assert "Fresh Face" in html and "Old Timer" not in html
    assert "Old Timer" in client.get("/kudos/leaderboard/").content.decode()


def test_category_board_counts_points_earned_in_that_category_only(client, category):
    other_category = CategoryFactory()
    here, there = UserFactory(display_name="Router Pro"), UserFactory(display_name="Printer Pro")
    _answered_and_upvoted(category, answerer=here, voters=[UserFactory()])
    _answered_and_upvoted(other_category, answerer=there, voters=[UserFactory()])

    html = client.get(f"/kudos/leaderboard/?category={category.slug}").content.decode()

    assert "Router Pro" in html and "Printer Pro" not in html


def test_category_board_ignores_points_from_private_threads(client, category):
    helper = StaffFactory(display_name="Private Helper")  # only staff answer private threads
    asker = UserFactory()
    thread = community.ask_question(
        author=asker, category=category, title="Billing question for my account", body="...", is_private=True
    )
    answer = community.post_answer(author=helper, thread=thread, body="We corrected the invoice.")
    community.accept_answer(user=asker, answer=answer)
    assert points_of(helper) == 15

    assert "Private Helper" not in client.get(f"/kudos/leaderboard/?category={category.slug}").content.decode()


def test_unknown_filters_fall_back_to_the_full_board(client, staff, member):
    award_points(staff=staff, member=member, points=10, note="x")
    response = client.get("/kudos/leaderboard/?period=forever&category=nope")
    assert response.status_code == 200
    assert member.name in response.content.decode()


def test_rank_stylesheet_serves_a_class_per_rank(client):
    response = client.get("/kudos/ranks.css")
    css = response.content.decode()
    assert response["Content-Type"].startswith("text/css")
    for rank in Rank.objects.all():
        assert f".badge.rank-{rank.pk} {{ color: {rank.colour};" in css


def test_rank_stylesheet_skips_a_colour_that_is_not_hex(client):
    Rank.objects.filter(name="Helper").update(colour="red;}")
    Rank.objects.first().save()
    assert "red;}" not in client.get("/kudos/ranks.css").content.decode()


def test_pages_link_the_rank_stylesheet_with_its_version(client):
    html = client.get("/kudos/leaderboard/").content.decode()
    assert '<link rel="stylesheet" href="/kudos/ranks.css?v=' in html


def test_award_page_is_for_staff_only(client, member):
    assert client.get("/kudos/award/").status_code == 302  # sign in first
    client.force_login(member)
    assert client.get("/kudos/award/").status_code == 403


def test_staff_award_through_the_page(client, staff, member):
    client.force_login(staff)
    page = client.get(f"/kudos/award/?member={member.username}")
    key = page.context["form"]["key"].value()

    data = {"member": member.username, "points": "40", "note": "Great guide", "key": key}
    response = client.post("/kudos/award/", data)
    client.post("/kudos/award/", data)  # the same form sent twice

    assert response.status_code == 302 and response["Location"] == member.get_absolute_url()
    assert points_of(member) == 40
    assert LedgerEntry.objects.get().note == "Great guide"


def test_award_page_keeps_what_was_typed_on_error(client, staff):
    client.force_login(staff)
    response = client.post("/kudos/award/", {"member": "nobody-here", "points": "5", "note": "Kept text", "key": "k"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "No active member has the username" in html
    assert "Kept text" in html


def test_profile_panel_shows_points_rank_progress_solutions_and_reasons(client, category, staff):
    answerer = UserFactory()
    thread, answer = _answered_and_upvoted(category, answerer=answerer, voters=[UserFactory()])
    community.accept_answer(user=thread.author, answer=answer)

    html = client.get(answerer.get_absolute_url()).content.decode()

    assert "<strong>25</strong> points" in html
    assert "New member" in html
    assert "25 points to <strong>Contributor</strong>" in html
    assert '<progress id="kudos-progress-bar" max="100" value="50">' in html
    assert "<strong>1</strong> solution" in html
    assert "Answer upvoted" in html and "Answer accepted as the solution" in html
    assert thread.title in html


def test_profile_panel_never_names_a_private_thread_to_others(client, category, member):
    answerer = StaffFactory()
    thread = community.ask_question(
        author=member, category=category, title="My invoice number is wrong", body="See attached", is_private=True
    )
    answer = community.post_answer(author=answerer, thread=thread, body="Support will fix it.")
    community.accept_answer(user=member, answer=answer)

    html = client.get(answerer.get_absolute_url()).content.decode()
    assert "Answer accepted as the solution" in html
    assert thread.title not in html

    client.force_login(member)
    assert thread.title in client.get(answerer.get_absolute_url()).content.decode()


def test_profile_page_queries_do_not_grow_with_kudos(client, staff, django_assert_max_num_queries):
    member = UserFactory()
    for i in range(15):
        award_points(staff=staff, member=member, points=1, note=f"n{i}")
    with django_assert_max_num_queries(8):
        assert client.get(member.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_threshold_change_shows_at_once_on_cached_thread_pages(client, settings, member, other_member, category, signed_in):
    """Anonymous pages and the answers fragment are cached; a rank change must still show at once."""
    from community import services as community
    from kudos.models import Rank

    settings.ANONYMOUS_PAGE_CACHE_SECONDS = 300
    thread = community.ask_question(author=member, category=category, title="Badge freshness question", body="Body")
    community.post_answer(author=other_member, thread=thread, body="An answer that helps")
    if signed_in:
        client.force_login(member)
    url = thread.get_absolute_url()
    assert b"New member" in client.get(url).content
    client.get(url)  # now served from the cache

    newcomer = Rank.objects.get(name="New member")
    newcomer.name = "Fresh face"
    newcomer.save()

    page = client.get(url).content.decode()
    assert "Fresh face" in page
    assert "New member" not in page


def test_crossing_a_threshold_shows_at_once_on_cached_thread_pages(client, settings, member, other_member, category):
    from community import services as community
    from kudos.models import Rank

    settings.ANONYMOUS_PAGE_CACHE_SECONDS = 300
    Rank.objects.filter(name="Contributor").update(min_points=10)
    from kudos.services import ranks_changed

    ranks_changed()
    thread = community.ask_question(author=member, category=category, title="Badge crossing question", body="Body")
    answer = community.post_answer(author=other_member, thread=thread, body="An answer that helps")
    url = thread.get_absolute_url()
    assert "Contributor" not in client.get(url).content.decode().split("An answer that helps")[1][:600]
    client.get(url)

    community.upvote_answer(user=member, answer=answer)  # +10: over the threshold

    after = client.get(url).content.decode()
    assert "Contributor" in after
