from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from community import events, moderation
from community import services as community
from community.models import Answer, Thread
from escalation.deadlines import escalate_thread, sweep_due_deadlines
from escalation.models import Channel, Deadline, Ticket, TicketEvent
from escalation.tickets import (
    TicketActionError,
    TicketAlreadyClaimed,
    add_ticket_note,
    answer_ticket,
    claim_ticket,
    redirect_ticket,
    reopen_ticket,
    resolve_ticket,
)
from tests.escalation.conftest import answer, ask
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

CARD_BODY = "I was charged twice on my card 4111 1111 1111 1111, can you refund one?"


def _escalated(member, category):
    thread = ask(member, category)
    ticket, _ = escalate_thread(thread=thread, reason=Ticket.Reason.UNANSWERED)
    return thread, ticket


def test_a_question_with_a_card_number_goes_to_the_queue_at_once_as_confidential(member, category, policy):
    thread = ask(member, category, title="Double charge", body=CARD_BODY)
    assert thread.is_private
    ticket = Ticket.objects.get(thread=thread)
    assert (ticket.reason, ticket.status) == ("confidential", "open")
    assert not Deadline.objects.filter(thread=thread).exists()


def test_a_question_marked_private_goes_to_the_queue_at_once(member, category, policy):
    thread = ask(member, category, is_private=True)
    assert Ticket.objects.get(thread=thread).reason == "confidential"


def test_an_edit_that_makes_a_thread_private_escalates_it(member, category, policy):
    thread = ask(member, category)
    community.edit_question(user=member, thread=thread, title=thread.title, body=CARD_BODY)
    assert Ticket.objects.get(thread=thread).reason == "confidential"
    assert not Deadline.objects.filter(thread=thread, status="pending").exists()


def test_a_staff_answer_records_the_first_response_and_waits_on_the_customer(member, staff, category, policy, django_capture_on_commit_callbacks):
    thread, ticket = _escalated(member, category)
    with django_capture_on_commit_callbacks(execute=True):
        reply = answer_ticket(ticket_id=ticket.pk, staff=staff, body="Here is how to fix it: ...")
    ticket.refresh_from_db()
    assert reply.is_official
    assert ticket.status == "waiting"
    assert ticket.first_response_at is not None
    assert ticket.assignee == staff
    assert list(ticket.events.values_list("action", flat=True)) == ["opened", "answered"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]
    assert "Here is how to fix it" in mail.outbox[0].body


def test_every_staff_reply_emails_the_asker(member, staff, category, policy, django_capture_on_commit_callbacks):
    thread, ticket = _escalated(member, category)
    with django_capture_on_commit_callbacks(execute=True):
        answer(staff, thread, "First official reply")
    with django_capture_on_commit_callbacks(execute=True):
        answer(staff, thread, "Second official reply")
    assert [m.to for m in mail.outbox] == [[member.email], [member.email]]
    ticket.refresh_from_db()
    first_response = ticket.first_response_at
    assert first_response is not None


def test_a_community_answer_sends_no_support_team_email(member, other_member, category, policy, django_capture_on_commit_callbacks):
    thread = ask(member, category)
    with django_capture_on_commit_callbacks(execute=True):
        answer(other_member, thread)
    # The asker hears of the answer as a community answer (notifications), never from support.
    assert not [m for m in mail.outbox if "support team" in m.subject]


def test_still_need_help_without_a_ticket_opens_one(member, other_member, category, policy):
    thread = ask(member, category)
    answer(other_member, thread)
    community.ask_for_more_help(user=member, thread=thread)
    ticket = Ticket.objects.get(thread=thread)
    assert (ticket.reason, ticket.status) == ("still_needs_help", "open")
    assert not Deadline.objects.filter(thread=thread, status="pending").exists()


def test_still_need_help_after_a_staff_reply_sends_the_ticket_back_to_staff(member, staff, category, policy):
    thread, ticket = _escalated(member, category)
    answer(staff, thread)
    community.ask_for_more_help(user=member, thread=thread)
    ticket.refresh_from_db()
    assert ticket.status == "claimed"
    assert ticket.events.last().action == "customer"


