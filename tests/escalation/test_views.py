from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from escalation.deadlines import escalate_thread

from escalation.models import Channel, Ticket
from escalation.tickets import add_ticket_note, claim_ticket, resolve_ticket
from tests.escalation.conftest import answer, ask
from tests.factories import CategoryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("escalation:queue")


def _ticket(member, category, **kwargs):
    thread = ask(member, category, **kwargs)
    ticket, _ = escalate_thread(thread=thread, reason=kwargs.get("reason", Ticket.Reason.UNANSWERED))
    return ticket


def _make_tickets(n, category=None):
    asker = UserFactory()
    tickets = []
    for i in range(n):
        cat = category or CategoryFactory()
        tickets.append(_ticket(asker, cat))
    # Some claimed, some with notes and events, so related data is exercised.
    staff = StaffFactory()
    for ticket in tickets[::2]:
        claim_ticket(ticket_id=ticket.pk, staff=staff)
    return tickets


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_the_queue_and_ticket_pages_are_404_for_everyone_but_staff(client, member, category, who):
    ticket = _ticket(member, category)
    if who == "member":
        client.force_login(member)
    assert client.get(QUEUE).status_code == 404
    assert client.get(ticket.get_absolute_url()).status_code == 404
    assert client.post(reverse("escalation:claim", args=[ticket.pk])).status_code == 404
    assert client.post(reverse("escalation:resolve", args=[ticket.pk])).status_code == 404


def test_a_customer_cannot_open_another_customers_private_thread(client, member, other_member, category):
    thread = ask(member, category, is_private=True)
    client.force_login(other_member)
    assert client.get(thread.get_absolute_url()).status_code == 404


