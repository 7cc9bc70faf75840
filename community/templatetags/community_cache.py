"""{% cached_answers %}: the answers of a thread page, rendered once per thread version and
viewer state and then served from the cache.

Rendering a hundred answers with their buttons and flag boxes is most of a thread page's cost
for signed-in members, who can't be served the anonymous page cache. The key is the thread's
``version`` (bumped by every change to what the page shows) plus everything that differs
between viewers for each answer: voted, may vote / edit / accept, flagged, is the author, staff
with revisions; and for the comments under them, the state conversation_context gives and
which of them are the viewer's own. Members in the same state share one entry. CSRF tokens
differ per member, so the fragment is rendered with a placeholder that is replaced by this
request's token on the way out. The site version is part of the key, so a rank badge or name change shows at once.
"""

from __future__ import annotations

import hashlib

from django import template
from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.utils import timezone

from community.pagecache import site_version

register = template.Library()

ANSWERS_FRAGMENT_SECONDS = 300
CSRF_PLACEHOLDER = "csrfPlaceholder0x5f3759df"


def _viewer_state(answer, user) -> tuple:
    return (
        answer.pk,
        getattr(answer, "is_solution", False),
        getattr(answer, "viewer_voted", False),
        getattr(answer, "viewer_can_vote", False),
        getattr(answer, "viewer_can_edit", False),
        getattr(answer, "viewer_can_accept", False),
        getattr(answer, "viewer_flagged", False),
        user.is_authenticated and answer.author_id == user.pk,
        len(getattr(answer, "revision_list", ()) or ()),
        tuple(getattr(answer, "labels", ()) or ()),
    )


def _own_comments(answers, user) -> tuple:
    if not user.is_authenticated:
        return ()
    return tuple(c.pk for a in answers for c in getattr(a, "comment_list", ()) if c.author_id == user.pk)


class CachedAnswersNode(template.Node):
    def __init__(self, nodelist, thread, solution, answers):
        self.nodelist = nodelist
        self.thread, self.solution, self.answers = thread, solution, answers

    def render(self, context) -> str:
        request = context.get("request")
        user = context.get("user")
        thread = self.thread.resolve(context)
        solution = self.solution.resolve(context)
        answers = self.answers.resolve(context)
        if request is None or user is None or thread is None or not settings.ANSWERS_FRAGMENT_CACHE:
            return self.nodelist.render(context)
        shown = ([solution] if solution else []) + list(answers)
        parts = (
            thread.pk,
            thread.version,
            # Bumped when any member's rank badge changes (kudos) or a name changes.
            site_version(),
            request.get_full_path(),
            timezone.get_current_timezone_name(),  # times are rendered in the viewer's zone
            user.is_authenticated,
            bool(context.get("is_staff_viewer")),
            tuple(_viewer_state(answer, user) for answer in shown),
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
                html = self.nodelist.render(context)
            cache.set(key, html, ANSWERS_FRAGMENT_SECONDS)
        if CSRF_PLACEHOLDER in html:
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
