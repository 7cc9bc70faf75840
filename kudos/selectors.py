"""Reads of kudos data: the cached rank table, members per rank, the leaderboard and the
profile panel.

The rank table is read on every rendered name, so it is kept in the process and reloaded only
when its version in the shared cache (Redis in production) changes. Saving or deleting a Rank
writes a new version (at once and again after commit), so every web process and worker switches
to the new thresholds on its next request: no recompute job, nothing stored per member.
"""

from __future__ import annotations

import contextvars
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone

from kudos.ranks import RankInfo, RankTable

VERSION_KEY = "kudos:ranks:version"
# Set by kudos.middleware for the length of a request once the version has been checked, so a
# page with a hundred names reads the shared version once. Outside a request (workers, shell,
# tests) every call checks it: one cache read, still no query.
_checked_this_request: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "kudos_rank_checked", default=False
)

LEADERBOARD_SIZE = 50
PERIODS = {"all": "All time", "30d": "Last 30 days"}


_lock = threading.Lock()
_state: dict = {"version": None, "table": None}


def _shared_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        # The cache was flushed (or never set): start a new version so every process reloads.
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY) or "unversioned"
    return version


def _load_table() -> RankTable:
    from kudos.models import Rank

    return RankTable.build(r.to_info() for r in Rank.objects.all())


def check_rank_version() -> None:
    """Compare the process's table with the shared version now (one cache read). Called at
    the start of every request by kudos.middleware, so a page never renders stale ranks."""
    version = _shared_version()
    with _lock:
        if version != _state["version"]:
            _state["version"] = version
            _state["table"] = None


def rank_table() -> RankTable:
    """The current rank table; one query only after a rank changed, none otherwise."""
    if not _checked_this_request.get():
        check_rank_version()
    with _lock:
        version, table = _state["version"], _state["table"]
    if table is None:
        table = _load_table()
        with _lock:
            # Keep it only if no newer version arrived while loading.
            if _state["version"] == version:
                _state["table"] = table
    return table


def rank_version() -> str:
    rank_table()
    return _state["version"] or "0"


def bump_rank_version() -> None:
    """Make every process reload the table. Called after a rank is saved or deleted."""
    version = uuid.uuid4().hex
    cache.set(VERSION_KEY, version, timeout=None)
    with _lock:
        _state["version"] = version
        _state["table"] = None


def mark_checked_for_request() -> contextvars.Token:
    check_rank_version()
    return _checked_this_request.set(True)


def end_request(token: contextvars.Token) -> None:
    _checked_this_request.reset(token)


def rank_for_user(user) -> RankInfo | None:
    return rank_table().rank_for(user.points)


# --- Members per rank ----------------------------------------------------------------------


def members_at_or_above(thresholds) -> dict:
    """{threshold: active members with at least that many points, None: all active members}
    in one query."""
    thresholds = sorted(set(thresholds))
    aggregates = {f"t{i}": Count("pk", filter=Q(points__gte=t)) for i, t in enumerate(thresholds)}
    row = get_user_model().objects.filter(is_active=True).aggregate(all=Count("pk"), **aggregates)
    result = {t: row[f"t{i}"] for i, t in enumerate(thresholds)}
    result[None] = row["all"]
    return result


@dataclass(frozen=True)
class PreviewRow:
    name: str
    min_points: int
    now: int | None
    after: int | None
    is_edited: bool = False

    @property
    def change(self) -> int:
        return (self.after or 0) - (self.now or 0)


def rank_change_preview(*, current: RankTable, proposed: RankTable, edited_id) -> list[PreviewRow]:
    """Members in each rank now and after a proposed change, from one query."""
    histogram = members_at_or_above([r.min_points for r in (*current.ranks, *proposed.ranks)])
    now_counts = current.counts(histogram)
    after_counts = proposed.counts(histogram)
    rows: list[PreviewRow] = []
    seen = set()
    for rank in proposed.ranks:
        seen.add(rank.id)
        rows.append(
            PreviewRow(
                name=rank.name,
                min_points=rank.min_points,
                now=now_counts.get(rank.id),
                after=after_counts.get(rank.id, 0),
                is_edited=rank.id == edited_id,
            )
        )
    for rank in current.ranks:
        if rank.id not in seen:
            rows.append(
                PreviewRow(name=rank.name, min_points=rank.min_points, now=now_counts.get(rank.id), after=None)
            )
    if now_counts.get(None) or after_counts.get(None):
        rows.insert(
            0, PreviewRow(name="(no rank)", min_points=0, now=now_counts.get(None), after=after_counts.get(None))
        )
    return rows


