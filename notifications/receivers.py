"""notifications' reactions to the domain events of community, kudos and escalation.

Every receiver runs inside the transaction of the service that sent the event, so the
Notification rows commit or roll back with it; emails are queued after commit by
notifications.services.notify. Nobody is told about their own action, and nobody is told about
a thread they may not see (notify checks; a thread that becomes private hides what others had).
"""

from __future__ import annotations

from community import selectors
from notifications import services
from notifications.models import Kind


def _title(thread) -> str:
    return thread.title if len(thread.title) <= 120 else thread.title[:119] + "…"


# --- community ---------------------------------------------------------------------------------


def on_answer_posted(sender, *, answer, mentioned=(), **kwargs) -> None:
    thread = answer.thread
    if not answer.is_official:
        # An official answer: escalation.events.staff_replied tells the asker, with the answer.
        services.notify(
            recipient=thread.author,
            kind=Kind.ANSWER,
            thread=thread,
            answer=answer,
            actor=answer.author,
            text=f"{answer.author.name} answered your question “{_title(thread)}”.",
        )
    told = {thread.author_id, answer.author_id}
    _tell_mentioned(mentioned, told, thread=thread, answer=answer, actor=answer.author, where="an answer to")
    _tell_followers(
        selectors.thread_follower_ids(thread),
        told,
        thread=thread,
        answer=answer,
        actor=answer.author,
        text=f"{answer.author.name} answered “{_title(thread)}”, a question you follow.",
        via="thread",
    )


# --- Conversation: comments, mentions, follows -------------------------------------------------
# Each member hears of one event once, by the most specific kind that applies: a mention, then
# a comment on their own post or in a conversation they took part in, then a follow. notify()
# refuses anyone who may not see the thread, so a mention or a follow of a private thread
# reaches nobody but its author and staff.


def _members(ids) -> dict:
    from django.contrib.auth import get_user_model

    ids = [i for i in ids if i]
    if not ids:
        return {}
    return {u.pk: u for u in get_user_model().objects.filter(pk__in=ids, is_active=True)}


def _tell_mentioned(mentioned, told: set, *, thread, actor, where: str, answer=None, comment=None) -> None:
    for member in mentioned:
        if member.pk in told:
            continue
        told.add(member.pk)
        services.notify(
            recipient=member,
            kind=Kind.MENTION,
            thread=thread,
            answer=answer,
            comment=comment,
            actor=actor,
            text=f"{actor.name} mentioned you in {where} “{_title(thread)}”.",
        )


def _tell_followers(ids, told: set, *, thread, actor, text: str, via: str, answer=None, comment=None) -> None:
    ids = [i for i in ids if i not in told]
    members = _members(ids)
    for user_id in ids:
        told.add(user_id)
        services.notify(
            recipient=members.get(user_id),
            kind=Kind.FOLLOWED,
            thread=thread,
            answer=answer,
            comment=comment,
            actor=actor,
            text=text,
            data={"via": via},
        )


def on_question_asked(sender, *, thread, **kwargs) -> None:
    """Followers of the category or a tag hear of a new (public) question."""
    followers = selectors.topic_followers(thread)
    told = {thread.author_id}
    for via in ("category", "tag"):
        where = thread.category.name if via == "category" else "a tag you follow"
        _tell_followers(
            [user_id for user_id, how in followers.items() if how == via],
            told,
            thread=thread,
            actor=thread.author,
            text=f"New question in {where}: “{_title(thread)}”.",
            via=via,
        )


def on_comment_posted(sender, *, comment, mentioned=(), **kwargs) -> None:
    thread, answer, actor = comment.thread, comment.answer, comment.author
    told = {actor.pk}
    where = "a comment on" if answer is None else "a comment on an answer to"
    _tell_mentioned(mentioned, told, thread=thread, actor=actor, where=where, answer=answer, comment=comment)
    post_author_id = answer.author_id if answer is not None else thread.author_id
    what = "your answer to" if answer is not None else "your question"
    direct = [post_author_id] + selectors.conversation_member_ids(comment)
    members = _members([i for i in direct if i not in told])
    for user_id in direct:
        if user_id in told:
            continue
        told.add(user_id)
        if user_id == post_author_id:
            text = f"{actor.name} commented on {what} “{_title(thread)}”."
        else:
            text = f"{actor.name} replied in a conversation you're in on “{_title(thread)}”."
        services.notify(
            recipient=members.get(user_id),
            kind=Kind.COMMENT,
            thread=thread,
            answer=answer,
            comment=comment,
            actor=actor,
            text=text,
        )
    _tell_followers(
        selectors.thread_follower_ids(thread),
        told,
        thread=thread,
        answer=answer,
        comment=comment,
        actor=actor,
        text=f"{actor.name} commented on “{_title(thread)}”, a question you follow.",
        via="thread",
    )


def on_comment_edited(sender, *, comment, mentioned=(), **kwargs) -> None:
    where = "a comment on" if comment.answer_id is None else "a comment on an answer to"
    _tell_mentioned(
        mentioned, {comment.author_id}, thread=comment.thread, actor=comment.author, where=where,
        answer=comment.answer, comment=comment,
    )


