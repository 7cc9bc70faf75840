"""Which time zone a request's times are shown in, and the one date format of the site.

A member's profile setting wins; otherwise the browser's zone, which static/peerdesk/site.js
puts in the ``tz`` cookie on the first visit (and saves to the profile of a member who has
none); otherwise settings.TIME_ZONE. ``format_when`` is the only place a date is worded:
"just now" under a minute, "5 minutes ago", "3 hours ago", then "1 Dec 2026, 15:04".
site.js words times the same way in the browser to keep relative times fresh.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import unquote

from django.utils import timezone

COOKIE = "tz"
MAX_LENGTH = 64
DATE_FORMAT = "%-d %b %Y"
DATETIME_FORMAT = "%-d %b %Y, %H:%M"


@lru_cache(maxsize=1)
def _available() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def valid(name: str | None) -> str:
    """``name`` when it is an IANA zone we know (e.g. "Europe/Paris"), else ""."""
    name = unquote((name or "")[: MAX_LENGTH * 3]).strip()
    return name if name in _available() else ""


def choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(_available()) if "/" in name or name == "UTC"]


def for_request(request) -> tuple[str, str]:
    """(zone name, where it came from: "profile", "browser" or "") for this request."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and valid(getattr(user, "time_zone", "")):
        return user.time_zone, "profile"
    cookie = valid(request.COOKIES.get(COOKIE))
    if cookie:
        return cookie, "browser"
    return "", ""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def format_when(value: datetime, *, now: datetime | None = None, style: str = "auto") -> str:
    """How the site writes a moment (in the active time zone). ``style``: "auto" (relative
    within a day), "date" (the day only) or "abs" (the date and time, never relative)."""
    local = timezone.localtime(value)
    if style == "date":
        return local.strftime(DATE_FORMAT)
    if style == "abs":
        return local.strftime(DATETIME_FORMAT)
    now = now or timezone.now()
    delta = now - value
    seconds = delta.total_seconds()
    if abs(seconds) < 60:
        return "just now"
    if timedelta(0) < delta < timedelta(hours=1):
        return f"{_plural(int(seconds // 60), 'minute')} ago"
    if timedelta(0) < delta < timedelta(hours=24):
        return f"{_plural(int(seconds // 3600), 'hour')} ago"
    if timedelta(0) < -delta < timedelta(hours=1):
        return f"in {_plural(int(-seconds // 60), 'minute')}"
    if timedelta(0) < -delta < timedelta(hours=24):
        return f"in {_plural(int(-seconds // 3600), 'hour')}"
    return local.strftime(DATETIME_FORMAT)


def format_full(value: datetime) -> str:
    local = timezone.localtime(value)
    return f"{local.strftime(DATETIME_FORMAT)} {local.tzname()}"
