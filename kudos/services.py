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
from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from community import pagecache, privacy
from config.prepared import fetch_one
from kudos.events import rank_reached
from kudos.models import LedgerEntry, PointRule, Rank, RankNotice, Reason
from kudos.selectors import bump_rank_version, point_rules, rank_table

AWARD_LIMIT = 100_000
# The cause of reversals staff made for a voting ring; a credit taken back this way is never
# credited again for the same key (the ring cannot vote, unvote and vote back).
RING_CAUSE = "voting_ring"
RING_REASON_MAX_LENGTH = 300


def rule_points(reason: str) -> int:
    """Points the rule for ``reason`` gives now (0 when there is no rule). The rules are read
    once per rank-table version (kudos.selectors.point_rules): saving a rule writes a new one."""
    return point_rules().get(reason, 0)


def _move_points(*, recipient_id: int, points: int) -> int | None:
    """Add ``points`` to the member's total, then tell them if they reached a new rank.

    One statement: UPDATE ... RETURNING the new total (PostgreSQL, and SQLite since 3.35). The
    UPDATE locks the user row until the transaction ends, so the value it returns is this
    transaction's own and the rank-up check cannot be fooled by a concurrent credit.
    """
    if points == 0:
        return None
    table_name = connection.ops.quote_name(get_user_model()._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table_name} SET points = points + %s WHERE id = %s RETURNING points", [points, recipient_id])
        row = cursor.fetchone()
    if row is None:
        return None
    _points_moved(recipient_id=recipient_id, points=points, new_total=row[0])
    return row[0]


def _points_moved(*, recipient_id: int, points: int, new_total: int) -> None:
    """After a total moved by ``points`` to ``new_total``: badges change when the rank did,
    and a member who climbed to a rank for the first time is told."""
    table = rank_table()
    before, after = table.index_for(new_total - points), table.index_for(new_total)
    if after != before:
        # The member's badge changed on every page that shows their name.
        pagecache.site_changed()
    if after > before and after > 0:
        _notify_rank_up(user_id=recipient_id, rank=table.ranks[after])


# The vote endpoint's credit and reversal on PostgreSQL, each one statement instead of three
# (find the newest credit for the key, insert the ledger row, move the total): the same rules
# as the ORM path below them, which SQLite takes. ON CONFLICT DO NOTHING is the unique
# constraints' answer to a replayed event, as IntegrityError is on the other path.
# The newest credit for the key, and why it was taken back (NULL while it stands).
_LATEST_CREDIT = """
    SELECT e.id, e.recipient_id, e.points, e.generation, e.thread_id, e.answer_id,
           (SELECT r.cause FROM {ledger} r WHERE r.reversal_of_id = e.id LIMIT 1) AS reversal_cause
    FROM {ledger} e
    WHERE e.reason = %(reason)s AND e.source_key = %(key)s AND e.reversal_of_id IS NULL
    ORDER BY e.generation DESC LIMIT 1"""
_INSERT_ENTRY = """INSERT INTO {ledger} (recipient_id, points, reason, source_key, generation, reversal_of_id,
                          cause, thread_id, answer_id, actor_id, note, created_at)"""

_CREDIT_SQL = f"""
WITH latest AS ({_LATEST_CREDIT}
), entry AS (
    {_INSERT_ENTRY}
    SELECT %(recipient)s, %(points)s, %(reason)s, %(key)s, COALESCE((SELECT generation + 1 FROM latest), 0),
           NULL, '', %(thread)s, %(answer)s, %(actor)s, %(note)s, %(now)s
    WHERE NOT EXISTS (SELECT 1 FROM latest WHERE reversal_cause IS NULL OR reversal_cause = %(ring)s)
    ON CONFLICT DO NOTHING
    RETURNING id, generation, points
)
UPDATE {{user}} SET points = {{user}}.points + entry.points FROM entry WHERE {{user}}.id = %(recipient)s
RETURNING entry.id, entry.generation, {{user}}.points
"""

_REVERSE_SQL = f"""
WITH latest AS ({_LATEST_CREDIT}
), entry AS (
    {_INSERT_ENTRY}
    SELECT recipient_id, -points, %(reason)s, %(key)s, generation, id, %(cause)s,
           thread_id, answer_id, %(actor)s, %(note)s, %(now)s
    FROM latest WHERE reversal_cause IS NULL
    ON CONFLICT DO NOTHING
    RETURNING id, recipient_id, points, generation, reversal_of_id, thread_id, answer_id
)
UPDATE {{user}} SET points = {{user}}.points + entry.points FROM entry WHERE {{user}}.id = entry.recipient_id
RETURNING entry.id, entry.recipient_id, entry.points, entry.generation, entry.reversal_of_id,
          entry.thread_id, entry.answer_id, {{user}}.points
"""


