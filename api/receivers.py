"""api's reactions to the other apps' domain events: outgoing webhooks (api.webhooks).

Each receiver runs inside the transaction of the change it reports and only writes delivery
rows (api.webhooks.emit); sending happens in Celery after commit.
"""

from __future__ import annotations

from api import webhooks
from community import events as community_events
from escalation import events as escalation_events
from escalation.models import Ticket
from kudos import events as kudos_events


def on_question_asked(sender, *, thread, **kwargs) -> None:
    webhooks.emit("question.asked", thread_id=thread.pk,
                  data=lambda trusted: {"thread": webhooks.thread_data(thread, trusted=trusted)})


def on_answer_posted(sender, *, answer, **kwargs) -> None:
    thread = answer.thread
    webhooks.emit("question.answered", thread_id=thread.pk, data=lambda trusted: {
        "thread": webhooks.thread_data(thread, trusted=trusted),
        "answer": webhooks.answer_data(answer, trusted=trusted),
    })


def on_solution_accepted(sender, *, thread, answer, accepted_by=None, **kwargs) -> None:
    webhooks.emit("question.solved", thread_id=thread.pk, data=lambda trusted: {
        "thread": webhooks.thread_data(thread, trusted=trusted),
        "answer": webhooks.answer_data(answer, trusted=trusted),
        "accepted_by": webhooks.member_data(accepted_by),
    })


def _ticket_event(event: str, ticket: Ticket, **extra) -> None:
    thread = ticket.thread
    webhooks.emit(event, thread_id=thread.pk, data=lambda trusted: {
        "ticket": webhooks.ticket_data(ticket),
        "thread": webhooks.thread_data(thread, trusted=trusted),
        **extra,
    })


def on_new_tickets_swept(sender, *, ticket_ids, **kwargs) -> None:
    tickets = Ticket.objects.filter(pk__in=ticket_ids).select_related("thread", "thread__category",
                                                                      "thread__author", "assignee")
    for ticket in tickets:
        _ticket_event("question.escalated", ticket)


def on_ticket_claimed(sender, *, ticket, staff, **kwargs) -> None:
    _ticket_event("ticket.claimed", ticket)


def on_ticket_status_changed(sender, *, ticket, previous_status=None, **kwargs) -> None:
    if ticket.status == Ticket.Status.RESOLVED:
        _ticket_event("ticket.resolved", ticket)


def on_rank_reached(sender, *, notice, rank, **kwargs) -> None:
    from django.contrib.auth import get_user_model

    member = get_user_model().objects.filter(pk=notice.user_id).first()
    webhooks.emit("member.rank_reached", data=lambda trusted: {
        "member": webhooks.member_data(member),
        "rank": {"name": rank.name, "min_points": rank.min_points},
    })


def connect() -> None:
    pairs = [
        (community_events.question_asked, on_question_asked),
        (community_events.answer_posted, on_answer_posted),
        (community_events.solution_accepted, on_solution_accepted),
        (escalation_events.new_tickets_swept, on_new_tickets_swept),
        (escalation_events.ticket_claimed, on_ticket_claimed),
        (escalation_events.ticket_status_changed, on_ticket_status_changed),
        (kudos_events.rank_reached, on_rank_reached),
    ]
    for signal, receiver in pairs:
        signal.connect(receiver, dispatch_uid=f"api.{receiver.__name__}")
