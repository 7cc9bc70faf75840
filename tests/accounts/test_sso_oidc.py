"""Single sign-on through OpenID Connect, against a real provider: django-oauth-toolkit in its
own process (tests/accounts/oidc_provider), its key generated here, spoken to over HTTP by
allauth exactly as in production (discovery, authorization code with PKCE, token, JWKS)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.accounts.sso import oidc
from tests.accounts.sso.apps import make_oidc_app
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

MEMBERS = {
    "newcomer": {"email": "newcomer@corp.example", "name": "Nora Newcomer", "email_verified": True, "password": "idp-pw-1"},
    "linker": {"email": "linker@example.com", "name": "Lina Linker", "email_verified": True, "password": "idp-pw-2"},
    "squatter": {"email": "victim@example.com", "name": "Sam Squatter", "email_verified": False, "password": "idp-pw-3"},
    "unsure": {"email": "unsure@corp.example", "name": "Uma Unsure", "email_verified": False, "password": "idp-pw-4"},
    "carder": {"email": "carder@corp.example", "name": "Cal 4111 1111 1111 1111", "email_verified": True,
               "password": "idp-pw-5"},
}


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    started = oidc.start_provider(tmp_path_factory.mktemp("oidc"), MEMBERS)
    yield started
    started.stop()


@pytest.fixture
def oidc_app(provider, db):
    return make_oidc_app(server_url=provider.server_url, client_id=oidc.CLIENT_ID, secret=oidc.CLIENT_SECRET)


def sign_in(client, username: str):
    """The whole round trip; returns Peerdesk's answer to the provider's redirect back."""
    start = client.post(reverse("openid_connect_login", kwargs={"provider_id": "company"}))
    assert start.status_code == 302
    assert "/o/authorize/" in start["Location"] and "code_challenge=" in start["Location"]
    back = oidc.sign_in_at_provider(start["Location"], username=username, password=MEMBERS[username]["password"])
    assert back.startswith(oidc.CALLBACK)
    parsed = urlparse(back)
    return client.get(f"{parsed.path}?{parsed.query}")


def signed_in_user(client):
    return client.get("/").context["user"]


def test_first_sign_in_creates_the_member_with_the_providers_name_and_verified_email(client, oidc_app):
    response = sign_in(client, "newcomer")
    assert response.status_code == 302 and response["Location"] == "/"
    user = get_user_model().objects.get(email="newcomer@corp.example")
    assert signed_in_user(client) == user
    assert user.display_name == "Nora Newcomer"
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert SocialAccount.objects.get(user=user).provider == "company"


def test_an_unverified_provider_email_is_stored_unverified(client, oidc_app):
    sign_in(client, "unsure")
    user = get_user_model().objects.get(email="unsure@corp.example")
    assert signed_in_user(client) == user
    assert not EmailAddress.objects.get(user=user).verified


def test_existing_member_with_the_same_verified_email_is_linked_not_duplicated(client, oidc_app):
    existing = UserFactory(email="linker@example.com", username="linker_local")
    response = sign_in(client, "linker")
    assert response.status_code == 302
    assert signed_in_user(client) == existing
    assert get_user_model().objects.filter(email__iexact="linker@example.com").count() == 1
    assert SocialAccount.objects.get(provider="company").user == existing
    # A second sign-in goes straight through the link.
    client.logout()
    sign_in(client, "linker")
    assert signed_in_user(client) == existing


def test_an_unverified_provider_email_never_takes_over_an_existing_account(client, oidc_app):
    victim = UserFactory(email="victim@example.com", username="victim")
    response = sign_in(client, "squatter")
    # Not signed in as the victim: allauth asks the newcomer for another address instead.
    assert signed_in_user(client) != victim
    assert not SocialAccount.objects.filter(user=victim).exists()
    assert response.status_code == 302 and response["Location"] == reverse("socialaccount_signup")
    page = client.get(response["Location"])
    assert page.status_code == 200
    # Even choosing the victim's address on that form does not link or merge.
    taken = client.post(response["Location"], {"email": "victim@example.com", "username": "squatter"})
    assert taken.status_code == 200
    assert signed_in_user(client) != victim
    assert get_user_model().objects.filter(email__iexact="victim@example.com").count() == 1
    victim.refresh_from_db()
    assert victim.check_password(DEFAULT_PASSWORD)


def test_a_forged_callback_without_our_state_is_refused(client, oidc_app):
    response = client.get(reverse("openid_connect_callback", kwargs={"provider_id": "company"}) + "?code=x&state=y")
    assert response.status_code == 401
    assert not signed_in_user(client).is_authenticated


def test_password_sign_in_can_be_turned_off(client, oidc_app, settings, member):
    settings.ACCOUNT_PASSWORD_LOGIN = False
    page = client.get(reverse("account_login"))
    assert b"Sign in with Company sign-in" in page.content
    assert b'name="password"' not in page.content
    refused = client.post(reverse("account_login"), {"login": member.email, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 200
    assert b"Password sign-in is turned off" in refused.content
    assert not signed_in_user(client).is_authenticated
    signup = client.post(reverse("account_signup"), {"email": "n@example.com", "username": "n",
                                                     "password1": "a-long-unusual-passphrase",
                                                     "password2": "a-long-unusual-passphrase"})
    assert not get_user_model().objects.filter(email="n@example.com").exists()
    assert signup.status_code in (200, 302)
    # Single sign-on still works.
    sign_in(client, "newcomer")
    assert signed_in_user(client).email == "newcomer@corp.example"


def test_the_sign_in_confirmation_page_lets_its_form_lead_to_the_provider_only(client, oidc_app, provider):
    page = client.get(reverse("openid_connect_login", kwargs={"provider_id": "company"}))
    policy = page["Content-Security-Policy"]
    assert f"form-action 'self' {provider.base_url}" in policy
    assert provider.base_url not in client.get(reverse("account_login"))["Content-Security-Policy"]


def test_a_provider_configured_from_the_environment_works_without_an_admin_row(client, provider, settings, db):
    # What config/settings.py builds from OIDC_SERVER_URL / OIDC_CLIENT_ID / OIDC_CLIENT_SECRET.
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [{
        "provider_id": "company", "name": "Company sign-in", "client_id": oidc.CLIENT_ID,
        "secret": oidc.CLIENT_SECRET, "settings": {"server_url": provider.server_url},
    }]}}
    assert b"Sign in with Company sign-in" in client.get(reverse("account_login")).content
    sign_in(client, "newcomer")
    assert signed_in_user(client).email == "newcomer@corp.example"


def test_account_data_in_the_providers_name_is_masked_before_it_is_stored(client, oidc_app):
    sign_in(client, "carder")
    user = get_user_model().objects.get(email="carder@corp.example")
    assert "4111 1111 1111 1111" not in user.display_name and user.display_name.startswith("Cal")
