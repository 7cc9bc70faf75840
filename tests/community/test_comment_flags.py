"""Flagging comments: moderation.flag_post / restore_post / remove_post with a Comment, what a
hidden comment means for who sees it, kudos, tickets and mail, the flag page and the Flag link
(community:flag_comment), and the staff queue."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from community import events, hooks, moderation, services
from community.models import Comment, CommunitySettings, Flag, Thread
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def ask(author, category, title="Calendar sync stops after the update", **kwargs):
    return services.ask_question(author=author, category=category, title=title, body="Since 4.2.", **kwargs)


def flag(user, comment, reason=Flag.Reason.RUDE, note=""):
    return moderation.flag_post(user=user, post=comment, reason=reason, note=note)


def hide(comment, n=3):
    """Flag ``comment`` by ``n`` fresh members (3 hide it at the default threshold)."""
    for user in UserFactory.create_batch(n):
        flag(user, comment, note=f"note by {user.username}")
    comment.refresh_from_db()
    return comment


@pytest.fixture
def thread(member, category):
    return ask(member, category)


@pytest.fixture
def answer(thread, other_member):
    return services.post_answer(author=other_member, thread=thread, body="Sign out and in again.")


@pytest.fixture
def comment(thread, answer, other_member):
    """other_member's comment under their own answer."""
    return services.post_comment(author=other_member, thread=thread, answer=answer, body="Works for me, idiots.")


@pytest.fixture
def received():
    got = []

    def on(name):
        def receiver(sender, post, **kwargs):
            got.append((name, sender, post.pk, getattr(kwargs.get("by"), "pk", None)))

        return receiver

    receivers = {name: on(name) for name in ("hidden", "restored", "removed")}
    events.post_hidden.connect(receivers["hidden"], dispatch_uid="test-comment-flags-hidden")
    events.post_restored.connect(receivers["restored"], dispatch_uid="test-comment-flags-restored")
    events.post_removed.connect(receivers["removed"], dispatch_uid="test-comment-flags-removed")
    yield got
    for name in ("hidden", "restored", "removed"):
        getattr(events, f"post_{name}").disconnect(dispatch_uid=f"test-comment-flags-{name}")


# --- Flagging ---------------------------------------------------------------------------------


def test_flagging_a_comment_records_reason_weight_and_the_note_masked(comment, member):
    created = flag(member, comment, Flag.Reason.PERSONAL_DATA, "  It shows my card 4111 1111 1111 1111  ")

    assert (created.comment_id, created.thread_id, created.answer_id) == (comment.pk, None, None)
    assert (created.reason, created.weight) == ("personal_data", 1)
    assert created.note == "It shows my card •••• 1111"
    assert "4111 1111 1111 1111" not in Flag.objects.get().note
    comment.refresh_from_db()
    assert not comment.is_hidden


def test_a_second_flag_on_the_same_comment_by_the_same_member_changes_nothing(comment, member):
    flag(member, comment)

    with pytest.raises(ValidationError) as raised:
        flag(member, comment, Flag.Reason.SPAM)

    assert raised.value.code == "already_flagged"
    assert list(Flag.objects.values_list("reason", flat=True)) == ["rude"]


def test_members_cannot_flag_their_own_comment(comment, other_member):
    with pytest.raises(PermissionDenied, match="your own"):
        flag(other_member, comment)
    assert not Flag.objects.exists()


def test_anonymous_bad_reasons_and_long_notes_are_refused(comment, member):
    with pytest.raises(PermissionDenied):
        flag(AnonymousUser(), comment)
    with pytest.raises(ValidationError) as bad_reason:
        flag(member, comment, reason="because")
    with pytest.raises(ValidationError) as long_note:
        flag(member, comment, note="x" * 301)
    assert (bad_reason.value.code, long_note.value.code) == ("reason", "note")
    assert not Flag.objects.exists()


