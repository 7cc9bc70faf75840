"""Every write of the escalation app: timers, escalating, and what staff do with a ticket.

Functions called from escalation.receivers run inside community's transaction (community sends
its events after writing), so they must be quick and queue anything slow with
config.tasks.enqueue_on_commit. Staff actions own their transaction and lock the ticket row.
Helpers that usually run inside another transaction use atomic(savepoint=False): they still
open a transaction when called alone, without a savepoint per row when the sweep calls them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from community import privacy
from community.models import Answer, Comment, Thread
from escalation import chat, diversion, events, helpdesk
from escalation.models import (
    Channel,
    Deadline,
    EscalationPolicy,
    Ticket,
    TicketEvent,
    TicketNote,
)
from escalation.permissions import check_can_work_queue

logger = logging.getLogger(__name__)

SWEEP_BATCH_SIZE = 200
COUNTDOWN_MAX = timedelta(minutes=50)


class TicketActionError(Exception):
    """A staff action that the ticket's current state does not allow; the message says why."""


class TicketAlreadyClaimed(TicketActionError):
    def __init__(self, ticket: Ticket):
        self.ticket = ticket
        super().__init__(f"{ticket.assignee.name if ticket.assignee else 'Someone'} has already claimed this ticket.")


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


def _record(ticket: Ticket, action: str, *, actor=None, detail: str = "", now: datetime | None = None) -> TicketEvent:
    # Details are ours (a channel's name, a deadline), but never store a number in full.
    detail = privacy.mask_account_data(detail[:300], max_chars=300).text
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, action=action, detail=detail, created_at=now or timezone.now()
    )


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
    _record(ticket, TicketEvent.Action.OPENED, actor=actor, detail=detail or ticket.get_reason_display(), now=now)
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


ESCALATE_ATTEMPTS = 3


def _escalate_deadlines(batch: list[Deadline], *, now: datetime) -> None:
    """Escalate due timers whose rows the caller holds FOR UPDATE, or clear those the thread
    no longer needs (answered, solved, deleted); every row is marked done. The one path of the
    sweep and the countdown task, in a fixed number of queries whatever the size of the batch,
    so the sweep's cost follows what is due.

    A thread already with staff gets a history line on its ticket (a flagged ticket keeps the
    timers running). When a ticket insert collides with one opened meanwhile (a receiver or a
    countdown task), the active tickets are read again and the insert retried: the one-active-
    ticket constraint decides, as it does for escalate_thread.
    """
    diverted = _divert(batch, now=now)
    batch = [deadline for deadline in batch if deadline.pk not in diverted]
    needed = [deadline for deadline in batch if deadline_still_needed(deadline)]
    thread_ids = {deadline.thread_id for deadline in needed}
    policies = policies_for(category_ids={d.thread.category_id for d in needed}) if needed else {}
    for attempt in range(ESCALATE_ATTEMPTS):
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
            if attempt == ESCALATE_ATTEMPTS - 1:
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


# --- Reactions to community events (called from escalation.receivers) -----------------------------


@transaction.atomic(savepoint=False)
def record_staff_answer(*, answer, now: datetime | None = None) -> Ticket | None:
    """An official (staff) answer: the first staff response on the active ticket, which now
    waits on the customer; the asker is told (escalation.events.staff_replied). Opens no ticket."""
    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update().filter(thread_id=answer.thread_id).active().first()
    if ticket is not None:
        changes = {"status": Ticket.Status.WAITING}
        if ticket.first_response_at is None:
            changes["first_response_at"] = now
        if ticket.assignee_id is None:
            changes.update(assignee_id=answer.author_id, claimed_at=now)
        Ticket.objects.filter(pk=ticket.pk).update(**changes)
        _record(ticket, TicketEvent.Action.ANSWERED, actor=answer.author, now=now)
        ticket.refresh_from_db()
    events.staff_replied.send(sender=Ticket, answer=answer, ticket=ticket)
    return ticket


