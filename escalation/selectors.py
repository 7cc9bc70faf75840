"""Reads of the escalation app: the staff queue, a ticket page, the asker's thread notice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from community.models import Category, Thread
from escalation.models import Channel, Deadline, HelpdeskHandoff, Ticket, TicketEvent, TicketNote

ASSIGNED_CHOICES = [("", "Anyone"), ("mine", "Mine"), ("unassigned", "Unassigned")]
ACTIVE = "active"


@dataclass
class QueueFilters:
    reason: str = ""
    category: int | None = None
    status: str = ACTIVE  # "active", "" (all) or one Ticket.Status
    assigned: str = ""  # "", "mine", "unassigned"


def _filtered(filters: QueueFilters, *, user, skip: str = "") -> QuerySet[Ticket]:
    """Tickets matching every filter except ``skip`` (counts per filter ignore their own)."""
    qs = Ticket.objects.all()
    if skip != "reason" and filters.reason:
        qs = qs.filter(reason=filters.reason)
    if skip != "category" and filters.category:
        qs = qs.filter(thread__category_id=filters.category)
    if skip != "status":
        if filters.status == ACTIVE:
            qs = qs.filter(status__in=Ticket.ACTIVE_STATUSES)
        elif filters.status:
            qs = qs.filter(status=filters.status)
    if skip != "assigned":
        if filters.assigned == "mine":
            qs = qs.filter(assignee=user)
        elif filters.assigned == "unassigned":
            qs = qs.filter(assignee__isnull=True)
    return qs


def queue_tickets(filters: QueueFilters, *, user) -> QuerySet[Ticket]:
    """The queue in working order: tickets staff owe a reply that are overdue first, then by
    due time (waiting-on-customer and closed tickets after those awaiting staff)."""
    now = timezone.now()
    return (
        _filtered(filters, user=user)
        .with_queue_data()
        .annotate(
            urgency=Case(
                When(status__in=Ticket.AWAITING_STAFF, due_at__lt=now, then=Value(0)),
                When(status__in=Ticket.AWAITING_STAFF, then=Value(1)),
                When(status=Ticket.Status.WAITING, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
        .order_by("urgency", "due_at", "pk")
    )


def queue_counts(filters: QueueFilters, *, user) -> dict[str, Any]:
    """How many tickets each filter choice would show, given the other filters. Four queries,
    whatever the size of the queue."""
    by_reason = dict(
        _filtered(filters, user=user, skip="reason").order_by().values_list("reason").annotate(n=Count("pk"))
    )
    by_status = dict(
        _filtered(filters, user=user, skip="status").order_by().values_list("status").annotate(n=Count("pk"))
    )
    by_category = dict(
        _filtered(filters, user=user, skip="category")
        .order_by()
        .values_list("thread__category_id")
        .annotate(n=Count("pk"))
    )
    assigned = _filtered(filters, user=user, skip="assigned").aggregate(
        all=Count("pk"),
        mine=Count("pk", filter=Q(assignee=user)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
    )
    return {
        "reason": {"": sum(by_reason.values()), **by_reason},
        "status": {
            "": sum(by_status.values()),
            ACTIVE: sum(by_status.get(s, 0) for s in Ticket.ACTIVE_STATUSES),
            **by_status,
        },
        "category": {"": sum(by_category.values()), **by_category},
        "assigned": {"": assigned["all"], "mine": assigned["mine"], "unassigned": assigned["unassigned"]},
    }


def queue_categories() -> list[Category]:
    return list(Category.objects.order_by("position", "name"))


def ticket_for_staff(pk: int) -> Ticket | None:
    return (
        Ticket.objects.select_related(
            "thread", "thread__category", "thread__author", "assignee", "channel", "handoff", "handoff__channel"
        )
        .filter(pk=pk)
        .first()
    )


def _handoff_of(ticket: Ticket) -> HelpdeskHandoff | None:
    """The ticket's helpdesk hand-off, from ticket_for_staff's join when it made one."""
    try:
        return ticket.handoff
    except HelpdeskHandoff.DoesNotExist:
        return None


def ticket_page_data(ticket: Ticket) -> dict[str, Any]:
    """Everything the ticket page shows besides the ticket, in a constant number of queries."""
    thread = ticket.thread
    return {
        "answers": list(thread.answers.select_related("author").order_by("created_at", "pk")),
        "events": list(TicketEvent.objects.filter(ticket=ticket).select_related("actor")),
        "notes": list(TicketNote.objects.filter(ticket=ticket).select_related("author")),
        "other_tickets": list(
            Ticket.objects.filter(thread_id=thread.pk).exclude(pk=ticket.pk).order_by("-created_at")
        ),
        "channels": list(Channel.objects.filter(is_active=True)),
        "handoff": _handoff_of(ticket),
    }


# --- The asker's notice on the thread page -----------------------------------------------------


def thread_notice(*, thread: Thread, viewer) -> tuple[str, dict[str, Any]] | None:
    """What the asker (and staff) see under the question about escalation. Other viewers see
    nothing and cost no query; otherwise one query (subqueries for the latest ticket and the
    pending timers)."""
    if viewer is None or not viewer.is_authenticated:
        return None
    is_staff = viewer.is_staff
    if thread.author_id != viewer.pk and not is_staff:
        return None
    latest = Ticket.objects.filter(thread_id=OuterRef("pk")).order_by("-created_at", "-pk")
    pending = Deadline.objects.filter(thread_id=OuterRef("pk"), status=Deadline.Status.PENDING)
    row = (
        Thread.objects.filter(pk=thread.pk)
        .annotate(
            ticket_id=Subquery(latest.values("pk")[:1]),
            ticket_status=Subquery(latest.values("status")[:1]),
            ticket_due_at=Subquery(latest.values("due_at")[:1]),
            ticket_resolved_at=Subquery(latest.values("resolved_at")[:1]),
            channel_name=Subquery(latest.values("channel__name")[:1]),
            handoff_remote_id=Subquery(latest.values("handoff__remote_id")[:1]),
            handoff_customer_url=Subquery(latest.values("handoff__customer_url")[:1]),
            handoff_channel_kind=Subquery(latest.values("channel__kind")[:1]),
            answer_due_at=Subquery(pending.filter(kind=Deadline.Kind.FIRST_ANSWER).values("due_at")[:1]),
            solve_due_at=Subquery(pending.filter(kind=Deadline.Kind.SOLVE).values("due_at")[:1]),
        )
        .values(
            "ticket_id",
            "ticket_status",
            "ticket_due_at",
            "ticket_resolved_at",
            "channel_name",
            "handoff_remote_id",
            "handoff_customer_url",
            "handoff_channel_kind",
            "answer_due_at",
            "solve_due_at",
        )
        .first()
    )
    if row is None:
        return None
    context: dict[str, Any] = {"is_staff": is_staff, "thread": thread, **row}
    status = row["ticket_status"]
    if status in Ticket.AWAITING_STAFF:
        context["state"] = "escalated"
    elif status == Ticket.Status.WAITING:
        context["state"] = "answered"
    elif status == Ticket.Status.RESOLVED:
        context["state"] = "resolved"
    elif status == Ticket.Status.REDIRECTED:
        context["state"] = "redirected"
    elif row["answer_due_at"]:
        context["state"] = "community_answer"
    elif row["solve_due_at"]:
        context["state"] = "community_solve"
    else:
        return None
    if status:
        context["ticket_status_label"] = Ticket.Status(status).label
    return "escalation/_thread_notice.html", context
