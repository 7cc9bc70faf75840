"""Kudos pages for staff, under /staff/voting-rings/ with the other staff pages."""

from django.urls import path

from kudos import views

app_name = "kudos_staff"

urlpatterns = [
    path("", views.voting_rings, name="voting_rings"),
    path("reverse/", views.reverse_ring, name="reverse_ring"),
]
