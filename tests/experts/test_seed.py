import io

import pytest
from django.core.management import call_command

from experts.models import Expert, Offer, Service

pytestmark = pytest.mark.django_db


def test_the_experts_demo_makes_the_helper_an_expert_with_an_offer_and_services():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_experts_demo", stdout=io.StringIO())
    expert = Expert.objects.get(user__username="helper")
    assert expert.status == Expert.Status.ACTIVE
    assert Offer.objects.filter(status="open").count() == 1
    assert Service.objects.count() == 3
    call_command("seed_experts_demo", stdout=io.StringIO())  # a second run changes nothing
    assert Expert.objects.count() == 1 and Offer.objects.count() == 1
