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
PRIVATE_TEXTS = (PRIVATE_TITLE, "marmalade walrus", "pelican sorbet")
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
    # Screenshots: on the public thread, on the private one, and the asker's pending upload.
    public_image: Any = None
    private_image: Any = None
    pending_image: Any = None
    macro: Any = None  # a saved reply staff shared

    def user(self, role: str):
        return None if role == "anonymous" else getattr(self, role)


ROLES = ("anonymous", "asker", "other", "staff", "admin")
OUTSIDERS = ("anonymous", "other")  # neither the private thread's author nor staff


def build_world() -> World:
    """The objects the security tests need, made through the real services (so every app's
    receivers ran: the private thread has its ticket, points were credited, emails sent)."""
    from community import services
    from escalation import services as escalation
    from escalation.models import Channel, Ticket
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
    escalation.claim_ticket(ticket_id=ticket.pk, staff=staff)
    note = escalation.add_ticket_note(ticket_id=ticket.pk, staff=staff, body=INTERNAL_NOTE)
    private_answer = escalation.answer_ticket(ticket_id=ticket.pk, staff=staff, body=PRIVATE_ANSWER)
    from community.models import Flag

    services.flag_post(user=other, post=public_answer, reason=Flag.Reason.values[0], note="Looks off")
    channel = Channel.objects.create(name="Billing desk", instructions="Write to billing.", link="https://example.com")
    from escalation.macros import create_macro

    macro = create_macro(staff=staff, title="Refund on its way", body="Hi {asker_name}, the refund is on its way.",
                         shared=True)
    return World(
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
        public_image=public_image,
        private_image=private_image,
        pending_image=pending_image,
    )


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
NONE = lambda w: {}  # noqa: E731
PRIVATE = ("anonymous", "other")
NOT_STAFF = ("anonymous", "asker", "other")

def _notification_of(user) -> int:
    from notifications.models import Notification

    notification = Notification.objects.filter(recipient=user).order_by("pk").first()
    assert notification is not None, f"the world gives {user} a notification"
    return notification.pk


def _unsubscribe_token(user) -> str:
    from notifications.models import Kind
    from notifications.services import unsubscribe_token

    return unsubscribe_token(user_id=user.pk, kind=Kind.values[0])


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
        Variant(P, "member", expect={"asker": {403}}),  # the public thread is other's
        Variant(Q, "owner", outsiders=PRIVATE),
    ],
    "community:delete_question": [Variant(P, "action", outsiders=("anonymous", "asker"), refused_with_redirect=True), Variant(Q, "action", outsiders=PRIVATE)],
    "community:vote": [Variant(PA, "action"), Variant(QA, "action", outsiders=PRIVATE)],
    "community:accept": [Variant(PA, "action", outsiders=("anonymous", "asker"), refused_with_redirect=True), Variant(QA, "action", outsiders=PRIVATE)],
    "community:edit_answer": [
        Variant(PA, "member", expect={"other": {403}}),  # the public answer is asker's
        Variant(QA, "owner", expect={"asker": {403}}, outsiders=("anonymous", "asker", "other")),
    ],
    "community:delete_answer": [Variant(PA, "action", outsiders=("anonymous", "other"), refused_with_redirect=True), Variant(QA, "action", outsiders=PRIVATE)],
    "community:flag_thread": [Variant(P, "action"), Variant(Q, "action", outsiders=PRIVATE)],
    "community:flag_answer": [Variant(PA, "action"), Variant(QA, "action", outsiders=PRIVATE)],
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
        # The private thread's tag exists, but its page lists nothing anyone else may see.
        Variant(lambda w: {"tag": PRIVATE_TAG}, "public"),
    ],
    "community:moderation": [Variant(NONE, "staff")],
    "community:restore_flagged": [
        Variant(lambda w: {"kind": "answer", "pk": w.public_answer.pk}, "action", outsiders=NOT_STAFF)
    ],
    "community:remove_flagged": [
        Variant(lambda w: {"kind": "answer", "pk": w.public_answer.pk}, "action", outsiders=NOT_STAFF),
        Variant(lambda w: {"kind": "thread", "pk": w.private_thread.pk}, "action", outsiders=NOT_STAFF),
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
    # --- reports (the deflection report)
    "reports:report": [Variant(NONE, "staff"), Variant(NONE, "staff", query="days=7")],
    "reports:csv": [Variant(NONE, "staff")],
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
    }


def database_fingerprint() -> tuple:
    """Everything an outsider's request could change, in one comparable value."""
    from community.models import Answer, AnswerVote, Flag, MeToo, Revision, Thread
    from escalation.models import Ticket, TicketEvent, TicketNote
    from kudos.models import LedgerEntry

    return (
        tuple(Thread.objects.order_by("pk").values_list(
            "pk", "title", "body", "is_deleted", "is_hidden", "is_private", "solution_id", "answer_count",
            "me_too_count", "version")),
        tuple(Answer.objects.order_by("pk").values_list("pk", "body", "is_deleted", "is_hidden", "upvote_count")),
        tuple(Ticket.objects.order_by("pk").values_list("pk", "status", "assignee_id", "channel_id")),
        *(m.objects.count() for m in (AnswerVote, MeToo, Flag, Revision, TicketNote, TicketEvent, LedgerEntry)),
    )
