"""Paid sessions: request, accept, confirm, check in and out, sign off; the address's privacy."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalation.models import Ticket
from experts import services
from experts.models import PayoutEntry, ServiceArea, Session
from tests.experts.conftest import make_expert
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = "12 Lantern Row, 2nd floor"


def _book(customer, service, area, **kwargs):
    return services.request_session(
        customer=customer, service=service, mode="in_person", service_area=area, address=ADDRESS,
        preferred_times="Tuesday after 6 pm", details="New phone, old laptop.", **kwargs,
    )


def _walk_through(session, expert, customer):
    start = timezone.now() + timedelta(days=1)
    services.accept_session(user=expert.user, session_id=session.pk, proposed_start=start)
    services.confirm_session(user=customer, session_id=session.pk)
    services.check_in_session(user=expert.user, session_id=session.pk)
    services.check_out_session(user=expert.user, session_id=session.pk)
    return services.sign_off_session(user=customer, session_id=session.pk, rating=5, comment="Patient and clear.")


def test_a_customer_books_an_in_person_session_the_expert_runs_and_the_customer_rates(category, service, area, member):
    expert = make_expert(category, areas=[area])
    session = _book(member, service, area)
    assert session.status == Session.Status.REQUESTED and session.price == Decimal("49.00")
    session = _walk_through(session, expert, member)
    assert session.status == Session.Status.SIGNED_OFF and session.rating == 5
    assert session.checked_in_at and session.checked_out_at
    entry = PayoutEntry.objects.get(session=session)
    assert entry.kind == "earned" and entry.amount == Decimal("35.00")
    expert.refresh_from_db()
    assert expert.balance == Decimal("35.00")


def test_steps_out_of_order_are_refused(category, service, area, member):
    expert = make_expert(category, areas=[area])
    session = _book(member, service, area)
    with pytest.raises(PermissionDenied):
        services.check_in_session(user=expert.user, session_id=session.pk)  # not theirs yet
    services.accept_session(user=expert.user, session_id=session.pk, proposed_start=timezone.now() + timedelta(hours=3))
    with pytest.raises(services.ExpertActionError):
        services.check_in_session(user=expert.user, session_id=session.pk)  # not confirmed
    with pytest.raises(services.ExpertActionError):
        services.sign_off_session(user=member, session_id=session.pk, rating=4)


def test_only_experts_serving_the_area_may_take_an_in_person_request(category, service, area, member):
    elsewhere = ServiceArea.objects.create(name="Hilltop")
    far_expert = make_expert(category, areas=[elsewhere])
    session = _book(member, service, area)
    with pytest.raises(PermissionDenied):
        services.accept_session(user=far_expert.user, session_id=session.pk, proposed_start=timezone.now() + timedelta(days=1))


def test_a_remote_session_needs_an_https_meeting_link_and_stores_no_address(category, service, member):
    expert = make_expert(category)
    session = services.request_session(
        customer=member, service=service, mode="remote", address="should not be kept", preferred_times="Any evening"
    )
    assert session.address == "" and session.service_area is None
    with pytest.raises(ValidationError):
        services.accept_session(user=expert.user, session_id=session.pk, proposed_start=timezone.now() + timedelta(days=1),
                                meeting_link="javascript:alert(1)")
    services.accept_session(user=expert.user, session_id=session.pk, proposed_start=timezone.now() + timedelta(days=1),
                            meeting_link="https://meet.example.com/abc")


def test_account_data_in_the_address_or_details_is_masked_before_anything_is_stored(category, service, area, member):
    session = services.request_session(
        customer=member, service=service, mode="in_person", service_area=area, address="Flat 2, 5 Pine Road",
        preferred_times="Monday", details="Pay with my card 4111 1111 1111 1111 please",
    )
    session.refresh_from_db()
    assert "4111 1111 1111 1111" not in session.details and "•••• 1111" in session.details
    assert [f.kind for f in session.masked_findings] == ["card"]
    with pytest.raises(ValidationError, match="under 2,000"):
        services.request_session(customer=member, service=service, mode="remote", preferred_times="Monday",
                                 details="x" * 2001)
    assert Session.objects.count() == 1


def _page(user, session) -> tuple[int, str]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("experts:session", args=[session.pk]))
    return response.status_code, response.content.decode()


def test_another_customer_or_an_expert_who_did_not_accept_never_sees_the_address(category, service, area, member, staff):
    accepting = make_expert(category, areas=[area])
    bystander = make_expert(category, areas=[area])
    session = _book(member, service, area)
    # Before anyone accepts: experts of the area see the request, not the address.
    status, body = _page(bystander.user, session)
    assert status == 200 and "Lantern Row" not in body and "Riverside" in body
    services.accept_session(user=accepting.user, session_id=session.pk, proposed_start=timezone.now() + timedelta(days=1))
    status, body = _page(accepting.user, session)
    assert status == 200 and "Lantern Row" in body
    assert _page(member, session)[1].count("Lantern Row") == 1
    assert "Lantern Row" in _page(staff, session)[1]
    # Once taken, the other expert no longer sees the request at all; another customer never does.
    assert _page(bystander.user, session)[0] == 404
    assert _page(UserFactory(), session)[0] == 404
    for user in (bystander.user, UserFactory()):
        client = Client()
        client.force_login(user)
        for url in (reverse("experts:dashboard"), reverse("experts:sessions"), "/notifications/"):
            assert "Lantern Row" not in client.get(url).content.decode()


def test_a_dispute_goes_to_the_staff_queue_as_a_private_thread(category, service, area, member):
    expert = make_expert(category, areas=[area])
    session = _book(member, service, area)
    services.accept_session(user=expert.user, session_id=session.pk, proposed_start=timezone.now() + timedelta(days=1))
    services.confirm_session(user=member, session_id=session.pk)
    session = services.dispute_session(user=member, session_id=session.pk, reason="The expert never showed up.")
    assert session.status == Session.Status.DISPUTED
    assert session.dispute_thread.is_private
    ticket = Ticket.objects.get(thread=session.dispute_thread)
    assert ticket.reason == Ticket.Reason.CONFIDENTIAL and ticket.is_active


def test_suspending_an_expert_returns_their_unstarted_sessions_to_the_request_list(category, service, area, member, staff):
    expert = make_expert(category, areas=[area])
    session = _book(member, service, area)
    services.accept_session(user=expert.user, session_id=session.pk, proposed_start=timezone.now() + timedelta(days=1))
    services.suspend_expert(expert_id=expert.pk, by=staff, reason="Missed three sessions")
    session.refresh_from_db()
    assert session.status == Session.Status.REQUESTED and session.expert is None


def test_a_failed_booking_keeps_what_the_customer_typed(client, category, service, area, member):
    client.force_login(member)
    response = client.post(reverse("experts:book"), {
        "service": service.pk, "mode": "in_person", "service_area": area.pk, "address": "",
        "preferred_times": "Friday lunchtime", "details": "Bring a USB-C cable please",
    })
    assert response.status_code == 400
    body = response.content.decode()
    assert "Write the address" in body and "Friday lunchtime" in body and "Bring a USB-C cable please" in body
