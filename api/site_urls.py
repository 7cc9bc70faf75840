from django.urls import path

from api import site_views

app_name = "api_tokens"

urlpatterns = [
    path("settings/api-tokens/", site_views.tokens, name="list"),
    path("settings/api-tokens/<int:pk>/revoke/", site_views.revoke, name="revoke"),
]
