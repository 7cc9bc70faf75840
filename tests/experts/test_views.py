"""The experts pages: what each person sees, refusals that keep what was typed, and query
budgets that do not grow with the data."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from community import services as community
from experts import services
from experts.models import Expert, Expertise, ExpertSettings
from tests.experts.conftest import make_expert, offered_thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_member_applies_and_staff_approve_them_for_a_category(client, category, programme, member, staff):
    client.force_login(member)
    response = client.post(reverse("experts:apply"), {
        "categories": [category.pk], "motivation": "I repair printers for a living.", "availability": "Evenings",
    })
    assert response.status_code == 302
    expert = Expert.objects.get(user=member)
    assert expert.status == Expert.Status.APPLIED
    client.force_login(staff)
    roster = client.get(reverse("experts:staff_roster")).content.decode()
    assert member.name in roster
    expertise = Expertise.objects.get(expert=expert)
    client.post(reverse("experts:approve_expertise", args=[expertise.pk]))
    expert.refresh_from_db()
    assert expert.status == Expert.Status.ACTIVE
    # The badge shows next to the member's name, and on their profile.
    client.force_login(UserFactory())
    thread = community.ask_question(author=member, category=category, title="A question from the new expert",
                                    body="Just checking how my name shows.")
    assert 'rank-badge badge-expert" title="A community expert' in client.get(thread.get_absolute_url()).content.decode()
    assert "Community expert" in client.get(member.get_absolute_url()).content.decode()


def test_a_rejection_needs_a_reason_and_keeps_what_staff_typed(client, category, programme, member, staff):
    expert = services.apply_as_expert(user=member, categories=[category], motivation="Keen.", availability="Weekends")
    expertise = Expertise.objects.get(expert=expert)
    client.force_login(staff)
    response = client.post(reverse("experts:reject_expertise", args=[expertise.pk]), {"reason": "x" * 301})
    assert response.status_code == 400 and "x" * 300 in response.content.decode()
    response = client.post(reverse("experts:reject_expertise", args=[expertise.pk]), {"reason": "Not enough answers yet"})
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.status == Expert.Status.REJECTED


def test_account_data_in_an_application_is_masked_and_the_member_is_told(client, category, programme, member):
    client.force_login(member)
    response = client.post(reverse("experts:apply"), {
        "categories": [category.pk], "motivation": "My IBAN is GB82 WEST 1234 5698 7654 32, pay me there",
        "availability": "Mornings before work",
    }, follow=True)
    assert "We masked a bank account number (IBAN)" in response.content.decode()
    expert = Expert.objects.get()
    assert "5698 7654" not in expert.motivation and "GB••" in expert.motivation


def test_a_failed_application_keeps_the_text_and_names_the_problem(client, category, programme, member):
    client.force_login(member)
    response = client.post(reverse("experts:apply"), {
        "categories": [category.pk], "motivation": "x" * 2500, "availability": "Mornings before work",
    })
    body = response.content.decode()
    assert response.status_code == 400 and "Mornings before work" in body and "at most 2000 characters" in body
    assert not Expert.objects.exists()


def test_the_thread_shows_the_offer_to_experts_and_labels_the_paid_answer(client, category, programme, member):
    expert = make_expert(category)
    thread = offered_thread(member, category)
    client.force_login(expert.user)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Claim this question" in page and "12.50 EUR" in page
    client.post(reverse("experts:claim", args=[thread.expert_offer.pk]))
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "You claimed this question" in page
    community.post_answer(author=expert.user, thread=thread, body="Reinstall the driver from the vendor site.")
    client.force_login(member)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Paid expert answer" in page and "A community expert answered" in page
    # Other members see the label but not the offer's panel.
    client.force_login(UserFactory())
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Paid expert answer" in page and "Claim this question" not in page


def test_a_non_expert_member_sees_how_to_apply_and_no_offers(client, category, programme, member):
    make_expert(category)
    offered_thread(UserFactory(), category)
    client.force_login(member)
    page = client.get(reverse("experts:dashboard")).content.decode()
    assert "Apply to be an expert" in page and "Questions offered to you" not in page


def _many_offers(category, n):
    asker = UserFactory()
    for _ in range(n):
        offered_thread(asker, category)


@pytest.mark.parametrize("url_name", ["experts:dashboard", "experts:earnings"])
def test_expert_pages_keep_a_query_budget_at_two_sizes(client, category, programme, django_assert_max_num_queries, url_name):
    expert = make_expert(category)
    client.force_login(expert.user)
    _many_offers(category, 2)
    with django_assert_max_num_queries(16):
        assert client.get(reverse(url_name)).status_code == 200
    _many_offers(category, 12)
    with django_assert_max_num_queries(16):
        assert client.get(reverse(url_name)).status_code == 200


def _earned(category, n):
    ExpertSettings.objects.filter(pk=1).update(minimum_payout=Decimal("1"))
    asker = UserFactory()
    for _ in range(n):
        expert = make_expert(category)
        thread = offered_thread(asker, category)
        services.claim_offer(user=expert.user, offer_id=thread.expert_offer.pk)
        answer = community.post_answer(author=expert.user, thread=thread, body="Pair it from the printer's own menu.")
        community.accept_answer(user=asker, answer=answer)


@pytest.mark.parametrize("url_name", ["experts:staff_roster", "experts:staff_offers", "experts:staff_payouts",
                                      "experts:staff_sessions"])
def test_staff_pages_keep_a_query_budget_at_two_sizes(client, category, programme, staff, django_assert_max_num_queries, url_name):
    client.force_login(staff)
    _earned(category, 2)
    with django_assert_max_num_queries(14):
        assert client.get(reverse(url_name)).status_code == 200
    _earned(category, 8)
    with django_assert_max_num_queries(14):
        assert client.get(reverse(url_name)).status_code == 200


def test_the_staff_expert_and_batch_pages_keep_a_query_budget(client, category, programme, staff, django_assert_max_num_queries):
    client.force_login(staff)
    _earned(category, 3)
    batch = services.create_payout_batch(staff=staff)
    expert = Expert.objects.first()
    for url in (reverse("experts:staff_expert", args=[expert.pk]), reverse("experts:staff_batch", args=[batch.pk])):
        with django_assert_max_num_queries(16):
            assert client.get(url).status_code == 200


def test_the_session_page_keeps_a_query_budget(client, category, service, area, member, django_assert_max_num_queries):
    expert = make_expert(category, areas=[area])
    session = services.request_session(customer=member, service=service, mode="in_person", service_area=area,
                                       address="1 Main Street", preferred_times="Any")
    services.accept_session(user=expert.user, session_id=session.pk, proposed_start=timezone.now() + timedelta(days=1))
    for user in (member, expert.user):
        client.force_login(user)
        with django_assert_max_num_queries(12):
            assert client.get(session.get_absolute_url()).status_code == 200


def test_the_landing_page_lists_services_with_their_prices(client, service):
    body = client.get(reverse("experts:landing")).content.decode()
    assert service.name in body and "49.00 EUR" in body
