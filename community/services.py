"""Every write to community's data: questions, answers, votes, "I have this too", solutions.

Each service is keyword-only, owns its transaction, locks the rows its decision depends on and
sends the community/events.py signal inside that transaction, after the change is written.

Lock order, to keep PostgreSQL free of deadlocks: the Thread row first, then the Answer row.
Every service that touches an answer locks its thread first, even when the decision depends
only on the answer.

Signals are sent with ``sender`` set to the model class the event is about: Thread for
question_*, me_too_*, solution_* and help_still_needed; Answer for answer_*; the post's class
for post_deleted.

Counters on the rows (kept with F(), never recounted):
- Thread.answer_count: answers not deleted (hidden ones still count until staff remove them).
- Answer.upvote_count: AnswerVote rows for the answer.
- Thread.upvote_count: the sum of upvote_count over the thread's answers that are not deleted.
- Thread.me_too_count: MeToo rows for the thread.
Thread.version goes up on every change to what the thread page shows.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from community import events, limits, permissions, privacy
from community.markdown import render
from community.models import Answer, AnswerVote, Category, MeToo, Revision, Thread

TITLE_MIN_LENGTH = 10
TITLE_MAX_LENGTH = 150
BODY_MAX_LENGTH = 20_000
ANSWER_MIN_LENGTH = 2
MAX_TAGS = 5
TAG_MAX_LENGTH = 32
_TAG_RE = re.compile(r"^[a-z0-9][a-z0-9+#.\-]*$")


# --- Input ----------------------------------------------------------------------------------


def clean_tags(tags: Iterable[str] | str) -> list[str]:
    """Normalise tags: lower case, spaces to dashes, duplicates dropped, at most MAX_TAGS.

    Accepts a list or one comma-separated string. Raises ValidationError naming the bad tag.
    """
    if isinstance(tags, str):
        tags = tags.split(",")
    cleaned: list[str] = []
    for raw in tags:
        tag = re.sub(r"\s+", "-", (raw or "").strip().lower()).strip("-")
        if not tag:
            continue
        if len(tag) > TAG_MAX_LENGTH:
            raise ValidationError(f"Tag “{tag[:TAG_MAX_LENGTH]}…” is too long: at most {TAG_MAX_LENGTH} characters.")
        if not _TAG_RE.match(tag):
            raise ValidationError(f"Tag “{tag}” may use only letters, digits, dashes, dots, + and #.")
        if privacy.mask_account_data(tag, max_chars=TAG_MAX_LENGTH).changed:
            # A tag is shown on public lists and can't hold a mask: refuse it instead.
            raise ValidationError("A tag can't be a card or account number: remove it, our staff don't need it.")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(f"Use at most {MAX_TAGS} tags (you gave {len(cleaned)}).")
    return cleaned


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if len(title) < TITLE_MIN_LENGTH:
        raise ValidationError(f"Write a title of at least {TITLE_MIN_LENGTH} characters that sums up the question.")
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError(f"Keep the title under {TITLE_MAX_LENGTH} characters.")
    return title


def _clean_body(body: str, *, min_length: int = 1, what: str = "question") -> str:
    body = (body or "").strip()
    if len(body) < min_length:
        raise ValidationError(f"The {what} needs some text.")
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError(f"Keep the {what} under {BODY_MAX_LENGTH:,} characters.")
    return body


def _mask(text: str, *, max_chars: int) -> privacy.MaskResult:
    """``text`` (already bounded to ``max_chars`` by its _clean_* function) with its account
    data masked (community.privacy): what a service stores instead of what was typed."""
    try:
        return privacy.mask_account_data(text, max_chars=max_chars)
    except privacy.TextTooLong as exc:
        raise ValidationError(str(exc)) from None


def mask_question(*, title: str, body: str) -> tuple[str, str, list[privacy.Finding]]:
    """The question's title and body with account data masked, and what was masked."""
    masked_title = _mask(title, max_chars=TITLE_MAX_LENGTH)
    masked_body = _mask(body, max_chars=BODY_MAX_LENGTH)
    return masked_title.text, masked_body.text, privacy.merge(masked_title, masked_body)


