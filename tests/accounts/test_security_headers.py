import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/u/nobody-at-all/"])
def test_every_response_carries_a_nonce_based_content_security_policy(client, path):
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert "object-src 'none'" in policy
    assert "base-uri 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_script_tags_carry_the_nonce_named_in_the_policy(client):
    response = client.get("/accounts/login/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    tags = re.findall(rb"<script[^>]*>", response.content)
    assert tags
    for tag in tags:
        assert f'nonce="{nonce}"'.encode() in tag


def test_not_found_page_is_styled_and_carries_the_policy(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"We couldn't find that page" in response.content
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_post_without_csrf_token_is_refused_with_a_clear_page(member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post("/settings/profile/", {"display_name": "x"})
    assert response.status_code == 403
    assert b"This form has expired" in response.content
    member.refresh_from_db()
    assert member.display_name != "x"