def test_still_need_help_reopens_a_resolved_ticket(member, staff, category, policy):
    thread, ticket = _escalated(member, category)
    answer(staff, thread)
    resolve_ticket(ticket_id=ticket.pk, staff=staff)
    community.ask_for_more_help(user=member, thread=thread)
    ticket.refresh_from_db()
    assert ticket.status == "claimed"
    assert ticket.resolved_at is None
    assert Ticket.objects.filter(thread=thread).count() == 1
    assert ticket.events.last().action == "reopened"


def _flag_until_hidden(post):
    for _ in range(3):
        moderation.flag_post(user=UserFactory(), post=post, reason="spam")


def test_a_post_hidden_by_flags_opens_a_flagged_ticket_and_keeps_the_timers(member, other_member, category, policy):
    thread = ask(member, category)
    reply = answer(other_member, thread)
    _flag_until_hidden(reply)
    ticket = Ticket.objects.get(thread=thread)
    assert ticket.reason == "flagged"
    assert f"Answer #{reply.pk}" in ticket.events.get().detail
    assert Deadline.objects.get(thread=thread, kind="solve").status == "pending"


def test_restoring_the_flagged_post_resolves_the_flagged_ticket(member, other_member, staff, category, policy):
    thread = ask(member, category)
    _flag_until_hidden(thread)
    moderation.restore_post(user=staff, post=thread)
    ticket = Ticket.objects.get(thread=thread)
    assert (ticket.status, ticket.assignee) == ("resolved", staff)
    assert list(ticket.events.values_list("action", flat=True)) == ["opened", "moderated", "resolved"]


def test_removing_a_flagged_question_stops_its_timers(member, staff, category, policy):
    thread = ask(member, category)
    _flag_until_hidden(thread)
    moderation.remove_post(user=staff, post=thread)
    assert not Deadline.objects.filter(thread=thread, status="pending").exists()
    assert Ticket.objects.get(thread=thread).status == "resolved"


def test_a_timer_passing_on_a_flagged_thread_is_noted_on_its_ticket(member, other_member, category, policy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        thread = ask(member, category)
        _flag_until_hidden(thread)
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        sweep_due_deadlines()
    ticket = Ticket.objects.get(thread=thread)
    assert ticket.reason == "flagged"
    assert ticket.events.last().action == "timer"


def test_a_hidden_post_on_an_escalated_thread_adds_to_its_history(member, category, policy):
    thread, ticket = _escalated(member, category)
    events.post_hidden.send(sender=Thread, post=thread)
    assert Ticket.objects.filter(thread=thread).count() == 1
    assert ticket.events.last().action == "flagged"


def test_claiming_makes_the_staff_member_the_owner(member, staff, category, policy):
    _, ticket = _escalated(member, category)
    claimed = claim_ticket(ticket_id=ticket.pk, staff=staff)
    assert (claimed.assignee, claimed.status) == (staff, "claimed")
    assert claimed.claimed_at is not None
    # Claiming again is harmless.
    claim_ticket(ticket_id=ticket.pk, staff=staff)
    assert TicketEvent.objects.filter(ticket=ticket, action="claimed").count() == 1


def test_the_second_claimer_is_told_who_has_the_ticket(member, staff, category, policy):
    _, ticket = _escalated(member, category)
    claim_ticket(ticket_id=ticket.pk, staff=staff)
    with pytest.raises(TicketAlreadyClaimed, match=staff.name):
        claim_ticket(ticket_id=ticket.pk, staff=StaffFactory())
    ticket.refresh_from_db()
    assert ticket.assignee == staff


def test_redirecting_closes_the_ticket_and_emails_the_channel_instructions(member, staff, category, policy, django_capture_on_commit_callbacks):
    channel = Channel.objects.create(name="Billing", instructions="Call us on 0800 123 456.", link="https://example.com/billing")
    _, ticket = _escalated(member, category)
    with django_capture_on_commit_callbacks(execute=True):
        redirect_ticket(ticket_id=ticket.pk, staff=staff, channel=channel)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.channel, ticket.assignee) == ("redirected", channel, staff)
    assert ticket.resolved_at is not None
    assert mail.outbox[0].to == [member.email]
    assert "0800 123 456" in mail.outbox[0].body
    assert "https://example.com/billing" in mail.outbox[0].body


