"""{% cached_answers %}: the answers of a thread page, rendered once per thread version and
shared by every viewer; {% answer_actions %}: each viewer's own controls spliced into it.

Rendering a hundred answers is most of a thread page's cost for signed-in members, who can't
be served the anonymous page cache. The shared fragment is keyed by the thread's ``version``
(bumped by every change to what the page shows), the site version (rank badges, names), the
path, the viewer's time zone, signed in or not, staff or not, and the comment state (the
asker's view, editable comments, the viewer's own comments, which carry no Flag link). What differs between members for each answer (voted, may
vote, edit, accept or flag, already flagged, their own) is not in it: the fragment holds a
marker per answer, replaced on the way out by that viewer's controls
(community/_answer_actions.html). Those are rendered once per distinct state on the page (a
handful, not a hundred) with stand-in numbers that are then swapped for each answer's id and
vote count. CSRF tokens differ per member, so the fragment is rendered with a placeholder that
is replaced by this request's token.
"""

from __future__ import annotations

import hashlib
import re
from types import SimpleNamespace

from django import template
from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.safestring import mark_safe

from community.pagecache import site_version

register = template.Library()

ANSWERS_FRAGMENT_SECONDS = 300
CSRF_PLACEHOLDER = "csrfPlaceholder0x5f3759df"
# Part of the key: change it when the fragment's markup changes, so a deploy never serves
# fragments rendered by the previous templates.
FRAGMENT_FORMAT = 7


ACTIONS_MARK = "<!--pd-actions:{}-->"
PART_MARK = "<!--pd-part:{}-->"
# Both kinds of marker, for cutting a page at them (community.memberpage): kind and number.
MARKERS_RE = re.compile(r"<!--pd-(actions|part):(\d+)-->")
ACTIONS_RE = re.compile(r"<!--pd-actions:(\d+)-->")
# Stand-in id and vote count: rendered once per state, then replaced per answer. Both are
# far beyond any real id or count and appear nowhere else in the actions markup.
PK_STANDIN = 987_654_321_987
COUNT_STANDIN = 876_543_219_876


# Whitespace is insignificant in HTML outside <pre> and <textarea> (the answers fragment has
# no other white-space-preserving element), and the templates' indentation is a fifth of a
# hundred answers' weight: runs of it are squeezed once, when a fragment or a state is rendered.
_KEEP_WHITESPACE = re.compile(r"(<pre\b.*?</pre>|<textarea\b.*?</textarea>)", re.S | re.I)
_RUN = re.compile(r"\s{2,}")


def _squeeze(run: re.Match) -> str:
    return "\n" if "\n" in run.group() else " "


def compact(html: str) -> str:
    parts = _KEEP_WHITESPACE.split(html)
    parts[::2] = [_RUN.sub(_squeeze, part) for part in parts[::2]]
    return "".join(parts)


def _actions_state(answer, user) -> tuple:
    return (
        getattr(answer, "is_solution", False),
        getattr(answer, "viewer_voted", False),
        getattr(answer, "viewer_can_vote", False),
        getattr(answer, "viewer_can_edit", False),
        getattr(answer, "viewer_can_accept", False),
        getattr(answer, "viewer_flagged", False),
        user.is_authenticated and answer.author_id == user.pk,
        answer.is_deleted,
    )


class Actions:
    """One viewer's controls for each answer of the page, rendered once per distinct state."""

    def __init__(self, context, user):
        self.context, self.user = context, user
        self.by_state: dict[tuple, str] = {}
        self.template = context.template.engine.get_template("community/_answer_actions.html")

    def html(self, answer) -> str:
        state = _actions_state(answer, self.user)
        rendered = self.by_state.get(state)
        if rendered is None:
            solution, voted, can_vote, can_edit, can_accept, flagged, own, deleted = state
            standin = SimpleNamespace(
                pk=PK_STANDIN,
                upvote_count=COUNT_STANDIN,
                is_solution=solution,
                viewer_voted=voted,
                viewer_can_vote=can_vote,
                viewer_can_edit=can_edit,
                viewer_can_accept=can_accept,
                viewer_flagged=flagged,
                author_id=self.user.pk if own else None,
                is_deleted=deleted,
            )
            with self.context.push(answer=standin):
                rendered = self.by_state[state] = compact(self.template.render(self.context))
        return rendered.replace(str(PK_STANDIN), str(answer.pk)).replace(str(COUNT_STANDIN), str(answer.upvote_count))


