from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("staff/report/", include("reports.urls")),
    path("staff/", include("escalation.urls")),
    path("kudos/", include("kudos.urls")),
    path("manage/", include("console.urls")),
    path("", include("notifications.urls")),
    path("", include("community.urls")),
]
