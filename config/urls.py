from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path


def favicon(request):
    # Resolved per request: with the manifest storage the hashed name exists only after
    # collectstatic, which is after this module is first imported (by migrate, check...).
    return HttpResponsePermanentRedirect(static("peerdesk/favicon.ico"))


urlpatterns = [
    # Browsers and crawlers ask for /favicon.ico whatever the page links to.
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("staff/report/", include("reports.urls")),
    path("staff/", include("escalation.urls")),
    path("kudos/", include("kudos.urls")),
    path("", include("notifications.urls")),
    path("", include("community.urls")),
]
