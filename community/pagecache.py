"""Whole pages for anonymous visitors, stored in the shared cache and invalidated by versions.

Most readers arrive from search engines, signed out, and read the same few pages. For them a
public page (thread, list, tag, category, tag index, search) is rendered once and then served
from the cache by AnonymousPageCacheMiddleware, which sits near the top of the middleware stack
so a hit costs one cache round trip and no query.

Who is served from it: a GET without a session cookie and without a messages cookie (anyone
who has signed in, or has a message waiting, has one of them), and not an htmx request.
Responses are stored only when they are a 200 that set no cookie and hold no CSRF token, so a
member's page, a message or a CSRF cookie can never be stored or served to someone else.

Invalidation: every stored page carries the versions it was rendered under: the site version
(member names and ranks, categories, tags) plus, for a thread page, that thread's version, or,
for a list page, the lists version. A change bumps the versions it affects (the receivers at the
bottom, wired in CommunityConfig.ready) and every page stored under an older version is simply
never served again. Versions are random tokens, not counters, so a version evicted from the
cache can never come back with an old value. The versions are read before the page is
rendered: a page rendered while a change was being committed is stored under the old version
and never served. Versions are bumped at once and again after the commit, so a reader can
never store data that was read before the commit under the new version.

CSP: a page carries a per-response nonce, and the cached copy keeps its body and its headers
together, so the Content-Security-Policy header always matches the nonce in the body. The nonce
is shared by the anonymous visitors of one version of the page; the page's only nonce'd script
is our own site.js (allowed by 'self' anyway), and any change to the page (which is how
user content gets into it) renders it again with a fresh nonce.

``ANONYMOUS_PAGE_CACHE_SECONDS`` bounds how long a page lives: times such as "3 minutes ago"
and a member's rank badge after their points change elsewhere (community knows nothing of
kudos) are allowed to be that old. 0 turns caching off, also for the list aggregates cached by
cached_for_lists.
"""

from __future__ import annotations

import hashlib
import uuid
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

SITE_KEY = "pagecache:v:site"
LISTS_KEY = "pagecache:v:lists"
# Which threads are listed (asked, deleted, hidden, restored, retagged): what the sidebar's
# counts and the unfiltered list count depend on. Votes and answers leave it alone.
COUNTS_KEY = "pagecache:v:counts"
THREAD_KEY = "pagecache:v:thread:{pk}"
PAGE_KEY = "pagecache:page:{digest}"
HEADER = "X-Page-Cache"

LIST = "list"
THREAD = "thread"


def anonymous_page(kind: str = LIST, *, thread_kwarg: str = "pk"):
    """Mark a view's pages as cacheable for anonymous visitors. ``kind`` is LIST (invalidated
    by any community change) or THREAD (invalidated by changes to the thread whose pk is the
    URL keyword ``thread_kwarg``)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, **kwargs)

        wrapper.anonymous_page_cache = (kind, thread_kwarg)
        return wrapper

    return decorate


def _seconds() -> int:
    return int(getattr(settings, "ANONYMOUS_PAGE_CACHE_SECONDS", 0) or 0)


# --- Versions -----------------------------------------------------------------------------------


def _bump(*keys: str) -> None:
    cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)


def _bump_now_and_on_commit(*keys: str) -> None:
    _bump(*keys)
    if _seconds() > 0:  # no page is stored while the page cache is off
        transaction.on_commit(lambda: _bump(*keys))


def thread_changed(thread_id: int | None, *, listing: bool = False) -> None:
    """A thread changed: its page and every list (order, counters, solved badges) are stale;
    with ``listing``, also which threads are listed and under which tags."""
    keys = [LISTS_KEY, COUNTS_KEY] if listing else [LISTS_KEY]
    if thread_id:
        keys.append(THREAD_KEY.format(pk=thread_id))
    _bump_now_and_on_commit(*keys)


def site_changed() -> None:
    """Something shown on every page changed (a member's name or rank, a category, a tag)."""
    _bump_now_and_on_commit(SITE_KEY, LISTS_KEY, COUNTS_KEY)


def site_version() -> str:
    """The current site version (bumped by site_changed()), for caches outside this module."""
    return _current_versions([SITE_KEY], cache.get_many([SITE_KEY]))[0]


def _current_versions(keys: list[str], found: dict) -> tuple:
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, uuid.uuid4().hex, timeout=None)
        found = {**found, **cache.get_many(missing)}
    return tuple(found.get(key) for key in keys)


def cached_for_lists(name: str, compute, *, timeout: int = 300, counts_only: bool = False):
    """``compute()``, cached until the next change to any list (the lists and site versions),
    or with ``counts_only`` until the next change to which threads are listed (a vote or an
    answer does not count): for aggregates shown beside lists (category counts, popular tags,
    list counts) whose queries grow with the community. Off (computed every time) while the
    page cache is off."""
    if _seconds() <= 0:
        return compute()
    keys = [SITE_KEY, COUNTS_KEY if counts_only else LISTS_KEY]
    versions = _current_versions(keys, cache.get_many(keys))
    key = f"pagecache:lists:{name}:{versions[0]}:{versions[1]}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


# --- Middleware ---------------------------------------------------------------------------------


