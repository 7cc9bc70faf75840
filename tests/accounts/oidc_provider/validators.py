from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """Adds the standard profile and email claims, with email_verified as configured per member."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "email_verified": "email"}

    def get_additional_claims(self, request):
        user = request.user
        member = settings.MEMBERS.get(user.username, {})
        return {
            "email": user.email,
            "email_verified": bool(member.get("email_verified")),
            "name": member.get("name", ""),
            "preferred_username": user.username,
        }
