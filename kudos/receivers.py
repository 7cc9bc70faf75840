"""Points for what happens in community, and taking them back when it is undone.

Each receiver runs inside the community service's transaction, after its change is written and
while it holds the thread's row lock, so the checks here ("is this credit still active?") see
a settled state. Receivers are idempotent: a replayed event credits or takes back nothing.

Who gets what (the amounts are PointRule rows):
- answer_upvoted: the answer's author, per voter; never for a vote on one's own answer, nor
  for a voter whose rank or standing does not let votes move points.
- solution_accepted: the answer's author, and the asker when the asker accepted (not staff),
  unless the asker accepted their own answer.
- me_too_added: the question's author, per member.
- undone by answer_unvoted / solution_unaccepted / me_too_removed; a deleted, hidden or removed
  post loses what it earned its author; post_restored gives back what still stands. Comments
  (also sent with post_hidden / post_restored / post_removed) earn nothing, so nothing moves.
"""

from __future__ import annotations

from kudos.models import LedgerEntry, Reason
from kudos.services import credit_points, reverse_points, was_taken_back

ANSWER_REASONS = (Reason.ANSWER_UPVOTED, Reason.ANSWER_ACCEPTED)
THREAD_REASONS = (Reason.ME_TOO, Reason.ACCEPTED_AN_ANSWER)


def upvote_key(*, answer_id: int, voter_id: int) -> str:
    return f"answer:{answer_id}:voter:{voter_id}"


def answer_key(answer_id: int) -> str:
    return f"answer:{answer_id}"


def me_too_key(*, thread_id: int, user_id: int) -> str:
    return f"thread:{thread_id}:user:{user_id}"


def _is_gone(post) -> bool:
    return bool(post.is_deleted or post.is_hidden)


# --- Upvotes -----------------------------------------------------------------------------------


def _vote_moves_points(voter) -> bool:
    """Voting that moves points is a rank privilege (Rank.votes_move_points), and never a
    brand-new account's (Rank.trusted_after_hours, trust_needs_verified_email): four fresh
    accounts must not be able to hand a member 40 points."""
    from community.hooks import privileges_for

    return privileges_for(voter).votes_move_points


def on_answer_upvoted(sender, *, answer, voter, **kwargs) -> None:
    if voter.pk == answer.author_id or _is_gone(answer) or not _vote_moves_points(voter):
        return
    credit_points(
        recipient=answer.author,
        reason=Reason.ANSWER_UPVOTED,
        source_key=upvote_key(answer_id=answer.pk, voter_id=voter.pk),
        thread=answer.thread,
        answer=answer,
        actor=voter,
    )


def on_answer_unvoted(sender, *, answer, voter, **kwargs) -> None:
    entry = reverse_points(
        reason=Reason.ANSWER_UPVOTED,
        source_key=upvote_key(answer_id=answer.pk, voter_id=voter.pk),
        cause="answer_unvoted",
        actor=voter,
    )
    author = answer.author if type(answer).author.is_cached(answer) else None
    if entry is not None and entry.new_total is not None and author is not None and author.pk == entry.recipient_id:
        author.points = entry.new_total  # the caller's instance shows the new total (a rank badge)


# --- Solutions ---------------------------------------------------------------------------------


def _credit_solution(*, thread, answer, accepted_by) -> None:
    if answer.author_id == thread.author_id:
        return  # accepting one's own answer earns nothing, for either side
    credit_points(
        recipient=answer.author,
        reason=Reason.ANSWER_ACCEPTED,
        source_key=answer_key(answer.pk),
        thread=thread,
        answer=answer,
        actor=accepted_by,
    )
    if accepted_by is not None and accepted_by.pk == thread.author_id:
        credit_points(
            recipient=thread.author,
            reason=Reason.ACCEPTED_AN_ANSWER,
            source_key=answer_key(answer.pk),
            thread=thread,
            answer=answer,
            actor=accepted_by,
        )


def on_solution_accepted(sender, *, thread, answer, accepted_by, **kwargs) -> None:
    if _is_gone(answer):
        return
    _credit_solution(thread=thread, answer=answer, accepted_by=accepted_by)


def on_solution_unaccepted(sender, *, thread, answer, unaccepted_by=None, **kwargs) -> None:
    for reason in (Reason.ANSWER_ACCEPTED, Reason.ACCEPTED_AN_ANSWER):
        reverse_points(
            reason=reason, source_key=answer_key(answer.pk), cause="solution_unaccepted", actor=unaccepted_by
        )


# --- "I have this too" -------------------------------------------------------------------------


