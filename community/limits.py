"""Posting limits per member, counted in the cache so that a post costs no COUNT query.

What a member may post is decided by their privileges (community.hooks.privileges_for; kudos
ties them to ranks and admins tune them): questions and answers per day, links per day and
seconds between two posts. Staff and members whose rank has no limits pay nothing here.

Counters
    One cache key per member, kind and UTC day (``limits:<user>:question:2026-11-24``),
    raised with ``cache.incr`` and expiring after two days; the day is in the key, so the
    expiry only cleans up. The counter is raised *before* the post is written and lowered
    again when the post is refused, so concurrent requests of one member cannot both slip
    under the limit (incr is atomic in Redis). A post whose transaction fails after the check
    still counts: that errs on the side of the limit and happens only on a server error.
    The last post's time is kept under ``limits:<user>:last-post`` for the wait between posts.
    A day is the UTC calendar day: "try again tomorrow" means after midnight UTC.

When the cache is down
    Fail open, but not unguarded: the limits are then counted in the database (the COUNT
    queries the cache saves in normal times), and a warning is logged. Failing closed would
    stop every limited member from posting for as long as Redis is away, which is the site's
    main job, to prevent abuse that the database can still measure; failing fully open would
    let a spammer flood the site during the outage. Counting in the database costs a few
    queries per post only while the cache is down. Posts made during the outage are not in
    the cache counters afterwards, so for the rest of that day a member may post up to twice
    their limit at most. See SECURITY.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache
from django.core.exceptions import ValidationError
from django.utils import timezone

logger = logging.getLogger(__name__)

COUNTER_TTL = 2 * 24 * 60 * 60  # a day's counter lives past the end of its day, then goes


class PostingLimitReached(ValidationError):
    """A limit refused the post. ``retry_after`` is how many seconds until it may work (for
    the Retry-After header of a 429)."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, code="rate_limited")
        self.retry_after = max(1, int(retry_after))


@dataclass(frozen=True)
class _Counter:
    key: str
    delta: int


def count_links(html: str) -> int:
    """Links in rendered (sanitized) Markdown: every link the sanitizer kept is an <a> tag."""
    return html.count("<a ")


