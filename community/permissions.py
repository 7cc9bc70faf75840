"""Who may do what on a thread. ``can_*`` return a bool for templates; ``check_can_*`` raise
PermissionDenied with a reason. Services call the checks too, so a view that forgets one still
cannot change what it must not.

All functions assume the user may already see the thread (Thread.objects.visible_to).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


def _member(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _staff(user) -> bool:
    return _member(user) and user.is_staff


def can_see_thread(user, thread) -> bool:
    """Thread.objects.visible_to for one loaded thread (the same rule, Thread.is_visible_to)."""
    return thread.is_visible_to(user)


def can_answer(user, thread) -> bool:
    return _member(user) and not thread.is_deleted


def can_edit_post(user, post) -> bool:
    """The author edits their own question or answer; staff edit any."""
    return _member(user) and not post.is_deleted and (post.author_id == user.pk or user.is_staff)


def can_delete_post(user, post) -> bool:
    return can_edit_post(user, post)


def can_vote(user, answer) -> bool:
    """Any member but the answer's author ("This helped" on one's own answer means nothing)."""
    return _member(user) and answer.author_id != user.pk and not answer.is_deleted


def can_me_too(user, thread) -> bool:
    return _member(user) and thread.author_id != user.pk and not thread.is_deleted


def can_accept(user, thread) -> bool:
    """The asker, or staff, marks and changes the solution."""
    return _member(user) and not thread.is_deleted and (thread.author_id == user.pk or user.is_staff)


def _is_asker(user, thread) -> bool:
    return _member(user) and thread.author_id == user.pk and not thread.is_deleted


def can_ask_for_more_help(user, thread) -> bool:
    """The asker, once someone has answered (the button shows only then)."""
    return _is_asker(user, thread) and thread.answer_count > 0


def can_retag(user, thread) -> bool:
    """The asker and staff change a question's tags, and so do members whose rank carries
    the can_retag privilege (community.hooks.privileges_for; kudos ties it to ranks)."""
    from community.hooks import privileges_for

    if not _member(user) or thread.is_deleted:
        return False
    return thread.author_id == user.pk or user.is_staff or privileges_for(user).can_retag
def can_comment(user, thread) -> bool:
    """Any member, on a thread they may see that is not deleted (the asker included: comments
    are how they add details and answer questions about their problem)."""
    return _member(user) and not thread.is_deleted


def can_edit_comment(user, comment) -> bool:
    """The author edits and deletes their own comment; staff any."""
    return _member(user) and not comment.is_deleted and (comment.author_id == user.pk or user.is_staff)


def can_flag(user, post) -> bool:
    """A member flags someone else's question, answer or comment, never their own.
    (community/_comment.html spells this out inline: its key in the answers fragment cache
    covers exactly these facts.)"""
    return _member(user) and post.author_id != user.pk and not post.is_deleted


def can_see_history(user) -> bool:
    return _staff(user)


def _check(allowed: bool, reason: str) -> None:
    if not allowed:
        raise PermissionDenied(reason)


def check_can_answer(user, thread) -> None:
    _check(can_answer(user, thread), "Sign in to answer; deleted questions take no answers.")


def check_can_edit_post(user, post) -> None:
    _check(can_edit_post(user, post), "Only the author or staff can edit this.")


def check_can_delete_post(user, post) -> None:
    _check(can_delete_post(user, post), "Only the author or staff can delete this.")


def check_can_retag(user, thread) -> None:
    _check(can_retag(user, thread), "Changing the tags of others' questions comes with a higher rank.")


def check_can_vote(user, answer) -> None:
    if _member(user) and answer.author_id == user.pk:
        raise PermissionDenied("You can't mark your own answer as helpful.")
    _check(can_vote(user, answer), "Sign in to mark an answer as helpful.")


def check_can_me_too(user, thread) -> None:
    if _member(user) and thread.author_id == user.pk:
        raise PermissionDenied("You asked this question, so you already have it.")
    _check(can_me_too(user, thread), "Sign in to say you have this too.")


def check_can_accept(user, thread) -> None:
    _check(can_accept(user, thread), "Only the person who asked, or staff, can choose the solution.")


def check_can_ask_for_more_help(user, thread) -> None:
    """Who may say it: the asker. Whether there is an answer to say it about is the service's
    ValidationError, not a permission."""
    _check(_is_asker(user, thread), "Only the person who asked can say they still need help.")


def check_can_comment(user, thread) -> None:
    _check(can_comment(user, thread), "Sign in to comment; deleted questions take no comments.")


def check_can_edit_comment(user, comment) -> None:
    _check(can_edit_comment(user, comment), "Only the author or staff can change this comment.")


def check_can_flag(user, post) -> None:
    if _member(user) and post.author_id == user.pk:
        raise PermissionDenied("You can't flag your own post.")
    _check(can_flag(user, post), "This post is not available.")
