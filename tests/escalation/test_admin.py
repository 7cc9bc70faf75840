import pytest
from django.urls import reverse

from escalation.deadlines import escalate_thread
from escalation.models import Channel, EscalationPolicy, Ticket
from tests.escalation.conftest import ask

pytestmark = pytest.mark.django_db


def test_admins_tune_a_category_policy_and_manage_channels(client, admin_user, category):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:escalation_escalationpolicy_add"),
        {"category": category.pk, "answer_within_minutes": 1, "solve_within_minutes": 30, "staff_response_minutes": 15},
    )
    assert response.status_code == 302
    assert EscalationPolicy.objects.get(category=category).answer_within_minutes == 1
    response = client.post(
        reverse("admin:escalation_channel_add"),
        {"name": "Billing", "instructions": "Call us.", "link": "", "is_active": "on", "position": 0},
    )
    assert response.status_code == 302
    assert Channel.objects.filter(name="Billing").exists()


def test_a_policy_needs_a_category_and_the_default_cannot_be_deleted(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:escalation_escalationpolicy_add"),
        {"category": "", "answer_within_minutes": 1, "solve_within_minutes": 30, "staff_response_minutes": 15},
    )
    assert response.status_code == 200
    assert b"This field is required" in response.content
    default = EscalationPolicy.objects.get(is_default=True)
    assert client.get(reverse("admin:escalation_escalationpolicy_delete", args=[default.pk])).status_code == 403
    assert client.get(reverse("admin:escalation_escalationpolicy_change", args=[default.pk])).status_code == 200


def test_the_ticket_admin_lists_tickets_read_only(client, admin_user, member, category):
    thread = ask(member, category)
    ticket, _ = escalate_thread(thread=thread, reason=Ticket.Reason.UNANSWERED)
    client.force_login(admin_user)
    assert client.get(reverse("admin:escalation_ticket_changelist")).status_code == 200
    assert client.get(reverse("admin:escalation_ticket_change", args=[ticket.pk])).status_code == 200
    assert client.get(reverse("admin:escalation_deadline_changelist")).status_code == 200
