"""The sweep's cost follows what is due, in a fixed number of queries per batch, and its
batched path writes exactly what escalating timer by timer would."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalation.deadlines import escalate_thread, sweep_due_deadlines
from escalation.models import Deadline, Ticket, TicketEvent
from tests.escalation.conftest import answer, ask
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def sweep_queries(member, category, due: int) -> int:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(due):
            ask(member, category)
    with time_machine.travel(start + timedelta(minutes=61), tick=False), CaptureQueriesContext(connection) as queries:
        assert sweep_due_deadlines() == due
    return len(queries)


def test_the_sweep_runs_the_same_queries_for_three_or_fifteen_due_timers(member, category, policy):
    few = sweep_queries(member, category, 3)
    many = sweep_queries(member, category, 15)
    assert many <= few
    assert Ticket.objects.filter(reason=Ticket.Reason.UNANSWERED).count() == 18


def test_a_batch_opens_one_ticket_per_thread_and_notes_a_second_due_timer_on_it(member, category, policy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        both = ask(member, category)
        answered = ask(member, category)
        answer(UserFactory(), answered)
    with time_machine.travel(start + timedelta(minutes=200), tick=False):
        assert sweep_due_deadlines() == 3
    ticket = Ticket.objects.get(thread=both)
    assert ticket.reason == Ticket.Reason.UNANSWERED
    assert ticket.due_at == start + timedelta(minutes=200) + timedelta(minutes=30)
    actions = list(TicketEvent.objects.filter(ticket=ticket).order_by("pk").values_list("action", "detail"))
    assert actions == [("opened", "First answer deadline passed"), ("timer", "Solution deadline passed")]
    assert set(Deadline.objects.filter(thread=both).values_list("status", flat=True)) == {"escalated"}
    assert Ticket.objects.get(thread=answered).reason == Ticket.Reason.UNSOLVED
    assert dict(Deadline.objects.filter(thread=answered).values_list("kind", "status")) == {
        "first_answer": "cleared",
        "solve": "escalated",
    }


def test_a_thread_already_with_staff_gets_a_timer_note_not_a_second_ticket(member, category, policy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        thread = ask(member, category)
        existing, _ = escalate_thread(thread=thread, reason=Ticket.Reason.FLAGGED, stop_timers=False)
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        sweep_due_deadlines()
    assert Ticket.objects.filter(thread=thread).count() == 1
    assert TicketEvent.objects.filter(ticket=existing, action="timer").count() == 1
