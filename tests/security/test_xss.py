"""Stored and reflected XSS: a corpus of known payloads in titles, bodies, answers, tags,
display names, comments, flag notes, staff notes and search queries. Every page, preview, partial,
email and admin page that shows them is parsed with the standard library's html.parser and
must contain no script but our own (with the CSP nonce), no on* attribute, no javascript:,
vbscript: or data: URL, and none of the elements that load or run things (iframe, object,
embed, base, meta refresh, svg, math, style, form actions elsewhere)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import services as accounts
from community import moderation, services, validators
from community.markdown import render as render_markdown
from community.models import Answer, Flag, Thread
from escalation.models import Ticket
from escalation.tickets import add_ticket_note, answer_ticket
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pic](javascript:alert(1))",
    "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![pic](https://example.com/x.png" onerror="alert(1))',
    '[click](https://example.com" onmouseover="alert(1))',
    '[click](https://example.com "title\\" onmouseover=\\"alert(1)")',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<embed src="javascript:alert(1)">',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<img src=`x` onerror=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    "<details open ontoggle=alert(1)>",
    "<!--><script>alert(1)</script>-->",
    "<style>@import 'https://evil.example/x.css';</style>",
    "<template><script>alert(1)</script></template>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '<img srcset="x 1x, javascript:alert(1) 2x">',
    "<input autofocus onfocus=alert(1)>",
    "`<script>alert(1)</script>` and ```\n<script>alert(1)</script>\n```",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
]

FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet", "svg", "math", "style", "template"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "data", "srcset", "ping"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
OWN_SCRIPTS = ("/static/", "/admin/jsi18n/")


class UnsafeHTML(HTMLParser):
    """Collects everything in a page that could run or load code an attacker wrote."""

    def __init__(self, *, allow_svg: bool = False):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        # The Django admin draws its own icons as inline SVG (no scripts, no handlers).
        self.forbidden = FORBIDDEN_TAGS - {"svg"} if allow_svg else FORBIDDEN_TAGS

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def _check(self, tag, attrs):
        attrs_d = {k.lower(): (v or "") for k, v in attrs}
        # Only our own script files (the site's carry the CSP nonce; the admin's load as 'self').
        if tag == "script" and not attrs_d.get("src", "").startswith(OWN_SCRIPTS):
            self.problems.append(f"<script {attrs_d}>")
        if tag in self.forbidden:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and attrs_d.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta refresh>")
        for name, value in attrs_d.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES or name == "style":
                squashed = re.sub(r"[\x00-\x20]", "", value).lower()
                urls = [u.strip() for u in value.split(",")] if name == "srcset" else [value]
                # What a browser would run: the URL's scheme after stripping blanks and controls.
                runs = any(re.sub(r"[\x00-\x20]", "", u).lower().startswith(BAD_SCHEMES) for u in urls)
                if runs or (name == "style" and ("url(" in squashed or "expression(" in squashed)):
                    self.problems.append(f"<{tag} {name}={value!r}>")


def assert_safe(html: str, where: str) -> None:
    parser = UnsafeHTML(allow_svg=where.startswith("/admin/"))
    parser.feed(html)
    parser.close()
    assert not parser.problems, f"{where}: {parser.problems}"


def get_safe(client: Client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code < 500, url
    html = response.content.decode()
    assert_safe(html, url)
    return html


def padded_title(payload: str) -> str:
    title = f"Help {payload}"[: validators.TITLE_MAX_LENGTH]
    return title if len(title) >= validators.TITLE_MIN_LENGTH else title + " please help"


def test_the_corpus_is_large_enough():
    assert len(PAYLOADS) >= 30
    assert len(set(PAYLOADS)) == len(PAYLOADS)


def test_the_checker_catches_what_it_looks_for():
    for bad in ("<script>alert(1)</script>", '<img src=x onerror="a()">', '<a href=" JaVa\tscript:x">x</a>',
                "<svg></svg>", '<a href="data:text/html,x">x</a>'):
        parser = UnsafeHTML()
        parser.feed(bad)
        assert parser.problems, bad


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_never_renders_a_payload_into_markup(payload):
    assert_safe(render_markdown(payload), "render")
    assert_safe(render_markdown(render_markdown(payload)), "render twice")  # sanitized output fed back


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_everywhere_members_can_type_is_shown_inert(payload, category, django_capture_on_commit_callbacks):
    asker = UserFactory()
    answerer = UserFactory()
    staff = StaffFactory()
    accounts.update_profile(user=answerer, display_name=payload)
    accounts.update_profile(user=asker, display_name=payload[::-1])
    title = padded_title(payload)
    with django_capture_on_commit_callbacks(execute=True):
        thread = services.ask_question(author=asker, category=category, title=title, body=payload, tags="sync")
        answer = services.post_answer(author=answerer, thread=thread, body=payload)
        services.upvote_answer(user=asker, answer=answer)  # puts the answerer on the leaderboard
        moderation.flag_post(user=asker, post=answer, reason=Flag.Reason.values[0], note=payload[:300])
        comment = services.post_comment(author=UserFactory(), thread=thread, answer=answer, body=payload[:600])
        moderation.flag_post(user=asker, post=comment, reason=Flag.Reason.values[0], note=payload[:300])
        private = services.ask_question(
            author=asker, category=category, title=title, body=payload, is_private=True
        )
        ticket = Ticket.objects.get(thread=private)
        add_ticket_note(ticket_id=ticket.pk, staff=staff, body=payload)
        answer_ticket(ticket_id=ticket.pk, staff=staff, body=payload)

    visitor = Client()
    member = Client()
    member.force_login(asker)
    staff_client = Client()
    staff_client.force_login(staff)
    word = re.sub(r"[^A-Za-z]+", " ", payload).split()
    query = word[0] if word else "help"
    for client in (visitor, member):
        for url in (
            thread.get_absolute_url(),
            "/",
            f"/search/?q={query}",
            "/search/?q=help",
            f"/tags/{thread.tags.first().slug}/",
            f"/c/{category.slug}/",
            f"/u/{answerer.username}/",
            f"/u/{asker.username}/",
            "/kudos/leaderboard/",
        ):
            get_safe(client, url)
    for url in (
        private.get_absolute_url(),
        reverse("community:edit_question", args=[thread.pk]),
        reverse("community:ask") + "?title=" + payload,
        "/settings/profile/",
        reverse("community:flag_comment", args=[comment.pk]),
    ):
        get_safe(member, url)
    for url in (
        reverse("community:moderation"),
        reverse("escalation:queue"),
        reverse("escalation:ticket", args=[ticket.pk]),
        reverse("community:edit_answer", args=[answer.pk]),
        private.get_absolute_url(),
    ):
        get_safe(staff_client, url)
    assert mail.outbox, "the staff answer is mailed to the asker"
    for message in mail.outbox:
        if message.content_subtype == "html":
            assert_safe(message.body, f"email {message.subject}")
        for content, mimetype in getattr(message, "alternatives", []):
            assert_safe(str(content), f"email {message.subject}")
    assert Thread.objects.filter(pk=thread.pk).exists() and Answer.objects.filter(pk=answer.pk).exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_forms_previews_and_queries_come_back_inert(payload, member, category):
    client = Client()
    client.force_login(member)
    # The ask form with bad input (a payload as tag fails validation) shows everything typed.
    response = client.post(
        reverse("community:ask"),
        {"title": padded_title(payload), "body": payload, "category": category.pk, "tags": payload},
    )
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert_safe(response.content.decode(), "ask form with errors")
    # Preview: the whole page and the htmx partial.
    response = client.post(reverse("community:ask"), {"title": padded_title(payload), "body": payload, "preview": "1"})
    assert_safe(response.content.decode(), "ask preview page")
    response = client.post(reverse("community:preview"), {"title": payload, "body": payload}, headers={"HX-Request": "true"})
    assert_safe(response.content.decode(), "preview partial")
    # Reflected: queries and filters.
    for url in (
        f"/search/?q={payload}",
        f"/search/?q={payload}&category={payload}&solved={payload}",
        f"/ask/similar/?title={payload}",
        f"/?tag={payload}&category={payload}&show={payload}&sort={payload}&page={payload}",
        f"/kudos/leaderboard/?period={payload}&category={payload}",
        f"/staff/queue/?status={payload}",
    ):
        get_safe(client, _quote(url))


def _quote(url: str) -> str:
    from urllib.parse import quote

    path, _, query = url.partition("?")
    if not query:
        return url
    pairs = [p.partition("=") for p in query.split("&")]
    return path + "?" + "&".join(f"{k}={quote(v, safe='')}" for k, _, v in pairs)


@pytest.mark.parametrize("payload", PAYLOADS[:12])
def test_payloads_reach_the_admin_only_escaped(payload, admin_user, category):
    author = UserFactory()
    accounts.update_profile(user=author, display_name=payload)
    thread = services.ask_question(author=author, category=category, title=padded_title(payload), body=payload)
    client = Client()
    client.force_login(admin_user)
    for url in (
        "/admin/community/thread/",
        f"/admin/community/thread/{thread.pk}/change/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{author.pk}/change/",
        f"/admin/community/thread/?q={_quote('?q=' + payload)[3:]}",
    ):
        get_safe(client, url)


def test_a_member_cannot_tag_with_markup(member, category):
    from django.core.exceptions import ValidationError

    for payload in ("<script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)"):
        with pytest.raises(ValidationError):
            services.ask_question(author=member, category=category, title="A fine title here", body="Body", tags=payload)