def test_a_comment_on_a_private_thread_cannot_be_flagged_by_others(member, other_member, category):
    private = ask(member, category, is_private=True)
    comment = services.post_comment(author=member, thread=private, body="More details here.")

    with pytest.raises(PermissionDenied):
        flag(other_member, comment)
    assert not Flag.objects.exists()


def test_deleted_comments_and_comments_under_hidden_answers_cannot_be_flagged(thread, answer, comment, member, other_member):
    services.delete_comment(user=other_member, comment=comment)
    with pytest.raises(PermissionDenied):
        flag(member, comment)

    under_answer = services.post_comment(author=UserFactory(), thread=thread, answer=answer, body="Same here.")
    for user in UserFactory.create_batch(3):
        moderation.flag_post(user=user, post=answer, reason=Flag.Reason.SPAM)
    with pytest.raises(PermissionDenied):
        flag(member, under_answer)


def test_flags_at_the_threshold_hide_the_comment_once_and_bump_the_thread(thread, comment, received):
    version = Thread.objects.get(pk=thread.pk).version
    flaggers = UserFactory.create_batch(4)
    flag(flaggers[0], comment)
    flag(flaggers[1], comment)
    comment.refresh_from_db()
    assert not comment.is_hidden

    flag(flaggers[2], comment)
    with pytest.raises(PermissionDenied):
        flag(flaggers[3], comment)  # hidden now: only staff and its author see it

    comment.refresh_from_db()
    thread.refresh_from_db()
    assert comment.is_hidden and not comment.is_deleted
    assert thread.version > version
    assert thread.comment_count == 1  # hidden, not gone: staff decide
    assert received == [("hidden", Comment, comment.pk, None)]


def test_the_threshold_and_flag_weights_apply_to_comments(comment, monkeypatch):
    CommunitySettings.objects.update_or_create(pk=1, defaults={"flag_threshold": 4})
    monkeypatch.setattr(hooks, "_privileges_provider", lambda user: hooks.Privileges(flag_weight=2))

    flag(UserFactory(), comment)
    comment.refresh_from_db()
    assert not comment.is_hidden
    flag(UserFactory(), comment)
    comment.refresh_from_db()
    assert comment.is_hidden


def test_a_staff_members_comment_is_never_hidden_by_flags(thread, member, received):
    staff_comment = services.post_comment(author=StaffFactory(), thread=thread, body="Please share a screenshot.")

    hide(staff_comment, n=4)

    assert not staff_comment.is_hidden
    assert Flag.objects.filter(comment=staff_comment, resolution=Flag.Resolution.PENDING).count() == 4
    assert received == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_last_flags_hide_the_comment_once(on_postgres, category):
    """Members flag a comment under an answer at the same moment past the threshold: the locks
    (thread, answer, comment) serialise them, so it is hidden and post_hidden sent once."""
    import threading

    from django.db import connection

    thread = ask(UserFactory(), category)
    answer = services.post_answer(author=UserFactory(), thread=thread, body="An answer.")
    comment = services.post_comment(author=UserFactory(), thread=thread, answer=answer, body="A rude comment.")
    flag(UserFactory(), comment)
    racers = UserFactory.create_batch(4)
    hidden = []
    events.post_hidden.connect(lambda sender, post, **kw: hidden.append(post.pk), dispatch_uid="comment-race", weak=False)
    barrier = threading.Barrier(len(racers))
    errors = []

    def race(user):
        try:
            barrier.wait()
            flag(user, Comment.objects.get(pk=comment.pk))
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
        events.post_hidden.disconnect(dispatch_uid="comment-race")

    assert errors == []
    assert hidden == [comment.pk]
    comment.refresh_from_db()
    assert comment.is_hidden
    assert Flag.objects.filter(comment=comment).count() == 3


# --- Who sees a hidden comment ------------------------------------------------------------------


