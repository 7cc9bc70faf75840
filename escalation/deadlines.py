"""When a thread goes to staff: escalation policies, the community's timers, and escalating.

Every open public thread has its first-answer and solve timers as Deadline rows: the database
is the clock, so a lost countdown task delays escalation by one sweep at most and a repeated
one changes nothing. Tickets are opened here and nowhere else: escalate_thread hands one
thread to staff at once (a private question, a post hidden by flags, "still needs help", an
expert offer nobody took up); sweep_due_deadlines (beat) and escalate_thread_if_due (the
countdown fast path) share one path, _escalate_deadlines, for timers that fell due. All of
them leave races to the one-active-ticket-per-thread constraint. What staff then do with a
ticket is escalation.tickets.

Functions called from escalation.receivers run inside community's transaction (community sends
its events after writing), so they must be quick and queue anything slow with
config.tasks.enqueue_on_commit. Helpers that usually run inside another transaction use
atomic(savepoint=False): they still open a transaction when called alone, without a savepoint
per row when the sweep calls them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from community.models import Thread
from escalation import chat, diversion, events
from escalation.history import record_event
from escalation.models import Deadline, EscalationPolicy, Ticket, TicketEvent

SWEEP_BATCH_SIZE = 200
COUNTDOWN_MAX = timedelta(minutes=50)


# --- Policies and deadlines ---------------------------------------------------------------------


def policies_for(*, category_ids: set) -> dict:
    """category_id -> its own policy, else the default row, else an unsaved policy with the
    built-in defaults (so a deleted default row never stops escalation). One query."""
    rows = list(EscalationPolicy.objects.filter(Q(category_id__in=category_ids) | Q(is_default=True)))
    default = next((p for p in rows if p.is_default), None) or EscalationPolicy(is_default=True)
    own = {p.category_id: p for p in rows if not p.is_default}
    return {category_id: own.get(category_id, default) for category_id in category_ids}


def policy_for(*, category_id: int | None) -> EscalationPolicy:
    """The policy of one category (see policies_for). One query."""
    return policies_for(category_ids={category_id})[category_id]


@transaction.atomic(savepoint=False)
def set_thread_deadlines(*, thread: Thread, now: datetime | None = None) -> list[Deadline]:
    """Start the first-answer and solve timers of a newly asked public thread.

    Called from the question_asked receiver, inside community's transaction (which also
    queues the countdown fast path). Idempotent: a thread that already has its timers keeps
    them.
    """
    now = now or timezone.now()
    policy = policy_for(category_id=thread.category_id)
    created = []
    for kind, within in (
        (Deadline.Kind.FIRST_ANSWER, policy.answer_within),
        (Deadline.Kind.SOLVE, policy.solve_within),
    ):
        deadline, _ = Deadline.objects.get_or_create(
            thread=thread, kind=kind, defaults={"due_at": thread.created_at + within, "created_at": now}
        )
        created.append(deadline)
    return created


def countdown_for(deadline: Deadline) -> int | None:
    """Seconds until the timer is due, plus one, when it is short enough for a countdown task;
    None otherwise. Fast path only: the sweep finds the same rows if the message is lost or
    delayed. Only for short windows: a Redis broker re-delivers a message whose countdown
    outlives its visibility timeout (an hour by default), so long countdowns would pile up
    copies."""
    within = deadline.due_at - deadline.thread.created_at
    if deadline.status != Deadline.Status.PENDING or within > COUNTDOWN_MAX:
        return None
    return int(within.total_seconds()) + 1


def clear_deadlines(*, thread_id: int, kinds: list[str], now: datetime | None = None) -> int:
    """Mark these pending timers met by the community. Returns how many were pending.

    A row the sweep holds (FOR UPDATE) makes this wait; when the sweep commits first, the
    row is no longer pending and this changes nothing.
    """
    now = now or timezone.now()
    return Deadline.objects.filter(thread_id=thread_id, kind__in=kinds, status=Deadline.Status.PENDING).update(
        status=Deadline.Status.CLEARED, done_at=now
    )


@transaction.atomic(savepoint=False)
def cancel_deadlines(*, thread_id: int | None = None, thread_ids=(), now: datetime | None = None) -> int:
    """Stop every pending timer of threads that no longer need the community (deleted,
    private, or already with staff). Returns how many were stopped.

    Skips rows another sweep holds: that sweep finds the active ticket and marks them done
    itself, and waiting for it here could deadlock (it may be waiting on our new ticket).
    """
    now = now or timezone.now()
    thread_ids = [*thread_ids, *([thread_id] if thread_id is not None else [])]
    ids = list(
        Deadline.objects.filter(thread_id__in=thread_ids, status=Deadline.Status.PENDING)
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    return Deadline.objects.filter(pk__in=ids).update(status=Deadline.Status.CLEARED, done_at=now)


@transaction.atomic(savepoint=False)
def restore_solve_deadline(*, thread: Thread, now: datetime | None = None) -> Deadline | None:
    """After a solution is unaccepted, the solve timer runs again: until its original due time
    or, if that has passed, for another answer window from now (the community gets a fair
    chance before staff step in). Does nothing while the thread has a solution or an active
    ticket (staff already have it)."""
    now = now or timezone.now()
    if thread.solution_id is not None or thread.is_private or thread.is_deleted:
        return None
    if Ticket.objects.filter(thread_id=thread.pk).active().exists():
        return None
    policy = policy_for(category_id=thread.category_id)
    due_at = max(thread.created_at + policy.solve_within, now + policy.answer_within)
    deadline, created = Deadline.objects.get_or_create(
        thread=thread, kind=Deadline.Kind.SOLVE, defaults={"due_at": due_at, "created_at": now}
    )
    if not created and deadline.status != Deadline.Status.ESCALATED:
        Deadline.objects.filter(pk=deadline.pk).update(status=Deadline.Status.PENDING, due_at=due_at, done_at=None)
        deadline.refresh_from_db()
    return deadline


# --- Escalating -----------------------------------------------------------------------------------


@transaction.atomic(savepoint=False)
def escalate_thread(
    *,
    thread: Thread,
    reason: str,
    actor=None,
    detail: str = "",
    stop_timers: bool = True,
    now: datetime | None = None,
) -> tuple[Ticket, bool]:
    """Hand the thread to staff: open a ticket unless one is already active.

    Idempotent: the one-active-ticket-per-thread constraint decides races, the loser's insert
    is rolled back to a savepoint and it returns the winner's ticket. Returns (ticket, created).
    Does not lock the thread row, so it can run from a receiver (community holds that lock) or
    from the sweep (which holds deadline rows) without the two waiting on each other.
    """
    now = now or timezone.now()
    existing = Ticket.objects.filter(thread=thread).active().first()
    if existing is not None:
        return existing, False
    policy = policy_for(category_id=thread.category_id)
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                thread=thread, reason=reason, due_at=now + policy.staff_response, created_at=now
            )
    except IntegrityError:
        return Ticket.objects.filter(thread=thread).active().get(), False
    record_event(ticket, TicketEvent.Action.OPENED, actor=actor, detail=detail or ticket.get_reason_display(), now=now)
    if stop_timers:
        # Staff have the thread now; community timers would only open the same ticket again.
        cancel_deadlines(thread_id=thread.pk, now=now)
    return ticket, True


def sweep_due_deadlines(*, now: datetime | None = None, batch_size: int = SWEEP_BATCH_SIZE) -> int:
    """Escalate every pending deadline that is due. Returns how many rows it handled.

    Each batch is its own transaction holding its rows FOR UPDATE SKIP LOCKED, so concurrent
    sweeps (or a countdown task) divide the work instead of repeating it, and a failure loses
    at most one batch until the next sweep. The query uses the partial index on pending
    due_at, so its cost follows what is due. Afterwards staff get one digest of new tickets.
    """
    now = now or timezone.now()
    handled = 0
    while True:
        with transaction.atomic():
            batch = list(
                Deadline.objects.filter(status=Deadline.Status.PENDING, due_at__lte=now)
                .select_related("thread")
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("due_at", "pk")[:batch_size]
            )
            _escalate_deadlines(batch, now=now)
        handled += len(batch)
        if len(batch) < batch_size:
            break
    notify_staff_of_new_tickets(now=now)
    return handled


def _divert(deadlines: list[Deadline], *, now: datetime) -> set[int]:
    """The extension point (escalation.diversion): before due first-answer timers of public
    threads escalate, a diverter (the experts tier) may take a thread for a window of its own.
    Such a timer stays pending, due at the window's end. The caller holds the rows. Returns
    the ids of the timers taken."""
    candidates = [
        d for d in deadlines
        if d.kind == Deadline.Kind.FIRST_ANSWER and not d.thread.is_private and deadline_still_needed(d)
    ]
    taken = diversion.divert(deadlines=candidates, now=now) if candidates else {}
    for deadline in candidates:
        if deadline.pk in taken:
            Deadline.objects.filter(pk=deadline.pk).update(due_at=taken[deadline.pk])
            deadline.due_at = taken[deadline.pk]
    return set(taken)


def deadline_still_needed(deadline: Deadline) -> bool:
    """Whether a due timer still means the thread needs staff: not deleted, and still without
    a first answer (first-answer timer) or a solution (solve timer)."""
    thread = deadline.thread
    return not thread.is_deleted and (
        thread.first_answer_at is None if deadline.kind == Deadline.Kind.FIRST_ANSWER else thread.solution_id is None
    )


def _escalate_deadlines(batch: list[Deadline], *, now: datetime) -> None:
    """Escalate due timers whose rows the caller holds FOR UPDATE, or clear those the thread
    no longer needs (answered, solved, deleted); every row is marked done. The one path of the
    sweep and the countdown task, in a fixed number of queries whatever the size of the batch,
    so the sweep's cost follows what is due.

    A thread already with staff gets a history line on its ticket (a flagged ticket keeps the
    timers running). When a ticket insert collides with one opened meanwhile (a receiver or a
    countdown task), the active tickets are read again and the insert retried: the one-active-
    ticket constraint decides, as it does for escalate_thread. A collision waits for the other
    transaction to commit, so the next read sees at least one more active ticket: a batch of n
    threads needs at most n + 1 tries, however many sweeps and offer expiries run at once.
    """
    diverted = _divert(batch, now=now)
    batch = [deadline for deadline in batch if deadline.pk not in diverted]
    needed = [deadline for deadline in batch if deadline_still_needed(deadline)]
    thread_ids = {deadline.thread_id for deadline in needed}
    policies = policies_for(category_ids={d.thread.category_id for d in needed}) if needed else {}
    attempts = len(thread_ids) + 1
    for attempt in range(attempts):
        active = {t.thread_id: t for t in Ticket.objects.filter(thread_id__in=thread_ids).active()} if thread_ids else {}
        new_tickets: list[tuple[Ticket, str]] = []
        timers: list[tuple[int, str]] = []  # (thread_id, detail) for threads already with staff
        for deadline in needed:
            detail = f"{deadline.get_kind_display()} deadline passed"
            if deadline.thread_id in active:
                timers.append((deadline.thread_id, detail))
                continue
            reason = Ticket.Reason.UNANSWERED if deadline.kind == Deadline.Kind.FIRST_ANSWER else Ticket.Reason.UNSOLVED
            ticket = Ticket(
                thread=deadline.thread,
                reason=reason,
                due_at=now + policies[deadline.thread.category_id].staff_response,
                created_at=now,
            )
            active[deadline.thread_id] = ticket
            new_tickets.append((ticket, detail))
        if not new_tickets:
            break
        try:
            with transaction.atomic():
                Ticket.objects.bulk_create([ticket for ticket, _detail in new_tickets])
            break
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    events_ = [
        TicketEvent(ticket=ticket, action=TicketEvent.Action.OPENED, detail=detail[:300], created_at=now)
        for ticket, detail in new_tickets
    ] + [
        TicketEvent(ticket=active[thread_id], action=TicketEvent.Action.TIMER, detail=detail[:300], created_at=now)
        for thread_id, detail in timers
    ]
    if events_:
        TicketEvent.objects.bulk_create(events_)
    if new_tickets:
        # Staff have these threads now: community timers would only open the same ticket again.
        cancel_deadlines(thread_ids=[ticket.thread_id for ticket, _detail in new_tickets], now=now)
    needed_ids = {deadline.pk for deadline in needed}
    escalated = [deadline.pk for deadline in batch if deadline.pk in needed_ids]
    cleared = [deadline.pk for deadline in batch if deadline.pk not in needed_ids]
    if escalated:
        Deadline.objects.filter(pk__in=escalated).update(status=Deadline.Status.ESCALATED, done_at=now)
    if cleared:
        Deadline.objects.filter(pk__in=cleared).update(status=Deadline.Status.CLEARED, done_at=now)


def escalate_thread_if_due(*, thread_id: int, now: datetime | None = None) -> int:
    """The countdown task's body: handle this thread's due timers exactly as the sweep would.
    A late or repeated delivery finds the rows done (or locked by a sweep) and changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Deadline.objects.filter(thread_id=thread_id, status=Deadline.Status.PENDING, due_at__lte=now)
            .select_related("thread")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("due_at", "pk")
        )
        _escalate_deadlines(due, now=now)
    if due:
        notify_staff_of_new_tickets(now=now)
    return len(due)