def _own_comments(answers, user) -> tuple:
    if not user.is_authenticated:
        return ()
    return tuple(c.pk for a in answers for c in getattr(a, "comment_list", ()) if c.author_id == user.pk)


class CachedAnswersNode(template.Node):
    def __init__(self, nodelist, thread, solution, answers):
        self.nodelist = nodelist
        self.thread, self.solution, self.answers = thread, solution, answers

    def _fragment(self, context, request, user, thread, shown) -> str:
        if request is None or user is None or thread is None or not settings.ANSWERS_FRAGMENT_CACHE:
            with context.push(csrf_token=CSRF_PLACEHOLDER):
                return compact(self.nodelist.render(context))
        parts = (
            FRAGMENT_FORMAT,
            thread.pk,
            thread.version,
            # Bumped when any member's rank badge changes (kudos) or a name changes.
            site_version(),
            request.get_full_path(),
            timezone.get_current_timezone_name(),  # times are rendered in the viewer's zone
            user.is_authenticated,
            bool(context.get("is_staff_viewer")),
            # Labels other apps put on answers (community.hooks); not viewer state.
            tuple(tuple(getattr(answer, "labels", ()) or ()) for answer in shown),
            # Comments under the answers: the asker's view, who may comment, which comments
            # the viewer may edit (community.views.threads.conversation_context).
            context.get("comment_state"),
            # Which of them the viewer wrote: everyone else's carry a Flag link.
            _own_comments(shown, user),
        )
        key = "fragment:answers:" + hashlib.sha256(repr(parts).encode()).hexdigest()
        html = cache.get(key)
        if html is None:
            with context.push(csrf_token=CSRF_PLACEHOLDER):
                html = compact(self.nodelist.render(context))
            cache.set(key, html, ANSWERS_FRAGMENT_SECONDS)
        return html

    def render(self, context) -> str:
        request = context.get("request")
        user = context.get("user")
        thread = self.thread.resolve(context)
        solution = self.solution.resolve(context)
        answers = self.answers.resolve(context)
        shown = ([solution] if solution else []) + list(answers)
        with context.push(answer_actions_deferred=True):
            html = self._fragment(context, request, user, thread, shown)
        if context.get("viewer_parts") is not None:
            # The shared member page (community.memberpage) splices the actions per request.
            return html
        by_pk = {answer.pk: answer for answer in shown}
        actions = Actions(context, user)
        with context.push(csrf_token=CSRF_PLACEHOLDER):
            html = ACTIONS_RE.sub(lambda m: actions.html(by_pk[int(m.group(1))]) if int(m.group(1)) in by_pk else "", html)
        if CSRF_PLACEHOLDER in html and request is not None:
            html = html.replace(CSRF_PLACEHOLDER, get_token(request))
        return html


@register.tag
def cached_answers(parser, token):
    """{% cached_answers thread solution answers %} ... {% endcached_answers %}"""
    bits = token.split_contents()
    if len(bits) != 4:
        raise template.TemplateSyntaxError("cached_answers takes thread, solution and answers")
    nodelist = parser.parse(("endcached_answers",))
    parser.delete_first_token()
    return CachedAnswersNode(nodelist, *(parser.compile_filter(bit) for bit in bits[1:]))


@register.simple_tag(takes_context=True)
def answer_actions(context, answer) -> str:
    """The marker {% cached_answers %} replaces with this viewer's controls for ``answer``;
    outside it (a partial that renders one answer), the controls themselves."""
    if context.get("answer_actions_deferred"):
        return mark_safe(ACTIONS_MARK.format(int(answer.pk)))
    with context.push(answer=answer):
        return context.template.engine.get_template("community/_answer_actions.html").render(context)


@register.simple_tag(takes_context=True)
def viewer_part(context, template_name: str) -> str:
    """A piece of a page that belongs to the viewer (their bell and menu, their "I have this
    too", following and flag state): included like {% include %}, except on the shared member
    page (community.memberpage), where it leaves a marker filled for each viewer."""
    parts = context.get("viewer_parts")
    if parts is not None:
        if template_name not in parts:
            parts.append(template_name)
        return mark_safe(PART_MARK.format(parts.index(template_name)))
    rendered = context.get("viewer_parts_rendered")
    if rendered is not None and template_name in rendered:
        return rendered[template_name]
    with context.push():
        html = context.template.engine.get_template(template_name).render(context)
    if rendered is not None:
        rendered[template_name] = html
    return html