def _count_links(html: str) -> int:
    return limits.count_links(html)


def _check_posting_rate(*, user, kind: str, body_html: str = "", previous_html: str = "") -> None:
    """Apply the privilege limits (questions/answers per day, links per day, seconds between
    posts) to a new post whose rendered HTML is ``body_html``, counting it when it passes.

    ``kind="edit"`` counts only the links an edit adds to ``previous_html``. The counters are
    in the cache (community.limits), so a post costs no COUNT query; over a limit raises
    limits.PostingLimitReached, a ValidationError with code "rate_limited".
    """
    from community.hooks import privileges_for

    links = max(0, _count_links(body_html) - _count_links(previous_html))
    limits.check_and_count(user=user, privileges=privileges_for(user), kind=kind, links=links)


def _lock_thread(pk: int) -> Thread:
    return Thread.objects.select_for_update().get(pk=pk)


def _lock_answer(answer: Answer) -> tuple[Thread, Answer]:
    """Lock the answer's thread, then the answer (the one lock order)."""
    thread = _lock_thread(answer.thread_id)
    locked = Answer.objects.select_for_update().get(pk=answer.pk)
    locked.thread = thread
    return thread, locked


def _bump_thread(thread: Thread, **changes) -> None:
    """Write F()-based changes to the thread row and refresh the instance from it."""
    Thread.objects.filter(pk=thread.pk).update(version=F("version") + 1, **changes)
    thread.refresh_from_db()


# --- Questions ------------------------------------------------------------------------------


@transaction.atomic
def ask_question(
    *,
    author,
    category: Category,
    title: str,
    body: str,
    tags: Iterable[str] | str = (),
    is_private: bool = False,
) -> Thread:
    """Post a question and send question_asked.

    Account data in the title or body (community.privacy) is masked before anything is
    written or rendered, so the full number never reaches the database, the search column,
    the page cache, a notification or a mail; and it makes the thread private before it is
    first written, so a private thread is never public, not even for a moment. The found kinds
    are on ``thread.detected_private_data`` and the findings (with their masks) on
    ``thread.masked_findings``, for the page to tell the author.
    """
    if author is None or not author.is_authenticated:
        raise PermissionDenied("Sign in to ask a question.")
    if category is None:
        raise ValidationError("Choose a category.")
    title, body, findings = mask_question(title=_clean_title(title), body=_clean_body(body))
    tags = clean_tags(tags)
    body_html = render(body)
    _check_posting_rate(user=author, kind="question", body_html=body_html)
    detected = privacy.kinds_of(findings)
    if is_private:
        reason = Thread.PrivateReason.AUTHOR
    elif detected:
        reason = Thread.PrivateReason.DETECTED
    else:
        reason = Thread.PrivateReason.NONE
    now = timezone.now()
    thread = Thread.objects.create(
        category=category,
        author=author,
        title=title,
        slug=slugify(title)[:160] or "question",
        body=body,
        body_html=body_html,
        is_private=bool(is_private or detected),
        private_reason=reason,
        created_at=now,
        last_activity_at=now,
    )
    if tags:
        thread.tags.set(tags)
    _attach_images(user=author, html=body_html, thread=thread)
    thread.detected_private_data = detected
    thread.masked_findings = findings
    events.question_asked.send(sender=Thread, thread=thread)
    return thread


