"""Every write of the experts app: the roster, offers and claims, paid answers, sessions and the
payout ledger.

Services are keyword-only, own their transaction and lock the rows their decision depends on.
Lock order (to keep PostgreSQL free of deadlocks): community's Thread, then escalation's
Deadline, then Offer, then Claim, then Expert. Functions called from experts.receivers run inside
community's transaction (which already holds the thread) and take only the later locks.

Every free text a person writes (motivation, availability, address, times, details, reasons,
comments) is bounded in length and then masked by community's account-data scanner
(community.privacy.mask_account_data, as community.services does) before anything is stored:
a card number in an address is stored as "•••• 1111", never in full. The findings travel on
the returned object as ``masked_findings`` so the page can tell the writer
(privacy.explain). A meeting link is a URL: one that would need masking is refused instead.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from community import privacy
from community.models import Answer, Thread
from config.tasks import enqueue_on_commit, task_named
from escalation.models import Ticket, TicketEvent
from experts import events, permissions, quality
from experts.selectors import ledger_balance_q, payable_earnings
from experts.models import (
    CategoryProgramme,
    Claim,
    Expert,
    Expertise,
    ExpertSettings,
    Offer,
    PayoutBatch,
    PayoutEntry,
    Service,
    ServiceArea,
    Session,
)

logger = logging.getLogger(__name__)

SWEEP_BATCH_SIZE = 200
COUNTDOWN_MAX = timedelta(minutes=50)
# The tasks this module queues, by name: experts.tasks calls into this module, so importing
# them would make an import cycle (config.tasks.task_named).
SWEEP_OFFER_TASK = "experts.tasks.sweep_offer"
LAPSE_CLAIM_TASK = "experts.tasks.lapse_claim_if_due"
RECOMPUTE_QUALITY_TASK = "experts.tasks.recompute_quality"


class ExpertActionError(Exception):
    """An action the current state does not allow; the message says why, for the page."""


# --- Input --------------------------------------------------------------------------------------


def clean_text(
    value: str | None, *, label: str, max_length: int, required: bool = True, findings: list | None = None
) -> str:
    """Strip and bound a person's text, then mask its account data (community.privacy). The
    length is checked before the scanner runs, so it never sees more than max_length. What was
    masked is appended to ``findings`` when given."""
    text = (value or "").strip()
    if len(text) > max_length:
        raise ValidationError(f"Keep the {label} under {max_length:,} characters.")
    if required and not text:
        raise ValidationError(f"Write the {label}.")
    try:
        result = privacy.mask_account_data(text, max_chars=max_length)
    except privacy.TextTooLong as exc:
        raise ValidationError(str(exc)) from None
    if findings is not None:
        findings.extend(result.findings)
    return result.text


def _member(user) -> None:
    if not permissions.is_member(user):
        raise PermissionDenied("Sign in first.")


def _active_expert(user) -> Expert:
    _member(user)
    expert = Expert.objects.filter(user=user).first()
    if expert is None or expert.status != Expert.Status.ACTIVE:
        raise PermissionDenied("Only active community experts can do this.")
    return expert


def _staff(user) -> None:
    if not permissions.is_staff(user):
        raise PermissionDenied("Staff only.")


# --- The roster -----------------------------------------------------------------------------------


@transaction.atomic
def apply_as_expert(*, user, categories, motivation: str, availability: str, service_areas=()) -> Expert:
    """A member applies (or applies again, or for more categories). Categories already
    approved stay approved; rejected ones asked for again are pending again. Locks the
    member's Expert row when there is one."""
    _member(user)
    if user.is_staff:
        raise PermissionDenied("Staff help as staff; the experts programme is for community members.")
    categories = list(categories)
    if not categories:
        raise ValidationError("Choose at least one category.")
    findings: list = []
    motivation = clean_text(motivation, label="motivation", max_length=2000, findings=findings)
    availability = clean_text(availability, label="availability", max_length=300, findings=findings)
    now = timezone.now()
    expert = Expert.objects.select_for_update().filter(user=user).first()
    if expert is not None and expert.status == Expert.Status.SUSPENDED:
        raise ExpertActionError("Your expert status is suspended; staff will contact you about it.")
    if expert is None:
        expert = Expert.objects.create(
            user=user, motivation=motivation, availability=availability, applied_at=now,
            currency=ExpertSettings.load().currency,
        )
    else:
        Expert.objects.filter(pk=expert.pk).update(motivation=motivation, availability=availability, applied_at=now)
        if expert.status == Expert.Status.REJECTED:
            Expert.objects.filter(pk=expert.pk).update(status=Expert.Status.APPLIED, status_changed_at=now)
        expert.refresh_from_db()
    expert.service_areas.set(service_areas)
    existing = {e.category_id: e for e in Expertise.objects.filter(expert=expert)}
    for category in categories:
        row = existing.get(category.pk)
        if row is None:
            Expertise.objects.create(expert=expert, category=category)
        elif row.status == Expertise.Status.REJECTED:
            Expertise.objects.filter(pk=row.pk).update(
                status=Expertise.Status.PENDING, reason="", decided_by=None, decided_at=None
            )
    events.expert_applied.send(sender=Expert, expert=expert)
    expert.masked_findings = findings
    return expert


