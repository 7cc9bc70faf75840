"""A member's own copy of a thread page (community.ownpage): served again, before the
middleware, only to the session it was made for, only while nothing the member would see has
changed, and never in place of what the full stack would answer differently."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as accounts
from community import memberpage, moderation, ownpage, services
from notifications.models import Kind
from notifications.services import notify
from tests.community.test_memberpage import signed_in
from tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory


@pytest.fixture(autouse=True)
def _member_pages_on(settings):
    settings.MEMBER_PAGE_CACHE = True


@pytest.fixture
def fills(monkeypatch):
    """How many times a page was filled for a viewer (the work the own copy saves)."""
    made = []
    real = memberpage._fill
    monkeypatch.setattr(memberpage, "_fill", lambda *args: made.append(1) or real(*args))
    return made


def load(browser, url, **kwargs):
    response = browser.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return response, response.get(ownpage.HEADER) == "own"


def settled(browser, url):
    """Read the page until it is served from the member's own copy (the first read keeps it)."""
    for _ in range(3):
        response, own = load(browser, url)
        if own:
            return response
    raise AssertionError("the page was never served from the member's own copy")


def without_tokens(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "TOKEN", html)
    return re.sub(r'nonce="[^"]+"', "NONCE", html)


def test_a_member_reading_the_thread_again_is_given_the_same_page_with_fresh_tokens(thread, answer, fills):
    reader = signed_in(UserFactory(display_name="Rita Reader"), enforce_csrf_checks=True)
    url = thread.get_absolute_url()
    first, own = load(reader, url)
    assert not own and len(fills) == 1
    again = settled(reader, url)
    assert len(fills) == 1, "served without filling the page again"

    assert without_tokens(again.content.decode()) == without_tokens(first.content.decode())
    assert ">Rita Reader</span>" in again.content.decode()
    for name in ("Content-Type", "X-Frame-Options", "Cache-Control", "Vary", "Referrer-Policy"):
        assert again.get(name) == first.get(name), name
    nonces = set(re.findall(r'nonce="([^"]+)"', again.content.decode()))
    assert len(nonces) == 1
    nonce = nonces.pop()
    assert f"'nonce-{nonce}'" in again["Content-Security-Policy"]
    assert nonce not in first.content.decode() and "Placeholder" not in again.content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', again.content.decode()))
    assert tokens and tokens.isdisjoint(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', first.content.decode()))

    # The token masked here is one Django's CSRF check accepts.
    vote = reader.post(reverse("community:vote", args=[answer.pk]), {"csrfmiddlewaretoken": tokens.pop()})
    assert vote.status_code == 302
    answer.refresh_from_db()
    assert answer.upvote_count == 1


def test_a_visitor_without_a_csrf_cookie_is_given_one_that_works(thread, answer, settings):
    reader = signed_in(UserFactory(), enforce_csrf_checks=True)
    url = thread.get_absolute_url()
    settled(reader, url)
    del reader.cookies[settings.CSRF_COOKIE_NAME]
    response, own = load(reader, url)
    assert own
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert len(cookie.value) == 32 and cookie["samesite"] == settings.CSRF_COOKIE_SAMESITE
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)
    assert reader.post(reverse("community:vote", args=[answer.pk]), {"csrfmiddlewaretoken": token}).status_code == 302


def test_the_copy_costs_one_statement_whatever_the_size_of_the_thread(thread, answer, settings):
    reader = signed_in(UserFactory())
    url = thread.get_absolute_url()
    settled(reader, url)
    session = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
    with CaptureQueriesContext(connection) as queries:
        assert load(reader, url)[1]
    assert len(queries) == 1 + session, [q["sql"][:80] for q in queries]


def _another_member_votes(thread, answer, reader):
    services.toggle_upvote(user=UserFactory(), answer=answer)
    return 'This helped <span class="count">1</span>'


def _the_member_votes(thread, answer, reader):
    services.toggle_upvote(user=reader, answer=answer)
    return 'aria-pressed="true"'


def _the_member_follows(thread, answer, reader):
    services.follow(user=reader, thread=thread)
    return "You follow this question"


def _the_member_flags_the_answer(thread, answer, reader):
    moderation.flag_post(user=reader, post=answer, reason="spam")
    return "You flagged this post"


