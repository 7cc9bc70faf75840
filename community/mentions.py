"""@mentions and the inline Markdown of comments.

``@username`` in a comment or an answer names a member: it is rendered as a link to their
profile and (notifications.receivers) tells them, if they may see the thread. Mentions inside
code (`...` spans and ``` fences) are left alone. Only MAX_MENTIONS distinct names per text
count, so a post cannot page the whole community.

Comments are short: they get the inline subset of Markdown only (emphasis, `code`, links,
strikethrough), sanitized by the same rules as posts (community.markdown) with fewer tags.
Callers bound the text's length before anything here runs.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

from community.markdown import URL_SCHEMES

MAX_MENTIONS = 10
# Django usernames: letters, digits and @.+-_ ; a mention ends before a trailing dot or dash
# ("thanks @ada." names ada). Not preceded by a word character, so emails are not mentions.
_MENTION_RE = re.compile(r"(?<![\w@/.+-])@([A-Za-z0-9_.+-]{1,150})")
# Code is never scanned: fenced blocks, then inline spans.
_CODE_RE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.DOTALL)

_inline = MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False}).enable(
    ["emphasis", "backticks", "link", "strikethrough", "escape", "entity", "newline"]
)
COMMENT_TAGS = {"em", "strong", "code", "a", "del", "s", "br"}
COMMENT_ATTRIBUTES = {"a": {"href", "title"}}


def _segments(text: str):
    """(is_code, piece) over the text, code pieces untouched."""
    position = 0
    for match in _CODE_RE.finditer(text):
        if match.start() > position:
            yield False, text[position : match.start()]
        yield True, match.group(0)
        position = match.end()
    if position < len(text):
        yield False, text[position:]


def _clean_name(raw: str) -> str:
    return raw.rstrip(".-+")


def find_usernames(text: str) -> list[str]:
    """The distinct usernames mentioned outside code, in order, at most MAX_MENTIONS."""
    names: list[str] = []
    for is_code, piece in _segments(text or ""):
        if is_code:
            continue
        for match in _MENTION_RE.finditer(piece):
            name = _clean_name(match.group(1))
            if name and name not in names:
                names.append(name)
                if len(names) >= MAX_MENTIONS:
                    return names
    return names


def mentioned_members(text: str) -> list:
    """Active members named in ``text`` (one query; none when nobody is named)."""
    from django.contrib.auth import get_user_model

    names = find_usernames(text)
    if not names:
        return []
    found = {u.username: u for u in get_user_model().objects.filter(username__in=names, is_active=True)}
    return [found[name] for name in names if name in found]


def newly_mentioned(members: list, *, before: str) -> list:
    """Of ``members`` (named in an edited text), those the text ``before`` the edit did not
    name: an edit tells only them, so a member hears of a mention once."""
    named = set(find_usernames(before))
    return [member for member in members if member.username not in named]


def _markdown_escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>~|])", r"\\\1", text)


def link_mentions(text: str, members: list) -> str:
    """The Markdown source with every mention of one of ``members`` made a link to their
    profile; other @words stay as they are."""
    if not members:
        return text
    by_name = {m.username: m for m in members}

    def replace(match: re.Match) -> str:
        raw = match.group(1)
        name = _clean_name(raw)
        member = by_name.get(name)
        if member is None:
            return match.group(0)
        link = f"[@{_markdown_escape(name)}]({member.get_absolute_url()})"
        return link + raw[len(name) :]

    return "".join(piece if is_code else _MENTION_RE.sub(replace, piece) for is_code, piece in _segments(text))


def _mark_mentions(html: str) -> str:
    # Only after sanitizing, and a fixed string: profile links get the mention style.
    return html.replace('<a href="/u/', '<a class="mention" href="/u/')


def render_comment(text: str, members: list) -> str:
    """Sanitized HTML for a comment's inline Markdown, mentions linked."""
    html = _inline.renderInline(link_mentions(text or "", members))
    clean = nh3.clean(
        html,
        tags=COMMENT_TAGS,
        attributes=COMMENT_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )
    return _mark_mentions(clean)


def render_post(text: str, members: list, render) -> str:
    """A question's or answer's HTML from ``render`` (community.markdown.render) with its
    mentions linked."""
    return _mark_mentions(render(link_mentions(text or "", members)))