def _settle_application(expert: Expert, *, now: datetime) -> None:
    """After a decision: an expert with an approved category is active (unless suspended);
    one whose every category was rejected is rejected. Caller holds the expert row."""
    statuses = set(Expertise.objects.filter(expert=expert).values_list("status", flat=True))
    if expert.status == Expert.Status.SUSPENDED:
        return
    if Expertise.Status.APPROVED in statuses:
        if expert.status != Expert.Status.ACTIVE:
            Expert.objects.filter(pk=expert.pk).update(
                status=Expert.Status.ACTIVE, approved_at=expert.approved_at or now, status_changed_at=now,
                status_reason="",
            )
    elif statuses and statuses == {Expertise.Status.REJECTED}:
        Expert.objects.filter(pk=expert.pk).update(status=Expert.Status.REJECTED, status_changed_at=now)
    expert.refresh_from_db()


def _locked_expertise(expertise_id: int) -> tuple[Expert, Expertise]:
    expertise = Expertise.objects.select_related("category").get(pk=expertise_id)
    expert = Expert.objects.select_for_update().select_related("user").get(pk=expertise.expert_id)
    expertise = Expertise.objects.select_for_update().select_related("category").get(pk=expertise_id)
    return expert, expertise


def _decide_expertise(*, staff, expertise_id: int, status: str, reason: str) -> Expertise:
    """Record staff's decision on one category and settle the expert's status from all of
    them. Locks the expert, then the expertise row."""
    now = timezone.now()
    with transaction.atomic():
        expert, expertise = _locked_expertise(expertise_id)
        Expertise.objects.filter(pk=expertise.pk).update(
            status=status, reason=reason, decided_by=staff, decided_at=now
        )
        _settle_application(expert, now=now)
        expertise.refresh_from_db()
        events.expertise_decided.send(sender=Expert, expert=expert, expertise=expertise, actor=staff)
        _bump_badges()
    return expertise


def approve_expertise(*, staff, expertise_id: int) -> Expertise:
    """Staff approve an expert for one category."""
    _staff(staff)
    return _decide_expertise(staff=staff, expertise_id=expertise_id, status=Expertise.Status.APPROVED, reason="")


def reject_expertise(*, staff, expertise_id: int, reason: str) -> Expertise:
    """Staff reject an expert for one category, with a reason the member is told."""
    _staff(staff)
    reason = clean_text(reason, label="reason", max_length=300)
    return _decide_expertise(
        staff=staff, expertise_id=expertise_id, status=Expertise.Status.REJECTED, reason=reason
    )


def suspend_expert(*, expert_id: int, by=None, reason: str, now: datetime | None = None) -> Expert:
    """Suspend an expert (staff, or ``by=None`` for the quality check). They lose their open
    claims (each offer is open again for the others) and the sessions they accepted but have
    not started (back to waiting for an expert). Locks the expert, then its claims."""
    if by is not None:
        _staff(by)
        reason = clean_text(reason, label="reason", max_length=300)
    now = now or timezone.now()
    with transaction.atomic():
        expert = Expert.objects.select_for_update().select_related("user").get(pk=expert_id)
        if expert.status == Expert.Status.SUSPENDED:
            return expert
        if expert.status != Expert.Status.ACTIVE:
            raise ExpertActionError("Only an active expert can be suspended.")
        Expert.objects.filter(pk=expert.pk).update(
            status=Expert.Status.SUSPENDED, status_reason=reason[:300], status_changed_at=now
        )
        claims = list(Claim.objects.filter(expert=expert, status=Claim.Status.ACTIVE).values_list("pk", flat=True))
        for claim_id in claims:
            _end_claim(claim_id, status=Claim.Status.REVOKED, now=now)
        Session.objects.filter(expert=expert, status__in=[Session.Status.ACCEPTED, Session.Status.CONFIRMED]).update(
            status=Session.Status.REQUESTED, expert=None, accepted_at=None, proposed_start=None,
            meeting_link="", confirmed_at=None,
        )
        expert.refresh_from_db()
        events.expert_suspended.send(sender=Expert, expert=expert, actor=by, automatic=by is None)
        _bump_badges()
    return expert


def reinstate_expert(*, staff, expert_id: int) -> Expert:
    _staff(staff)
    now = timezone.now()
    with transaction.atomic():
        expert = Expert.objects.select_for_update().get(pk=expert_id)
        if expert.status != Expert.Status.SUSPENDED:
            raise ExpertActionError("Only a suspended expert can be reinstated.")
        approved = Expertise.objects.filter(expert=expert, status=Expertise.Status.APPROVED).exists()
        Expert.objects.filter(pk=expert.pk).update(
            status=Expert.Status.ACTIVE if approved else Expert.Status.APPLIED,
            status_reason="", status_changed_at=now,
            # A fresh start: the quality check looks only at tasks after the reinstatement.
            quality_since=now, quality_score=Decimal("1.000"), quality_tasks=0, quality_solved=0, quality_rating=None,
        )
        expert.refresh_from_db()
        events.expert_reinstated.send(sender=Expert, expert=expert, actor=staff)
        _bump_badges()
    return expert


def _bump_badges() -> None:
    """The set of active experts changed: names everywhere show (or drop) the badge at once,
    including cached pages and answer fragments (community.pagecache's site version)."""
    from community import pagecache
    from experts.badges import expert_ids_changed

    transaction.on_commit(expert_ids_changed)
    expert_ids_changed()
    pagecache.site_changed()


# --- Offers: the diverter and the sweep -----------------------------------------------------------


def programme_for(category_id: int) -> CategoryProgramme | None:
    return CategoryProgramme.objects.filter(category_id=category_id, is_enabled=True).first()


