"""Every write to community's data: questions, answers, votes, "I have this too", solutions.
Flags and their review by staff are in community/moderation.py, on the same locks.

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
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Subquery
from django.utils import timezone
from django.utils.text import slugify

from community import events, limits, mentions, permissions, privacy
from community.validators import (
    BODY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    clean_answer_body,
    clean_body,
    clean_tags,
    clean_title,
)
from community.markdown import render
from config.prepared import fetch_one, from_row, select_list
from community.models import COMMENT_MAX_LENGTH, Answer, AnswerVote, Category, Comment, Follow, MeToo, Revision, Thread

# --- Input ----------------------------------------------------------------------------------


def _mask(text: str, *, max_chars: int) -> privacy.MaskResult:
    """``text`` (already bounded to ``max_chars`` by its validator) with its account data
    masked (community.privacy): what a service stores instead of what was typed."""
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
    # A @mention is a link to a member's profile on this site, not a link out: it is free.
    return limits.count_links(html) - html.count('<a class="mention" ')


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
    if Answer.author.is_cached(answer):  # the author row is not locked; no need to read it again
        locked.author = answer.author
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
    title, body, findings = mask_question(title=clean_title(title), body=clean_body(body))
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
    _auto_follow(user=author, thread=thread)
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
    title, body, findings = mask_question(title=clean_title(title), body=clean_body(body))
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
def retag_question(*, user, thread: Thread, tags: Iterable[str] | str) -> Thread:
    """Replace a question's tags: the asker, staff, or a member whose rank may retag
    (permissions.check_can_retag). Locks the thread. Unchanged tags change nothing; a change
    sends question_edited (became_private=False)."""
    thread = _lock_thread(thread.pk)
    if not Thread.objects.visible_to(user).filter(pk=thread.pk).exists():
        raise PermissionDenied("This question is not available.")
    permissions.check_can_retag(user, thread)
    new_tags = clean_tags(tags)
    if sorted(new_tags) == sorted(thread.tags.names()):
        return thread
    thread.tags.set(new_tags)
    _bump_thread(thread)
    events.question_edited.send(sender=Thread, thread=thread, became_private=False)
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
    masked = _mask(clean_answer_body(body), max_chars=BODY_MAX_LENGTH)
    body = masked.text
    mentioned = mentions.mentioned_members(body)
    body_html = mentions.render_post(body, mentioned, render)
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
    _auto_follow(user=author, thread=thread)
    events.answer_posted.send(sender=Answer, answer=answer, mentioned=mentioned)
    return answer


@transaction.atomic
def edit_answer(*, user, answer: Answer, body: str) -> Answer:
    """Change an answer's text, keeping the previous text as a Revision. Sends answer_edited
    with the members named for the first time, so they hear of it once.

    The new text is masked as in post_answer (``answer.masked_findings``)."""
    thread, answer = _lock_answer(answer)
    permissions.check_can_edit_post(user, answer)
    masked = _mask(clean_answer_body(body), max_chars=BODY_MAX_LENGTH)
    body = masked.text
    answer.masked_findings = list(masked.findings)
    if body == answer.body:
        return answer
    mentioned = mentions.mentioned_members(body)
    new_mentions = mentions.newly_mentioned(mentioned, before=answer.body)
    body_html = mentions.render_post(body, mentioned, render)
    _check_posting_rate(user=user, kind="edit", body_html=body_html, previous_html=answer.body_html)
    Revision.objects.create(answer=answer, body=answer.body, edited_by=user)
    answer.body = body
    answer.body_html = body_html
    answer.edited_at = timezone.now()
    answer.save(update_fields=["body", "body_html", "edited_at"])
    _attach_images(user=user, html=body_html, thread=thread, answer=answer)
    _bump_thread(thread)
    events.answer_edited.send(sender=Answer, answer=answer, mentioned=new_mentions)
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


def _count_vote(*, thread: Thread, answer: Answer, change: int) -> None:
    """Move the answer's and (unless the answer is deleted) the thread's upvote counts by
    ``change`` and bump the thread's version. The caller holds both row locks, so the counts
    read under them plus ``change`` are the new values: set on the instances, not read back."""
    Answer.objects.filter(pk=answer.pk).update(upvote_count=F("upvote_count") + change)
    answer.upvote_count += change
    thread_changes = {"version": F("version") + 1}
    if change > 0 or not answer.is_deleted:
        thread_changes["upvote_count"] = F("upvote_count") + change
        thread.upvote_count += change
    Thread.objects.filter(pk=thread.pk).update(**thread_changes)
    thread.version += 1


def _add_vote(*, user, thread: Thread, answer: Answer) -> AnswerVote:
    """Insert the vote. The caller holds the thread and answer locks and found no vote: every
    vote on this answer passes the same locks, so the unique constraint cannot be raced here."""
    permissions.check_can_vote(user, answer)
    vote = AnswerVote.objects.create(answer=answer, user=user, created_at=timezone.now())
    _count_vote(thread=thread, answer=answer, change=1)
    events.answer_upvoted.send(sender=Answer, answer=answer, voter=user)
    return vote


@transaction.atomic
def upvote_answer(*, user, answer: Answer) -> AnswerVote:
    """Record the user's "This helped" on someone else's answer; a second one changes nothing.
    Locks the thread and the answer."""
    thread, answer = _lock_answer(answer)
    permissions.check_can_vote(user, answer)
    existing = AnswerVote.objects.filter(answer=answer, user=user).first()
    if existing is not None:
        return existing
    return _add_vote(user=user, thread=thread, answer=answer)


def _remove_vote(*, user, thread: Thread, answer: Answer) -> bool:
    deleted, _ = AnswerVote.objects.filter(answer=answer, user=user).delete()
    if not deleted:
        return False
    _count_vote(thread=thread, answer=answer, change=-1)
    events.answer_unvoted.send(sender=Answer, answer=answer, voter=user)
    return True


@transaction.atomic
def remove_upvote(*, user, answer: Answer) -> bool:
    """Take back the user's "This helped". Returns whether there was one to take back."""
    thread, answer = _lock_answer(answer)
    return _remove_vote(user=user, thread=thread, answer=answer)


