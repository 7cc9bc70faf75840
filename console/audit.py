"""Writing and describing audit rows. One function writes them (``record``), called inside the
transaction of the change it describes, so a change and its row commit or roll back together.

``AUDITED`` names the settings models and how to snapshot them; the admin hook
(console.receivers) and console.services share it, so both write the same before/after shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.db import models

from console.models import AuditEntry
from escalation.models import Channel, EscalationPolicy
from kudos.models import PointRule, Rank
from kudos.services import RANK_FIELDS
from community.models import CommunitySettings


@dataclass(frozen=True)
class Audited:
    area: str
    kind: str  # the first half of an action name: "rank" -> rank.create / rank.update / rank.delete
    fields: tuple[str, ...]
    label: Callable[[models.Model], str]


def _policy_label(policy) -> str:
    return "Default escalation policy" if policy.is_default else f"Escalation policy for {policy.category}"


AUDITED: dict[type, Audited] = {
    Rank: Audited(AuditEntry.Area.RANKS, "rank", RANK_FIELDS, lambda r: f"Rank {r.name}"),
    PointRule: Audited(
        AuditEntry.Area.POINTS, "point_rule", ("points",), lambda r: f"Points for “{r.get_action_display()}”"
    ),
    EscalationPolicy: Audited(
        AuditEntry.Area.ESCALATION,
        "policy",
        ("answer_within_minutes", "solve_within_minutes", "staff_response_minutes"),
        _policy_label,
    ),
    Channel: Audited(
        AuditEntry.Area.CHANNELS, "channel", ("name", "instructions", "link", "is_active", "position"),
        lambda c: f"Channel {c.name}",
    ),
    CommunitySettings: Audited(AuditEntry.Area.FLAGS, "flag_threshold", ("flag_threshold",), lambda s: "Flag threshold"),
}


def snapshot(instance: models.Model | None) -> dict | None:
    """The audited fields of a settings row as JSON-ready values; None for no row."""
    if instance is None:
        return None
    spec = AUDITED[type(instance)]
    return {name: _plain(getattr(instance, name)) for name in spec.fields}


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def record(
    *,
    actor,
    source: str,
    area: str,
    action: str,
    target: str,
    target_id="",
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """Write one audit row. Call it inside the change's transaction."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=(actor.get_username() if actor is not None and actor.pk else "system")[:150],
        source=source,
        area=area,
        action=action[:40],
        target=target[:200],
        target_id=str(target_id or "")[:40],
        before=before,
        after=after,
        reason=(reason or "")[:300],
    )


def record_setting(*, actor, source: str, verb: str, instance, before: dict | None, after: dict | None,
                   reason: str = "") -> AuditEntry | None:
    """One row for a settings row created, changed or deleted; nothing when nothing changed."""
    if verb == "update" and before == after:
        return None
    spec = AUDITED[type(instance)]
    return record(
        actor=actor,
        source=source,
        area=spec.area,
        action=f"{spec.kind}.{verb}",
        target=spec.label(instance),
        target_id=instance.pk or "",
        before=before,
        after=after,
        reason=reason,
    )
