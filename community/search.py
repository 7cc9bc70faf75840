"""Finding threads by words: the search page and the similar-question suggestions on the ask page.

Only Thread.objects.listed() is ever searched, so private, deleted and hidden threads can never
turn up in a result or a suggestion, whoever is looking.

On PostgreSQL, search uses the stored generated column ``community_thread.search_vector``
(title weighted A, body weighted B, english configuration) with a GIN index, both made by
migration 0003_search_vector; the column is not a model field, so it is reached through
``_search_vector()``. Suggestions also use trigram similarity on the title (pg_trgm, same
migration). On SQLite the same functions fall back to case-insensitive word matching.

Snippets are built safely: the text is escaped first and only our own <mark> tags are added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
    TrigramSimilarity,
)
from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import Expression
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from community.models import Thread

MAX_QUERY_LENGTH = 200
SOLVED_BOOST = 1.5
SIMILAR_LIMIT = 5
SIMILAR_MIN_TITLE = 3
SIMILAR_CANDIDATES = 200
SNIPPET_CHARS = 220

# Markers that ts_headline puts around matches. They are private-use characters that are
# removed from the text before it is escaped, so only the markers we asked for become <mark>.
_START = "\ue000"
_STOP = "\ue001"
_WORD_RE = re.compile(r"\w+", re.UNICODE)
# Words too common to say anything about whether two questions are alike (SQLite fallback).
_STOP_WORDS = frozenset(
    "a an and are as at be but by can do does for from how i if in is it my no not of on or "
    "so that the their there this to was what when where which who why will with you your "
    "me we our they he she its have has had get got cannot can't".split()
)


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


def normalise_query(raw: str | None) -> str:
    """The query as we search for it: trimmed, whitespace collapsed, at most 200 characters."""
    return " ".join((raw or "").split())[:MAX_QUERY_LENGTH]


def query_words(text: str) -> list[str]:
    """The distinct words of a query, lower-cased, in order (punctuation dropped)."""
    seen: list[str] = []
    for word in _WORD_RE.findall(text.lower()):
        if word not in seen:
            seen.append(word)
    return seen[:20]


class _SearchVectorColumn(Expression):
    """The generated column community_thread.search_vector (not a model field).

    Referenced by table name: search only ever queries community_thread as the base table,
    never under an alias."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        return '"community_thread"."search_vector"', []


def _search_vector() -> _SearchVectorColumn:
    return _SearchVectorColumn()


def _solved_boost() -> Case:
    return Case(
        When(solution__isnull=False, then=Value(SOLVED_BOOST)),
        default=Value(1.0),
        output_field=FloatField(),
    )


@dataclass
class SearchResults:
    """What the search page shows. ``threads`` is a queryset when there is something to page
    through; each thread carries ``title_snippet`` and ``body_snippet`` (safe HTML) once
    ``add_snippets`` ran on a page of them."""

    query: str
    threads: QuerySet | None
    words: list[str]


def search_threads(*, query: str, category=None, solved: bool | None = None) -> SearchResults:
    """Listed threads matching ``query`` best first (solved ones boosted).

    An empty query or one without any word (only punctuation) finds nothing and never fails.
    """
    query = normalise_query(query)
    words = query_words(query)
    if not words:
        return SearchResults(query=query, threads=None, words=words)
    threads = Thread.objects.listed().with_list_data()
    if category is not None:
        threads = threads.filter(category=category)
    if solved is True:
        threads = threads.solved()
    elif solved is False:
        threads = threads.unsolved()
    if uses_postgres():
        ts_query = SearchQuery(query, search_type="websearch", config="english")
        vector = _search_vector()
        threads = (
            threads.alias(search_vector=vector)
            .filter(search_vector=ts_query)
            .annotate(score=SearchRank(vector, ts_query) * _solved_boost())
            .order_by("-score", "-last_activity_at", "-pk")
        )
    else:
        for word in words:
            threads = threads.filter(Q(title__icontains=word) | Q(body__icontains=word))
        threads = threads.annotate(score=_solved_boost()).order_by("-score", "-last_activity_at", "-pk")
    return SearchResults(query=query, threads=threads, words=words)


