from django.urls import path

from experts import views

app_name = "experts"

urlpatterns = [
    # --- Members and experts
    path("experts/", views.landing, name="landing"),
    path("experts/apply/", views.apply, name="apply"),
    path("experts/dashboard/", views.dashboard, name="dashboard"),
    path("experts/earnings/", views.earnings, name="earnings"),
    path("experts/offers/<int:pk>/claim/", views.claim, name="claim"),
    path("experts/claims/<int:pk>/release/", views.release, name="release"),
    path("experts/claims/<int:pk>/rate/", views.rate_answer, name="rate_answer"),
    # --- Sessions
    path("experts/sessions/", views.my_sessions, name="sessions"),
    path("experts/sessions/new/", views.book, name="book"),
    path("experts/sessions/<int:pk>/", views.session_detail, name="session"),
    path("experts/sessions/<int:pk>/accept/", views.accept_session, name="accept_session"),
    path("experts/sessions/<int:pk>/confirm/", views.confirm_session, name="confirm_session"),
    path("experts/sessions/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("experts/sessions/<int:pk>/check-out/", views.check_out, name="check_out"),
    path("experts/sessions/<int:pk>/sign-off/", views.sign_off, name="sign_off"),
    path("experts/sessions/<int:pk>/dispute/", views.dispute, name="dispute"),
    path("experts/sessions/<int:pk>/cancel/", views.cancel_session, name="cancel_session"),
    # --- Staff
    path("staff/experts/", views.staff_roster, name="staff_roster"),
    path("staff/experts/<int:pk>/", views.staff_expert, name="staff_expert"),
    path("staff/experts/<int:pk>/suspend/", views.suspend, name="suspend"),
    path("staff/experts/<int:pk>/reinstate/", views.reinstate, name="reinstate"),
    path("staff/experts/expertise/<int:pk>/approve/", views.approve_expertise, name="approve_expertise"),
    path("staff/experts/expertise/<int:pk>/reject/", views.reject_expertise, name="reject_expertise"),
    path("staff/experts/offers/", views.staff_offers, name="staff_offers"),
    path("staff/experts/claims/<int:pk>/review/", views.review_answer, name="review_answer"),
    path("staff/experts/sessions/", views.staff_sessions, name="staff_sessions"),
    path("staff/experts/payouts/", views.staff_payouts, name="staff_payouts"),
    path("staff/experts/payouts/batch/", views.create_batch, name="create_batch"),
    path("staff/experts/payouts/<int:pk>/", views.staff_batch, name="staff_batch"),
    path("staff/experts/payouts/<int:pk>/paid/", views.mark_paid, name="mark_paid"),
    path("staff/experts/payouts/export.csv", views.payouts_csv, name="payouts_csv"),
]
