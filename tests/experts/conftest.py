"""Helpers for the experts tests: questions, answers and accepts go through community's
services and the sweep through escalation's, so every receiver runs as in production."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from community import services as community
from escalation.deadlines import sweep_due_deadlines
from escalation.models import EscalationPolicy
from experts import services
from experts.models import CategoryProgramme, ExpertSettings, Expertise, Service, ServiceArea
from tests.factories import CategoryFactory, StaffFactory, UserFactory

_counter = itertools.count(1)


def ask(author, category, **kwargs):
    n = next(_counter)
    kwargs.setdefault("title", f"Printer pairing question {n}")
    kwargs.setdefault("body", "My printer does not pair with the laptop after the update.")
    return community.ask_question(author=author, category=category, **kwargs)


def make_expert(category, *, staff=None, areas=(), user=None):
    """A member who applied for ``category`` and whom staff approved."""
    user = user or UserFactory()
    staff = staff or StaffFactory()
    expert = services.apply_as_expert(
        user=user, categories=[category], motivation="I fix printers every day.", availability="Evenings",
        service_areas=areas,
    )
    for expertise in Expertise.objects.filter(expert=expert):
        services.approve_expertise(staff=staff, expertise_id=expertise.pk)
    expert.refresh_from_db()
    return expert


@pytest.fixture
def programme(category):
    EscalationPolicy.objects.create(
        category=category, answer_within_minutes=60, solve_within_minutes=24 * 60, staff_response_minutes=30
    )
    ExpertSettings.objects.update_or_create(pk=1, defaults={"probation_answers": 0})
    return CategoryProgramme.objects.create(
        category=category, fee=Decimal("12.50"), currency="EUR", expert_window_minutes=120, claim_hold_minutes=30
    )


@pytest.fixture
def area(db):
    return ServiceArea.objects.create(name="Riverside")


@pytest.fixture
def service(category):
    return Service.objects.create(
        name="Set up a new phone with your laptop", category=category, mode=Service.Mode.EITHER,
        duration_minutes=45, price=Decimal("49.00"), expert_fee=Decimal("35.00"), currency="EUR",
    )


def offered_thread(asker, category):
    """A public question asked 61 minutes ago and swept: now offered to experts."""
    start = timezone.now() - timedelta(minutes=61)
    with time_machine.travel(start, tick=False):
        thread = ask(asker, category)
    sweep_due_deadlines()
    return thread


__all__ = ["ask", "make_expert", "offered_thread", "CategoryFactory"]
