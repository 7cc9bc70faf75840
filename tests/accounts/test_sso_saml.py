"""Single sign-on through SAML 2.0: responses whose assertions are signed in the test with
python3-saml's own signing (xmlsec), posted to the assertion consumer service as an IdP would."""

from __future__ import annotations

import base64

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.accounts.sso import saml_idp
from tests.accounts.sso.apps import SAML_ORG, make_saml_app
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACS = f"http://testserver/accounts/saml/{SAML_ORG}/acs/"
AUDIENCE = f"http://testserver/accounts/saml/{SAML_ORG}/metadata/"


@pytest.fixture
def saml_app(db):
    return make_saml_app()


def start(client) -> str:
    response = client.post(reverse("saml_login", kwargs={"organization_slug": SAML_ORG}))
    assert response.status_code == 302 and response["Location"].startswith(saml_idp.IDP_SSO_URL)
    return saml_idp.request_id_from_redirect(response["Location"])


def post_response(client, saml_response: str):
    stored = client.post(ACS, {"SAMLResponse": saml_response})
    assert stored.status_code == 302
    return client.get(stored["Location"])


def assertion(request_id: str, **overrides) -> str:
    values = dict(
        acs_url=ACS, audience=AUDIENCE, in_response_to=request_id, subject="emp-1001",
        email="ada@corp.example", name="Ada Lovelace", email_verified=True,
    )
    return saml_idp.signed_response(**{**values, **overrides})


def signed_in_user(client):
    return client.get("/").context["user"]


def test_signed_assertion_creates_the_member(client, saml_app):
    response = post_response(client, assertion(start(client)))
    assert response.status_code == 302 and response["Location"] == "/"
    user = signed_in_user(client)
    assert user.email == "ada@corp.example"
    assert user.display_name == "Ada Lovelace"
    assert EmailAddress.objects.get(user=user).verified
    assert SocialAccount.objects.get(user=user).uid == "emp-1001"


def test_verified_email_links_the_existing_member(client, saml_app):
    existing = UserFactory(email="ada@corp.example")
    post_response(client, assertion(start(client)))
    assert signed_in_user(client) == existing
    assert get_user_model().objects.filter(email__iexact="ada@corp.example").count() == 1


def test_unverified_email_never_takes_over_an_existing_account(client, saml_app):
    victim = UserFactory(email="ada@corp.example")
    response = post_response(client, assertion(start(client), email_verified=False))
    assert signed_in_user(client) != victim
    assert response["Location"] == reverse("socialaccount_signup")
    assert not SocialAccount.objects.filter(user=victim).exists()


def test_assertion_signed_with_another_key_is_refused(client, saml_app):
    forged = assertion(start(client), keys=saml_idp.make_keys("evil.example"))
    response = post_response(client, forged)
    assert response.status_code == 401
    assert not signed_in_user(client).is_authenticated


def test_tampered_assertion_is_refused(client, saml_app):
    xml = base64.b64decode(assertion(start(client))).decode()
    tampered = base64.b64encode(xml.replace("ada@corp.example", "boss@example.com").encode()).decode()
    UserFactory(email="boss@example.com")
    response = post_response(client, tampered)
    assert response.status_code == 401
    assert not signed_in_user(client).is_authenticated


def test_an_unsolicited_assertion_is_refused(client, saml_app):
    start(client)
    response = post_response(client, assertion("_never-requested"))
    assert response.status_code == 403
    assert not signed_in_user(client).is_authenticated


def test_metadata_describes_our_service_provider(client, saml_app):
    response = client.get(reverse("saml_metadata", kwargs={"organization_slug": SAML_ORG}))
    assert response.status_code == 200
    assert ACS.encode() in response.content