def divert_deadlines(*, deadlines: list, now: datetime) -> dict[int, datetime]:
    """escalation's diverter (escalation.diversion): a public thread whose community window
    ended, in a category with the programme on and at least one approved expert, is offered
    to those experts; its staff deadline moves to the end of the expert window. A thread is
    offered at most once (Offer.thread is unique), so the second time its deadline falls due
    it is left out and escalation hands it to staff. The caller holds the deadline rows.
    One query per batch when no category in it runs the programme, two more otherwise; then
    the offers themselves."""
    threads = {
        d.pk: d.thread for d in deadlines
        if not (d.thread.is_private or d.thread.is_deleted or d.thread.is_hidden)
    }
    if not threads:
        return {}
    enabled = set(
        CategoryProgramme.objects.filter(
            category_id__in={t.category_id for t in threads.values()}, is_enabled=True
        ).values_list("category_id", flat=True)
    )
    threads = {pk: t for pk, t in threads.items() if t.category_id in enabled}
    if not threads:
        return {}
    offered = set(Offer.objects.filter(thread_id__in=[t.pk for t in threads.values()]).values_list("thread_id", flat=True))
    taken = {}
    for deadline_id, thread in threads.items():
        if thread.pk in offered:
            continue
        offer = offer_thread(thread=thread, now=now)
        if offer is not None:
            taken[deadline_id] = offer.window_ends_at
    return taken


@transaction.atomic(savepoint=False)
def offer_thread(*, thread: Thread, now: datetime | None = None) -> Offer | None:
    """Offer a public thread to its category's approved experts, best quality score first.
    None when the programme is off there, nobody could take it, or it was offered before."""
    now = now or timezone.now()
    if thread.is_private:
        return None  # never offered: private threads are for their author and staff only
    programme = programme_for(thread.category_id)
    if programme is None or Offer.objects.filter(thread_id=thread.pk).exists():
        return None
    experts = list(
        Expert.objects.approved_for(thread.category_id).exclude(user_id=thread.author_id).select_related("user").by_quality()
    )
    if not experts:
        return None
    try:
        with transaction.atomic():
            offer = Offer.objects.create(
                thread=thread, category_id=thread.category_id, fee=programme.fee, currency=programme.currency,
                claim_hold_minutes=programme.claim_hold_minutes, created_at=now,
                window_ends_at=now + programme.expert_window, offered_to=len(experts),
            )
    except IntegrityError:
        return None  # a concurrent sweep offered it first
    from experts.badges import expert_ids_changed
    from experts.selectors import thread_facts_changed

    thread_facts_changed(thread.pk)
    expert_ids_changed()  # the in-process set of offered threads
    transaction.on_commit(expert_ids_changed)
    events.offer_made.send(sender=Offer, offer=offer, experts=experts)
    if programme.expert_window <= COUNTDOWN_MAX:
        countdown = int(programme.expert_window.total_seconds()) + 1
        enqueue_on_commit(task_named(SWEEP_OFFER_TASK).s(offer.pk).set(countdown=countdown))
    return offer


def _end_claim(claim_id: int, *, status: str, now: datetime) -> None:
    """End a held claim and put its offer back on offer (if its window is still open).
    Caller is inside a transaction; locks the offer, then the claim."""
    claim = Claim.objects.get(pk=claim_id)
    offer = Offer.objects.select_for_update().get(pk=claim.offer_id)
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    if claim.status != Claim.Status.ACTIVE:
        return
    Claim.objects.filter(pk=claim.pk).update(status=status, ended_at=now)
    if offer.status == Offer.Status.CLAIMED:
        Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.OPEN)


def claim_offer(*, user, offer_id: int, now: datetime | None = None) -> Claim:
    """An approved expert claims a live offer. Atomic: the offer row is locked, and the
    one-live-claim-per-offer constraint decides a race the lock did not (the loser is told who
    holds it). The claim holds for the category's claim hold time."""
    now = now or timezone.now()
    expert = _active_expert(user)
    with transaction.atomic():
        offer = Offer.objects.select_for_update().select_related("thread").get(pk=offer_id)
        thread = offer.thread
        if thread.is_private or thread.is_deleted or thread.is_hidden:
            raise ExpertActionError("This question is no longer on offer.")
        if thread.author_id == user.pk:
            raise ExpertActionError("You asked this question; another expert will take it.")
        if not Expertise.objects.filter(
            expert=expert, category_id=offer.category_id, status=Expertise.Status.APPROVED
        ).exists():
            raise PermissionDenied("You are not an approved expert in this category.")
        current = Claim.objects.filter(offer=offer, status__in=[Claim.Status.ACTIVE, Claim.Status.ANSWERED]).first()
        if current is not None and current.expert_id == expert.pk:
            return current
        if current is not None or offer.status == Offer.Status.CLAIMED:
            raise ExpertActionError("Another expert has already claimed this question.")
        if offer.status != Offer.Status.OPEN or offer.window_ends_at <= now or thread.solution_id is not None:
            raise ExpertActionError("This offer has ended.")
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    offer=offer, expert=expert, created_at=now,
                    hold_until=now + timedelta(minutes=offer.claim_hold_minutes),
                )
        except IntegrityError:
            raise ExpertActionError("Another expert has already claimed this question.") from None
        Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.CLAIMED)
        events.offer_claimed.send(sender=Offer, offer=offer, claim=claim)
    enqueue_on_commit(task_named(LAPSE_CLAIM_TASK).s(claim.pk).set(countdown=offer.claim_hold_minutes * 60 + 1))
    return claim


def release_claim(*, user, claim_id: int, now: datetime | None = None) -> Claim:
    """The expert gives the question back before answering."""
    now = now or timezone.now()
    expert = _active_expert(user)
    with transaction.atomic():
        claim = Claim.objects.get(pk=claim_id)
        if claim.expert_id != expert.pk:
            raise PermissionDenied("This is not your claim.")
        if claim.status != Claim.Status.ACTIVE:
            raise ExpertActionError("This claim has already ended.")
        _end_claim(claim.pk, status=Claim.Status.RELEASED, now=now)
        claim.refresh_from_db()
    return claim


