"""The one extension point of the escalation sweep: diverters.

escalation may not import the apps above it, yet the experts tier must see a public thread
before staff do. So an app registers a *diverter* from its AppConfig.ready(); when a pending
first-answer deadline falls due and its public thread still needs it, the sweep (and the
countdown fast path) asks every diverter, in key order, before escalating, once per batch:

    diverter(deadlines=[Deadline, ...], now=<datetime>) -> {deadline.pk: datetime}

(each deadline's row locked FOR UPDATE by the caller, with ``deadline.thread`` loaded). A
diverter that takes a thread writes its own rows in the caller's transaction and maps the
deadline to the time it moves to (the end of its own window); the deadline then stays pending
with that due time, so staff get the thread when the window ends unless the community (or the
diverter's people) answered meanwhile. A deadline left out is "not mine": the next diverter is
asked, then the thread escalates as usual. A diverter must take a thread at most once (the
second time the deadline falls due it leaves it out), must not lock the thread row (community's
services lock the thread before the deadline; the sweep holds the deadline) and must keep the
sweep's cost per batch fixed when it takes nothing (a query or two per batch, not per row).
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

Diverter = Callable[..., "datetime | None"]

_diverters: dict[str, Diverter] = {}


def register_diverter(*, key: str, diverter: Diverter) -> None:
    """Add (or replace, by key) a diverter."""
    _diverters[key] = diverter


def unregister_diverter(*, key: str) -> None:
    _diverters.pop(key, None)


def divert(*, deadlines: list, now: datetime) -> dict[int, datetime]:
    """{deadline.pk: new due time} for the due first-answer deadlines a diverter took."""
    taken: dict[int, datetime] = {}
    for key in sorted(_diverters):
        left = [deadline for deadline in deadlines if deadline.pk not in taken]
        if not left:
            break
        taken.update(_diverters[key](deadlines=left, now=now))
    return taken
