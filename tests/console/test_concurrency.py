"""Concurrent edits of the rank ladder on PostgreSQL: two managers moving two ranks to the same
threshold at the same moment never leave two ranks on one threshold; the loser is told why."""

import importlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from console import services
from console.models import AuditEntry
from kudos.models import Rank
from tests.factories import UserFactory
from tests.kudos.test_concurrency import _run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ladder(on_postgres):
    from django.apps import apps as global_apps

    Rank.objects.all().delete()
    importlib.import_module("kudos.migrations.0002_default_rules_and_ranks").create_defaults(global_apps, None)


@pytest.mark.parametrize("round_", range(5))
def test_two_ranks_moved_to_one_threshold_at_once_leave_one_there(ladder, round_):
    managers = [UserFactory(), UserFactory()]
    targets = [Rank.objects.get(name="Contributor").pk, Rank.objects.get(name="Helper").pk]
    refused = []

    def work(i):
        try:
            services.save_rank(actor=managers[i], rank_id=targets[i], values={"min_points": 120})
        except ValidationError as error:
            refused.append(" ".join(error.messages))

    errors = _run_at_once(2, work)
    assert not errors
    thresholds = list(Rank.objects.values_list("min_points", flat=True))
    assert len(thresholds) == len(set(thresholds))
    assert thresholds.count(120) == 1
    assert len(refused) == 1 and "already starts at 120 points" in refused[0]
    assert AuditEntry.objects.filter(action="rank.update").count() == 1


def test_the_database_refuses_two_ranks_on_one_threshold(ladder):
    with pytest.raises(IntegrityError), transaction.atomic():
        Rank.objects.create(name="Twin", min_points=Rank.objects.get(name="Helper").min_points)
