"""Flagging questions and answers: moderation.flag_post and the flag views."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from community import events, hooks, moderation, services
from community.models import CommunitySettings, Flag, Thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def ask(author, category, title="My calendar does not sync any more", **kwargs):
    return services.ask_question(author=author, category=category, title=title, body="Since the update.", **kwargs)


def flag(user, post, reason=Flag.Reason.SPAM, note=""):
    return moderation.flag_post(user=user, post=post, reason=reason, note=note)


@pytest.fixture
def thread(member, category):
    return ask(member, category)


@pytest.fixture
def answer(thread, other_member):
    return services.post_answer(author=other_member, thread=thread, body="Turn sync off and on.")


@pytest.fixture
def hidden_events():
    received = []

    def receiver(sender, post, **kwargs):
        received.append((sender, post.pk))

    events.post_hidden.connect(receiver, dispatch_uid="test-flags-hidden")
    yield received
    events.post_hidden.disconnect(dispatch_uid="test-flags-hidden")


def test_flag_post_records_reason_note_and_weight(thread, other_member):
    created = flag(other_member, thread, Flag.Reason.RUDE, "  Insults people  ")

    assert (created.thread_id, created.answer_id, created.reason, created.note, created.weight) == (
        thread.pk, None, "rude", "Insults people", 1
    )
    thread.refresh_from_db()
    assert thread.flag_count == 1
    assert not thread.is_hidden


def test_second_flag_by_the_same_member_changes_nothing(thread, other_member):
    flag(other_member, thread)

    with pytest.raises(ValidationError) as raised:
        flag(other_member, thread, Flag.Reason.RUDE)

    assert raised.value.code == "already_flagged"
    assert Flag.objects.count() == 1
    thread.refresh_from_db()
    assert thread.flag_count == 1


def test_members_cannot_flag_their_own_post(thread, member):
    with pytest.raises(PermissionDenied):
        flag(member, thread)
    assert not Flag.objects.exists()


def test_anonymous_and_unknown_reasons_are_refused(thread, other_member):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        flag(AnonymousUser(), thread)
    with pytest.raises(ValidationError):
        flag(other_member, thread, reason="because")
    with pytest.raises(ValidationError):
        flag(other_member, thread, note="x" * 301)
    assert not Flag.objects.exists()


def test_private_threads_cannot_be_flagged_by_others(member, other_member, category):
    private = ask(member, category, is_private=True)

    with pytest.raises(PermissionDenied):
        flag(other_member, private)


def test_third_flag_hides_the_question_and_sends_post_hidden_once(thread, hidden_events):
    flaggers = UserFactory.create_batch(4)
    flag(flaggers[0], thread)
    flag(flaggers[1], thread)
    thread.refresh_from_db()
    assert not thread.is_hidden

    flag(flaggers[2], thread)
    with pytest.raises(PermissionDenied):
        flag(flaggers[3], thread)  # hidden now: only staff and its author see it

    thread.refresh_from_db()
    assert thread.is_hidden
    assert thread.flag_count == 3
    assert hidden_events == [(Thread, thread.pk)]
    assert not Thread.objects.listed().filter(pk=thread.pk).exists()


def test_flags_hide_an_answer(answer, hidden_events):
    for user in UserFactory.create_batch(3):
        flag(user, answer, Flag.Reason.OFF_TOPIC)

    answer.refresh_from_db()
    assert answer.is_hidden
    assert hidden_events == [(type(answer), answer.pk)]


def test_threshold_comes_from_community_settings(thread):
    settings_row = CommunitySettings.load()
    settings_row.flag_threshold = 1
    settings_row.save()

    flag(UserFactory(), thread)

    thread.refresh_from_db()
    assert thread.is_hidden


def test_flag_weight_comes_from_privileges(thread, monkeypatch):
    monkeypatch.setattr(hooks, "_privileges_provider", lambda user: hooks.Privileges(flag_weight=3))

    created = flag(UserFactory(), thread)

    thread.refresh_from_db()
    assert created.weight == 3
    assert thread.is_hidden


def test_flag_view_records_the_flag_and_goes_back_without_javascript(client, thread, other_member):
    client.force_login(other_member)

    response = client.post(reverse("community:flag_thread", args=[thread.pk]), {"reason": "spam", "note": "ads"})

    assert response.status_code == 302
    assert response["Location"] == thread.get_absolute_url()
    assert Flag.objects.get().note == "ads"
    page = client.get(response["Location"], follow=True).content.decode()
    assert "Thanks for flagging" in page


def test_flag_view_with_htmx_returns_the_flag_box(client, answer, member):
    client.force_login(member)

    response = client.post(
        reverse("community:flag_answer", args=[answer.pk]), {"reason": "rude"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "Thanks for flagging" in response.content.decode()
    assert Flag.objects.get().answer_id == answer.pk


def test_second_flag_through_the_view_shows_a_clear_message(client, thread, other_member):
    client.force_login(other_member)
    url = reverse("community:flag_thread", args=[thread.pk])
    client.post(url, {"reason": "spam"})

    response = client.post(url, {"reason": "rude"}, headers={"HX-Request": "true"})

    assert "already flagged" in response.content.decode()
    assert Flag.objects.get().reason == "spam"


def test_flag_without_a_reason_keeps_the_note_and_explains(client, thread, other_member):
    client.force_login(other_member)

    response = client.post(reverse("community:flag_thread", args=[thread.pk]), {"note": "my note <b>"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose why you are flagging" in html
    assert 'value="my note &lt;b&gt;"' in html
    assert not Flag.objects.exists()


def test_flag_views_need_sign_in_and_get_shows_the_form_without_flagging(client, thread, answer, other_member):
    url = reverse("community:flag_thread", args=[thread.pk])

    assert client.post(url, {"reason": "spam"}).status_code == 302
    assert client.get(url).status_code == 302
    assert not Flag.objects.exists()
    client.force_login(other_member)
    page = client.get(url)
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    assert client.put(url).status_code == 405
    # htmx fetches the box with the form when "Flag this answer" is clicked.
    client.force_login(UserFactory())
    box = client.get(reverse("community:flag_answer", args=[answer.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert f'<div class="flag-box" id="flag-answer-{answer.pk}">' in box
    assert "<html" not in box and 'name="reason"' in box
    assert not Flag.objects.exists()


def test_flagging_a_private_thread_of_someone_else_is_404(client, member, other_member, category):
    private = ask(member, category, is_private=True)
    client.force_login(other_member)

    assert client.post(reverse("community:flag_thread", args=[private.pk]), {"reason": "spam"}).status_code == 404


def test_own_post_through_the_view_shows_a_message(client, thread, member):
    client.force_login(member)

    response = client.post(reverse("community:flag_thread", args=[thread.pk]), {"reason": "spam"}, follow=True)

    assert "You can&#x27;t flag your own post" in response.content.decode()
    assert not Flag.objects.exists()


def test_flag_box_partial_renders_for_others_and_not_for_the_author(rf, thread, member, other_member):
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = other_member
    for_other = render_to_string("community/_flag_form.html", {"post": thread, "kind": "thread", "user": other_member}, request=request)
    for_author = render_to_string("community/_flag_form.html", {"post": thread, "kind": "thread", "user": member}, request=request)

    # Closed, the box is one link; the form comes with it opened (flag_open).
    assert reverse("community:flag_thread", args=[thread.pk]) in for_other
    assert "Flag this question" in for_other and "Spam or advertising" not in for_other
    opened = render_to_string(
        "community/_flag_form.html", {"post": thread, "kind": "thread", "user": other_member, "flag_open": True}, request=request
    )
    assert "Spam or advertising" in opened
    assert for_author.strip() == ""


@pytest.mark.django_db(transaction=True)
def test_concurrent_last_flags_hide_the_post_once(on_postgres, category):
    """Two members flag at the same moment past the threshold: the row lock serialises them,
    so the post is hidden and post_hidden sent exactly once."""
    import threading

    from django.db import connection

    thread = ask(UserFactory(), category)
    flag(UserFactory(), thread)
    racers = UserFactory.create_batch(4)
    hidden = []
    events.post_hidden.connect(lambda sender, post, **kw: hidden.append(post.pk), dispatch_uid="race", weak=False)
    barrier = threading.Barrier(len(racers))
    errors = []

    def race(user):
        try:
            barrier.wait()
            flag(user, Thread.objects.get(pk=thread.pk))
        except PermissionDenied:
            pass  # already hidden by the time this one got the lock
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    try:
        workers = [threading.Thread(target=race, args=(user,)) for user in racers]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        events.post_hidden.disconnect(dispatch_uid="race")

    assert errors == []
    assert hidden == [thread.pk]
    thread.refresh_from_db()
    assert thread.is_hidden
    assert Flag.objects.filter(thread=thread).count() == 3
