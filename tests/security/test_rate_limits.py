"""Posting limits per rank (community.limits) and allauth's limits on signing in, signing up
and resetting a password."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community import limits, services
from community.models import Answer, Thread
from kudos.models import Rank
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def set_new_member_limits(**limits_):
    """Tune the lowest rank the way an admin does (saving bumps the shared rank table)."""
    rank = Rank.objects.get(name="New member")
    for field, value in limits_.items():
        setattr(rank, field, value)
    rank.save()
    return rank


def question(n: int, category, **changes) -> dict:
    data = {
        "title": f"Calendar sync stops after update number {n}",
        "body": f"Since 4.{n} my calendar does not sync any more.",
        "category": category.pk,
        "tags": "sync",
    }
    data.update(changes)
    return data


def ask(user, category, n: int = 1, body: str = "Plain words, no links.") -> Thread:
    return services.ask_question(author=user, category=category, title=f"Question number {n} about sync", body=body)


# --- Per rank, counted in the cache ---------------------------------------------------------


def test_a_new_member_over_the_daily_question_limit_sees_why_and_keeps_the_typed_text(client, member, category):
    set_new_member_limits(questions_per_day=2)
    client.force_login(member)
    for n in (1, 2):
        assert client.post(reverse("community:ask"), question(n, category)).status_code == 302
    typed = question(3, category, body="A third question, typed with care & <angle> brackets.")
    response = client.post(reverse("community:ask"), typed)
    html = response.content.decode()
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "You can post 2 questions a day at your rank" in html
    assert 'value="Calendar sync stops after update number 3"' in html
    assert "A third question, typed with care &amp; &lt;angle&gt; brackets." in html
    assert Thread.objects.filter(author=member).count() == 2


def test_the_limit_belongs_to_the_rank_so_a_higher_rank_posts_freely(client, category):
    set_new_member_limits(questions_per_day=1)
    newcomer = UserFactory(points=0)
    regular = UserFactory(points=60)  # Contributor: no question limit by default
    for user in (newcomer, regular):
        ask(user, category, 1)
    with pytest.raises(ValidationError, match="1 question a day"):
        ask(newcomer, category, 2)
    ask(regular, category, 2)
    assert Thread.objects.filter(author=regular).count() == 2


def test_staff_have_no_posting_limits(staff, member, category):
    set_new_member_limits(questions_per_day=1, answers_per_day=1, links_per_day=1, seconds_between_posts=600)
    two_links = "[a](https://a.example) [b](https://b.example)"
    # The limits bite: a member of the same rank (no points, like the staff member) is refused.
    with pytest.raises(limits.PostingLimitReached):
        ask(member, category, 1, body=two_links)
    thread = ask(staff, category, 1, body=two_links)
    ask(staff, category, 2)
    services.post_answer(author=staff, thread=thread, body="One official answer")
    services.post_answer(author=staff, thread=thread, body="And another one")
    assert Thread.objects.filter(author=staff).count() == 2
    assert Answer.objects.filter(author=staff, thread=thread).count() == 2
    assert not Thread.objects.filter(author=member).exists()


def test_a_post_under_a_limit_costs_no_count_query(member, other_member, category):
    set_new_member_limits(questions_per_day=5, answers_per_day=5, links_per_day=5)
    thread = ask(other_member, category)
    with CaptureQueriesContext(connection) as asked:
        ask(member, category, 2, body="See [the guide](https://help.example/sync).")
    with CaptureQueriesContext(connection) as answered:
        services.post_answer(author=member, thread=thread, body="Try [this](https://help.example/reset).")
    for captured in (asked, answered):
        sql = " ".join(q["sql"] for q in captured.captured_queries).upper()
        assert "COUNT(" not in sql
        assert '"CREATED_AT" >=' not in sql  # no earlier posts of the day read back


def test_the_daily_answer_limit_gives_htmx_a_429_with_the_reason(client, member, other_member, category):
    set_new_member_limits(answers_per_day=1)
    thread = ask(other_member, category)
    client.force_login(member)
    url = reverse("community:answer", args=[thread.pk])
    assert client.post(url, {"body": "First answer"}).status_code == 302
    response = client.post(url, {"body": "Second answer"}, headers={"HX-Request": "true"})
    assert response.status_code == 429
    assert "You can post 1 answer a day at your rank" in response.content.decode()
    assert response["Retry-After"]
    assert Answer.objects.filter(author=member).count() == 1


def test_an_answer_over_the_limit_without_javascript_keeps_the_text_on_the_thread_page(
    client, member, other_member, category
):
    set_new_member_limits(answers_per_day=1)
    thread = ask(other_member, category)
    services.post_answer(author=member, thread=thread, body="First answer")
    client.force_login(member)
    response = client.post(reverse("community:answer", args=[thread.pk]), {"body": "My carefully typed second answer"})
    html = response.content.decode()
    assert response.status_code == 429
    assert "You can post 1 answer a day" in html
    assert "My carefully typed second answer</textarea>" in html


def test_links_are_counted_across_questions_answers_and_edits(member, other_member, category):
    set_new_member_limits(links_per_day=3)
    thread = ask(member, category, body="See [one](https://a.example) and [two](https://b.example)")
    other = ask(other_member, category, 2)
    answer = services.post_answer(author=member, thread=other, body="No links here")
    with pytest.raises(ValidationError, match="3 links a day"):
        services.edit_answer(user=member, answer=answer, body="[x](https://x.example) [y](https://y.example)")
    answer.refresh_from_db()
    assert answer.body == "No links here" and not answer.revisions.exists()
    services.edit_answer(user=member, answer=answer, body="Just [one](https://c.example)")
    with pytest.raises(ValidationError, match="3 links a day"):
        services.post_answer(author=member, thread=thread, body="[four](https://d.example)")
    # Editing a post without adding links is always fine.
    services.edit_question(user=member, thread=thread, title=thread.title, body=thread.body + " Thanks!")


def test_a_refused_post_uses_up_nothing(member, category):
    set_new_member_limits(questions_per_day=2, links_per_day=1)
    ask(member, category, 1, body="[one](https://a.example)")
    with pytest.raises(ValidationError, match="1 link a day"):
        ask(member, category, 2, body="[two](https://b.example)")
    # The refused question did not use up the second question of the day.
    ask(member, category, 3)
    with pytest.raises(ValidationError, match="2 questions a day"):
        ask(member, category, 4)


def test_the_daily_limits_start_again_the_next_day(member, category):
    set_new_member_limits(questions_per_day=1)
    with time_machine.travel("2026-03-01 23:30Z", tick=False):
        ask(member, category, 1)
        with pytest.raises(ValidationError):
            ask(member, category, 2)
    with time_machine.travel("2026-03-02 00:10Z", tick=False):
        ask(member, category, 3)


def test_members_wait_between_posts_and_are_told_how_long(client, member, other_member, category):
    set_new_member_limits(seconds_between_posts=60)
    thread = ask(other_member, category)
    client.force_login(member)
    url = reverse("community:answer", args=[thread.pk])
    with time_machine.travel("2026-03-01 12:00Z", tick=False):
        assert client.post(url, {"body": "First"}).status_code == 302
    with time_machine.travel("2026-03-01 12:00:20Z", tick=False):
        response = client.post(url, {"body": "Second"}, headers={"HX-Request": "true"})
        assert response.status_code == 429
        assert "Please wait 60 seconds between posts" in response.content.decode()
        assert response["Retry-After"] == "40"
    with time_machine.travel("2026-03-01 12:01:05Z", tick=False):
        assert client.post(url, {"body": "Third"}).status_code == 302


def test_an_edit_over_the_link_limit_keeps_the_typed_text(client, member, category):
    set_new_member_limits(links_per_day=1)
    thread = ask(member, category)
    client.force_login(member)
    typed = "Now with [a](https://a.example) and [b](https://b.example)"
    response = client.post(
        reverse("community:edit_question", args=[thread.pk]),
        {"title": thread.title, "body": typed, "tags": ""},
    )
    assert response.status_code == 429
    html = response.content.decode()
    assert "1 link a day" in html and "Now with [a](https://a.example)" in html
    thread.refresh_from_db()
    assert thread.body == "Plain words, no links."


# --- When the cache is down -----------------------------------------------------------------


class BrokenCache:
    """Every operation fails the way a Redis client does when the server is gone."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        return fail