def test_a_hidden_comment_is_seen_by_staff_and_its_author_only(client, thread, comment, member, other_member, staff):
    hide(comment)

    assert not Comment.objects.visible_to(member).filter(pk=comment.pk).exists()
    assert not Comment.objects.visible_to(AnonymousUser()).filter(pk=comment.pk).exists()
    assert Comment.objects.visible_to(staff).filter(pk=comment.pk).exists()
    assert Comment.objects.visible_to(other_member).filter(pk=comment.pk).exists()  # its author
    pages = {}
    for who, user in {"anonymous": None, "member": member, "author": other_member, "staff": staff}.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        pages[who] = client.get(thread.get_absolute_url()).content.decode()
    assert "Works for me, idiots." not in pages["anonymous"]
    assert "Works for me, idiots." not in pages["member"]
    for who in ("author", "staff"):
        assert "Works for me, idiots." in pages[who]
        assert "Hidden pending review" in pages[who]


def test_a_hidden_comment_leaves_the_cached_pages_at_once(client, settings, thread, comment, member):
    settings.ANONYMOUS_PAGE_CACHE_SECONDS = 300
    url = thread.get_absolute_url()
    assert "Works for me, idiots." in client.get(url).content.decode()
    assert client.get(url)["X-Page-Cache"] == "hit"
    member_client = type(client)()
    member_client.force_login(member)
    assert "Works for me, idiots." in member_client.get(url).content.decode()  # the answers fragment is cached

    hide(comment)

    assert "Works for me, idiots." not in client.get(url).content.decode()
    assert "Works for me, idiots." not in member_client.get(url).content.decode()


# --- Staff review -------------------------------------------------------------------------------


def test_restore_shows_the_comment_again_and_resolves_its_flags(thread, comment, member, staff, received):
    hide(comment)
    version = Thread.objects.get(pk=thread.pk).version

    restored = moderation.restore_post(user=staff, post=comment)

    comment.refresh_from_db()
    assert restored.pk == comment.pk and not comment.is_hidden and not comment.is_deleted
    assert set(Flag.objects.values_list("resolution", "resolved_by")) == {(Flag.Resolution.RESTORED, staff.pk)}
    assert Thread.objects.get(pk=thread.pk).version > version
    assert Comment.objects.visible_to(member).filter(pk=comment.pk).exists()
    assert received[-1] == ("restored", Comment, comment.pk, staff.pk)


def test_remove_soft_deletes_the_comment_like_its_author_deleting_it(thread, comment, member, staff, received):
    hide(comment)

    moderation.remove_post(user=staff, post=comment)

    comment.refresh_from_db()
    thread.refresh_from_db()
    assert comment.is_hidden and comment.is_deleted and comment.deleted_at
    assert thread.comment_count == 0
    assert set(Flag.objects.values_list("resolution", flat=True)) == {Flag.Resolution.REMOVED}
    assert Comment.objects.visible_to(staff).filter(pk=comment.pk).exists()  # nothing is lost for staff
    assert not Comment.objects.visible_to(comment.author).filter(pk=comment.pk).exists()
    assert received[-1] == ("removed", Comment, comment.pk, staff.pk)


def test_removing_a_comment_its_author_already_deleted_leaves_the_count_alone(thread, comment, member, other_member, staff):
    flag(member, comment)
    services.delete_comment(user=other_member, comment=comment)

    moderation.remove_post(user=staff, post=comment)

    thread.refresh_from_db()
    assert thread.comment_count == 0
    assert Flag.objects.get().resolution == Flag.Resolution.REMOVED


def test_a_removed_comment_cannot_be_restored(comment, staff):
    hide(comment)
    moderation.remove_post(user=staff, post=comment)

    with pytest.raises(ValidationError):
        moderation.restore_post(user=staff, post=comment)


