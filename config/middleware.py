"""Site-wide request and response rules that belong to no app: the Content-Security-Policy on
every page (error pages under DEBUG included), no NUL byte in any input, and no shared cache
for a signed-in member's pages."""

from __future__ import annotations

from http import HTTPStatus

from csp.middleware import CSPMiddleware as _CSPMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control


class CSPMiddleware(_CSPMiddleware):
    """django-csp's middleware, except that it leaves the header off only Django's debug
    traceback page (a 500 under DEBUG, which needs its inline script), not every 404 under
    DEBUG: a 404 renders members' input (the path) and gets the policy like any page."""

    def process_response(self, request: HttpRequest, response):
        if settings.DEBUG and response.status_code == HTTPStatus.NOT_FOUND:
            # The parent skips every 404 under DEBUG: let it see a status it does not skip.
            response.status_code = HTTPStatus.OK
            try:
                return super().process_response(request, response)
            finally:
                response.status_code = HTTPStatus.NOT_FOUND
        return super().process_response(request, response)


def _has_nul(value) -> bool:
    return isinstance(value, str) and "\x00" in value


def _input_has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    if any(_has_nul(key) or _has_nul(value) for key, value in request.COOKIES.items()):
        return True
    # A multipart upload is left to its view: reading it here would parse the body before the
    # view sets its own size-checking upload handlers (community.views.editor's image upload), and the
    # views of multipart forms clean their fields and file names themselves.
    multipart = request.content_type == "multipart/form-data"
    for data in (request.GET,) if multipart else (request.GET, request.POST):
        for key, values in data.lists():
            if _has_nul(key) or any(_has_nul(v) for v in values):
                return True
    return False


class RejectNulMiddleware:
    """A NUL byte in the path, the query string, a form field, a file name or a cookie answers
    400 before any view runs. PostgreSQL refuses NUL in text, so without this a lookup such as ``?tag=a%00``
    fails in the database with a 500; no legitimate text a person types contains one.

    Sits last in MIDDLEWARE, so the 400 page renders with the header like any page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _input_has_nul(request):
            body = render_to_string("400.html", {"reason": "The request contained a NUL character."}, request=request)
            return HttpResponse(body, status=HTTPStatus.BAD_REQUEST)
        return self.get_response(request)


class PrivateCacheControlMiddleware:
    """Pages for a signed-in member may show what only they may see (private threads, their
    notifications, staff pages): ``Cache-Control: private, no-store`` keeps proxies, shared
    caches and the browser's back/forward store from keeping them (``Vary: Cookie`` alone
    does not stop a shared cache that ignores Vary)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            cache_control = response.get("Cache-Control", "")
            if "public" in cache_control:
                return response  # the view said it is the same for everyone (ranks.css)
            if "max-age" in cache_control or "s-maxage" in cache_control:
                del response["Cache-Control"]
            patch_cache_control(response, private=True, no_store=True)
        return response