def lapse_claims(*, now: datetime | None = None, claim_id: int | None = None) -> int:
    """Claims whose hold ran out go back to their offers. SKIP LOCKED: two sweeps divide the
    work. Returns how many lapsed."""
    now = now or timezone.now()
    with transaction.atomic():
        qs = Claim.objects.filter(status=Claim.Status.ACTIVE, hold_until__lte=now)
        if claim_id is not None:
            qs = qs.filter(pk=claim_id)
        ids = list(qs.select_for_update(skip_locked=True).order_by("hold_until", "pk").values_list("pk", flat=True)[:SWEEP_BATCH_SIZE])
    lapsed = 0
    for pk in ids:
        with transaction.atomic():
            claim = Claim.objects.filter(pk=pk, status=Claim.Status.ACTIVE, hold_until__lte=now).first()
            if claim is not None:
                _end_claim(pk, status=Claim.Status.LAPSED, now=now)
                lapsed += 1
    return lapsed


def _offer_history(offer: Offer) -> str:
    claims = list(offer.claims.select_related("expert__user").order_by("created_at", "pk"))
    parts = [f"Offered to {offer.offered_to} expert{'s' if offer.offered_to != 1 else ''} at {offer.created_at:%H:%M}"]
    for claim in claims:
        parts.append(f"claimed by {claim.expert.user.name} at {claim.created_at:%H:%M} ({claim.get_status_display().lower()})")
    if not claims:
        parts.append("nobody claimed it")
    return "Expert window ended: " + "; ".join(parts)


def expire_offer(*, offer_id: int, now: datetime | None = None) -> Offer | None:
    """Close an offer whose expert window ended without an expert answer: a held claim ends,
    and the thread goes to the staff queue (escalation.deadlines.escalate_thread, idempotent)
    with the offer's history, unless the community answered or solved it meanwhile. Locks
    the offer (SKIP LOCKED: another sweep has it)."""
    from escalation.deadlines import escalate_thread

    now = now or timezone.now()
    with transaction.atomic():
        offer = (
            Offer.objects.select_for_update(skip_locked=True)
            .filter(pk=offer_id, status__in=Offer.LIVE, window_ends_at__lte=now)
            .first()
        )
        if offer is None:
            return None
        for claim_id in Claim.objects.filter(offer=offer, status=Claim.Status.ACTIVE).values_list("pk", flat=True):
            Claim.objects.filter(pk=claim_id).update(status=Claim.Status.LAPSED, ended_at=now)
        Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.EXPIRED, closed_at=now)
        offer.refresh_from_db()
        thread = Thread.objects.get(pk=offer.thread_id)
        history = _offer_history(offer)
        if not thread.is_deleted and thread.solution_id is None and thread.first_answer_at is None:
            ticket, created = escalate_thread(thread=thread, reason=Ticket.Reason.UNANSWERED, detail=history, now=now)
            if not created:
                TicketEvent.objects.create(ticket=ticket, action=TicketEvent.Action.TIMER, detail=history[:300], created_at=now)
        events.offer_expired.send(sender=Offer, offer=offer)
    return offer


@transaction.atomic(savepoint=False)
def withdraw_offer(*, thread_id: int, now: datetime | None = None) -> Offer | None:
    """The thread became private, or was deleted or removed: its live offer is withdrawn and
    a held claim revoked, so no expert sees or claims it again. Called from experts.receivers
    inside community's transaction."""
    now = now or timezone.now()
    offer = Offer.objects.select_for_update().filter(thread_id=thread_id, status__in=Offer.LIVE).first()
    if offer is None:
        return None
    Claim.objects.filter(offer=offer, status=Claim.Status.ACTIVE).update(status=Claim.Status.REVOKED, ended_at=now)
    Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.WITHDRAWN, closed_at=now)
    offer.refresh_from_db()
    return offer


def sweep_offers(*, now: datetime | None = None) -> int:
    """Beat's sweep (like escalation's): lapse held claims whose time ran out and expire
    offers whose window ended. The database is the clock; the countdown tasks are only a fast
    path. Returns how many rows it handled."""
    now = now or timezone.now()
    handled = lapse_claims(now=now)
    while True:
        ids = list(
            Offer.objects.filter(status__in=Offer.LIVE, window_ends_at__lte=now)
            .order_by("window_ends_at", "pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH_SIZE]
        )
        done = [offer_id for offer_id in ids if expire_offer(offer_id=offer_id, now=now) is not None]
        handled += len(done)
        if len(ids) < SWEEP_BATCH_SIZE or not done:
            break
    if handled:
        from escalation.deadlines import notify_staff_of_new_tickets

        notify_staff_of_new_tickets(now=now)
    return handled


# --- Paid answers (called from experts.receivers inside community's transaction) -----------------


@transaction.atomic(savepoint=False)
def record_expert_answer(*, answer: Answer, now: datetime | None = None) -> Claim | None:
    """An answer by the expert holding the thread's offer makes their claim a paid answer
    (labelled so in the thread). A new expert's first N paid answers await staff review."""
    from experts.badges import is_active_expert_id, thread_has_offer

    now = now or timezone.now()
    if not (thread_has_offer(answer.thread_id) or is_active_expert_id(answer.author_id)):
        return None  # from the in-process sets (experts.badges): no query for most answers
    offer = Offer.objects.select_for_update().filter(thread_id=answer.thread_id).first()
    if offer is None:
        return None
    claim = (
        Claim.objects.select_for_update()
        .filter(offer=offer, expert__user_id=answer.author_id, status=Claim.Status.ACTIVE)
        .first()
    )
    if claim is None:
        return None
    settings_ = ExpertSettings.load()
    answered_before = Claim.objects.filter(expert_id=claim.expert_id, answer__isnull=False).count()
    review = Claim.Review.PENDING if answered_before < settings_.probation_answers else Claim.Review.NONE
    Claim.objects.filter(pk=claim.pk).update(
        status=Claim.Status.ANSWERED, answer=answer, answered_at=now, ended_at=now, needs_review=review
    )
    Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.ANSWERED)
    claim.refresh_from_db()
    from experts.selectors import thread_facts_changed

    thread_facts_changed(answer.thread_id)
    return claim


