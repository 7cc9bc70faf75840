"""Single sign-on configured from the environment, read in a fresh interpreter."""

import json

from tests.accounts.test_settings import _run

PRINT = ("import django, json; django.setup(); from django.conf import settings as s; "
         "print(json.dumps({'providers': s.SOCIALACCOUNT_PROVIDERS, 'password': s.ACCOUNT_PASSWORD_LOGIN}))")


def test_oidc_saml_and_the_password_toggle_come_from_the_environment(tmp_path):
    result = _run(
        ["-c", PRINT], DEBUG="true", PEERDESK_VAR_DIR=str(tmp_path), ACCOUNT_PASSWORD_LOGIN="false",
        OIDC_SERVER_URL="https://idp.example.com/realms/corp", OIDC_CLIENT_ID="peerdesk", OIDC_CLIENT_SECRET="s3",
        SAML_IDP_ENTITY_ID="https://idp.example.com/saml", SAML_IDP_METADATA_URL="https://idp.example.com/saml/metadata",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["password"] is False
    oidc = data["providers"]["openid_connect"]["APPS"][0]
    assert oidc["client_id"] == "peerdesk" and oidc["settings"]["server_url"] == "https://idp.example.com/realms/corp"
    saml = data["providers"]["saml"]["APPS"][0]
    assert saml["client_id"] == "company" and saml["settings"]["idp"]["metadata_url"].endswith("/metadata")
    assert saml["settings"]["advanced"]["want_assertion_signed"] is True


def test_without_the_environment_there_is_no_provider_and_password_sign_in_is_on(tmp_path):
    result = _run(["-c", PRINT], DEBUG="true", PEERDESK_VAR_DIR=str(tmp_path))
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data == {"providers": {}, "password": True}
