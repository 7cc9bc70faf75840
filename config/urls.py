from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("staff/report/", include("reports.urls")),
    path("staff/", include("escalation.urls")),
    path("kudos/", include("kudos.urls")),
    path("", include("notifications.urls")),
    path("api/v1/", include("api.urls")),  # issue 17
    path("", include("api.site_urls")),
    path("", include("community.urls")),
]