def _earn(*, expert_id: int, amount: Decimal, currency: str, now: datetime, claim=None, session=None, note="") -> PayoutEntry | None:
    """Credit an earning to the ledger and the expert's balance, once per claim or session
    (the ledger's constraints). Locks the expert row."""
    expert = Expert.objects.select_for_update().get(pk=expert_id)
    try:
        with transaction.atomic():
            entry = PayoutEntry.objects.create(
                expert=expert, kind=PayoutEntry.Kind.EARNED, amount=amount, currency=currency,
                claim=claim, session=session, note=note[:300], created_at=now,
            )
    except IntegrityError:
        return None  # already earned
    Expert.objects.filter(pk=expert.pk).update(balance=F("balance") + amount)
    events.fee_earned.send(sender=PayoutEntry, entry=entry)
    return entry


@transaction.atomic(savepoint=False)
def record_solution(*, thread: Thread, answer: Answer, now: datetime | None = None) -> Claim | None:
    """The asker accepted an answer: when it is a paid expert answer, the fee is earned (held
    from payout while a probation review is pending) and the offer is solved."""
    now = now or timezone.now()
    claim = Claim.objects.select_related("offer").filter(answer_id=answer.pk, status=Claim.Status.ANSWERED).first()
    if claim is None or claim.outcome:
        return None
    Claim.objects.filter(pk=claim.pk).update(outcome=Claim.Outcome.ACCEPTED, outcome_at=now)
    Offer.objects.filter(pk=claim.offer_id).update(status=Offer.Status.SOLVED, closed_at=now)
    _earn(
        expert_id=claim.expert_id, amount=claim.offer.fee, currency=claim.offer.currency, now=now, claim=claim,
        note=f"Paid answer to “{thread.title[:200]}”",
    )
    claim.refresh_from_db()
    _requalify(claim.expert_id, now=now)
    return claim


