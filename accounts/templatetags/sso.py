from django import template

from accounts.adapters import password_login_enabled

register = template.Library()


@register.simple_tag
def password_login() -> bool:
    """Whether the sign-in page offers email and password (ACCOUNT_PASSWORD_LOGIN)."""
    return password_login_enabled()
