"""Reads of the experts tier: the thread notice and answer labels (community.hooks), the
expert's pages, the staff pages and the channel split the deflection report shows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from community.models import Thread
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
    Session,
)
from experts.permissions import expert_of

PAID_LABEL = ("Paid expert answer", "badge-paid-expert")
CENT = Decimal("0.01")


def _money(value) -> Decimal:
    """A sum from the database as an amount with two decimals (SQLite drops trailing zeros)."""
    return Decimal(value or 0).quantize(CENT)


THREAD_FACTS_KEY = "experts:thread:{thread_id}"
THREAD_FACTS_SECONDS = 24 * 3600


def thread_facts_changed(thread_id: int) -> None:
    """Forget a thread's cached experts facts now and once the change commits."""
    from django.core.cache import cache
    from django.db import transaction

    key = THREAD_FACTS_KEY.format(thread_id=thread_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def thread_facts(thread) -> dict[str, Any]:
    """{"offer_id": id or None, "paid": [answer ids of paid expert answers]} for a thread: from
    the cache, else one query (offers LEFT JOIN claims), memoised on the thread for the page."""
    from django.core.cache import cache

    facts = getattr(thread, "_experts_facts", None)
    if facts is not None:
        return facts
    key = THREAD_FACTS_KEY.format(thread_id=thread.pk)
    facts = cache.get(key)
    if facts is None:
        rows = list(Offer.objects.filter(thread_id=thread.pk).values_list("pk", "claims__answer_id", "claims__status"))
        facts = {
            "offer_id": rows[0][0] if rows else None,
            "paid": [answer_id for _, answer_id, status in rows if answer_id and status == Claim.Status.ANSWERED],
        }
        cache.set(key, facts, THREAD_FACTS_SECONDS)
    thread._experts_facts = facts
    return facts


def answer_labels(*, thread, answers) -> dict[int, list[tuple[str, str]]]:
    """{answer_id: [("Paid expert answer", css)]} for the paid expert answers shown (from
    thread_facts: a cache read per page)."""
    from experts.badges import thread_has_offer

    if not thread_has_offer(thread.pk):
        return {}
    shown = {a.pk for a in answers}
    return {answer_id: [PAID_LABEL] for answer_id in thread_facts(thread)["paid"] if answer_id in shown}


def _offer_with_live_claim(thread_id: int) -> Offer | None:
    live = Claim.objects.filter(status__in=[Claim.Status.ACTIVE, Claim.Status.ANSWERED]).select_related("expert__user")
    return (
        Offer.objects.filter(thread_id=thread_id)
        .prefetch_related(Prefetch("claims", queryset=live, to_attr="live_claims"))
        .first()
    )


def thread_notice(*, thread, viewer) -> tuple[str, dict[str, Any]] | None:
    """The experts panel under a question: the offer's state for the asker and staff, the
    fee and the claim button for the category's experts, "Get expert help" for the asker.
    No query for anyone else (the active experts are known in-process: experts.badges), and
    nothing on private threads (never offered)."""
    from experts.badges import is_active_expert_id, thread_has_offer

    if viewer is None or not viewer.is_authenticated or thread.is_private:
        return None
    is_asker = thread.author_id == viewer.pk
    maybe_expert = not is_asker and not viewer.is_staff and is_active_expert_id(viewer.pk)
    if not (is_asker or viewer.is_staff or maybe_expert):
        return None
    has_offer = thread_has_offer(thread.pk) and thread_facts(thread)["offer_id"] is not None
    offer = _offer_with_live_claim(thread.pk) if has_offer else None
    expert = expert_of(viewer) if maybe_expert and offer is not None else None
    is_category_expert = (
        expert is not None and expert.status == Expert.Status.ACTIVE
        and Expertise.objects.filter(expert=expert, category_id=thread.category_id, status=Expertise.Status.APPROVED).exists()
    )
    context: dict[str, Any] = {"thread": thread, "offer": offer, "is_asker": is_asker, "is_staff": viewer.is_staff,
                               "is_category_expert": is_category_expert, "now": timezone.now()}
    if offer is None:
        if is_asker and not thread.has_solution and Service.objects.filter(is_active=True, category_id=thread.category_id).exists():
            context["state"] = "book"
            return "experts/_thread_notice.html", context
        return None
    if not (is_asker or viewer.is_staff or is_category_expert):
        return None
    claim = offer.live_claims[0] if offer.live_claims else None
    context.update(
        state=offer.status, claim=claim,
        my_claim=claim is not None and expert is not None and claim.expert_id == expert.pk,
        can_rate=is_asker and claim is not None and claim.status == Claim.Status.ANSWERED and claim.outcome in (
            Claim.Outcome.ACCEPTED, Claim.Outcome.STAFF_APPROVED) and claim.rating is None,
    )
    return "experts/_thread_notice.html", context


# --- The expert's pages -------------------------------------------------------------------------


def open_offers_for(expert: Expert, *, now: datetime | None = None) -> list[Offer]:
    """Live offers in the expert's approved categories that they did not ask, soonest end first."""
    now = now or timezone.now()
    categories = Expertise.objects.filter(expert=expert, status=Expertise.Status.APPROVED).values("category_id")
    return list(
        Offer.objects.filter(status=Offer.Status.OPEN, window_ends_at__gt=now, category_id__in=categories)
        .filter(thread__is_private=False, thread__is_deleted=False, thread__is_hidden=False)
        .exclude(thread__author_id=expert.user_id)
        .select_related("thread", "category")
        .order_by("window_ends_at", "pk")[:50]
    )


def claims_of(expert: Expert, *, limit: int = 50) -> list[Claim]:
    return list(
        Claim.objects.filter(expert=expert).select_related("offer", "offer__thread", "offer__category").order_by("-created_at", "-pk")[:limit]
    )


def sessions_open_for(expert: Expert) -> list[Session]:
    return list(
        Session.objects.filter(Session.open_for_q(expert)).exclude(customer_id=expert.user_id)
        .select_related("service", "category", "service_area").order_by("created_at", "pk")[:50]
    )


def sessions_of_expert(expert: Expert) -> list[Session]:
    return list(
        Session.objects.filter(expert=expert).select_related("service", "customer", "service_area")
        .order_by("-created_at", "-pk")[:50]
    )


def sessions_of_customer(user) -> list[Session]:
    return list(
        Session.objects.filter(customer=user).select_related("service", "expert__user", "service_area")
        .order_by("-created_at", "-pk")[:50]
    )


def earnings_of(expert: Expert, *, limit: int = 200) -> dict[str, Any]:
    """The earnings page: the balance, totals by kind and the latest ledger rows. Three queries."""

    totals = {k: _money(v) for k, v in PayoutEntry.objects.filter(expert=expert).aggregate(**ledger_balance_q()).items()}
    held = _money(payable_earnings().filter(expert=expert).aggregate(s=Sum("amount"))["s"])
    entries = list(
        PayoutEntry.objects.filter(expert=expert).select_related("claim__offer__thread", "session__service", "batch")
        .order_by("-created_at", "-pk")[:limit]
    )
    return {"totals": totals, "ready": held, "entries": entries}


# --- Staff pages --------------------------------------------------------------------------------


def roster(*, status: str = "") -> list[Expert]:
    qs = Expert.objects.select_related("user").prefetch_related(
        Prefetch("expertise", queryset=Expertise.objects.select_related("category"))
    )
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("status", "-quality_score", "pk")[:500])