@transaction.atomic
def edit_question(
    *,
    user,
    thread: Thread,
    title: str,
    body: str,
    tags: Iterable[str] | str | None = None,
    is_private: bool = False,
) -> Thread:
    """Change a question's text (and tags), keeping the previous text as a Revision.

    The new text is masked as in ask_question (``thread.masked_findings``); the old text
    kept as a Revision was masked when it was saved. An edit can make a thread private
    (ticking the box or detected data) but never public again. Locks the thread. Sends
    question_edited with ``became_private``.
    """
    thread = _lock_thread(thread.pk)
    permissions.check_can_edit_post(user, thread)
    title, body, findings = mask_question(title=_clean_title(title), body=_clean_body(body))
    new_tags = clean_tags(tags) if tags is not None else None
    detected = privacy.kinds_of(findings)
    became_private = not thread.is_private and bool(is_private or detected)
    changed = title != thread.title or body != thread.body
    if changed:
        Revision.objects.create(thread=thread, title=thread.title, body=thread.body, edited_by=user)
    fields = {}
    if changed:
        now = timezone.now()
        body_html = render(body)
        _check_posting_rate(user=user, kind="edit", body_html=body_html, previous_html=thread.body_html)
        fields.update(
            title=title, slug=slugify(title)[:160] or "question", body=body, body_html=body_html, edited_at=now
        )
        _attach_images(user=user, html=body_html, thread=thread)
    if became_private:
        fields.update(
            is_private=True,
            private_reason=Thread.PrivateReason.AUTHOR if is_private else Thread.PrivateReason.DETECTED,
        )
    if new_tags is not None and sorted(new_tags) != sorted(thread.tags.names()):
        thread.tags.set(new_tags)
        changed = True
    thread.detected_private_data = detected
    thread.masked_findings = findings
    if not (changed or became_private):
        return thread  # nothing to record or announce
    _bump_thread(thread, **fields)
    events.question_edited.send(sender=Thread, thread=thread, became_private=became_private)
    return thread


@transaction.atomic
def delete_question(*, user, thread: Thread) -> Thread:
    """Soft-delete a question: gone for everyone but staff, nothing lost. Idempotent."""
    thread = _lock_thread(thread.pk)
    if thread.is_deleted:
        return thread
    permissions.check_can_delete_post(user, thread)
    _bump_thread(thread, is_deleted=True, deleted_at=timezone.now())
    events.post_deleted.send(sender=Thread, post=thread, by=user)
    return thread


# --- Answers --------------------------------------------------------------------------------


@transaction.atomic
def post_answer(*, author, thread: Thread, body: str) -> Answer:
    """Answer a question and send answer_posted.

    Staff answers are official. The first answer by someone other than the asker sets
    ``first_answer_at`` (escalation's first-response clock); the thread row is locked so two
    first answers cannot both set it.

    Account data in the body is masked before it is stored (``answer.masked_findings`` says
    what, for the page). The thread stays as public as it was: answers are public, and once
    masked nothing readable is left to hide; only a question's own account data makes it
    private.
    """
    thread = _lock_thread(thread.pk)
    if not Thread.objects.visible_to(author).filter(pk=thread.pk).exists():
        raise PermissionDenied("You can't answer this question.")
    permissions.check_can_answer(author, thread)
    masked = _mask(_clean_body(body, min_length=ANSWER_MIN_LENGTH, what="answer"), max_chars=BODY_MAX_LENGTH)
    body = masked.text
    body_html = render(body)
    _check_posting_rate(user=author, kind="answer", body_html=body_html)
    now = timezone.now()
    answer = Answer.objects.create(
        thread=thread,
        author=author,
        body=body,
        body_html=body_html,
        is_official=bool(author.is_staff),
        created_at=now,
    )
    _attach_images(user=author, html=body_html, thread=thread, answer=answer)
    changes = {"answer_count": F("answer_count") + 1, "last_activity_at": now}
    if thread.first_answer_at is None and author.pk != thread.author_id:
        changes["first_answer_at"] = now
    _bump_thread(thread, **changes)
    answer.thread = thread
    answer.masked_findings = list(masked.findings)
    events.answer_posted.send(sender=Answer, answer=answer)
    return answer


