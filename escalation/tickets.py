"""What happens to a ticket once staff have it (tickets are opened in escalation.deadlines).

Staff actions (claim, assign, note, answer, redirect, resolve, reopen, bulk) check
check_can_work_queue themselves, own their transaction and lock the ticket row before they
decide. The reactions to community events (record_*) are called from escalation.receivers
inside community's transaction, so they must stay quick; they lock the thread's active ticket
before they change it. The redirect channels staff send customers to are edited here too.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from community import privacy
from community.models import Answer, Comment, Thread
from community.services import post_answer
from escalation import events, helpdesk
from escalation.deadlines import escalate_thread, policy_for
from escalation.history import record_event
from escalation.macros import record_macro_use
from escalation.models import Channel, Ticket, TicketEvent, TicketNote
from escalation.permissions import check_can_work_queue


class TicketActionError(Exception):
    """A staff action that the ticket's current state does not allow; the message says why."""


class TicketAlreadyClaimed(TicketActionError):
    def __init__(self, ticket: Ticket):
        self.ticket = ticket
        super().__init__(f"{ticket.assignee.name if ticket.assignee else 'Someone'} has already claimed this ticket.")


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
        record_event(ticket, TicketEvent.Action.ANSWERED, actor=answer.author, now=now)
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
        record_event(active, TicketEvent.Action.CUSTOMER, actor=user, detail="The asker still needs help", now=now)
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
    record_event(ticket, TicketEvent.Action.CUSTOMER, actor=user, detail="A solution was accepted", now=now)
    if ticket.reason != Ticket.Reason.FLAGGED:
        previous_status = ticket.status
        solution_official = thread.solution_id is not None and Answer.objects.filter(
            pk=thread.solution_id, is_official=True).exists()
        outcome = Ticket.Outcome.SOLVED if solution_official else Ticket.Outcome.COMMUNITY
        Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.RESOLVED, resolved_at=now, outcome=outcome)
        record_event(ticket, TicketEvent.Action.RESOLVED, actor=user, detail="Solved in the thread", now=now)
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
    """Enough flags hid a question, answer or comment: staff review it through a flagged ticket (or
    the thread's active ticket gets a history line)."""
    now = now or timezone.now()
    thread = post if isinstance(post, Thread) else post.thread
    what = _post_label(post).capitalize()
    # The community's timers keep running: a flag review is not an answer to the question.
    ticket, created = escalate_thread(
        thread=thread, reason=Ticket.Reason.FLAGGED, detail=f"{what} was hidden by flags", stop_timers=False, now=now
    )
    if not created:
        record_event(ticket, TicketEvent.Action.FLAGGED, detail=f"{what} was hidden by flags", now=now)
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
    record_event(ticket, TicketEvent.Action.MODERATED, actor=by, detail=f"{outcome.capitalize()} {what}", now=now)
    if ticket.reason == Ticket.Reason.FLAGGED:
        changes = {"status": Ticket.Status.RESOLVED, "resolved_at": now}
        if ticket.assignee_id is None and by is not None:
            changes.update(assignee_id=by.pk, claimed_at=now)
        Ticket.objects.filter(pk=ticket.pk).update(**changes)
        record_event(ticket, TicketEvent.Action.RESOLVED, actor=by, detail="Flags reviewed", now=now)
        ticket.refresh_from_db()
    return ticket


# --- Staff actions ------------------------------------------------------------------------------


def _locked_ticket(ticket_id: int) -> Ticket:
    # No select_related: after waiting for the lock, PostgreSQL re-reads the locked row but not
    # rows joined to it, so a joined assignee could be the one from before the wait.
    return Ticket.objects.select_for_update().get(pk=ticket_id)


def _check_active(ticket: Ticket) -> None:
    """Staff act on an active ticket only; a closed one is reopened first."""
    if not ticket.is_active:
        raise TicketActionError(f"This ticket is {ticket.get_status_display().lower()}; reopen it first.")


