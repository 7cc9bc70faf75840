"""Every write made on /manage/. Each one calls the owning app's service (kudos, escalation,
community, accounts) and writes exactly one audit row in the same transaction, with the values
before (read under the owning service's lock) and after.

The caller has checked console.permissions.check_can_manage; functions that act on a member
also refuse what a community manager must not do (act on a superuser or on themselves)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts import services as accounts
from community import services as community
from console import selectors
from console.audit import record, record_setting, snapshot
from console.models import AuditEntry
from console.permissions import GROUP_NAME, forget_roles
from escalation import deadlines as escalation_deadlines
from escalation import tickets as escalation_tickets
from escalation.models import Channel, EscalationPolicy
from kudos import services as kudos
from kudos.models import LedgerEntry, PointRule, Rank

CONSOLE = AuditEntry.Source.CONSOLE


# --- Ranks -------------------------------------------------------------------------------------


@transaction.atomic
def save_rank(*, actor, rank_id: int | None, values: dict) -> Rank:
    """Create or change a rank (kudos.services.save_rank: the rank table is locked, badges
    change on every page at once) and audit it."""
    kudos.lock_ranks()
    before = snapshot(Rank.objects.filter(pk=rank_id).first()) if rank_id else None
    if rank_id and before is None:
        raise ValidationError("This rank was deleted in the meantime.")
    rank = kudos.save_rank(rank_id=rank_id, values=values)
    record_setting(actor=actor, source=CONSOLE, verb="update" if rank_id else "create", instance=rank,
                   before=before, after=snapshot(rank))
    return rank


@transaction.atomic
def delete_rank(*, actor, rank_id: int) -> Rank:
    rank = kudos.delete_rank(rank_id=rank_id)
    record_setting(actor=actor, source=CONSOLE, verb="delete", instance=rank, before=snapshot(rank), after=None)
    return rank


# --- Point rules -------------------------------------------------------------------------------


@transaction.atomic
def set_point_rules(*, actor, values: dict[str, int]) -> list[PointRule]:
    """Set each rule's points (from now on); one audit row per rule that changed."""
    changed = []
    for action in sorted(values):
        rule, previous = kudos.set_rule_points(action=action, points=values[action])
        if previous != rule.points:
            record_setting(actor=actor, source=CONSOLE, verb="update", instance=rule,
                           before={"points": previous}, after={"points": rule.points})
            changed.append(rule)
    return changed


@transaction.atomic
def recompute_points(*, actor, key: str) -> AuditEntry:
    """Apply today's point rules to every past automatic credit, through the ledger (one
    Correction entry per member whose total changes), and log it. ``key`` (one per rendered
    form) keeps a double submit from correcting twice: the second finds nothing to change."""
    rules = dict(PointRule.objects.select_for_update().values_list("action", "points"))
    targets = selectors.recompute_targets(values=rules)
    changed, net = kudos.recompute_points(actor=actor, key=key, targets=targets)
    return record(
        actor=actor, source=CONSOLE, area=AuditEntry.Area.POINTS, action="points.recompute",
        target="All members' points", before={"rules": rules},
        after={"members_changed": changed, "net_points": net},
        reason="Recomputed past points with the current point rules",
    )


# --- Escalation --------------------------------------------------------------------------------


@transaction.atomic
def save_policy(*, actor, category=None, minutes: dict[str, int]) -> EscalationPolicy:
    lookup = {"is_default": True} if category is None else {"category": category}
    existing = EscalationPolicy.objects.select_for_update().order_by("pk").filter(**lookup).first()
    before = snapshot(existing)
    policy = escalation_deadlines.save_policy(category_id=category.pk if category else None, **minutes)
    record_setting(actor=actor, source=CONSOLE, verb="update" if existing else "create", instance=policy,
                   before=before, after=snapshot(policy))
    return policy


@transaction.atomic
def delete_policy(*, actor, category) -> EscalationPolicy | None:
    policy = escalation_deadlines.delete_policy(category_id=category.pk)
    if policy is not None:
        policy.category = category
        record_setting(actor=actor, source=CONSOLE, verb="delete", instance=policy, before=snapshot(policy), after=None)
    return policy


@transaction.atomic
def save_channel(*, actor, channel_id: int | None, values: dict) -> Channel:
    before = None
    if channel_id is not None:
        before = snapshot(Channel.objects.select_for_update().get(pk=channel_id))
    channel = escalation_tickets.save_channel(channel_id=channel_id, values=values)
    record_setting(actor=actor, source=CONSOLE, verb="update" if channel_id else "create", instance=channel,
                   before=before, after=snapshot(channel))
    return channel


@transaction.atomic
def set_flag_threshold(*, actor, threshold: int):
    row, previous = community.set_flag_threshold(threshold=threshold)
    record_setting(actor=actor, source=CONSOLE, verb="update", instance=row,
                   before={"flag_threshold": previous}, after={"flag_threshold": row.flag_threshold})
    return row