def _seconds_to_midnight(now: datetime) -> int:
    utc = now.astimezone(timezone.get_fixed_timezone(0))
    tomorrow = (utc + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((tomorrow - utc).total_seconds()) + 1


def _key(user_id: int, what: str, now: datetime | None = None) -> str:
    if now is None:
        return f"limits:{user_id}:{what}"
    return f"limits:{user_id}:{what}:{now.astimezone(timezone.get_fixed_timezone(0)).date().isoformat()}"


# The generic BaseCache.incr (file and database caches) writes the new value back with the
# default timeout, which would end a day's counter after five minutes; Redis and local memory
# keep the key's expiry. Only the former need the expiry set again.
def _incr(key: str, delta: int) -> int:
    cache.add(key, 0, timeout=COUNTER_TTL)
    value = cache.incr(key, delta)
    if type(caches["default"]).incr is BaseCache.incr:
        cache.touch(key, COUNTER_TTL)
    return value


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _day_message(kind: str, limit: int) -> str:
    return f"You can post {_plural(limit, kind)} a day at your rank. Please try again tomorrow."


def _links_message(limit: int) -> str:
    return (
        f"At your rank you can post {_plural(limit, 'link')} a day. "
        "Please describe the page instead, or try again tomorrow."
    )


def _wait_message(seconds: int) -> str:
    return f"Please wait {seconds} seconds between posts."


def check_and_count(*, user, privileges, kind: str, links: int = 0) -> None:
    """Count a new post of ``kind`` ("question" or "answer") carrying ``links`` links against
    the member's limits, or raise PostingLimitReached and count nothing.

    Call it inside the service's transaction, after the input is validated and before the post
    is written. ``kind="edit"`` counts only links an edit adds (no per-day or wait limit).
    """
    per_day = {"question": privileges.questions_per_day, "answer": privileges.answers_per_day}.get(kind)
    link_limit = privileges.links_per_day if links else None
    wait = privileges.seconds_between_posts if kind != "edit" else 0
    if per_day is None and link_limit is None and not wait:
        return
    now = timezone.now()
    try:
        _check_in_cache(user.pk, kind=kind, now=now, per_day=per_day, links=links, link_limit=link_limit, wait=wait)
    except PostingLimitReached:
        raise
    except Exception:  # the cache is down or misbehaving: the site keeps serving
        logger.warning("Posting limits: the cache failed; counting in the database instead.", exc_info=True)
        _check_in_database(user, kind=kind, now=now, per_day=per_day, links=links, link_limit=link_limit, wait=wait)


def _check_in_cache(user_id: int, *, kind, now, per_day, links, link_limit, wait) -> None:
    last_key = _key(user_id, "last-post")
    if wait:
        last = cache.get(last_key)
        if last is not None:
            elapsed = now.timestamp() - float(last)
            if elapsed < wait:
                raise PostingLimitReached(_wait_message(wait), retry_after=wait - max(elapsed, 0))
    taken: list[_Counter] = []

    def take(what: str, delta: int, limit: int, message: str) -> None:
        key = _key(user_id, what, now)
        if _incr(key, delta) > limit:
            taken.append(_Counter(key, delta))
            for counter in taken:
                cache.decr(counter.key, counter.delta)
            raise PostingLimitReached(message, retry_after=_seconds_to_midnight(now))
        taken.append(_Counter(key, delta))

    if per_day is not None:
        take(kind, 1, per_day, _day_message(kind, per_day))
    if link_limit is not None:
        take("links", links, link_limit, _links_message(link_limit))
    if wait:
        cache.set(last_key, now.timestamp(), timeout=wait)


def _check_in_database(user, *, kind, now, per_day, links, link_limit, wait) -> None:
    """The same limits counted from the posts themselves (rolling day): only while the cache
    is down."""
    from community.models import Answer, Thread

    day = now - timedelta(days=1)
    if wait:
        since = now - timedelta(seconds=wait)
        if any(model.objects.filter(author=user, created_at__gte=since).exists() for model in (Thread, Answer)):
            raise PostingLimitReached(_wait_message(wait), retry_after=wait)
    if per_day is not None:
        model = Thread if kind == "question" else Answer
        if model.objects.filter(author=user, created_at__gte=day).count() >= per_day:
            raise PostingLimitReached(_day_message(kind, per_day), retry_after=_seconds_to_midnight(now))
    if link_limit is not None:
        earlier = sum(
            count_links(html)
            for model in (Thread, Answer)
            for html in model.objects.filter(author=user, created_at__gte=day).values_list("body_html", flat=True)
        )
        if earlier + links > link_limit:
            raise PostingLimitReached(_links_message(link_limit), retry_after=_seconds_to_midnight(now))


# --- Requests per minute ------------------------------------------------------------------------
# Read endpoints that run a costly query per keystroke (the ask page's similar questions) are
# limited per member, or per address for visitors, in fixed one-minute windows counted in the
# cache. When the cache is down they fail open: they change nothing, and the database is
# protected by the same outage plan as every page.


def request_limit_wait(request, *, action: str, per_minute: int) -> int | None:
    """Count this request; return the seconds to wait when it is over ``per_minute`` in the
    current minute, else None."""
    if per_minute <= 0:
        return None
    now = timezone.now()
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        who = f"u{request.user.pk}"
    else:
        from allauth.account.adapter import get_adapter

        who = f"ip{get_adapter().get_client_ip(request)}"
    window = int(now.timestamp()) // 60
    key = f"limits:req:{action}:{who}:{window}"
    try:
        cache.add(key, 0, timeout=120)
        count = cache.incr(key)
    except Exception:  # the cache is down: fail open (see above)
        logger.warning("Request limit for %s not counted: the cache is unavailable.", action, exc_info=True)
        return None
    if count > per_minute:
        return 60 - int(now.timestamp()) % 60
    return None