# The parameters the cached pages read (lists, tag and category pages, search). A page asked
# for with any other, or with a long query string, is rendered and not stored: every distinct
# query string is a copy of its own, and made-up ones (?x=1, ?x=2, ...) would let anyone fill
# the cache and evict the pages readers need.
CACHED_PARAMETERS = frozenset({"page", "show", "sort", "category", "tag", "mine", "q", "solved", "date"})
MAX_CACHED_QUERY = 300


def _cacheable_query(request: HttpRequest) -> bool:
    query = request.META.get("QUERY_STRING", "")
    return not query or (len(query) <= MAX_CACHED_QUERY and CACHED_PARAMETERS.issuperset(request.GET))


def _eligible(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and "HTTP_HX_REQUEST" not in request.META
        and _seconds() > 0
        and _cacheable_query(request)
    )


def _visitor_time_zone(request: HttpRequest) -> str:
    from accounts import timezones

    return timezones.valid(request.COOKIES.get(timezones.COOKIE))


def _storable(request: HttpRequest, response) -> bool:
    user = getattr(request, "user", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Set-Cookie")
        and "no-store" not in response.get("Cache-Control", "")
        and "private" not in response.get("Cache-Control", "")
        and (user is None or not user.is_authenticated)
        and b"csrfmiddlewaretoken" not in response.content
    )


class AnonymousPageCacheMiddleware:
    """Serve and store whole pages for anonymous visitors (see the module docstring). Put it
    after SecurityMiddleware and WhiteNoise and before everything else, CSP included, so the
    stored headers include the CSP header that matches the stored body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if not _eligible(request):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        marker = getattr(match.func, "anonymous_page_cache", None)
        if marker is None:
            return self.get_response(request)
        kind, thread_kwarg = marker
        if kind == THREAD:
            version_keys = [SITE_KEY, THREAD_KEY.format(pk=match.kwargs.get(thread_kwarg))]
        else:
            version_keys = [SITE_KEY, LISTS_KEY]
        full_path = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
        # Times are rendered in the visitor's zone (accounts.timezones): one copy per zone.
        full_path += "#tz=" + _visitor_time_zone(request)
        page_key = PAGE_KEY.format(digest=hashlib.sha256(full_path.encode()).hexdigest())
        found = cache.get_many([page_key, *version_keys])
        versions = _current_versions(version_keys, found)
        entry = found.get(page_key)
        if entry is not None and entry.get("versions") == versions:
            response = HttpResponse(entry["content"], status=entry["status"])
            for name, value in entry["headers"]:
                response[name] = value
            response[HEADER] = "hit"
            return response
        response = self.get_response(request)
        if _storable(request, response):
            headers = [(name, value) for name, value in response.items() if name.lower() != HEADER.lower()]
            cache.set(
                page_key,
                {"versions": versions, "content": response.content, "status": response.status_code, "headers": headers},
                timeout=_seconds(),
            )
            response[HEADER] = "miss"
        return response


# --- Receivers: what invalidates what ----------------------------------------------------------


def _thread_id_of(kwargs) -> int | None:
    for name in ("thread", "post", "answer", "comment"):
        obj = kwargs.get(name)
        if obj is None:
            continue
        if hasattr(obj, "thread_id"):
            return obj.thread_id
        return obj.pk
    return None


def on_community_event(sender, **kwargs) -> None:
    thread_changed(_thread_id_of(kwargs), listing=kwargs.get("signal") in _listing_events())


def _listing_events() -> set:
    from community import events

    return {
        events.question_asked,
        events.question_edited,
        events.post_deleted,
        events.post_hidden,
        events.post_restored,
        events.post_removed,
    }


def on_thread_saved(sender, instance, **kwargs) -> None:
    thread_changed(instance.pk, listing=True)


def on_answer_saved(sender, instance, **kwargs) -> None:
    thread_changed(instance.thread_id)


def on_site_object_saved(sender, instance=None, **kwargs) -> None:
    site_changed()


_MEMBER_FIELDS = {"display_name", "username", "is_staff", "is_active"}


def on_user_saved(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    """A member's name or role shows on every page they posted on; a login (last_login) or a
    password change does not."""
    if created:
        return
    if update_fields is None or _MEMBER_FIELDS & set(update_fields):
        site_changed()


def on_profile_changed(sender, **kwargs) -> None:
    site_changed()


def on_tagged_item_saved(sender, instance, **kwargs) -> None:
    thread_changed(instance.object_id, listing=True)


def connect() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save
    from django.dispatch import Signal
    from taggit.models import Tag, TaggedItem

    from accounts.events import profile_changed
    from community import events
    from community.models import Answer, Category, Thread

    for name in dir(events):
        signal = getattr(events, name)
        if isinstance(signal, Signal):
            signal.connect(on_community_event, dispatch_uid=f"pagecache:{name}")
    for signal in (post_save, post_delete):
        signal.connect(on_thread_saved, sender=Thread, dispatch_uid=f"pagecache:thread:{id(signal)}")
        signal.connect(on_answer_saved, sender=Answer, dispatch_uid=f"pagecache:answer:{id(signal)}")
        signal.connect(on_tagged_item_saved, sender=TaggedItem, dispatch_uid=f"pagecache:taggeditem:{id(signal)}")
        for model in (Category, Tag):
            signal.connect(on_site_object_saved, sender=model, dispatch_uid=f"pagecache:{model.__name__}:{id(signal)}")
    post_save.connect(on_user_saved, sender=get_user_model(), dispatch_uid="pagecache:user")
    profile_changed.connect(on_profile_changed, dispatch_uid="pagecache:profile_changed")
