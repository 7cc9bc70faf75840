"""The thread page for signed-in members: one rendered copy shared by every member who sees the
thread the same way, with each viewer's own pieces filled in per request.

Anonymous visitors get whole pages from community.pagecache. Members cannot: the page shows
their name and bell, their votes, whether they have this too, follow or flagged, which of the
comments are theirs. Most of those differences are small and known, so the page is rendered
once with markers in their place and kept in the shared cache; each request reads who the
viewer is (the thread with their "I have this too" and following, then their votes, flags,
own comments and own hidden answers on it: two statements) and fills the markers:

- viewer parts ({% viewer_part %}: the header's bell and menus, "I have this too", follow,
  flag this question, the notices other apps show under the question, such as the asker's
  escalation countdown and the experts panel), rendered per request from their templates;
- each answer's controls (vote, accept, edit, flag), rendered once per distinct state, as the
  answers fragment does (community.templatetags.community_cache);
- the CSRF token and the CSP nonce, rendered as placeholders and replaced by this request's.

Who shares it: every active member but staff (who see deleted and hidden posts, revisions and
staff links: their pages are rendered for them, from the shared answers fragment). The asker
has a copy of their own (accept buttons, "Add details", editing the question), kept for their
next visit. Nor is it used for a request with a message waiting (the message is part of the
page), a URL with a query string (each string would be a copy) or htmx requests.

The key holds everything else that makes two members' pages differ: the thread's version
(every change to what the page shows bumps it, votes included), whether the viewer asked it,
the site version (names, rank badges and the rank table, the expert badge), the path, the
viewer's time zone and where it came from, whether the member may retag, and the comments and
hidden answers that are the viewer's own (they carry an edit link instead of a flag link). A
miss renders the page in full for the member asking, with the same code as everyone else, so
the shared copy is never anything but what that page would have been, minus the parts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template import RequestContext, engines
from django.utils import timezone

from community import permissions
from community.hooks import thread_notices
from community.models import Answer, AnswerVote, Comment, Flag, Follow, MeToo, Thread
from community.pagecache import site_version
from community.templatetags.community_cache import CSRF_PLACEHOLDER, MARKERS_RE, Actions, viewer_part

MEMBER_PAGE_SECONDS = 300
# Part of the key: change it when the page's markup changes.
FORMAT = 3
NONCE_PLACEHOLDER = "cspNoncePlaceholder0x2f7a91c3"
TEMPLATE = "community/thread.html"


@dataclass
class Viewer:
    """What is the viewer's own on one thread, read in one query."""

    voted: set[int] = field(default_factory=set)
    flagged_answers: set[int] = field(default_factory=set)
    flagged_thread: bool = False
    own_comments: tuple[int, ...] = ()
    own_hidden_answers: tuple[int, ...] = ()


# The fields of the thread this path reads (the rest load on access, as deferred fields do), in
# the model's order, which is the order Model.from_db takes values in.
_THREAD_FIELDS = tuple(
    field.attname
    for field in Thread._meta.concrete_fields
    if field.attname in {
        "id", "slug", "version", "author_id", "category_id", "is_deleted", "is_hidden", "is_private",
        "me_too_count", "answer_count", "solution_id",
    }
)