@transaction.atomic(savepoint=False)
def record_help_still_needed(*, thread: Thread, user, now: datetime | None = None) -> Ticket:
    """The asker says the thread still needs help: the active ticket goes back to staff, else
    the latest resolved or redirected ticket is reopened, else a new ticket is opened."""
    now = now or timezone.now()
    active = Ticket.objects.select_for_update().filter(thread=thread).active().first()
    if active is not None:
        if active.status == Ticket.Status.WAITING:
            status = Ticket.Status.CLAIMED if active.assignee_id else Ticket.Status.OPEN
            policy = policy_for(category_id=thread.category_id)
            Ticket.objects.filter(pk=active.pk).update(status=status, due_at=now + policy.staff_response)
        _record(active, TicketEvent.Action.CUSTOMER, actor=user, detail="The asker still needs help", now=now)
        active.refresh_from_db()
        return active
    latest = Ticket.objects.select_for_update().filter(thread=thread).order_by("-created_at", "-pk").first()
    if latest is not None:
        return _reopen(latest, actor=user, detail="The asker still needs help", now=now)
    ticket, _ = escalate_thread(
        thread=thread, reason=Ticket.Reason.STILL_NEEDS_HELP, actor=user, detail="The asker still needs help", now=now
    )
    return ticket


@transaction.atomic(savepoint=False)
def record_solution_accepted(*, thread: Thread, user, now: datetime | None = None) -> Ticket | None:
    """The thread has a solution: its active ticket is resolved, unless it is waiting for a
    flag review (reason flagged), which a solution does not settle."""
    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update().filter(thread_id=thread.pk).active().first()
    if ticket is None:
        return None
    _record(ticket, TicketEvent.Action.CUSTOMER, actor=user, detail="A solution was accepted", now=now)
    if ticket.reason != Ticket.Reason.FLAGGED:
        previous_status = ticket.status
        solution_official = thread.solution_id is not None and Answer.objects.filter(
            pk=thread.solution_id, is_official=True).exists()
        outcome = Ticket.Outcome.SOLVED if solution_official else Ticket.Outcome.COMMUNITY
        Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.RESOLVED, resolved_at=now, outcome=outcome)
        _record(ticket, TicketEvent.Action.RESOLVED, actor=user, detail="Solved in the thread", now=now)
        ticket.refresh_from_db()
        events.ticket_status_changed.send(sender=Ticket, ticket=ticket, previous_status=previous_status, actor=user)
    return ticket


def _post_label(post) -> str:
    """How a ticket's history names a flagged question, answer or comment."""
    if isinstance(post, Thread):
        return "the question"
    if isinstance(post, Comment):
        return f"comment #{post.pk}"
    return f"answer #{post.pk}"


@transaction.atomic(savepoint=False)
def record_post_hidden(*, post, now: datetime | None = None) -> Ticket:
    """Enough flags hid a question, answer or comment: staff review it through a flagged
    ticket (or the thread's active ticket gets a history line)."""
    now = now or timezone.now()
    thread = post if isinstance(post, Thread) else post.thread
    what = _post_label(post).capitalize()
    # The community's timers keep running: a flag review is not an answer to the question.
    ticket, created = escalate_thread(
        thread=thread, reason=Ticket.Reason.FLAGGED, detail=f"{what} was hidden by flags", stop_timers=False, now=now
    )
    if not created:
        _record(ticket, TicketEvent.Action.FLAGGED, detail=f"{what} was hidden by flags", now=now)
    return ticket


@transaction.atomic(savepoint=False)
def record_flag_review(*, post, by, outcome: str, now: datetime | None = None) -> Ticket | None:
    """Staff restored or removed a flagged post (community's moderation): the thread's active
    ticket gets a history line, and a ticket opened for the flags is resolved by it."""
    now = now or timezone.now()
    thread = post if isinstance(post, Thread) else post.thread
    what = _post_label(post)
    ticket = Ticket.objects.select_for_update().filter(thread_id=thread.pk).active().first()
    if ticket is None:
        return None
    _record(ticket, TicketEvent.Action.MODERATED, actor=by, detail=f"{outcome.capitalize()} {what}", now=now)
    if ticket.reason == Ticket.Reason.FLAGGED:
        changes = {"status": Ticket.Status.RESOLVED, "resolved_at": now}
        if ticket.assignee_id is None and by is not None:
            changes.update(assignee_id=by.pk, claimed_at=now)
        Ticket.objects.filter(pk=ticket.pk).update(**changes)
        _record(ticket, TicketEvent.Action.RESOLVED, actor=by, detail="Flags reviewed", now=now)
        ticket.refresh_from_db()
    return ticket