@transaction.atomic
def edit_answer(*, user, answer: Answer, body: str) -> Answer:
    """Change an answer's text, keeping the previous text as a Revision. Sends answer_edited.

    The new text is masked as in post_answer (``answer.masked_findings``)."""
    thread, answer = _lock_answer(answer)
    permissions.check_can_edit_post(user, answer)
    masked = _mask(_clean_body(body, min_length=ANSWER_MIN_LENGTH, what="answer"), max_chars=BODY_MAX_LENGTH)
    body = masked.text
    answer.masked_findings = list(masked.findings)
    if body == answer.body:
        return answer
    body_html = render(body)
    _check_posting_rate(user=user, kind="edit", body_html=body_html, previous_html=answer.body_html)
    Revision.objects.create(answer=answer, body=answer.body, edited_by=user)
    answer.body = body
    answer.body_html = body_html
    answer.edited_at = timezone.now()
    answer.save(update_fields=["body", "body_html", "edited_at"])
    _attach_images(user=user, html=body_html, thread=thread, answer=answer)
    _bump_thread(thread)
    events.answer_edited.send(sender=Answer, answer=answer)
    return answer


@transaction.atomic
def delete_answer(*, user, answer: Answer) -> Answer:
    """Soft-delete an answer. If it was the solution it is unaccepted first (with its event).

    Its upvotes leave the thread's upvote_count and it leaves answer_count. Idempotent.
    """
    thread, answer = _lock_answer(answer)
    if answer.is_deleted:
        return answer
    permissions.check_can_delete_post(user, answer)
    if thread.solution_id == answer.pk:
        _unaccept(thread=thread, answer=answer, user=user)
    now = timezone.now()
    answer.is_deleted = True
    answer.deleted_at = now
    answer.save(update_fields=["is_deleted", "deleted_at"])
    _bump_thread(
        thread,
        answer_count=F("answer_count") - 1,
        upvote_count=F("upvote_count") - answer.upvote_count,
    )
    events.post_deleted.send(sender=Answer, post=answer, by=user)
    return answer


# --- "This helped" --------------------------------------------------------------------------


@transaction.atomic
def upvote_answer(*, user, answer: Answer) -> AnswerVote:
    """Record the user's "This helped" on someone else's answer; a second one changes nothing.

    Locks the thread and the answer. The unique constraint settles a lost race: the
    IntegrityError is caught in a nested atomic and the existing vote returned.
    """
    thread, answer = _lock_answer(answer)
    permissions.check_can_vote(user, answer)
    existing = AnswerVote.objects.filter(answer=answer, user=user).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            vote = AnswerVote.objects.create(answer=answer, user=user, created_at=timezone.now())
    except IntegrityError:
        return AnswerVote.objects.get(answer=answer, user=user)
    Answer.objects.filter(pk=answer.pk).update(upvote_count=F("upvote_count") + 1)
    answer.refresh_from_db(fields=["upvote_count"])
    _bump_thread(thread, upvote_count=F("upvote_count") + 1)
    events.answer_upvoted.send(sender=Answer, answer=answer, voter=user)
    return vote


@transaction.atomic
def remove_upvote(*, user, answer: Answer) -> bool:
    """Take back the user's "This helped". Returns whether there was one to take back."""
    thread, answer = _lock_answer(answer)
    deleted, _ = AnswerVote.objects.filter(answer=answer, user=user).delete()
    if not deleted:
        return False
    Answer.objects.filter(pk=answer.pk).update(upvote_count=F("upvote_count") - 1)
    answer.refresh_from_db(fields=["upvote_count"])
    if not answer.is_deleted:
        _bump_thread(thread, upvote_count=F("upvote_count") - 1)
    events.answer_unvoted.send(sender=Answer, answer=answer, voter=user)
    return True


def toggle_upvote(*, user, answer: Answer) -> bool:
    """Upvote, or take the upvote back if there is one. Returns True when the user now has a
    vote on the answer."""
    with transaction.atomic():
        _lock_answer(answer)
        if AnswerVote.objects.filter(answer=answer, user=user).exists():
            remove_upvote(user=user, answer=answer)
            return False
        upvote_answer(user=user, answer=answer)
        return True


# --- "I have this too" ----------------------------------------------------------------------


