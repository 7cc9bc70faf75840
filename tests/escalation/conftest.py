"""Helpers for the escalation tests: questions and answers go through community's services,
so the receivers under test run exactly as in production."""

from __future__ import annotations

import itertools

import pytest

from community import services as community
from escalation.models import EscalationPolicy

_counter = itertools.count(1)


def ask(author, category, *, title: str | None = None, body: str = "How do I export my calendar to a CSV file?", **kwargs):
    n = next(_counter)
    return community.ask_question(
        author=author, category=category, title=title or f"Calendar export question {n}", body=body, **kwargs
    )


def answer(author, thread, body: str = "Open Settings, then Export, and pick CSV."):
    return community.post_answer(author=author, thread=thread, body=body)


@pytest.fixture
def policy(category):
    """The category's own policy: answer within 60 minutes, solve within 180, staff reply in 30."""
    return EscalationPolicy.objects.create(
        category=category, answer_within_minutes=60, solve_within_minutes=180, staff_response_minutes=30
    )
