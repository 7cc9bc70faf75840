"""escalation's reactions to community's domain events (community/events.py).

Every receiver runs inside the community service's transaction, so what it writes commits or
rolls back with the change it reacts to; slow work goes through enqueue_on_commit.
"""

from __future__ import annotations

from community import events
from community.models import Answer, AnswerVote, Thread
from config.tasks import enqueue_on_commit
from escalation import deadlines, tasks, tickets
from escalation.models import Deadline, Ticket


def on_question_asked(sender, *, thread: Thread, **kwargs) -> None:
    if thread.is_private:
        # Confidential: nobody but staff may answer, so it goes to the queue at once.
        deadlines.escalate_thread(thread=thread, reason=Ticket.Reason.CONFIDENTIAL, detail=_private_detail(thread))
    else:
        timers = deadlines.set_thread_deadlines(thread=thread)
        first_answer = next(d for d in timers if d.kind == Deadline.Kind.FIRST_ANSWER)
        if (countdown := deadlines.countdown_for(first_answer)) is not None:
            enqueue_on_commit(tasks.escalate_if_due.s(thread.pk).set(countdown=countdown))


def on_question_edited(sender, *, thread: Thread, became_private: bool = False, **kwargs) -> None:
    if became_private:
        deadlines.escalate_thread(thread=thread, reason=Ticket.Reason.CONFIDENTIAL, detail=_private_detail(thread))


def on_answer_posted(sender, *, answer: Answer, **kwargs) -> None:
    if answer.author_id != answer.thread.author_id:
        deadlines.clear_deadlines(thread_id=answer.thread_id, kinds=[Deadline.Kind.FIRST_ANSWER])
    if answer.is_official:
        tickets.record_staff_answer(answer=answer)


def on_solution_accepted(sender, *, thread: Thread, accepted_by=None, **kwargs) -> None:
    deadlines.clear_deadlines(thread_id=thread.pk, kinds=list(Deadline.Kind.values))
    tickets.record_solution_accepted(thread=thread, user=accepted_by)


def on_solution_unaccepted(sender, *, thread: Thread, **kwargs) -> None:
    deadlines.restore_solve_deadline(thread=thread)


def on_help_still_needed(sender, *, thread: Thread, user, **kwargs) -> None:
    tickets.record_help_still_needed(thread=thread, user=user)


def on_comment_posted(sender, *, comment, **kwargs) -> None:
    """The asker's comment under the only answer ("still broken", "that didn't work") means
    the community has not answered yet: it counts as "still needs help", so staff get it now
    instead of the thread passing as answered. Not when the asker marked that answer helpful;
    comments elsewhere change no timer."""
    thread = comment.thread
    answer = comment.answer
    if answer is None or comment.author_id != thread.author_id or answer.author_id == thread.author_id:
        return
    if thread.solution_id is not None or thread.is_deleted or thread.answer_count != 1:
        return
    if AnswerVote.objects.filter(answer=answer, user_id=comment.author_id).exists():
        return  # the asker said "This helped": a comment now is thanks or a follow-up, not "broken"
    tickets.record_help_still_needed(thread=thread, user=comment.author)


def on_post_deleted(sender, *, post, **kwargs) -> None:
    if isinstance(post, Thread):
        deadlines.cancel_deadlines(thread_id=post.pk)


def on_post_hidden(sender, *, post, **kwargs) -> None:
    tickets.record_post_hidden(post=post)


def on_post_restored(sender, *, post, by=None, **kwargs) -> None:
    tickets.record_flag_review(post=post, by=by, outcome="restored")


def on_post_removed(sender, *, post, by=None, **kwargs) -> None:
    if isinstance(post, Thread):
        deadlines.cancel_deadlines(thread_id=post.pk)
    tickets.record_flag_review(post=post, by=by, outcome="removed")


def _private_detail(thread: Thread) -> str:
    return thread.get_private_reason_display() if thread.private_reason else "Private thread"


def connect() -> None:
    pairs = [
        (events.question_asked, on_question_asked),
        (events.question_edited, on_question_edited),
        (events.answer_posted, on_answer_posted),
        (events.solution_accepted, on_solution_accepted),
        (events.solution_unaccepted, on_solution_unaccepted),
        (events.help_still_needed, on_help_still_needed),
        (events.comment_posted, on_comment_posted),
        (events.post_deleted, on_post_deleted),
        (events.post_hidden, on_post_hidden),
        (events.post_restored, on_post_restored),
        (events.post_removed, on_post_removed),
    ]
    for signal, receiver in pairs:
        signal.connect(receiver, dispatch_uid=f"escalation.{receiver.__name__}")
