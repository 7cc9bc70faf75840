from __future__ import annotations

import zoneinfo

from django.utils import timezone

from accounts import timezones


class TimezoneMiddleware:
    """Show this request's times in the member's zone (accounts.timezones.for_request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name, source = timezones.for_request(request)
        request.time_zone_source = source
        if name:
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
