"""What kudos contributes to other apps' pages: the rank badge on every name and the
privileges of a member's rank. Both run from the user row and the in-process rank table only,
never a query per call."""

from __future__ import annotations

from accounts.badges import Badge
from community.hooks import Privileges
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


def privileges_for_user(user) -> Privileges:
    if user is None or not user.is_authenticated:
        return Privileges()
    rank = rank_table().rank_for(user.points)
    if rank is None:
        return Privileges()
    return Privileges(
        questions_per_day=rank.questions_per_day,
        answers_per_day=rank.answers_per_day,
        links_per_day=rank.links_per_day,
        seconds_between_posts=rank.seconds_between_posts,
        flag_weight=rank.flag_weight,
        can_retag=rank.can_retag,
    )