def roster_counts() -> dict[str, int]:
    counts = dict(Expert.objects.order_by().values_list("status").annotate(n=Count("pk")))
    counts[""] = sum(counts.values())
    return counts


def expert_detail(pk: int) -> Expert | None:
    return (
        Expert.objects.select_related("user")
        .prefetch_related(Prefetch("expertise", queryset=Expertise.objects.select_related("category", "decided_by")),
                          "service_areas")
        .filter(pk=pk).first()
    )


def paid_answers_for_staff(*, now: datetime | None = None) -> dict[str, list[Claim]]:
    """Paid answers staff act on: probation reviews, and answers past the waiting days without
    an accept (staff may approve them)."""
    from datetime import timedelta

    now = now or timezone.now()
    days = ExpertSettings.load().approve_after_days
    base = Claim.objects.filter(status=Claim.Status.ANSWERED).select_related(
        "expert__user", "offer__thread", "offer__category", "answer")
    return {
        "review": list(base.filter(needs_review=Claim.Review.PENDING).order_by("answered_at", "pk")[:100]),
        "approve": list(base.filter(outcome="", answered_at__lte=now - timedelta(days=days)).order_by("answered_at", "pk")[:100]),
    }


def recent_offers(*, limit: int = 100) -> list[Offer]:
    return list(Offer.objects.select_related("thread", "category").order_by("-created_at", "-pk")[:limit])


def payout_overview() -> dict[str, Any]:

    settings_ = ExpertSettings.load()
    ready = list(
        payable_earnings().values("expert_id", "expert__user__display_name", "expert__user__username", "currency")
        .annotate(total=Sum("amount"), n=Count("pk")).order_by("-total")
    )
    for row in ready:
        row["name"] = row["expert__user__display_name"] or row["expert__user__username"]
        row["total"] = _money(row["total"])
        row["eligible"] = row["currency"] == settings_.currency and row["total"] >= settings_.minimum_payout
    return {
        "settings": settings_,
        "ready": ready,
        "batches": list(PayoutBatch.objects.select_related("created_by", "paid_by").annotate(
            experts=Count("entries__expert", distinct=True)).order_by("-created_at", "-pk")[:50]),
        "owed": _money(Expert.objects.aggregate(s=Sum("balance"))["s"]),
    }


