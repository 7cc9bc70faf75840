"""Saved replies (macros) for staff: who sees which, how placeholders are filled, and the
writes that keep them (create, edit, delete, count a use).

Personal macros are their owner's alone; shared ones are offered to every staff member and
may be changed by whoever made them or a superuser. Text goes through the account-data
scanner like everything else people write.
"""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from community import privacy
from escalation.models import Macro, Ticket

# What a macro may say in braces, and what each becomes for a ticket.
PLACEHOLDERS = {
    "asker_name": "the asker's display name",
    "thread_title": "the question's title",
    "thread_url": "the link to the question",
    "staff_name": "your display name",
    "category": "the question's category",
}
_PLACEHOLDER_RE = re.compile(r"\{(\w{1,20})\}")
MAX_BODY = 5000
MAX_TITLE = 80


def macros_for(*, staff, category_id: int | None = None) -> QuerySet:
    """The macros ``staff`` may use, most used first: their own and the shared ones, for the
    ticket's category or for every category."""
    visible = Macro.objects.filter(Q(owner=staff) | Q(owner__isnull=True))
    if category_id is not None:
        visible = visible.filter(Q(category_id=category_id) | Q(category__isnull=True))
    return visible.select_related("category").order_by("-use_count", "title")


def fill_macro(*, macro: Macro, ticket: Ticket, staff, site_url: str) -> str:
    """The macro's text for this ticket: known placeholders replaced, unknown ones left as
    written (so a typo shows instead of vanishing)."""
    thread = ticket.thread
    values = {
        "asker_name": thread.author.name,
        "thread_title": thread.title,
        "thread_url": site_url + thread.get_absolute_url(),
        "staff_name": staff.name,
        "category": thread.category.name,
    }
    return _PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), macro.body)


def check_can_change_macro(*, staff, macro: Macro) -> None:
    if macro.owner_id == staff.pk or (macro.is_shared and (macro.created_by_id == staff.pk or staff.is_superuser)):
        return
    raise PermissionDenied("Only the person who made this saved reply (or an admin) can change it.")


def _clean(title: str, body: str) -> tuple[str, str, list[str]]:
    title = (title or "").strip()[: MAX_TITLE * 2]
    body = (body or "").strip()[: MAX_BODY * 2]
    if not title:
        raise ValidationError({"title": "Give the saved reply a short name."})
    if len(title) > MAX_TITLE:
        raise ValidationError({"title": f"Keep the name under {MAX_TITLE} characters."})
    if not body:
        raise ValidationError({"body": "Write the reply's text."})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": f"Keep the reply under {MAX_BODY} characters."})
    findings = []
    for text in (title, body):
        findings += privacy.detect(text)
    return title, body, findings


def create_macro(*, staff, title: str, body: str, shared: bool, category=None) -> Macro:
    """A new saved reply, personal unless ``shared``. Refuses text with account data in it:
    a reply sent to many customers must never carry one customer's numbers."""
    title, body, findings = _clean(title, body)
    if findings:
        raise ValidationError({"body": "Saved replies cannot contain card or account numbers."})
    now = timezone.now()
    return Macro.objects.create(
        title=title, body=body, owner=None if shared else staff, category=category, created_by=staff,
        created_at=now, updated_at=now,
    )


def update_macro(*, staff, macro_id: int, title: str, body: str, shared: bool, category=None) -> Macro:
    title, body, findings = _clean(title, body)
    if findings:
        raise ValidationError({"body": "Saved replies cannot contain card or account numbers."})
    with transaction.atomic():
        macro = Macro.objects.select_for_update().get(pk=macro_id)
        check_can_change_macro(staff=staff, macro=macro)
        macro.title, macro.body, macro.category = title, body, category
        macro.owner = None if shared else (macro.owner or staff)
        macro.updated_at = timezone.now()
        macro.save(update_fields=["title", "body", "category", "owner", "updated_at"])
    return macro


def delete_macro(*, staff, macro_id: int) -> None:
    with transaction.atomic():
        macro = Macro.objects.select_for_update().get(pk=macro_id)
        check_can_change_macro(staff=staff, macro=macro)
        macro.delete()


def record_macro_use(*, macro_id: int, staff) -> None:
    """One more use of a macro ``staff`` may see (the most used are offered first). A macro
    they may not see, or one deleted meanwhile, counts nothing."""
    macros_for(staff=staff).filter(pk=macro_id).update(use_count=F("use_count") + 1)