def _ledger_sql(template: str) -> str:
    quote = connection.ops.quote_name
    return template.format(ledger=quote(LedgerEntry._meta.db_table), user=quote(get_user_model()._meta.db_table))


def _notify_rank_up(*, user_id: int, rank) -> RankNotice | None:
    """Store the notice and announce it (kudos.events.rank_reached: the notifications app
    tells the member on the site and by email, the only announcement), once per member and
    rank: dropping below a threshold and climbing back (an unvote, a vote) is not news."""
    if RankNotice.objects.filter(user_id=user_id, rank_id=rank.id).exists():
        return None
    notice = RankNotice.objects.create(user_id=user_id, rank_id=rank.id, rank_name=rank.name)
    rank_reached.send(sender=RankNotice, notice=notice, rank=rank)
    return notice


def _latest_credit(*, reason: str, source_key: str) -> LedgerEntry | None:
    """The newest credit for this key, with ``reversal_cause``: why it was taken back (None
    while it stands), read in the same query."""
    reversal = LedgerEntry.objects.filter(reversal_of=OuterRef("pk")).values("cause")[:1]
    return (
        LedgerEntry.objects.filter(reason=reason, source_key=source_key, reversal_of__isnull=True)
        .annotate(reversal_cause=Subquery(reversal))
        .order_by("-generation")
        .first()
    )


def _is_reversed(credit: LedgerEntry) -> bool:
    # cause is NOT NULL, so a reversal always gives a string: None means none was found.
    return credit.reversal_cause is not None


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


@transaction.atomic(savepoint=False)  # called inside the caller's transaction: no savepoint of its own
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
    now = timezone.now()
    if connection.vendor == "postgresql":
        params = {
            "recipient": recipient.pk, "points": points, "reason": reason, "key": source_key,
            "thread": getattr(thread, "pk", None), "answer": getattr(answer, "pk", None),
            "actor": getattr(actor, "pk", None), "note": note, "now": now, "ring": RING_CAUSE,
        }
        row = fetch_one("peerdesk_kudos_credit", _ledger_sql(_CREDIT_SQL), params)
        if row is None:
            return None  # a credit for this key stands, or was taken back for a voting ring
        entry_id, generation, new_total = row
        _points_moved(recipient_id=recipient.pk, points=points, new_total=new_total)
        if hasattr(recipient, "points"):
            recipient.points = new_total
        return LedgerEntry(
            id=entry_id, recipient=recipient, points=points, reason=reason, source_key=source_key,
            generation=generation, thread=thread, answer=answer, actor=actor, note=note, created_at=now,
        )
    latest = _latest_credit(reason=reason, source_key=source_key)
    if latest is not None:
        if not _is_reversed(latest) or latest.reversal_cause == RING_CAUSE:
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
                created_at=now,
            )
    except IntegrityError:
        return None
    new_total = _move_points(recipient_id=recipient.pk, points=points)
    if new_total is not None and hasattr(recipient, "points"):
        recipient.points = new_total  # the caller's instance shows the new total (a rank badge)
    return entry


@transaction.atomic(savepoint=False)  # called inside the caller's transaction: no savepoint of its own
def reverse_points(
    *, reason: str, source_key: str, cause: str, actor=None, note: str = ""
) -> LedgerEntry | None:
    """Take back the active credit for this key, if any, with a negative row of its own.

    Takes back what was credited, not what the rule gives today. Returns None when there is
    nothing to take back (never credited, already taken back, or a replayed event). The entry
    returned carries ``new_total``, the recipient's points after it.
    """
    now = timezone.now()
    if connection.vendor == "postgresql":
        params = {"reason": reason, "key": source_key, "cause": cause, "actor": getattr(actor, "pk", None), "note": note, "now": now}
        row = fetch_one("peerdesk_kudos_reverse", _ledger_sql(_REVERSE_SQL), params)
        if row is None:
            return None
        entry_id, recipient_id, points, generation, credit_id, thread_id, answer_id, new_total = row
        _points_moved(recipient_id=recipient_id, points=points, new_total=new_total)
        entry = LedgerEntry(
            id=entry_id, recipient_id=recipient_id, points=points, reason=reason, source_key=source_key,
            generation=generation, reversal_of_id=credit_id, cause=cause, thread_id=thread_id,
            answer_id=answer_id, actor=actor, note=note, created_at=now,
        )
        entry.new_total = new_total
        return entry
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
                note=note,
                created_at=now,
            )
    except IntegrityError:
        return None
    entry.new_total = _move_points(recipient_id=credit.recipient_id, points=-credit.points)
    return entry


