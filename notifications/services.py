"""Every write of the notifications app.

``notify`` runs inside the transaction of the event it reports (it is called from
notifications.receivers), so the row commits or rolls back with the event; emails and the bell's
cache are touched only after commit. Nothing here reveals a private thread: ``notify`` refuses
a recipient who may not see the thread, and notifications.models.NotificationQuerySet.shown_to
hides rows about threads that became private since.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta

from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from config.celery import app as celery_app
from config.prepared import fetch_one, from_row, select_list
from config.tasks import enqueue_on_commit
from notifications.models import (
    DIGEST_KINDS,
    STAFF_ONLY_KINDS,
    Kind,
    Notification,
    NotificationPreference,
    NotificationSettings,
)

UNREAD_KEY = "notifications:unread:{user_id}"
UNREAD_TIMEOUT = 24 * 3600
UNSUBSCRIBE_SALT = "notifications.unsubscribe"
# A pending immediate email older than this was lost on its way (a broker restart): the
# periodic mailer sends it.
LOST_EMAIL_AFTER = timedelta(minutes=5)
# The task that mails one notification, named rather than imported: notifications.tasks
# calls into this module, so the name is the contract (as a Zulip action names the queue its
# event goes to), and this module never imports the tasks or the mail code above it.
EMAIL_TASK = "notifications.tasks.send_notification_email"


# --- Rules ------------------------------------------------------------------------------------


def kinds_for(user) -> list[str]:
    """The kinds this member can receive (and set preferences for)."""
    return [k for k in Kind.values if user.is_staff or k not in STAFF_ONLY_KINDS]


def preferences_for(user) -> dict[str, tuple[bool, bool]]:
    """{kind: (on_site, email)} for every kind the member can receive. One query."""
    prefs = {kind: (True, True) for kind in kinds_for(user)}
    for kind, on_site, email in NotificationPreference.objects.filter(user=user).values_list("kind", "on_site", "email"):
        if kind in prefs:
            prefs[kind] = (on_site, email)
    return prefs


def preference_for(user, kind: str) -> tuple[bool, bool]:
    """(on_site, email) for one kind. One query."""
    if kind in STAFF_ONLY_KINDS and not user.is_staff:
        return (False, False)
    row = NotificationPreference.objects.filter(user=user, kind=kind).values_list("on_site", "email").first()
    return row or (True, True)


# --- The bell's count -------------------------------------------------------------------------


def unread_count(user) -> int:
    """Unread on-site notifications the member may open: from the cache, else one query."""
    key = UNREAD_KEY.format(user_id=user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.shown_to(user).unread().count()
        cache.set(key, count, timeout=UNREAD_TIMEOUT)
    return count


def _forget_unread_count(user_id: int) -> None:
    """Drop the cached count once the change that alters it has committed (a reader in
    between would otherwise cache the old value again)."""
    key = UNREAD_KEY.format(user_id=user_id)
    transaction.on_commit(lambda: cache.delete(key))


# --- Writing notifications --------------------------------------------------------------------


def _group_rows(*, recipient_id: int, group_key: str) -> list[Notification]:
    """The recipient's notifications under ``group_key``, newest first, locked (the grouped
    path where it is not one statement: _notify_grouped)."""
    return list(
        Notification.objects.select_for_update()
        .filter(recipient_id=recipient_id, group_key=group_key)
        .order_by("-created_at", "-pk")
    )


# The grouped notification in one statement on PostgreSQL (every upvote asks): lock the
# recipient's rows under the key and read their preference for the kind; then, unless the actor
# is counted there already, merge into the unread row or add a new one. The first column says
# which: "merged", "added", or "counted" (with the unread row, if any, as it stands). The
# parameters named new_<column> are the values of the row it would add.
_GROUPED_SQL = """
WITH g AS (
    SELECT n.id, n.read_at, n.created_at, n.data FROM {table} n
    WHERE n.recipient_id = %(new_recipient_id)s AND n.group_key = %(new_group_key)s FOR UPDATE
),
pref AS (
    SELECT COALESCE(p.on_site, true) AS on_site, COALESCE(p.email, true) AS email
    FROM (SELECT 1) one LEFT JOIN {preference_table} p ON p.user_id = %(new_recipient_id)s AND p.kind = %(new_kind)s
),
counted AS (SELECT EXISTS (SELECT 1 FROM g WHERE g.data -> 'actors' @> %(actors)s::jsonb) AS yes),
cur AS (SELECT g.id FROM g WHERE g.read_at IS NULL ORDER BY g.created_at DESC, g.id DESC LIMIT 1),
merged AS (
    UPDATE {table} n SET
        count = n.count + 1, created_at = %(new_created_at)s, actor_id = %(new_actor_id)s,
        text = CASE WHEN %(grouped_text)s::text = '' THEN %(new_text)s
                    ELSE left(replace(%(grouped_text)s::text, '{{count}}', (n.count + 1)::text), 300) END,
        data = jsonb_set(n.data, '{{actors}}', COALESCE(n.data -> 'actors', '[]'::jsonb) || %(actors)s::jsonb),
        email_status = CASE WHEN (SELECT email FROM pref) THEN '{pending}' ELSE n.email_status END
    FROM cur WHERE n.id = cur.id AND NOT (SELECT yes FROM counted)
    RETURNING {returning}
),
added AS (
    INSERT INTO {table} AS n ({columns})
    SELECT {values} FROM pref
    WHERE NOT EXISTS (SELECT 1 FROM cur) AND NOT (SELECT yes FROM counted)
    RETURNING {returning}
)
SELECT 'merged', * FROM merged
UNION ALL SELECT 'added', * FROM added
UNION ALL SELECT 'counted', {returning} FROM {table} n JOIN cur ON n.id = cur.id WHERE (SELECT yes FROM counted)
"""


@functools.cache
def _grouped_statement() -> str:
    """_GROUPED_SQL for the model's columns (built once): the new row's values are the
    parameters named after its fields, cast to their column types, but on_site and email_status,
    which come from the preference."""
    values = []
    for field in _new_row_fields():
        if field.name == "on_site":
            values.append("pref.on_site")
        elif field.name == "email_status":
            pending, none = Notification.EmailStatus.PENDING, Notification.EmailStatus.NONE
            values.append(f"CASE WHEN pref.email THEN '{pending}' ELSE '{none}' END")
        else:
            values.append(f"%(new_{field.attname})s::{field.db_type(connection)}")
    return _GROUPED_SQL.format(
        table=Notification._meta.db_table,
        preference_table=NotificationPreference._meta.db_table,
        pending=Notification.EmailStatus.PENDING,
        columns=", ".join(connection.ops.quote_name(field.column) for field in _new_row_fields()),
        values=", ".join(values),
        returning=select_list(Notification, "n"),
    )


def _new_row_fields() -> list:
    """The fields of a new notification's row: all but the id."""
    return [field for field in Notification._meta.concrete_fields if not field.primary_key]