def test_with_the_cache_down_posting_goes_on_and_the_limits_are_counted_in_the_database(
    client, member, category, monkeypatch, caplog
):
    set_new_member_limits(questions_per_day=2, links_per_day=1)
    monkeypatch.setattr(limits, "cache", BrokenCache())
    client.force_login(member)
    assert client.post(reverse("community:ask"), question(1, category)).status_code == 302
    assert client.post(reverse("community:ask"), question(2, category)).status_code == 302
    response = client.post(reverse("community:ask"), question(3, category))
    assert response.status_code == 429
    assert "You can post 2 questions a day" in response.content.decode()
    assert Thread.objects.filter(author=member).count() == 2
    assert "counting in the database instead" in caplog.text


def test_with_the_cache_down_the_wait_and_link_limits_still_hold(member, other_member, category, monkeypatch):
    set_new_member_limits(links_per_day=1, seconds_between_posts=60)
    monkeypatch.setattr(limits, "cache", BrokenCache())
    thread = ask(other_member, category)
    with time_machine.travel("2026-03-01 12:00Z", tick=False):
        services.post_answer(author=member, thread=thread, body="[a](https://a.example)")
    with time_machine.travel("2026-03-01 12:00:30Z", tick=False):
        with pytest.raises(ValidationError, match="wait 60 seconds"):
            services.post_answer(author=member, thread=thread, body="Too soon")
    with time_machine.travel("2026-03-01 12:05Z", tick=False):
        with pytest.raises(ValidationError, match="1 link a day"):
            services.post_answer(author=member, thread=thread, body="[b](https://b.example)")
        services.post_answer(author=member, thread=thread, body="No link, fine")


