"""The "Community expert" badge next to an active expert's name (accounts.badges), and which
threads ever had an expert offer.

A badge provider runs for every rendered name and must not query the database, so the set of
active experts' user ids (and, from the same query, the ids of threads with an offer, so a
thread page without one spends no query on the experts panel or labels) is kept in the process and reloaded when its version in the shared
cache changes (like kudos' rank table). experts.middleware marks each request so the version
is read once per request, however many names a page shows; outside a request (workers, shell,
tests) every call reads it: one cache read, still no query.
"""

from __future__ import annotations

import contextvars
import threading
import uuid

from django.core.cache import cache

from accounts.badges import Badge

VERSION_KEY = "experts:badges:version"

_lock = threading.Lock()
_state: dict = {"version": None, "ids": None, "offer_threads": None}
# None outside a request; False at the start of one, True once its version was read.
_checked: contextvars.ContextVar[bool | None] = contextvars.ContextVar("experts_badges_checked", default=None)


def start_request():
    return _checked.set(False)


def end_request(token) -> None:
    _checked.reset(token)

BADGE = Badge(label="Community expert", css_class="badge-expert", title="A community expert vetted by our team")


def expert_ids_changed() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    if _checked.get() is not None:
        _checked.set(False)


def _active_ids() -> frozenset:
    return _current()["ids"]


def _current() -> dict:
    if _checked.get():
        with _lock:
            if _state["ids"] is not None:
                return dict(_state)
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY) or "unversioned"
    if _checked.get() is not None:
        _checked.set(True)
    with _lock:
        if version == _state["version"] and _state["ids"] is not None:
            return dict(_state)
    from django.db.models import IntegerField, Value

    from experts.models import Expert, Offer

    experts = Expert.objects.filter(status=Expert.Status.ACTIVE).order_by().annotate(
        k=Value(1, output_field=IntegerField())).values_list("k", "user_id")
    offers = Offer.objects.order_by().annotate(k=Value(2, output_field=IntegerField())).values_list("k", "thread_id")
    rows = list(experts.union(offers, all=True))
    loaded = {
        "version": version,
        "ids": frozenset(pk for kind, pk in rows if kind == 1),
        "offer_threads": frozenset(pk for kind, pk in rows if kind == 2),
    }
    with _lock:
        _state.update(loaded)
    return loaded


def thread_has_offer(thread_id) -> bool:
    """Whether the thread was ever offered to experts, from the in-process set (no query)."""
    return thread_id in _current()["offer_threads"]


def is_active_expert_id(user_id) -> bool:
    """Whether this user is an active expert, from the in-process set (no query)."""
    return user_id in _active_ids()


def expert_badges(user) -> list[Badge]:
    if user.is_staff:
        return []
    return [BADGE] if user.pk in _active_ids() else []