def on_me_too_added(sender, *, thread, user, **kwargs) -> None:
    if user.pk == thread.author_id or _is_gone(thread):
        return
    credit_points(
        recipient=thread.author,
        reason=Reason.ME_TOO,
        source_key=me_too_key(thread_id=thread.pk, user_id=user.pk),
        thread=thread,
        actor=user,
    )


def on_me_too_removed(sender, *, thread, user, **kwargs) -> None:
    reverse_points(
        reason=Reason.ME_TOO,
        source_key=me_too_key(thread_id=thread.pk, user_id=user.pk),
        cause="me_too_removed",
        actor=user,
    )


# --- Posts deleted, hidden, restored, removed --------------------------------------------------


def _post_credits(post):
    """Credits a post earned its author that are still active (none for a comment: comments
    never earn kudos)."""
    from community.models import Answer, Thread

    credits = LedgerEntry.objects.filter(
        reversal_of__isnull=True, reversal__isnull=True, recipient_id=post.author_id
    )
    if isinstance(post, Answer):
        return credits.filter(answer_id=post.pk, reason__in=ANSWER_REASONS)
    if isinstance(post, Thread):
        return credits.filter(thread_id=post.pk, reason__in=THREAD_REASONS)
    return credits.none()


def _take_back(post, *, cause: str, by=None) -> None:
    for credit in list(_post_credits(post).order_by("pk")):
        reverse_points(reason=credit.reason, source_key=credit.source_key, cause=cause, actor=by)


def on_post_deleted(sender, *, post, by=None, **kwargs) -> None:
    _take_back(post, cause="post_deleted", by=by)


def on_post_hidden(sender, *, post, **kwargs) -> None:
    _take_back(post, cause="post_hidden")


def on_post_removed(sender, *, post, by=None, **kwargs) -> None:
    # Taken at hiding already; this also covers staff removing a post that was never hidden.
    _take_back(post, cause="post_removed", by=by)


def on_post_restored(sender, *, post, by=None, **kwargs) -> None:
    """Give back what the post still deserves: the votes / "I have this too" that still exist
    and the solution if it still is one (no more, whatever was taken while it was hidden)."""
    from community.models import Answer, AnswerVote, MeToo, Thread

    if not isinstance(post, (Answer, Thread)) or _is_gone(post):
        return  # a comment earned nothing to give back
    if isinstance(post, Answer):
        answer = post
        thread = answer.thread
        voters = (
            AnswerVote.objects.filter(answer=answer).exclude(user_id=answer.author_id).select_related("user")
        )
        for vote in voters:
            if not _vote_moves_points(vote.user):
                continue
            credit_points(
                recipient=answer.author,
                reason=Reason.ANSWER_UPVOTED,
                source_key=upvote_key(answer_id=answer.pk, voter_id=vote.user_id),
                thread=thread,
                answer=answer,
                actor=vote.user,
            )
        if thread.solution_id == answer.pk and answer.author_id != thread.author_id:
            credit_points(
                recipient=answer.author,
                reason=Reason.ANSWER_ACCEPTED,
                source_key=answer_key(answer.pk),
                thread=thread,
                answer=answer,
            )
        return
    thread = post
    me_toos = MeToo.objects.filter(thread=thread).exclude(user_id=thread.author_id).select_related("user")
    for me_too in me_toos:
        credit_points(
            recipient=thread.author,
            reason=Reason.ME_TOO,
            source_key=me_too_key(thread_id=thread.pk, user_id=me_too.user_id),
            thread=thread,
            actor=me_too.user,
        )
    # The asker's bonus comes back only if the asker had earned it for the current solution.
    if thread.solution_id and was_taken_back(
        reason=Reason.ACCEPTED_AN_ANSWER, source_key=answer_key(thread.solution_id)
    ):
        credit_points(
            recipient=thread.author,
            reason=Reason.ACCEPTED_AN_ANSWER,
            source_key=answer_key(thread.solution_id),
            thread=thread,
            answer=thread.solution,
        )


def connect() -> None:
    from community import events

    pairs = [
        (events.answer_upvoted, on_answer_upvoted),
        (events.answer_unvoted, on_answer_unvoted),
        (events.solution_accepted, on_solution_accepted),
        (events.solution_unaccepted, on_solution_unaccepted),
        (events.me_too_added, on_me_too_added),
        (events.me_too_removed, on_me_too_removed),
        (events.post_deleted, on_post_deleted),
        (events.post_hidden, on_post_hidden),
        (events.post_removed, on_post_removed),
        (events.post_restored, on_post_restored),
    ]
    for signal, receiver in pairs:
        signal.connect(receiver, dispatch_uid=f"kudos.{receiver.__name__}")