def ledger_rows(*, batch: PayoutBatch | None = None):
    """Ledger rows for the CSV export, oldest first (all of them, or one batch's)."""
    qs = PayoutEntry.objects.select_related("expert__user", "batch", "claim__offer__thread", "session__service")
    if batch is not None:
        qs = qs.filter(batch=batch)
    return qs.order_by("created_at", "pk")


# --- The deflection report's channel split -----------------------------------------------------


def channel_split(*, threads, staff_cost: Decimal, currency: str) -> dict[str, Any]:
    """Resolutions of ``threads`` (a Thread queryset: the report's cohort) by channel, and what
    each cost.

    - Paid expert: a paid answer accepted by the asker or approved by staff; its cost is the
      fees actually earned for the cohort's paid answers (earned minus reversed).
    - Staff: the accepted answer is from staff; cost = that many tickets × the cost per ticket.
    - Community: the accepted answer is from anyone else; free.
    Savings compare with a staff-only desk, where every resolution would be a ticket.
    One query, whatever the size of the cohort.
    """
    from django.db.models import DecimalField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    expert_threads = Claim.objects.filter(
        offer__thread__in=threads, outcome__in=[Claim.Outcome.ACCEPTED, Claim.Outcome.STAFF_APPROVED]
    ).values("offer__thread_id")
    not_expert = ~Q(pk__in=expert_threads)
    money = DecimalField(max_digits=12, decimal_places=2)

    def fees(kind: str):
        rows = (
            PayoutEntry.objects.filter(claim__offer__thread=OuterRef("pk"), kind=kind)
            .values("claim__offer__thread").annotate(s=Sum("amount")).values("s")
        )
        return Coalesce(Subquery(rows, output_field=money), Value(Decimal("0"), output_field=money))

    # One query: the counts and the fees earned (and reversed) for the cohort's paid answers.
    counts = threads.annotate(fee_earned=fees(PayoutEntry.Kind.EARNED), fee_reversed=fees(PayoutEntry.Kind.REVERSAL)).aggregate(
        expert=Count("pk", filter=Q(pk__in=expert_threads)),
        staff=Count("pk", filter=Q(solution__author__is_staff=True) & not_expert),
        community=Count("pk", filter=Q(solution__isnull=False, solution__author__is_staff=False) & not_expert),
        earned=Sum("fee_earned"),
        reversed=Sum("fee_reversed"),
    )
    expert_cost = _money(counts["earned"]) - _money(counts["reversed"])
    staff_total = staff_cost * counts["staff"]
    rows = [
        {"key": "community", "label": "Community", "resolved": counts["community"], "cost": Decimal("0.00")},
        {"key": "expert", "label": "Paid expert", "resolved": counts["expert"], "cost": expert_cost},
        {"key": "staff", "label": "Staff", "resolved": counts["staff"], "cost": staff_total},
    ]
    total = sum(row["resolved"] for row in rows)
    for row in rows:
        row["share"] = round(100 * row["resolved"] / total) if total else 0
        row["per_resolution"] = (row["cost"] / row["resolved"]).quantize(Decimal("0.01")) if row["resolved"] else None
    actual = expert_cost + staff_total
    staff_only = staff_cost * total
    return {
        "rows": rows, "total": total, "actual_cost": actual, "staff_only_cost": staff_only,
        "savings": staff_only - actual, "currency": currency,
    }


def profile_panel_context(*, member, viewer) -> dict[str, Any]:
    """The "Community expert" panel on an active expert's profile: the badge and the approved
    categories (public facts). Nothing for anyone else."""
    expert = Expert.objects.filter(user=member, status=Expert.Status.ACTIVE).first()
    if expert is None:
        return {"expert": None}
    categories = [
        e.category for e in Expertise.objects.filter(expert=expert, status=Expertise.Status.APPROVED).select_related("category")
    ]
    return {"expert": expert, "categories": categories}


def payable_earnings():
    """Earned rows that may go into a batch: not approved, not reversed, and not held by a
    pending or rejected probation review."""
    return (
        PayoutEntry.objects.filter(kind=PayoutEntry.Kind.EARNED)
        .exclude(followups__kind__in=[PayoutEntry.Kind.APPROVED, PayoutEntry.Kind.REVERSAL])
        .exclude(claim__needs_review__in=[Claim.Review.PENDING, Claim.Review.REJECTED])
    )


def ledger_balance_q() -> dict:
    """The aggregate that sums a ledger to a balance: earned − reversal − paid."""
    from django.db.models import DecimalField, Sum, Value
    from django.db.models.functions import Coalesce

    zero = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=2))
    return {
        "earned": Coalesce(Sum("amount", filter=Q(kind=PayoutEntry.Kind.EARNED)), zero),
        "reversed": Coalesce(Sum("amount", filter=Q(kind=PayoutEntry.Kind.REVERSAL)), zero),
        "paid": Coalesce(Sum("amount", filter=Q(kind=PayoutEntry.Kind.PAID)), zero),
    }
