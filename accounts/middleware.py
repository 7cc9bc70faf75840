"""Small request fixes single sign-on depends on, and the viewer's time zone."""

from __future__ import annotations

import zoneinfo
from urllib.parse import urlsplit

from django.utils import timezone

from accounts import timezones


class HostHeaderMiddleware:
    """Give a request without a Host header (HTTP/1.0, some probes) the host Django derived
    for it. python3-saml reads META["HTTP_HOST"] directly to rebuild the ACS address, and a
    missing header would turn a SAML page into a server error instead of a refusal."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_HOST" not in request.META:
            request.META["HTTP_HOST"] = request.get_host()
        return self.get_response(request)


def _origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def identity_provider_origins(request, *, url_name: str, kwargs: dict) -> list[str]:
    """Where the sign-in confirmation page's form may lead: the configured identity
    provider's origin (OIDC server URL, SAML IdP SSO or metadata URL)."""
    from allauth.socialaccount.adapter import get_adapter

    adapter = get_adapter(request)
    origins = []
    if url_name == "openid_connect_login":
        apps = [a for a in adapter.list_apps(request, provider="openid_connect") if a.provider_id == kwargs.get("provider_id")]
        origins = [_origin((a.settings or {}).get("server_url", "")) for a in apps]
    elif url_name == "saml_login":
        apps = adapter.list_apps(request, provider="saml", client_id=kwargs.get("organization_slug"))
        for app in apps:
            idp = (app.settings or {}).get("idp", {})
            origins += [_origin(idp.get("sso_url", "")), _origin(idp.get("metadata_url", ""))]
    return sorted({o for o in origins if o})


class IdentityProviderFormActionMiddleware:
    """Our Content-Security-Policy allows forms to go to our own origin only (form-action
    'self'), and browsers apply that to the redirect after the POST too. The page that
    starts a single sign-on POSTs to us and is redirected to the identity provider, so that
    page alone also allows the provider's origin."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in ("openid_connect_login", "saml_login"):
            origins = identity_provider_origins(request, url_name=match.url_name, kwargs=match.kwargs)
            if origins:
                response._csp_update = {"form-action": origins}
        return response


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