def thread_row(pk: int, user) -> Thread | None:
    """The thread as the shared page needs it, with whether the viewer has it too and follows
    it, in one statement. Written out in SQL: the ORM spends longer building this query than
    the database spends answering it, and this runs on every signed-in thread page."""
    thread_table = Thread._meta.db_table
    sql = (
        f"SELECT {', '.join('t.' + name for name in _THREAD_FIELDS)}, "
        f"EXISTS(SELECT 1 FROM {MeToo._meta.db_table} m WHERE m.thread_id = t.id AND m.user_id = %s), "
        f"EXISTS(SELECT 1 FROM {Follow._meta.db_table} f WHERE f.thread_id = t.id AND f.user_id = %s AND f.is_active) "
        f"FROM {thread_table} t WHERE t.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, user.pk, pk])
        row = cursor.fetchone()
    if row is None:
        return None
    thread = Thread.from_db(connection.alias, list(_THREAD_FIELDS), row[: len(_THREAD_FIELDS)])
    thread.viewer_has_me_too, thread.viewer_follows = bool(row[-2]), bool(row[-1])
    return thread


def viewer_on(thread: Thread, user) -> Viewer:
    """The viewer's votes and flags on the thread, and their comments and hidden answers on it
    (what they may still see of their own: not deleted), in one statement."""
    answers, votes = Answer._meta.db_table, AnswerVote._meta.db_table
    comments, flags = Comment._meta.db_table, Flag._meta.db_table
    sql = (
        f"SELECT 'v', v.answer_id FROM {votes} v JOIN {answers} a ON a.id = v.answer_id "
        "WHERE a.thread_id = %s AND v.user_id = %s "
        f"UNION ALL SELECT 'f', COALESCE(f.answer_id, 0) FROM {flags} f LEFT JOIN {answers} a ON a.id = f.answer_id "
        "WHERE f.user_id = %s AND (f.thread_id = %s OR a.thread_id = %s) "
        f"UNION ALL SELECT 'c', c.id FROM {comments} c WHERE c.thread_id = %s AND c.author_id = %s AND NOT c.is_deleted "
        f"UNION ALL SELECT 'h', a.id FROM {answers} a "
        "WHERE a.thread_id = %s AND a.author_id = %s AND a.is_hidden AND NOT a.is_deleted"
    )
    params = [thread.pk, user.pk, user.pk, thread.pk, thread.pk, thread.pk, user.pk, thread.pk, user.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    viewer = Viewer()
    own_comments, own_hidden = [], []
    for kind, pk in rows:
        if kind == "v":
            viewer.voted.add(pk)
        elif kind == "f":
            if pk:
                viewer.flagged_answers.add(pk)
            else:
                viewer.flagged_thread = True
        elif kind == "c":
            own_comments.append(pk)
        else:
            own_hidden.append(pk)
    viewer.own_comments = tuple(sorted(own_comments))
    viewer.own_hidden_answers = tuple(sorted(own_hidden))
    return viewer


def shared_key(request: HttpRequest, thread: Thread, user, viewer: Viewer) -> str:
    parts = (
        FORMAT,
        thread.pk,
        thread.version,
        thread.author_id == user.pk,  # the asker's copy is their own
        site_version(),
        request.path,
        timezone.get_current_timezone_name(),
        getattr(request, "time_zone_source", ""),
        bool(getattr(user, "time_zone", "")),
        permissions.can_retag(user, thread),
        viewer.own_comments,
        viewer.own_hidden_answers,
    )
    return "memberpage:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def _render_shared(request: HttpRequest, context: dict) -> dict:
    """The page cut at its markers (text, kind, number, text, ...), the viewer parts' templates
    and each answer's facts for its controls."""
    template = engines["django"].engine.get_template(TEMPLATE)
    parts: list[str] = []
    rendering = RequestContext(request, {**context, "viewer_parts": parts})
    with rendering.bind_template(template):
        with rendering.push(csrf_token=CSRF_PLACEHOLDER, csp_nonce=NONCE_PLACEHOLDER):
            html = template.render(rendering)
    pieces = MARKERS_RE.split(html)
    pieces[2::3] = [int(number) for number in pieces[2::3]]
    shown = ([context["solution"]] if context["solution"] else []) + list(context["answers"])
    answers = {a.pk: (a.upvote_count, a.author_id, a.is_deleted, a.is_hidden, a.is_solution) for a in shown}
    return {"pieces": pieces, "parts": parts, "answers": answers}


def _fill(entry: dict, request: HttpRequest, thread: Thread, user, viewer: Viewer, part_context: dict) -> str:
    template = engines["django"].engine.get_template(TEMPLATE)
    # A part included twice (the member menu: in the header and in the phone menu) renders once.
    context = RequestContext(request, {"thread": thread, **part_context, "viewer_parts_rendered": {}})
    pieces = entry["pieces"]
    out = [pieces[0]]
    with context.bind_template(template):
        with context.push(csrf_token=CSRF_PLACEHOLDER, csp_nonce=NONCE_PLACEHOLDER):
            actions = Actions(context, user)
            answers = entry["answers"]
            can_accept = permissions.can_accept(user, thread)
            for i in range(1, len(pieces), 3):
                kind, number = pieces[i], pieces[i + 1]
                if kind == "part":
                    out.append(viewer_part(context, entry["parts"][number]))
                elif number in answers:
                    upvotes, author_id, is_deleted, is_hidden, is_solution = answers[number]
                    answer = SimpleNamespace(
                        pk=number,
                        upvote_count=upvotes,
                        author_id=author_id,
                        is_deleted=is_deleted,
                        is_solution=is_solution,
                        viewer_voted=number in viewer.voted,
                        viewer_flagged=number in viewer.flagged_answers,
                    )
                    # The rules community.selectors.thread_page applies to each answer.
                    answer.viewer_can_vote = permissions.can_vote(user, answer)
                    answer.viewer_can_edit = permissions.can_edit_post(user, answer)
                    answer.viewer_can_accept = can_accept and not is_deleted and not is_hidden
                    out.append(actions.html(answer))
                out.append(pieces[i + 2])
    return "".join(out)


def finish(html: str, *, csrf_token: str, nonce) -> str:
    """The filled page with this response's CSRF token and CSP nonce in place of their
    placeholders."""
    html = html.replace(CSRF_PLACEHOLDER, csrf_token)
    if NONCE_PLACEHOLDER in html:
        html = html.replace(NONCE_PLACEHOLDER, str(nonce()))
    return html


def may_share(request: HttpRequest, user) -> bool:
    """Whether the request could be served from a shared page at all (before any query)."""
    return bool(
        settings.MEMBER_PAGE_CACHE
        and request.method == "GET"
        # The thread's own URL only: a query string (the page uses none) would make a copy per
        # string, which anyone signed in could use to fill the cache.
        and not request.META.get("QUERY_STRING")
        and user.is_authenticated
        and user.is_active  # a deactivated account is shown what anonymous visitors see
        and not user.is_staff
        and not getattr(request, "htmx", False)
        and not len(get_messages(request))
    )


def shared_page(request: HttpRequest, thread: Thread, user, build_context, own_copy=None) -> HttpResponse:
    """The thread page from the shared copy, for a request may_share() allowed. ``thread`` is
    thread_row()'s, which the viewer may see; ``build_context()`` is the full page context,
    called only when the shared copy is missing. ``own_copy(request, thread, user, notices)``
    (community.ownpage.prepare) is asked, before the page is filled, whether the filled page
    is kept for the viewer, and with what key and fingerprint."""
    viewer = viewer_on(thread, user)
    key = shared_key(request, thread, user, viewer)
    notices = thread_notices(thread=thread, viewer=user)
    own = own_copy(request, thread, user, notices) if own_copy is not None else None
    entry = cache.get(key)
    if entry is None:
        entry = _render_shared(request, build_context())
        cache.set(key, entry, MEMBER_PAGE_SECONDS)
    part_context = {
        "user": user,
        "notices": notices,
        "has_me_too": thread.viewer_has_me_too,
        "can_me_too": permissions.can_me_too(user, thread),
        "following": thread.viewer_follows,
        "flagged_thread": viewer.flagged_thread,
    }
    html = _fill(entry, request, thread, user, viewer, part_context)
    if own is not None:
        # Kept by OwnPageMiddleware with the response's headers, once the response is complete.
        request.member_own_page = (*own, html)
    return HttpResponse(finish(html, csrf_token=get_token(request), nonce=lambda: getattr(request, "csp_nonce", "")))