def notify_staff_of_new_tickets(*, now: datetime | None = None) -> list[int]:
    """Announce to staff (escalation.events.new_tickets_swept: the notifications app sends
    each staff member one digest) every ticket not yet announced, and mark them announced.

    Tickets opened by receivers (private threads, flags) between sweeps go out with the next
    sweep's digest, so staff get one email per sweep, never one per ticket.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Ticket.objects.filter(staff_notified_at__isnull=True)
            .select_for_update(skip_locked=True)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)
        )
        if not ids:
            return []
        Ticket.objects.filter(pk__in=ids).update(staff_notified_at=now)
        events.new_tickets_swept.send(sender=Ticket, ticket_ids=ids)
        chat.queue_new_tickets(ticket_ids=ids, now=now)
    return ids



# --- Settings: policies (edited on /manage/ and in the admin) --------------------------------------



@transaction.atomic
def save_policy(
    *, category_id: int | None, answer_within_minutes: int, solve_within_minutes: int, staff_response_minutes: int
) -> EscalationPolicy:
    """Set the default policy (``category_id`` None) or a category's own, creating it if
    needed; the row is locked while it changes. Applies to timers set from now on: deadlines
    already running keep their due times."""
    values = {
        "answer_within_minutes": answer_within_minutes,
        "solve_within_minutes": solve_within_minutes,
        "staff_response_minutes": staff_response_minutes,
    }
    if any(v is None or v <= 0 for v in values.values()):
        raise ValidationError("Every duration must be longer than zero.")
    lookup = {"is_default": True} if category_id is None else {"category_id": category_id}
    policy = EscalationPolicy.objects.select_for_update().order_by("pk").filter(**lookup).first()
    if policy is None:
        try:
            with transaction.atomic():
                return EscalationPolicy.objects.create(
                    is_default=category_id is None, category_id=category_id, **values
                )
        except IntegrityError:
            policy = EscalationPolicy.objects.select_for_update().order_by("pk").get(**lookup)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.save(update_fields=list(values))
    return policy


@transaction.atomic
def delete_policy(*, category_id: int) -> EscalationPolicy | None:
    """Drop a category's own policy so it uses the default again; None when it had none."""
    policy = EscalationPolicy.objects.select_for_update().order_by("pk").filter(category_id=category_id).first()
    if policy is None:
        return None
    policy.delete()
    return policy

