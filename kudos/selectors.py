"""Reads of kudos data: the cached rank table, members per rank, the leaderboard and the
profile panel.

The rank table (a handful of rows, read for every rendered name) lives in the shared cache
under a version key: ``cache.get_or_set`` loads it once per version. Saving or deleting a Rank
writes a new version (at once and again after commit, kudos.services.ranks_changed), so every
web process and worker uses the new thresholds on its next read; a table loaded from rows read
before the commit is stored under a version nobody asks for again. Losing the cache only
means one reload.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from asgiref.local import Local
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone

from kudos.ranks import RankTable

VERSION_KEY = "kudos:ranks:version"
TABLE_KEY = "kudos:ranks:table:{version}"
RULES_KEY = "kudos:rules:{version}"
# A table outlives its version by at most this long; the current one is reloaded after it.
TABLE_SECONDS = 24 * 3600

LEADERBOARD_SIZE = 50
PERIODS = {"all": "All time", "30d": "Last 30 days"}


def _load_table() -> RankTable:
    from kudos.models import Rank

    return RankTable.build(r.to_info() for r in Rank.objects.all())


def rank_version() -> str:
    """The current version of the rank table (a new one when the cache lost it)."""
    return cache.get_or_set(VERSION_KEY, lambda: uuid.uuid4().hex, timeout=None)


# Within one request the table is read from the cache once: a page of a hundred answers
# names a hundred members, and two cache round trips per name were most of the time of a page
# rendered from scratch. Reset when a request starts and ends (kudos.apps) and when this
# process changes a rank, so a request never sees a table older than its own start.
_request = Local()


def start_request(**kwargs) -> None:
    _request.table = None
    _request.active = True


def end_request(**kwargs) -> None:
    _request.table = None
    _request.active = False


def rank_table() -> RankTable:
    """The current rank table; one query only after a rank changed, none otherwise, and one
    cache read per request."""
    if getattr(_request, "active", False):
        table = getattr(_request, "table", None)
        if table is None:
            table = _request.table = _shared_table()
        return table
    return _shared_table()


# The table of the version this process saw last: a table never changes under its version (a
# rank saved writes a new version), so only the version costs a cache read per request, not
# the table's bytes and their unpickling too. RankTable is frozen, so requests may share it.
_process_table: dict[str, RankTable] = {}


def _shared_table() -> RankTable:
    version = rank_version()
    table = _process_table.get(version)
    if table is None:
        table = cache.get_or_set(TABLE_KEY.format(version=version), _load_table, timeout=TABLE_SECONDS)
        _process_table.clear()
        _process_table[version] = table
    return table


def point_rules() -> dict[str, int]:
    """{action: points} of every PointRule, cached with the rank table's version (saving a
    rule writes a new version too: kudos.services.ranks_changed)."""
    from kudos.models import PointRule

    return cache.get_or_set(
        RULES_KEY.format(version=rank_version()),
        lambda: dict(PointRule.objects.values_list("action", "points")),
        timeout=TABLE_SECONDS,
    )


def bump_rank_version() -> None:
    """Make every process load the table again. Called after a rank is saved or deleted."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    _request.table = None


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


# --- Voting rings ------------------------------------------------------------------------------
# Members whose "This helped" votes go mostly to each other: sock puppets feeding one account,
# or a few members trading votes. A pair counts when a voter gave a member at least
# RING_MIN_VOTES votes and that is at least RING_SHARE of everything the voter gave; pairs
# that share a member join one ring. A ring is reported when it has two voters or more, or
# two members voting for each other, so one loyal fan of one helper is not a ring.

RING_MIN_VOTES = 2
RING_SHARE = 0.5
RING_WINDOW_DAYS = 90


@dataclass
class VotingRing:
    members: list
    votes_inside: int  # votes the members gave each other's answers
    votes_cast: int  # every vote the members gave in the window
    points: int  # points still credited for votes inside the ring
    credits: int

    @property
    def share(self) -> int:
        return round(100 * self.votes_inside / self.votes_cast) if self.votes_cast else 0

    @property
    def member_ids(self) -> str:
        return ",".join(str(m.pk) for m in self.members)


def voting_rings(*, now=None, days: int = RING_WINDOW_DAYS) -> list[VotingRing]:
    """Voting rings among the votes of the last ``days`` days, most points first. Three
    queries whatever the number of votes or members: the votes per (voter, author) pair, the
    points still credited between the suspects, and the suspects themselves."""
    from community.models import AnswerVote
    from kudos.models import LedgerEntry, Reason

    since = (now or timezone.now()) - timedelta(days=days)
    pairs: dict[tuple[int, int], int] = {}
    cast: dict[int, int] = {}
    rows = (
        AnswerVote.objects.filter(created_at__gte=since)
        .values_list("user_id", "answer__author_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for voter, author, n in rows:
        if voter == author:
            continue
        pairs[(voter, author)] = n
        cast[voter] = cast.get(voter, 0) + n
    suspicious = {
        (voter, author) for (voter, author), n in pairs.items() if n >= RING_MIN_VOTES and n / cast[voter] >= RING_SHARE
    }
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for voter, author in suspicious:
        parent[find(voter)] = find(author)
    groups: dict[int, set[int]] = {}
    for member in list(parent):
        groups.setdefault(find(member), set()).add(member)
    rings = []
    for members in groups.values():
        edges = [(v, a) for (v, a) in suspicious if v in members]
        voters = {v for v, _ in edges}
        mutual = any((a, v) in suspicious for v, a in edges)
        if len(voters) >= 2 or mutual:
            rings.append(members)
    if not rings:
        return []
    everyone = set().union(*rings)
    credits = (
        LedgerEntry.objects.filter(
            reason=Reason.ANSWER_UPVOTED,
            reversal_of__isnull=True,
            reversal__isnull=True,
            actor_id__in=everyone,
            recipient_id__in=everyone,
        )
        .values_list("actor_id", "recipient_id", "points")
    )
    credit_rows = list(credits)
    users = get_user_model().objects.in_bulk(everyone)
    result = []
    for members in rings:
        inside = [(a, r, p) for a, r, p in credit_rows if a in members and r in members]
        result.append(
            VotingRing(
                members=sorted((users[pk] for pk in members if pk in users), key=lambda u: (-u.points, u.pk)),
                votes_inside=sum(n for (v, a), n in pairs.items() if v in members and a in members),
                votes_cast=sum(cast.get(pk, 0) for pk in members),
                points=sum(p for _, _, p in inside),
                credits=len(inside),
            )
        )
    return sorted(result, key=lambda r: (-r.points, -r.votes_inside, r.member_ids))