def _the_member_has_a_notification(thread, answer, reader):
    notify(recipient=reader, kind=Kind.UPVOTED, text="Someone found your answer helpful", thread=thread)
    return 'aria-label="Notifications, 1 unread"'


def _the_member_renames_themself(thread, answer, reader):
    accounts.update_profile(user=reader, display_name="Rita Renamed")
    return ">Rita Renamed</span>"


def _the_member_becomes_a_community_manager(thread, answer, reader):
    reader.user_permissions.add(Permission.objects.get(codename="manage_community"))
    return "Manage community"


def _the_answerer_is_renamed(thread, answer, reader):
    accounts.update_profile(user=answer.author, display_name="Andy Answerer Renamed")
    return "Andy Answerer Renamed"


def _the_question_is_answered_again(thread, answer, reader):
    services.post_answer(author=UserFactory(), thread=thread, body="Also try the web version.")
    return "Also try the web version."


@pytest.mark.parametrize(
    "change",
    [
        _another_member_votes, _the_member_votes, _the_member_follows, _the_member_flags_the_answer,
        _the_member_has_a_notification, _the_member_renames_themself, _the_member_becomes_a_community_manager,
        _the_answerer_is_renamed, _the_question_is_answered_again,
    ],
    ids=lambda change: change.__name__.strip("_").replace("_", " "),
)
def test_anything_the_member_would_see_changed_renders_the_page_again(
    thread, answer, change, django_capture_on_commit_callbacks
):
    member = UserFactory(display_name="Rita Reader")
    reader = signed_in(member)
    url = thread.get_absolute_url()
    settled(reader, url)
    with django_capture_on_commit_callbacks(execute=True):
        shows = change(thread, answer, member)
    response, own = load(reader, url)
    assert not own
    assert shows in response.content.decode()
    assert shows in settled(reader, url).content.decode()


def test_signing_out_or_a_password_changed_elsewhere_ends_the_copy(thread, answer):
    member = UserFactory(display_name="Rita Reader")
    reader, url = signed_in(member), thread.get_absolute_url()
    settled(reader, url)
    member.set_password("another long passphrase 9")
    member.save()
    response, own = load(reader, url)
    assert not own and "Rita Reader" not in response.content.decode() and "Sign in" in response.content.decode()

    reader = signed_in(member)
    settled(reader, url)
    cookie = reader.cookies["sessionid"].value
    reader.post(reverse("account_logout"))
    replay = Client()
    replay.cookies["sessionid"] = cookie
    response, own = load(replay, url)
    assert not own and "Rita Reader" not in response.content.decode()


@pytest.mark.parametrize("change", ["deactivated", "made staff"])
def test_a_deactivated_member_or_new_staff_member_is_not_served_the_copy(thread, answer, change):
    member = UserFactory(display_name="Rita Reader")
    reader, url = signed_in(member), thread.get_absolute_url()
    settled(reader, url)
    if change == "deactivated":
        member.is_active = False
    else:
        member.is_staff = True
    member.save()
    response, own = load(reader, url)
    assert not own
    if change == "deactivated":
        assert "Rita Reader" not in response.content.decode()
    for _ in range(2):
        assert not load(reader, url)[1]


def test_a_copy_belongs_to_the_session_it_was_made_for(thread, answer):
    member = UserFactory(display_name="Rita Reader")
    url = thread.get_absolute_url()
    settled(signed_in(member), url)
    assert not load(signed_in(member), url)[1], "another session of the same member makes its own"
    someone = UserFactory(display_name="Sam Someone")
    response, own = load(signed_in(someone), url)
    assert not own and "Sam Someone" in response.content.decode() and "Rita Reader" not in response.content.decode()


def test_the_thread_hidden_or_deleted_is_404_at_once(member, thread, answer, staff):
    reader, url = signed_in(UserFactory()), thread.get_absolute_url()
    settled(reader, url)
    services.delete_question(user=member, thread=thread)
    assert reader.get(url).status_code == 404