# --- Staff actions ------------------------------------------------------------------------------


def _locked_ticket(ticket_id: int) -> Ticket:
    # No select_related: after waiting for the lock, PostgreSQL re-reads the locked row but not
    # rows joined to it, so a joined assignee could be the one from before the wait.
    return Ticket.objects.select_for_update().get(pk=ticket_id)


def claim_ticket(*, ticket_id: int, staff, now: datetime | None = None) -> Ticket:
    """Make ``staff`` the ticket's owner. Locks the ticket row first, so of two staff
    clicking at once one wins and the other gets TicketAlreadyClaimed naming the owner.
    Claiming a ticket one already owns changes nothing. Staff only (Http404 otherwise)."""
    check_can_work_queue(staff)
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id)
        if not ticket.is_active:
            raise TicketActionError(f"This ticket is {ticket.get_status_display().lower()}; reopen it first.")
        if ticket.assignee_id == staff.pk:
            return ticket
        if ticket.assignee_id is not None:
            raise TicketAlreadyClaimed(ticket)
        ticket.assignee = staff
        ticket.claimed_at = now
        if ticket.status == Ticket.Status.OPEN:
            ticket.status = Ticket.Status.CLAIMED
        ticket.save(update_fields=["assignee", "claimed_at", "status"])
        _record(ticket, TicketEvent.Action.CLAIMED, actor=staff, now=now)
        events.ticket_claimed.send(sender=Ticket, ticket=ticket, staff=staff)
    return ticket


NOTE_MAX_LENGTH = 5000


def add_ticket_note(*, ticket_id: int, staff, body: str, now: datetime | None = None) -> TicketNote:
    """An internal note, visible to staff only. Staff only (Http404 otherwise).

    Staff never need a customer's full card number either: account data in the note is
    masked before it is stored (community.privacy), ``note.masked_findings`` says what.
    Raises ValidationError for an empty note or one over NOTE_MAX_LENGTH characters."""
    check_can_work_queue(staff)
    now = now or timezone.now()
    body = (body or "").strip()
    if not body:
        raise ValidationError("Write something first.")
    try:
        masked = privacy.mask_account_data(body, max_chars=NOTE_MAX_LENGTH)
    except privacy.TextTooLong:
        raise ValidationError(f"Keep the note under {NOTE_MAX_LENGTH:,} characters.") from None
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id)
        note = TicketNote.objects.create(ticket=ticket, author=staff, body=masked.text, created_at=now)
        _record(ticket, TicketEvent.Action.NOTED, actor=staff, now=now)
    note.masked_findings = list(masked.findings)
    return note


def answer_ticket(*, ticket_id: int, staff, body: str, then: str = "wait", macro_id: int | None = None):
    """Post an Official answer in the ticket's thread through community's post_answer; the
    answer_posted receiver records the response, sets the ticket waiting on the customer and
    emails the asker. ``then="resolve"`` also resolves the ticket as solved by staff, in the
    same transaction (one step for staff, two history lines). ``macro_id`` counts a use of
    the saved reply the answer started from. Returns the Answer. Staff only (Http404
    otherwise)."""
    from community.services import post_answer

    check_can_work_queue(staff)
    # Not locking the ticket first: post_answer locks the thread and its receiver then locks
    # the ticket, the same order community's other events use.
    ticket = Ticket.objects.select_related("thread").get(pk=ticket_id)
    if not ticket.is_active:
        raise TicketActionError(f"This ticket is {ticket.get_status_display().lower()}; reopen it first.")
    with transaction.atomic():
        answer = post_answer(author=staff, thread=ticket.thread, body=body)
        if then == "resolve":
            resolve_ticket(ticket_id=ticket.pk, staff=staff, outcome=Ticket.Outcome.SOLVED)
        if macro_id:
            from escalation.macros import record_macro_use

            record_macro_use(macro_id=macro_id, staff=staff)
    return answer