@dataclass(frozen=True)
class RingReversal:
    entries: int
    points: int


@transaction.atomic
def reverse_ring_points(*, staff, member_ids, reason: str) -> RingReversal:
    """Take back every upvote credit still active between these members (a voting ring from
    kudos.selectors.voting_rings), each with its own negative ledger row carrying ``reason``.

    The votes stay (they are the members' record); the points go, and a credit taken back
    this way never comes back for the same vote (credit_points, RING_CAUSE). Staff only. The
    credits are locked first, so two staff pressing the button reverse them once.
    """
    if staff is None or not staff.is_authenticated or not staff.is_staff:
        raise PermissionDenied("Only staff can reverse a voting ring's points.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("Say why these points are reversed; the members see the reason in their history.")
    if len(reason) > RING_REASON_MAX_LENGTH:
        raise ValidationError(f"Keep the reason under {RING_REASON_MAX_LENGTH} characters.")
    # The members see the reason: never a full card or account number in it.
    reason = privacy.mask_account_data(reason, max_chars=RING_REASON_MAX_LENGTH).text
    ids = {int(pk) for pk in member_ids}
    if len(ids) < 2:
        raise ValidationError("A voting ring has at least two members.")
    credits = list(
        LedgerEntry.objects.select_for_update()
        .filter(
            reason=Reason.ANSWER_UPVOTED,
            reversal_of__isnull=True,
            actor_id__in=ids,
            recipient_id__in=ids,
        )
        .order_by("pk")
    )
    entries = points = 0
    for credit in credits:
        reversal = reverse_points(
            reason=credit.reason, source_key=credit.source_key, cause=RING_CAUSE, actor=staff, note=reason
        )
        if reversal is not None:
            entries += 1
            points -= reversal.points
    return RingReversal(entries=entries, points=points)


@transaction.atomic
def award_points(*, staff, member, points: int, note: str, key: str | None = None) -> LedgerEntry:
    """A staff member gives (or, with a negative amount, takes) points, with a reason.

    ``key`` makes the award idempotent: the award form sends one per rendering, so a form
    submitted twice awards once.
    """
    if staff is None or not staff.is_authenticated or not staff.is_staff:
        raise PermissionDenied("Only staff can award points.")
    return grant_points(actor=staff, member=member, points=points, note=note, key=key)


@transaction.atomic
def grant_points(*, actor, member, points: int, note: str, key: str | None = None) -> LedgerEntry:
    """Give (or take) points with a reason, through the ledger. The caller has checked that
    ``actor`` may (staff on /kudos/award/, a community manager on /manage/); idempotent per
    ``key`` like award_points."""
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
        actor=actor,
        note=note,
    )
    if entry is None:
        return LedgerEntry.objects.get(reason=Reason.STAFF_AWARD, source_key=source_key, generation=0)
    return entry


# --- Ranks -------------------------------------------------------------------------------------


def ranks_changed(**kwargs) -> None:
    """After a Rank or a PointRule is saved or deleted: switch this process now and every process again after
    commit (a process that reloaded in between read the old rows and must reload once more)."""
    bump_rank_version()
    transaction.on_commit(bump_rank_version)
    # Badges on cached pages and fragments are stale everywhere.
    pagecache.site_changed()


class RankLadderError(ValidationError):
    """A rank change that would break the ladder, said in plain words."""


def lock_ranks() -> list[Rank]:
    """Every rank, locked (SELECT ... FOR UPDATE) in threshold order until the transaction
    ends: two edits of the ladder run one after the other, each seeing the other's result."""
    return list(Rank.objects.select_for_update().order_by("min_points", "pk"))


RANK_FIELDS = (
    "name", "min_points", "colour", "description", "questions_per_day", "answers_per_day",
    "links_per_day", "seconds_between_posts", "flag_weight", "can_retag",
)