def _give_to(ticket: Ticket, owner, *, now: datetime) -> None:
    """Make ``owner`` the owner of the active ticket whose row the caller holds: an open
    ticket becomes claimed."""
    ticket.assignee = owner
    ticket.claimed_at = now
    if ticket.status == Ticket.Status.OPEN:
        ticket.status = Ticket.Status.CLAIMED
    ticket.save(update_fields=["assignee", "claimed_at", "status"])


def _close(ticket: Ticket, status: str, *, outcome: str, staff, now: datetime, also: tuple | list = ()) -> None:
    """Close the ticket whose row the caller holds as ``status`` with ``outcome``; staff who
    close a ticket nobody owned become its owner. Saves those fields and the ones named in
    ``also`` that the caller set."""
    ticket.status = status
    ticket.outcome = outcome
    ticket.resolved_at = now
    if ticket.assignee_id is None:
        ticket.assignee, ticket.claimed_at = staff, now
    ticket.save(update_fields=["status", "outcome", "resolved_at", "assignee", "claimed_at", *also])


def claim_ticket(*, ticket_id: int, staff, now: datetime | None = None) -> Ticket:
    """Make ``staff`` the ticket's owner. Locks the ticket row first, so of two staff
    clicking at once one wins and the other gets TicketAlreadyClaimed naming the owner.
    Claiming a ticket one already owns changes nothing. Staff only (Http404 otherwise)."""
    check_can_work_queue(staff)
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id)
        _check_active(ticket)
        if ticket.assignee_id == staff.pk:
            return ticket
        if ticket.assignee_id is not None:
            raise TicketAlreadyClaimed(ticket)
        _give_to(ticket, staff, now=now)
        record_event(ticket, TicketEvent.Action.CLAIMED, actor=staff, now=now)
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
        record_event(ticket, TicketEvent.Action.NOTED, actor=staff, now=now)
    note.masked_findings = list(masked.findings)
    return note


def answer_ticket(*, ticket_id: int, staff, body: str, then: str = "wait", macro_id: int | None = None):
    """Post an Official answer in the ticket's thread through community's post_answer; the
    answer_posted receiver records the response, sets the ticket waiting on the customer and
    emails the asker. ``then="resolve"`` also resolves the ticket as solved by staff, in the
    same transaction (one step for staff, two history lines). ``macro_id`` counts a use of
    the saved reply the answer started from. Returns the Answer. Staff only (Http404
    otherwise)."""
    check_can_work_queue(staff)
    # Not locking the ticket first: post_answer locks the thread and its receiver then locks
    # the ticket, the same order community's other events use.
    ticket = Ticket.objects.select_related("thread").get(pk=ticket_id)
    _check_active(ticket)
    with transaction.atomic():
        answer = post_answer(author=staff, thread=ticket.thread, body=body)
        if then == "resolve":
            resolve_ticket(ticket_id=ticket.pk, staff=staff, outcome=Ticket.Outcome.SOLVED)
        if macro_id:
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
        _check_active(ticket)
        previous_status = ticket.status
        ticket.channel = channel
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        _close(ticket, Ticket.Status.REDIRECTED, outcome=Ticket.Outcome.REDIRECTED, staff=staff, now=now,
               also=["channel", "first_response_at"])
        record_event(ticket, TicketEvent.Action.REDIRECTED, actor=staff, detail=channel.name, now=now)
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
        _close(ticket, Ticket.Status.RESOLVED, outcome=outcome, staff=staff, now=now)
        record_event(ticket, TicketEvent.Action.RESOLVED, actor=staff, detail=Ticket.Outcome(outcome).label, now=now)
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
    record_event(ticket, TicketEvent.Action.REOPENED, actor=actor, detail=detail, now=now)
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
        _check_active(ticket)
        if ticket.assignee_id == assignee.pk:
            return ticket
        _give_to(ticket, assignee, now=now)
        record_event(ticket, TicketEvent.Action.ASSIGNED, actor=staff, detail=f"to {assignee.name}", now=now)
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



# --- Settings: redirect channels (edited on /manage/ and in the admin) -----------------------------


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
