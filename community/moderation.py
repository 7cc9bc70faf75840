"""Moderation: members flag questions, answers and comments; staff restore or remove what the
flags hid.

A flag is a member's report that a post breaks the rules. Flags weigh what the flagger's
privileges say (community.hooks.privileges_for); when a post's pending weight reaches
CommunitySettings.flag_threshold it is hidden pending staff review (post_hidden), and staff then
restore it (post_restored) or remove it for good (post_removed). A comment is a post here like
the others, except that it earns no kudos and keeps no flag counter (its Flag rows are the count).

Writes follow community.services' rules and lock order (the thread row, then the answer row,
then the comment row) and use its lock helpers; events are sent inside the transaction, after
the change.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from community import events, permissions
from community.hooks import privileges_for
from community.models import Answer, Comment, CommunitySettings, Flag, Thread
from community.services import _bump_thread, _lock_answer, _lock_thread, _mask, _unaccept

Post = Thread | Answer | Comment

# The Flag field that points at each kind of post.
_FLAG_FIELD = {Thread: "thread", Answer: "answer", Comment: "comment"}


def _lock_comment_with_answer(comment: Comment) -> tuple[Thread, Comment]:
    """Lock the comment's thread, its answer when it is under one, then the comment: the one
    lock order, so a review of the comment and one of its answer never deadlock."""
    if comment.answer_id:
        thread, answer = _lock_answer(Answer(pk=comment.answer_id, thread_id=comment.thread_id))
    else:
        thread, answer = _lock_thread(comment.thread_id), None
    locked = Comment.objects.select_for_update(of=("self",)).select_related("author").get(pk=comment.pk)
    locked.thread, locked.answer = thread, answer
    return thread, locked


def _flag_target(post) -> tuple[type, Thread, Post]:
    """Lock the post (its thread first, and an answer before its comment) and return
    (model, thread, locked post); an answer's or comment's ``thread`` is the locked thread."""
    if isinstance(post, Thread):
        thread = _lock_thread(post.pk)
        return Thread, thread, thread
    if isinstance(post, Answer):
        thread, answer = _lock_answer(post)
        return Answer, thread, answer
    if isinstance(post, Comment):
        thread, comment = _lock_comment_with_answer(post)
        return Comment, thread, comment
    raise TypeError(f"Only questions, answers and comments can be flagged, not {type(post).__name__}.")


def _flag_target_kwargs(model: type, post) -> dict:
    return {_FLAG_FIELD[model]: post}


def _may_see(user, model: type, thread: Thread, post) -> bool:
    """Whether ``user`` may see the locked post: the thread's, the answer's and the comment's
    visibility rules (Thread/Answer/Comment.objects.visible_to), nothing of its own."""
    if post.is_deleted or not Thread.objects.visible_to(user).filter(pk=thread.pk).exists():
        return False
    answer_id = post.pk if model is Answer else getattr(post, "answer_id", None)
    if answer_id and not Answer.objects.visible_to(user).filter(pk=answer_id).exists():
        return False
    return model is not Comment or Comment.objects.visible_to(user).filter(pk=post.pk).exists()


def is_protected_from_flags(post) -> bool:
    """Official answers and anything staff wrote are never hidden by members' flags: their
    flags wait for staff review like any other, but the post stays up (and keeps its kudos)."""
    return bool(getattr(post, "is_official", False) or post.author.is_staff)


def _pending_flags(model: type, post):
    return Flag.objects.filter(resolution=Flag.Resolution.PENDING, **_flag_target_kwargs(model, post))


@transaction.atomic
def flag_post(*, user, post: Post, reason: str, note: str = "") -> "Flag":
    """Record the user's flag on someone else's question, answer or comment; hide the post
    when the pending flags' weight reaches the threshold, sending post_hidden once.

    A flag weighs what the flagger's standing gives (community.hooks.privileges_for: the
    rank's flag_weight; 0 for a brand-new account, whose flags only ask staff to look). An
    official answer or a staff member's post is never hidden (is_protected_from_flags).

    Locks the post's thread (then the answer, then the comment) first, so two last flags cannot
    both miss or both cross the threshold; hiding bumps the thread's version, so cached pages
    and open pages' live updates change. One flag per member and post: a second one raises
    ValidationError (code "already_flagged") and changes nothing. Raises PermissionDenied when
    the user may not see the post or it is their own. The note is bounded and its account data
    masked (community.privacy) before it is stored.
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
    if not _may_see(user, model, thread, post):
        raise PermissionDenied("This post is not available.")
    permissions.check_can_flag(user, post)
    target = _flag_target_kwargs(model, post)
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
    if model is not Comment:  # comments keep no counter: their Flag rows are the count
        model.objects.filter(pk=post.pk).update(flag_count=F("flag_count") + 1)
        post.refresh_from_db(fields=["flag_count"])
    if not post.is_hidden and not is_protected_from_flags(post):
        weight = sum(_pending_flags(model, post).values_list("weight", flat=True))
        if weight >= CommunitySettings.load().flag_threshold:
            model.objects.filter(pk=post.pk).update(is_hidden=True)
            post.is_hidden = True
            _bump_thread(thread)
            if model is not Thread:
                post.thread = thread
            events.post_hidden.send(sender=model, post=post)
    return flag


def _check_moderator(user) -> None:
    if user is None or not user.is_authenticated or not user.is_staff:
        raise PermissionDenied("Only staff review flagged posts.")


def _resolve_flags(model: type, post, *, resolution: str, user) -> int:
    return _pending_flags(model, post).update(resolution=resolution, resolved_by=user, resolved_at=timezone.now())


@transaction.atomic
def restore_post(*, user, post: Post) -> Post:
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
    if model is not Thread:
        post.thread = thread
    events.post_restored.send(sender=model, post=post, by=user)
    return post


@transaction.atomic
def remove_post(*, user, post: Post) -> Post:
    """Staff agree with the flags: the post stays hidden and is soft-deleted (nothing is lost
    for staff); its pending flags close as removed. A removed answer leaves the thread's
    counters and, if it was the solution, is unaccepted first (with its event), as when its
    author deletes it; a removed comment leaves the thread's comment count, as when its author
    deletes it. Sends post_removed. Locks the post."""
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
    elif model is Comment:
        Comment.objects.filter(pk=post.pk).update(
            is_hidden=True, is_deleted=True, deleted_at=post.deleted_at or now
        )
        if was_deleted:
            _bump_thread(thread)
        else:
            _bump_thread(thread, comment_count=F("comment_count") - 1)
        post.refresh_from_db(fields=["is_hidden", "is_deleted", "deleted_at"])
        post.thread = thread
    else:
        _bump_thread(thread, is_hidden=True, is_deleted=True, deleted_at=thread.deleted_at or now)
        post = thread
    events.post_removed.send(sender=model, post=post, by=user)
    return post
