"""Races that only a database with row locks can show: run on PostgreSQL (skipped on SQLite)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalation.deadlines import escalate_thread, escalate_thread_if_due, sweep_due_deadlines
from escalation.models import Deadline, Ticket
from tests.escalation.conftest import ask
from tests.factories import CategoryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _run_at_once(n, target):
    """Run target(i) in n threads released together; returns results or raised exceptions."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = target(i)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            results[i] = exc
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return results


def _due_threads(n):
    from escalation.models import EscalationPolicy

    category = CategoryFactory()
    EscalationPolicy.objects.create(
        category=category, answer_within_minutes=60, solve_within_minutes=61, staff_response_minutes=30
    )
    asker = UserFactory()
    start = timezone.now() - timedelta(hours=2)
    with time_machine.travel(start, tick=False):
        return [ask(asker, category) for _ in range(n)]


def test_two_sweeps_at_once_escalate_each_thread_once(on_postgres):
    threads = _due_threads(30)
    # Both timers of every thread are due; small batches make the sweeps interleave.
    results = _run_at_once(2, lambda i: sweep_due_deadlines(batch_size=4))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Ticket.objects.count() == 30
    assert set(Ticket.objects.values_list("thread_id", flat=True)) == {t.pk for t in threads}
    assert not Deadline.objects.filter(status="pending").exists()


def test_the_same_countdown_task_delivered_twice_at_once_makes_one_ticket(on_postgres):
    (thread,) = _due_threads(1)
    results = _run_at_once(4, lambda i: escalate_thread_if_due(thread_id=thread.pk))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Ticket.objects.filter(thread=thread).count() == 1


def test_a_sweep_and_a_countdown_task_at_once_make_one_ticket(on_postgres):
    threads = _due_threads(10)

    def work(i):
        if i == 0:
            return sweep_due_deadlines(batch_size=2)
        return sum(escalate_thread_if_due(thread_id=t.pk) for t in threads)

    results = _run_at_once(2, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Ticket.objects.count() == 10


def test_ten_staff_claiming_one_ticket_at_once_leave_exactly_one_owner(on_postgres):
    (thread,) = _due_threads(1)
    ticket, _ = escalate_thread(thread=thread, reason=Ticket.Reason.UNANSWERED)
    staff = [StaffFactory() for _ in range(10)]
    url = reverse("escalation:claim", args=[ticket.pk])

    def claim(i):
        client = Client()
        client.force_login(staff[i])
        response = client.post(url, headers={"HX-Request": "true"})
        return response.status_code, response.content.decode()

    results = _run_at_once(10, claim)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert [status for status, _ in results] == [200] * 10
    ticket.refresh_from_db()
    assert ticket.assignee in staff
    losers = [body for _, body in results if "has already claimed" in body]
    assert len(losers) == 9
    assert all(f"{ticket.assignee.name} has already claimed" in body for body in losers), [b[b.find("errorlist"):b.find("errorlist")+80] for b in losers]
    assert ticket.events.filter(action="claimed").count() == 1
