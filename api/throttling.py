"""Rate limits per API token (per member or address without one), counted in the cache like
community.limits: one key per token and minute, raised with cache.incr. When the cache is
down the API is not limited (logged), rather than refusing every call: the posting limits of
community.limits still apply to every write, counted in the database during an outage."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

from api.permissions import token_of

logger = logging.getLogger(__name__)


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        token = token_of(request)
        if token is not None:
            who, limit = f"token:{token.pk}", settings.API_TOKEN_RATE_PER_MINUTE
        elif request.user and request.user.is_authenticated:
            who, limit = f"user:{request.user.pk}", settings.API_MEMBER_RATE_PER_MINUTE
        else:
            who, limit = f"ip:{self.get_ident(request)}", settings.API_ANONYMOUS_RATE_PER_MINUTE
        now = timezone.now()
        self.wait_seconds = 60 - now.second
        key = f"api:rate:{who}:{now:%Y%m%d%H%M}"
        try:
            cache.add(key, 0, timeout=120)
            count = cache.incr(key)
        except Exception:  # the cache is down: fail open, see the module docstring
            logger.warning("API rate limit not counted: cache unavailable", exc_info=True)
            return True
        return count <= limit

    def wait(self) -> float:
        return float(getattr(self, "wait_seconds", 60))