def can_staff_approve(claim: Claim, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    days = ExpertSettings.load().approve_after_days
    return (
        claim.status == Claim.Status.ANSWERED and not claim.outcome and claim.answered_at is not None
        and claim.answered_at <= now - timedelta(days=days)
    )


def approve_paid_answer(*, staff, claim_id: int, now: datetime | None = None) -> Claim:
    """Staff approve a paid answer the asker did not accept within the setting's days: the fee
    is earned as if accepted."""
    _staff(staff)
    now = now or timezone.now()
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("offer", "offer__thread").get(pk=claim_id)
        if not can_staff_approve(claim, now=now):
            raise ExpertActionError("Staff can approve a paid answer only after the waiting days without an accept.")
        changes = {"outcome": Claim.Outcome.STAFF_APPROVED, "outcome_at": now, "reviewed_by": staff}
        if claim.needs_review == Claim.Review.PENDING:
            changes["needs_review"] = Claim.Review.APPROVED  # staff looked at it
        Claim.objects.filter(pk=claim.pk).update(**changes)
        Offer.objects.filter(pk=claim.offer_id).update(status=Offer.Status.SOLVED, closed_at=now)
        _earn(
            expert_id=claim.expert_id, amount=claim.offer.fee, currency=claim.offer.currency, now=now, claim=claim,
            note=f"Paid answer to “{claim.offer.thread.title[:200]}” (approved by staff)",
        )
        claim.refresh_from_db()
        _requalify(claim.expert_id, now=now)
    return claim


def review_paid_answer(*, staff, claim_id: int, approve: bool, reason: str = "", now: datetime | None = None) -> Claim:
    """Staff review a probation expert's paid answer. Approved: its earning may be paid out.
    Rejected: the earning (if any) is reversed, and none follows later."""
    _staff(staff)
    now = now or timezone.now()
    if not approve:
        reason = clean_text(reason, label="reason", max_length=300)
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        if claim.needs_review != Claim.Review.PENDING:
            raise ExpertActionError("This paid answer is not waiting for a review.")
        if approve:
            Claim.objects.filter(pk=claim.pk).update(needs_review=Claim.Review.APPROVED, reviewed_by=staff)
        else:
            Claim.objects.filter(pk=claim.pk).update(
                needs_review=Claim.Review.REJECTED, reviewed_by=staff,
                outcome=claim.outcome or Claim.Outcome.REJECTED, outcome_at=claim.outcome_at or now,
            )
            earning = PayoutEntry.objects.filter(claim=claim, kind=PayoutEntry.Kind.EARNED).first()
            if earning is not None:
                _reverse(earning, by=staff, note=f"Review: {reason}", now=now)
        claim.refresh_from_db()
    return claim


def rate_paid_answer(*, user, claim_id: int, rating: int, now: datetime | None = None) -> Claim:
    """The asker rates the expert's accepted (or approved) answer 1–5; feeds the quality score."""
    _member(user)
    now = now or timezone.now()
    if rating not in range(1, 6):
        raise ValidationError("Choose a rating from 1 to 5.")
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("offer__thread").get(pk=claim_id)
        if claim.offer.thread.author_id != user.pk:
            raise PermissionDenied("Only the person who asked can rate this answer.")
        if claim.status != Claim.Status.ANSWERED:
            raise ExpertActionError("There is no expert answer to rate.")
        Claim.objects.filter(pk=claim.pk).update(rating=rating)
        claim.refresh_from_db()
        _requalify(claim.expert_id, now=now)
    return claim


# --- Sessions -------------------------------------------------------------------------------------


def request_session(
    *, customer, service: Service, mode: str, preferred_times: str, details: str = "",
    service_area: ServiceArea | None = None, address: str = "", thread: Thread | None = None,
) -> Session:
    """A customer asks for a session. In person needs a service area and an address (seen
    only by the expert who accepts and staff); remote needs neither (and stores no address)."""
    _member(customer)
    if not service.is_active:
        raise ValidationError("This service is no longer offered.")
    if mode not in Session.Mode.values or not service.allows(mode):
        raise ValidationError(f"“{service.name}” is offered {service.get_mode_display().lower()} only.")
    findings: list = []
    preferred_times = clean_text(preferred_times, label="preferred times", max_length=300, findings=findings)
    details = clean_text(details, label="details", max_length=2000, required=False, findings=findings)
    if mode == Session.Mode.IN_PERSON:
        if service_area is None:
            raise ValidationError("Choose the area where the session takes place.")
        address = clean_text(address, label="address", max_length=300, findings=findings)
    else:
        service_area, address = None, ""
    if thread is not None and not Thread.objects.visible_to(customer).filter(pk=thread.pk).exists():
        thread = None
    with transaction.atomic():
        session = Session.objects.create(
            customer=customer, service=service, category_id=service.category_id, thread=thread, mode=mode,
            service_area=service_area, address=address, preferred_times=preferred_times, details=details,
            price=service.price, expert_fee=service.expert_fee, currency=service.currency,
        )
        events.session_requested.send(sender=Session, session=session)
    session.masked_findings = findings
    return session


def _locked_session(session_id: int) -> Session:
    return Session.objects.select_for_update().get(pk=session_id)


def accept_session(*, user, session_id: int, proposed_start: datetime, meeting_link: str = "", now: datetime | None = None) -> Session:
    """An expert who serves the session's category (and area, in person) takes the request
    and proposes a time; remote sessions need the meeting link. Locks the session: of two
    experts accepting at once, one wins."""
    now = now or timezone.now()
    expert = _active_expert(user)
    with transaction.atomic():
        session = _locked_session(session_id)
        if session.customer_id == user.pk:
            raise ExpertActionError("You can't take your own request.")
        if session.status != Session.Status.REQUESTED:
            raise ExpertActionError("Another expert has already taken this request.")
        if not Session.objects.filter(pk=session.pk).filter(Session.open_for_q(expert)).exists():
            raise PermissionDenied("This request is outside your categories or areas.")
        if proposed_start <= now:
            raise ValidationError("Propose a time in the future.")
        link = (meeting_link or "").strip()
        if session.mode == Session.Mode.REMOTE:
            if not link:
                raise ValidationError("Give the meeting link for a remote session.")
            if not link.startswith("https://") or len(link) > 300 or any(c.isspace() for c in link):
                raise ValidationError("The meeting link must be an https:// address of at most 300 characters.")
            if clean_text(link, label="meeting link", max_length=300) != link:
                raise ValidationError("The meeting link seems to contain account data; give a plain meeting address.")
        else:
            link = ""
        Session.objects.filter(pk=session.pk).update(
            status=Session.Status.ACCEPTED, expert=expert, accepted_at=now, proposed_start=proposed_start,
            meeting_link=link,
        )
        session.refresh_from_db()
        events.session_changed.send(sender=Session, session=session, actor=user, event="accepted")
    return session


def _session_step(*, user, session_id: int, who: str, allowed: tuple, changes, event: str, error: str) -> Session:
    """Move a session one step on: only ``who`` ("customer", or "expert": the accepting expert,
    still active) may, only from an ``allowed`` status. Locks the session row."""
    if who == "expert":
        _active_expert(user)
    with transaction.atomic():
        session = _locked_session(session_id)
        if who == "customer" and session.customer_id != user.pk:
            raise PermissionDenied("Only the customer who asked for this session can do this.")
        if who == "expert" and (session.expert_id is None or session.expert.user_id != user.pk):
            raise PermissionDenied("Only the expert who accepted this session can do this.")
        if session.status not in allowed:
            raise ExpertActionError(error)
        Session.objects.filter(pk=session.pk).update(**changes(session))
        session.refresh_from_db()
        events.session_changed.send(sender=Session, session=session, actor=user, event=event)
    return session


def confirm_session(*, user, session_id: int, now: datetime | None = None) -> Session:
    now = now or timezone.now()
    return _session_step(
        user=user, session_id=session_id, who="customer", allowed=(Session.Status.ACCEPTED,),
        changes=lambda s: {"status": Session.Status.CONFIRMED, "confirmed_at": now}, event="confirmed",
        error="There is no proposed time to confirm.",
    )


def check_in_session(*, user, session_id: int, now: datetime | None = None) -> Session:
    now = now or timezone.now()
    return _session_step(
        user=user, session_id=session_id, who="expert", allowed=(Session.Status.CONFIRMED,),
        changes=lambda s: {"status": Session.Status.IN_PROGRESS, "checked_in_at": now}, event="checked_in",
        error="Check in once the customer has confirmed the time.",
    )


def check_out_session(*, user, session_id: int, now: datetime | None = None) -> Session:
    now = now or timezone.now()
    return _session_step(
        user=user, session_id=session_id, who="expert", allowed=(Session.Status.IN_PROGRESS,),
        changes=lambda s: {"status": Session.Status.DONE, "checked_out_at": now}, event="checked_out",
        error="Check out of a session you checked in to.",
    )


def sign_off_session(*, user, session_id: int, rating: int, comment: str = "", now: datetime | None = None) -> Session:
    """The customer signs a finished session off and rates it 1–5: the expert earns the
    service's fee."""
    now = now or timezone.now()
    if rating not in range(1, 6):
        raise ValidationError("Choose a rating from 1 to 5.")
    findings: list = []
    comment = clean_text(comment, label="comment", max_length=500, required=False, findings=findings)
    with transaction.atomic():
        session = _session_step(
            user=user, session_id=session_id, who="customer", allowed=(Session.Status.DONE,),
            changes=lambda s: {"status": Session.Status.SIGNED_OFF, "signed_off_at": now, "rating": rating,
                               "rating_comment": comment},
            event="signed_off", error="Sign off once the expert has checked out.",
        )
        _earn(
            expert_id=session.expert_id, amount=session.expert_fee, currency=session.currency, now=now,
            session=session, note=f"Session: {session.service.name[:200]}",
        )
        _requalify(session.expert_id, now=now)
    session.masked_findings = findings
    return session


def dispute_session(*, user, session_id: int, reason: str, now: datetime | None = None) -> Session:
    """The customer disputes a session: it goes to the staff queue as a private thread (only
    the customer and staff see it), opened through community's ask_question so escalation
    queues it at once."""
    from community.services import ask_question

    now = now or timezone.now()
    findings: list = []
    reason = clean_text(reason, label="reason", max_length=2000, findings=findings)
    if len(reason) < 10:
        raise ValidationError("Say in a sentence what went wrong (at least 10 characters).")
    allowed = (Session.Status.CONFIRMED, Session.Status.IN_PROGRESS, Session.Status.DONE, Session.Status.ACCEPTED)
    with transaction.atomic():
        session = _locked_session(session_id)
        if session.customer_id != user.pk:
            raise PermissionDenied("Only the customer who asked for this session can dispute it.")
        if session.status not in allowed:
            raise ExpertActionError("This session can no longer be disputed.")
        thread = ask_question(
            author=user, category=session.category, is_private=True,
            title=f"Dispute about expert session #{session.pk}",
            body=f"{reason}\n\nSession: {session.service.name} ({session.get_mode_display().lower()}), "
                 f"{session.price} {session.currency}.",
        )
        Session.objects.filter(pk=session.pk).update(status=Session.Status.DISPUTED, dispute_reason=reason, dispute_thread=thread)
        session.refresh_from_db()
        events.session_changed.send(sender=Session, session=session, actor=user, event="disputed")
        if session.expert_id:
            _requalify(session.expert_id, now=now)
    session.masked_findings = findings
    return session


def cancel_session(*, user, session_id: int) -> Session:
    return _session_step(
        user=user, session_id=session_id, who="customer",
        allowed=(Session.Status.REQUESTED, Session.Status.ACCEPTED, Session.Status.CONFIRMED),
        changes=lambda s: {"status": Session.Status.CANCELLED}, event="cancelled",
        error="A session that has started can't be cancelled; dispute it instead.",
    )


# --- Quality --------------------------------------------------------------------------------------


def _requalify(expert_id: int, *, now: datetime) -> None:
    """Recompute after a finished task, once the task commits (auto-suspension is its own
    transaction, so a failure there never rolls back the customer's action)."""
    enqueue_on_commit(task_named(RECOMPUTE_QUALITY_TASK), expert_id)


def recompute_quality(*, expert_id: int, now: datetime | None = None) -> Expert:
    """Store the expert's quality over the last 90 days and suspend them automatically when it
    is below the admin threshold after the minimum number of tasks (staff are told)."""
    now = now or timezone.now()
    settings_ = ExpertSettings.load()
    with transaction.atomic():
        expert = Expert.objects.select_for_update().get(pk=expert_id)
        figures = quality.figures_for(expert, now=now)
        Expert.objects.filter(pk=expert.pk).update(
            quality_score=figures.score, quality_tasks=figures.tasks, quality_solved=figures.solved,
            quality_rating=figures.rating, quality_computed_at=now,
        )
        expert.refresh_from_db()
    if expert.status == Expert.Status.ACTIVE and quality.should_suspend(figures, settings_):
        reason = (
            f"Quality score {figures.score:.2f} over {figures.tasks} tasks is below "
            f"{settings_.quality_threshold:.2f}"
        )
        expert = suspend_expert(expert_id=expert.pk, by=None, reason=reason, now=now)
    return expert


def recompute_all_quality(*, now: datetime | None = None) -> int:
    """Daily (beat): the 90-day window slides, so scores move without new tasks."""
    ids = list(Expert.objects.filter(status=Expert.Status.ACTIVE).values_list("pk", flat=True))
    for pk in ids:
        recompute_quality(expert_id=pk, now=now)
    return len(ids)


# --- Money ----------------------------------------------------------------------------------------


def _reverse(earning: PayoutEntry, *, by, note: str, now: datetime) -> PayoutEntry | None:
    """Take back an unpaid earning with a reversal row. Locks the expert row."""
    if PayoutEntry.objects.filter(earning=earning, kind=PayoutEntry.Kind.APPROVED).exists():
        raise ExpertActionError("This earning is already in a payout batch; it can't be reversed.")
    Expert.objects.select_for_update().get(pk=earning.expert_id)
    try:
        with transaction.atomic():
            entry = PayoutEntry.objects.create(
                expert_id=earning.expert_id, kind=PayoutEntry.Kind.REVERSAL, amount=earning.amount,
                currency=earning.currency, claim=earning.claim, session=earning.session, earning=earning,
                note=note[:300], created_by=by, created_at=now,
            )
    except IntegrityError:
        return None
    Expert.objects.filter(pk=earning.expert_id).update(balance=F("balance") - earning.amount)
    return entry


def reverse_earning(*, staff, entry_id: int, reason: str, now: datetime | None = None) -> PayoutEntry:
    _staff(staff)
    reason = clean_text(reason, label="reason", max_length=300)
    now = now or timezone.now()
    with transaction.atomic():
        earning = PayoutEntry.objects.get(pk=entry_id, kind=PayoutEntry.Kind.EARNED)
        entry = _reverse(earning, by=staff, note=reason, now=now)
        if entry is None:
            raise ExpertActionError("This earning was already reversed.")
    return entry


def create_payout_batch(*, staff, now: datetime | None = None) -> PayoutBatch:
    """Staff approve, in one batch, every payable earning of each expert whose payable total
    reaches the minimum payout (one approved row per earning). Locks the experts involved."""
    _staff(staff)
    now = now or timezone.now()
    settings_ = ExpertSettings.load()
    with transaction.atomic():
        expert_ids = sorted(set(payable_earnings().values_list("expert_id", flat=True)))
        list(Expert.objects.select_for_update().filter(pk__in=expert_ids).order_by("pk").values_list("pk"))
        by_expert: dict[int, list[PayoutEntry]] = defaultdict(list)
        for entry in payable_earnings().filter(expert_id__in=expert_ids, currency=settings_.currency).order_by("pk"):
            by_expert[entry.expert_id].append(entry)
        chosen = {
            expert_id: entries for expert_id, entries in by_expert.items()
            if sum(e.amount for e in entries) >= settings_.minimum_payout
        }
        if not chosen:
            raise ExpertActionError(
                f"No expert has {settings_.minimum_payout} {settings_.currency} (the minimum payout) ready to pay."
            )
        batch = PayoutBatch.objects.create(currency=settings_.currency, created_by=staff, created_at=now)
        rows = [
            PayoutEntry(
                expert_id=entry.expert_id, kind=PayoutEntry.Kind.APPROVED, amount=entry.amount, currency=entry.currency,
                claim_id=entry.claim_id, session_id=entry.session_id, earning=entry, batch=batch,
                created_by=staff, created_at=now,
            )
            for entries in chosen.values() for entry in entries
        ]
        PayoutEntry.objects.bulk_create(rows)
        PayoutBatch.objects.filter(pk=batch.pk).update(total=sum((r.amount for r in rows), Decimal("0")).quantize(Decimal("0.01")))
        batch.refresh_from_db()
    return batch


def mark_batch_paid(*, staff, batch_id: int, reference: str = "", now: datetime | None = None) -> PayoutBatch:
    """The money went out: one paid row per expert in the batch, and their balances go down.
    Locks the batch, then the experts."""
    _staff(staff)
    reference = clean_text(reference, label="reference", max_length=100, required=False)
    now = now or timezone.now()
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status == PayoutBatch.Status.PAID:
            raise ExpertActionError("This batch is already marked paid.")
        totals: dict[int, Decimal] = defaultdict(Decimal)
        for expert_id, amount in batch.entries.filter(kind=PayoutEntry.Kind.APPROVED).values_list("expert_id", "amount"):
            totals[expert_id] += amount
        list(Expert.objects.select_for_update().filter(pk__in=list(totals)).order_by("pk").values_list("pk"))
        for expert_id, amount in sorted(totals.items()):
            PayoutEntry.objects.create(
                expert_id=expert_id, kind=PayoutEntry.Kind.PAID, amount=amount, currency=batch.currency, batch=batch,
                note=reference, created_by=staff, created_at=now,
            )
            Expert.objects.filter(pk=expert_id).update(balance=F("balance") - amount)
        PayoutBatch.objects.filter(pk=batch.pk).update(
            status=PayoutBatch.Status.PAID, paid_by=staff, paid_at=now, reference=reference
        )
        batch.refresh_from_db()
        events.batch_paid.send(sender=PayoutBatch, batch=batch, totals=dict(totals))
    return batch


def find_balance_drift() -> list[tuple[Expert, Decimal]]:
    """(expert, ledger sum) for every expert whose stored balance differs from their ledger."""
    sums = {
        row["expert_id"]: row["earned"] - row["reversed"] - row["paid"]
        for row in PayoutEntry.objects.values("expert_id").annotate(**ledger_balance_q()).order_by()
    }
    drift = []
    for expert in Expert.objects.select_related("user").order_by("pk"):
        ledger = sums.get(expert.pk, Decimal("0"))
        if ledger != expert.balance:
            drift.append((expert, ledger))
    return drift


def fix_balance(*, expert_id: int) -> Expert:
    with transaction.atomic():
        expert = Expert.objects.select_for_update().get(pk=expert_id)
        row = PayoutEntry.objects.filter(expert=expert).aggregate(**ledger_balance_q())
        Expert.objects.filter(pk=expert.pk).update(balance=row["earned"] - row["reversed"] - row["paid"])
        expert.refresh_from_db()
    return expert

