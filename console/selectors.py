"""Reads for /manage/: the rank ladder with members per rank, the previews of a threshold or a
point-rule change, member search and ledger, and the audit log. Every function runs a fixed
number of queries whatever the size of the community (aggregates, never a query per member)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Sum, Value, When, F

from community.models import Thread
from console.models import AuditEntry
from console.permissions import GROUP_NAME
from kudos.models import LedgerEntry, PointRule, Rank, Reason
from kudos.ranks import RankInfo, RankTable
from kudos.selectors import members_at_or_above, on_leaderboards, rank_table
from kudos.services import RECOMPUTE_PREFIX

NEAREST = 8
TOP = 20


# --- Ranks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LadderRow:
    rank: RankInfo
    members: int
    upper: int | None  # the next rank's threshold (exclusive), None for the top rank


def rank_ladder() -> tuple[list[LadderRow], int]:
    """Each rank with the active members holding it now, and the members below every rank.
    One aggregate query (plus the rank table when it is not cached)."""
    table = rank_table()
    histogram = members_at_or_above([r.min_points for r in table.ranks])
    counts = table.counts(histogram)
    rows = []
    for i, rank in enumerate(table.ranks):
        upper = table.ranks[i + 1].min_points if i + 1 < len(table.ranks) else None
        rows.append(LadderRow(rank=rank, members=counts.get(rank.id, 0), upper=upper))
    return rows, counts.get(None, 0)


@dataclass(frozen=True)
class BarRow:
    label: str
    now: int
    after: int
    is_edited: bool = False


@dataclass
class RankPreview:
    rows: list[BarRow]
    direction: str  # "up", "down" or "" (nobody moves)
    moving: int
    movers: list = field(default_factory=list)
    near: list = field(default_factory=list)
    name: str = ""
    threshold: int = 0
    from_name: str = ""
    to_name: str = ""
    problem: str = ""  # why saving this threshold would be refused, in plain words


def rank_preview(*, rank_id: int | None, name: str, min_points: int) -> RankPreview:
    """What a threshold change does: members per rank now and after, how many move and in
    which direction, the members who move (nearest the threshold first) and those closest
    below the new threshold. Three queries at any community size."""
    current = rank_table()
    edited_id = rank_id or 0
    old = next((r for r in current.ranks if r.id == edited_id), None)
    label = name or (old.name if old else "New rank")
    proposed = RankTable.build(
        [r for r in current.ranks if r.id != edited_id] + [RankInfo(id=edited_id, name=label, min_points=min_points)]
    )
    histogram = members_at_or_above([r.min_points for r in (*current.ranks, *proposed.ranks)])
    now_counts, after_counts = current.counts(histogram), proposed.counts(histogram)
    rows = []
    if now_counts.get(None) or after_counts.get(None):
        rows.append(BarRow("No rank yet", now_counts.get(None, 0), after_counts.get(None, 0)))
    ids = [r.id for r in proposed.ranks]
    names = {r.id: r.name for r in (*current.ranks, *proposed.ranks)}
    names[edited_id] = label
    for rid in ids:
        rows.append(BarRow(names[rid], now_counts.get(rid, 0), after_counts.get(rid, 0), rid == edited_id))

    User = get_user_model()
    active = User.objects.filter(is_active=True)
    position = proposed.ranks.index(next(r for r in proposed.ranks if r.id == edited_id))
    below = proposed.ranks[position - 1] if position > 0 else None
    if old is None:
        upper = proposed.ranks[position + 1].min_points if position + 1 < len(proposed.ranks) else None
        lo, hi, direction = min_points, upper, "up"
    elif min_points < old.min_points:
        lo, hi, direction = min_points, old.min_points, "up"
    elif min_points > old.min_points:
        lo, hi, direction = old.min_points, min_points, "down"
    else:
        lo = hi = None
        direction = ""
    moving = 0
    movers = []
    if direction:
        at_lo = histogram.get(lo, 0)
        at_hi = histogram.get(hi, 0) if hi is not None else 0
        moving = at_lo - at_hi
        band = active.filter(points__gte=lo) if hi is None else active.filter(points__gte=lo, points__lt=hi)
        order = ["-points", "pk"] if direction == "up" else ["points", "pk"]
        movers = list(band.order_by(*order)[:NEAREST]) if moving else []
    near = list(active.filter(points__gt=0, points__lt=min_points).order_by("-points", "pk")[:5])
    for member in near:
        member.needed = min_points - member.points
    return RankPreview(
        rows=rows,
        direction=direction if moving else "",
        moving=moving,
        movers=movers,
        near=near,
        name=label,
        threshold=min_points,
        from_name=(below.name if below else "no rank") if direction == "up" else label,
        to_name=label if direction == "up" else (below.name if below else "no rank"),
    )


# --- Point rules -------------------------------------------------------------------------------


def _recomputed_points(values: dict[str, int]):
    """Per ledger entry, what it would give if every automatic credit gave ``values`` now:
    credits of a rule give its new value, their reversals take it back, earlier recompute
    corrections count for nothing (they are what a recompute replaces), anything else (staff
    awards) stays as it is."""
    whens = []
    for action, points in values.items():
        whens.append(When(reason=action, reversal_of__isnull=True, then=Value(points)))
        whens.append(When(reason=action, reversal_of__isnull=False, then=Value(-points)))
    return Case(
        When(reason=Reason.RECONCILE, source_key__startswith=RECOMPUTE_PREFIX, then=Value(0)),
        *whens,
        default=F("points"),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class Standing:
    member: object
    now: int
    after: int
    place_now: int | None
    place_after: int | None

    @property
    def moved(self) -> int | None:
        if self.place_now is None or self.place_after is None:
            return None
        return self.place_now - self.place_after


def points_preview(*, values: dict[str, int]) -> list[Standing]:
    """The leaderboard's top 20 now and as a recompute with ``values`` would leave it, from
    three queries at any community size."""
    User = get_user_model()
    # The same members as the real leaderboard (kudos.selectors.on_leaderboards: no staff).
    now = list(User.objects.filter(on_leaderboards(), points__gt=0).order_by("-points", "pk")[:TOP])
    after_rows = list(
        LedgerEntry.objects.filter(on_leaderboards("recipient__"))
        .values("recipient")
        .annotate(total=Sum(_recomputed_points(values)))
        .filter(total__gt=0)
        .order_by("-total", "recipient")[:TOP]
    )
    members = {m.pk: m for m in now}
    missing = [row["recipient"] for row in after_rows if row["recipient"] not in members]
    if missing:
        members.update(User.objects.in_bulk(missing))
    place_now = {m.pk: i for i, m in enumerate(now, start=1)}
    place_after = {row["recipient"]: i for i, row in enumerate(after_rows, start=1)}
    after_points = {row["recipient"]: row["total"] for row in after_rows}
    order = [row["recipient"] for row in after_rows] + [m.pk for m in now if m.pk not in place_after]
    return [
        Standing(
            member=members[pk],
            now=members[pk].points,
            after=after_points.get(pk, members[pk].points),
            place_now=place_now.get(pk),
            place_after=place_after.get(pk),
        )
        for pk in order
        if pk in members
    ]


def recompute_targets(*, values: dict[str, int]) -> dict[int, int]:
    """{member id: total a recompute with ``values`` gives} for every member whose total
    would change. One query."""
    rows = (
        LedgerEntry.objects.values("recipient", "recipient__points")
        .annotate(total=Sum(_recomputed_points(values)))
        .order_by("recipient")
    )
    return {r["recipient"]: r["total"] for r in rows if r["total"] != r["recipient__points"]}


def current_rule_values() -> dict[str, int]:
    return dict(PointRule.objects.values_list("action", "points"))


# --- Members -----------------------------------------------------------------------------------

MEMBER_QUERY_MAX = 100


def _manager_flag():
    User = get_user_model()
    return Exists(User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=GROUP_NAME))


def search_members(q: str):
    """Members whose username, display name or email contains ``q`` (all members when
    empty), most points first, each with ``is_manager``."""
    User = get_user_model()
    members = User.objects.annotate(is_manager=_manager_flag())
    q = (q or "").strip()[:MEMBER_QUERY_MAX]
    if q:
        members = members.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(email__icontains=q))
    return members.order_by("-points", "pk")


def member_with_roles(username: str):
    User = get_user_model()
    return User.objects.annotate(is_manager=_manager_flag()).filter(username=username).first()


def member_ledger(*, member, viewer):
    """The member's ledger entries (newest first) with ``is_reversed``, and a function telling
    which of their threads ``viewer`` may see; lists are paginated by the view."""
    reversed_ = LedgerEntry.objects.filter(reversal_of=OuterRef("pk"))
    return (
        LedgerEntry.objects.filter(recipient=member)
        .select_related("actor", "thread")
        .annotate(is_reversed=Exists(reversed_))
        .order_by("-created_at", "-pk")
    )


def visible_thread_ids(*, viewer, entries) -> set[int]:
    ids = {e.thread_id for e in entries if e.thread_id}
    if not ids:
        return set()
    return set(Thread.objects.visible_to(viewer).filter(pk__in=ids).values_list("pk", flat=True))


def member_audit(member, limit: int = 10) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(area=AuditEntry.Area.MEMBERS, target_id=str(member.pk)).order_by("-created_at", "-pk")[:limit]
    )


# --- Audit log ---------------------------------------------------------------------------------


def audit_entries(*, area: str = "", q: str = ""):
    entries = AuditEntry.objects.all()
    if area:
        entries = entries.filter(area=area)
    q = (q or "").strip()[:MEMBER_QUERY_MAX]
    if q:
        entries = entries.filter(Q(target__icontains=q) | Q(actor_name__icontains=q) | Q(action__icontains=q))
    return entries.order_by("-created_at", "-pk")


def ranks_for_edit():
    return list(Rank.objects.order_by("min_points"))