def test_the_queue_lists_overdue_tickets_first(client, staff, member, category, policy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        later = _ticket(member, category)
    with time_machine.travel(start - timedelta(hours=2), tick=False):
        overdue = _ticket(member, category)
    waiting = _ticket(member, category)
    Ticket.objects.filter(pk=waiting.pk).update(status="waiting", due_at=start - timedelta(days=1))
    client.force_login(staff)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert [t.pk for t in response.context["page"].object_list] == [overdue.pk, later.pk, waiting.pk]
    assert b"Overdue" in response.content


def test_queue_filters_narrow_the_list_and_show_counts(client, staff, member, category, policy):
    other_category = CategoryFactory()
    mine = _ticket(member, category)
    claim_ticket(ticket_id=mine.pk, staff=staff)
    unassigned = _ticket(member, other_category)
    private = ask(member, category, is_private=True)
    client.force_login(staff)

    response = client.get(QUEUE, {"assigned": "mine"})
    assert [t.pk for t in response.context["page"].object_list] == [mine.pk]
    response = client.get(QUEUE, {"assigned": "unassigned", "category": other_category.pk})
    assert [t.pk for t in response.context["page"].object_list] == [unassigned.pk]
    response = client.get(QUEUE, {"reason": "confidential"})
    assert [t.thread_id for t in response.context["page"].object_list] == [private.pk]
    reason_counts = {c["value"]: c["count"] for c in response.context["filter_groups"][1]["choices"]}
    assert reason_counts["confidential"] == 1
    assert reason_counts["unanswered"] == 2
    assert reason_counts[""] == 3
    assert "Confidential (1)" in response.content.decode()


def test_unknown_filter_values_are_ignored_with_a_message(client, staff):
    client.force_login(staff)
    response = client.get(QUEUE, {"status": "bogus", "category": "nope"})
    assert response.status_code == 200
    assert b"not understood" in response.content


def test_the_queue_refreshes_itself_and_returns_a_partial_to_htmx(client, staff, member, category):
    _ticket(member, category)
    client.force_login(staff)
    page = client.get(QUEUE).content.decode()
    assert 'hx-trigger="every 20s"' in page
    assert 'hx-trigger="change"' in page
    partial = client.get(QUEUE, {"status": "active"}, headers={"HX-Request": "true"}).content.decode()
    assert 'id="queue"' in partial
    assert "<html" not in partial


@pytest.mark.parametrize("size", [3, 30])
def test_the_queue_query_count_does_not_grow_with_the_queue(client, staff, size, django_assert_max_num_queries):
    _make_tickets(size)
    client.force_login(staff)
    with django_assert_max_num_queries(10):
        response = client.get(QUEUE, {"status": ""})
    assert len(response.context["page"].object_list) == size


@pytest.mark.parametrize("size", [1, 12])
def test_the_ticket_page_query_count_does_not_grow_with_answers_and_history(client, staff, member, category, size, django_assert_max_num_queries):
    ticket = _ticket(member, category)
    Channel.objects.create(name="Billing", instructions="Write to billing@example.com")
    for i in range(size):
        answer(UserFactory(), ticket.thread, f"Have you tried turning it off and on again? ({i})")
        add_ticket_note(ticket_id=ticket.pk, staff=staff, body=f"Note {i}")
    client.force_login(staff)
    with django_assert_max_num_queries(10):
        response = client.get(ticket.get_absolute_url())
    assert response.status_code == 200
    assert response.content.count(b"Have you tried") == size


def test_the_ticket_page_shows_thread_history_and_notes_to_staff(client, staff, member, category):
    ticket = _ticket(member, category, body="My calendar export <script>alert(1)</script> fails.")
    add_ticket_note(ticket_id=ticket.pk, staff=staff, body="Looks like the legacy exporter.")
    client.force_login(staff)
    content = client.get(ticket.get_absolute_url()).content.decode()
    assert ticket.thread.title in content
    assert "Looks like the legacy exporter." in content
    assert "<script>alert(1)</script>" not in content
    assert "Added a note".lower() in content


def test_claim_without_javascript_redirects_with_a_message(client, staff, member, category):
    ticket = _ticket(member, category)
    client.force_login(staff)
    response = client.post(reverse("escalation:claim", args=[ticket.pk]), {"next": QUEUE}, follow=True)
    assert response.redirect_chain[-1][0] == QUEUE
    assert f"Ticket #{ticket.pk} is yours." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == staff


def test_the_losing_claimer_is_told_who_has_it(client, staff, member, category):
    ticket = _ticket(member, category)
    claim_ticket(ticket_id=ticket.pk, staff=staff)
    client.force_login(StaffFactory())
    response = client.post(reverse("escalation:claim", args=[ticket.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f"{staff.name} has already claimed this ticket." in response.content.decode()
    assert f'id="ticket-row-{ticket.pk}"' in response.content.decode()
    response = client.post(reverse("escalation:claim", args=[ticket.pk]), follow=True)
    assert f"{staff.name} has already claimed this ticket." in response.content.decode()


def test_claim_needs_post(client, staff, member, category):
    ticket = _ticket(member, category)
    client.force_login(staff)
    assert client.get(reverse("escalation:claim", args=[ticket.pk])).status_code == 405


def test_staff_answer_from_the_ticket_page_shows_as_official_to_the_asker(client, staff, member, category, django_capture_on_commit_callbacks):
    thread = ask(member, category, is_private=True)
    ticket = Ticket.objects.get(thread=thread)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("escalation:answer", args=[ticket.pk]), {"body": "We refunded the duplicate charge."})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    assert mail.outbox[0].to == [member.email]
    client.force_login(member)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "We refunded the duplicate charge." in page
    assert "Official" in page


def test_an_empty_answer_keeps_the_page_with_a_message(client, staff, member, category):
    ticket = _ticket(member, category)
    client.force_login(staff)
    response = client.post(reverse("escalation:answer", args=[ticket.pk]), {"body": "   "})
    assert response.status_code == 400
    assert b"This field is required" in response.content
    response = client.post(reverse("escalation:note", args=[ticket.pk]), {"body": ""})
    assert response.status_code == 400


def test_a_rejected_answer_keeps_what_staff_typed(client, staff, member, category):
    ticket = _ticket(member, category)
    resolve_ticket(ticket_id=ticket.pk, staff=staff)
    client.force_login(staff)
    response = client.post(reverse("escalation:answer", args=[ticket.pk]), {"body": "A long careful reply"})
    assert response.status_code == 400
    assert b"A long careful reply" in response.content
    assert b"reopen it first" in response.content


def test_redirect_resolve_and_reopen_from_the_ticket_page(client, staff, member, category, django_capture_on_commit_callbacks):
    channel = Channel.objects.create(name="Account security", instructions="Reset your password at /reset.")
    ticket = _ticket(member, category)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("escalation:redirect", args=[ticket.pk]), {"channel": channel.pk})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "redirected"
    assert "Reset your password" in mail.outbox[0].body
    client.post(reverse("escalation:reopen", args=[ticket.pk]))
    ticket.refresh_from_db()
    assert ticket.status == "claimed"
    client.post(reverse("escalation:resolve", args=[ticket.pk]))
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    response = client.post(reverse("escalation:redirect", args=[ticket.pk]), {"channel": "999"})
    assert response.status_code == 400


def test_notes_are_never_shown_to_the_asker(client, staff, member, category):
    ticket = _ticket(member, category)
    add_ticket_note(ticket_id=ticket.pk, staff=staff, body="Internal: suspected fraud")
    client.force_login(member)
    assert b"suspected fraud" not in client.get(ticket.thread.get_absolute_url()).content


def test_the_queue_links_staff_to_flagged_posts(client, staff):
    from django.urls import reverse

    client.force_login(staff)
    response = client.get(reverse("escalation:queue"))
    assert reverse("community:moderation").encode() in response.content
