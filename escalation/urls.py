from django.urls import path

from escalation import views

app_name = "escalation"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("queue/bulk/", views.bulk, name="bulk"),
    path("macros/", views.macro_list, name="macros"),
    path("macros/new/", views.macro_edit, name="macro_new"),
    path("macros/<int:pk>/edit/", views.macro_edit, name="macro_edit"),
    path("macros/<int:pk>/delete/", views.macro_delete, name="macro_delete"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/claim/", views.claim, name="claim"),
    path("tickets/<int:pk>/note/", views.add_note, name="note"),
    path("tickets/<int:pk>/answer/", views.answer, name="answer"),
    path("tickets/<int:pk>/redirect/", views.redirect_to_channel, name="redirect"),
    path("tickets/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("tickets/<int:pk>/reopen/", views.reopen, name="reopen"),
]
