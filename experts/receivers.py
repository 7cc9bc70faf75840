"""experts' reactions to community's domain events (community/events.py).

Every receiver runs inside the community service's transaction (which holds the thread row),
so what it writes commits or rolls back with the change it reacts to.
"""

from __future__ import annotations

from community import events
from community.models import Thread
from experts import services


def on_answer_posted(sender, *, answer, **kwargs) -> None:
    if not answer.is_official:
        services.record_expert_answer(answer=answer)


def on_solution_accepted(sender, *, thread, answer, **kwargs) -> None:
    services.record_solution(thread=thread, answer=answer)


def on_question_edited(sender, *, thread, became_private: bool = False, **kwargs) -> None:
    if became_private:
        services.withdraw_offer(thread_id=thread.pk)


def on_thread_gone(sender, *, post, **kwargs) -> None:
    if isinstance(post, Thread):
        services.withdraw_offer(thread_id=post.pk)


def connect() -> None:
    pairs = [
        (events.question_edited, on_question_edited),
        (events.post_deleted, on_thread_gone),
        (events.post_removed, on_thread_gone),
        (events.answer_posted, on_answer_posted),
        (events.solution_accepted, on_solution_accepted),
    ]
    for signal, receiver in pairs:
        signal.connect(receiver, dispatch_uid=f"experts.{receiver.__name__}")
