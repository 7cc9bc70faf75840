"""The quality score orders who is offered work; a low one suspends the expert automatically."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from community import services as community
from experts import quality, services
from experts.models import Claim, Expert, ExpertSettings, Offer
from notifications.models import Kind, Notification
from tests.experts.conftest import make_expert, offered_thread

pytestmark = pytest.mark.django_db


def test_the_score_is_solution_rate_times_average_rating():
    figures = quality.score_from(tasks=4, solved=3, ratings=[5, 4, 3])
    assert figures.rating == Decimal("4.00")
    assert figures.score == Decimal("0.600")
    assert quality.score_from(tasks=0, solved=0, ratings=[]).score == Decimal("1.000")


def _paid_answer(category, asker, expert, *, accept: bool, rating=None):
    thread = offered_thread(asker, category)
    claim = services.claim_offer(user=expert.user, offer_id=thread.expert_offer.pk)
    answer = community.post_answer(author=expert.user, thread=thread, body="Try the reset procedure in the manual.")
    if accept:
        community.accept_answer(user=asker, answer=answer)
        if rating:
            services.rate_paid_answer(user=asker, claim_id=claim.pk, rating=rating)
    return Claim.objects.get(pk=claim.pk)


def test_a_low_score_after_enough_tasks_suspends_the_expert_and_tells_staff(category, programme, member, staff, django_capture_on_commit_callbacks):
    ExpertSettings.objects.filter(pk=1).update(quality_threshold=Decimal("0.500"), quality_min_tasks=3)
    expert = make_expert(category)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            claim = _paid_answer(category, member, expert, accept=True, rating=1)
    expert.refresh_from_db()
    assert expert.quality_tasks == 3 and expert.quality_score == Decimal("0.200")
    assert expert.status == Expert.Status.SUSPENDED
    assert "below" in expert.status_reason
    assert Notification.objects.filter(recipient=staff, kind=Kind.EXPERTS_STAFF, text__contains="automatically").exists()
    assert claim.status == Claim.Status.ANSWERED  # an answered claim stays; only open ones are lost


def test_the_threshold_waits_for_the_minimum_number_of_tasks(category, programme, member, django_capture_on_commit_callbacks):
    ExpertSettings.objects.filter(pk=1).update(quality_threshold=Decimal("0.500"), quality_min_tasks=5)
    expert = make_expert(category)
    with django_capture_on_commit_callbacks(execute=True):
        _paid_answer(category, member, expert, accept=True, rating=1)
    expert.refresh_from_db()
    assert expert.status == Expert.Status.ACTIVE and expert.quality_tasks == 1


def test_tasks_older_than_ninety_days_no_longer_count(category, programme, member):
    expert = make_expert(category)
    with time_machine.travel(timezone.now() - timedelta(days=100), tick=False):
        _paid_answer(category, member, expert, accept=True, rating=2)
    expert = services.recompute_quality(expert_id=expert.pk)
    assert expert.quality_tasks == 0
    _paid_answer(category, member, expert, accept=True, rating=5)
    expert = services.recompute_quality(expert_id=expert.pk)
    assert expert.quality_tasks == 1 and expert.quality_score == Decimal("1.000")


def test_the_best_score_is_offered_work_first(category, programme, member):
    low, high = make_expert(category), make_expert(category)
    Expert.objects.filter(pk=low.pk).update(quality_score=Decimal("0.3"))
    Expert.objects.filter(pk=high.pk).update(quality_score=Decimal("0.95"))
    assert list(Expert.objects.approved_for(category.pk).by_quality()) == [high, low]
    offered_thread(member, category)
    first = Notification.objects.filter(kind=Kind.EXPERT_OFFER).order_by("pk").first()
    assert first.recipient_id == high.user_id
    assert Offer.objects.count() == 1