def redirect_ticket(*, ticket_id: int, staff, channel: Channel, now: datetime | None = None) -> Ticket:
    """Send the customer to a specialised channel: the ticket is closed as redirected and the
    asker is emailed the channel's instructions after commit (escalation.events). Staff only
    (Http404 otherwise)."""
    check_can_work_queue(staff)
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id)
        if not ticket.is_active:
            raise TicketActionError(f"This ticket is {ticket.get_status_display().lower()}; reopen it first.")
        previous_status = ticket.status
        ticket.status = Ticket.Status.REDIRECTED
        ticket.outcome = Ticket.Outcome.REDIRECTED
        ticket.channel = channel
        ticket.resolved_at = now
        if ticket.assignee_id is None:
            ticket.assignee, ticket.claimed_at = staff, now
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        ticket.save(update_fields=["status", "outcome", "channel", "resolved_at", "assignee", "claimed_at",
                                   "first_response_at"])
        _record(ticket, TicketEvent.Action.REDIRECTED, actor=staff, detail=channel.name, now=now)
        if channel.is_helpdesk:
            # The remote ticket is created by a worker after commit (escalation.helpdesk).
            helpdesk.start_handoff(ticket=ticket, channel=channel, now=now)
        # The asker is emailed the channel's instructions (by the notifications app).
        events.ticket_status_changed.send(sender=Ticket, ticket=ticket, previous_status=previous_status, actor=staff)
    return ticket


RESOLVE_OUTCOMES = (
    Ticket.Outcome.SOLVED, Ticket.Outcome.DUPLICATE, Ticket.Outcome.NO_RESPONSE, Ticket.Outcome.REDIRECTED,
)


def resolve_ticket(
    *, ticket_id: int, staff, outcome: str = Ticket.Outcome.SOLVED, now: datetime | None = None
) -> Ticket:
    """Close the ticket as resolved with ``outcome`` (how it ended, for the report). Locks the
    ticket row; a ticket already closed is refused with TicketActionError. Staff only (Http404
    otherwise)."""
    check_can_work_queue(staff)
    if outcome not in RESOLVE_OUTCOMES:
        raise TicketActionError("Choose how the ticket ended.")
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id)
        if not ticket.is_active:
            raise TicketActionError(f"This ticket is already {ticket.get_status_display().lower()}.")
        previous_status = ticket.status
        ticket.status = Ticket.Status.RESOLVED
        ticket.outcome = outcome
        ticket.resolved_at = now
        if ticket.assignee_id is None:
            ticket.assignee, ticket.claimed_at = staff, now
        ticket.save(update_fields=["status", "outcome", "resolved_at", "assignee", "claimed_at"])
        _record(ticket, TicketEvent.Action.RESOLVED, actor=staff, detail=Ticket.Outcome(outcome).label, now=now)
        events.ticket_status_changed.send(sender=Ticket, ticket=ticket, previous_status=previous_status, actor=staff)
    return ticket


def _reopen(ticket: Ticket, *, actor, detail: str, now: datetime) -> Ticket:
    """Reopen a resolved or redirected ticket whose row the caller holds. The database refuses
    if another ticket of the thread is active (one active ticket per thread)."""
    policy = policy_for(category_id=ticket.thread.category_id)
    previous_status = ticket.status
    ticket.status = Ticket.Status.CLAIMED if ticket.assignee_id else Ticket.Status.OPEN
    ticket.resolved_at = None
    ticket.outcome = ""
    ticket.due_at = now + policy.staff_response
    try:
        with transaction.atomic():
            ticket.save(update_fields=["status", "resolved_at", "outcome", "due_at"])
    except IntegrityError:
        raise TicketActionError("Another ticket for this thread is already open.") from None
    _record(ticket, TicketEvent.Action.REOPENED, actor=actor, detail=detail, now=now)
    events.ticket_status_changed.send(sender=Ticket, ticket=ticket, previous_status=previous_status, actor=actor)
    return ticket


