"""Comments, @mentions, following, the asker's "Add details", live thread updates, profile tabs
and the "Mine" filter (issue 15: conversation, a member's own place, live threads)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community import services
from community.models import COMMENT_MAX_LENGTH, Comment, Follow, Thread
from escalation.models import Ticket
from notifications.models import Kind, Notification
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

CARD = "4111 1111 1111 1111"


def ask(author, category, **kwargs):
    defaults = {"title": "Sync stopped after the update", "body": "It stopped syncing.", "tags": ["sync"]}
    defaults.update(kwargs)
    return services.ask_question(author=author, category=category, **defaults)


@pytest.fixture
def thread(member, category):
    return ask(member, category)


@pytest.fixture
def answer(thread, other_member):
    return services.post_answer(author=other_member, thread=thread, body="Sign out and in again.")


def kinds_for(user) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


# --- Comments: the service -----------------------------------------------------------------------


def test_a_comment_renders_inline_markdown_counts_and_changes_the_thread_version(thread, other_member):
    before = thread.version
    comment = services.post_comment(
        author=other_member, thread=thread, body="Which **version**? Try `sync --now` <script>x</script>"
    )
    thread.refresh_from_db()
    assert thread.comment_count == 1 and thread.version > before
    assert "<strong>version</strong>" in comment.body_html and "<code>sync --now</code>" in comment.body_html
    assert "<script" not in comment.body_html
    assert comment.answer is None and comment.post == thread


def test_block_markdown_is_not_rendered_in_comments(thread, other_member):
    comment = services.post_comment(author=other_member, thread=thread, body="# Heading\n\n- item")
    assert "<h1>" not in comment.body_html and "<li>" not in comment.body_html


def test_comments_are_bounded_and_empty_ones_refused(thread, other_member):
    with pytest.raises(ValidationError, match="600 characters"):
        services.post_comment(author=other_member, thread=thread, body="x" * (COMMENT_MAX_LENGTH + 1))
    with pytest.raises(ValidationError):
        services.post_comment(author=other_member, thread=thread, body="   ")
    assert not Comment.objects.exists()


def test_account_data_in_a_comment_is_masked_before_it_is_stored(thread, other_member):
    comment = services.post_comment(author=other_member, thread=thread, body=f"My card {CARD} was charged")
    comment.refresh_from_db()
    assert CARD not in comment.body and "1111" in comment.body and CARD not in comment.body_html
    edited = services.edit_comment(user=other_member, comment=comment, body=f"Card {CARD} again")
    assert edited.masked_findings and CARD not in Comment.objects.get().body


def test_nobody_comments_on_a_thread_they_may_not_see(member, other_member, category):
    private = ask(member, category, is_private=True)
    with pytest.raises(PermissionDenied):
        services.post_comment(author=other_member, thread=private, body="Hello?")


def test_comments_never_earn_kudos(thread, answer, member, other_member):
    other_member.refresh_from_db()
    points = other_member.points
    services.post_comment(author=member, thread=thread, answer=answer, body="Thanks, trying it")
    services.post_comment(author=other_member, thread=thread, body="Which version?")
    other_member.refresh_from_db()
    member.refresh_from_db()
    assert other_member.points == points and member.points == 0


def test_only_the_author_or_staff_edit_and_delete_a_comment(thread, member, other_member):
    comment = services.post_comment(author=other_member, thread=thread, body="Which version?")
    with pytest.raises(PermissionDenied):
        services.edit_comment(user=member, comment=comment, body="Changed")
    with pytest.raises(PermissionDenied):
        services.delete_comment(user=member, comment=comment)
    services.edit_comment(user=other_member, comment=comment, body="Which *version* exactly?")
    comment.refresh_from_db()
    assert comment.edited_at and "<em>version</em>" in comment.body_html
    services.delete_comment(user=StaffFactory(), comment=comment)
    thread.refresh_from_db()
    assert thread.comment_count == 0 and Comment.objects.get().is_deleted


# --- Notifications -------------------------------------------------------------------------------


def test_a_comment_tells_the_post_author_and_the_conversation_once_and_never_the_commenter(
    thread, answer, member, other_member
):
    third = UserFactory()
    services.post_comment(author=third, thread=thread, answer=answer, body="Did that work for you?")
    assert kinds_for(other_member) == [Kind.ANSWER] * 0 + [Kind.COMMENT]  # the answer's author
    services.post_comment(author=member, thread=thread, answer=answer, body="No, still broken")
    # The answerer (post author) and the earlier commenter (conversation) hear of it.
    assert kinds_for(other_member) == [Kind.COMMENT, Kind.COMMENT]
    assert kinds_for(third) == [Kind.COMMENT]
    assert Notification.objects.filter(recipient=member, kind=Kind.COMMENT).count() == 0


def test_a_mention_links_the_profile_and_notifies_the_member_named(thread, other_member):
    named = UserFactory(username="hana")
    comment = services.post_comment(author=other_member, thread=thread, body="@hana had this last week")
    assert 'href="/u/hana/"' in comment.body_html and 'class="mention"' in comment.body_html
    notification = Notification.objects.get(recipient=named)
    assert notification.kind == Kind.MENTION and notification.comment == comment


def test_mentions_in_answers_are_linked_and_notified(thread):
    named = UserFactory(username="ravi")
    reply = services.post_answer(author=UserFactory(), thread=thread, body="As @ravi said, reinstall. `@ravi` in code")
    assert reply.body_html.count('href="/u/ravi/"') == 1
    assert kinds_for(named) == [Kind.MENTION]


def test_editing_an_answer_tells_members_named_for_the_first_time_once(thread, answer, other_member):
    ravi, hana = UserFactory(username="ravi"), UserFactory(username="hana")
    services.edit_answer(user=other_member, answer=answer, body="Sign out and in again, as @ravi found.")
    assert kinds_for(ravi) == [Kind.MENTION]
    services.edit_answer(user=other_member, answer=answer, body="Sign out and in again, as @ravi and @hana found.")
    assert kinds_for(ravi) == [Kind.MENTION]  # named before: not told again
    assert kinds_for(hana) == [Kind.MENTION]
    assert Notification.objects.get(recipient=hana).answer == answer


def test_mentions_never_reach_anyone_who_may_not_see_the_private_thread(member, category, django_capture_on_commit_callbacks):
    outsider = UserFactory(username="outsider")
    helper_staff = StaffFactory(username="supportsam")
    private = ask(member, category, is_private=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_comment(author=member, thread=private, body="@outsider and @supportsam please look")
        services.post_answer(author=helper_staff, thread=private, body="Thanks @outsider, we have it.")
    assert Notification.objects.filter(recipient=outsider).count() == 0
    assert not [m for m in mail.outbox if m.to == [outsider.email]]
    assert Notification.objects.filter(recipient=helper_staff, kind=Kind.MENTION).count() == 1
    # Even a follow row cannot leak it: following needs sight of the thread.
    with pytest.raises(PermissionDenied):
        services.follow(user=outsider, thread=private)


def test_a_thread_made_private_later_stops_mentions_and_follows_reaching_others(thread, member, other_member):
    services.follow(user=other_member, thread=thread)
    services.edit_question(user=member, thread=thread, title=thread.title, body=f"Card {CARD}")
    thread.refresh_from_db()
    assert thread.is_private
    before = Notification.objects.filter(recipient=other_member).count()
    services.post_comment(author=member, thread=thread, body=f"@{other_member.username} any idea?")
    assert Notification.objects.filter(recipient=other_member).count() == before


# --- Following -----------------------------------------------------------------------------------


def test_askers_answerers_and_commenters_follow_the_thread(thread, answer, member, other_member):
    commenter = UserFactory()
    services.post_comment(author=commenter, thread=thread, body="Same here")
    followers = set(Follow.objects.filter(thread=thread, is_active=True).values_list("user_id", flat=True))
    assert followers == {member.pk, other_member.pk, commenter.pk}


def test_followers_hear_of_new_answers_and_comments_and_an_unfollow_sticks(thread, answer, other_member):
    services.post_answer(author=UserFactory(), thread=thread, body="Another idea")
    assert Kind.FOLLOWED in kinds_for(other_member)
    services.unfollow(user=other_member, thread=thread)
    services.post_comment(author=other_member, thread=thread, body="Still here")  # does not follow back
    count = Notification.objects.filter(recipient=other_member).count()
    services.post_answer(author=UserFactory(), thread=thread, body="A third idea")
    assert Notification.objects.filter(recipient=other_member).count() == count


def test_category_and_tag_followers_hear_of_new_public_questions_only(member, category):
    by_category, by_tag = UserFactory(), UserFactory()
    services.follow(user=by_category, category=category)
    from taggit.models import Tag

    tag = Tag.objects.create(name="sync", slug="sync")
    services.follow(user=by_tag, tag=tag)
    ask(member, category)
    assert kinds_for(by_category) == [Kind.FOLLOWED] and kinds_for(by_tag) == [Kind.FOLLOWED]
    ask(member, category, title="Charged twice for the plan", is_private=True)
    assert kinds_for(by_category) == [Kind.FOLLOWED] and kinds_for(by_tag) == [Kind.FOLLOWED]


def test_the_followed_mail_carries_an_unfollow_link_that_works(client, thread, other_member, django_capture_on_commit_callbacks):
    services.follow(user=other_member, thread=thread)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_answer(author=UserFactory(), thread=thread, body="Try the web app")
    [message] = [m for m in mail.outbox if m.to == [other_member.email]]
    link = next(word for word in message.body.split() if "/notifications/unfollow/" in word)
    path = link.split("http://127.0.0.1:8000")[-1]
    page = client.get(path)
    assert page.status_code == 200 and "Unfollow this question?" in page.content.decode()
    assert Follow.objects.get(user=other_member, thread=thread).is_active
    done = client.post(path)
    assert "You no longer follow this question" in done.content.decode()
    assert not Follow.objects.get(user=other_member, thread=thread).is_active


def test_following_from_the_thread_page_with_and_without_htmx(client, thread, other_member):
    client.force_login(other_member)
    url = reverse("community:follow_thread", args=[thread.pk])
    response = client.post(url, {"action": "follow"}, HTTP_HX_REQUEST="true")
    assert "You follow this question" in response.content.decode()
    assert client.post(url, {"action": "unfollow"}).status_code == 302
    assert not Follow.objects.get(user=other_member, thread=thread).is_active


# --- Escalation ----------------------------------------------------------------------------------


def test_the_askers_comment_under_the_only_answer_means_it_still_needs_help(thread, answer, member):
    services.post_comment(author=member, thread=thread, answer=answer, body="That didn't work, same error")
    ticket = Ticket.objects.get(thread=thread)
    assert ticket.reason == Ticket.Reason.STILL_NEEDS_HELP and ticket.is_active


def test_the_askers_thanks_under_an_answer_they_found_helpful_does_not_escalate(thread, answer, member):
    services.upvote_answer(user=member, answer=answer)
    services.post_comment(author=member, thread=thread, answer=answer, body="Thanks, that fixed it!")
    assert not Ticket.objects.filter(thread=thread).exists()


def test_other_comments_do_not_escalate(thread, answer, member, other_member):
    services.post_comment(author=other_member, thread=thread, answer=answer, body="Did it work?")
    services.post_comment(author=member, thread=thread, body="I'm on 4.2")
    services.post_answer(author=UserFactory(), thread=thread, body="Second idea")
    services.post_comment(author=member, thread=thread, answer=answer, body="Didn't work")  # not the only one
    assert not Ticket.objects.filter(thread=thread).exists()


# --- The thread page -----------------------------------------------------------------------------


def test_the_asker_is_offered_to_add_details_instead_of_an_answer(client, thread, member, other_member):
    client.force_login(member)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "Add details" in html and "edit your question" in html
    assert '<h2 id="answer-heading">Your answer</h2>' not in html and "If you know something that might help" not in html
    assert "Solved it yourself? Post the fix as an answer" in html
    client.force_login(other_member)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert '<h2 id="answer-heading">Your answer</h2>' in html and "Add details" not in html and "Add a comment" in html


def test_posting_a_comment_with_htmx_returns_the_block_and_keeps_text_on_error(client, thread, answer, other_member):
    client.force_login(other_member)
    url = reverse("community:comment_answer", args=[answer.pk])
    response = client.post(url, {"body": "Works on **4.3**"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and f'id="comments-answer-{answer.pk}"' in html and "<strong>4.3</strong>" in html
    long_text = "Long story: " + "z" * 620
    response = client.post(url, {"body": long_text}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "600 characters" in html and long_text in html  # the text is kept in the form
    response = client.post(url, {"body": f"card {CARD}"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "We masked a payment card number in your comment" in html and CARD not in html


def test_posting_a_comment_without_javascript_redirects_to_it_or_shows_the_error(client, thread, other_member):
    client.force_login(other_member)
    url = reverse("community:comment_thread", args=[thread.pk])
    response = client.post(url, {"body": "Which version?"})
    comment = Comment.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#comment-{comment.pk}")
    response = client.post(url, {"body": "y" * 700})
    assert response.status_code == 400 and "600 characters" in response.content.decode()


def test_the_asker_adds_details_from_the_box_at_the_bottom(client, thread, member):
    client.force_login(member)
    response = client.post(
        reverse("community:comment_thread", args=[thread.pk]), {"body": "I'm on 4.2.1", "place": "details"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'id="add-details-form"' in html and "Your details are posted" in html
    assert f'id="comments-thread-{thread.pk}" hx-swap-oob="true"' in html and "4.2.1" in html


def test_comments_are_edited_in_place_and_deleted(client, thread, other_member):
    comment = services.post_comment(author=other_member, thread=thread, body="Which version?")
    client.force_login(other_member)
    url = reverse("community:edit_comment", args=[comment.pk])
    assert "Save comment" in client.get(url, HTTP_HX_REQUEST="true").content.decode()
    response = client.post(url, {"body": "Which version exactly?"}, HTTP_HX_REQUEST="true")
    assert "Which version exactly?" in response.content.decode()
    assert client.post(reverse("community:delete_comment", args=[comment.pk]), HTTP_HX_REQUEST="true").content == b""
    assert "Which version exactly?" not in client.get(thread.get_absolute_url()).content.decode()


@pytest.mark.parametrize("viewer", ["anonymous", "member", "staff"])
def test_the_thread_page_with_comments_keeps_its_query_count_at_two_sizes(client, thread, viewer):
    if viewer == "member":
        client.force_login(UserFactory())
    elif viewer == "staff":
        client.force_login(StaffFactory())
    authors = [UserFactory() for _ in range(4)]
    answers = [services.post_answer(author=authors[i], thread=thread, body=f"Answer {i}") for i in range(3)]
    client.get(thread.get_absolute_url())  # warm what is cached across requests (verified email, ranks)
    counts = []
    for per_post in (2, 12):
        while Comment.objects.count() < per_post * 4:
            n = Comment.objects.count()
            target = answers[n % 3] if n % 4 else None
            services.post_comment(author=authors[n % 4], thread=thread, answer=target, body=f"Comment {n} for @{authors[0].username}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(thread.get_absolute_url())
        assert response.status_code == 200 and f"Comment {per_post * 4 - 1}" in response.content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 16


# --- Live updates --------------------------------------------------------------------------------


def test_the_live_check_answers_204_while_nothing_changed_and_says_what_is_new(client, thread):
    thread.refresh_from_db()
    url = reverse("community:thread_live", args=[thread.pk])
    query = f"?v={thread.version}&a={thread.answer_count}&c={thread.comment_count}"
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url + query, HTTP_HX_REQUEST="true").status_code == 204
    assert len(queries) == 1
    services.post_answer(author=UserFactory(), thread=thread, body="One")
    services.post_answer(author=UserFactory(), thread=thread, body="Two")
    services.post_comment(author=UserFactory(), thread=thread, body="Three")
    html = client.get(url + query, HTTP_HX_REQUEST="true").content.decode()
    assert "2 new answers and 1 new comment" in html and "Show" in html
    assert 'id="thread-facts" aria-label="About this question" hx-swap-oob="true"' in html


def test_the_live_check_and_refresh_of_a_private_thread_are_404_for_others(client, member, category, other_member):
    private = ask(member, category, is_private=True)
    client.force_login(other_member)
    assert client.get(reverse("community:thread_live", args=[private.pk]) + "?v=0").status_code == 404
    assert client.get(reverse("community:thread_refresh", args=[private.pk])).status_code == 404


def test_show_loads_the_answers_with_a_fresh_live_bar_and_the_question_comments(client, thread, answer):
    services.post_comment(author=UserFactory(), thread=thread, body="New comment on the question")
    html = client.get(reverse("community:thread_refresh", args=[thread.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'id="answers"' in html and "Sign out and in again." in html
    assert 'id="live-updates" class="live-bar" hx-swap-oob="true"' in html
    assert "New comment on the question" in html


def test_a_vote_updates_the_sidebar_counts_and_the_answerers_badges_in_place(client, thread, answer):
    client.force_login(UserFactory())
    html = client.post(reverse("community:vote", args=[answer.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert f'id="vote-{answer.pk}"' in html
    assert 'id="thread-facts"' in html and "<dt>Found helpful</dt><dd>1</dd>" in html
    assert f"hx-swap-oob=\"outerHTML:[data-member-badges='{answer.author.pk}']\"" in html


# --- @mention suggestions ------------------------------------------------------------------------


def test_mention_suggestions_give_names_only_to_members_and_are_rate_limited(client, member):
    UserFactory(username="hanna", display_name="Hanna Helper", email="hanna@secret.example")
    UserFactory(username="hank")
    UserFactory(username="gone", is_active=False)
    url = reverse("community:mention_suggestions")
    assert client.get(url + "?q=han").status_code == 302  # members only
    client.force_login(member)
    html = client.get(url + "?q=@han").content.decode()
    assert "@hanna" in html and "@hank" in html and "Hanna Helper" in html
    assert "secret.example" not in html and "@gone" not in client.get(url + "?q=go").content.decode()
    from community.views.conversation import MENTION_REQUESTS_PER_MINUTE

    statuses = {client.get(url + "?q=h").status_code for _ in range(MENTION_REQUESTS_PER_MINUTE)}
    assert 429 in statuses


# --- A member's own place ------------------------------------------------------------------------


def test_profile_tabs_show_own_private_questions_to_the_member_and_staff_only(client, member, category, other_member):
    private = ask(member, category, title="Charged twice for my plan", is_private=True)
    public = ask(member, category)
    url = member.get_absolute_url()
    assert private.title not in client.get(url).content.decode()
    assert public.title in client.get(url).content.decode()
    client.force_login(other_member)
    assert private.title not in client.get(url).content.decode()
    assert "Following" not in client.get(url).content.decode()
    client.force_login(member)
    html = client.get(url).content.decode()
    assert private.title in html and "Private" in html and "Following" in html
    client.force_login(StaffFactory())
    assert private.title in client.get(url).content.decode()


def test_profile_answers_solutions_and_following_tabs(client, thread, answer, member, other_member):
    services.accept_answer(user=member, answer=answer)
    url = other_member.get_absolute_url()
    assert "Sign out and in again." in client.get(url + "?tab=answers").content.decode()
    assert "✓ Solution" in client.get(url + "?tab=solutions").content.decode()
    client.force_login(other_member)
    html = client.get(url + "?tab=following").content.decode()
    assert thread.title in html and "Unfollow" in html


@pytest.mark.parametrize("tab", ["questions", "answers", "solutions", "following"])
def test_profile_tabs_keep_their_query_count_at_two_sizes(client, member, category, tab):
    client.force_login(member)
    counts = []
    for size in (3, 15):
        while Thread.objects.filter(author=member).count() < size:
            n = Thread.objects.count()
            other = ask(UserFactory(), category, title=f"Another question number {n}")
            reply = services.post_answer(author=member, thread=other, body=f"Answer {n}")
            services.accept_answer(user=other.author, answer=reply)
            ask(member, category, title=f"My own question number {n}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(member.get_absolute_url() + f"?tab={tab}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_mine_filter_lists_only_ones_own_threads_private_ones_included(client, member, category, other_member):
    mine = ask(member, category, title="My sync question is here")
    private = ask(member, category, title="My private billing question", is_private=True)
    answered = ask(other_member, category, title="A question I answered")
    services.post_answer(author=member, thread=answered, body="Try this")
    theirs = ask(other_member, category, title="Somebody else's question")
    client.force_login(member)
    html = client.get("/?mine=1").content.decode()
    assert mine.title in html and private.title in html and answered.title in html
    assert theirs.title not in html
    client.force_login(other_member)
    assert private.title not in client.get("/?mine=1").content.decode()
    client.logout()
    html = client.get("/?mine=1").content.decode()
    assert "Sign in to see only your own questions" in html and private.title not in html


def test_mentions_do_not_count_against_the_daily_link_limit(thread, other_member, monkeypatch):
    from community import hooks

    names = [UserFactory(username=f"friend{i}").username for i in range(3)]
    monkeypatch.setattr(hooks, "_privileges_provider", lambda user: hooks.Privileges(links_per_day=1))
    comment = services.post_comment(author=other_member, thread=thread, body=" ".join(f"@{n}" for n in names))
    assert comment.body_html.count('class="mention"') == 3
