"""Who may use /manage/: members holding ``console.manage_community`` (through the
"Community managers" group, or given directly) and superusers. A role of its own: support
staff (is_staff) do not have it unless also given it.

``can_manage`` asks the database (through Django's permission backend); ``shows_manage_link``
answers the header from the cache, so a page does not pay two permission queries for a link.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.core.exceptions import PermissionDenied

PERMISSION = "console.manage_community"
GROUP_NAME = "Community managers"
_VERSION_KEY = "console:roles:version"
_LINK_KEY = "console:manage-link:{version}:{user_id}"


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


def _version() -> str:
    version = cache.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(_VERSION_KEY) or "0"
    return version


def forget_roles() -> None:
    """Someone's roles changed: every cached header answer is stale."""
    cache.set(_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def shows_manage_link(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return user.is_active
    key = _LINK_KEY.format(version=_version(), user_id=user.pk)
    answer = cache.get(key)
    if answer is None:
        answer = int(can_manage(user))
        cache.set(key, answer, timeout=24 * 3600)
    return bool(answer)