def _notify_grouped(new: Notification, *, grouped_text: str) -> tuple[str, Notification | None]:
    """The grouped path of ``notify`` as one statement (PostgreSQL), for the unsaved row ``new``
    it would add: (what happened, the row)."""
    params = {
        f"new_{field.attname}": field.get_db_prep_save(getattr(new, field.attname), connection)
        for field in _new_row_fields()
    }
    params["actors"] = json.dumps([new.actor_id])
    params["grouped_text"] = grouped_text
    row = fetch_one("peerdesk_notification_grouped", _grouped_statement(), params)
    if row is None:
        return "counted", None
    return row[0], from_row(Notification, row, 1)[0]


def notify(
    *,
    recipient,
    kind: str,
    text: str,
    thread=None,
    answer=None,
    comment=None,
    actor=None,
    group_key: str = "",
    grouped_text: str = "",
    data: dict | None = None,
    now: datetime | None = None,
) -> Notification | None:
    """Tell ``recipient`` about an event, honouring their preferences for ``kind``.

    Returns None (and writes nothing) when the recipient is the actor, is inactive, may not
    receive this kind, or may not see ``thread``. With ``group_key`` the event is merged into
    the recipient's unread row with the same key (locked first), whose count goes up and whose
    text becomes ``grouped_text`` with "{count}" replaced; such kinds are mailed by the periodic
    digest. A group counts distinct actors (kept in ``data["actors"]``): an actor already
    counted under this key, in this row or an earlier one, changes nothing and the current
    unread row (or None) is returned. Other kinds are mailed after commit.
    Call inside the event's transaction.
    """
    now = now or timezone.now()
    if recipient is None or not recipient.is_active:
        return None
    if actor is not None and actor.pk == recipient.pk:
        return None
    if kind in STAFF_ONLY_KINDS and not recipient.is_staff:
        return None
    if thread is not None and not thread.is_visible_to(recipient):
        return None
    text = text[:300]
    if group_key and actor is not None and connection.vendor == "postgresql":
        new = Notification(
            recipient=recipient, kind=kind, thread=thread, answer=answer, comment=comment, actor=actor, text=text,
            data={**(data or {}), "actors": [actor.pk]}, created_at=now, group_key=group_key,
        )
        happened, notification = _notify_grouped(new, grouped_text=grouped_text)
        if happened == "added":
            _tell_after_commit(notification)
        return notification
    with transaction.atomic(savepoint=False):
        if group_key:
            rows = _group_rows(recipient_id=recipient.pk, group_key=group_key)
            current = next((row for row in rows if row.read_at is None), None)
            if actor is not None:
                # A group counts people, not events: a member who takes their vote back and
                # gives it again (or any replay) was counted once already.
                if any(actor.pk in row.data.get("actors", ()) for row in rows):
                    return current
                data = {**(data or {}), "actors": [actor.pk]}
        # Read only now: an actor already counted in a group (a vote taken back and given
        # again) returned above without it.
        on_site, email = preference_for(recipient, kind)
        if group_key and current is not None:
            if grouped_text:
                text = grouped_text.replace("{count}", str(current.count + 1))[:300]
            merged = {**current.data}
            if actor is not None:
                merged["actors"] = [*current.data.get("actors", []), actor.pk]
            changes = {"count": F("count") + 1, "created_at": now, "actor": actor, "text": text, "data": merged}
            if email:
                changes["email_status"] = Notification.EmailStatus.PENDING
            Notification.objects.filter(pk=current.pk).update(**changes)
            # The row is locked (select_for_update above): its new values are these.
            changes["count"] = current.count + 1
            for name, value in changes.items():
                setattr(current, name, value)
            return current
        notification = Notification.objects.create(
            recipient=recipient,
            kind=kind,
            thread=thread,
            answer=answer,
            comment=comment,
            actor=actor,
            text=text,
            data=data or {},
            created_at=now,
            group_key=group_key,
            on_site=on_site,
            email_status=Notification.EmailStatus.PENDING if email else Notification.EmailStatus.NONE,
        )
    _tell_after_commit(notification)
    return notification