def test_resolve_and_reopen_are_recorded_in_the_history(member, staff, category, policy):
    _, ticket = _escalated(member, category)
    resolve_ticket(ticket_id=ticket.pk, staff=staff)
    with pytest.raises(TicketActionError):
        resolve_ticket(ticket_id=ticket.pk, staff=staff)
    reopen_ticket(ticket_id=ticket.pk, staff=staff)
    ticket.refresh_from_db()
    assert ticket.status == "claimed"
    assert list(ticket.events.values_list("action", "actor")) == [
        ("opened", None),
        ("resolved", staff.pk),
        ("reopened", staff.pk),
    ]


def test_reopening_is_refused_while_another_ticket_of_the_thread_is_active(member, staff, category, policy):
    thread, ticket = _escalated(member, category)
    resolve_ticket(ticket_id=ticket.pk, staff=staff)
    escalate_thread(thread=thread, reason=Ticket.Reason.FLAGGED)
    with pytest.raises(TicketActionError, match="already open"):
        reopen_ticket(ticket_id=ticket.pk, staff=staff)


def test_notes_are_kept_with_their_author(member, staff, category, policy):
    _, ticket = _escalated(member, category)
    note = add_ticket_note(ticket_id=ticket.pk, staff=staff, body="Customer is on the legacy plan.")
    assert (note.ticket, note.author) == (ticket, staff)
    assert ticket.events.last().action == "noted"


def test_staff_get_one_email_per_sweep_listing_all_new_tickets(member, category, policy, django_capture_on_commit_callbacks):
    staff_a, staff_b = StaffFactory(), StaffFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        unanswered = [ask(member, category) for _ in range(3)]
        private = ask(member, category, is_private=True)
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            sweep_due_deadlines()
        with django_capture_on_commit_callbacks(execute=True):
            sweep_due_deadlines()
    # One digest per staff member per sweep (each with its own unsubscribe link).
    assert sorted(m.to[0] for m in mail.outbox) == sorted([staff_a.email, staff_b.email])
    for digest in mail.outbox:
        assert "4 new tickets" in digest.subject
        for thread in [*unanswered, private]:
            assert thread.title in digest.body
    assert not Ticket.objects.filter(staff_notified_at__isnull=True).exists()


def test_accepting_a_solution_resolves_the_ticket(member, staff, category, policy):
    thread, ticket = _escalated(member, category)
    reply = answer(staff, thread, "Official fix")
    community.accept_answer(user=member, answer=reply)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at is not None) == ("resolved", True)
    assert list(ticket.events.values_list("action", flat=True))[-2:] == ["customer", "resolved"]


def test_a_solution_does_not_settle_a_flag_review(member, other_member, category, policy):
    thread = ask(member, category)
    reply = answer(other_member, thread)
    _flag_until_hidden(thread)
    community.accept_answer(user=member, answer=reply)
    assert Ticket.objects.get(thread=thread).status == "open"


@pytest.mark.parametrize(
    "action",
    [
        lambda ticket, user: claim_ticket(ticket_id=ticket.pk, staff=user),
        lambda ticket, user: add_ticket_note(ticket_id=ticket.pk, staff=user, body="A note"),
        lambda ticket, user: answer_ticket(ticket_id=ticket.pk, staff=user, body="An official answer"),
        lambda ticket, user: redirect_ticket(
            ticket_id=ticket.pk, staff=user, channel=Channel.objects.create(name="Billing", instructions="Call us")
        ),
        lambda ticket, user: resolve_ticket(ticket_id=ticket.pk, staff=user),
        lambda ticket, user: reopen_ticket(ticket_id=ticket.pk, staff=user),
    ],
    ids=["claim", "note", "answer", "redirect", "resolve", "reopen"],
)
def test_the_staff_services_refuse_anyone_who_may_not_work_the_queue(member, other_member, category, policy, action):
    """The services check check_can_work_queue themselves, not only the views in front of them."""
    from django.http import Http404

    thread, ticket = _escalated(member, category)
    events_before = list(ticket.events.values_list("action", flat=True))
    with pytest.raises(Http404):
        action(ticket, other_member)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == ("open", None)
    assert list(ticket.events.values_list("action", flat=True)) == events_before
    assert not Answer.objects.filter(thread=thread).exists()
