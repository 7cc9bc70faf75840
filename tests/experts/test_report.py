"""The deflection report splits resolutions by channel with what each cost."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from community import services as community
from escalation.models import Ticket
from escalation.tickets import answer_ticket
from experts import services
from reports.models import ReportSettings
from tests.experts.conftest import ask, make_expert, offered_thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_report_splits_resolutions_by_channel_with_their_cost(client, category, programme, member, staff):
    ReportSettings.objects.update_or_create(pk=1, defaults={"cost_per_ticket": Decimal("30.00"), "currency": "EUR"})
    helper = UserFactory()
    # Community: solved by a fellow member.
    solved = ask(member, category)
    community.accept_answer(user=member, answer=community.post_answer(author=helper, thread=solved, body="Restart it."))
    # Paid expert: 12.50 earned.
    expert = make_expert(category)
    paid = offered_thread(member, category)
    services.claim_offer(user=expert.user, offer_id=paid.expert_offer.pk)
    community.accept_answer(user=member, answer=community.post_answer(author=expert.user, thread=paid, body="Expert fix."))
    # Staff: an official answer accepted.
    staffed = ask(member, category, is_private=True)
    ticket = Ticket.objects.get(thread=staffed)
    community.accept_answer(user=member, answer=answer_ticket(ticket_id=ticket.pk, staff=staff, body="Official fix."))

    client.force_login(staff)
    body = client.get(reverse("reports:report")).content.decode()
    assert "Resolutions by channel" in body and "Paid expert" in body
    response = client.get(reverse("reports:csv"))
    rows = {(r[0], r[1]): r[2] for r in csv.reader(io.StringIO(response.content.decode())) if len(r) == 3}
    assert rows[("channel_resolved", "community")] == "1"
    assert rows[("channel_resolved", "expert")] == "1"
    assert rows[("channel_resolved", "staff")] == "1"
    assert rows[("channel_cost", "expert")] == "12.50"
    assert rows[("channel_cost", "staff")] == "30.00"
    assert rows[("channels", "staff_only_cost")] == "90.00"
    assert rows[("channels", "savings_vs_staff_only")] == "47.50"