# --- Members -----------------------------------------------------------------------------------


def _member_state(member) -> dict:
    return {
        "is_active": member.is_active,
        "is_staff": member.is_staff,
        "community_manager": member.groups.filter(name=GROUP_NAME).exists(),
        "points": member.points,
    }


def _lock_member(member):
    User = get_user_model()
    return User.objects.select_for_update().get(pk=member.pk)


def _check_may_act_on(*, actor, member, what: str) -> None:
    if member.is_superuser:
        raise PermissionDenied(f"Superusers are managed in the Django admin; you can't {what} them here.")
    if member.pk == actor.pk:
        raise PermissionDenied(f"You can't {what} your own account.")


def _member_record(*, actor, member, action: str, before: dict, after: dict, reason: str = "") -> AuditEntry:
    return record(actor=actor, source=CONSOLE, area=AuditEntry.Area.MEMBERS, action=action,
                  target=f"Member {member.username}", target_id=member.pk, before=before, after=after, reason=reason)


@transaction.atomic
def award_points(*, actor, member, points: int, reason: str, key: str) -> LedgerEntry:
    """Give or take points with a reason the member sees, through the ledger; audited."""
    member = _lock_member(member)
    if member.pk == actor.pk:
        raise PermissionDenied("You can't award points to yourself.")
    before = {"points": member.points}
    already = LedgerEntry.objects.filter(source_key=f"award:{key}").exists()
    entry = kudos.grant_points(actor=actor, member=member, points=points, note=reason, key=key)
    if not already:
        member.refresh_from_db(fields=["points"])
        _member_record(actor=actor, member=member, action="member.award", before=before,
                       after={"points": member.points, "ledger_entry": entry.pk}, reason=reason)
    return entry


@transaction.atomic
def reverse_entry(*, actor, member, entry_id: int, reason: str) -> LedgerEntry:
    """Take back one credit in the member's ledger (what it gave, not today's rule)."""
    member = _lock_member(member)
    entry = LedgerEntry.objects.filter(pk=entry_id, recipient=member).first()
    if entry is None or entry.is_reversal:
        raise ValidationError("Only a credit can be reversed, not a reversal.")
    before = {"points": member.points}
    reversal = kudos.reverse_points(reason=entry.reason, source_key=entry.source_key, cause="manager_reversed",
                                    actor=actor, note=reason)
    if reversal is None or reversal.reversal_of_id != entry.pk:
        raise ValidationError("This entry has already been reversed.")
    member.refresh_from_db(fields=["points"])
    _member_record(actor=actor, member=member, action="member.reverse", before=before,
                   after={"points": member.points, "reversed_entry": entry.pk}, reason=reason)
    return reversal


@transaction.atomic
def set_member_active(*, actor, member, is_active: bool, reason: str):
    """Suspend (False) or reinstate (True) a member; audited with the reason."""
    member = _lock_member(member)
    _check_may_act_on(actor=actor, member=member, what="suspend or reinstate")
    if member.is_active == is_active:
        raise ValidationError("This member is already active." if is_active else "This member is already suspended.")
    before = _member_state(member)
    accounts.set_member_active(user=member, is_active=is_active)
    _member_record(actor=actor, member=member, action="member.reinstate" if is_active else "member.suspend",
                   before=before, after=_member_state(member), reason=reason)
    return member


ROLES = {"manager": "community manager", "staff": "support staff"}


def community_managers_group() -> Group:
    group, created = Group.objects.get_or_create(name=GROUP_NAME)
    if created:
        group.permissions.add(Permission.objects.get(codename="manage_community", content_type__app_label="console"))
    return group


@transaction.atomic
def set_role(*, actor, member, role: str, grant: bool, reason: str = ""):
    """Give or take the community-manager role (the "Community managers" group) or the
    support-staff role (is_staff); audited."""
    if role not in ROLES:
        raise ValidationError("Choose a role.")
    member = _lock_member(member)
    _check_may_act_on(actor=actor, member=member, what="change the roles of")
    before = _member_state(member)
    if role == "manager":
        if before["community_manager"] == grant:
            raise ValidationError(f"{member.name} {'is already' if grant else 'is not'} a community manager.")
        group = community_managers_group()
        (member.groups.add if grant else member.groups.remove)(group)
    else:
        if member.is_staff == grant:
            raise ValidationError(f"{member.name} {'is already' if grant else 'is not'} support staff.")
        accounts.set_staff(user=member, is_staff=grant)
    forget_roles()
    action = f"member.{'grant' if grant else 'remove'}_{role}"
    _member_record(actor=actor, member=member, action=action, before=before, after=_member_state(member),
                   reason=reason)
    return member

