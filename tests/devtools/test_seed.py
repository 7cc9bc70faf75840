from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from escalation.deadlines import sweep_due_deadlines
from escalation.models import Channel, EscalationPolicy, Ticket

pytestmark = pytest.mark.django_db


def test_the_demo_has_tickets_in_every_state_and_a_one_minute_category():
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert statuses == {"open", "claimed", "waiting", "resolved", "redirected"}
    assert Ticket.objects.filter(status="open", due_at__lt=start).exists()  # one overdue
    assert Ticket.objects.filter(reason="confidential", status="claimed").exists()
    assert Ticket.objects.filter(reason="still_needs_help").exists()
    assert set(Channel.objects.values_list("name", flat=True)) == {"Billing", "Account security"}
    assert EscalationPolicy.objects.get(category__slug="urgent").answer_within_minutes == 1

    with time_machine.travel(start + timedelta(minutes=1, seconds=1), tick=False):
        sweep_due_deadlines()
    assert Ticket.objects.filter(thread__category__slug="urgent", reason="unanswered", status="open").exists()
