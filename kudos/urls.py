from django.urls import path

from kudos import views

app_name = "kudos"

urlpatterns = [
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("ranks.css", views.rank_stylesheet, name="ranks_css"),
    path("award/", views.award, name="award"),
]
