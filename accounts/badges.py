"""Badges shown next to a member's name on every page, contributed by other apps.

kudos registers the rank badge here from its AppConfig.ready(). A provider is called as
``provider(user)`` for every name rendered, so it must not query the database: it works from
fields already on the user row (``points``, ``is_staff``) and in-memory tables.
It returns a list of Badge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Badge:
    label: str
    css_class: str = ""
    title: str = ""
    colour: str = ""  # a CSS colour for the badge's accent; empty for the default look


BadgeProvider = Callable[..., list[Badge]]

_providers: dict[str, BadgeProvider] = {}


def register_badge_provider(*, key: str, provider: BadgeProvider) -> None:
    _providers[key] = provider


def badges_for(user) -> list[Badge]:
    if user is None or not getattr(user, "pk", None):
        return []
    found: list[Badge] = []
    if user.is_staff:
        found.append(Badge(label="Staff", css_class="badge-staff", title="Support staff"))
    for key in sorted(_providers):
        found.extend(_providers[key](user))
    return found
