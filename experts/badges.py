"""The "Community expert" badge next to an active expert's name (accounts.badges).

A badge provider runs for every rendered name and must not query the database, so the set of
active experts' user ids is kept in the process and reloaded when its version in the shared
cache changes (like kudos' rank table); the version is read at most once a second per process.
"""

from __future__ import annotations

import threading
import time
import uuid

from django.core.cache import cache

from accounts.badges import Badge

VERSION_KEY = "experts:badges:version"
CHECK_EVERY_SECONDS = 1.0

_lock = threading.Lock()
_state: dict = {"version": None, "ids": None, "checked": 0.0}

BADGE = Badge(label="Community expert", css_class="badge-expert", title="A community expert vetted by our team")


def expert_ids_changed() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    with _lock:
        _state["checked"] = 0.0


def _active_ids() -> frozenset:
    now = time.monotonic()
    with _lock:
        fresh = now - _state["checked"] < CHECK_EVERY_SECONDS and _state["ids"] is not None
        if fresh:
            return _state["ids"]
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY) or "unversioned"
    with _lock:
        if version == _state["version"] and _state["ids"] is not None:
            _state["checked"] = now
            return _state["ids"]
    from experts.models import Expert

    ids = frozenset(Expert.objects.filter(status=Expert.Status.ACTIVE).values_list("user_id", flat=True))
    with _lock:
        _state.update(version=version, ids=ids, checked=now)
    return ids


def expert_badges(user) -> list[Badge]:
    if user.is_staff:
        return []
    return [BADGE] if user.pk in _active_ids() else []
