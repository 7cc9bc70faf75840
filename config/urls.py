from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("staff/report/", include("reports.urls")),
    path("staff/", include("escalation.urls")),
    # The experts tier: /experts/... for members and experts, /staff/experts/... for staff.
    path("", include("experts.urls")),
    path("kudos/", include("kudos.urls")),
    path("", include("notifications.urls")),
    path("", include("community.urls")),
]
