"""Staff review of flagged posts: moderation.restore_post / remove_post and /staff/flags/."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from community import events, moderation, services
from community.models import CommunitySettings, Flag, Thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def ask(author, category, title="Printer shows an offline error", **kwargs):
    return services.ask_question(author=author, category=category, title=title, body="Since Monday.", **kwargs)


def hide(post, n=3, reason=Flag.Reason.SPAM):
    """Flag ``post`` by ``n`` fresh members (3 hide it at the default threshold)."""
    for user in UserFactory.create_batch(n):
        moderation.flag_post(user=user, post=post, reason=reason, note=f"note by {user.username}")
    post.refresh_from_db()
    return post


@pytest.fixture
def thread(member, category):
    return ask(member, category)


@pytest.fixture
def answer(thread, other_member):
    return services.post_answer(author=other_member, thread=thread, body="Reinstall the driver.")


@pytest.fixture
def received():
    got = []

    def on(signal_name):
        def receiver(sender, post, by, **kwargs):
            got.append((signal_name, sender, post.pk, by.pk))

        return receiver

    restored, removed = on("restored"), on("removed")
    events.post_restored.connect(restored, dispatch_uid="test-moderation-restored")
    events.post_removed.connect(removed, dispatch_uid="test-moderation-removed")
    yield got
    events.post_restored.disconnect(dispatch_uid="test-moderation-restored")
    events.post_removed.disconnect(dispatch_uid="test-moderation-removed")


def test_restore_shows_the_post_again_and_resolves_its_flags(thread, staff, received):
    hide(thread)

    moderation.restore_post(user=staff, post=thread)

    thread.refresh_from_db()
    assert not thread.is_hidden and not thread.is_deleted
    assert set(Flag.objects.values_list("resolution", flat=True)) == {Flag.Resolution.RESTORED}
    assert set(Flag.objects.values_list("resolved_by", flat=True)) == {staff.pk}
    assert received == [("restored", Thread, thread.pk, staff.pk)]
    assert Thread.objects.listed().filter(pk=thread.pk).exists()


def test_after_a_restore_only_new_flags_count(thread, staff):
    hide(thread)
    moderation.restore_post(user=staff, post=thread)

    hide(thread, n=2)

    assert not thread.is_hidden


def test_remove_keeps_the_post_hidden_and_soft_deleted(thread, staff, received):
    hide(thread)

    moderation.remove_post(user=staff, post=thread)

    thread.refresh_from_db()
    assert thread.is_hidden and thread.is_deleted and thread.deleted_at
    assert set(Flag.objects.values_list("resolution", flat=True)) == {Flag.Resolution.REMOVED}
    assert received == [("removed", Thread, thread.pk, staff.pk)]
    assert Thread.objects.filter(pk=thread.pk).exists()  # nothing is lost for staff


def test_removing_an_accepted_answer_unaccepts_it_and_leaves_the_counters(thread, answer, member, staff):
    services.upvote_answer(user=UserFactory(), answer=answer)
    services.accept_answer(user=member, answer=answer)
    hide(answer)

    moderation.remove_post(user=staff, post=answer)

    thread.refresh_from_db()
    answer.refresh_from_db()
    assert answer.is_hidden and answer.is_deleted
    assert thread.solution_id is None
    assert (thread.answer_count, thread.upvote_count) == (0, 0)


def test_a_removed_post_cannot_be_restored(thread, staff):
    hide(thread)
    moderation.remove_post(user=staff, post=thread)

    with pytest.raises(ValidationError):
        moderation.restore_post(user=staff, post=thread)


def test_only_staff_restore_or_remove(thread, other_member):
    hide(thread)

    with pytest.raises(PermissionDenied):
        moderation.restore_post(user=other_member, post=thread)
    with pytest.raises(PermissionDenied):
        moderation.remove_post(user=other_member, post=thread)
    thread.refresh_from_db()
    assert thread.is_hidden and not thread.is_deleted


def test_moderation_page_is_404_for_anonymous_and_members(client, member):
    url = reverse("community:moderation")

    assert client.get(url).status_code == 404
    client.force_login(member)
    assert client.get(url).status_code == 404


def test_moderation_page_lists_hidden_posts_first_with_reasons_notes_and_flaggers(client, staff, member, category, answer):
    once_flagged = ask(member, category, title="Only flagged once so far")
    moderation.flag_post(user=UserFactory(), post=once_flagged, reason=Flag.Reason.OFF_TOPIC, note="wrong <forum>")
    hide(answer, reason=Flag.Reason.RUDE)
    client.force_login(staff)

    response = client.get(reverse("community:moderation"))

    html = response.content.decode()
    assert response.status_code == 200
    assert [item.key for item in response.context["flagged"]] == [f"answer-{answer.pk}", f"thread-{once_flagged.pk}"]
    assert html.index(f"flagged-answer-{answer.pk}") < html.index(f"flagged-thread-{once_flagged.pk}")
    assert "Rude or abusive" in html and "Off-topic" in html
    assert "wrong &lt;forum&gt;" in html
    assert "Hidden" in html


def test_restore_through_the_page_without_javascript(client, staff, thread):
    hide(thread)
    client.force_login(staff)

    response = client.post(reverse("community:restore_flagged", args=["thread", thread.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("community:moderation")
    thread.refresh_from_db()
    assert not thread.is_hidden
    assert "No flagged posts" in client.get(response["Location"]).content.decode()


def test_remove_through_the_page_with_htmx(client, staff, answer):
    hide(answer)
    client.force_login(staff)

    response = client.post(reverse("community:remove_flagged", args=["answer", answer.pk]), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "Answer removed." in response.content.decode()
    answer.refresh_from_db()
    assert answer.is_deleted


def test_moderation_actions_are_post_only_and_staff_only(client, staff, member, thread):
    hide(thread)
    restore = reverse("community:restore_flagged", args=["thread", thread.pk])

    client.force_login(member)
    assert client.post(restore).status_code == 404
    client.force_login(staff)
    assert client.get(restore).status_code == 405
    assert client.post(reverse("community:restore_flagged", args=["other", thread.pk])).status_code == 404
    thread.refresh_from_db()
    assert thread.is_hidden


def test_hidden_post_disappears_for_others_until_restored(client, staff, thread, other_member):
    hide(thread)
    client.force_login(other_member)
    assert client.get(thread.get_absolute_url()).status_code == 404
    assert thread.title not in client.get(reverse("community:home")).content.decode()

    moderation.restore_post(user=staff, post=thread)

    assert client.get(thread.get_absolute_url()).status_code == 200


def test_moderation_page_queries_do_not_grow_with_flags(client, staff, category, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    CommunitySettings.objects.update_or_create(pk=1, defaults={"flag_threshold": 50})
    flaggers = UserFactory.create_batch(3)

    def add(n):
        for _ in range(n):
            thread = ask(UserFactory(), category)
            answer = services.post_answer(author=UserFactory(), thread=thread, body="An answer.")
            for user in flaggers:
                moderation.flag_post(user=user, post=thread, reason=Flag.Reason.SPAM)
                moderation.flag_post(user=user, post=answer, reason=Flag.Reason.RUDE)

    add(2)
    client.force_login(staff)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("community:moderation"))
    add(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("community:moderation"))
    assert len(response.context["flagged"]) == 24
    assert len(small.captured_queries) <= 6


def test_flag_admin_lists_flags_read_only(client, admin_user, thread):
    hide(thread)
    client.force_login(admin_user)

    response = client.get(reverse("admin:community_flag_changelist"))
    change = client.get(reverse("admin:community_flag_change", args=[Flag.objects.first().pk]))

    assert response.status_code == 200
    assert f"Question: {thread.title}" in response.content.decode()
    assert change.status_code == 200
    assert client.get(reverse("admin:community_flag_add")).status_code == 403