def add_snippets(threads, *, query: str, words: list[str]) -> list[Thread]:
    """Give each thread of a page ``title_snippet`` and ``body_snippet``: escaped text with
    the matched words in <mark>. One extra query on PostgreSQL (ts_headline for the page
    only), none on SQLite."""
    threads = list(threads)
    if not threads:
        return threads
    if uses_postgres():
        ts_query = SearchQuery(query, search_type="websearch", config="english")
        options = {"start_sel": _START, "stop_sel": _STOP}
        rows = Thread.objects.filter(pk__in=[t.pk for t in threads]).annotate(
            title_headline=SearchHeadline(
                "title", ts_query, config="english", highlight_all=True, **options
            ),
            body_headline=SearchHeadline(
                "body",
                ts_query,
                config="english",
                max_words=40,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
                **options,
            ),
        ).values_list("pk", "title_headline", "body_headline")
        headlines = {pk: (title, body) for pk, title, body in rows}
        for thread in threads:
            title, body = headlines.get(thread.pk, (thread.title, ""))
            thread.title_snippet = _marked_html(title)
            thread.body_snippet = _marked_html(body)
    else:
        for thread in threads:
            thread.title_snippet = highlight(thread.title, words)
            thread.body_snippet = highlight(excerpt(thread.body, words), words)
    return threads


def _marked_html(text: str) -> SafeString:
    """Escape ts_headline output and turn only its markers into <mark> elements, balanced."""
    out: list[str] = []
    open_mark = False
    for part in re.split(f"([{_START}{_STOP}])", text or ""):
        if part == _START and not open_mark:
            out.append("<mark>")
            open_mark = True
        elif part == _STOP and open_mark:
            out.append("</mark>")
            open_mark = False
        elif part not in (_START, _STOP):
            out.append(escape(part))
    if open_mark:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - every piece of user text above is escaped


def highlight(text: str, words: list[str]) -> SafeString:
    """Escaped ``text`` with every occurrence of ``words`` (case-insensitive) in <mark>."""
    text = text or ""
    words = [w for w in words if w]
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece of user text above is escaped


def excerpt(text: str, words: list[str], *, length: int = SNIPPET_CHARS) -> str:
    """About ``length`` characters of plain ``text`` around the first matched word."""
    flat = " ".join((text or "").split())
    lower = flat.lower()
    hits = [lower.find(w) for w in words if w and lower.find(w) >= 0]
    start = max(0, min(hits) - length // 3) if hits else 0
    piece = flat[start : start + length]
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + length < len(flat) else ""
    return f"{prefix}{piece}{suffix}"


def similar_threads(*, title: str, limit: int = SIMILAR_LIMIT) -> list[Thread]:
    """Up to ``limit`` listed threads that look like a question titled ``title``, solved ones
    first. Titles shorter than 3 characters suggest nothing."""
    title = normalise_query(title)
    if len(title) < SIMILAR_MIN_TITLE:
        return []
    words = [w for w in query_words(title) if w not in _STOP_WORDS or len(query_words(title)) == 1]
    threads = Thread.objects.listed().select_related("category")
    if uses_postgres():
        match = Q(title__trigram_similar=title)
        ts_query = None
        for word in words:
            part = SearchQuery(word, search_type="plain", config="english")
            ts_query = part if ts_query is None else ts_query | part
        vector = _search_vector()
        threads = threads.alias(search_vector=vector)
        if ts_query is not None:
            match |= Q(search_vector=ts_query)
            rank = SearchRank(vector, ts_query)
        else:
            rank = Value(0.0, output_field=FloatField())
        # Score at most SIMILAR_CANDIDATES matches, the most recently active: common words can
        # match a large share of all threads, and ranking every one of them on each keystroke
        # costs far more than these suggestions are worth.
        # Fetched first as a plain list: as a subquery the planner may re-run the match per row.
        candidates = list(
            threads.filter(match).order_by("-last_activity_at").values_list("pk", flat=True)[:SIMILAR_CANDIDATES]
        )
        if not candidates:
            return []
        threads = (
            threads.filter(pk__in=candidates)
            .annotate(score=rank + TrigramSimilarity("title", title))
            .order_by(
                Case(When(solution__isnull=False, then=Value(0)), default=Value(1)),
                F("score").desc(),
                "-last_activity_at",
            )
        )
        return list(threads[:limit])
    if not words:
        return []
    matches = Q()
    for word in words:
        matches |= Q(title__icontains=word)
    candidates = list(threads.filter(matches).order_by("-last_activity_at")[:200])
    wanted = set(words)

    def overlap(thread: Thread) -> int:
        return len(wanted & set(query_words(thread.title)))

    candidates = [t for t in candidates if overlap(t) > 0]
    candidates.sort(key=lambda t: (not t.has_solution, -overlap(t)))
    return candidates[:limit]
