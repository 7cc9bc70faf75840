from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    # `csp_nonce` is the name django-htmx's {% htmx_script %} reads; it is lazy, so a page
    # without a script tag creates no nonce.
    return {"SITE_NAME": settings.SITE_NAME, "csp_nonce": getattr(request, "csp_nonce", "")}