# Without the texts: a long question's body is stored out of line and costs a read.
_TEXTS = ("body", "body_html")


def _lock_thread_of_answer(answer_id: int) -> Thread:
    """Lock the thread of the answer with this id, in one statement (the vote endpoint knows
    only the answer's id). Raises Thread.DoesNotExist when there is no such answer. Written in
    SQL and prepared on PostgreSQL: the ORM took longer to build it than the database to run
    it, on the hottest write."""
    if connection.vendor != "postgresql":
        thread_id = Answer.objects.filter(pk=answer_id).values("thread_id")[:1]
        return Thread.objects.select_for_update().defer(*_TEXTS).get(pk=Subquery(thread_id))
    sql = (
        f"SELECT {select_list(Thread, 't', exclude=_TEXTS)} FROM {Thread._meta.db_table} t "
        f"WHERE t.id = (SELECT a.thread_id FROM {Answer._meta.db_table} a WHERE a.id = %s) FOR UPDATE OF t"
    )
    row = fetch_one("peerdesk_vote_lock_thread", sql, [answer_id])
    if row is None:
        raise Thread.DoesNotExist
    return from_row(Thread, row, exclude=_TEXTS)[0]


def _answer_for_vote(user, answer_id: int) -> Answer:
    """The answer with its author, without its texts, read under the thread's lock; raises
    Answer.DoesNotExist when the member may not see it."""
    if connection.vendor != "postgresql":
        return Answer.objects.visible_to(user).select_related("author").defer(*_TEXTS).get(pk=answer_id)
    User = Answer._meta.get_field("author").related_model
    sql = (
        f"SELECT {select_list(Answer, 'a', exclude=_TEXTS)}, {select_list(User, 'u')} "
        f"FROM {Answer._meta.db_table} a JOIN {User._meta.db_table} u ON u.id = a.author_id WHERE a.id = %s"
    )
    row = fetch_one("peerdesk_vote_answer", sql, [answer_id])
    if row is None:
        raise Answer.DoesNotExist
    answer, end = from_row(Answer, row, exclude=_TEXTS)
    if not answer.is_visible_to(user):
        raise Answer.DoesNotExist
    answer.author = from_row(User, row, end)[0]
    return answer


