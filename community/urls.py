from django.urls import path

from community.views import conversation, editor, lists, moderation, search, threads

app_name = "community"

urlpatterns = [
    path("", lists.home, name="home"),
    # --- Flags (before the thread route, whose slug would otherwise match "flag")
    path("t/<int:pk>/flag/", moderation.flag_thread, name="flag_thread"),
    path("a/<int:pk>/flag/", moderation.flag_answer, name="flag_answer"),
    path("comments/<int:pk>/flag/", moderation.flag_comment, name="flag_comment"),
    # --- Live thread pages (before the thread route too)
    path("t/<int:pk>/live/", conversation.thread_live, name="thread_live"),
    path("t/<int:pk>/refresh/", conversation.thread_refresh, name="thread_refresh"),
    path("t/<int:pk>/<slug:slug>/", threads.thread_detail, name="thread"),
    path("t/<int:pk>/", threads.thread_detail, name="thread_short"),
    # --- Threads
    path("ask/", threads.ask, name="ask"),
    path("ask/preview/", editor.preview, name="preview"),
    path("q/<int:pk>/answer/", threads.answer, name="answer"),
    path("q/<int:pk>/me-too/", threads.me_too, name="me_too"),
    path("q/<int:pk>/still-need-help/", threads.still_need_help, name="still_need_help"),
    path("q/<int:pk>/edit/", threads.edit_question, name="edit_question"),
    path("q/<int:pk>/delete/", threads.delete_question, name="delete_question"),
    path("q/<int:pk>/retag/", threads.retag, name="retag"),
    path("a/<int:pk>/vote/", threads.vote, name="vote"),
    path("a/<int:pk>/accept/", threads.accept, name="accept"),
    path("a/<int:pk>/edit/", threads.edit_answer, name="edit_answer"),
    path("a/<int:pk>/delete/", threads.delete_answer, name="delete_answer"),
    # --- Conversation: comments, following, @mentions
    path("q/<int:pk>/comment/", conversation.comment_on_thread, name="comment_thread"),
    path("a/<int:pk>/comment/", conversation.comment_on_answer, name="comment_answer"),
    path("comments/<int:pk>/edit/", conversation.edit_comment, name="edit_comment"),
    path("comments/<int:pk>/delete/", conversation.delete_comment, name="delete_comment"),
    path("q/<int:pk>/follow/", conversation.follow_thread, name="follow_thread"),
    path("c/<slug:slug>/follow/", conversation.follow_category, name="follow_category"),
    path("tags/<slug:tag>/follow/", conversation.follow_tag, name="follow_tag"),
    path("members/mentions/", conversation.mention_suggestions, name="mention_suggestions"),
    # --- Search
    path("ask/similar/", search.similar, name="similar"),
    path("search/", search.search, name="search"),
    path("search/suggest/", search.search_suggestions, name="search_suggest"),
    # --- Lists
    path("c/<slug:slug>/", lists.category_detail, name="category"),
    path("tags/", lists.tag_index, name="tags"),
    path("tags/<slug:tag>/", lists.tag_detail, name="tag"),
    # --- Images and the editor
    path("images/", editor.upload_image, name="upload_image"),
    path("images/<str:key>/<str:name>", editor.image, name="image"),
    path("ask/validate/", editor.validate_field, name="validate_field"),
    # --- Flags
    path("staff/flags/", moderation.moderation, name="moderation"),
    path("staff/flags/<str:kind>/<int:pk>/restore/", moderation.restore_flagged, name="restore_flagged"),
    path("staff/flags/<str:kind>/<int:pk>/remove/", moderation.remove_flagged, name="remove_flagged"),
]
