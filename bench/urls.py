"""The site's URLs plus /bench/ok/: a view that returns "ok" through the full middleware stack,
the ceiling of this stack on this machine."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def ok(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/ok/", ok, name="bench_ok"), *site_urlpatterns]
