"""The page cache for anonymous visitors (community.pagecache), the query budgets of the public
pages and the promise that anonymous reading writes nothing."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as accounts
from community import moderation, services
from tests.factories import StaffFactory, UserFactory

QUERY_BUDGET = 8


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.ANONYMOUS_PAGE_CACHE_SECONDS = 300


def ask(author, category, **kwargs):
    defaults = {"title": "Sync stopped after the update", "body": "It *stopped* syncing.", "tags": ["sync", "desktop"]}
    defaults.update(kwargs)
    return services.ask_question(author=author, category=category, **defaults)


@pytest.fixture
def thread(member, category):
    return ask(member, category)


@pytest.fixture
def answer(thread, other_member):
    return services.post_answer(author=other_member, thread=thread, body="Sign out and in again.")


def public_urls(thread, category):
    return [
        reverse("community:home"),
        thread.get_absolute_url(),
        reverse("community:tag", kwargs={"tag": "sync"}),
        reverse("community:category", kwargs={"slug": category.slug}),
        reverse("community:tags"),
        reverse("community:search") + "?q=sync",
    ]


def fill(category, size):
    """``size`` threads, each with an answer; the hot thread gets ``size`` answers with votes."""
    authors = [UserFactory() for _ in range(3)]
    hot = ask(authors[0], category, title="Hot question about sync")
    for i in range(size):
        other = ask(authors[i % 3], category, title=f"Sync question number {i}", tags=["sync", f"t{i}"])
        services.post_answer(author=authors[(i + 1) % 3], thread=other, body=f"Answer {i}")
        hot_answer = services.post_answer(author=authors[(i + 1) % 3], thread=hot, body=f"Hot answer {i} with a [link](https://example.com/{i})")
        services.toggle_upvote(user=authors[(i + 2) % 3], answer=hot_answer)
    return hot


# --- query budgets ------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["anonymous", "member", "staff"])
def test_every_public_page_stays_within_eight_queries_whatever_the_size_of_the_data(
    client, category, viewer, settings, django_assert_max_num_queries
):
    settings.ANONYMOUS_PAGE_CACHE_SECONDS = 0  # measure the rendering, not the cache
    settings.MEMBER_PAGE_CACHE = False
    if viewer != "anonymous":
        client.force_login(StaffFactory() if viewer == "staff" else UserFactory())
    small = fill(category, 2)
    counts = {}
    for url in public_urls(small, category):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[url] = len(queries)
        if len(queries) > QUERY_BUDGET:
            print(url, *(q["sql"][:200] for q in queries.captured_queries), sep="\n")
        assert len(queries) <= QUERY_BUDGET, (url, "\n".join(q["sql"][:160] for q in queries.captured_queries))
    big = fill(category, 12)
    for url in public_urls(big, category):
        key = url if url != big.get_absolute_url() else small.get_absolute_url()
        with django_assert_max_num_queries(counts[key]):
            assert client.get(url).status_code == 200


def test_a_cached_page_costs_no_query(client, thread, answer, django_assert_num_queries):
    client.get(thread.get_absolute_url())
    with django_assert_num_queries(0):
        response = client.get(thread.get_absolute_url())
    assert response["X-Page-Cache"] == "hit"


# --- anonymous visitors write nothing -----------------------------------------------------------


def test_anonymous_reading_creates_no_session_and_writes_nothing(client, thread, answer, category):
    for url in public_urls(thread, category) * 2:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        writes = [q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
        assert writes == [], (url, writes)
        assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
        assert "csrfmiddlewaretoken" not in response.content.decode()
    assert Session.objects.count() == 0


# --- what is served from the cache, and to whom ----------------------------------------------------


def test_the_second_anonymous_visit_is_served_from_the_cache_with_the_csp_header_of_its_body(client, thread, answer):
    first = client.get(thread.get_absolute_url())
    second = client.get(thread.get_absolute_url())
    assert first["X-Page-Cache"] == "miss" and second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    nonce = re.search(r'nonce="([^"]+)"', second.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in second["Content-Security-Policy"]
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]


def test_signed_in_members_are_never_served_the_anonymous_copy_nor_stored(client, thread, answer, other_member):
    client.get(thread.get_absolute_url())
    client.force_login(other_member)
    response = client.get(thread.get_absolute_url())
    assert "X-Page-Cache" not in response
    assert other_member.name in response.content.decode() and "csrfmiddlewaretoken" in response.content.decode()
    client.logout()
    anonymous = client.get(thread.get_absolute_url())
    assert "csrfmiddlewaretoken" not in anonymous.content.decode()


def test_a_private_thread_never_reaches_the_cache_or_other_visitors(client, member, category):
    private = ask(member, category, title="My invoice is wrong", is_private=True)
    client.force_login(member)
    assert client.get(private.get_absolute_url()).status_code == 200
    client.logout()
    assert client.get(private.get_absolute_url()).status_code == 404
    home = client.get(reverse("community:home")).content.decode()
    assert "My invoice is wrong" not in home
    assert client.get(private.get_absolute_url()).status_code == 404


def test_a_visitor_with_a_message_waiting_gets_a_fresh_page(client, thread, member):
    client.get(thread.get_absolute_url())
    client.cookies["messages"] = "anything"
    response = client.get(thread.get_absolute_url())
    assert "X-Page-Cache" not in response


def test_made_up_query_strings_are_rendered_but_never_stored(client, thread):
    """Anyone can invent query strings; only the parameters the pages read make copies."""
    home = reverse("community:home")
    for url in (f"{home}?utm_source=x1", f"{home}?utm_source=x1", f"{home}?show=solved&" + "sort=new&" * 60):
        response = client.get(url)
        assert response.status_code == 200 and "X-Page-Cache" not in response, url
    assert client.get(f"{home}?show=solved")["X-Page-Cache"] == "miss"
    assert client.get(f"{home}?show=solved")["X-Page-Cache"] == "hit"


def test_htmx_requests_bypass_the_cache(client, thread):
    client.get(reverse("community:home"))
    response = client.get(reverse("community:home"), HTTP_HX_REQUEST="true")
    assert "X-Page-Cache" not in response


def test_a_page_that_is_not_found_is_not_stored(client, db):
    assert client.get("/t/999999/nothing/").status_code == 404
    assert "X-Page-Cache" not in client.get("/t/999999/nothing/")


def test_the_cache_can_be_turned_off(client, thread, settings):
    settings.ANONYMOUS_PAGE_CACHE_SECONDS = 0
    client.get(thread.get_absolute_url())
    assert "X-Page-Cache" not in client.get(thread.get_absolute_url())


# --- every kind of change shows on the next anonymous load ---------------------------------------


def load(client, url):
    return client.get(url).content.decode()


def test_a_new_answer_shows_on_the_thread_page_and_in_the_lists(client, thread, category, other_member):
    urls = public_urls(thread, category)[:4]
    for url in urls:
        load(client, url)
    services.post_answer(author=other_member, thread=thread, body="Reinstall the desktop client.")
    assert "Reinstall the desktop client." in load(client, thread.get_absolute_url())
    assert "<strong>1</strong> answer" in load(client, reverse("community:home"))


def test_a_vote_shows_on_the_next_load(client, thread, answer, member):
    url = thread.get_absolute_url()
    assert '<span class="count">0</span>' in load(client, url)
    services.toggle_upvote(user=member, answer=answer)
    assert '<span class="count">1</span>' in load(client, url)
    services.toggle_upvote(user=member, answer=answer)
    assert '<span class="count">0</span>' in load(client, url)


def test_an_edit_shows_on_the_next_load(client, thread, member):
    url = thread.get_absolute_url()
    load(client, url)
    load(client, reverse("community:home"))
    services.edit_question(user=member, thread=thread, title=thread.title, body="Edited body text", tags=["sync", "macos"])
    assert "Edited body text" in load(client, url) and "/tags/macos/" in load(client, url)
    services.edit_question(user=member, thread=thread, title="Sync stopped after the big update", body="Edited body text")
    assert "Sync stopped after the big update" in load(client, reverse("community:home"))


def test_accepting_a_solution_shows_on_the_next_load(client, thread, answer, member):
    url = thread.get_absolute_url()
    assert "✓ Solution" not in load(client, url)
    load(client, reverse("community:home"))
    services.accept_answer(user=member, answer=answer)
    assert "✓ Solution" in load(client, url)
    assert "badge-solved" in load(client, reverse("community:home"))


def test_a_post_hidden_by_flags_disappears_on_the_next_load(client, thread, answer, category):
    url = thread.get_absolute_url()
    assert "Sign out and in again." in load(client, url)
    assert thread.title in load(client, reverse("community:home"))
    for _ in range(3):
        moderation.flag_post(user=UserFactory(), post=answer, reason="spam", note="")
    assert "Sign out and in again." not in load(client, url)
    for _ in range(3):
        moderation.flag_post(user=UserFactory(), post=thread, reason="spam", note="")
    assert client.get(url).status_code == 404
    assert thread.title not in load(client, reverse("community:home"))


def test_a_restored_post_comes_back_on_the_next_load(client, thread, answer, staff):
    for _ in range(3):
        moderation.flag_post(user=UserFactory(), post=answer, reason="spam", note="")
    url = thread.get_absolute_url()
    assert "Sign out and in again." not in load(client, url)
    answer.refresh_from_db()
    moderation.restore_post(user=staff, post=answer)
    assert "Sign out and in again." in load(client, url)


def test_deleting_a_question_removes_it_from_lists_on_the_next_load(client, thread, member):
    assert thread.title in load(client, reverse("community:home"))
    services.delete_question(user=member, thread=thread)
    assert thread.title not in load(client, reverse("community:home"))
    assert client.get(thread.get_absolute_url()).status_code == 404


def test_a_new_question_shows_in_the_lists_on_the_next_load(client, thread, member, category):
    load(client, reverse("community:home"))
    load(client, reverse("community:tags"))
    ask(member, category, title="Printer offline since Monday", tags=["printing"])
    assert "Printer offline since Monday" in load(client, reverse("community:home"))
    assert "printing" in load(client, reverse("community:tags"))


def test_a_renamed_category_or_member_shows_everywhere_on_the_next_load(client, thread, member, category):
    url = thread.get_absolute_url()
    load(client, url)
    load(client, reverse("community:home"))
    accounts.update_profile(user=member, display_name="Renamed Member")
    assert "Renamed Member" in load(client, url)
    category.name = "Renamed area"
    category.save()
    assert "Renamed area" in load(client, reverse("community:home"))


def test_a_sign_in_does_not_invalidate_every_page(client, thread, member):
    from community import pagecache

    load(client, thread.get_absolute_url())
    before = pagecache.cache.get(pagecache.SITE_KEY)
    member.save(update_fields=["last_login"])
    assert pagecache.cache.get(pagecache.SITE_KEY) == before
    assert client.get(thread.get_absolute_url())["X-Page-Cache"] == "hit"


# --- the answers fragment for signed-in members ---------------------------------------------------


def test_one_members_vote_and_controls_never_show_to_another_member(client, thread, answer, member, other_member):
    third = UserFactory()
    client.force_login(third)
    load(client, thread.get_absolute_url())  # stores the fragment for a member who has not voted
    services.toggle_upvote(user=third, answer=answer)
    voted = load(client, thread.get_absolute_url())
    assert 'aria-pressed="true"' in voted
    client.force_login(member)
    asker_page = load(client, thread.get_absolute_url())
    assert 'aria-pressed="true"' not in asker_page
    assert reverse("community:accept", args=[answer.pk]) in asker_page
    client.force_login(other_member)
    author_page = load(client, thread.get_absolute_url())
    assert reverse("community:edit_answer", args=[answer.pk]) in author_page
    client.force_login(UserFactory())
    stranger = load(client, thread.get_absolute_url())
    assert reverse("community:edit_answer", args=[answer.pk]) not in stranger
    assert 'aria-pressed="true"' not in stranger
    assert reverse("community:accept", args=[answer.pk]) not in stranger


def test_members_in_different_states_share_one_answers_fragment_and_keep_their_own_controls(
    client, thread, answer, other_member, monkeypatch
):
    from community.templatetags import community_cache
    from community.moderation import flag_post

    renders = []
    real = community_cache.compact
    monkeypatch.setattr(
        community_cache, "compact", lambda html: renders.append('<article class="card answer' in html) or real(html)
    )
    voter, flagger, reader = UserFactory(), UserFactory(), UserFactory()
    services.toggle_upvote(user=voter, answer=answer)
    flag_post(user=flagger, post=answer, reason="spam")
    client.force_login(reader)
    load(client, thread.get_absolute_url())
    assert renders.count(True) == 1
    pages = {}
    for who in (voter, flagger, reader, other_member):
        client.force_login(who)
        pages[who] = load(client, thread.get_absolute_url())
    # The fragment was rendered once for all five; each member got their own controls spliced in.
    assert renders.count(True) == 1
    assert 'aria-pressed="true"' in pages[voter] and 'aria-pressed="true"' not in pages[reader]
    assert "You flagged this post" in pages[flagger] and "You flagged this post" not in pages[reader]
    assert reverse("community:edit_answer", args=[answer.pk]) in pages[other_member]
    assert reverse("community:edit_answer", args=[answer.pk]) not in pages[reader]
    assert "pd-actions" not in pages[reader]


def test_the_cached_answers_carry_each_members_own_csrf_token(thread, answer):
    from django.test import Client

    for voter in (UserFactory(), UserFactory()):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(voter)
        page = browser.get(thread.get_absolute_url()).content.decode()
        tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
        assert tokens and "csrfPlaceholder" not in page
        response = browser.post(reverse("community:vote", args=[answer.pk]), {"csrfmiddlewaretoken": tokens.pop()})
        assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.upvote_count == 2


def test_a_renamed_answerer_shows_in_the_cached_answers_on_the_next_load(client, thread, answer, member, other_member):
    client.force_login(member)
    load(client, thread.get_absolute_url())  # stores the answers fragment
    accounts.update_profile(user=other_member, display_name="Renamed Answerer")
    assert "Renamed Answerer" in load(client, thread.get_absolute_url())


def test_a_new_answer_shows_to_signed_in_members_on_the_next_load(client, thread, answer, member):
    client.force_login(member)
    load(client, thread.get_absolute_url())
    services.post_answer(author=UserFactory(), thread=thread, body="Try the web version meanwhile.")
    assert "Try the web version meanwhile." in load(client, thread.get_absolute_url())


def test_the_cached_sidebar_follows_new_questions_for_signed_in_members(client, thread, member, category):
    client.force_login(member)
    assert "/tags/printing/" not in load(client, reverse("community:home"))
    ask(member, category, title="Printer offline since Monday", tags=["printing"])
    assert "/tags/printing/" in load(client, reverse("community:home"))
    assert "/tags/printing/" in load(client, reverse("community:tags"))


def test_a_vote_leaves_the_cached_sidebar_alone_but_a_hidden_question_leaves_its_counts(client, thread, answer, member, category):
    from community import pagecache

    client.force_login(member)
    load(client, reverse("community:home"))
    counts = pagecache.cache.get(pagecache.COUNTS_KEY)
    services.toggle_upvote(user=member, answer=answer)
    assert pagecache.cache.get(pagecache.COUNTS_KEY) == counts
    for _ in range(3):
        moderation.flag_post(user=UserFactory(), post=thread, reason="spam", note="")
    assert pagecache.cache.get(pagecache.COUNTS_KEY) != counts
    assert "/tags/sync/" not in load(client, reverse("community:tags"))
