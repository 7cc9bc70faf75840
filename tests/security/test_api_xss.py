"""XSS through issue 17's inputs: token names on the token page, and what the API returns for
payloads posted through it (JSON, never HTML; the site's pages show them as inert text)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from api.services import create_token
from tests.security.test_xss import PAYLOADS, assert_safe, get_safe

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("payload", PAYLOADS[:12])
def test_token_names_are_shown_inert(payload, member, client):
    client.force_login(member)
    response = client.post(reverse("api_tokens:list"), {"name": payload[:80], "scopes": ["read"]})
    assert response.status_code in (200, 400)
    assert_safe(response.content.decode(), "/settings/api-tokens/")
    get_safe(client, reverse("api_tokens:list"))


@pytest.mark.parametrize("payload", PAYLOADS[:12])
def test_payloads_posted_through_the_api_come_back_as_json_and_inert_on_the_site(payload, member, category):
    _token, clear = create_token(user=member, name="xss", scopes=["read", "write"])
    api = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    title = f"Help {payload}"[:150]
    title = title if len(title) >= 10 else title + " please help"
    response = api.post(reverse("api:threads"), {"title": title, "body": f"Details {payload}", "category": category.slug,
                                                 "tags": "xss"}, content_type="application/json")
    assert response.status_code in (201, 400), response.content
    assert response["Content-Type"] == "application/json" and response["X-Content-Type-Options"] == "nosniff"
    if response.status_code == 201:
        thread_url = response.json()["url"]
        get_safe(Client(), thread_url if thread_url.endswith("/") else thread_url + "/", follow=True)
