"""The shared thread page for signed-in members (community.memberpage): one render shared by
every member without a role on the thread, each viewer's own pieces filled in per request, and
never one member's name, votes, flags, follows, comments or tokens shown to another."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as accounts
from community import memberpage, moderation, services
from tests.factories import StaffFactory, UserFactory, bulk_answers


@pytest.fixture(autouse=True)
def _member_page_on(settings):
    settings.MEMBER_PAGE_CACHE = True


@pytest.fixture
def renders(monkeypatch):
    """How many times the shared page was rendered from scratch."""
    made = []
    real = memberpage._render_shared
    monkeypatch.setattr(memberpage, "_render_shared", lambda request, context: made.append(1) or real(request, context))
    return made


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def signed_in(user, **kwargs):
    browser = Client(**kwargs)
    browser.force_login(user)
    return browser


def test_members_in_different_states_share_one_render_and_each_sees_only_their_own(
    thread, answer, other_member, renders
):
    url = thread.get_absolute_url()
    voter = UserFactory(display_name="Vera Voter")
    flagger = UserFactory(display_name="Fiona Flagger")
    follower = UserFactory(display_name="Fred Follower")
    reader = UserFactory(display_name="Rita Reader")
    services.toggle_upvote(user=voter, answer=answer)
    services.add_me_too(user=voter, thread=thread)
    moderation.flag_post(user=flagger, post=answer, reason="spam")
    moderation.flag_post(user=flagger, post=thread, reason="spam")
    services.follow(user=follower, thread=thread)
    pages = {who: page(signed_in(who), url) for who in (reader, voter, flagger, follower, other_member)}
    assert len(renders) == 1, "members without anything of their own on the page share one render"

    for who, html in pages.items():
        assert f">{who.name}</span>" in html  # their own name in the header
        for someone in {reader, voter, flagger, follower} - {who}:
            assert someone.name not in html
        assert "pd-part" not in html and "pd-actions" not in html and "Placeholder" not in html
    assert 'aria-pressed="true"' in pages[voter] and 'aria-pressed="true"' not in pages[reader]
    assert pages[voter].count('aria-pressed="true"') == 2  # this helped + I have this too
    assert pages[flagger].count("You flagged this post") == 2
    assert "You flagged this post" not in pages[reader]
    assert "You follow this question" in pages[follower] and "You follow this question" not in pages[reader]
    # The answer's author gets edit links on their answer and no vote button on it.
    assert reverse("community:edit_answer", args=[answer.pk]) in pages[other_member]
    assert reverse("community:edit_answer", args=[answer.pk]) not in pages[reader]
    assert f'id="flag-answer-{answer.pk}"' not in pages[other_member]
    assert f'id="flag-answer-{answer.pk}"' in pages[reader]


def test_the_asker_keeps_a_copy_of_their_own_and_staff_get_theirs_rendered(
    thread, answer, member, renders, settings, tmp_path
):
    from community import hooks

    template_dir = tmp_path / "templates"
    (template_dir / "test").mkdir(parents=True)
    (template_dir / "test" / "_notice.html").write_text('<p class="test-notice">Visit {{ when }}</p>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], template_dir]}]
    calls = []

    def countdown(thread, viewer):  # changes on every call, as a countdown does
        if viewer.pk != thread.author_id:
            return None
        calls.append(1)
        return "test/_notice.html", {"when": len(calls)}

    url = thread.get_absolute_url()
    reader, other_reader, staff = signed_in(UserFactory()), signed_in(UserFactory()), signed_in(StaffFactory())
    page(reader, url)
    assert len(renders) == 1
    asker = signed_in(member)
    hooks.register_thread_notice(key="zz-test", provider=countdown)
    try:
        first = page(asker, url)
        assert len(renders) == 2, "the asker's page is their own"
        second = page(asker, url)
        assert len(renders) == 2, "and kept for their next visit"
        reader_page = page(other_reader, url)
        assert len(renders) == 2, "readers share theirs"
    finally:
        hooks._thread_notice_providers.pop("zz-test")
    # The notice is filled in per request, not kept with the page.
    assert re.search(r'<p class="test-notice">Visit \d+</p>', first)
    assert re.findall(r"Visit (\d+)", first) != re.findall(r"Visit (\d+)", second)
    assert "test-notice" not in reader_page
    assert reverse("community:accept", args=[answer.pk]) in first
    assert reverse("community:edit_question", args=[thread.pk]) in first
    assert 'id="add-details"' in first
    assert reverse("community:accept", args=[answer.pk]) not in reader_page
    assert reverse("community:edit_question", args=[thread.pk]) not in reader_page
    staff_page = page(staff, url)
    assert len(renders) == 2, "staff are never served nor stored the shared copy"
    assert reverse("community:accept", args=[answer.pk]) in staff_page
    assert reverse("escalation:queue") in staff_page
    assert reverse("escalation:queue") not in reader_page


def test_a_message_waiting_is_shown_and_the_page_is_not_stored_with_it(thread, answer, renders):
    reader = UserFactory()
    browser = signed_in(reader)
    # Posting a comment leaves a "posted" message for the next page, which is rendered in full.
    response = browser.post(reverse("community:comment_thread", args=[thread.pk]), {"body": "Which version are you on?"})
    assert response.status_code == 302
    first = page(browser, thread.get_absolute_url())
    assert 'class="message' in first
    stored = len(renders)
    other = page(signed_in(UserFactory()), thread.get_absolute_url())
    assert 'class="message' not in other
    assert len(renders) == stored + 1


def test_own_comments_and_own_hidden_answers_are_not_shared(thread, answer, settings, renders):
    url = thread.get_absolute_url()
    commenter, reader, answerer = UserFactory(), UserFactory(), UserFactory()
    comment = services.post_comment(author=commenter, thread=thread, body="Which version?")
    hidden = services.post_answer(author=answerer, thread=thread, body="Reinstall the whole thing from scratch.")
    settings_row = services.set_flag_threshold(threshold=1)[0]
    assert settings_row.flag_threshold == 1
    moderation.flag_post(user=UserFactory(), post=hidden, reason="spam")
    reader_page = page(signed_in(reader), url)
    commenter_page = page(signed_in(commenter), url)
    answerer_page = page(signed_in(answerer), url)
    edit_comment = reverse("community:edit_comment", args=[comment.pk])
    assert edit_comment in commenter_page and edit_comment not in reader_page
    assert "Reinstall the whole thing" in answerer_page and "Reinstall the whole thing" not in reader_page
    assert "Reinstall the whole thing" not in commenter_page
    assert len(renders) == 3


def test_each_member_gets_their_own_csrf_token_and_the_csp_nonce_of_their_response(thread, answer):
    for voter in (UserFactory(), UserFactory()):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(voter)
        response = browser.get(thread.get_absolute_url())
        html = response.content.decode()
        tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
        assert tokens and "Placeholder" not in html
        nonces = set(re.findall(r'nonce="([^"]+)"', html))
        assert len(nonces) == 1 and f"'nonce-{nonces.pop()}'" in response["Content-Security-Policy"]
        vote = browser.post(reverse("community:vote", args=[answer.pk]), {"csrfmiddlewaretoken": tokens.pop()})
        assert vote.status_code == 302
    answer.refresh_from_db()
    assert answer.upvote_count == 2


def test_changes_show_on_the_next_load(thread, answer, other_member):
    reader = signed_in(UserFactory())
    url = thread.get_absolute_url()
    assert 'This helped <span class="count">0</span>' in page(reader, url)
    services.toggle_upvote(user=UserFactory(), answer=answer)
    assert 'This helped <span class="count">1</span>' in page(reader, url)
    accounts.update_profile(user=other_member, display_name="Renamed Answerer")
    assert "Renamed Answerer" in page(reader, url)
    services.post_answer(author=UserFactory(), thread=thread, body="Also try the web version.")
    assert "Also try the web version." in page(reader, url)


def test_private_and_deleted_threads_stay_404_and_a_wrong_slug_redirects(member, category, thread):
    private = services.ask_question(
        author=member, category=category, title="My invoice is wrong", body="Billing question.", tags=[], is_private=True
    )
    reader = signed_in(UserFactory())
    assert reader.get(private.get_absolute_url()).status_code == 404
    assert signed_in(member).get(private.get_absolute_url()).status_code == 200
    response = reader.get(reverse("community:thread", args=[thread.pk, "wrong-slug"]))
    assert response.status_code == 301 and response["Location"] == thread.get_absolute_url()
    services.delete_question(user=member, thread=thread)
    assert reader.get(thread.get_absolute_url()).status_code == 404


def test_htmx_requests_and_the_setting_turned_off_render_for_the_member(thread, answer, settings, renders):
    reader = signed_in(UserFactory())
    reader.get(thread.get_absolute_url(), headers={"HX-Request": "true"})
    assert renders == []
    settings.MEMBER_PAGE_CACHE = False
    page(reader, thread.get_absolute_url())
    assert renders == []


@pytest.mark.parametrize("shared", [True, False], ids=["shared copy", "rendered for the member"])
def test_a_member_reading_costs_the_same_queries_for_5_50_and_100_answers(thread, settings, shared):
    settings.MEMBER_PAGE_CACHE = shared
    reader = signed_in(UserFactory())
    authors = [UserFactory() for _ in range(5)]
    made = [services.post_answer(author=author, thread=thread, body="Answer") for author in authors]
    services.post_comment(author=authors[0], thread=thread, body="A comment", answer=made[0])
    reader.get(thread.get_absolute_url())  # what is cached across requests (verified email, ranks)
    counts = []
    for total in (5, 50, 100):
        bulk_answers(thread, total=total, like=made)
        reader.get(thread.get_absolute_url())  # the shared copy of this version is stored
        with CaptureQueriesContext(connection) as queries:
            assert reader.get(thread.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts
    # Shared: the member, the thread with their "have this too" and following, their votes,
    # flags and own posts on it; and the session where it is not read from Redis.
    session = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
    assert counts[0] <= (3 if shared else 10) + session, counts


def test_a_cache_that_lost_the_page_renders_it_again(thread, answer, renders):
    reader = signed_in(UserFactory())
    page(reader, thread.get_absolute_url())
    cache.clear()
    assert "Sign out and in again." in page(reader, thread.get_absolute_url())
    assert len(renders) == 2


def test_markers_typed_into_posts_stay_text(thread, other_member):
    body = "Try <!--pd-part:0--> and <!--pd-actions:1--> in the settings."
    services.post_answer(author=other_member, thread=thread, body=body)
    services.post_comment(author=other_member, thread=thread, body="Also <!--pd-part:1-->")
    reader = UserFactory(display_name="Rosa Reader")
    html = page(signed_in(reader), thread.get_absolute_url())
    assert "&lt;!--pd-part:0--&gt;" in html and "&lt;!--pd-actions:1--&gt;" in html
    assert "&lt;!--pd-part:1--&gt;" in html
    assert html.count(">Rosa Reader</span>") == 1  # the header only, not spliced into the post


def test_a_query_string_gets_a_page_rendered_for_the_member_and_stores_nothing(thread, answer, renders):
    reader = signed_in(UserFactory())
    for n in range(3):
        assert "Sign out and in again." in page(reader, f"{thread.get_absolute_url()}?x={n}")
    assert renders == []
    page(reader, thread.get_absolute_url())
    assert len(renders) == 1
