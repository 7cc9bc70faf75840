"""Who may do what in the experts tier. ``can_*`` return a bool for templates; ``check_*``
raise (Http404 for staff pages, so they do not announce themselves)."""

from __future__ import annotations

from django.http import Http404


def is_member(user) -> bool:
    """Signed in with an account that is not deactivated."""
    return user is not None and user.is_authenticated and user.is_active


def is_staff(user) -> bool:
    return is_member(user) and user.is_staff


def check_staff(user) -> None:
    if not is_staff(user):
        raise Http404("No such page.")


def expert_of(user):
    """The member's Expert row or None (one query; cached on the user object for a request)."""
    if not is_member(user):
        return None
    if not hasattr(user, "_expert_cache"):
        from experts.models import Expert

        user._expert_cache = Expert.objects.filter(user=user).first()
    return user._expert_cache


def is_active_expert(user) -> bool:
    expert = expert_of(user)
    return expert is not None and expert.status == expert.Status.ACTIVE


def can_see_address(user, session) -> bool:
    """A session's address: the customer, the expert who accepted it, and staff. Nobody else,
    not another expert who could take the request, not another customer."""
    if not is_member(user):
        return False
    if user.is_staff or session.customer_id == user.pk:
        return True
    return session.expert_id is not None and session.expert.user_id == user.pk


def is_session_customer(user, session) -> bool:
    return is_member(user) and session.customer_id == user.pk


def is_session_expert(user, session) -> bool:
    return is_member(user) and session.expert_id is not None and session.expert.user_id == user.pk