# One statement for a vote's rows on PostgreSQL: delete the member's vote, or insert one when
# there was none and they may vote, and move the answer's and the thread's counters by the
# difference (the thread's only while the answer stands, or for a new vote). Data-modifying
# CTEs see one snapshot and pass their rows on through RETURNING; the caller holds the
# thread's lock, which every write to this answer's votes and counters takes first.
_TOGGLE_VOTE_SQL = """
WITH gone AS (
    DELETE FROM {vote} WHERE answer_id = %(answer)s AND user_id = %(user)s RETURNING 1
), added AS (
    INSERT INTO {vote} (answer_id, user_id, created_at)
    SELECT %(answer)s, %(user)s, %(now)s WHERE %(may_vote)s AND NOT EXISTS (SELECT 1 FROM gone)
    RETURNING 1
), change AS (
    SELECT (SELECT count(*) FROM added) - (SELECT count(*) FROM gone) AS n
), answer_row AS (
    UPDATE {answer} SET upvote_count = upvote_count + change.n FROM change
    WHERE id = %(answer)s AND change.n <> 0 RETURNING upvote_count
), thread_row AS (
    UPDATE {thread} SET version = version + 1,
        upvote_count = upvote_count + CASE WHEN change.n > 0 OR NOT %(answer_deleted)s THEN change.n ELSE 0 END
    FROM change WHERE id = %(thread)s AND change.n <> 0 RETURNING version, upvote_count
)
SELECT change.n, (SELECT upvote_count FROM answer_row), (SELECT version FROM thread_row),
       (SELECT upvote_count FROM thread_row)
FROM change
"""


def _toggle_vote_rows(*, user, thread: Thread, answer: Answer, may_vote: bool) -> int:
    """Take the member's vote back, or give it when they have none and ``may_vote``; move
    the counters and set them on the instances. Returns -1, +1, or 0 (nothing changed)."""
    if connection.vendor != "postgresql":
        if AnswerVote.objects.filter(answer=answer, user=user).delete()[0]:
            change = -1
        elif may_vote:
            AnswerVote.objects.create(answer=answer, user=user, created_at=timezone.now())
            change = 1
        else:
            return 0
        _count_vote(thread=thread, answer=answer, change=change)
        return change
    quote = connection.ops.quote_name
    sql = _TOGGLE_VOTE_SQL.format(
        vote=quote(AnswerVote._meta.db_table), answer=quote(Answer._meta.db_table), thread=quote(Thread._meta.db_table)
    )
    params = {
        "answer": answer.pk, "user": user.pk, "thread": thread.pk, "now": timezone.now(),
        "may_vote": may_vote, "answer_deleted": answer.is_deleted,
    }
    change, answer_votes, version, thread_votes = fetch_one("peerdesk_vote_toggle", sql, params)
    if change:
        answer.upvote_count, thread.version, thread.upvote_count = answer_votes, version, thread_votes
    return change


@transaction.atomic
def toggle_vote(*, user, answer_id: int) -> tuple[Answer, bool]:
    """The vote endpoint's path: upvote the answer, or take the member's upvote back if they
    have one. Returns the answer (its upvote_count, and its thread with the new counts and
    version, as this transaction left them) and whether the member now has a vote on it.

    Raises Answer.DoesNotExist when the member may not see the answer. Three statements on
    PostgreSQL before the events' receivers: lock the thread through the answer's id, read the
    answer under that lock (every write to it takes the lock first, so the read is current),
    and change the vote and both counters in one statement."""
    try:
        thread = _lock_thread_of_answer(answer_id)
    except Thread.DoesNotExist:
        raise Answer.DoesNotExist from None
    answer = _answer_for_vote(user, answer_id)
    if not thread.is_visible_to(user):
        raise Answer.DoesNotExist
    answer.thread = thread
    change = _toggle_vote_rows(user=user, thread=thread, answer=answer, may_vote=permissions.can_vote(user, answer))
    if change == 0:
        permissions.check_can_vote(user, answer)  # says why the member may not vote
        raise PermissionDenied("You can't vote on this answer.")
    signal = events.answer_upvoted if change > 0 else events.answer_unvoted
    signal.send(sender=Answer, answer=answer, voter=user)
    return answer, change > 0


