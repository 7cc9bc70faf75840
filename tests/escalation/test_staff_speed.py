"""Staff at speed: saved replies (macros), answer and resolve in one step, outcomes, bulk
actions in the queue."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from escalation.macros import create_macro, fill_macro, macros_for, update_macro
from escalation.models import Macro, Ticket, TicketEvent
from tests.escalation.conftest import ask
from tests.factories import CategoryFactory, StaffFactory

pytestmark = pytest.mark.django_db


def private_ticket(member, category) -> Ticket:
    return Ticket.objects.get(thread=ask(member, category, is_private=True))


def test_personal_macros_are_never_shown_to_another_staff_member(client, staff, member, category):
    colleague = StaffFactory(display_name="Colleague")
    mine = create_macro(staff=staff, title="My private wording", body="Hello {asker_name}", shared=False)
    shared = create_macro(staff=colleague, title="Team wording", body="Hi all", shared=True)
    theirs = create_macro(staff=colleague, title="Colleague's own", body="Psst", shared=False)

    assert set(macros_for(staff=staff)) == {mine, shared}
    assert set(macros_for(staff=colleague)) == {shared, theirs}

    ticket = private_ticket(member, category)
    client.force_login(colleague)
    for url in (reverse("escalation:ticket", args=[ticket.pk]), reverse("escalation:macros")):
        html = client.get(url).content.decode()
        assert "My private wording" not in html and "Team wording" in html
    assert client.get(reverse("escalation:macro_edit", args=[mine.pk])).status_code == 404
    assert client.post(reverse("escalation:macro_delete", args=[mine.pk])).status_code == 404
    assert Macro.objects.filter(pk=mine.pk).exists()


def test_a_shared_macro_is_changed_only_by_its_maker_or_an_admin(staff, admin_user):
    colleague = StaffFactory()
    shared = create_macro(staff=staff, title="Team wording", body="Hi", shared=True)
    with pytest.raises(PermissionDenied):
        update_macro(staff=colleague, macro_id=shared.pk, title="Changed", body="x", shared=True)
    update_macro(staff=admin_user, macro_id=shared.pk, title="Changed", body="Hi there", shared=True)
    assert Macro.objects.get(pk=shared.pk).title == "Changed"


def test_placeholders_are_filled_for_the_ticket_and_unknown_ones_left_visible(staff, member, category, settings):
    settings.SITE_URL = "https://support.example.com"
    ticket = private_ticket(member, category)
    macro = create_macro(staff=staff, title="Greeting",
                         body="Hi {asker_name}, about “{thread_title}” ({thread_url}) — {staff_name}. {nonsense}",
                         shared=True)
    text = fill_macro(macro=macro, ticket=ticket, staff=staff, site_url=settings.SITE_URL)
    assert text.startswith(f"Hi {member.name}, about “{ticket.thread.title}” (https://support.example.com/t/")
    assert text.endswith(f"— {staff.name}. {{nonsense}}")


def test_macros_refuse_account_numbers_and_empty_text(staff):
    with pytest.raises(ValidationError):
        create_macro(staff=staff, title="Card", body="Your card 4111 1111 1111 1111 was refunded", shared=True)
    with pytest.raises(ValidationError):
        create_macro(staff=staff, title="  ", body="text", shared=True)


def test_the_most_used_macros_come_first_and_using_one_counts(client, staff, member, category,
                                                               django_capture_on_commit_callbacks):
    rare = create_macro(staff=staff, title="Rarely used", body="Rare", shared=True)
    common = create_macro(staff=staff, title="Often used", body="Thanks {asker_name}, this is fixed now.",
                          shared=True)
    Macro.objects.filter(pk=common.pk).update(use_count=5)
    ticket = private_ticket(member, category)
    client.force_login(staff)
    html = client.get(reverse("escalation:ticket", args=[ticket.pk])).content.decode()
    assert html.index("Often used") < html.index("Rarely used")
    assert f"Thanks {member.name}, this is fixed now." in html  # filled for this ticket

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("escalation:answer", args=[ticket.pk]),
                               {"body": f"Thanks {member.name}, this is fixed now.", "macro": common.pk,
                                "then": "resolve"})
    assert response.status_code == 302
    assert Macro.objects.get(pk=common.pk).use_count == 6
    assert Macro.objects.get(pk=rare.pk).use_count == 0


def test_answer_and_resolve_in_one_step_records_both_with_the_outcome(client, staff, member, category,
                                                                      django_capture_on_commit_callbacks):
    ticket = private_ticket(member, category)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("escalation:answer", args=[ticket.pk]), {"body": "Refunded today.", "then": "resolve"})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED and ticket.outcome == Ticket.Outcome.SOLVED
    actions = list(ticket.events.values_list("action", flat=True))
    assert actions[-2:] == [TicketEvent.Action.ANSWERED, TicketEvent.Action.RESOLVED]
    assert ticket.thread.answers.get().is_official


def test_answer_and_wait_on_the_customer(client, staff, member, category):
    ticket = private_ticket(member, category)
    client.force_login(staff)
    client.post(reverse("escalation:answer", args=[ticket.pk]), {"body": "Which plan are you on?", "then": "wait"})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING and ticket.outcome == ""


def test_resolving_asks_for_an_outcome_and_reopening_clears_it(client, staff, member, category):
    ticket = private_ticket(member, category)
    client.force_login(staff)
    client.post(reverse("escalation:resolve", args=[ticket.pk]), {"outcome": "duplicate"})
    ticket.refresh_from_db()
    assert ticket.outcome == "duplicate"
    assert ticket.events.last().detail == "Duplicate"
    client.post(reverse("escalation:reopen", args=[ticket.pk]))
    ticket.refresh_from_db()
    assert ticket.is_active and ticket.outcome == ""
    response = client.post(reverse("escalation:resolve", args=[ticket.pk]), {"outcome": "made-up"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_bulk_claim_writes_one_history_row_per_ticket(client, staff, member):
    category = CategoryFactory()
    tickets = [private_ticket(member, category) for _ in range(3)]
    before = TicketEvent.objects.count()
    client.force_login(staff)
    response = client.post(reverse("escalation:bulk"), {"tickets": [t.pk for t in tickets], "action": "claim"},
                           follow=True)
    assert "Claimed 3 tickets" in response.content.decode()
    assert TicketEvent.objects.count() == before + 3
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.assignee == staff
        assert ticket.events.filter(action=TicketEvent.Action.CLAIMED).count() == 1


def test_bulk_assign_and_resolve_with_an_outcome(client, staff, member):
    category = CategoryFactory()
    colleague = StaffFactory(display_name="Robin Colleague")
    tickets = [private_ticket(member, category) for _ in range(2)]
    client.force_login(staff)
    client.post(reverse("escalation:bulk"), {"tickets": [t.pk for t in tickets], "action": "assign",
                                             "assignee": colleague.pk})
    assert {t.assignee_id for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])} == {colleague.pk}
    assert TicketEvent.objects.filter(action=TicketEvent.Action.ASSIGNED, detail="to Robin Colleague").count() == 2
    client.post(reverse("escalation:bulk"), {"tickets": [t.pk for t in tickets], "action": "resolve",
                                             "outcome": "no_response"})
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("outcome", flat=True)) == {
        "no_response"}


def test_bulk_actions_explain_what_is_missing_and_change_nothing(client, staff, member):
    category = CategoryFactory()
    ticket = private_ticket(member, category)
    client.force_login(staff)
    html = client.post(reverse("escalation:bulk"), {"action": "claim"}, follow=True).content.decode()
    assert "Select at least one ticket first." in html
    html = client.post(reverse("escalation:bulk"), {"tickets": [ticket.pk], "action": "assign"},
                       follow=True).content.decode()
    assert "Choose the colleague" in html
    html = client.post(reverse("escalation:bulk"), {"tickets": [ticket.pk, 999999], "action": "claim"},
                       follow=True).content.decode()
    assert "#999999: no such ticket." in html
    ticket.refresh_from_db()
    assert ticket.assignee == staff  # the real one was still claimed


@pytest.mark.parametrize("count", [3, 30])
def test_the_queue_with_the_bulk_bar_keeps_its_query_budget(client, staff, member, count,
                                                          django_assert_max_num_queries):
    category = CategoryFactory()
    for _ in range(count):
        private_ticket(member, category)
    client.force_login(staff)
    with django_assert_max_num_queries(11):
        assert client.get(reverse("escalation:queue")).status_code == 200