def check_ladder(*, others, name: str, min_points: int | None, original_min: int | None) -> None:
    """Raise RankLadderError, in plain words, when a rank called ``name`` at ``min_points``
    does not fit among ``others`` (the other ranks, objects with .name and .min_points): an
    edited threshold (``original_min`` set) stays between its neighbours, so the ladder keeps
    its order; every rank has its own threshold and name. Used by save_rank under the lock
    and by previews while a threshold is typed."""
    others = sorted(others, key=lambda r: r.min_points)
    name = (name or "").strip()
    if not name:
        raise RankLadderError({"name": "Give the rank a name."})
    if any(r.name.casefold() == name.casefold() for r in others):
        raise RankLadderError({"name": f"There is already a rank called {name}."})
    if min_points is None or min_points < 0:
        raise RankLadderError({"min_points": "A threshold can't be below 0 points."})
    same = next((r for r in others if r.min_points == min_points), None)
    if same is not None:
        raise RankLadderError(
            {"min_points": f"{same.name} already starts at {same.min_points:,} points; each rank needs its own threshold."}
        )
    if original_min is None:
        return
    below = [r for r in others if r.min_points < original_min]
    above = [r for r in others if r.min_points > original_min]
    if below and min_points <= below[-1].min_points:
        lower = below[-1]
        raise RankLadderError(
            {"min_points": f"{name} must need more points than {lower.name} ({lower.min_points:,})."}
        )
    if above and min_points >= above[0].min_points:
        upper = above[0]
        raise RankLadderError(
            {"min_points": f"{name} must need fewer points than {upper.name} ({upper.min_points:,})."}
        )


@transaction.atomic
def save_rank(*, rank_id: int | None, values: dict) -> Rank:
    """Create a rank (``rank_id`` None) or change one, under the lock of the whole rank table
    (lock_ranks), so two concurrent edits can never leave two ranks on one threshold (the
    unique constraint on min_points is the last word; a lost race reads as the plain error).
    Every process shows the new badges on its next request (ranks_changed via post_save)."""
    ranks = lock_ranks()
    if rank_id is None:
        rank, original_min = Rank(), None
    else:
        rank = next((r for r in ranks if r.pk == rank_id), None)
        if rank is None:
            raise RankLadderError("This rank was deleted in the meantime.")
        original_min = rank.min_points
    for field_name in RANK_FIELDS:
        if field_name in values:
            setattr(rank, field_name, values[field_name])
    rank.name = (rank.name or "").strip()
    check_ladder(
        others=[r for r in ranks if r.pk != rank.pk], name=rank.name, min_points=rank.min_points,
        original_min=original_min,
    )
    rank.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            rank.save()
    except IntegrityError:
        raise RankLadderError({"min_points": "Another rank already starts at this threshold."}) from None
    return rank


@transaction.atomic
def delete_rank(*, rank_id: int) -> Rank:
    """Remove a rank from the ladder (members fall to the rank below); the table is locked
    like save_rank. The lowest rank stays while others exist, so nobody is left rankless by
    accident."""
    ranks = lock_ranks()
    rank = next((r for r in ranks if r.pk == rank_id), None)
    if rank is None:
        raise RankLadderError("This rank was already deleted.")
    if len(ranks) > 1 and ranks[0].pk == rank.pk:
        raise RankLadderError(
            f"{rank.name} is the first rank; give {ranks[1].name} its threshold or delete the others first."
        )
    deleted = Rank(pk=rank.pk, **{f: getattr(rank, f) for f in RANK_FIELDS})
    rank.delete()
    return deleted


# --- Point rules -------------------------------------------------------------------------------

RECOMPUTE_PREFIX = "recompute:"


@transaction.atomic
def set_rule_points(*, action: str, points: int) -> tuple[PointRule, int]:
    """Set the points one automatic action gives from now on; returns (rule, previous points).
    Credits already in the ledger keep what they gave (see recompute_points)."""
    rule = PointRule.objects.select_for_update().get(action=action)
    previous = rule.points
    if previous != points:
        rule.points = points
        rule.save(update_fields=["points"])
    return rule, previous


@transaction.atomic
def recompute_points(*, actor, key: str, targets: dict[int, int]) -> tuple[int, int]:
    """Bring each member's total to ``targets[user_id]`` with one Correction entry each
    (reason RECONCILE, source key ``recompute:<key>:<user>``), so the ledger explains the
    change and a replayed request credits nothing twice. Returns (members changed, net points).
    """
    User = get_user_model()
    changed = net = 0
    members = User.objects.in_bulk(list(targets))
    for user_id in sorted(targets):
        member = members.get(user_id)
        if member is None:
            continue
        current = User.objects.select_for_update().filter(pk=user_id).values_list("points", flat=True).get()
        delta = targets[user_id] - current
        if not delta:
            continue
        entry = credit_points(
            recipient=member,
            reason=Reason.RECONCILE,
            source_key=f"{RECOMPUTE_PREFIX}{key}:{user_id}",
            points=delta,
            actor=actor,
            note="Recomputed with the current point rules",
        )
        if entry is not None:
            changed += 1
            net += delta
    return changed, net


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
    "check_ladder",
    "delete_rank",
    "grant_points",
    "lock_ranks",
    "recompute_points",
    "save_rank",
    "set_rule_points",
    "credit_points",
    "find_drift",
    "fix_drift",
    "ranks_changed",
    "reverse_points",
    "reverse_ring_points",
    "rule_points",
]