def _tell_after_commit(notification: Notification) -> None:
    """A notification was added: once committed, the bell's count is read again (if it is
    shown on site) and its mail goes out (if wanted, and not a digest's)."""
    if notification.on_site:
        _forget_unread_count(notification.recipient_id)
    if notification.email_status == Notification.EmailStatus.PENDING and notification.kind not in DIGEST_KINDS:
        enqueue_on_commit(celery_app.signature(EMAIL_TASK), notification.pk)


def hide_from_outsiders(*, thread) -> int:
    """A thread became private: its notifications of anyone but the author and staff leave
    the bell and are never mailed. Returns how many rows changed."""
    rows = Notification.objects.filter(thread=thread).exclude(recipient_id=thread.author_id).exclude(recipient__is_staff=True)
    recipients = set(rows.values_list("recipient_id", flat=True))
    changed = rows.update(on_site=False, email_status=Notification.EmailStatus.SKIPPED)
    for user_id in recipients:
        _forget_unread_count(user_id)
    return changed


def mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the member's own notifications read. Raises Notification.DoesNotExist for
    anyone else's, and for one the member may no longer open (its thread turned private,
    hidden or deleted): the row, its text and its link are not theirs to see any more.
    Marking a read one again changes nothing."""
    with transaction.atomic():
        notification = Notification.objects.shown_to(user).select_for_update().get(pk=notification_id)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            Notification.objects.filter(pk=notification.pk).update(read_at=notification.read_at)
            _forget_unread_count(user.pk)
    return notification


def mark_all_read(*, user) -> int:
    """Mark every unread notification of the member read. Returns how many."""
    with transaction.atomic():
        changed = Notification.objects.shown_to(user).unread().update(read_at=timezone.now())
        if changed:
            _forget_unread_count(user.pk)
    return changed


def set_preferences(*, user, choices: dict[str, tuple[bool, bool]]) -> dict[str, tuple[bool, bool]]:
    """Store the member's (on_site, email) choice for each kind given; kinds they cannot
    receive are ignored. Returns all their preferences."""
    allowed = set(kinds_for(user))
    with transaction.atomic():
        for kind, (on_site, email) in choices.items():
            if kind not in allowed:
                continue
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"on_site": bool(on_site), "email": bool(email)}
            )
        _forget_unread_count(user.pk)
    return preferences_for(user)


# --- Unsubscribe links ------------------------------------------------------------------------


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    """A signed token naming a member and a kind; it does not expire, like any unsubscribe
    link in an old email must keep working."""
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=False)


def read_unsubscribe_token(token: str):
    """(user, kind) for a valid token, else None."""
    from django.contrib.auth import get_user_model

    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("k") not in Kind.values:
        return None
    user = get_user_model().objects.filter(pk=payload.get("u")).first()
    if user is None:
        return None
    return user, payload["k"]


UNFOLLOW_SALT = "notifications.unfollow"


def unfollow_token(*, user_id: int, thread_id: int) -> str:
    """A signed token naming a member and a thread, for "Unfollow this question" in mails."""
    return signing.dumps({"u": user_id, "t": thread_id}, salt=UNFOLLOW_SALT, compress=False)


def read_unfollow_token(token: str):
    """(user, thread) for a valid token whose thread still exists, else None. The thread is
    returned whatever its visibility: unfollowing never shows anything of it."""
    from django.contrib.auth import get_user_model

    from community.models import Thread

    try:
        payload = signing.loads(token, salt=UNFOLLOW_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    user = get_user_model().objects.filter(pk=payload.get("u")).first()
    thread = Thread.objects.filter(pk=payload.get("t")).first()
    if user is None or thread is None:
        return None
    return user, thread


def unsubscribe(*, user, kind: str) -> None:
    """Stop emails of this kind for the member (on-site stays as it was)."""
    on_site, _ = preference_for(user, kind)
    set_preferences(user=user, choices={kind: (on_site, False)})


# --- Periodic work ----------------------------------------------------------------------------


def send_accept_reminders(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Remind askers, once per thread, to accept an answer: threads without a solution where
    a helpful answer (upvoted or official) from someone else arrived at least
    NotificationSettings.accept_reminder_days ago. Returns how many reminders were written.
    The one-reminder-per-thread constraint keeps two runs from writing a second one."""
    from community.models import Answer, Thread

    now = now or timezone.now()
    days = NotificationSettings.load().accept_reminder_days
    cutoff = now - timedelta(days=days)
    is_helpful = Q(upvote_count__gte=1) | Q(is_official=True)
    helpful = (
        Answer.objects.filter(thread=OuterRef("pk"), is_deleted=False, is_hidden=False, created_at__lte=cutoff)
        .exclude(author=OuterRef("author"))
        .filter(is_helpful)
    )
    reminded = Notification.objects.filter(kind=Kind.ACCEPT_REMINDER, thread=OuterRef("pk"))
    threads = list(
        Thread.objects.filter(solution__isnull=True, is_deleted=False, is_hidden=False)
        .filter(Exists(helpful))
        .exclude(Exists(reminded))
        .select_related("author")
        .order_by("pk")[:batch_size]
    )
    written = 0
    for thread in threads:
        answer = (
            Answer.objects.filter(thread=thread, is_deleted=False, is_hidden=False, created_at__lte=cutoff)
            .exclude(author_id=thread.author_id)
            .filter(is_helpful)
            .order_by("-is_official", "-upvote_count", "created_at")
            .first()
        )
        try:
            with transaction.atomic():
                if notify(
                    recipient=thread.author,
                    kind=Kind.ACCEPT_REMINDER,
                    thread=thread,
                    answer=answer,
                    text=f"Did an answer solve “{thread.title}”? Accept it so others find it.",
                    now=now,
                ):
                    written += 1
        except IntegrityError:
            continue  # another run reminded this asker first
    return written
