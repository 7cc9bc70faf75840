from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView

urlpatterns = [
    # Browsers and crawlers ask for /favicon.ico whatever the page links to.
    path("favicon.ico", RedirectView.as_view(url=static("peerdesk/favicon.ico"), permanent=True), name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("staff/report/", include("reports.urls")),
    path("staff/", include("escalation.urls")),
    path("kudos/", include("kudos.urls")),
    path("", include("notifications.urls")),
    path("", include("community.urls")),
]
