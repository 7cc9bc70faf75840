from django.urls import path

from console import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("ranks/", views.ranks, name="ranks"),
    path("ranks/add/", views.rank_edit, name="rank_add"),
    path("ranks/preview/", views.rank_preview, name="rank_add_preview"),
    path("ranks/<int:pk>/", views.rank_edit, name="rank_edit"),
    path("ranks/<int:pk>/preview/", views.rank_preview, name="rank_preview"),
    path("ranks/<int:pk>/delete/", views.rank_delete, name="rank_delete"),
    path("points/", views.point_rules, name="point_rules"),
    path("points/preview/", views.point_rules_preview, name="point_rules_preview"),
    path("points/recompute/", views.recompute, name="recompute"),
    path("escalation/", views.escalation, name="escalation"),
    path("escalation/default/", views.policy_edit, name="policy_default"),
    path("escalation/preview/", views.policy_preview, name="policy_preview"),
    path("escalation/c/<slug:slug>/", views.policy_edit, name="policy_category"),
    path("escalation/c/<slug:slug>/delete/", views.policy_delete, name="policy_delete"),
    path("escalation/channels/add/", views.channel_edit, name="channel_add"),
    path("escalation/channels/<int:pk>/", views.channel_edit, name="channel_edit"),
    path("escalation/flags/", views.flag_threshold, name="flag_threshold"),
    path("members/", views.members, name="members"),
    path("members/<str:username>/", views.member, name="member"),
    path("members/<str:username>/award/", views.member_award, name="member_award"),
    path("members/<str:username>/reverse/<int:entry_id>/", views.member_reverse, name="member_reverse"),
    path("members/<str:username>/suspend/", views.member_suspend, name="member_suspend"),
    path("members/<str:username>/reinstate/", views.member_reinstate, name="member_reinstate"),
    path("members/<str:username>/role/", views.member_role, name="member_role"),
    path("audit/", views.audit, name="audit"),
    path("audit/audit.csv", views.audit_csv, name="audit_csv"),
]