def on_solution_accepted(sender, *, thread, answer, accepted_by=None, **kwargs) -> None:
    if answer.author_id == thread.author_id:
        return  # the asker's own answer: nobody else to tell
    services.notify(
        recipient=answer.author,
        kind=Kind.ACCEPTED,
        thread=thread,
        answer=answer,
        actor=accepted_by,
        text=f"Your answer to “{_title(thread)}” was accepted as the solution.",
    )


def on_answer_upvoted(sender, *, answer, voter, **kwargs) -> None:
    if answer.is_deleted or answer.is_hidden:
        return
    thread = answer.thread
    services.notify(
        recipient=answer.author,
        kind=Kind.UPVOTED,
        thread=thread,
        answer=answer,
        actor=voter,
        group_key=f"upvoted:answer:{answer.pk}",
        text=f"Your answer to “{_title(thread)}” helped someone.",
        grouped_text=f"Your answer to “{_title(thread)}” helped " + "{count} people.",
    )


def on_question_edited(sender, *, thread, became_private: bool = False, **kwargs) -> None:
    if became_private:
        services.hide_from_outsiders(thread=thread)


# --- kudos -------------------------------------------------------------------------------------


def on_rank_reached(sender, *, notice, rank=None, **kwargs) -> None:
    from django.contrib.auth import get_user_model

    member = get_user_model().objects.filter(pk=notice.user_id).first()
    services.notify(
        recipient=member,
        kind=Kind.RANK,
        text=f"You reached the rank “{notice.rank_name}”. Thank you for helping others!",
        data={"rank_name": notice.rank_name, "rank_description": getattr(rank, "description", "") or ""},
    )


# --- escalation --------------------------------------------------------------------------------


def on_staff_replied(sender, *, answer, ticket=None, **kwargs) -> None:
    thread = answer.thread
    services.notify(
        recipient=thread.author,
        kind=Kind.SUPPORT,
        thread=thread,
        answer=answer,
        actor=answer.author,
        text=f"Our support team answered your question “{_title(thread)}”.",
        data={"event": "reply"},
    )


STATUS_TEXTS = {
    "resolved": "Our support team marked your question “{title}” resolved.",
    "redirected": "Our support team sent your question “{title}” to {channel}: see the next steps.",
    "reopened": "Your question “{title}” is back with our support team.",
}


def on_ticket_status_changed(sender, *, ticket, previous_status=None, actor=None, **kwargs) -> None:
    from escalation.models import Ticket

    if ticket.reason == Ticket.Reason.FLAGGED:
        return  # a flag review is moderation, not help the asker asked for
    if ticket.status == Ticket.Status.REDIRECTED:
        event = "redirected"
    elif ticket.status == Ticket.Status.RESOLVED:
        event = "resolved"
    elif ticket.is_active and previous_status not in Ticket.ACTIVE_STATUSES:
        event = "reopened"
    else:
        return
    thread = ticket.thread
    channel = ticket.channel if event == "redirected" else None
    services.notify(
        recipient=thread.author,
        kind=Kind.SUPPORT,
        thread=thread,
        actor=actor,
        text=STATUS_TEXTS[event].format(title=_title(thread), channel=channel.name if channel else ""),
        data={"event": event, "ticket_id": ticket.pk, "channel_id": channel.pk if channel else None},
    )


def on_new_tickets_swept(sender, *, ticket_ids, **kwargs) -> None:
    from django.contrib.auth import get_user_model

    count = len(ticket_ids)
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).order_by("pk")
    for member in staff:
        services.notify(
            recipient=member,
            kind=Kind.NEW_TICKETS,
            text=f"{count} new ticket{'s' if count != 1 else ''} in the support queue.",
            data={"ticket_ids": list(ticket_ids)},
        )


# --- accounts ----------------------------------------------------------------------------------


def on_user_logged_in(sender, *, user, **kwargs) -> None:
    """Count the member's unread notifications at sign-in, so their pages read the bell from
    the cache from the first one on."""
    services.unread_count(user)


def connect() -> None:
    from django.contrib.auth.signals import user_logged_in

    from community import events as community_events
    from escalation import events as escalation_events
    from kudos import events as kudos_events

    pairs = [
        (community_events.answer_posted, on_answer_posted),
        (community_events.question_asked, on_question_asked),
        (community_events.comment_posted, on_comment_posted),
        (community_events.comment_edited, on_comment_edited),
        (community_events.solution_accepted, on_solution_accepted),
        (community_events.answer_upvoted, on_answer_upvoted),
        (community_events.question_edited, on_question_edited),
        (kudos_events.rank_reached, on_rank_reached),
        (escalation_events.staff_replied, on_staff_replied),
        (escalation_events.ticket_status_changed, on_ticket_status_changed),
        (escalation_events.new_tickets_swept, on_new_tickets_swept),
        (user_logged_in, on_user_logged_in),
    ]
    for signal, receiver in pairs:
        signal.connect(receiver, dispatch_uid=f"notifications.{receiver.__name__}")
