"""Who may call what through the API: the site's own rules (community.permissions,
escalation.permissions, Thread.objects.visible_to) plus the token's scopes.

A request signed in with a session (the browsable API) has every scope its account has; a
token has only those it was given: ``read`` for GET, ``write`` for asking and answering,
``staff`` for the ticket routes (and the account must be staff as well).
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from api.models import ApiToken
from escalation.permissions import can_work_queue


def token_of(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


def has_scope(request, scope: str) -> bool:
    token = token_of(request)
    return token is None or token.allows(scope)


class ReadOrWriteScope(BasePermission):
    """GET needs ``read``; anything else needs ``write`` and a signed-in member."""

    message = "This token does not have the scope this call needs."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return has_scope(request, "read")
        return bool(request.user and request.user.is_authenticated) and has_scope(request, "write")


class StaffScope(BasePermission):
    """Ticket routes: a staff account, and with a token the ``staff`` scope."""

    def has_permission(self, request, view) -> bool:
        return can_work_queue(request.user) and has_scope(request, "staff")
