import pytest
from django.urls import reverse

from community import hooks, moderation, services
from community.models import Answer, AnswerVote, MeToo, Thread
from tests.factories import StaffFactory, UserFactory, bulk_answers


def ask(author, category, **kwargs):
    defaults = {"title": "Sync stopped after the update", "body": "It *stopped*.", "tags": ["sync"]}
    defaults.update(kwargs)
    return services.ask_question(author=author, category=category, **defaults)


@pytest.fixture
def thread(member, category):
    return ask(member, category)


@pytest.fixture
def answer(thread, other_member):
    return services.post_answer(author=other_member, thread=thread, body="Sign out and in again.")


def htmx(client, url, data=None):
    return client.post(url, data or {}, HTTP_HX_REQUEST="true")


# --- the page -------------------------------------------------------------------------------


def test_the_thread_page_shows_question_answers_tags_and_author(client, thread, answer):
    response = client.get(thread.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "<em>stopped</em>" in html and "Sign out and in again." in html
    assert 'href="/tags/sync/"' in html
    assert thread.author.name in html and answer.author.name in html
    assert "Sign in to answer" in html and 'name="body"' not in html


def test_a_wrong_slug_redirects_to_the_right_one(client, thread):
    response = client.get(reverse("community:thread", kwargs={"pk": thread.pk, "slug": "old"}))
    assert response.status_code == 301 and response["Location"] == thread.get_absolute_url()
    assert client.get(reverse("community:thread_short", kwargs={"pk": thread.pk})).status_code == 301


def test_the_accepted_answer_comes_first_then_the_others_oldest_first(client, thread, member):
    first = services.post_answer(author=UserFactory(), thread=thread, body="First answer text")
    second = services.post_answer(author=UserFactory(), thread=thread, body="Second answer text")
    third = services.post_answer(author=UserFactory(), thread=thread, body="Third answer text")
    services.accept_answer(user=member, answer=third)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert html.index("Third answer text") < html.index("First answer text") < html.index("Second answer text")
    assert "✓ Solution" in html and "badge-solved" in html
    assert second.pk


def test_staff_answers_show_the_official_badge(client, thread):
    services.post_answer(author=StaffFactory(), thread=thread, body="From support")
    assert "badge-official" in client.get(thread.get_absolute_url()).content.decode()


def test_an_edited_question_says_so_and_staff_see_the_edit_history(client, thread, member, staff):
    services.edit_question(user=member, thread=thread, title=thread.title, body="Better words")
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "edited" in html and "Edit history" not in html
    client.force_login(staff)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "Edit history (1)" in html and "It *stopped*." in html


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_a_private_thread_is_404_for_everyone_but_the_author_and_staff(client, member, category, who):
    thread = ask(member, category, is_private=True)
    if who == "member":
        client.force_login(UserFactory())
    assert client.get(thread.get_absolute_url()).status_code == 404
    assert client.post(reverse("community:answer", args=[thread.pk]), {"body": "hello there"}).status_code in {302, 404}
    assert Answer.objects.count() == 0


def test_the_author_and_staff_see_a_private_thread_with_its_badge(client, member, staff, category):
    thread = ask(member, category, body="card 4111 1111 1111 1111")
    for viewer in (member, staff):
        client.force_login(viewer)
        html = client.get(thread.get_absolute_url()).content.decode()
        assert "badge-private" in html and "Only you and our support staff can see this question" in html


def test_a_deleted_answer_is_gone_for_members_and_marked_for_staff(client, answer, other_member, staff):
    services.delete_answer(user=other_member, answer=answer)
    url = answer.thread.get_absolute_url()
    assert "Sign out and in again." not in client.get(url).content.decode()
    client.force_login(staff)
    html = client.get(url).content.decode()
    assert "Sign out and in again." in html and "is-deleted" in html


def test_a_deleted_question_is_404_for_members_and_marked_for_staff(client, thread, member, staff):
    services.delete_question(user=member, thread=thread)
    client.force_login(member)
    assert client.get(thread.get_absolute_url()).status_code == 404
    client.force_login(staff)
    assert "badge-danger" in client.get(thread.get_absolute_url()).content.decode()


def test_thread_notices_from_other_apps_are_rendered_under_the_question(client, thread, settings, tmp_path):
    template_dir = tmp_path / "templates"
    (template_dir / "test").mkdir(parents=True)
    (template_dir / "test" / "_notice.html").write_text('<p class="test-notice">Reply by {{ when }}</p>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], template_dir]}]
    hooks.register_thread_notice(key="zz-test", provider=lambda thread, viewer: ("test/_notice.html", {"when": "noon"}))
    try:
        html = client.get(thread.get_absolute_url()).content.decode()
    finally:
        hooks._thread_notice_providers.pop("zz-test")
    assert '<p class="test-notice">Reply by noon</p>' in html


@pytest.mark.parametrize("viewer", ["anonymous", "member", "staff"])
def test_the_thread_page_runs_the_same_number_of_queries_for_5_50_and_100_answers(
    client, thread, viewer, settings, django_assert_num_queries, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Rendered for the viewer: the shared member page has its own budget (test_memberpage).
    settings.MEMBER_PAGE_CACHE = False

    if viewer == "member":
        client.force_login(UserFactory())
    elif viewer == "staff":
        client.force_login(StaffFactory())
    authors = [UserFactory() for _ in range(5)]
    made = [services.post_answer(author=author, thread=thread, body="Answer") for author in authors]
    services.edit_answer(user=made[2].author, answer=made[2], body="Edited answer")
    client.get(thread.get_absolute_url())  # warm what is cached across requests (verified email, ranks)
    counts = []
    for total in (5, 50, 100):
        bulk_answers(thread, total=total, like=made)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(thread.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts
    assert counts[2] <= 10, counts


def test_members_get_a_flag_box_on_others_posts_and_see_what_they_flagged(client, answer, member):
    flagger = UserFactory()
    client.force_login(flagger)
    html = client.get(answer.thread.get_absolute_url()).content.decode()
    assert f'id="flag-thread-{answer.thread_id}"' in html and f'id="flag-answer-{answer.pk}"' in html
    moderation.flag_post(user=flagger, post=answer, reason="spam", note="")
    html = client.get(answer.thread.get_absolute_url()).content.decode()
    assert "You flagged this post" in html
    client.force_login(member)
    html = client.get(answer.thread.get_absolute_url()).content.decode()
    assert f'id="flag-thread-{answer.thread_id}"' not in html


# --- actions --------------------------------------------------------------------------------


def test_upvoting_with_htmx_returns_the_pressed_button_and_without_js_redirects(client, answer, member):
    client.force_login(member)
    url = reverse("community:vote", args=[answer.pk])
    response = htmx(client, url)
    html = response.content.decode()
    assert response.status_code == 200 and 'aria-pressed="true"' in html and ">1</span>" in html
    response = client.post(url)
    assert response.status_code == 302 and response["Location"].endswith(f"#answer-{answer.pk}")
    assert AnswerVote.objects.count() == 0


def test_a_double_upvote_leaves_one_row(client, answer, member):
    client.force_login(member)
    url = reverse("community:vote", args=[answer.pk])
    services.upvote_answer(user=member, answer=answer)
    services.upvote_answer(user=member, answer=answer)
    assert AnswerVote.objects.filter(answer=answer).count() == 1
    assert client.get(url).status_code == 405


def test_upvoting_ones_own_answer_is_refused_with_a_reason(client, answer, other_member):
    client.force_login(other_member)
    response = htmx(client, reverse("community:vote", args=[answer.pk]))
    assert "can&#x27;t mark your own answer" in response.content.decode()
    response = client.post(reverse("community:vote", args=[answer.pk]), follow=True)
    assert "can&#x27;t mark your own answer" in response.content.decode()
    assert AnswerVote.objects.count() == 0


def test_anonymous_votes_go_to_sign_in(client, answer):
    response = htmx(client, reverse("community:vote", args=[answer.pk]))
    assert response.status_code == 401 and response["HX-Redirect"].startswith(reverse("account_login"))
    response = client.post(reverse("community:vote", args=[answer.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_votes_on_answers_in_a_private_thread_are_404_for_others(client, member, category, staff):
    thread = ask(member, category, is_private=True)
    answer = services.post_answer(author=staff, thread=thread, body="Support reply")
    client.force_login(UserFactory())
    assert client.post(reverse("community:vote", args=[answer.pk])).status_code == 404
    assert client.post(reverse("community:accept", args=[answer.pk])).status_code == 404
    assert client.post(reverse("community:me_too", args=[thread.pk])).status_code == 404


def test_me_too_toggles_with_htmx_and_without(client, thread, other_member):
    client.force_login(other_member)
    url = reverse("community:me_too", args=[thread.pk])
    html = htmx(client, url).content.decode()
    assert 'aria-pressed="true"' in html and MeToo.objects.count() == 1
    assert client.post(url).status_code == 302
    assert MeToo.objects.count() == 0


def test_the_asker_has_no_me_too_button(client, thread, member):
    client.force_login(member)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert reverse("community:me_too", args=[thread.pk]) not in html
    response = client.post(reverse("community:me_too", args=[thread.pk]), follow=True)
    assert "already have it" in response.content.decode()


def test_the_asker_accepts_and_unaccepts_an_answer(client, answer, member):
    client.force_login(member)
    url = reverse("community:accept", args=[answer.pk])
    response = htmx(client, url, {"action": "accept"})
    html = response.content.decode()
    assert response.status_code == 200 and "✓ Solution" in html
    assert '<p class="thread-status" id="thread-status" hx-swap-oob="true"><span class="badge badge-solved">Solved</span>' in html
    assert Thread.objects.get(pk=answer.thread_id).solution_id == answer.pk
    response = client.post(url, {"action": "unaccept"})
    assert response.status_code == 302
    assert Thread.objects.get(pk=answer.thread_id).solution_id is None


def test_other_members_cannot_accept(client, answer):
    client.force_login(UserFactory())
    html = client.get(answer.thread.get_absolute_url()).content.decode()
    assert "Mark as solution" not in html
    client.post(reverse("community:accept", args=[answer.pk]), {"action": "accept"})
    assert Thread.objects.get(pk=answer.thread_id).solution_id is None


def test_answering_posts_the_answer_and_bad_input_keeps_the_text(client, thread, other_member):
    client.force_login(other_member)
    url = reverse("community:answer", args=[thread.pk])
    response = client.post(url, {"body": "x" * 20_001})
    assert response.status_code == 400 and "at most 20000 characters" in response.content.decode()
    assert Answer.objects.count() == 0
    response = client.post(url, {"body": "Turn it **off** and on"})
    answer = Answer.objects.get()
    assert response["Location"] == f"{thread.get_absolute_url()}#answer-{answer.pk}"
    assert answer.body_html == "<p>Turn it <strong>off</strong> and on</p>\n"


def test_script_in_an_answer_never_reaches_the_page(client, thread, other_member):
    client.force_login(other_member)
    client.post(reverse("community:answer", args=[thread.pk]), {"body": '<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>'})
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "<script>alert" not in html and 'href="javascript:' not in html and "<img src=x" not in html


def test_still_need_help_is_for_the_asker_on_an_answered_thread(client, thread, member, other_member):
    from community import events

    sent = []
    events.help_still_needed.connect(lambda sender, **kw: sent.append(kw["thread"].pk), weak=False, dispatch_uid="t-help")
    try:
        client.force_login(member)
        url = reverse("community:still_need_help", args=[thread.pk])
        assert "Nobody has answered yet" in client.post(url, follow=True).content.decode()
        services.post_answer(author=other_member, thread=thread, body="Try this")
        assert "Still need help" in client.get(thread.get_absolute_url()).content.decode()
        assert "still needing help" in client.post(url, follow=True).content.decode()
        client.force_login(other_member)
        client.post(url)
    finally:
        events.help_still_needed.disconnect(dispatch_uid="t-help")
    assert sent == [thread.pk]


def test_the_author_edits_their_question_and_others_get_403(client, thread, member):
    url = reverse("community:edit_question", args=[thread.pk])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    client.force_login(member)
    assert "It *stopped*." in client.get(url).content.decode()
    response = client.post(url, {"title": "Sync stopped after update 4.2", "body": "Updated text", "tags": "sync, ios"})
    thread.refresh_from_db()
    assert response.status_code == 302 and thread.body == "Updated text" and thread.title.endswith("4.2")


def test_editing_in_a_card_number_makes_the_question_private_and_says_so(client, thread, member):
    client.force_login(member)
    url = reverse("community:edit_question", args=[thread.pk])
    response = client.post(url, {"title": thread.title, "body": "card 4111 1111 1111 1111", "tags": ""}, follow=True)
    thread.refresh_from_db()
    assert thread.is_private and "a payment card number" in response.content.decode()


def test_a_private_question_cannot_be_made_public_by_editing(client, member, category):
    thread = ask(member, category, is_private=True)
    client.force_login(member)
    url = reverse("community:edit_question", args=[thread.pk])
    assert "disabled" in client.get(url).content.decode()
    client.post(url, {"title": thread.title, "body": "plain", "tags": ""})
    thread.refresh_from_db()
    assert thread.is_private and thread.body == "plain"


def test_editing_with_bad_input_keeps_the_text(client, thread, member):
    client.force_login(member)
    response = client.post(reverse("community:edit_question", args=[thread.pk]), {"title": "", "body": "Kept text", "tags": ""})
    assert response.status_code == 400 and "Kept text" in response.content.decode()


def test_the_author_edits_and_deletes_their_answer(client, answer, other_member):
    client.force_login(UserFactory())
    assert client.get(reverse("community:edit_answer", args=[answer.pk])).status_code == 403
    assert client.post(reverse("community:delete_answer", args=[answer.pk])).status_code == 302
    assert not Answer.objects.get(pk=answer.pk).is_deleted
    client.force_login(other_member)
    client.post(reverse("community:edit_answer", args=[answer.pk]), {"body": "Better answer"})
    assert Answer.objects.get(pk=answer.pk).body == "Better answer"
    client.post(reverse("community:delete_answer", args=[answer.pk]))
    assert Answer.objects.get(pk=answer.pk).is_deleted


def test_the_author_deletes_their_question(client, thread, member):
    client.force_login(member)
    assert client.get(reverse("community:delete_question", args=[thread.pk])).status_code == 405
    response = client.post(reverse("community:delete_question", args=[thread.pk]))
    assert response.status_code == 302 and Thread.objects.get(pk=thread.pk).is_deleted


def test_csrf_is_required_for_actions(member, answer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post(reverse("community:vote", args=[answer.pk])).status_code == 403


def test_each_htmx_view_names_its_partial_once():
    from django.urls import resolve

    def view(name: str):
        args = ["answer", 1] if name.endswith("_flagged") else [1]
        return resolve(reverse(f"community:{name}", args=args)).func

    assert {
        name: getattr(view(name), "template_name_htmx", None)
        for name in ("vote", "me_too", "accept", "flag_thread", "flag_answer", "restore_flagged", "remove_flagged")
    } == {
        "vote": "community/_vote_response.html",
        "me_too": "community/_me_too_button.html",
        "accept": "community/_answers.html",
        "flag_thread": "community/_flag_form.html",
        "flag_answer": "community/_flag_form.html",
        "restore_flagged": "community/_moderation_done.html",
        "remove_flagged": "community/_moderation_done.html",
    }


# --- The vote endpoint's query budget --------------------------------------------------------------


# Statements of one vote, apart from transaction control (BEGIN, COMMIT, savepoints). On
# PostgreSQL the vote is one statement, and so are the author's credit and their grouped
# notification (community.services.toggle_vote, kudos.services.credit_points,
# notifications.services._notify_grouped): measured 6 for a vote given again and 5 for taking it
# back, and 6 for a member's first vote. SQLite takes the ORM path, a statement per row:
# measured 12 and 10.
VOTE_QUERY_BUDGET = {"postgresql": 6, "sqlite": 12}
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def test_a_vote_and_its_undo_cost_the_same_queries_on_a_small_and_a_busy_thread(client, thread, category):
    """Voting over htmx: the answer, the two locks, the vote, both counters, the author's
    credit (ledger row and total), the notification, and the response. The same count whether
    the thread has 2 answers or 100 and the voter has voted once or a hundred times."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    voter = UserFactory()
    client.force_login(voter)
    counts = []
    for size in (2, 100):
        busy = services.ask_question(author=UserFactory(), category=category, title=f"Sync stops, case {size}", body="Body")
        made = [services.post_answer(author=UserFactory(), thread=busy, body="Restart the app") for _ in range(2)]
        bulk_answers(busy, total=size, like=made)
        for answer in Answer.objects.filter(thread=busy).exclude(pk=made[0].pk):
            AnswerVote.objects.create(answer=answer, user=voter)
        url = reverse("community:vote", args=[made[0].pk])
        client.post(url, HTTP_HX_REQUEST="true")  # the first vote warms the caches (rules, verified email)
        client.post(url, HTTP_HX_REQUEST="true")
        for _ in range(2):  # vote, then take it back
            with CaptureQueriesContext(connection) as queries:
                response = client.post(url, HTTP_HX_REQUEST="true")
            assert response.status_code == 200
            counts.append(len([q for q in queries if not q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)]))
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
    assert max(counts) <= VOTE_QUERY_BUDGET[connection.vendor], counts


def test_a_first_vote_from_a_new_member_stays_within_eight_statements(client, category):
    """A member's first vote on an answer others already found helpful: the author's grouped
    notification is read with its preference and merged, on top of the vote and the credit.
    The same on a small and a busy thread, and at most 8 statements with the transaction's own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (2, 100):
        busy = services.ask_question(author=UserFactory(), category=category, title=f"Sync stops, case {size}", body="Body")
        made = [services.post_answer(author=UserFactory(), thread=busy, body="Restart the app") for _ in range(2)]
        bulk_answers(busy, total=size, like=made)
        url = reverse("community:vote", args=[made[0].pk])
        for _ in range(2):  # the first voters make the author's grouped notification
            client.force_login(UserFactory())
            client.post(url, HTTP_HX_REQUEST="true")
        client.force_login(UserFactory())
        client.get(busy.get_absolute_url())  # the session and the caches a member has by now
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and 'aria-pressed="true"' in response.content.decode()
        counts.append(len([q for q in queries if not q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)]))
        if connection.vendor == "postgresql":
            assert len(queries) <= 8, [q["sql"][:60] for q in queries]
    assert counts[0] == counts[1], counts
    assert max(counts) <= {"postgresql": 6, "sqlite": 14}[connection.vendor], counts
