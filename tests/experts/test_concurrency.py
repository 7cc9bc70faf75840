"""Races that only a database with row locks can show: run on PostgreSQL (skipped on SQLite)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalation.deadlines import sweep_due_deadlines
from escalation.models import EscalationPolicy, Ticket
from experts import services
from experts.models import CategoryProgramme, Claim, ExpertSettings, Offer
from tests.escalation.test_concurrency import _run_at_once
from tests.experts.conftest import ask, make_expert
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _programme():
    category = CategoryFactory()
    EscalationPolicy.objects.create(
        category=category, answer_within_minutes=60, solve_within_minutes=24 * 60, staff_response_minutes=30
    )
    ExpertSettings.objects.update_or_create(pk=1, defaults={"probation_answers": 0})
    CategoryProgramme.objects.create(
        category=category, fee=Decimal("10.00"), currency="EUR", expert_window_minutes=120, claim_hold_minutes=30
    )
    return category


def _due_threads(category, n):
    asker = UserFactory()
    with time_machine.travel(timezone.now() - timedelta(minutes=61), tick=False):
        return [ask(asker, category) for _ in range(n)]


def test_ten_experts_claiming_one_offer_at_once_leave_one_claimant_and_no_500(on_postgres):
    category = _programme()
    experts = [make_expert(category) for _ in range(10)]
    (thread,) = _due_threads(category, 1)
    sweep_due_deadlines()
    offer = Offer.objects.get(thread=thread)
    url = reverse("experts:claim", args=[offer.pk])

    def claim(i):
        client = Client()
        client.force_login(experts[i].user)
        response = client.post(url)
        return response.status_code

    results = _run_at_once(10, claim)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results) == [302] * 10  # the winner goes to the thread, the others back to their page
    claims = Claim.objects.filter(offer=offer)
    assert claims.count() == 1 and claims.get().status == Claim.Status.ACTIVE
    offer.refresh_from_db()
    assert offer.status == Offer.Status.CLAIMED


def test_ten_experts_claiming_through_the_service_at_once_one_wins_the_rest_are_told(on_postgres):
    category = _programme()
    experts = [make_expert(category) for _ in range(10)]
    (thread,) = _due_threads(category, 1)
    sweep_due_deadlines()
    offer = Offer.objects.get(thread=thread)
    results = _run_at_once(10, lambda i: services.claim_offer(user=experts[i].user, offer_id=offer.pk))
    won = [r for r in results if isinstance(r, Claim)]
    lost = [r for r in results if isinstance(r, services.ExpertActionError)]
    assert len(won) == 1 and len(lost) == 9, results


def test_two_sweeps_at_once_offer_and_expire_each_thread_once(on_postgres):
    category = _programme()
    make_expert(category)
    threads = _due_threads(category, 12)
    results = _run_at_once(2, lambda i: sweep_due_deadlines(batch_size=3))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Offer.objects.count() == 12
    assert not Ticket.objects.exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=121), tick=False):
        work = (
            lambda i: services.sweep_offers() if i % 2 == 0 else sweep_due_deadlines(batch_size=3)
        )
        results = _run_at_once(4, work)
        assert not [r for r in results if isinstance(r, Exception)], results
    assert Ticket.objects.count() == 12
    assert set(Ticket.objects.values_list("thread_id", flat=True)) == {t.pk for t in threads}
    assert set(Offer.objects.values_list("status", flat=True)) == {Offer.Status.EXPIRED}


def test_a_claim_and_the_window_end_at_once_leave_a_consistent_offer(on_postgres):
    category = _programme()
    expert = make_expert(category)
    (thread,) = _due_threads(category, 1)
    sweep_due_deadlines()
    offer = Offer.objects.get(thread=thread)
    with time_machine.travel(offer.window_ends_at - timedelta(seconds=1), tick=False):
        services.claim_offer(user=expert.user, offer_id=offer.pk)
    with time_machine.travel(offer.window_ends_at + timedelta(seconds=1), tick=False):
        results = _run_at_once(3, lambda i: services.sweep_offers())
    assert not [r for r in results if isinstance(r, Exception)], results
    offer.refresh_from_db()
    assert offer.status == Offer.Status.EXPIRED
    assert Ticket.objects.filter(thread=thread).count() == 1
    assert not Claim.objects.filter(offer=offer, status=Claim.Status.ACTIVE).exists()