def toggle_upvote(*, user, answer: Answer) -> bool:
    """Upvote, or take the upvote back if there is one (toggle_vote). Returns True when the
    user now has a vote on the answer; ``answer.upvote_count`` and ``answer.thread`` are set to
    their new state."""
    locked, voted = toggle_vote(user=user, answer_id=answer.pk)
    answer.upvote_count = locked.upvote_count
    answer.thread = locked.thread
    return voted


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
    permissions.check_can_ask_for_more_help(user, thread)
    if thread.answer_count == 0:
        raise ValidationError("Nobody has answered yet, so there is no answer to say it didn't help.")
    _bump_thread(thread, last_activity_at=timezone.now())
    events.help_still_needed.send(sender=Thread, thread=thread, user=user)
    return thread


# --- Settings --------------------------------------------------------------------------------

FLAG_THRESHOLD_MAX = 100


@transaction.atomic
def set_flag_threshold(*, threshold: int) -> tuple["CommunitySettings", int]:
    """Set how much flag weight hides a post; returns (settings, previous threshold). Posts
    already hidden stay hidden; the new threshold counts from the next flag."""
    from community.models import CommunitySettings

    if threshold is None or not 1 <= threshold <= FLAG_THRESHOLD_MAX:
        raise ValidationError(f"The flag threshold must be between 1 and {FLAG_THRESHOLD_MAX}.")
    CommunitySettings.load()
    row = CommunitySettings.objects.select_for_update().get(pk=1)
    previous = row.flag_threshold
    if previous != threshold:
        row.flag_threshold = threshold
        row.save(update_fields=["flag_threshold"])
    return row, previous
# --- Comments -------------------------------------------------------------------------------
# Short remarks under the question or an answer. They count as conversation (notifications,
# escalation's "still needs help") and never as kudos: no votes, no accepting.


def _clean_comment(body: str) -> str:
    """Strip and bound a comment before any pattern runs on it."""
    body = (body or "").strip()
    if not body:
        raise ValidationError("Write your comment first.", code="required")
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            f"Keep comments under {COMMENT_MAX_LENGTH} characters (this one has {len(body):,}). "
            "For a longer reply, post an answer or edit your question.",
            code="too_long",
        )
    return body


def _auto_follow(*, user, thread: Thread) -> None:
    """Follow a thread one posts in, unless one unfollowed it before (that choice stays).
    Caller holds the thread lock; a lost race on the unique constraint changes nothing."""
    if Follow.objects.filter(user=user, thread=thread).exists():
        return
    try:
        with transaction.atomic():
            Follow.objects.create(user=user, thread=thread, created_at=timezone.now())
    except IntegrityError:
        pass


@transaction.atomic
def post_comment(*, author, thread: Thread, body: str, answer: Answer | None = None) -> Comment:
    """Comment under the question (``answer`` None) or under one of its answers; sends
    comment_posted with the members it mentions.

    Locks the thread (then the answer). The author must see the thread (and the answer); the
    text is bounded, its account data masked (``comment.masked_findings``, as for answers) and
    it is counted against the posting limits. The
    commenter follows the thread from now on (unless they unfollowed it).
    """
    thread = _lock_thread(thread.pk)
    if author is None or not author.is_authenticated or not Thread.objects.visible_to(author).filter(pk=thread.pk).exists():
        raise PermissionDenied("You can't comment here.")
    permissions.check_can_comment(author, thread)
    if answer is not None:
        answer = Answer.objects.select_for_update().get(pk=answer.pk)
        if answer.thread_id != thread.pk or answer.is_deleted:
            raise PermissionDenied("This answer takes no comments.")
        if not Answer.objects.visible_to(author).filter(pk=answer.pk).exists():
            raise PermissionDenied("You can't comment here.")
        answer.thread = thread
    masked = _mask(_clean_comment(body), max_chars=COMMENT_MAX_LENGTH)
    body = masked.text
    mentioned = mentions.mentioned_members(body)
    body_html = mentions.render_comment(body, mentioned)
    _check_posting_rate(user=author, kind="comment", body_html=body_html)
    now = timezone.now()
    comment = Comment.objects.create(
        thread=thread, answer=answer, author=author, body=body, body_html=body_html, created_at=now
    )
    _bump_thread(thread, comment_count=F("comment_count") + 1, last_activity_at=now)
    comment.thread = thread
    comment.answer = answer
    comment.masked_findings = list(masked.findings)
    _auto_follow(user=author, thread=thread)
    events.comment_posted.send(sender=Comment, comment=comment, mentioned=mentioned)
    return comment


