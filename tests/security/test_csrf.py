"""CSRF: every URL of the site (walked from the URL conf through tests/security/sitemap.py)
refuses a POST without a token, state-changing views refuse GET, and every form the site
renders carries the token."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.sitemap import ALLAUTH_PAGES, ROUTES, admin_url, build_world, database_fingerprint, post_data, walk_url_patterns

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def csrf_client(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def site_urls(world):
    for name, variants in ROUTES.items():
        for variant in variants:
            url = reverse(name, kwargs=variant.kwargs(world))
            yield name, url + ("?" + variant.query if variant.query else ""), variant


@pytest.mark.parametrize("role", ["asker", "staff", "admin"])
def test_every_site_url_refuses_a_post_without_a_token_and_changes_nothing(world, role):
    """Signed in as someone who may act (the asker owns the private thread, staff work the
    queue, the admin may do everything), a forged POST is still refused."""
    client = csrf_client(getattr(world, role))
    before = database_fingerprint()
    for name, url, _variant in site_urls(world):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.post(url, post_data(world), headers=headers)
            assert response.status_code == 403, f"{name} {url} answered {response.status_code} without a token"
    assert database_fingerprint() == before


def test_a_refused_post_shows_the_styled_csrf_page(world):
    response = csrf_client(world.asker).post(reverse("community:answer", args=[world.public_thread.pk]), {"body": "Hi there"})
    assert response.status_code == 403
    assert b"This form has expired" in response.content


def test_allauth_and_admin_forms_refuse_a_post_without_a_token(world):
    anonymous = csrf_client()
    for name, page in ALLAUTH_PAGES.items():
        url = reverse(name, kwargs=page.kwargs)
        response = anonymous.post(url, {"login": world.asker.email, "password": "correct-horse-battery-staple",
                                        "email": "x@example.com"})
        if page.csrf_exempt:  # the IdP's cross-site post: refused unless signed (checked below)
            assert response.status_code in (302, 400), url
            continue
        assert response.status_code == 403, url
    assert "_auth_user_id" not in anonymous.session
    admin = csrf_client(world.admin)
    before = database_fingerprint()
    for pattern in walk_url_patterns():
        if pattern.namespace == "admin":
            url = admin_url(pattern, world)
            assert admin.post(url, {"post": "yes", "title": "Changed"}).status_code == 403, url
    assert database_fingerprint() == before


@pytest.mark.parametrize("role", ["anonymous", "asker", "other", "staff", "admin"])
def test_state_changing_views_refuse_get_and_no_page_changes_anything_on_get(world, role):
    client = Client()
    if role != "anonymous":
        client.force_login(getattr(world, role))
    before = database_fingerprint()
    for name, url, variant in site_urls(world):
        response = client.get(url)
        if variant.audience == "action":
            allowed = {405} if role != "anonymous" else {302, 405}
            assert response.status_code in allowed, f"{role} GET {url} ({name}): {response.status_code}"
    assert database_fingerprint() == before


class _Forms(HTMLParser):
    """POST forms and whether each carries the CSRF token; whether htmx posts have it."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.hx_post = False
        self.hx_token = False
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if any(k in attrs for k in ("hx-post", "hx-put", "hx-patch", "hx-delete")):
            self.hx_post = True
        if "X-CSRFToken" in (attrs.get("hx-headers") or ""):
            self.hx_token = True
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._open = {"action": attrs.get("action"), "token": False}
            self.forms.append(self._open)
        if tag == "input" and attrs.get("name") == "csrfmiddlewaretoken" and self._open is not None:
            self._open["token"] = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


@pytest.mark.parametrize("role", ["asker", "staff", "admin"])
def test_every_post_form_and_htmx_post_on_the_site_carries_the_token(world, role):
    client = Client()
    client.force_login(getattr(world, role))
    seen = 0
    for name, url, variant in site_urls(world):
        if variant.audience == "action":
            continue
        response = client.get(url, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _Forms()
        parser.feed(response.content.decode())
        for form in parser.forms:
            seen += 1
            assert form["token"], f"a POST form to {form['action']} on {url} has no CSRF token"
        if parser.hx_post:
            assert parser.hx_token, f"{url} sends htmx POSTs without the X-CSRFToken header"
    assert seen > 10
