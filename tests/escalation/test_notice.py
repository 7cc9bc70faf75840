from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from escalation.deadlines import sweep_due_deadlines

from escalation.selectors import thread_notice
from escalation.tickets import resolve_ticket
from tests.escalation.conftest import answer, ask

pytestmark = pytest.mark.django_db


def test_the_asker_sees_when_the_community_window_ends(client, member, category, policy):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        thread = ask(member, category)
    client.force_login(member)
    content = client.get(thread.get_absolute_url()).content.decode()
    assert "to answer; then our support team steps in" in content
    assert (start + timedelta(minutes=60)).strftime("%H:%M") in content


def test_other_members_see_no_notice_and_cost_no_query(client, member, other_member, category, policy, django_assert_num_queries):
    thread = ask(member, category)
    with django_assert_num_queries(0):
        assert thread_notice(thread=thread, viewer=other_member) is None
    client.force_login(other_member)
    assert b"support team steps in" not in client.get(thread.get_absolute_url()).content


def test_once_escalated_the_asker_is_told_when_a_specialist_will_reply(client, member, category, policy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        thread = ask(member, category)
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        sweep_due_deadlines()
    client.force_login(member)
    assert b"A support specialist will reply by" in client.get(thread.get_absolute_url()).content


def test_the_notice_costs_one_query(member, category, policy, django_assert_num_queries):
    thread = ask(member, category)
    with django_assert_num_queries(1):
        template, context = thread_notice(thread=thread, viewer=member)
    assert context["state"] == "community_answer"


def test_a_resolved_ticket_shows_the_resolved_state(member, staff, category, policy):
    thread = ask(member, category, is_private=True)
    ticket = thread.tickets.get()
    answer(staff, thread)
    assert thread_notice(thread=thread, viewer=member)[1]["state"] == "answered"
    resolve_ticket(ticket_id=ticket.pk, staff=staff)
    assert thread_notice(thread=thread, viewer=member)[1]["state"] == "resolved"


def test_staff_see_a_link_to_the_ticket(client, member, staff, category, policy):
    thread = ask(member, category, is_private=True)
    client.force_login(staff)
    content = client.get(thread.get_absolute_url()).content.decode()
    assert f"Ticket #{thread.tickets.get().pk}" in content
