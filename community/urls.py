from django.urls import path

from community import views

app_name = "community"

urlpatterns = [
    path("", views.home, name="home"),
    path("t/<int:pk>/<slug:slug>/", views.thread_detail, name="thread"),
    path("t/<int:pk>/", views.thread_detail, name="thread_short"),
    # --- Search
    path("ask/similar/", views.similar, name="similar"),
    path("search/", views.search, name="search"),
    # --- Lists
    path("c/<slug:slug>/", views.category_detail, name="category"),
    path("tags/", views.tag_index, name="tags"),
    path("tags/<slug:tag>/", views.tag_detail, name="tag"),
]
