"""Who may use /manage/: members holding ``console.manage_community`` (through the
"Community managers" group, or given directly) and superusers. A role of its own: support
staff (is_staff) do not have it unless also given it.

``can_manage`` asks the database (through Django's permission backend); ``shows_manage_link``
answers the header from the member's session (worked out at sign-in, and again after any role
change, which moves a version in the cache), so a page does not pay permission queries for a
link.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.core.exceptions import PermissionDenied

PERMISSION = "console.manage_community"
GROUP_NAME = "Community managers"
VERSION_KEY = "console:roles:version"


def can_manage(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm(PERMISSION))


def check_can_manage(user) -> None:
    """403 for everyone signed in without the role (views send anonymous visitors to sign in
    first)."""
    if not can_manage(user):
        raise PermissionDenied("Only community managers can open these pages.")


def is_manager_role(user) -> bool:
    """Whether the member holds the community-manager role itself (the group or the
    permission given directly), as opposed to a superuser's implicit everything."""
    if user.groups.filter(name=GROUP_NAME).exists():
        return True
    return user.user_permissions.filter(codename="manage_community", content_type__app_label="console").exists()


def _version() -> str | None:
    """The roles version: moved by every role change; None when the cache lost it."""
    return cache.get(VERSION_KEY)


def forget_roles() -> None:
    """Someone's roles changed: every cached header answer is stale."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


SESSION_KEY = "console_manage_link"


def remember_manage_link(request, user) -> bool:
    """Work out (permission queries) whether the header links this member to /manage/ and keep
    the answer in their session with the current roles version. Called at sign-in, so a page
    view normally reads only the session it has loaded anyway."""
    answer = can_manage(user)
    if hasattr(request, "session"):
        request.session[SESSION_KEY] = [_version(), answer]
    return answer


def shows_manage_link(request) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return user.is_active
    stored = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    current = _version()
    # A cache that lost the version (flushed, Redis restarted) keeps the session's answer: it
    # only decides whether a link shows; /manage/ itself always asks the database.
    if stored and (current is None or stored[0] == current):
        return bool(stored[1])
    return remember_manage_link(request, user)