def test_what_the_full_stack_answers_differently_is_left_to_it(thread, answer, settings):
    reader, url = signed_in(UserFactory()), thread.get_absolute_url()
    settled(reader, url)
    assert not load(reader, url + "?x=1")[1]
    assert not load(reader, url, headers={"HX-Request": "true"})[1]
    assert reader.get(url, headers={"Host": "attacker.example"}).status_code == 400
    reader.cookies["messages"] = "anything"
    assert not load(reader, url)[1]
    del reader.cookies["messages"]
    assert load(reader, url)[1]
    session = reader.session
    session["something-else"] = "unknown to the copy"
    session.save()
    assert not load(reader, url)[1]
    settings.MEMBER_PAGE_CACHE = False
    del session["something-else"]
    session.save()
    assert not load(reader, url)[1]


def test_the_asker_staff_and_private_threads_have_no_copy(member, category, thread, answer):
    url = thread.get_absolute_url()
    for who in (member, StaffFactory()):
        browser = signed_in(who)
        assert not any(load(browser, url)[1] for _ in range(3))
    private = services.ask_question(
        author=member, category=category, title="My invoice is wrong", body="Billing question.", tags=[], is_private=True
    )
    asker = signed_in(member)
    assert not any(load(asker, private.get_absolute_url())[1] for _ in range(3))


def test_a_cache_that_lost_the_copy_renders_the_page(thread, answer, fills):
    reader, url = signed_in(UserFactory()), thread.get_absolute_url()
    settled(reader, url)
    cache.clear()
    response, own = load(reader, url)
    assert not own and "Sign out and in again." in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_statement_is_prepared_once_and_a_lost_one_is_prepared_again(
    on_postgres, default_rules_and_ranks, category
):
    asker, answerer = UserFactory(), UserFactory()
    thread = services.ask_question(author=asker, category=category, title="Sync stopped", body="It stopped.", tags=[])
    services.post_answer(author=answerer, thread=thread, body="Sign out and in again.")
    reader, url = signed_in(UserFactory()), thread.get_absolute_url()
    settled(reader, url)
    with CaptureQueriesContext(connection) as queries:
        assert load(reader, url)[1]
    assert [q["sql"].split(" ")[0] for q in queries] == ["EXECUTE"]
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's DISCARD ALL would
    with CaptureQueriesContext(connection) as queries:
        response, own = load(reader, url)  # the EXECUTE fails and the statement runs as it is
    assert own and "Sign out and in again." in response.content.decode()
    assert [q["sql"].split(" ")[0] for q in queries] == ["EXECUTE", "SELECT"]
    with CaptureQueriesContext(connection) as queries:
        assert load(reader, url)[1]
    assert [q["sql"].split(" ")[0] for q in queries] == ["PREPARE", "EXECUTE"]


def test_a_new_secret_key_signs_the_member_out_as_django_would(thread, answer, settings):
    member = UserFactory(display_name="Rita Reader")
    reader, url = signed_in(member), thread.get_absolute_url()
    settled(reader, url)
    settings.SECRET_KEY = "a-rotated-secret-key-" + "x" * 40  # without the old one as a fallback
    response, own = load(reader, url)
    assert not own and "Rita Reader" not in response.content.decode()


def test_a_member_who_signed_in_with_the_form_is_served_their_copy(thread, answer):
    member = UserFactory(display_name="Rita Reader")
    browser = Client()
    signed = browser.post(reverse("account_login"), {"login": member.email, "password": DEFAULT_PASSWORD})
    assert signed.status_code == 302
    response = settled(browser, thread.get_absolute_url())
    assert ">Rita Reader</span>" in response.content.decode()


def test_with_sessions_in_the_cache_the_session_and_the_copy_are_one_read(thread, answer, settings, monkeypatch):
    if not settings.SESSION_ENGINE.endswith("cached_db"):
        pytest.skip("sessions are read from the cache only with Redis (cached_db), as deployed")
    reader, url = signed_in(UserFactory()), thread.get_absolute_url()
    settled(reader, url)
    reads = []
    for name in ("get", "get_many"):
        real = getattr(cache, name)
        monkeypatch.setattr(cache, name, lambda *args, _name=name, _real=real, **kwargs: reads.append(_name) or _real(*args, **kwargs))
    assert load(reader, url)[1]
    assert reads == ["get_many", "get_many"], reads  # the session and the copy; the declared keys
