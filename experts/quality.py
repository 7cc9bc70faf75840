"""An expert's quality score: pure arithmetic over their recent tasks.

score = solution rate × (average customer rating / 5), over the last QUALITY_DAYS days.
A task is a paid answer (solved: accepted by the asker or approved by staff) or a session that
ended (solved: signed off; a dispute counts as not solved). Ratings are the customers' 1–5 on
sessions and paid answers; with no rating yet the rating factor is 1, so a new expert is
ordered by solution rate alone. Tasks before a reinstatement do not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

QUALITY_DAYS = 90


@dataclass(frozen=True)
class Figures:
    tasks: int
    solved: int
    rating: Decimal | None  # average 1–5, None without ratings

    @property
    def solution_rate(self) -> Decimal:
        return Decimal(self.solved) / Decimal(self.tasks) if self.tasks else Decimal("1")

    @property
    def score(self) -> Decimal:
        factor = (self.rating / Decimal(5)) if self.rating is not None else Decimal("1")
        return (self.solution_rate * factor).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def score_from(*, tasks: int, solved: int, ratings: list[int]) -> Figures:
    rating = None
    if ratings:
        rating = (Decimal(sum(ratings)) / Decimal(len(ratings))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Figures(tasks=tasks, solved=solved, rating=rating)


def should_suspend(figures: Figures, settings_) -> bool:
    return figures.tasks >= settings_.quality_min_tasks and figures.score < settings_.quality_threshold


def figures_for(expert, *, now: datetime) -> Figures:
    """The expert's figures from the database: two queries."""
    from experts.models import Claim, Session

    since = now - timedelta(days=QUALITY_DAYS)
    if expert.quality_since is not None:
        since = max(since, expert.quality_since)  # a reinstated expert starts afresh
    claims = list(
        Claim.objects.filter(expert=expert, status=Claim.Status.ANSWERED, answered_at__gte=since)
        .exclude(outcome="")
        .values_list("outcome", "rating")
    )
    sessions = list(
        Session.objects.filter(
            expert=expert, status__in=[Session.Status.SIGNED_OFF, Session.Status.DISPUTED], created_at__gte=since
        ).values_list("status", "rating")
    )
    solved = sum(1 for outcome, _ in claims if outcome in ("accepted", "staff_approved"))
    solved += sum(1 for status, _ in sessions if status == Session.Status.SIGNED_OFF)
    ratings = [r for _, r in claims if r] + [r for _, r in sessions if r]
    return score_from(tasks=len(claims) + len(sessions), solved=solved, ratings=ratings)
