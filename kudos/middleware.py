"""Per-request kudos work: keep the rank table current and turn rank-up notices into messages.

A notice is written by whatever request or task credited the points, usually someone else's
(a vote), so it cannot use that request's messages. It is stored as a RankNotice row and a flag
is set in the shared cache; this middleware reads the flag (a cache read, no query) and only
when it is set loads the notices into the member's own messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.cache import cache

from kudos.selectors import end_request, mark_checked_for_request

NOTICE_FLAG = "kudos:notice:{user_id}"


def flag_notice(user_id: int) -> None:
    cache.set(NOTICE_FLAG.format(user_id=user_id), 1, timeout=30 * 24 * 3600)


class KudosMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = mark_checked_for_request()
        try:
            self._show_notices(request)
            return self.get_response(request)
        finally:
            end_request(token)

    def _show_notices(self, request) -> None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not getattr(request, "htmx", False):
            key = NOTICE_FLAG.format(user_id=user.pk)
            if cache.get(key):
                from kudos.services import mark_notices_seen

                cache.delete(key)
                for notice in mark_notices_seen(user=user):
                    messages.success(
                        request,
                        f"Congratulations, you reached the rank “{notice.rank_name}”! "
                        "Thank you for helping others.",
                    )
