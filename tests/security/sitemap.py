"""Every URL of the site, walked from the URL conf, with who may open it.

The access, CSRF and XSS tests build their requests from here, so a new URL is covered the
moment it is added to ROUTES; a URL pattern that is in neither ROUTES, nor allauth's pages,
nor the admin fails tests/security/test_access.py::test_every_url_pattern_is_covered.

To cover a new URL add an entry to ROUTES: its name, how to fill its arguments from the World
(the objects every security test builds) and its audience:

- "public": anyone may GET it.
- "member": signed-in members (anonymous visitors are sent to sign in).
- "owner": a private thread's author and staff; everyone else gets 404.
- "staff": staff only (404 or 403 for everyone else).
- "manager": community managers (and superusers) only: anonymous visitors are sent to sign in,
  every other role gets 403.
- "action": POST only; a GET is refused with 405 (or sends an anonymous visitor to sign in).
  ``outsiders`` are the roles that must be refused a POST (404, 403 or sign-in), changing
  nothing in the database; edit pages take them too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from django.urls import URLPattern, URLResolver, get_resolver

# Texts that only the private thread's author and staff may ever see.
PRIVATE_TITLE = "Zanzibar quokka plan was charged twice"
PRIVATE_BODY = "My marmalade walrus subscription renewed on the wrong card."
PRIVATE_ANSWER = "We refunded the pelican sorbet charge to your card."
PRIVATE_TAG = "walrusbilling"
# Staff-only: the asker must not see it either.
INTERNAL_NOTE = "Internal okapi note: customer is on the legacy plan."
# An in-person session's address: the customer (asker), the expert who accepts and staff only.
SESSION_ADDRESS = "17 Quokka Lane, flat 3"
PRIVATE_TEXTS = (PRIVATE_TITLE, "marmalade walrus", "pelican sorbet", "Quokka Lane")
STAFF_TEXTS = ("okapi note",)


@dataclass
class World:
    category: Any
    asker: Any  # a customer who asked a private question and answered a public one
    other: Any  # another customer, who asked the public question
    staff: Any
    admin: Any
    public_thread: Any
    public_answer: Any
    private_thread: Any
    private_answer: Any  # staff's official answer on the private thread
    ticket: Any
    note: Any
    channel: Any
    api_token: Any = None  # the asker's personal API token (issue 17)
    manager: Any = None  # a customer in the "Community managers" group (console)
    # The experts tier (experts/): an approved expert (not a walked role), their paid answer on
    # a public thread other asked (claim), the asker's in-person session, a payout batch.
    expert: Any = None
    claim: Any = None
    session: Any = None
    batch: Any = None
    public_comment: Any = None  # asker's comment under their public answer, flagged by other
    private_comment: Any = None  # asker's comment under their private question

    # Screenshots: on the public thread, on the private one, and the asker's pending upload.
    public_image: Any = None
    private_image: Any = None
    pending_image: Any = None
    macro: Any = None  # a saved reply staff shared

    def user(self, role: str):
        return None if role == "anonymous" else getattr(self, role)


ROLES = ("anonymous", "asker", "other", "staff", "admin", "manager")
OUTSIDERS = ("anonymous", "other")  # neither the private thread's author nor staff


def build_world() -> World:
    """The objects the security tests need, made through the real services (so every app's
    receivers ran: the private thread has its ticket, points were credited, emails sent)."""
    from community import moderation, services
    from escalation.models import Channel, Ticket
    from escalation.tickets import add_ticket_note, answer_ticket, claim_ticket
    from tests.factories import AdminFactory, CategoryFactory, StaffFactory, UserFactory

    category = CategoryFactory(name="Billing", slug="billing")
    asker = UserFactory(username="asker", display_name="Asker")
    other = UserFactory(username="other", display_name="Other")
    staff = StaffFactory(username="staffer", display_name="Staffer")
    admin = AdminFactory(username="boss", display_name="Boss")
    public_image = services.upload_image(user=other, data=_png(), name="calendar.png")
    private_image = services.upload_image(user=asker, data=_png(), name="invoice.png")
    pending_image = services.upload_image(user=asker, data=_png(), name="draft.png")
    public_thread = services.ask_question(
        author=other,
        category=category,
        title="Calendar sync stops after the update",
        body=f"Since 4.2 my calendar does not sync.\n\n![calendar]({public_image.get_absolute_url()})",
        tags="sync",
    )
    public_answer = services.post_answer(author=asker, thread=public_thread, body="Sign out and in again.")
    services.upvote_answer(user=other, answer=public_answer)
    private_thread = services.ask_question(
        author=asker,
        category=category,
        title=PRIVATE_TITLE,
        body=f"{PRIVATE_BODY}\n\n![invoice]({private_image.get_absolute_url()})",
        tags=PRIVATE_TAG,
        is_private=True,
    )
    ticket = Ticket.objects.get(thread=private_thread)
    claim_ticket(ticket_id=ticket.pk, staff=staff)
    note = add_ticket_note(ticket_id=ticket.pk, staff=staff, body=INTERNAL_NOTE)
    private_answer = answer_ticket(ticket_id=ticket.pk, staff=staff, body=PRIVATE_ANSWER)
    from community.models import Flag

    moderation.flag_post(user=other, post=public_answer, reason=Flag.Reason.values[0], note="Looks off")
    channel = Channel.objects.create(name="Billing desk", instructions="Write to billing.", link="https://example.com")
    from tests.accounts.sso.apps import make_sso_apps

    make_sso_apps()  # the company's OpenID Connect and SAML identity providers (issue 17)
    from api.services import create_token

    api_token, _clear = create_token(user=asker, name="Asker's script", scopes=["read", "write"])

    from django.contrib.auth.models import Group

    manager = UserFactory(username="keeper", display_name="Keeper")
    manager.groups.add(Group.objects.get(name="Community managers"))
    # --- Conversation (comments, follows)
    public_comment = services.post_comment(
        author=asker, thread=public_thread, answer=public_answer, body="Which version are you on, @other?"
    )
    private_comment = services.post_comment(
        author=asker, thread=private_thread, body="The marmalade walrus charge shows twice, @other."
    )
    # In the staff queue next to the flagged answer.
    moderation.flag_post(user=other, post=public_comment, reason=Flag.Reason.values[0], note="Rude")
    services.follow(user=other, category=category)
    from escalation.macros import create_macro

    macro = create_macro(staff=staff, title="Refund on its way", body="Hi {asker_name}, the refund is on its way.",
                         shared=True)
    expert, claim, session, batch = _build_experts_world(category, asker=asker, other=other, staff=staff)
    return World(
        manager=manager,
        expert=expert,
        claim=claim,
        session=session,
        batch=batch,
        macro=macro,
        category=category,
        asker=asker,
        other=other,
        staff=staff,
        admin=admin,
        public_thread=public_thread,
        public_answer=public_answer,
        private_thread=private_thread,
        private_answer=private_answer,
        ticket=ticket,
        note=note,
        channel=channel,
        api_token=api_token,
        public_comment=public_comment,
        private_comment=private_comment,
        public_image=public_image,
        private_image=private_image,
        pending_image=pending_image,
    )


def _build_experts_world(category, *, asker, other, staff):
    """An approved expert in the category, who answered a public question of other's (accepted:
    a paid answer with its fee in a payout batch), and an in-person session the asker booked."""
    from decimal import Decimal

    from community import services
    from experts import services as experts
    from experts.models import CategoryProgramme, ExpertSettings, Expertise, Service, ServiceArea
    from tests.factories import UserFactory

    ExpertSettings.objects.update_or_create(pk=1, defaults={"probation_answers": 0, "minimum_payout": Decimal("5")})
    CategoryProgramme.objects.create(category=category, fee=Decimal("15.00"), currency="EUR")
    area = ServiceArea.objects.create(name="Harbour district")
    expert = experts.apply_as_expert(
        user=UserFactory(username="sage", display_name="Sage"), categories=[category],
        motivation="I have run billing desks for years.", availability="Weekday evenings", service_areas=[area],
    )
    experts.approve_expertise(staff=staff, expertise_id=Expertise.objects.get(expert=expert).pk)
    thread = services.ask_question(
        author=other, category=category, title="Invoice PDF shows the old company name",
        body="The invoice still shows our old name after the change.",
    )
    offer = experts.offer_thread(thread=thread)
    claim = experts.claim_offer(user=expert.user, offer_id=offer.pk)
    answer = services.post_answer(author=expert.user, thread=thread, body="Edit the name under Billing profile.")
    services.accept_answer(user=other, answer=answer)
    claim.refresh_from_db()
    batch = experts.create_payout_batch(staff=staff)
    service = Service.objects.create(
        name="Sort out your billing settings", category=category, price=Decimal("40.00"),
        expert_fee=Decimal("30.00"), currency="EUR",
    )
    session = experts.request_session(
        customer=asker, service=service, mode="in_person", service_area=area, address=SESSION_ADDRESS,
        preferred_times="Saturday morning",
    )
    expert.refresh_from_db()
    return expert, claim, session, batch


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class Variant:
    kwargs: Callable[[World], dict]
    audience: str
    query: str = ""
    outsiders: tuple = ()  # who must be refused a POST, changing nothing
    # On a public post an outsider may be sent back to it with a message instead of a 403.
    refused_with_redirect: bool = False
    expect: dict = field(default_factory=dict)  # role -> allowed GET statuses, overriding the audience's


P = lambda w: {"pk": w.public_thread.pk}  # noqa: E731
Q = lambda w: {"pk": w.private_thread.pk}  # noqa: E731
PA = lambda w: {"pk": w.public_answer.pk}  # noqa: E731
QA = lambda w: {"pk": w.private_answer.pk}  # noqa: E731
T = lambda w: {"pk": w.ticket.pk}  # noqa: E731
PC = lambda w: {"pk": w.public_comment.pk}  # noqa: E731
QC = lambda w: {"pk": w.private_comment.pk}  # noqa: E731
NONE = lambda w: {}  # noqa: E731
SESSION = lambda w: {"pk": w.session.pk}  # noqa: E731
EXPERT = lambda w: {"pk": w.expert.pk}  # noqa: E731
EXPERTISE = lambda w: {"pk": w.expert.expertise.get().pk}  # noqa: E731
PRIVATE = ("anonymous", "other")
NOT_STAFF = ("anonymous", "asker", "other", "manager")
NOT_MANAGER = ("anonymous", "asker", "other", "staff")

def _rank_pk(top: bool = False) -> int:
    from kudos.models import Rank

    return Rank.objects.order_by("-min_points" if top else "min_points").values_list("pk", flat=True)[0 if top else 1]


def _credit_of(user) -> int:
    from kudos.models import LedgerEntry

    return LedgerEntry.objects.filter(recipient=user, reversal_of__isnull=True).values_list("pk", flat=True)[0]


def _notification_of(user) -> int:
    from notifications.models import Notification

    notification = Notification.objects.filter(recipient=user).order_by("pk").first()
    assert notification is not None, f"the world gives {user} a notification"
    return notification.pk


def _unsubscribe_token(user) -> str:
    from notifications.models import Kind
    from notifications.services import unsubscribe_token

    return unsubscribe_token(user_id=user.pk, kind=Kind.values[0])


def _unfollow_token(user, thread) -> str:
    from notifications.services import unfollow_token

    return unfollow_token(user_id=user.pk, thread_id=thread.pk)


ROUTES: dict[str, list[Variant]] = {
    # --- community
    # --- the site itself
    "favicon": [Variant(NONE, "public", expect={r: {301} for r in ROLES})],
    "community:home": [Variant(NONE, "public"), Variant(NONE, "public", query="show=unanswered&sort=new")],
    "community:thread": [
        Variant(lambda w: {"pk": w.public_thread.pk, "slug": w.public_thread.slug}, "public"),
        Variant(lambda w: {"pk": w.private_thread.pk, "slug": w.private_thread.slug}, "owner"),
    ],
    "community:thread_short": [
        Variant(P, "public", expect={r: {301} for r in ROLES}),
        Variant(Q, "owner", expect={"asker": {301}, "staff": {301}, "admin": {301}}),
    ],
    "community:ask": [Variant(NONE, "member")],
    "community:preview": [Variant(NONE, "action")],
    "community:answer": [Variant(P, "action"), Variant(Q, "action", outsiders=PRIVATE)],
    "community:me_too": [Variant(P, "action"), Variant(Q, "action", outsiders=PRIVATE)],
    "community:still_need_help": [Variant(Q, "action", outsiders=PRIVATE)],
    "community:edit_question": [
        Variant(P, "member", expect={"asker": {403}, "manager": {403}}),  # the public thread is other's
        Variant(Q, "owner", outsiders=PRIVATE),
    ],
    "community:delete_question": [Variant(P, "action", outsiders=("anonymous", "asker"), refused_with_redirect=True), Variant(Q, "action", outsiders=PRIVATE)],
    "community:retag": [
        Variant(P, "member", expect={"asker": {403}, "manager": {403}}),  # the public thread is other's; New member may not retag
        Variant(Q, "owner", outsiders=PRIVATE),
    ],
    "community:vote": [Variant(PA, "action"), Variant(QA, "action", outsiders=PRIVATE)],
    "community:accept": [Variant(PA, "action", outsiders=("anonymous", "asker"), refused_with_redirect=True), Variant(QA, "action", outsiders=PRIVATE)],
    "community:edit_answer": [
        Variant(PA, "member", expect={"other": {403}, "manager": {403}}),  # the public answer is asker's
        Variant(QA, "owner", expect={"asker": {403}}, outsiders=("anonymous", "asker", "other")),
    ],
    "community:delete_answer": [Variant(PA, "action", outsiders=("anonymous", "other"), refused_with_redirect=True), Variant(QA, "action", outsiders=PRIVATE)],
    # GET: the flag form (fetched by "Flag this …", or its own page without JavaScript); one's
    # own post can't be flagged (403). POST flags.
    "community:flag_thread": [
        Variant(P, "member", expect={"other": {403}}),
        Variant(Q, "owner", outsiders=PRIVATE, expect={"asker": {403}}),
    ],
    "community:flag_answer": [
        Variant(PA, "member", expect={"asker": {403}}),
        Variant(QA, "owner", outsiders=PRIVATE, expect={"staff": {403}}),
    ],
    # GET is the flag page (htmx: the flag box); both comments are the asker's, who may not flag them.
    "community:flag_comment": [
        Variant(PC, "member", outsiders=("anonymous", "asker"), expect={"asker": {403}}),
        Variant(QC, "owner", outsiders=PRIVATE, expect={"asker": {403}}),
    ],
    "community:similar": [Variant(NONE, "public", query="title=Zanzibar+quokka+plan+charged")],
    "community:search": [
        # One word each, so the echoed query is not itself the private text looked for.
        Variant(NONE, "public", query="q=Zanzibar+quokka"),
        Variant(NONE, "public", query="q=marmalade"),
        Variant(NONE, "public", query="q=pelican"),
        Variant(NONE, "public", query="q=walrus&category=billing"),
        # Typos of private words: corrections come from listed threads only.
        Variant(NONE, "public", query="q=marmelade+walrys&sort=new&date=week&tag=walrusbilling"),
        Variant(NONE, "public", query="q=pelicam+sorbett&sort=helpful&solved=no"),
    ],
    "community:search_suggest": [
        Variant(NONE, "public", query="q=calender+sync"),
        Variant(NONE, "public", query="q=marmelade+walrus"),
        Variant(NONE, "public", query="q=Zanzibar+quokka+plan"),
    ],
    "community:category": [Variant(lambda w: {"slug": w.category.slug}, "public")],
    "community:tags": [Variant(NONE, "public")],
    "community:tag": [
        Variant(lambda w: {"tag": "sync"}, "public"),
        # A tag used only on the private thread does not exist for anyone (404, like no tag).
        Variant(lambda w: {"tag": PRIVATE_TAG}, "public", expect={r: {404} for r in ROLES}),
    ],
    "community:moderation": [Variant(NONE, "staff")],
    "community:restore_flagged": [
        Variant(lambda w: {"kind": "answer", "pk": w.public_answer.pk}, "action", outsiders=NOT_STAFF),
        Variant(lambda w: {"kind": "comment", "pk": w.public_comment.pk}, "action", outsiders=NOT_STAFF),
    ],
    "community:remove_flagged": [
        Variant(lambda w: {"kind": "answer", "pk": w.public_answer.pk}, "action", outsiders=NOT_STAFF),
        Variant(lambda w: {"kind": "thread", "pk": w.private_thread.pk}, "action", outsiders=NOT_STAFF),
        Variant(lambda w: {"kind": "comment", "pk": w.public_comment.pk}, "action", outsiders=NOT_STAFF),
        Variant(lambda w: {"kind": "comment", "pk": w.private_comment.pk}, "action", outsiders=NOT_STAFF),
    ],
    # --- community: images and the editor (issue 15)
    "community:upload_image": [Variant(NONE, "action")],
    "community:validate_field": [Variant(NONE, "action")],
    "community:image": [
        Variant(lambda w: {"key": w.public_image.key, "name": w.public_image.name}, "public"),
        Variant(lambda w: {"key": w.private_image.key, "name": w.private_image.name}, "owner"),
        # A pending upload (in no post yet): its uploader only, not even staff.
        Variant(
            lambda w: {"key": w.pending_image.key, "name": w.pending_image.name},
            "owner",
            expect={"asker": {200}, "staff": {404}, "admin": {404}, "anonymous": {404}},
        ),
    ],
    "accounts:browser_time_zone": [Variant(NONE, "action")],
    # --- accounts
    "accounts:profile": [
        Variant(lambda w: {"username": w.asker.username}, "public"),
        Variant(lambda w: {"username": w.staff.username}, "public"),
    ],
    "accounts:edit_profile": [Variant(NONE, "member")],
    # --- kudos
    "kudos:leaderboard": [Variant(NONE, "public"), Variant(NONE, "public", query="period=30d")],
    "kudos:ranks_css": [Variant(NONE, "public")],
    "kudos:award": [Variant(NONE, "staff")],
    "kudos_staff:voting_rings": [Variant(NONE, "staff")],
    "kudos_staff:reverse_ring": [Variant(NONE, "action", outsiders=NOT_STAFF)],
    # --- escalation (the staff pages)
    "escalation:queue": [Variant(NONE, "staff"), Variant(NONE, "staff", query="status=")],
    "escalation:bulk": [Variant(NONE, "action", outsiders=NOT_STAFF)],
    "escalation:macros": [Variant(NONE, "staff")],
    "escalation:macro_new": [Variant(NONE, "staff")],
    "escalation:macro_edit": [Variant(lambda w: {"pk": w.macro.pk}, "staff")],
    "escalation:macro_delete": [Variant(lambda w: {"pk": w.macro.pk}, "action", outsiders=NOT_STAFF)],
    "escalation:ticket": [Variant(T, "staff")],
    "escalation:claim": [Variant(T, "action", outsiders=NOT_STAFF)],
    "escalation:note": [Variant(T, "action", outsiders=NOT_STAFF)],
    "escalation:answer": [Variant(T, "action", outsiders=NOT_STAFF)],
    "escalation:redirect": [Variant(T, "action", outsiders=NOT_STAFF)],
    "escalation:resolve": [Variant(T, "action", outsiders=NOT_STAFF)],
    "escalation:reopen": [Variant(T, "action", outsiders=NOT_STAFF)],
    # --- notifications
    "notifications:list": [Variant(NONE, "member")],
    "notifications:read": [Variant(lambda w: {"pk": _notification_of(w.asker)}, "action", outsiders=PRIVATE)],
    "notifications:read_all": [Variant(NONE, "action")],
    "notifications:dropdown": [Variant(NONE, "member")],
    "notifications:unsubscribe": [
        Variant(lambda w: {"token": _unsubscribe_token(w.asker)}, "public"),
        Variant(lambda w: {"token": "not-a-signed-token"}, "public", expect={r: {400} for r in ROLES}),
    ],
    "notifications:settings": [Variant(NONE, "member")],
    "notifications:unfollow": [
        Variant(lambda w: {"token": _unfollow_token(w.other, w.public_thread)}, "public"),
        # The token names the private thread, but its page never shows its title to outsiders.
        Variant(lambda w: {"token": _unfollow_token(w.other, w.private_thread)}, "public"),
        Variant(lambda w: {"token": "not-a-signed-token"}, "public", expect={r: {400} for r in ROLES}),
    ],
    # --- Conversation: comments, following, @mentions, live thread pages
    "community:thread_live": [
        Variant(P, "public", query="v=0&a=0&c=0"),
        Variant(Q, "owner", query="v=0&a=0&c=0"),
    ],
    "community:thread_refresh": [Variant(P, "public"), Variant(Q, "owner")],
    # GET: the empty comment form ("Add a comment", or its own page); POST comments.
    "community:comment_thread": [Variant(P, "member"), Variant(Q, "owner", outsiders=PRIVATE)],
    "community:comment_answer": [Variant(PA, "member"), Variant(QA, "owner", outsiders=PRIVATE)],
    "community:edit_comment": [
        Variant(PC, "member", expect={"other": {403}, "manager": {403}}),  # the public comment is asker's
        Variant(QC, "owner", outsiders=PRIVATE),
    ],
    "community:delete_comment": [
        Variant(PC, "action", outsiders=("anonymous", "other"), refused_with_redirect=True),
        Variant(QC, "action", outsiders=PRIVATE),
    ],
    "community:follow_thread": [Variant(P, "action"), Variant(Q, "action", outsiders=PRIVATE)],
    "community:follow_category": [Variant(lambda w: {"slug": w.category.slug}, "action")],
    "community:follow_tag": [Variant(lambda w: {"tag": "sync"}, "action")],
    "community:mention_suggestions": [Variant(NONE, "member", query="q=ot"), Variant(NONE, "member", query="q=%40as")],
    # --- reports (the deflection report)
    "reports:report": [Variant(NONE, "staff"), Variant(NONE, "staff", query="days=7")],
    "reports:csv": [Variant(NONE, "staff")],
    # --- api (issue 17): the REST API; tests/security/test_api.py walks it with tokens too
    "api:root": [Variant(NONE, "public")],
    "api:schema": [Variant(NONE, "public")],
    "api:threads": [
        Variant(NONE, "public"),
        Variant(NONE, "public", query="q=Zanzibar+quokka"),
        Variant(NONE, "public", query="q=marmalade&category=billing"),
        Variant(NONE, "public", query=f"tag={PRIVATE_TAG}"),
    ],
    "api:thread": [Variant(P, "public"), Variant(Q, "owner")],
    "api:thread_answers": [Variant(P, "public"), Variant(Q, "owner")],
    "api:answer": [Variant(PA, "public"), Variant(QA, "owner")],
    "api:member": [Variant(lambda w: {"username": w.asker.username}, "public")],
    "api:member_kudos": [Variant(lambda w: {"username": w.asker.username}, "public")],
    "api:leaderboard": [Variant(NONE, "public")],
    "api:tickets": [Variant(NONE, "staff"), Variant(NONE, "staff", query="status=claimed")],
    "api:ticket": [Variant(T, "staff")],
    "api:ticket_claim": [Variant(T, "action", outsiders=NOT_STAFF)],
    "api:ticket_resolve": [Variant(T, "action", outsiders=NOT_STAFF)],
    "api:ticket_notes": [Variant(T, "action", outsiders=NOT_STAFF)],
    "api_tokens:list": [Variant(NONE, "member")],
    "api_tokens:revoke": [Variant(lambda w: {"pk": w.api_token.pk}, "action", outsiders=PRIVATE)],
    # --- console (the community manager's /manage/ pages)
    **{
        name: [Variant(NONE, "manager")]
        for name in ("console:home", "console:ranks", "console:rank_add", "console:point_rules",
                     "console:escalation", "console:policy_default", "console:channel_add",
                     "console:audit", "console:audit_csv")
    },
    "console:rank_edit": [Variant(lambda w: {"pk": _rank_pk()}, "manager")],
    "console:policy_category": [Variant(lambda w: {"slug": w.category.slug}, "manager")],
    "console:channel_edit": [Variant(lambda w: {"pk": w.channel.pk}, "manager")],
    "console:members": [Variant(NONE, "manager"), Variant(NONE, "manager", query="q=ask")],
    "console:member": [
        Variant(lambda w: {"username": w.asker.username}, "manager"),
        Variant(lambda w: {"username": w.staff.username}, "manager"),
    ],
    **{
        name: [Variant(kwargs, "action", outsiders=NOT_MANAGER)]
        for name, kwargs in (
            ("console:rank_add_preview", NONE),
            ("console:rank_preview", lambda w: {"pk": _rank_pk()}),
            ("console:rank_delete", lambda w: {"pk": _rank_pk(top=True)}),
            ("console:point_rules_preview", NONE),
            ("console:recompute", NONE),
            ("console:policy_preview", NONE),
            ("console:policy_delete", lambda w: {"slug": w.category.slug}),
            ("console:flag_threshold", NONE),
            ("console:member_award", lambda w: {"username": w.other.username}),
            ("console:member_reverse", lambda w: {"username": w.asker.username, "entry_id": _credit_of(w.asker)}),
            ("console:member_suspend", lambda w: {"username": w.other.username}),
            ("console:member_reinstate", lambda w: {"username": w.other.username}),
            ("console:member_role", lambda w: {"username": w.other.username}),
        )
    },
    # --- experts (the paid crowd-expert tier; none of the walked roles is an expert)
    "experts:landing": [Variant(NONE, "public")],
    "experts:apply": [Variant(NONE, "member")],
    "experts:dashboard": [Variant(NONE, "member")],
    "experts:earnings": [Variant(NONE, "member")],
    "experts:claim": [Variant(lambda w: {"pk": w.claim.offer_id}, "action", outsiders=NOT_STAFF, refused_with_redirect=True)],
    "experts:release": [Variant(lambda w: {"pk": w.claim.pk}, "action", outsiders=NOT_STAFF)],
    "experts:rate_answer": [Variant(lambda w: {"pk": w.claim.pk}, "action", outsiders=("anonymous", "asker"))],
    "experts:sessions": [Variant(NONE, "member")],
    "experts:book": [Variant(NONE, "member"), Variant(NONE, "member", query="service=1&thread=1")],
    "experts:session": [Variant(SESSION, "owner")],
    "experts:accept_session": [Variant(SESSION, "action", outsiders=PRIVATE)],
    "experts:confirm_session": [Variant(SESSION, "action", outsiders=PRIVATE)],
    "experts:check_in": [Variant(SESSION, "action", outsiders=PRIVATE)],
    "experts:check_out": [Variant(SESSION, "action", outsiders=PRIVATE)],
    "experts:sign_off": [Variant(SESSION, "action", outsiders=PRIVATE)],
    "experts:dispute": [Variant(SESSION, "action", outsiders=PRIVATE)],
    "experts:cancel_session": [Variant(SESSION, "action", outsiders=PRIVATE)],
    "experts:staff_roster": [Variant(NONE, "staff"), Variant(NONE, "staff", query="status=active")],
    "experts:staff_expert": [Variant(EXPERT, "staff")],
    "experts:suspend": [Variant(EXPERT, "action", outsiders=NOT_STAFF)],
    "experts:reinstate": [Variant(EXPERT, "action", outsiders=NOT_STAFF)],
    "experts:approve_expertise": [Variant(EXPERTISE, "action", outsiders=NOT_STAFF)],
    "experts:reject_expertise": [Variant(EXPERTISE, "action", outsiders=NOT_STAFF)],
    "experts:staff_offers": [Variant(NONE, "staff")],
    "experts:review_answer": [Variant(lambda w: {"pk": w.claim.pk}, "action", outsiders=NOT_STAFF)],
    "experts:staff_sessions": [Variant(NONE, "staff")],
    "experts:staff_payouts": [Variant(NONE, "staff")],
    "experts:create_batch": [Variant(NONE, "action", outsiders=NOT_STAFF)],
    "experts:staff_batch": [Variant(lambda w: {"pk": w.batch.pk}, "staff")],
    "experts:mark_paid": [Variant(lambda w: {"pk": w.batch.pk}, "action", outsiders=NOT_STAFF)],
    "experts:payouts_csv": [Variant(NONE, "staff"), Variant(NONE, "staff", query="batch=")],
}

# allauth's own pages (sign in, sign up, password reset, re-authentication...): what each role
# gets, pinned to the locked allauth release, so a new or changed page fails the walk until it
# has an entry. An expectation is a status, or (302, where the redirect must point). Members
# (asker, other, staff, admin) get the same: these pages are about one's own account.
# test_rate_limits.py checks what matters beyond access (limits, enumeration).
@dataclass(frozen=True)
class AllauthPage:
    kwargs: dict
    anonymous: Any
    member: Any
    why: str
    # The IdP posts its answer cross-site: these take no CSRF token and must instead refuse
    # anything that is not a valid, signed answer to a sign-in we started (tests/accounts/sso).
    csrf_exempt: bool = False

    def expect(self, role: str):
        return self.anonymous if role == "anonymous" else self.member


def _to_login(path: str) -> tuple[int, str]:
    return (302, f"/accounts/login/?next={path}")


ALLAUTH_PAGES: dict[str, AllauthPage] = {
    "account_login": AllauthPage({}, 200, (302, "/"), "signed-in members are sent home"),
    "account_logout": AllauthPage({}, (302, "/"), 200, "members confirm signing out with a POST"),
    "account_inactive": AllauthPage({}, 200, 200, "a static notice"),
    "account_signup": AllauthPage({}, 200, (302, "/"), "signed-in members are sent home"),
    "account_reauthenticate": AllauthPage(
        {}, _to_login("/accounts/reauthenticate/"), 200, "confirm the password before a sensitive change"),
    "account_request_reauthentication_code": AllauthPage(
        {}, _to_login("/accounts/reauthenticate/code/"), 200, "re-authenticate by a code mailed to the member"),
    "account_confirm_reauthentication_code": AllauthPage(
        {}, _to_login("/accounts/reauthenticate/code/confirm/"), (302, "/accounts/reauthenticate/code/"),
        "only after a code was requested"),
    "account_email": AllauthPage({}, _to_login("/accounts/email/"), 200, "one's own addresses"),
    "account_email_verification_sent": AllauthPage({}, 200, 200, "a static notice"),
    "account_change_password": AllauthPage({}, _to_login("/accounts/password/change/"), 200, "one's own password"),
    "account_set_password": AllauthPage(
        {}, _to_login("/accounts/password/set/"), (302, "/accounts/password/change/"),
        "members with a password change it instead"),
    "account_reset_password": AllauthPage({}, 200, 200, "anyone may ask for a reset mail"),
    "account_confirm_login_code": AllauthPage(
        {}, (302, "/accounts/login/"), (302, "/"), "only during a sign-in by code"),
    "account_confirm_email": AllauthPage({"key": "not-a-real-key"}, 200, 200, "says the link is invalid"),
    "account_reset_password_from_key_done": AllauthPage({}, 200, 200, "a static notice"),
    "account_reset_password_from_key": AllauthPage(
        {"uidb36": "zz", "key": "not-a-real-key"}, 200, 200, "says the link is invalid"),
    "account_reset_password_done": AllauthPage({}, 200, 200, "a static notice"),
    # --- single sign-on (issue 17): build_world configures an OIDC and a SAML identity provider
    "socialaccount_login_cancelled": AllauthPage({}, 200, 200, "a static notice"),
    "socialaccount_login_error": AllauthPage({}, 401, 401, "a static notice, with the status of a refused sign-in"),
    "socialaccount_signup": AllauthPage(
        {}, (302, "/accounts/login/"), (302, "/accounts/login/"), "only during a sign-in by the identity provider"),
    "socialaccount_connections": AllauthPage(
        {}, _to_login("/accounts/3rdparty/"), 200, "one's own linked identity-provider accounts"),
    "openid_connect_login": AllauthPage(
        {"provider_id": "company"}, 200, 200, "asks to confirm with a POST before leaving for the provider"),
    "openid_connect_callback": AllauthPage(
        {"provider_id": "company"}, 401, 401, "without the state of a sign-in we started it is refused"),
    "saml_login": AllauthPage(
        {"organization_slug": "company"}, 200, 200, "asks to confirm with a POST before leaving for the IdP"),
    "saml_metadata": AllauthPage({"organization_slug": "company"}, 200, 200, "public SP metadata for the IdP"),
    "saml_acs": AllauthPage(
        {"organization_slug": "company"}, (302, "/accounts/saml/company/acs/finish/"),
        (302, "/accounts/saml/company/acs/finish/"), "stores the IdP's post, then finishes on our own origin",
        csrf_exempt=True),
    "saml_finish_acs": AllauthPage(
        {"organization_slug": "company"}, 401, 401, "without a signed response to our own request it is refused"),
    "saml_sls": AllauthPage(
        {"organization_slug": "company"}, 400, 400, "without a logout request from the IdP it is refused",
        csrf_exempt=True),
}

# allauth's deprecated addresses of its social pages: permanent redirects to the new ones.
ALLAUTH_REDIRECTS: dict[str, str] = {
    "accounts/social/login/cancelled/": "/accounts/3rdparty/login/cancelled/",
    "accounts/social/login/error/": "/accounts/3rdparty/login/error/",
    "accounts/social/signup/": "/accounts/3rdparty/signup/",
    "accounts/social/connections/": "/accounts/3rdparty/",
}


@dataclass(frozen=True)
class Pattern:
    name: str | None
    route: str
    namespace: str

    @property
    def key(self) -> str:
        return self.name or self.route


def walk_url_patterns() -> list[Pattern]:
    def walk(patterns, prefix: str, namespace: str):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                name = f"{namespace}:{p.name}" if namespace and p.name else p.name
                yield Pattern(name=name, route=prefix + str(p.pattern), namespace=namespace)

    return list(walk(get_resolver().url_patterns, "", ""))


def admin_url(pattern: Pattern, world: World) -> str:
    """A concrete URL for an admin pattern: the arguments filled with real objects."""
    import re

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    route = pattern.route
    if "(?P<url>" in route:
        return "/admin/no-such-admin-page/"
    if "(?P<app_label>" in route:
        return "/admin/community/"
    if "<path:content_type_id>" in route:
        ct = ContentType.objects.get_for_model(type(world.private_thread))
        return f"/admin/r/{ct.pk}/{world.private_thread.pk}/"
    if "<id>" in route:
        return "/" + route.replace("<id>", str(world.asker.pk))
    if "<path:object_id>" in route:
        app_label, model_name = route.split("/")[1:3]
        model = apps.get_model(app_label, model_name)
        obj = model.objects.order_by("pk").first()
        if model is type(world.private_thread):
            obj = world.private_thread
        route = route.replace("<path:object_id>", str(obj.pk if obj else 1))
    assert not re.search(r"[<(]", route), f"fill the arguments of {pattern.route}"
    return "/" + route


def post_data(world: World) -> dict:
    """A form that would succeed for someone allowed to send it, so a missing check shows as
    a change in the database."""
    from community.models import Flag

    return {
        "title": "An outsider's replacement title",
        "body": "An outsider's text, long enough to pass every form.",
        "tags": "outsider",
        "reason": Flag.Reason.values[0],
        "note": "outsider note",
        "member": world.other.username,
        "points": "50",
        "key": uuid.uuid4().hex,
        "channel": str(world.channel.pk),
        "kind": "answer",
        "members": f"{world.asker.pk},{world.other.pk}",
        "reason": "Outsiders reversing points",
        # console: a rank edit, a point rule, a policy, a role change that would all succeed
        "name": "Outsider rank",
        "min_points": "7",
        "colour": "#1f5fbf",
        "answer_within": "2", "answer_within_unit": "hours",
        "solve_within": "3", "solve_within_unit": "days",
        "staff_response": "8", "staff_response_unit": "hours",
        "flag_threshold": "9",
        "confirm": "on",
        "role": "manager",
        "grant": "1",
        "answer_upvoted": "99",
    }


def database_fingerprint() -> tuple:
    """Everything an outsider's request could change, in one comparable value."""
    from community.models import Answer, AnswerVote, Comment, Flag, MeToo, Revision, Thread
    from escalation.models import Ticket, TicketEvent, TicketNote
    from django.contrib.auth import get_user_model

    from api.models import ApiToken
    from community.models import CommunitySettings
    from console.models import AuditEntry
    from escalation.models import Channel, EscalationPolicy
    from experts.models import Claim, Expert, Expertise, Offer, PayoutBatch, PayoutEntry, Session
    from kudos.models import LedgerEntry, PointRule, Rank

    return (
        tuple(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")),
        # console's settings and roles
        tuple(Rank.objects.order_by("pk").values_list("pk", "name", "min_points", "colour")),
        tuple(PointRule.objects.order_by("pk").values_list("pk", "points")),
        tuple(EscalationPolicy.objects.order_by("pk").values_list(
            "pk", "answer_within_minutes", "solve_within_minutes", "staff_response_minutes")),
        tuple(Channel.objects.order_by("pk").values_list("pk", "name", "is_active")),
        tuple(CommunitySettings.objects.values_list("flag_threshold")),
        tuple(get_user_model().objects.order_by("pk").values_list("pk", "is_active", "is_staff", "points")),
        tuple(get_user_model().groups.through.objects.order_by("pk").values_list("user_id", "group_id")),
        AuditEntry.objects.count(),
        # the experts tier
        tuple(Expert.objects.order_by("pk").values_list("pk", "status", "balance")),
        tuple(Expertise.objects.order_by("pk").values_list("pk", "status")),
        tuple(Offer.objects.order_by("pk").values_list("pk", "status")),
        tuple(Claim.objects.order_by("pk").values_list("pk", "status", "needs_review", "outcome", "rating")),
        tuple(Session.objects.order_by("pk").values_list("pk", "status", "expert_id", "rating")),
        tuple(PayoutBatch.objects.order_by("pk").values_list("pk", "status")),
        PayoutEntry.objects.count(),
        tuple(Thread.objects.order_by("pk").values_list(
            "pk", "title", "body", "is_deleted", "is_hidden", "is_private", "solution_id", "answer_count",
            "me_too_count", "version")),
        tuple(Answer.objects.order_by("pk").values_list("pk", "body", "is_deleted", "is_hidden", "upvote_count")),
        tuple(Comment.objects.order_by("pk").values_list("pk", "body", "is_deleted", "is_hidden")),
        tuple(Ticket.objects.order_by("pk").values_list("pk", "status", "assignee_id", "channel_id")),
        *(m.objects.count() for m in (AnswerVote, MeToo, Flag, Revision, TicketNote, TicketEvent, LedgerEntry)),
    )