# --- Leaderboard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    place: int
    member: object
    points: int


def on_leaderboards(prefix: str = "") -> Q:
    """Who may appear on a member leaderboard (and count for a place on one): active members,
    never staff or admins, whose points come with the job rather than from the community.
    ``prefix`` reaches the member through a relation (``"recipient__"``)."""
    return Q(**{f"{prefix}is_active": True, f"{prefix}is_staff": False, f"{prefix}is_superuser": False})


def leaderboard(*, period: str = "all", category=None, now=None) -> list[Standing]:
    """The top members: by total points (all time, any category), or by points earned in the
    period and/or on questions of the category. Two queries whatever the size.

    Points earned on private threads never count towards a category board, so a board cannot
    hint at a private question.
    """
    User = get_user_model()
    if period == "all" and category is None:
        members = User.objects.filter(on_leaderboards(), points__gt=0).order_by("-points", "pk")
        members = members[:LEADERBOARD_SIZE]
        return [Standing(place=i, member=m, points=m.points) for i, m in enumerate(members, start=1)]

    from kudos.models import LedgerEntry

    entries = LedgerEntry.objects.filter(on_leaderboards("recipient__"))
    if period == "30d":
        entries = entries.filter(created_at__gte=(now or timezone.now()) - timedelta(days=30))
    if category is not None:
        entries = entries.filter(thread__category=category, thread__is_private=False)
    totals = list(
        entries.values("recipient")
        .annotate(total=Sum("points"))
        .filter(total__gt=0)
        .order_by("-total", "recipient")[:LEADERBOARD_SIZE]
    )
    members = User.objects.in_bulk([row["recipient"] for row in totals])
    return [
        Standing(place=i, member=members[row["recipient"]], points=row["total"])
        for i, row in enumerate(totals, start=1)
        if row["recipient"] in members
    ]


def place_of(user) -> int | None:
    """The member's place on the all-time board (ties share a place)."""
    if not user.is_authenticated or user.points <= 0 or user.is_staff or user.is_superuser:
        return None
    return get_user_model().objects.filter(on_leaderboards(), points__gt=user.points).count() + 1


# --- Profile panel -----------------------------------------------------------------------------

RECENT_KUDOS = 10


def profile_panel_context(*, member, viewer) -> dict:
    """What the kudos panel on a profile shows. Recent entries name a question only when the
    viewer may open it, so a private thread never shows on anyone else's view of a profile."""
    from community.models import Thread
    from kudos.models import LedgerEntry

    table = rank_table()
    progress = table.progress(member.points)
    recent = list(
        LedgerEntry.objects.filter(recipient=member).select_related("thread").order_by("-created_at", "-pk")[
            :RECENT_KUDOS
        ]
    )
    thread_ids = {e.thread_id for e in recent if e.thread_id}
    visible = set()
    if thread_ids:
        visible = set(Thread.objects.visible_to(viewer).filter(pk__in=thread_ids).values_list("pk", flat=True))
    items = [{"entry": e, "thread": e.thread if e.thread_id in visible else None} for e in recent]
    solutions = Thread.objects.listed().filter(solution__author=member, solution__is_deleted=False).count()
    is_self = viewer.is_authenticated and viewer.pk == member.pk
    return {
        "member": member,
        "points": member.points,
        "rank": progress.current,
        "next_rank": progress.next,
        "needed": progress.needed,
        "percent": progress.percent,
        "solutions": solutions,
        "recent": items,
        "is_self": is_self,
        "place": place_of(member),
    }
