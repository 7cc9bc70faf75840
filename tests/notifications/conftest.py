"""Helpers for the notification tests: every event is made through the real services of
community, kudos and escalation, so the receivers under test run exactly as in production."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from community import services as community
from escalation.deadlines import notify_staff_of_new_tickets
from escalation.models import Ticket
from escalation.tickets import answer_ticket
from kudos.services import award_points
from notifications import emails, services
from notifications.models import Kind, Notification
from tests.factories import StaffFactory, UserFactory

_counter = itertools.count(1)


def ask(author, category, *, is_private: bool = False, body: str = "How do I export my calendar to a CSV file?"):
    n = next(_counter)
    return community.ask_question(
        author=author, category=category, title=f"Calendar export question {n}", body=body, is_private=is_private
    )


def answer(author, thread, body: str = "Open Settings, then Export, and pick CSV."):
    return community.post_answer(author=author, thread=thread, body=body)


def trigger(kind: str, recipient, category, capture) -> None:
    """Make one event of ``kind`` that concerns ``recipient`` (through the services), running
    the after-commit callbacks and, where a kind is mailed by a periodic task, that task."""
    if kind == Kind.ANSWER:
        thread = ask(recipient, category)
        with capture(execute=True):
            answer(UserFactory(), thread)
    elif kind == Kind.ACCEPTED:
        asker = UserFactory()
        thread = ask(asker, category)
        reply = answer(recipient, thread)
        with capture(execute=True):
            community.accept_answer(user=asker, answer=reply)
    elif kind == Kind.UPVOTED:
        thread = ask(UserFactory(), category)
        reply = answer(recipient, thread)
        with capture(execute=True):
            community.upvote_answer(user=UserFactory(), answer=reply)
        with capture(execute=True):
            emails.send_pending_emails()
    elif kind == Kind.RANK:
        with capture(execute=True):
            award_points(staff=StaffFactory(), member=recipient, points=50, note="Great help")
    elif kind == Kind.SUPPORT:
        thread = ask(recipient, category, is_private=True)
        ticket = Ticket.objects.get(thread=thread)
        with capture(execute=True):
            answer_ticket(ticket_id=ticket.pk, staff=StaffFactory(), body="We refunded it.")
    elif kind == Kind.ACCEPT_REMINDER:
        thread = ask(recipient, category)
        reply = answer(UserFactory(), thread)
        community.upvote_answer(user=UserFactory(), answer=reply)
        # Only the reminder is under test here, not the answer's own notification.
        Notification.objects.filter(recipient=recipient, kind=Kind.ANSWER).delete()
        with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
            with capture(execute=True):
                services.send_accept_reminders()
    elif kind == Kind.NEW_TICKETS:
        ask(UserFactory(), category, is_private=True)
        with capture(execute=True):
            notify_staff_of_new_tickets()
    elif kind in (Kind.EXPERT_OFFER, Kind.EXPERT, Kind.SESSION, Kind.EXPERTS_STAFF):
        _trigger_experts(kind, recipient, category, capture)
    elif kind == Kind.COMMENT:
        thread = ask(recipient, category)
        with capture(execute=True):
            community.post_comment(author=UserFactory(), thread=thread, body="Which version are you on?")
    elif kind == Kind.MENTION:
        thread = ask(UserFactory(), category)
        with capture(execute=True):
            community.post_comment(author=UserFactory(), thread=thread, body=f"@{recipient.username} had this last week")
    elif kind == Kind.FOLLOWED:
        thread = ask(UserFactory(), category)
        community.follow(user=recipient, thread=thread)
        with capture(execute=True):
            answer(UserFactory(), thread)
    else:  # pragma: no cover
        raise AssertionError(kind)


def _trigger_experts(kind: str, recipient, category, capture) -> None:
    """The experts tier's kinds (experts.events), each through the experts services."""
    from datetime import timedelta as _td
    from decimal import Decimal

    from experts import services as experts
    from experts.models import CategoryProgramme, Expertise, Service

    CategoryProgramme.objects.get_or_create(category=category, defaults={"fee": Decimal("10.00")})
    staff = StaffFactory()

    def expert(user):
        made = experts.apply_as_expert(user=user, categories=[category], motivation="I know this well.", availability="Evenings")
        experts.approve_expertise(staff=staff, expertise_id=Expertise.objects.get(expert=made).pk)
        return made

    if kind == Kind.EXPERTS_STAFF:
        with capture(execute=True):
            experts.apply_as_expert(user=UserFactory(), categories=[category], motivation="Keen.", availability="Any")
    elif kind == Kind.EXPERT:
        made = experts.apply_as_expert(user=recipient, categories=[category], motivation="Keen.", availability="Any")
        with capture(execute=True):
            experts.approve_expertise(staff=staff, expertise_id=Expertise.objects.get(expert=made).pk)
    elif kind == Kind.EXPERT_OFFER:
        expert(recipient)
        Notification.objects.filter(recipient=recipient).delete()  # only the offer is under test
        thread = ask(UserFactory(), category)
        with capture(execute=True):
            experts.offer_thread(thread=thread)
    else:  # Kind.SESSION: an expert accepts the recipient's remote session
        service = Service.objects.create(name="Sync help", category=category, price=Decimal("20"), expert_fee=Decimal("15"))
        session = experts.request_session(customer=recipient, service=service, mode="remote", preferred_times="Any")
        helper = expert(UserFactory())
        with capture(execute=True):
            experts.accept_session(user=helper.user, session_id=session.pk, proposed_start=timezone.now() + _td(days=1),
                                   meeting_link="https://meet.example.com/x")


@pytest.fixture
def fire(category, django_capture_on_commit_callbacks):
    return lambda kind, recipient: trigger(kind, recipient, category, django_capture_on_commit_callbacks)
