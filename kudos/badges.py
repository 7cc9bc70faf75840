"""What kudos contributes to other apps' pages: the rank badge on every name and the
privileges of a member's rank. Both run from the user row and the in-process rank table only,
never a query per call."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.badges import Badge
from accounts.selectors import has_verified_email
from community.hooks import Privileges
from kudos.ranks import RankInfo
from kudos.selectors import rank_table


def rank_badges(user) -> list[Badge]:
    # Staff carry the Staff badge (accounts.badges); a community rank beside it would read as
    # "this support specialist is a new member".
    if user.is_staff:
        return []
    rank = rank_table().rank_for(user.points)
    if rank is None:
        return []
    title = f"{rank.name}: {rank.description}" if rank.description else rank.name
    return [Badge(label=rank.name, css_class=rank.css_class, title=title)]


def is_trusted(user, rank: RankInfo | None) -> bool:
    """Past the brand-new stage the member's rank sets (account age, verified email; below
    every rank the first rank's defaults apply). At most one query (the email check)."""
    hours = rank.trusted_after_hours if rank else RankInfo.trusted_after_hours
    needs_email = rank.trust_needs_verified_email if rank else RankInfo.trust_needs_verified_email
    if user.date_joined and timezone.now() - user.date_joined < timedelta(hours=hours):
        return False
    return not needs_email or has_verified_email(user)


def privileges_for_user(user) -> Privileges:
    if user is None or not user.is_authenticated:
        return Privileges()
    rank = rank_table().rank_for(user.points)
    trusted = is_trusted(user, rank)
    if rank is None:
        return Privileges(flag_weight=1 if trusted else 0, votes_move_points=trusted, is_trusted=trusted)
    return Privileges(
        questions_per_day=rank.questions_per_day,
        answers_per_day=rank.answers_per_day,
        links_per_day=rank.links_per_day,
        seconds_between_posts=rank.seconds_between_posts,
        flag_weight=rank.flag_weight if trusted else 0,
        can_retag=rank.can_retag and trusted,
        votes_move_points=rank.votes_move_points and trusted,
        is_trusted=trusted,
    )
