"""Identity providers configured in the admin's way (SocialApp rows), for the tests."""

from __future__ import annotations

from tests.accounts.sso import saml_idp

OIDC_PROVIDER_ID = "company"
SAML_ORG = "company"


def make_oidc_app(*, server_url: str = "http://127.0.0.1:9/o", client_id: str = "peerdesk", secret: str = "s3cret"):
    from allauth.socialaccount.models import SocialApp

    return SocialApp.objects.create(
        provider="openid_connect",
        provider_id=OIDC_PROVIDER_ID,
        name="Company sign-in",
        client_id=client_id,
        secret=secret,
        settings={"server_url": server_url, "oauth_pkce_enabled": True},
    )


def make_saml_app(*, cert_pem: str | None = None):
    from allauth.socialaccount.models import SocialApp

    return SocialApp.objects.create(
        provider="saml",
        provider_id="saml",
        name="Company SAML",
        client_id=SAML_ORG,
        settings={
            "idp": {
                "entity_id": saml_idp.IDP_ENTITY_ID,
                "sso_url": saml_idp.IDP_SSO_URL,
                "x509cert": cert_pem or saml_idp.idp_keys()[1],
            },
            "attribute_mapping": saml_idp.ATTRIBUTE_MAPPING,
            "advanced": {"want_assertion_signed": True, "reject_idp_initiated_sso": True, "allow_single_label_domains": True},
        },
    )


def make_sso_apps():
    return make_oidc_app(), make_saml_app()
