"""Issue 13 §3: private means private everywhere: notification links, tag pages and filters,
and the cache headers of a signed-in member's pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from community import services
from community.models import Thread
from notifications.models import Kind, Notification
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def _thread(author, category, **kwargs):
    return services.ask_question(
        author=author,
        category=category,
        title="Calendar sync stops after the update",
        body="Since 4.2 my calendar does not sync.",
        **kwargs,
    )


def test_marking_read_a_notification_about_a_thread_that_turned_private_hands_out_no_link(client, member, category):
    helper = UserFactory()
    thread = _thread(member, category)
    reply = services.post_answer(author=helper, thread=thread, body="Sign out and in again.")
    services.upvote_answer(user=member, answer=reply)
    notification = Notification.objects.get(recipient=helper, kind=Kind.UPVOTED)
    services.edit_question(
        user=member, thread=thread, title="Card 4111 1111 1111 1111 charged twice", body=thread.body, is_private=True
    )
    thread.refresh_from_db()
    client.force_login(helper)
    response = client.post(reverse("notifications:read", args=[notification.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    html = response.content.decode()
    assert thread.slug not in html and f"/t/{thread.pk}/" not in html
    notification.refresh_from_db()
    assert notification.read_at is None


def test_the_author_still_marks_read_their_notification_about_their_private_thread(client, member, category):
    thread = _thread(member, category)
    services.post_answer(author=UserFactory(), thread=thread, body="Sign out and in again.")
    services.edit_question(user=member, thread=thread, title=thread.title, body=thread.body, is_private=True)
    notification = Notification.objects.get(recipient=member, kind=Kind.ANSWER)
    client.force_login(member)
    response = client.post(reverse("notifications:read", args=[notification.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f"/t/{thread.pk}/" in response.content.decode()


def test_a_tag_used_only_on_private_threads_does_not_exist_for_anyone(client, member, category):
    _thread(member, category, tags="walrusbilling", is_private=True)
    _thread(UserFactory(), category, tags="sync")
    for user in (None, member, UserFactory(), StaffFactory()):
        client.logout()
        if user is not None:
            client.force_login(user)
        assert client.get(reverse("community:tag", args=["walrusbilling"])).status_code == 404
        assert client.get(reverse("community:tag", args=["no-such-tag"])).status_code == 404
        assert client.get(reverse("community:tag", args=["sync"])).status_code == 200
        private = client.get(reverse("community:home"), {"tag": "walrusbilling"}).content.decode()
        missing = client.get(reverse("community:home"), {"tag": "no-such-tag"}).content.decode()
        assert "There is no such tag" in private and "There is no such tag" in missing


def test_a_tag_becomes_visible_when_a_listed_thread_carries_it(client, member, category):
    _thread(member, category, tags="walrusbilling", is_private=True)
    _thread(UserFactory(), category, tags="walrusbilling")
    assert client.get(reverse("community:tag", args=["walrusbilling"])).status_code == 200


@pytest.mark.parametrize("name", ["community:home", "notifications:list", "accounts:edit_profile", "community:ask"])
def test_signed_in_pages_are_private_and_never_stored(client, member, name):
    client.force_login(member)
    response = client.get(reverse(name))
    assert response.status_code == 200
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert "public" not in cache_control


def test_the_private_thread_page_is_private_and_never_stored(client, member, category):
    thread = _thread(member, category, is_private=True)
    client.force_login(member)
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_staff_pages_are_private_and_never_stored(client):
    client.force_login(StaffFactory())
    response = client.get(reverse("community:moderation"))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_anonymous_public_pages_stay_cacheable(client):
    response = client.get(reverse("community:home"))
    assert "no-store" not in response.get("Cache-Control", "")


def test_thread_visibility_rule_is_one_rule_for_querysets_and_loaded_rows(member, category):
    from community.permissions import can_see_thread

    own_private = _thread(member, category, is_private=True)
    others_private = _thread(UserFactory(), category, is_private=True)
    public = _thread(UserFactory(), category)
    inactive = UserFactory(is_active=False)
    for user in (member, UserFactory(), StaffFactory(), inactive, None):
        visible = set(Thread.objects.visible_to(user).values_list("pk", flat=True))
        for thread in (own_private, others_private, public):
            assert can_see_thread(user, thread) == thread.is_visible_to(user) == (thread.pk in visible)


def test_a_response_the_view_marked_public_keeps_its_cache_headers_for_members(client, member):
    from kudos.selectors import rank_version

    client.force_login(member)
    response = client.get(reverse("kudos:ranks_css"), {"v": rank_version()})
    assert "public" in response["Cache-Control"] and "no-store" not in response["Cache-Control"]
