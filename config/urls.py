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
    path("staff/voting-rings/", include("kudos.staff_urls")),
    path("staff/", include("escalation.urls")),
    # The experts tier: /experts/... for members and experts, /staff/experts/... for staff.
    path("", include("experts.urls")),
    path("kudos/", include("kudos.urls")),
    path("manage/", include("console.urls")),
    path("", include("notifications.urls")),
    path("api/v1/", include("api.urls")),  # issue 17
    path("", include("api.site_urls")),
    path("", include("community.urls")),
]
