from django.urls import path

from community import conversation_views, views

app_name = "community"

urlpatterns = [
    path("", views.home, name="home"),
    # --- Flags (before the thread route, whose slug would otherwise match "flag")
    path("t/<int:pk>/flag/", views.flag_thread, name="flag_thread"),
    path("a/<int:pk>/flag/", views.flag_answer, name="flag_answer"),
    # --- Live thread pages (before the thread route too)
    path("t/<int:pk>/live/", conversation_views.thread_live, name="thread_live"),
    path("t/<int:pk>/refresh/", conversation_views.thread_refresh, name="thread_refresh"),
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
    path("q/<int:pk>/retag/", views.retag, name="retag"),
    path("a/<int:pk>/vote/", views.vote, name="vote"),
    path("a/<int:pk>/accept/", views.accept, name="accept"),
    path("a/<int:pk>/edit/", views.edit_answer, name="edit_answer"),
    path("a/<int:pk>/delete/", views.delete_answer, name="delete_answer"),
    # --- Conversation: comments, following, @mentions
    path("q/<int:pk>/comment/", conversation_views.comment_on_thread, name="comment_thread"),
    path("a/<int:pk>/comment/", conversation_views.comment_on_answer, name="comment_answer"),
    path("comments/<int:pk>/edit/", conversation_views.edit_comment, name="edit_comment"),
    path("comments/<int:pk>/delete/", conversation_views.delete_comment, name="delete_comment"),
    path("q/<int:pk>/follow/", conversation_views.follow_thread, name="follow_thread"),
    path("c/<slug:slug>/follow/", conversation_views.follow_category, name="follow_category"),
    path("tags/<slug:tag>/follow/", conversation_views.follow_tag, name="follow_tag"),
    path("members/mentions/", conversation_views.mention_suggestions, name="mention_suggestions"),
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
