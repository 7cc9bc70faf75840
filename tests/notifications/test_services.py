"""Grouping of upvotes, the accept reminder, support status changes, the staff digest and the
rule that no notification reveals a private thread."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from community import services as community
from escalation.deadlines import escalate_thread, notify_staff_of_new_tickets
from escalation.models import Channel, Ticket
from escalation.tickets import answer_ticket, redirect_ticket, reopen_ticket, resolve_ticket
from notifications import emails, services
from notifications.models import Kind, Notification, NotificationSettings
from tests.factories import StaffFactory, UserFactory
from tests.notifications.conftest import answer, ask

pytestmark = pytest.mark.django_db

CARD_BODY = "I was charged twice on my card 4111 1111 1111 1111, can you refund one?"


def _mails(user):
    return [m for m in mail.outbox if m.to == [user.email]]


# --- Answers, accepts ---------------------------------------------------------------------------


def test_answering_ones_own_question_tells_nobody(member, category):
    thread = ask(member, category)
    answer(member, thread)
    assert not Notification.objects.exists()


def test_accepting_tells_the_answerer_but_not_the_asker(member, other_member, category, django_capture_on_commit_callbacks):
    thread = ask(member, category)
    reply = answer(other_member, thread)
    with django_capture_on_commit_callbacks(execute=True):
        community.accept_answer(user=member, answer=reply)
    accepted = Notification.objects.get(kind=Kind.ACCEPTED)
    assert (accepted.recipient, accepted.answer, accepted.actor) == (other_member, reply, member)
    [message] = _mails(other_member)
    assert "accepted" in message.subject and thread.title in message.subject


# --- Upvotes are grouped ------------------------------------------------------------------------


def test_upvotes_on_one_answer_make_one_notification_and_one_mail_per_period(member, category, django_capture_on_commit_callbacks):
    thread = ask(UserFactory(), category)
    reply = answer(member, thread)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            community.upvote_answer(user=UserFactory(), answer=reply)
    assert _mails(member) == []  # no mail per vote
    row = Notification.objects.get(recipient=member, kind=Kind.UPVOTED)
    assert (row.count, row.email_status) == (3, "pending")
    assert row.text == f"Your answer to “{thread.title}” helped 3 people."
    assert services.unread_count(member) == 1

    assert emails.send_pending_emails() == 1
    assert emails.send_pending_emails() == 0  # nothing new: no second mail
    [first] = _mails(member)
    assert "helped 3 more people" in first.subject

    community.upvote_answer(user=UserFactory(), answer=reply)
    row.refresh_from_db()
    assert (row.count, row.mailed_count, row.email_status) == (4, 3, "pending")
    assert emails.send_pending_emails() == 1
    assert "helped 1 more person" in _mails(member)[1].subject


def test_upvotes_of_two_answers_are_mailed_separately(member, category):
    replies = [answer(member, ask(UserFactory(), category)) for _ in range(2)]
    for reply in replies:
        community.upvote_answer(user=UserFactory(), answer=reply)
    assert Notification.objects.filter(recipient=member, kind=Kind.UPVOTED).count() == 2
    assert emails.send_pending_emails() == 2


def test_a_vote_after_the_member_read_the_group_starts_a_new_one(member, category):
    reply = answer(member, ask(UserFactory(), category))
    community.upvote_answer(user=UserFactory(), answer=reply)
    first = Notification.objects.get(kind=Kind.UPVOTED)
    services.mark_read(user=member, notification_id=first.pk)
    community.upvote_answer(user=UserFactory(), answer=reply)
    assert [(n.count, n.is_read) for n in Notification.objects.filter(kind=Kind.UPVOTED).order_by("pk")] == [
        (1, True),
        (1, False),
    ]


def test_an_upvote_digest_turned_off_sends_nothing(member, category):
    reply = answer(member, ask(UserFactory(), category))
    services.set_preferences(user=member, choices={Kind.UPVOTED: (True, False)})
    community.upvote_answer(user=UserFactory(), answer=reply)
    assert emails.send_pending_emails() == 0
    assert Notification.objects.get(kind=Kind.UPVOTED).email_status == "none"


# --- Rank --------------------------------------------------------------------------------------


def test_a_new_rank_is_told_once(member, staff, django_capture_on_commit_callbacks):
    from kudos.services import award_points

    with django_capture_on_commit_callbacks(execute=True):
        award_points(staff=staff, member=member, points=50, note="Great help")
        award_points(staff=staff, member=member, points=-10, note="Correction")
        award_points(staff=staff, member=member, points=10, note="Again")
    rank = Notification.objects.get(kind=Kind.RANK)
    assert "Contributor" in rank.text
    assert len(_mails(member)) == 1


# --- Support -----------------------------------------------------------------------------------


def _escalated(member, category):
    thread = ask(member, category)
    ticket, _ = escalate_thread(thread=thread, reason=Ticket.Reason.UNANSWERED)
    return thread, ticket


def test_a_staff_reply_is_one_support_notification_with_the_answer(member, staff, category, django_capture_on_commit_callbacks):
    thread, ticket = _escalated(member, category)
    with django_capture_on_commit_callbacks(execute=True):
        answer_ticket(ticket_id=ticket.pk, staff=staff, body="Here is how to fix it: restart.")
    assert list(Notification.objects.values_list("kind", flat=True)) == [Kind.SUPPORT]
    [message] = _mails(member)
    assert "Here is how to fix it" in message.body
    assert "Here is how to fix it" in message.alternatives[0][0]


def test_staff_resolving_redirecting_and_reopening_tell_the_asker(member, staff, category, django_capture_on_commit_callbacks):
    channel = Channel.objects.create(name="Billing", instructions="Call us on 0800 123 456.")
    thread, ticket = _escalated(member, category)
    with django_capture_on_commit_callbacks(execute=True):
        resolve_ticket(ticket_id=ticket.pk, staff=staff)
    with django_capture_on_commit_callbacks(execute=True):
        reopen_ticket(ticket_id=ticket.pk, staff=staff)
    with django_capture_on_commit_callbacks(execute=True):
        redirect_ticket(ticket_id=ticket.pk, staff=staff, channel=channel)
    events = list(Notification.objects.order_by("pk").values_list("data__event", flat=True))
    assert events == ["resolved", "reopened", "redirected"]
    subjects = [m.subject for m in _mails(member)]
    assert "resolved" in subjects[0] and "back with our support team" in subjects[1] and "Next steps" in subjects[2]
    assert "0800 123 456" in _mails(member)[2].body


def test_the_asker_solving_their_escalated_question_is_not_told_about_it(member, other_member, category):
    thread, ticket = _escalated(member, category)
    reply = answer(other_member, thread)
    community.accept_answer(user=member, answer=reply)
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert not Notification.objects.filter(recipient=member, kind=Kind.SUPPORT).exists()


def test_a_flag_review_is_not_a_support_notification(member, staff, other_member, category):
    thread = ask(member, category)
    ticket, _ = escalate_thread(thread=thread, reason=Ticket.Reason.FLAGGED)
    resolve_ticket(ticket_id=ticket.pk, staff=staff)
    assert not Notification.objects.filter(kind=Kind.SUPPORT).exists()


# --- The staff digest --------------------------------------------------------------------------


def test_the_new_tickets_digest_goes_to_each_staff_member_with_private_titles(member, category, django_capture_on_commit_callbacks):
    staff_a, staff_b = StaffFactory(), StaffFactory()
    private = ask(member, category, is_private=True, body=CARD_BODY)
    with django_capture_on_commit_callbacks(execute=True):
        notify_staff_of_new_tickets()
    assert set(Notification.objects.filter(kind=Kind.NEW_TICKETS).values_list("recipient", flat=True)) == {staff_a.pk, staff_b.pk}
    assert not Notification.objects.filter(kind=Kind.NEW_TICKETS, recipient=member).exists()
    for staff in (staff_a, staff_b):
        [message] = _mails(staff)
        assert private.title in message.body and "1 new ticket " in message.subject
        assert private.title in message.alternatives[0][0]


# --- Accept reminders --------------------------------------------------------------------------


def _helped(member, category, *, upvoted=True):
    thread = ask(member, category)
    reply = answer(UserFactory(), thread)
    if upvoted:
        community.upvote_answer(user=UserFactory(), answer=reply)
    return thread, reply


def test_the_accept_reminder_comes_once_after_the_configured_days(member, category):
    settings_row = NotificationSettings.load()
    settings_row.accept_reminder_days = 5
    settings_row.save()
    start = timezone.now()
    thread, reply = _helped(member, category)
    with time_machine.travel(start + timedelta(days=4), tick=False):
        assert services.send_accept_reminders() == 0
    with time_machine.travel(start + timedelta(days=5, minutes=1), tick=False):
        assert services.send_accept_reminders() == 1
        assert services.send_accept_reminders() == 0
    with time_machine.travel(start + timedelta(days=30), tick=False):
        assert services.send_accept_reminders() == 0
    reminder = Notification.objects.get(kind=Kind.ACCEPT_REMINDER)
    assert (reminder.recipient, reminder.thread, reminder.answer) == (member, thread, reply)


def test_no_reminder_for_solved_threads_unhelped_threads_or_ones_own_answers(member, category):
    solved, reply = _helped(member, category)
    community.accept_answer(user=member, answer=reply)
    _helped(member, category, upvoted=False)
    own = ask(member, category)
    own_answer = answer(member, own)
    community.upvote_answer(user=UserFactory(), answer=own_answer)
    with time_machine.travel(timezone.now() + timedelta(days=10), tick=False):
        assert services.send_accept_reminders() == 0


def test_an_official_answer_counts_as_helpful_for_the_reminder(member, staff, category):
    thread = ask(member, category)
    answer(staff, thread)
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        assert services.send_accept_reminders() == 1


def test_a_reminder_the_member_turned_off_completely_is_still_not_sent_twice(member, category):
    services.set_preferences(user=member, choices={Kind.ACCEPT_REMINDER: (False, False)})
    _helped(member, category)
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        services.send_accept_reminders()
        services.send_accept_reminders()
    assert Notification.objects.filter(kind=Kind.ACCEPT_REMINDER).count() == 1
    assert Notification.objects.shown_to(member).filter(kind=Kind.ACCEPT_REMINDER).count() == 0
    assert mail.outbox == []


# --- Private threads ---------------------------------------------------------------------------


def test_notify_refuses_anyone_who_may_not_see_the_thread(member, other_member, staff, category):
    private = ask(member, category, is_private=True)
    assert services.notify(recipient=other_member, kind=Kind.ANSWER, thread=private, text="x") is None
    assert services.notify(recipient=staff, kind=Kind.ANSWER, thread=private, text="x") is not None
    assert services.notify(recipient=member, kind=Kind.ANSWER, thread=private, text="x") is not None


def test_a_thread_that_becomes_private_disappears_from_the_answerers_notifications(member, other_member, category, django_capture_on_commit_callbacks):
    thread = ask(member, category)
    reply = answer(other_member, thread)
    community.upvote_answer(user=UserFactory(), answer=reply)
    assert services.unread_count(other_member) == 1
    with django_capture_on_commit_callbacks(execute=True):
        community.edit_question(user=member, thread=thread, title=thread.title, body=CARD_BODY)
    thread.refresh_from_db()
    assert thread.is_private
    assert Notification.objects.shown_to(other_member).count() == 0
    assert services.unread_count(other_member) == 0
    # Pending mail about it is dropped, and later events on the thread tell them nothing.
    assert emails.send_pending_emails() == 0
    community.upvote_answer(user=UserFactory(), answer=reply)
    community.accept_answer(user=member, answer=reply)
    assert Notification.objects.filter(recipient=other_member, on_site=True).count() == 0
    assert not [m for m in mail.outbox if other_member.email in m.to]
    # The asker still sees their own notification about the answer.
    assert Notification.objects.shown_to(member).filter(kind=Kind.ANSWER).count() == 1


def test_the_list_hides_a_notification_whose_thread_is_now_private_even_without_the_event(member, other_member, category):
    thread = ask(member, category)
    reply = answer(other_member, thread)
    community.upvote_answer(user=UserFactory(), answer=reply)
    type(thread).objects.filter(pk=thread.pk).update(is_private=True)
    assert Notification.objects.shown_to(other_member).count() == 0


def test_a_pending_email_about_a_thread_now_private_is_not_sent(member, other_member, category):
    thread = ask(member, category)
    reply = answer(other_member, thread)
    community.upvote_answer(user=UserFactory(), answer=reply)
    type(thread).objects.filter(pk=thread.pk).update(is_private=True)
    assert emails.send_pending_emails() == 0
    assert Notification.objects.get(recipient=other_member).email_status == "skipped"
