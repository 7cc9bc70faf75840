"""The REST API honours every permission of the site: the walk of tests/security/test_access.py
again, over every API route in the site map, for every role, with personal tokens of each
scope instead of a session, plus what only tokens have (scopes, revocation, expiry)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.services import create_token, revoke_token
from tests.security.sitemap import PRIVATE_TEXTS, ROLES, ROUTES, build_world, database_fingerprint, post_data
from tests.security.test_access import assert_no_leak, expected_statuses

pytestmark = pytest.mark.django_db

API_ROUTES = {name: variants for name, variants in ROUTES.items() if name.startswith("api:")}
# The schema describes the API; it shows no data, so it needs no scope.
DATA_ROUTES = {name: v for name, v in API_ROUTES.items() if name != "api:schema"}


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return build_world()


def token_client(world, role: str, scopes=("read", "write", "staff")) -> Client:
    user = world.user(role)
    if user is None:
        return Client()
    if not user.is_staff:
        scopes = [s for s in scopes if s != "staff"]
    _token, clear = create_token(user=user, name=f"{role} test", scopes=list(scopes))
    return Client(HTTP_AUTHORIZATION=f"Bearer {clear}")


def api_urls(world, routes=API_ROUTES):
    for name, variants in routes.items():
        for variant in variants:
            url = reverse(name, kwargs=variant.kwargs(world))
            yield name, url + ("?" + variant.query if variant.query else ""), variant


def token_statuses(audience: str, role: str) -> set[int]:
    """Like the session walk, but an API caller without a session is never sent to sign in."""
    allowed = expected_statuses(audience, role)
    if role == "anonymous":
        allowed = {401, 403, 404, 405} if audience != "public" else allowed
    return allowed


def test_the_site_map_covers_every_api_route():
    from tests.security.sitemap import walk_url_patterns

    names = {p.name for p in walk_url_patterns() if (p.name or "").startswith("api:")}
    assert names == set(API_ROUTES)


@pytest.mark.parametrize("role", ROLES)
def test_every_api_route_answers_a_token_only_what_the_role_may_see(world, role):
    client = token_client(world, role)
    problems = []
    for name, url, variant in api_urls(world):
        response = client.get(url, HTTP_ACCEPT="application/json")
        allowed = variant.expect.get(role) or token_statuses(variant.audience, role)
        if response.status_code not in allowed:
            problems.append(f"{role} GET {url} ({name}): {response.status_code}, expected {sorted(allowed)}")
        assert_no_leak(role, url, response.content.decode(errors="replace"))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ["anonymous", "asker", "other"])
def test_outsiders_posting_with_tokens_change_nothing(world, role):
    client = token_client(world, role)
    problems = []
    for name, url, variant in api_urls(world):
        if role not in variant.outsiders:
            continue
        before = database_fingerprint()
        response = client.post(url, post_data(world), content_type="application/json")
        if response.status_code not in (401, 403, 404):
            problems.append(f"{role} POST {url} ({name}): {response.status_code}")
        if database_fingerprint() != before:
            problems.append(f"{role} POST {url} ({name}) changed the database")
        assert_no_leak(role, url, response.content.decode(errors="replace"))
    assert not problems, "\n".join(problems)


def test_a_token_without_the_read_scope_reads_nothing(world):
    client = token_client(world, "staff", scopes=["write"])
    for name, url, variant in api_urls(world, DATA_ROUTES):
        if variant.audience == "action":
            continue
        assert client.get(url).status_code == 403, url


def test_a_read_only_token_cannot_ask_answer_or_work_tickets(world):
    client = token_client(world, "staff", scopes=["read"])
    before = database_fingerprint()
    assert client.post(reverse("api:threads"), {"title": "A read-only token asks", "body": "Should fail here.",
                                                "category": world.category.slug}, content_type="application/json").status_code == 403
    assert client.post(reverse("api:thread_answers", args=[world.public_thread.pk]), {"body": "Not allowed to post."},
                       content_type="application/json").status_code == 403
    for name in ("api:ticket_claim", "api:ticket_resolve", "api:ticket_notes"):
        assert client.post(reverse(name, args=[world.ticket.pk]), {"body": "note"},
                           content_type="application/json").status_code == 403, name
    assert database_fingerprint() == before


def test_staff_need_the_staff_scope_and_customers_never_get_it(world):
    client = token_client(world, "staff", scopes=["read", "write"])
    assert client.get(reverse("api:tickets")).status_code == 403
    assert client.get(reverse("api:ticket", args=[world.ticket.pk])).status_code == 403
    with pytest.raises(Exception):
        create_token(user=world.asker, name="sneaky", scopes=["read", "staff"])


def test_a_private_thread_is_invisible_in_every_api_list_and_search(world):
    for role in ("anonymous", "other"):
        client = token_client(world, role)
        for url in ("/api/v1/threads/", "/api/v1/threads/?q=Zanzibar", "/api/v1/threads/?q=marmalade",
                    f"/api/v1/members/{world.asker.username}/kudos/", "/api/v1/threads/?tag=walrusbilling"):
            text = client.get(url).content.decode()
            assert all(secret.lower() not in text.lower() for secret in PRIVATE_TEXTS), (role, url)
        assert client.get(f"/api/v1/threads/{world.private_thread.pk}/answers/").status_code == 404
        assert client.get(f"/api/v1/answers/{world.private_answer.pk}/").status_code == 404


def test_revoked_expired_and_unknown_tokens_are_refused(world):
    token, clear = create_token(user=world.asker, name="soon gone", scopes=["read"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert client.get(reverse("api:thread", args=[world.private_thread.pk])).status_code == 200
    revoke_token(token_id=token.pk, by=world.asker)
    assert client.get(reverse("api:threads")).status_code == 401
    expired, clear2 = create_token(user=world.asker, name="expired", scopes=["read"],
                                   expires_at=timezone.now() - timedelta(seconds=1))
    assert Client(HTTP_AUTHORIZATION=f"Bearer {clear2}").get(reverse("api:threads")).status_code == 401
    forged = clear[:-4] + "AAAA"
    assert Client(HTTP_AUTHORIZATION=f"Bearer {forged}").get(reverse("api:threads")).status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer nonsense").get(reverse("api:threads")).status_code == 401
    # A deactivated member's tokens stop working too.
    _t, clear3 = create_token(user=world.other, name="other's", scopes=["read"])
    world.other.is_active = False
    world.other.save(update_fields=["is_active"])
    assert Client(HTTP_AUTHORIZATION=f"Bearer {clear3}").get(reverse("api:threads")).status_code == 401


def test_the_session_browsable_api_still_needs_csrf_for_writes(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.asker)
    response = client.post(reverse("api:thread_answers", args=[world.public_thread.pk]), {"body": "Forged answer text"})
    assert response.status_code == 403
