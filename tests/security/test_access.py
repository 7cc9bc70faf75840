"""Access control over every URL of the site, walked from the URL conf, for anonymous
visitors, the private thread's asker, another customer, staff and an admin.

Who may open what is declared in tests/security/sitemap.py; a URL added to the site without an
entry there fails test_every_url_pattern_is_covered.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.security.sitemap import (
    ALLAUTH_PAGES,
    ALLAUTH_REDIRECTS,
    INTERNAL_NOTE,
    PRIVATE_TEXTS,
    ROLES,
    ROUTES,
    STAFF_TEXTS,
    admin_url,
    build_world,
    database_fingerprint,
    post_data,
    walk_url_patterns,
)

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    # Emails go out after commit: run those callbacks as production would.
    with django_capture_on_commit_callbacks(execute=True):
        return build_world()


def client_for(world, role: str) -> Client:
    client = Client()
    user = world.user(role)
    if user is not None:
        client.force_login(user)
    return client


def may_see_private(role: str) -> bool:
    return role in ("asker", "staff", "admin")


def expected_statuses(audience: str, role: str) -> set[int]:
    if audience == "public":
        return {200}
    if audience == "member":
        return {302} if role == "anonymous" else {200}
    if audience == "owner":
        if role == "anonymous":
            return {302, 404}
        return {200} if may_see_private(role) else {404}
    if audience == "staff":
        if role in ("staff", "admin"):
            return {200}
        return {302, 403, 404}
    if audience == "manager":
        if role == "anonymous":
            return {302}
        return {200} if role in ("manager", "admin") else {403}
    if audience == "action":
        return {302, 405} if role == "anonymous" else {405}
    raise AssertionError(f"unknown audience {audience}")


def assert_no_leak(role: str, url: str, text: str) -> None:
    if not may_see_private(role):
        for secret in PRIVATE_TEXTS:
            assert secret.lower() not in text.lower(), f"{url} shows private text to {role}"
    if role not in ("staff", "admin"):
        for secret in STAFF_TEXTS:
            assert secret.lower() not in text.lower(), f"{url} shows a staff note to {role}"


def site_urls(world):
    """(name, url, variant) for every variant of every route in the site map."""
    for name, variants in ROUTES.items():
        for variant in variants:
            url = reverse(name, kwargs=variant.kwargs(world))
            if variant.query:
                url += "?" + variant.query
            yield name, url, variant


def test_every_url_pattern_is_covered():
    uncovered = []
    for pattern in walk_url_patterns():
        if pattern.namespace == "admin" or pattern.name in ALLAUTH_PAGES or pattern.name in ROUTES:
            continue
        if pattern.name is None and pattern.route in ALLAUTH_REDIRECTS:
            continue
        uncovered.append(pattern.key)
    assert not uncovered, (
        "These URL patterns have no entry in tests/security/sitemap.py ROUTES (who may open "
        f"them, and how to fill their arguments): {uncovered}"
    )
    stale = set(ROUTES) - {p.name for p in walk_url_patterns()}
    assert not stale, f"ROUTES names URLs that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_only_those_who_may_see_it(world, role):
    client = client_for(world, role)
    problems = []
    for name, url, variant in site_urls(world):
        response = client.get(url)
        allowed = variant.expect.get(role) or expected_statuses(variant.audience, role)
        if response.status_code not in allowed:
            problems.append(f"{role} GET {url} ({name}): {response.status_code}, expected one of {sorted(allowed)}")
            continue
        if response.status_code == 302 and role == "anonymous" and variant.audience != "public":
            assert response["Location"].startswith(LOGIN), url
        assert_no_leak(role, url, response.content.decode(errors="replace"))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_allauth_pages_never_fail_or_leak(world, role):
    client = client_for(world, role)
    problems = []
    for name, page in ALLAUTH_PAGES.items():
        url = reverse(name, kwargs=page.kwargs)
        response = client.get(url)
        expected = page.expect(role)
        status, location = expected if isinstance(expected, tuple) else (expected, None)
        got_location = response.get("Location") if response.status_code == 302 else None
        if response.status_code != status or (location and got_location != location):
            problems.append(f"{role} GET {url} ({name}, {page.why}): {response.status_code} {got_location or ''},"
                            f" expected {expected}")
        assert_no_leak(role, url, response.content.decode(errors="replace"))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ("anonymous", "asker"))
def test_allauth_legacy_addresses_redirect_to_their_pages(world, role):
    client = client_for(world, role)
    for route, target in ALLAUTH_REDIRECTS.items():
        response = client.get("/" + route)
        assert (response.status_code, response["Location"]) == (301, target), route


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_answers_only_staff_and_its_models_only_admins(world, role):
    client = client_for(world, role)
    problems = []
    for pattern in walk_url_patterns():
        if pattern.namespace != "admin":
            continue
        url = admin_url(pattern, world)
        response = client.get(url)
        status = response.status_code
        if pattern.name == "admin:login":
            ok = status in (200, 302)
        elif pattern.name == "admin:logout":
            ok = status in (302, 405)
        elif role in ("anonymous", "asker", "other", "manager"):
            ok = status == 302 and response["Location"].startswith(ADMIN_LOGIN)
        elif role == "staff":  # staff without model permissions: the admin shows them nothing
            ok = status in (200, 302, 403, 404)
            if status == 200 and pattern.name not in ("admin:index", "admin:jsi18n", "admin:password_change",
                                                       "admin:password_change_done"):
                ok = False
        else:
            # 403 where the admin is read-only on purpose (no add or delete: those go through
            # the services); 404 for an admin page that does not exist.
            ok = status in (200, 302) or (
                status == 403 and (pattern.name or "").endswith(("_add", "_delete", ":autocomplete"))
            ) or (status == 404 and pattern.name is None)
        if not ok:
            hint = " (a ModelAdmin's has_*_permission must also ask super())" if role == "staff" else ""
            problems.append(f"{role} GET {url} ({pattern.key}): {status}{hint}")
        if role in ("anonymous", "asker", "other", "manager"):
            assert_no_leak(role, url, response.content.decode(errors="replace"))
    assert not problems, "\n".join(problems)


def test_an_admin_sees_the_private_thread_in_the_admin(world):
    client = client_for(world, "admin")
    response = client.get(f"/admin/community/thread/{world.private_thread.pk}/change/")
    assert response.status_code == 200
    assert world.private_thread.title in response.content.decode()


@pytest.mark.parametrize("role", ["anonymous", "asker", "other", "staff", "manager"])
def test_outsiders_posting_to_private_or_staff_actions_change_nothing(world, role):
    client = client_for(world, role)
    problems = []
    for name, url, variant in site_urls(world):
        if role not in variant.outsiders:
            continue
        before = database_fingerprint()
        sent = len(mail.outbox)
        response = client.post(url, post_data(world), headers={"HX-Request": "true"} if "vote" in name else {})
        status = response.status_code
        refused = status in (401, 403, 404) or (status == 302 and response["Location"].startswith(LOGIN))
        if role != "anonymous" and status == 302:
            refused = variant.refused_with_redirect
        if not refused:
            problems.append(f"{role} POST {url} ({name}): {status}")
        if database_fingerprint() != before:
            problems.append(f"{role} POST {url} ({name}) changed the database")
        if len(mail.outbox) != sent:
            problems.append(f"{role} POST {url} ({name}) sent mail")
        assert_no_leak(role, url, response.content.decode(errors="replace"))
    assert not problems, "\n".join(problems)


def test_the_asker_sees_the_staff_answer_but_never_the_internal_note(world):
    client = client_for(world, "asker")
    html = client.get(world.private_thread.get_absolute_url()).content.decode()
    assert world.private_answer.body in html
    assert INTERNAL_NOTE not in html
    assert client.get(reverse("escalation:ticket", args=[world.ticket.pk])).status_code == 404


def test_staff_see_the_ticket_with_its_internal_note(world):
    client = client_for(world, "staff")
    html = client.get(reverse("escalation:ticket", args=[world.ticket.pk])).content.decode()
    assert INTERNAL_NOTE in html and world.private_thread.title in html


def test_the_private_thread_is_listed_nowhere_but_the_asker_still_finds_their_own(world):
    asker = client_for(world, "asker")
    html = asker.get(world.private_thread.get_absolute_url()).content.decode()
    assert world.private_thread.title in html
    # Lists stay public-only, even for the asker: private threads live on their own page.
    for path in ("/", "/search/?q=Zanzibar+quokka", f"/tags/{world.private_thread.tags.first().slug}/"):
        assert world.private_thread.title not in client_for(world, "other").get(path).content.decode()


def test_no_email_carries_private_text_to_anyone_but_the_asker_and_staff(world):
    allowed = {world.asker.email, world.staff.email, world.admin.email}
    assert mail.outbox, "building the world sends mail (the staff answer to the asker)"
    for message in mail.outbox:
        recipients = set(message.to) | set(message.cc) | set(message.bcc)
        if recipients <= allowed:
            continue
        parts = [message.subject, message.body] + [content for content, _ in getattr(message, "alternatives", [])]
        text = "\n".join(str(p) for p in parts)
        for secret in PRIVATE_TEXTS + STAFF_TEXTS:
            assert secret.lower() not in text.lower(), f"mail to {recipients} carries private text"


def test_a_thread_that_becomes_private_disappears_from_everything_others_see(world, client):
    from community import services

    thread = world.public_thread
    services.edit_question(user=world.other, thread=thread, title=thread.title, body=thread.body, is_private=True)
    client.force_login(world.asker)
    assert client.get(thread.get_absolute_url()).status_code == 404
    for path in ("/", "/search/?q=calendar+sync", "/tags/sync/", f"/u/{world.other.username}/", "/kudos/leaderboard/"):
        html = client.get(path).content.decode()
        assert thread.title not in html and f'href="/t/{thread.pk}/' not in html, path


def test_a_thread_made_private_is_gone_at_once_for_anonymous_visitors_too(world):
    """Anonymous pages may be served from a cache: making a thread private must still take it
    off every page at once."""
    from community import services

    thread = world.public_thread
    anonymous = Client()
    pages = [thread.get_absolute_url(), "/", "/search/?q=calendar+sync", "/tags/sync/", f"/c/{world.category.slug}/"]
    link = f'href="/t/{thread.pk}/'  # search highlights words, so look for the link, not the title
    for path in pages:  # seen (and perhaps cached) while public
        assert thread.title in anonymous.get(path).content.decode() or path != pages[0], path
        assert link in anonymous.get(path).content.decode() or path == pages[0], path
    services.edit_question(user=world.other, thread=thread, title=thread.title, body=thread.body, is_private=True)
    assert anonymous.get(thread.get_absolute_url()).status_code == 404
    for path in pages[1:]:
        assert link not in anonymous.get(path).content.decode(), f"{path} still lists the thread made private"


def test_every_page_is_served_with_a_nonce_that_matches_its_scripts(world):
    """Cached or not, the CSP header names the nonce the page's scripts carry. Signed-in
    members always get a fresh nonce; anonymous visitors may share a stored copy of a page
    (community.pagecache), whose body is fixed, so nothing can be injected into it later."""
    import re

    def nonce(response):
        return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)

    members = [client_for(world, "asker"), client_for(world, "other")]
    for path in ("/", world.public_thread.get_absolute_url(), "/accounts/login/", "/search/?q=sync"):
        for client in (Client(), Client(), *members):
            response = client.get(path)
            if response.status_code != 200:
                continue  # the sign-in page sends members home
            scripts = re.findall(rb"<script[^>]*>", response.content)
            assert scripts and all(f'nonce="{nonce(response)}"'.encode() in tag for tag in scripts), path
        assert nonce(members[0].get("/")) != nonce(members[1].get("/"))