@transaction.atomic
def add_me_too(*, user, thread: Thread) -> MeToo:
    """Record "I have this too" on someone else's question; a second one changes nothing."""
    thread = _lock_thread(thread.pk)
    permissions.check_can_me_too(user, thread)
    existing = MeToo.objects.filter(thread=thread, user=user).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            me_too = MeToo.objects.create(thread=thread, user=user, created_at=timezone.now())
    except IntegrityError:
        return MeToo.objects.get(thread=thread, user=user)
    _bump_thread(thread, me_too_count=F("me_too_count") + 1)
    events.me_too_added.send(sender=Thread, thread=thread, user=user)
    return me_too


@transaction.atomic
def remove_me_too(*, user, thread: Thread) -> bool:
    """Take back "I have this too". Returns whether there was one."""
    thread = _lock_thread(thread.pk)
    deleted, _ = MeToo.objects.filter(thread=thread, user=user).delete()
    if not deleted:
        return False
    _bump_thread(thread, me_too_count=F("me_too_count") - 1)
    events.me_too_removed.send(sender=Thread, thread=thread, user=user)
    return True


def toggle_me_too(*, user, thread: Thread) -> bool:
    """Add or take back "I have this too". Returns True when the user now has one."""
    with transaction.atomic():
        _lock_thread(thread.pk)
        if MeToo.objects.filter(thread=thread, user=user).exists():
            remove_me_too(user=user, thread=thread)
            return False
        add_me_too(user=user, thread=thread)
        return True


# --- Solutions ------------------------------------------------------------------------------


def _unaccept(*, thread: Thread, answer: Answer, user) -> None:
    """Clear the solution. Caller holds the thread lock and has checked permission."""
    _bump_thread(thread, solution=None, solved_at=None)
    events.solution_unaccepted.send(sender=Thread, thread=thread, answer=answer, unaccepted_by=user)


@transaction.atomic
def accept_answer(*, user, answer: Answer) -> Thread:
    """Make ``answer`` its thread's solution (the asker or staff).

    Replacing a solution sends solution_unaccepted for the old one first, then
    solution_accepted. Accepting the current solution again changes nothing. Locks the thread.
    """
    thread, answer = _lock_answer(answer)
    permissions.check_can_accept(user, thread)
    if answer.is_deleted or answer.is_hidden:
        raise ValidationError("This answer was removed and can't be the solution.")
    if thread.solution_id == answer.pk:
        return thread
    if thread.solution_id is not None:
        previous = Answer.objects.get(pk=thread.solution_id)
        _unaccept(thread=thread, answer=previous, user=user)
    now = timezone.now()
    _bump_thread(thread, solution=answer, solved_at=now, last_activity_at=now)
    events.solution_accepted.send(sender=Thread, thread=thread, answer=answer, accepted_by=user)
    return thread


@transaction.atomic
def unaccept_answer(*, user, answer: Answer) -> Thread:
    """Remove ``answer`` as its thread's solution (the asker or staff). No-op if it isn't."""
    thread, answer = _lock_answer(answer)
    permissions.check_can_accept(user, thread)
    if thread.solution_id == answer.pk:
        _unaccept(thread=thread, answer=answer, user=user)
    return thread


@transaction.atomic
def ask_for_more_help(*, user, thread: Thread) -> Thread:
    """The asker says the answers so far have not solved it: sends help_still_needed.

    Only the asker, only on a thread with answers. Escalation decides what happens next.
    """
    thread = _lock_thread(thread.pk)
    if user is None or not user.is_authenticated or thread.author_id != user.pk or thread.is_deleted:
        raise PermissionDenied("Only the person who asked can say they still need help.")
    if thread.answer_count == 0:
        raise ValidationError("Nobody has answered yet, so there is no answer to say it didn't help.")
    _bump_thread(thread, last_activity_at=timezone.now())
    events.help_still_needed.send(sender=Thread, thread=thread, user=user)
    return thread


