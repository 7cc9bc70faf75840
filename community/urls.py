from django.urls import path

from community import views

app_name = "community"

urlpatterns = [
    path("", views.home, name="home"),
    # --- Flags (before the thread route, whose slug would otherwise match "flag")
    path("t/<int:pk>/flag/", views.flag_thread, name="flag_thread"),
    path("a/<int:pk>/flag/", views.flag_answer, name="flag_answer"),
    path("t/<int:pk>/<slug:slug>/", views.thread_detail, name="thread"),
    path("t/<int:pk>/", views.thread_detail, name="thread_short"),
    # --- Threads
    path("ask/", views.ask, name="ask"),
    path("ask/preview/", views.preview, name="preview"),
    path("q/<int:pk>/answer/", views.answer, name="answer"),
    path("q/<int:pk>/me-too/", views.me_too, name="me_too"),
    path("q/<int:pk>/still-need-help/", views.still_need_help, name="still_need_help"),
    path("q/<int:pk>/edit/", views.edit_question, name="edit_question"),
    path("q/<int:pk>/delete/", views.delete_question, name="delete_question"),
    path("a/<int:pk>/vote/", views.vote, name="vote"),
    path("a/<int:pk>/accept/", views.accept, name="accept"),
    path("a/<int:pk>/edit/", views.edit_answer, name="edit_answer"),
    path("a/<int:pk>/delete/", views.delete_answer, name="delete_answer"),
    # --- Search
    path("ask/similar/", views.similar, name="similar"),
    path("search/", views.search, name="search"),
    path("search/suggest/", views.search_suggestions, name="search_suggest"),
    # --- Lists
    path("c/<slug:slug>/", views.category_detail, name="category"),
    path("tags/", views.tag_index, name="tags"),
    path("tags/<slug:tag>/", views.tag_detail, name="tag"),
    # --- Images and the editor
    path("images/", views.upload_image, name="upload_image"),
    path("images/<str:key>/<str:name>", views.image, name="image"),
    path("ask/validate/", views.validate_field, name="validate_field"),
    # --- Flags
    path("staff/flags/", views.moderation, name="moderation"),
    path("staff/flags/<str:kind>/<int:pk>/restore/", views.restore_flagged, name="restore_flagged"),
    path("staff/flags/<str:kind>/<int:pk>/remove/", views.remove_flagged, name="remove_flagged"),
]
