"""Every write to kudos data. The only code that moves accounts.User.points.

Points move in the transaction of the event that earned them (community's services send their
events inside their transaction, holding the thread's row lock), and always together with the
ledger row that explains them: ``User.points = F("points") + n`` next to one LedgerEntry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from community import pagecache, privacy
from kudos.models import LedgerEntry, PointRule, RankNotice, Reason
from kudos.selectors import bump_rank_version, rank_table

AWARD_LIMIT = 100_000


def rule_points(reason: str) -> int:
    """Points the rule for ``reason`` gives now (0 when there is no rule)."""
    return PointRule.objects.filter(action=reason).values_list("points", flat=True).first() or 0


def _move_points(*, recipient_id: int, points: int) -> None:
    """Add ``points`` to the member's total with F(), then tell them if they reached a new rank.

    The UPDATE locks the user row until the transaction ends, so the value read back is this
    transaction's own and the rank-up check cannot be fooled by a concurrent credit.
    """
    User = get_user_model()
    User.objects.filter(pk=recipient_id).update(points=F("points") + points)
    if points == 0:
        return
    new_total = User.objects.filter(pk=recipient_id).values_list("points", flat=True).get()
    table = rank_table()
    before, after = table.index_for(new_total - points), table.index_for(new_total)
    if after != before:
        # The member's badge changed on every page that shows their name.
        pagecache.site_changed()
    if after > before and after > 0:
        _notify_rank_up(user_id=recipient_id, rank=table.ranks[after])


def _notify_rank_up(*, user_id: int, rank) -> RankNotice | None:
    """Store the notice and announce it (kudos.events.rank_reached: the notifications app
    tells the member on the site and by email), once per member and rank: dropping below a
    threshold and climbing back (an unvote, a vote) is not news."""
    from kudos.events import rank_reached
    from kudos.middleware import flag_notice

    if RankNotice.objects.filter(user_id=user_id, rank_id=rank.id).exists():
        return None
    notice = RankNotice.objects.create(user_id=user_id, rank_id=rank.id, rank_name=rank.name)
    transaction.on_commit(lambda: flag_notice(user_id))
    rank_reached.send(sender=RankNotice, notice=notice, rank=rank)
    return notice


def _latest_credit(*, reason: str, source_key: str) -> LedgerEntry | None:
    return (
        LedgerEntry.objects.filter(reason=reason, source_key=source_key, reversal_of__isnull=True)
        .order_by("-generation")
        .first()
    )


def _is_reversed(credit: LedgerEntry) -> bool:
    return LedgerEntry.objects.filter(reversal_of=credit).exists()


def _active_credit(*, reason: str, source_key: str) -> LedgerEntry | None:
    """The newest credit for this key when it has not been taken back."""
    latest = _latest_credit(reason=reason, source_key=source_key)
    if latest is None or _is_reversed(latest):
        return None
    return latest


def was_taken_back(*, reason: str, source_key: str) -> bool:
    """Whether the newest credit for this key exists and has been taken back."""
    latest = _latest_credit(reason=reason, source_key=source_key)
    return latest is not None and _is_reversed(latest)


@transaction.atomic
def credit_points(
    *,
    recipient,
    reason: str,
    source_key: str,
    points: int | None = None,
    thread=None,
    answer=None,
    actor=None,
    note: str = "",
) -> LedgerEntry | None:
    """Credit ``recipient`` for what ``source_key`` names, once.

    Returns None when nothing was credited: the rule gives 0 points, or a credit for this key is
    still active (a replayed event). After a reversal the next credit is a new generation, so a
    vote, unvote and vote again credits twice and takes back once. Callers hold the lock of the
    thing that earned the points (community's thread lock); the unique constraint settles any
    race that slips past it, and the loser answers as if the event had been replayed.
    """
    if points is None:
        points = rule_points(reason)
    if not points:
        return None
    latest = _latest_credit(reason=reason, source_key=source_key)
    if latest is not None and not _is_reversed(latest):
        return None
    generation = latest.generation + 1 if latest is not None else 0
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                recipient=recipient,
                points=points,
                reason=reason,
                source_key=source_key,
                generation=generation,
                thread=thread,
                answer=answer,
                actor=actor,
                note=note,
                created_at=timezone.now(),
            )
    except IntegrityError:
        return None
    _move_points(recipient_id=recipient.pk, points=points)
    return entry


@transaction.atomic
def reverse_points(*, reason: str, source_key: str, cause: str, actor=None) -> LedgerEntry | None:
    """Take back the active credit for this key, if any, with a negative row of its own.

    Takes back what was credited, not what the rule gives today. Returns None when there is
    nothing to take back (never credited, already taken back, or a replayed event).
    """
    credit = _active_credit(reason=reason, source_key=source_key)
    if credit is None:
        return None
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                recipient_id=credit.recipient_id,
                points=-credit.points,
                reason=reason,
                source_key=source_key,
                generation=credit.generation,
                reversal_of=credit,
                cause=cause,
                thread_id=credit.thread_id,
                answer_id=credit.answer_id,
                actor=actor,
                created_at=timezone.now(),
            )
    except IntegrityError:
        return None
    _move_points(recipient_id=credit.recipient_id, points=-credit.points)
    return entry


@transaction.atomic
def award_points(*, staff, member, points: int, note: str, key: str | None = None) -> LedgerEntry:
    """A staff member gives (or, with a negative amount, takes) points, with a reason.

    ``key`` makes the award idempotent: the award form sends one per rendering, so a form
    submitted twice awards once.
    """
    if staff is None or not staff.is_authenticated or not staff.is_staff:
        raise PermissionDenied("Only staff can award points.")
    note = (note or "").strip()
    if not note:
        raise ValidationError("Say why you are awarding these points; the member sees the reason.")
    if len(note) > LedgerEntry._meta.get_field("note").max_length:
        raise ValidationError("Keep the reason under 300 characters.")
    # The member sees the reason: never a full card or account number in it.
    note = privacy.mask_account_data(note, max_chars=LedgerEntry._meta.get_field("note").max_length).text
    if not points:
        raise ValidationError("Award a number of points other than zero.")
    if abs(points) > AWARD_LIMIT:
        raise ValidationError(f"Award at most {AWARD_LIMIT:,} points at once.")
    if not member.is_active:
        raise ValidationError("This member's account is closed.")
    source_key = f"award:{key or uuid.uuid4().hex}"
    entry = credit_points(
        recipient=member,
        reason=Reason.STAFF_AWARD,
        source_key=source_key,
        points=points,
        actor=staff,
        note=note,
    )
    if entry is None:
        return LedgerEntry.objects.get(reason=Reason.STAFF_AWARD, source_key=source_key, generation=0)
    return entry


# --- Rank notices ------------------------------------------------------------------------------


def mark_notices_seen(*, user) -> list[RankNotice]:
    """The member's unseen rank-up notices, now marked seen (oldest first)."""
    with transaction.atomic():
        notices = list(
            RankNotice.objects.select_for_update()
            .filter(user=user, seen_at__isnull=True)
            .order_by("created_at", "pk")
        )
        if notices:
            RankNotice.objects.filter(pk__in=[n.pk for n in notices]).update(seen_at=timezone.now())
    return notices


# --- Ranks -------------------------------------------------------------------------------------


def ranks_changed(**kwargs) -> None:
    """After a Rank is saved or deleted: switch this process now and every process again after
    commit (a process that reloaded in between read the old rows and must reload once more)."""
    bump_rank_version()
    transaction.on_commit(bump_rank_version)
    # Badges on cached pages and fragments are stale everywhere.
    pagecache.site_changed()


# --- Reconcile ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    user_id: int
    username: str
    stored: int
    ledger: int

    @property
    def difference(self) -> int:
        return self.stored - self.ledger


def find_drift() -> list[Drift]:
    """Members whose stored total differs from the sum of their ledger, in one query."""
    User = get_user_model()
    ledger_sum = (
        LedgerEntry.objects.filter(recipient=OuterRef("pk"))
        .values("recipient")
        .annotate(s=Sum("points"))
        .values("s")
    )
    rows = (
        User.objects.annotate(ledger=Coalesce(Subquery(ledger_sum), Value(0)))
        .exclude(points=F("ledger"))
        .order_by("pk")
        .values_list("pk", "username", "points", "ledger")
    )
    return [Drift(user_id=pk, username=u, stored=p, ledger=s) for pk, u, p, s in rows]


def fix_drift(*, user_id: int) -> int:
    """Set one member's total to their ledger sum; returns the new total.

    Locks the user row first so no credit lands between the sum and the write.
    """
    User = get_user_model()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True).get()
        total = LedgerEntry.objects.filter(recipient_id=user_id).aggregate(s=Sum("points"))["s"] or 0
        User.objects.filter(pk=user_id).update(points=total)
    return total


__all__ = [
    "award_points",
    "credit_points",
    "find_drift",
    "fix_drift",
    "mark_notices_seen",
    "ranks_changed",
    "reverse_points",
    "rule_points",
]
