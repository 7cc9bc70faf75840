"""allauth adapters: who may sign in with a password, and what single sign-on fills in.

Single sign-on (OpenID Connect, SAML 2.0) goes through allauth's socialaccount. A first sign-in
creates the member with the display name and email the identity provider sent; the address is
stored as verified only when the provider says it is (OIDC ``email_verified``, a SAML
``email_verified`` attribute). An existing member is linked only through such a verified
address (SOCIALACCOUNT_EMAIL_AUTHENTICATION looks at verified addresses only); an unverified
address that belongs to someone else never signs anyone into that account: the newcomer is
asked for another address on allauth's sign-up form instead.
"""

from __future__ import annotations

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError

from accounts import hooks
from accounts.adapter import AccountAdapter as NameRulesAdapter

DISPLAY_NAME_MAX = 60
PASSWORD_LOGIN_OFF = "Password sign-in is turned off here: use your company's sign-in button below."


def password_login_enabled() -> bool:
    return bool(getattr(settings, "ACCOUNT_PASSWORD_LOGIN", True))


class AccountAdapter(NameRulesAdapter):
    """The name rules (accounts.adapter: no lookalike usernames) plus password sign-in that
    can be turned off."""

    def is_open_for_signup(self, request) -> bool:
        # Local sign-up makes a password account: closed with password sign-in.
        return password_login_enabled() and super().is_open_for_signup(request)

    def pre_authenticate(self, request, **credentials) -> None:
        if not password_login_enabled() and "password" in credentials:
            raise ValidationError(PASSWORD_LOGIN_OFF, code="password_login_off")
        super().pre_authenticate(request, **credentials)

    def reauthenticate(self, user, password: str) -> bool:
        return password_login_enabled() and super().reauthenticate(user, password)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        # The company's identity provider decides who is a customer.
        return True

    def populate_user(self, request, sociallogin, data):
        """The provider's name becomes the display name, masked like any name a member types
        (accounts.hooks); a provider username holding account data is dropped, so allauth
        makes one up instead (usernames are public and can't be masked)."""
        user = super().populate_user(request, sociallogin, data)
        name = data.get("name") or " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        name = " ".join(str(name or "")[:1000].split())[:DISPLAY_NAME_MAX]
        user.display_name, _findings = hooks.mask_text(name, max_chars=DISPLAY_NAME_MAX)
        try:
            hooks.validate_no_account_data(str(user.username or "")[:150])
        except ValidationError:
            user.username = ""
        return user
