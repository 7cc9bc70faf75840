"""Rank logic: which rank a number of points earns, the progress to the next one, and whether a
rank colour is readable. Pure functions over plain data, so they are cheap to call for every
name on a page and easy to test; the cached table they work on lives in kudos.selectors.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

# Badges are drawn as coloured text on a white pill (see kudos.views.rank_stylesheet), so a
# rank colour must reach WCAG AA for normal text against white.
BADGE_BACKGROUND = "#ffffff"
MIN_CONTRAST = 4.5

_HEX_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class RankInfo:
    """One row of the rank table, detached from the database."""

    id: int
    name: str
    min_points: int
    colour: str = "#57606a"
    description: str = ""
    questions_per_day: int | None = None
    answers_per_day: int | None = None
    links_per_day: int | None = None
    seconds_between_posts: int = 0
    flag_weight: int = 1
    can_retag: bool = False
    votes_move_points: bool = True
    trusted_after_hours: int = 24
    trust_needs_verified_email: bool = True

    @property
    def css_class(self) -> str:
        return f"rank-{self.id}"


@dataclass(frozen=True)
class RankTable:
    """Ranks ordered by min_points (ascending); thresholds are unique."""

    ranks: tuple[RankInfo, ...] = ()
    _thresholds: tuple[int, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def build(cls, ranks) -> "RankTable":
        ordered = tuple(sorted(ranks, key=lambda r: r.min_points))
        return cls(ranks=ordered, _thresholds=tuple(r.min_points for r in ordered))

    def index_for(self, points: int) -> int:
        """Index of the highest rank whose threshold ``points`` reaches; -1 when below all."""
        return bisect.bisect_right(self._thresholds, points) - 1

    def rank_for(self, points: int) -> RankInfo | None:
        i = self.index_for(points)
        return self.ranks[i] if i >= 0 else None

    def next_rank(self, points: int) -> RankInfo | None:
        i = self.index_for(points) + 1
        return self.ranks[i] if i < len(self.ranks) else None

    def progress(self, points: int) -> "Progress":
        current = self.rank_for(points)
        upcoming = self.next_rank(points)
        if upcoming is None:
            return Progress(current=current, next=None, needed=0, percent=100)
        floor = current.min_points if current else 0
        span = max(upcoming.min_points - floor, 1)
        done = min(max(points - floor, 0), span)
        return Progress(
            current=current,
            next=upcoming,
            needed=upcoming.min_points - points,
            percent=int(done * 100 / span),
        )

    def counts(self, all_points_histogram: dict[int, int]) -> dict[int | None, int]:
        """Members per rank id (None: below every threshold) from {threshold: members at or
        above it} as returned by kudos.selectors.members_at_or_above."""
        result: dict[int | None, int] = {}
        total = all_points_histogram.get(None, 0)
        above_first = all_points_histogram.get(self.ranks[0].min_points, 0) if self.ranks else 0
        result[None] = total - above_first
        for i, rank in enumerate(self.ranks):
            here = all_points_histogram.get(rank.min_points, 0)
            upper = 0
            if i + 1 < len(self.ranks):
                upper = all_points_histogram.get(self.ranks[i + 1].min_points, 0)
            result[rank.id] = here - upper
        return result


@dataclass(frozen=True)
class Progress:
    current: RankInfo | None
    next: RankInfo | None
    needed: int
    percent: int


def is_hex_colour(value: str) -> bool:
    return bool(_HEX_RE.match(value or ""))


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours (1.0 to 21.0)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)