# --- Flags ----------------------------------------------------------------------------------
# A flag is a member's report that a question or answer breaks the rules. Flags weigh what the
# flagger's privileges say (community.hooks.privileges_for); when a post's pending weight
# reaches CommunitySettings.flag_threshold it is hidden pending staff review, and staff then
# restore it or remove it for good.


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
    from community.models import Flag

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
    from community.hooks import privileges_for
    from community.models import CommunitySettings, Flag

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
    from community.models import Flag

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
    from community.models import Flag

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


# --- Images ---------------------------------------------------------------------------------
# A screenshot is uploaded before the post that shows it exists (pasted into a new question):
# it is stored as the uploader's pending Image and attached to the post when the post is saved
# (ask_question, edit_question, post_answer, edit_answer call _attach_images). From then on it
# is visible to exactly those who may see that post (Image.objects.visible_to).


def upload_image(*, user, data: bytes, name: str = "") -> "Image":
    """Check, re-encode (community.images) and store an upload as ``user``'s pending image.

    Raises ValidationError with a message for the member: not an image we accept, too big,
    too many pixels, or over IMAGE_UPLOADS_PER_HOUR (code "rate_limited"). The file is written
    through Django's default storage under a random name; nothing serves that storage
    directly. ``image.name_had_account_data`` says the file name was replaced.
    """
    from django.conf import settings
    from django.core.files.base import ContentFile

    from community import images
    from community.models import Image

    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Sign in to add images.")
    per_hour = int(getattr(settings, "IMAGE_UPLOADS_PER_HOUR", 30))
    since = timezone.now() - timezone.timedelta(hours=1)
    if Image.objects.filter(uploader=user, created_at__gte=since).count() >= per_hour:
        raise ValidationError(
            f"You have added {per_hour} images in the last hour, the most we allow. Try again later.",
            code="rate_limited",
        )
    processed = images.process(data, name)
    # Letters only (131 bits): a key with digits could look like an IBAN or a card number to
    # community.privacy and make the question that shows it private.
    key = "".join(secrets.choice(string.ascii_letters) for _ in range(23))
    image = Image(
        key=key,
        uploader=user,
        name=processed.name,
        content_type=processed.content_type,
        width=processed.width,
        height=processed.height,
        size=len(processed.data),
        created_at=timezone.now(),
    )
    # The stored name is random too: a storage listing or a bucket URL tells nothing.
    image.file.save(f"{secrets.token_hex(16)}.{images.EXTENSIONS[processed.format]}", ContentFile(processed.data), save=False)
    try:
        image.save()
    except Exception:
        image.file.delete(save=False)
        raise
    image.name_had_account_data = processed.name_had_account_data
    return image


def _attach_images(*, user, html: str, thread: Thread, answer: Answer | None = None) -> int:
    """Attach ``user``'s pending images that ``html`` (a post's rendered body) shows to the
    post. Images of other members, or already attached elsewhere, are left as they are: they
    keep following their own post's visibility. Returns how many were attached."""
    from community.markdown import image_keys
    from community.models import Image

    keys = image_keys(html)
    if not keys:
        return 0
    return Image.objects.pending_for(user).filter(key__in=keys).update(
        thread=thread, answer=answer, attached_at=timezone.now()
    )


def delete_stale_uploads(*, older_than_hours: int = 24) -> int:
    """Delete pending images (uploaded, never shown in a saved post) older than
    ``older_than_hours``, files included: a draft abandoned for a day keeps nothing stored.
    Run by beat (community.tasks.delete_stale_uploads). Returns how many were deleted."""
    from community.models import Image

    cutoff = timezone.now() - timezone.timedelta(hours=older_than_hours)
    deleted = 0
    for image in Image.objects.filter(thread__isnull=True, created_at__lt=cutoff).iterator():
        with transaction.atomic():
            # Attached since it was read? Then it stays.
            if not Image.objects.filter(pk=image.pk, thread__isnull=True).delete()[0]:
                continue
        image.file.delete(save=False)
        deleted += 1
    return deleted