def test_only_staff_restore_or_remove_a_comment(comment, member, other_member):
    hide(comment)

    for user in (member, other_member, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            moderation.restore_post(user=user, post=comment)
        with pytest.raises(PermissionDenied):
            moderation.remove_post(user=user, post=comment)
    comment.refresh_from_db()
    assert comment.is_hidden and not comment.is_deleted


# --- What other apps make of it -----------------------------------------------------------------


def test_hiding_restoring_and_removing_a_comment_moves_no_kudos(thread, answer, comment, member, staff):
    from kudos.models import LedgerEntry

    services.upvote_answer(user=member, answer=answer)  # the comment's author earned points elsewhere
    before = list(LedgerEntry.objects.order_by("pk").values_list("pk", "reason", "points"))

    hide(comment)
    moderation.restore_post(user=staff, post=comment)
    hide(comment)
    moderation.remove_post(user=staff, post=comment)

    assert list(LedgerEntry.objects.order_by("pk").values_list("pk", "reason", "points")) == before


def test_a_hidden_comment_opens_a_flagged_ticket_that_staff_review_closes(thread, comment, staff):
    from escalation.models import Ticket

    hide(comment)

    ticket = Ticket.objects.get(thread=thread)
    assert ticket.reason == Ticket.Reason.FLAGGED
    assert f"Comment #{comment.pk} was hidden by flags" in list(ticket.events.values_list("detail", flat=True))
    moderation.remove_post(user=staff, post=comment)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert f"Removed comment #{comment.pk}" in list(ticket.events.values_list("detail", flat=True))


def test_a_hidden_comment_is_not_mailed_to_members(thread, answer, member, other_member):
    from notifications import emails
    from notifications.models import Kind, Notification

    comment = services.post_comment(author=UserFactory(), thread=thread, answer=answer, body="Rude words here.")
    notification = Notification.objects.get(recipient=other_member, kind=Kind.COMMENT, comment=comment)
    assert emails._allowed(notification)

    hide(comment)
    notification.refresh_from_db()

    assert not emails._allowed(notification)


# --- HTTP: the member flags a comment -----------------------------------------------------------


def flag_url(comment) -> str:
    return reverse("community:flag_comment", args=[comment.pk])


def test_without_javascript_the_flag_page_shows_the_comment_and_the_form(client, comment, member):
    client.force_login(member)

    response = client.get(flag_url(comment))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Flag a comment" in html
    assert "Works for me, idiots." in html
    assert f'action="{flag_url(comment)}"' in html
    assert "Spam or advertising" in html


def test_with_htmx_the_flag_link_fetches_only_the_flag_box(client, comment, member):
    client.force_login(member)

    response = client.get(flag_url(comment), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<div class="flag-box flag-box-comment" id="flag-comment-{comment.pk}">')
    assert "<details open>" in html and "Flag this comment" in html
    assert "<html" not in html


def test_posting_a_flag_without_javascript_goes_back_to_the_comment_with_a_message(client, thread, comment, member):
    client.force_login(member)

    response = client.post(flag_url(comment), {"reason": "rude", "note": "insults"})

    assert response.status_code == 302
    assert response["Location"] == f"{thread.get_absolute_url()}#comment-{comment.pk}"
    assert Flag.objects.get().note == "insults"
    page = client.get(response["Location"]).content.decode()
    assert "Thanks for flagging. Our staff will review this comment." in page


def test_posting_a_flag_with_htmx_swaps_a_confirmation_in_place(client, comment, member):
    client.force_login(member)

    response = client.post(flag_url(comment), {"reason": "spam"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="flag-comment-{comment.pk}"' in html
    assert "Thanks for flagging" in html and "<form" not in html
    assert Flag.objects.get().comment_id == comment.pk


def test_the_note_is_masked_on_its_way_through_the_view(client, comment, member):
    client.force_login(member)

    client.post(flag_url(comment), {"reason": "personal_data", "note": "IBAN GB82 WEST 1234 5698 7654 32 in it"})

    note = Flag.objects.get().note
    assert "GB82 WEST 1234 5698 7654 32" not in note and "GB82WEST12345698765432" not in note
    assert "••••" in note


@pytest.mark.parametrize(
    "data, error",
    [
        ({"note": "my note <b>"}, "Choose why you are flagging"),
        ({"reason": "because", "note": "x"}, "Choose one of the listed reasons"),
        ({"reason": "spam", "note": "x" * 301}, "Keep the note under 300 characters"),
        ({"reason": "spam", "note": "x" * 5000}, "at most 1000 characters"),
    ],
)
def test_bad_input_is_a_400_with_the_forms_errors_and_what_was_typed(client, comment, member, data, error):
    client.force_login(member)

    response = client.post(flag_url(comment), data)

    html = response.content.decode()
    assert response.status_code == 400
    assert error in html
    if data.get("note") == "my note <b>":
        assert 'value="my note &lt;b&gt;"' in html
    assert not Flag.objects.exists()
    htmx = client.post(flag_url(comment), data, headers={"HX-Request": "true"})
    assert htmx.status_code == 200  # htmx swaps 2xx only: the box comes back with the error
    assert error in htmx.content.decode() and "<form" in htmx.content.decode()


def test_a_second_flag_through_the_view_says_so(client, comment, member):
    client.force_login(member)
    client.post(flag_url(comment), {"reason": "spam"})

    again = client.get(flag_url(comment)).content.decode()
    response = client.post(flag_url(comment), {"reason": "rude"}, headers={"HX-Request": "true"})

    assert "You flagged this comment" in again
    assert "already flagged" in response.content.decode()
    assert Flag.objects.get().reason == "spam"


def test_flagging_ones_own_comment_is_refused(client, comment, other_member):
    client.force_login(other_member)

    assert client.get(flag_url(comment)).status_code == 403
    assert client.post(flag_url(comment), {"reason": "spam"}).status_code == 403
    assert not Flag.objects.exists()


def test_a_comment_the_viewer_may_not_see_is_404(client, thread, answer, comment, member, other_member, category):
    private = ask(other_member, category, title="My invoice shows the wrong plan", is_private=True)
    private_comment = services.post_comment(author=other_member, thread=private, body="Any news?")
    deleted = services.post_comment(author=UserFactory(), thread=thread, body="Deleted later.")
    services.delete_comment(user=deleted.author, comment=deleted)
    hidden = hide(services.post_comment(author=UserFactory(), thread=thread, body="Hidden by flags."))
    client.force_login(member)

    for target in (private_comment, deleted, hidden):
        assert client.get(flag_url(target)).status_code == 404
        assert client.post(flag_url(target), {"reason": "spam"}).status_code == 404
    assert client.get(reverse("community:flag_comment", args=[999_999])).status_code == 404
    assert not Flag.objects.filter(user=member).exists()
    client.force_login(StaffFactory())
    assert client.get(flag_url(private_comment)).status_code == 200  # staff see every thread


def test_anonymous_visitors_are_sent_to_sign_in(client, thread, comment):
    for response in (client.get(flag_url(comment)), client.post(flag_url(comment), {"reason": "spam"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    htmx = client.get(flag_url(comment), headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{thread.get_absolute_url()}"})
    assert htmx.status_code == 401
    assert htmx["HX-Redirect"].startswith(reverse("account_login"))
    assert client.put(flag_url(comment)).status_code == 405
    assert not Flag.objects.exists()


# --- The Flag link in each comment ----------------------------------------------------------------


def test_every_member_but_the_author_gets_a_flag_link_even_from_the_cached_answers(client, thread, answer, comment, member, other_member):
    question_comment = services.post_comment(author=member, thread=thread, body="Which version?")
    link, own_link = flag_url(comment), flag_url(question_comment)
    stranger = UserFactory()
    pages = {}
    # The comment's author first, so the answers fragment is cached for them before the others.
    for who, user in (("author", other_member), ("asker", member), ("stranger", stranger), ("staff", StaffFactory())):
        client.force_login(user)
        pages[who] = client.get(thread.get_absolute_url()).content.decode()
    client.logout()
    pages["anonymous"] = client.get(thread.get_absolute_url()).content.decode()

    assert link not in pages["author"] and own_link in pages["author"]
    assert link in pages["asker"] and own_link not in pages["asker"]
    assert link in pages["stranger"] and own_link in pages["stranger"]
    assert link in pages["staff"]
    assert link not in pages["anonymous"] and own_link not in pages["anonymous"]
    assert f'hx-get="{link}"' in pages["stranger"]
    assert f'id="flag-comment-{comment.pk}"' in pages["stranger"]


# --- The staff queue ------------------------------------------------------------------------------


def test_the_queue_shows_flagged_comments_next_to_posts_with_text_link_and_reasons(client, thread, answer, comment, member, staff):
    moderation.flag_post(user=member, post=answer, reason=Flag.Reason.OFF_TOPIC)
    hide(comment)
    client.force_login(staff)

    response = client.get(reverse("community:moderation"))

    html = response.content.decode()
    keys = [item.key for item in response.context["flagged"]]
    assert keys == [f"comment-{comment.pk}", f"answer-{answer.pk}"]  # hidden first
    assert "Comment on" in html and "Works for me, idiots." in html
    assert f'href="{thread.get_absolute_url()}#comment-{comment.pk}"' in html
    assert "Rude or abusive" in html and "note by" in html
    assert reverse("community:restore_flagged", args=["comment", comment.pk]) in html
    assert reverse("community:remove_flagged", args=["comment", comment.pk]) in html


def test_staff_restore_a_comment_from_the_queue_without_javascript(client, comment, staff):
    hide(comment)
    client.force_login(staff)

    response = client.post(reverse("community:restore_flagged", args=["comment", comment.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("community:moderation")
    comment.refresh_from_db()
    assert not comment.is_hidden
    page = client.get(response["Location"]).content.decode()
    assert "Comment restored: it is visible again." in page and "No flagged posts" in page


def test_staff_remove_a_comment_from_the_queue_with_htmx(client, thread, comment, staff):
    hide(comment)
    client.force_login(staff)

    response = client.post(reverse("community:remove_flagged", args=["comment", comment.pk]), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "Comment removed." in response.content.decode()
    comment.refresh_from_db()
    assert comment.is_deleted
    assert Thread.objects.get(pk=thread.pk).comment_count == 0


def test_members_cannot_review_flagged_comments(client, comment, member):
    hide(comment)
    client.force_login(member)

    assert client.post(reverse("community:remove_flagged", args=["comment", comment.pk])).status_code == 404
    assert client.post(reverse("community:restore_flagged", args=["comment", comment.pk])).status_code == 404
    comment.refresh_from_db()
    assert comment.is_hidden and not comment.is_deleted


def test_the_queue_costs_the_same_queries_with_many_flagged_comments(client, staff, category, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    CommunitySettings.objects.update_or_create(pk=1, defaults={"flag_threshold": 50})
    flaggers = UserFactory.create_batch(3)

    def add(n):
        for _ in range(n):
            thread = ask(UserFactory(), category)
            answer = services.post_answer(author=UserFactory(), thread=thread, body="An answer.")
            on_question = services.post_comment(author=UserFactory(), thread=thread, body="A comment.")
            on_answer = services.post_comment(author=UserFactory(), thread=thread, answer=answer, body="Another.")
            for user in flaggers:
                for post in (answer, on_question, on_answer):
                    moderation.flag_post(user=user, post=post, reason=Flag.Reason.RUDE)

    add(2)
    client.force_login(staff)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("community:moderation"))
    add(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("community:moderation"))
    assert len(response.context["flagged"]) == 36
    assert len(small.captured_queries) <= 6
