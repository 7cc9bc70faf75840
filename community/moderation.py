"""Moderation: members flag questions and answers, staff restore or remove what the flags hid.

A flag is a member's report that a post breaks the rules. Flags weigh what the flagger's
privileges say (community.hooks.privileges_for); when a post's pending weight reaches
CommunitySettings.flag_threshold it is hidden pending staff review (post_hidden), and staff then
restore it (post_restored) or remove it for good (post_removed).

Writes follow community.services' rules and lock order (the thread row, then the answer row)
and use its lock helpers; events are sent inside the transaction, after the change.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from community import events
from community.hooks import privileges_for
from community.models import Answer, CommunitySettings, Flag, Thread
from community.services import _bump_thread, _lock_answer, _lock_thread, _mask, _unaccept


def _flag_target(post) -> tuple[type, Thread, Thread | Answer]:
    """Lock the post (its thread first for an answer) and return (model, thread, locked post)."""
    if isinstance(post, Thread):
        thread = _lock_thread(post.pk)
        return Thread, thread, thread
    if isinstance(post, Answer):
        thread, answer = _lock_answer(post)
        return Answer, thread, answer
    raise TypeError(f"Only questions and answers can be flagged, not {type(post).__name__}.")


def _pending_flags(model: type, post):
    target = {"thread": post} if model is Thread else {"answer": post}
    return Flag.objects.filter(resolution=Flag.Resolution.PENDING, **target)


@transaction.atomic
def flag_post(*, user, post: Thread | Answer, reason: str, note: str = "") -> "Flag":
    """Record the user's flag on someone else's question or answer; hide the post when the
    pending flags' weight reaches the threshold, sending post_hidden once.

    Locks the post's thread (and the answer) first, so two last flags cannot both miss or both
    cross the threshold. One flag per member and post: a second one raises ValidationError
    (code "already_flagged") and changes nothing. Raises PermissionDenied when the user may
    not see the post or it is their own.
    """
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Sign in to flag a post.")
    if reason not in Flag.Reason.values:
        raise ValidationError("Choose why you are flagging this post.", code="reason")
    note = (note or "").strip()
    if len(note) > Flag._meta.get_field("note").max_length:
        raise ValidationError("Keep the note under 300 characters.", code="note")
    note = _mask(note, max_chars=Flag._meta.get_field("note").max_length).text
    model, thread, post = _flag_target(post)
    if not Thread.objects.visible_to(user).filter(pk=thread.pk).exists() or post.is_deleted:
        raise PermissionDenied("This post is not available.")
    if model is Answer and not Answer.objects.visible_to(user).filter(pk=post.pk).exists():
        raise PermissionDenied("This post is not available.")
    if post.author_id == user.pk:
        raise PermissionDenied("You can't flag your own post.")
    target = {"thread": post} if model is Thread else {"answer": post}
    already = ValidationError("You have already flagged this post. Staff will review it.", code="already_flagged")
    if Flag.objects.filter(user=user, **target).exists():
        raise already
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                user=user,
                reason=reason,
                note=note,
                weight=privileges_for(user).flag_weight,
                created_at=timezone.now(),
                **target,
            )
    except IntegrityError:
        raise already from None
    model.objects.filter(pk=post.pk).update(flag_count=F("flag_count") + 1)
    post.refresh_from_db(fields=["flag_count"])
    if not post.is_hidden:
        weight = sum(_pending_flags(model, post).values_list("weight", flat=True))
        if weight >= CommunitySettings.load().flag_threshold:
            model.objects.filter(pk=post.pk).update(is_hidden=True)
            post.is_hidden = True
            _bump_thread(thread)
            if model is Answer:
                post.thread = thread
            events.post_hidden.send(sender=model, post=post)
    return flag


def _check_moderator(user) -> None:
    if user is None or not user.is_authenticated or not user.is_staff:
        raise PermissionDenied("Only staff review flagged posts.")


def _resolve_flags(model: type, post, *, resolution: str, user) -> int:
    return _pending_flags(model, post).update(resolution=resolution, resolved_by=user, resolved_at=timezone.now())


@transaction.atomic
def restore_post(*, user, post: Thread | Answer) -> Thread | Answer:
    """Staff found nothing wrong: show the post again and close its pending flags as restored.
    Sends post_restored. A removed post stays removed (ValidationError). Locks the post."""
    _check_moderator(user)
    model, thread, post = _flag_target(post)
    if post.is_deleted:
        raise ValidationError("This post was removed and can't be restored here.", code="removed")
    _resolve_flags(model, post, resolution=Flag.Resolution.RESTORED, user=user)
    if post.is_hidden:
        model.objects.filter(pk=post.pk).update(is_hidden=False)
        post.is_hidden = False
    _bump_thread(thread)
    if model is Answer:
        post.thread = thread
    events.post_restored.send(sender=model, post=post, by=user)
    return post


@transaction.atomic
def remove_post(*, user, post: Thread | Answer) -> Thread | Answer:
    """Staff agree with the flags: the post stays hidden and is soft-deleted (nothing is lost
    for staff); its pending flags close as removed. A removed answer leaves the thread's
    counters and, if it was the solution, is unaccepted first (with its event), as when its
    author deletes it. Sends post_removed. Locks the post."""
    _check_moderator(user)
    model, thread, post = _flag_target(post)
    _resolve_flags(model, post, resolution=Flag.Resolution.REMOVED, user=user)
    now = timezone.now()
    was_deleted = post.is_deleted
    if model is Answer:
        if thread.solution_id == post.pk:
            _unaccept(thread=thread, answer=post, user=user)
        Answer.objects.filter(pk=post.pk).update(
            is_hidden=True, is_deleted=True, deleted_at=post.deleted_at or now
        )
        if was_deleted:
            _bump_thread(thread)
        else:
            _bump_thread(
                thread,
                answer_count=F("answer_count") - 1,
                upvote_count=F("upvote_count") - post.upvote_count,
            )
        post.refresh_from_db()
        post.thread = thread
    else:
        _bump_thread(thread, is_hidden=True, is_deleted=True, deleted_at=thread.deleted_at or now)
        post = thread
    events.post_removed.send(sender=model, post=post, by=user)
    return post