def _lock_comment(comment: Comment) -> tuple[Thread, Comment]:
    thread = _lock_thread(comment.thread_id)
    locked = Comment.objects.select_for_update(of=("self",)).select_related("answer").get(pk=comment.pk)
    locked.thread = thread
    return thread, locked


@transaction.atomic
def edit_comment(*, user, comment: Comment, body: str) -> Comment:
    """Change a comment's text (its author or staff). Members named for the first time are
    sent with comment_edited, so they hear of it once."""
    thread, comment = _lock_comment(comment)
    permissions.check_can_edit_comment(user, comment)
    masked = _mask(_clean_comment(body), max_chars=COMMENT_MAX_LENGTH)
    body = masked.text
    comment.masked_findings = list(masked.findings)
    if body == comment.body:
        return comment
    mentioned = mentions.mentioned_members(body)
    new_mentions = mentions.newly_mentioned(mentioned, before=comment.body)
    body_html = mentions.render_comment(body, mentioned)
    _check_posting_rate(user=user, kind="edit", body_html=body_html, previous_html=comment.body_html)
    Comment.objects.filter(pk=comment.pk).update(body=body, body_html=body_html, edited_at=timezone.now())
    comment.refresh_from_db(fields=["body", "body_html", "edited_at"])
    _bump_thread(thread)
    events.comment_edited.send(sender=Comment, comment=comment, mentioned=new_mentions)
    return comment


@transaction.atomic
def delete_comment(*, user, comment: Comment) -> Comment:
    """Soft-delete a comment (its author or staff): gone for everyone but staff. Idempotent."""
    thread, comment = _lock_comment(comment)
    if comment.is_deleted:
        return comment
    permissions.check_can_edit_comment(user, comment)
    Comment.objects.filter(pk=comment.pk).update(is_deleted=True, deleted_at=timezone.now())
    comment.is_deleted = True
    _bump_thread(thread, comment_count=F("comment_count") - 1)
    events.comment_deleted.send(sender=Comment, comment=comment, by=user)
    return comment


# --- Following ------------------------------------------------------------------------------


def _follow_target(*, thread=None, category=None, tag=None) -> dict:
    targets = {k: v for k, v in {"thread": thread, "category": category, "tag": tag}.items() if v is not None}
    if len(targets) != 1:
        raise ValueError("Follow exactly one thread, category or tag.")
    return targets


@transaction.atomic
def follow(*, user, thread: Thread | None = None, category: Category | None = None, tag=None) -> Follow:
    """Follow a thread (one the user may see), a category or a tag. Following again changes
    nothing; following an unfollowed thread again turns it back on."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Sign in to follow.")
    target = _follow_target(thread=thread, category=category, tag=tag)
    if thread is not None and not Thread.objects.visible_to(user).filter(pk=thread.pk).exists():
        raise PermissionDenied("You can't follow this question.")
    try:
        with transaction.atomic():
            row, _ = Follow.objects.update_or_create(user=user, **target, defaults={"is_active": True})
    except IntegrityError:
        row = Follow.objects.get(user=user, **target)
        Follow.objects.filter(pk=row.pk).update(is_active=True)
    return row


@transaction.atomic
def unfollow(*, user, thread: Thread | None = None, category: Category | None = None, tag=None) -> bool:
    """Stop following. A thread keeps an inactive row, so answering or commenting there again
    does not follow it back. Returns whether the user was following."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Sign in to change what you follow.")
    target = _follow_target(thread=thread, category=category, tag=tag)
    was = Follow.objects.filter(user=user, is_active=True, **target).exists()
    if thread is not None:
        try:
            with transaction.atomic():
                Follow.objects.update_or_create(user=user, thread=thread, defaults={"is_active": False})
        except IntegrityError:
            Follow.objects.filter(user=user, thread=thread).update(is_active=False)
    else:
        Follow.objects.filter(user=user, **target).delete()
    return was


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
