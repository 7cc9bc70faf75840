from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from api import views

app_name = "api"

urlpatterns = [
    path("", views.root, name="root"),
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    path("threads/", views.threads, name="threads"),
    path("threads/<int:pk>/", views.thread, name="thread"),
    path("threads/<int:pk>/answers/", views.thread_answers, name="thread_answers"),
    path("answers/<int:pk>/", views.answer, name="answer"),
    path("members/<str:username>/", views.member, name="member"),
    path("members/<str:username>/kudos/", views.member_kudos, name="member_kudos"),
    path("kudos/leaderboard/", views.leaderboard, name="leaderboard"),
    path("tickets/", views.tickets, name="tickets"),
    path("tickets/<int:pk>/", views.ticket, name="ticket"),
    path("tickets/<int:pk>/claim/", views.ticket_claim, name="ticket_claim"),
    path("tickets/<int:pk>/resolve/", views.ticket_resolve, name="ticket_resolve"),
    path("tickets/<int:pk>/notes/", views.ticket_notes, name="ticket_notes"),
]
