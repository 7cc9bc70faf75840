"""Per-request experts work: read the active-experts badge version once per request."""

from __future__ import annotations

from experts.badges import end_request, start_request


class ExpertBadgesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = start_request()
        try:
            return self.get_response(request)
        finally:
            end_request(token)
