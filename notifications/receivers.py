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


def on_answer_edited(sender, *, answer, mentioned=(), **kwargs) -> None:
    _tell_mentioned(
        mentioned, {answer.author_id}, thread=answer.thread, answer=answer, actor=answer.author,
        where="an answer to",
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


# --- experts -----------------------------------------------------------------------------------


def _money(amount, currency) -> str:
    return f"{amount:.2f} {currency}"


def _staff_members():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("pk")


def on_offer_made(sender, *, offer, experts, **kwargs) -> None:
    """Each approved expert of the category, best quality score first (the order given)."""
    from django.utils import timezone

    thread = offer.thread
    ends = timezone.localtime(offer.window_ends_at)
    for expert in experts:
        services.notify(
            recipient=expert.user,
            kind=Kind.EXPERT_OFFER,
            thread=thread,
            text=f"Paid question for {_money(offer.fee, offer.currency)}: “{_title(thread)}”. "
            f"Claim it before {ends:%H:%M}.",
            data={"subject": f"A paid question is offered to you: {_title(thread)}", "offer_id": offer.pk},
        )


def on_expert_applied(sender, *, expert, **kwargs) -> None:
    from django.urls import reverse

    for member in _staff_members():
        services.notify(
            recipient=member,
            kind=Kind.EXPERTS_STAFF,
            actor=expert.user,
            text=f"{expert.user.name} applied to be a community expert.",
            data={"url": reverse("experts:staff_expert", kwargs={"pk": expert.pk})},
        )


def on_expertise_decided(sender, *, expert, expertise, actor=None, **kwargs) -> None:
    from django.urls import reverse

    if expertise.status == "approved":
        text = f"You are now a community expert for {expertise.category.name}. Paid questions there will be offered to you."
    else:
        text = f"Your expert application for {expertise.category.name} was not accepted: {expertise.reason}"
    services.notify(
        recipient=expert.user, kind=Kind.EXPERT, actor=actor, text=text,
        data={"url": reverse("experts:dashboard")},
    )


def on_expert_suspended(sender, *, expert, actor=None, automatic=False, **kwargs) -> None:
    from django.urls import reverse

    services.notify(
        recipient=expert.user, kind=Kind.EXPERT, actor=actor,
        text=f"Your community expert status is suspended: {expert.status_reason}",
        data={"url": reverse("experts:dashboard")},
    )
    if automatic:
        for member in _staff_members():
            services.notify(
                recipient=member, kind=Kind.EXPERTS_STAFF,
                text=f"{expert.user.name} was suspended automatically: {expert.status_reason}",
                data={"url": reverse("experts:staff_expert", kwargs={"pk": expert.pk})},
            )


def on_expert_reinstated(sender, *, expert, actor=None, **kwargs) -> None:
    from django.urls import reverse

    services.notify(
        recipient=expert.user, kind=Kind.EXPERT, actor=actor,
        text="Your community expert status is active again.", data={"url": reverse("experts:dashboard")},
    )


def on_fee_earned(sender, *, entry, **kwargs) -> None:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    member = get_user_model().objects.filter(expert__pk=entry.expert_id).first()
    services.notify(
        recipient=member, kind=Kind.EXPERT,
        text=f"You earned {_money(entry.amount, entry.currency)}: {entry.note}",
        data={"url": reverse("experts:earnings")},
    )


def on_batch_paid(sender, *, batch, totals, **kwargs) -> None:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    members = {m.expert.pk: m for m in get_user_model().objects.filter(expert__pk__in=list(totals)).select_related("expert")}
    for expert_id, amount in totals.items():
        services.notify(
            recipient=members.get(expert_id), kind=Kind.EXPERT,
            text=f"{_money(amount, batch.currency)} of your expert earnings was paid out.",
            data={"url": reverse("experts:earnings")},
        )


def on_session_requested(sender, *, session, **kwargs) -> None:
    """Experts who could take it: the session's category, and its area when in person."""
    from experts.models import Expert

    area = f" in {session.service_area.name}" if session.service_area_id else " (remote)"
    experts = Expert.objects.approved_for(session.category_id).exclude(user_id=session.customer_id).select_related("user")
    if session.service_area_id:
        experts = experts.filter(service_areas=session.service_area_id)
    for expert in experts.by_quality().distinct():
        services.notify(
            recipient=expert.user, kind=Kind.EXPERT_OFFER,
            text=f"Session request{area}: {session.service.name}, {_money(session.expert_fee, session.currency)} for you.",
            data={"url": session.get_absolute_url(), "subject": f"A session request: {session.service.name}"},
        )


SESSION_TEXTS = {
    "accepted": ("customer", "{expert} accepted your session “{service}” and proposed a time: please confirm it."),
    "confirmed": ("expert", "{customer} confirmed the time of the session “{service}”."),
    "checked_in": ("customer", "{expert} checked in to your session “{service}”."),
    "checked_out": ("customer", "{expert} finished your session “{service}”: please sign it off and rate it."),
    "signed_off": ("expert", "{customer} signed off the session “{service}” and rated it {rating}/5."),
    "disputed": ("expert", "{customer} disputed the session “{service}”; our staff will look into it."),
    "cancelled": ("expert", "{customer} cancelled the session “{service}”."),
}


def on_session_changed(sender, *, session, actor=None, event: str = "", **kwargs) -> None:
    if event not in SESSION_TEXTS:
        return
    who, text = SESSION_TEXTS[event]
    expert_user = session.expert.user if session.expert_id else None
    recipient = session.customer if who == "customer" else expert_user
    services.notify(
        recipient=recipient, kind=Kind.SESSION, actor=actor,
        text=text.format(
            expert=expert_user.name if expert_user else "The expert", customer=session.customer.name,
            service=session.service.name, rating=session.rating or "",
        ),
        data={"url": session.get_absolute_url()},
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
    from experts import events as experts_events
    from kudos import events as kudos_events

    pairs = [
        (community_events.answer_posted, on_answer_posted),
        (community_events.question_asked, on_question_asked),
        (community_events.comment_posted, on_comment_posted),
        (community_events.answer_edited, on_answer_edited),
        (community_events.comment_edited, on_comment_edited),
        (community_events.solution_accepted, on_solution_accepted),
        (community_events.answer_upvoted, on_answer_upvoted),
        (community_events.question_edited, on_question_edited),
        (kudos_events.rank_reached, on_rank_reached),
        (escalation_events.staff_replied, on_staff_replied),
        (escalation_events.ticket_status_changed, on_ticket_status_changed),
        (escalation_events.new_tickets_swept, on_new_tickets_swept),
        (experts_events.offer_made, on_offer_made),
        (experts_events.expert_applied, on_expert_applied),
        (experts_events.expertise_decided, on_expertise_decided),
        (experts_events.expert_suspended, on_expert_suspended),
        (experts_events.expert_reinstated, on_expert_reinstated),
        (experts_events.fee_earned, on_fee_earned),
        (experts_events.batch_paid, on_batch_paid),
        (experts_events.session_requested, on_session_requested),
        (experts_events.session_changed, on_session_changed),
        (user_logged_in, on_user_logged_in),
    ]
    for signal, receiver in pairs:
        signal.connect(receiver, dispatch_uid=f"notifications.{receiver.__name__}")