# --- Sign-in abuse (allauth) ----------------------------------------------------------------


@pytest.fixture
def rate_limits_on(settings):
    """The suite runs without allauth's limits (config/test_settings.py); these tests turn on
    the production defaults, kept in the cache."""
    from allauth.account import app_settings

    settings.ACCOUNT_RATE_LIMITS = {}  # {}: allauth's defaults, as in production
    assert app_settings.RATE_LIMITS["login_failed"]
    return app_settings.RATE_LIMITS


def test_production_settings_keep_allauths_rate_limits_on():
    import config.settings as production

    assert not hasattr(production, "ACCOUNT_RATE_LIMITS") or production.ACCOUNT_RATE_LIMITS
    assert production.ACCOUNT_PREVENT_ENUMERATION is True


def test_repeated_failed_logins_are_refused_even_with_the_right_password(client, member, rate_limits_on):
    url = reverse("account_login")
    failures = [client.post(url, {"login": member.email, "password": f"wrong-{n}"}) for n in range(6)]
    assert all(b"Too many failed login attempts" not in r.content for r in failures[:5])
    assert b"Too many failed login attempts" in failures[5].content
    response = client.post(url, {"login": member.email, "password": DEFAULT_PASSWORD})
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_sign_ups_from_one_address_are_limited(client, rate_limits_on):
    url = reverse("account_signup")
    statuses = []
    for n in range(25):
        response = client.post(
            url,
            {
                "email": f"newcomer{n}@example.com",
                "username": f"newcomer{n}",
                "display_name": f"Newcomer {n}",
                "password1": "a-long-unusual-passphrase-42",
                "password2": "a-long-unusual-passphrase-42",
            },
        )
        statuses.append(response.status_code)
        client.logout()
    assert statuses[0] == 302
    assert 429 in statuses


def test_password_reset_requests_are_limited(client, member, rate_limits_on, mailoutbox):
    url = reverse("account_reset_password")
    statuses = [client.post(url, {"email": member.email}).status_code for _ in range(25)]
    assert statuses[0] == 302
    assert 429 in statuses
    assert len(mailoutbox) < 25


# --- No account enumeration -----------------------------------------------------------------


def _normalise(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    html = re.sub(r"nonce-[\w+/=-]+|nonce=\"[^\"]+\"", "", html)
    return re.sub(r"[\w.+-]+@example\.com", "EMAIL", html)


def test_login_failure_reads_the_same_for_known_and_unknown_emails(client, member):
    url = reverse("account_login")
    known = client.post(url, {"login": member.email, "password": "wrong-password"})
    unknown = client.post(url, {"login": "nobody-here@example.com", "password": "wrong-password"})
    assert known.status_code == unknown.status_code == 200
    assert _normalise(known.content.decode()) == _normalise(unknown.content.decode())


def test_password_reset_answers_the_same_for_known_and_unknown_emails(client, member, mailoutbox):
    url = reverse("account_reset_password")
    known = client.post(url, {"email": member.email})
    unknown = client.post(url, {"email": "nobody-here@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    # The owner of the known address gets the link; the unknown address gets a note that
    # no account uses it (sent to the address itself, never shown on the page).
    assert [m.to for m in mailoutbox] == [[member.email], ["nobody-here@example.com"]]
    assert "/accounts/password/reset/key/" in mailoutbox[0].body
    assert "/accounts/password/reset/key/" not in mailoutbox[1].body


def test_signing_up_with_a_taken_email_looks_like_any_sign_up(client, member, mailoutbox):
    """With ACCOUNT_PREVENT_ENUMERATION and mandatory verification (production), allauth
    answers a sign-up with a known email like a new one and mails the owner instead."""
    from django.test import override_settings

    form = {
        "username": "someone-else",
        "display_name": "Someone",
        "password1": "a-long-unusual-passphrase-42",
        "password2": "a-long-unusual-passphrase-42",
    }
    with override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory"):
        taken = client.post(reverse("account_signup"), {**form, "email": member.email})
        client.logout()
        fresh = client.post(reverse("account_signup"), {**form, "username": "brand-new", "email": "brand-new@example.com"})
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]
    assert sorted(m.to[0] for m in mailoutbox) == sorted([member.email, "brand-new@example.com"])