def reopen_ticket(*, ticket_id: int, staff, now: datetime | None = None) -> Ticket:
    """Reopen a resolved or redirected ticket. Staff only (Http404 otherwise)."""
    check_can_work_queue(staff)
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id)
        if ticket.is_active:
            raise TicketActionError("This ticket is already open.")
        return _reopen(ticket, actor=staff, detail="", now=now)


def assign_ticket(*, ticket_id: int, staff, assignee, now: datetime | None = None) -> Ticket:
    """Give the ticket to ``assignee`` (a staff member), whoever held it. Locks the ticket row;
    assigning to the current owner changes nothing. Staff only (Http404 otherwise)."""
    check_can_work_queue(staff)
    if not (assignee.is_active and assignee.is_staff):
        raise TicketActionError("Tickets can only be assigned to active staff.")
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id)
        if not ticket.is_active:
            raise TicketActionError(f"This ticket is {ticket.get_status_display().lower()}; reopen it first.")
        if ticket.assignee_id == assignee.pk:
            return ticket
        ticket.assignee = assignee
        ticket.claimed_at = now
        if ticket.status == Ticket.Status.OPEN:
            ticket.status = Ticket.Status.CLAIMED
        ticket.save(update_fields=["assignee", "claimed_at", "status"])
        _record(ticket, TicketEvent.Action.ASSIGNED, actor=staff, detail=f"to {assignee.name}", now=now)
    return ticket


BULK_ACTIONS = ("claim", "assign", "resolve")


def bulk_update_tickets(
    *, ticket_ids: list[int], staff, action: str, assignee=None, outcome: str = "", now: datetime | None = None
) -> tuple[list[int], list[str]]:
    """Apply one staff action to several tickets, each through its own service and in its own
    transaction (so each ticket's history gets its line and one refusal, such as a ticket a
    colleague claimed a moment ago, spoils none of the others). Returns the ids done and the
    reasons for those refused. Staff only (Http404 otherwise)."""
    check_can_work_queue(staff)
    if action not in BULK_ACTIONS:
        raise TicketActionError("Choose what to do with the selected tickets.")
    done, refused = [], []
    for ticket_id in dict.fromkeys(ticket_ids):
        try:
            if action == "claim":
                claim_ticket(ticket_id=ticket_id, staff=staff, now=now)
            elif action == "assign":
                assign_ticket(ticket_id=ticket_id, staff=staff, assignee=assignee, now=now)
            else:
                resolve_ticket(ticket_id=ticket_id, staff=staff, outcome=outcome, now=now)
        except Ticket.DoesNotExist:
            refused.append(f"#{ticket_id}: no such ticket.")
        except TicketActionError as exc:
            refused.append(f"#{ticket_id}: {exc}")
        else:
            done.append(ticket_id)
    return done, refused


# --- Settings: policies and channels (edited on /manage/ and in the admin) ------------------------


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


CHANNEL_FIELDS = ("name", "instructions", "link", "is_active", "position")


@transaction.atomic
def save_channel(*, channel_id: int | None, values: dict) -> Channel:
    """Create or change a redirect channel (locked while it changes). Names are unique."""
    if channel_id is None:
        channel = Channel()
    else:
        channel = Channel.objects.select_for_update().get(pk=channel_id)
    for name in CHANNEL_FIELDS:
        if name in values:
            setattr(channel, name, values[name])
    channel.name = (channel.name or "").strip()
    if Channel.objects.filter(name__iexact=channel.name).exclude(pk=channel.pk).exists():
        raise ValidationError({"name": f"There is already a channel called {channel.name}."})
    channel.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError:
        raise ValidationError({"name": f"There is already a channel called {channel.name}."}) from None
    return channel
