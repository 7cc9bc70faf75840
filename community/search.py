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
from django.db import connection, transaction
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import Expression
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from community.models import SearchWord, Thread

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


SORTS = {"relevance": "Best match", "new": "Newest", "helpful": "Most helpful"}
DATE_RANGES = {"week": ("Past week", 7), "month": ("Past month", 31), "year": ("Past year", 366)}
# Fewer matches than this and the words are checked for typos (in a query of at most
# MAX_CORRECTED_WORDS words).
FEW_RESULTS = 3
MAX_CORRECTED_WORDS = 8
# At most this many threads with any query word (the most recently active) are ranked, plus
# this many with all of them.
SEARCH_CANDIDATES = 1000
ALL_WORDS_CANDIDATES = 300
# Typo correction: how many look-alike words of the vocabulary are weighed per unknown word.
TYPO_CANDIDATES = 30
TYPO_MIN_LENGTH = 4
# The vocabulary (SearchWord) holds the words of listed titles of this many letters, no numbers.
WORD_MIN_LENGTH = 3
WORD_MAX_LENGTH = 40
_OPERATORS_RE = re.compile(r'"|(?:^|\s)-\w')


@dataclass
class SearchResults:
    """What the search page shows. ``threads`` is a queryset when there is something to page
    through; each thread carries ``title_snippet`` and ``body_snippet`` (safe HTML) once
    ``add_snippets`` ran on a page of them.

    ``suggestion`` is the query with its typos corrected; ``corrected`` says the results are
    for the suggestion because the query as typed found nothing (Google's "Showing results
    for"); otherwise the page offers the suggestion as "Did you mean".
    """

    query: str
    threads: QuerySet | None
    words: list[str]
    suggestion: str = ""
    corrected: bool = False


def search_threads(
    *,
    query: str,
    category=None,
    tag=None,
    solved: bool | None = None,
    since=None,
    sort: str = "relevance",
) -> SearchResults:
    """Listed threads matching ``query``, best first, with optional filters.

    Forgiving by design: a thread matches when any query word does (stemmed, stop words
    dropped, on PostgreSQL), and ranks by how many of the words it has, titles above bodies,
    solved threads boosted. Quotes and ``-word`` keep their strict meaning (all words, exact
    phrase, excluded word). When the query finds fewer than FEW_RESULTS threads, its words
    are checked for typos against the titles of listed threads (trigram similarity, then edit
    distance); a query that found nothing is run again corrected.

    An empty query or one without any word (only punctuation) finds nothing and never fails.
    """
    query = normalise_query(query)
    words = query_words(query)
    if not words:
        return SearchResults(query=query, threads=None, words=words)
    base = Thread.objects.listed().with_list_data()
    if category is not None:
        base = base.filter(category=category)
    if tag is not None:
        base = base.filter(tags=tag)
    if since is not None:
        base = base.filter(created_at__gte=since)
    if solved is True:
        base = base.solved()
    elif solved is False:
        base = base.unsolved()
    strict = bool(_OPERATORS_RE.search(query))
    threads = _matching(base, query=query, words=words, strict=strict)
    suggestion, corrected = "", False
    if _wants_typo_check(threads, words=words, strict=strict):
        fixed = correct_words(words)
        if fixed != words:
            fixed_threads = _matching(base, query=" ".join(fixed), words=fixed, strict=False)
            # Offered only when it finds something: a word can outlive its thread's listing in
            # the vocabulary until the next rebuild.
            if fixed_threads.exists():
                suggestion = " ".join(fixed)
                if not threads.exists():
                    corrected, threads = True, fixed_threads
    return SearchResults(
        query=query, threads=_sorted(threads, sort), words=fixed if corrected else words,
        suggestion=suggestion, corrected=corrected,
    )


def _wants_typo_check(threads: QuerySet, *, words: list[str], strict: bool) -> bool:
    """Whether the query's words are checked for typos: a plain query (no quotes or -word, which
    say the member means exactly what they typed) of at most MAX_CORRECTED_WORDS words that
    found fewer than FEW_RESULTS threads. Counts only when the rest holds and _matching did not
    already say how many it found."""
    if strict or len(words) > MAX_CORRECTED_WORDS:
        return False
    found = getattr(threads, "candidate_count", None)
    if found is None:
        found = threads[:FEW_RESULTS].count()
    return found < FEW_RESULTS


def _matching(threads: QuerySet, *, query: str, words: list[str], strict: bool) -> QuerySet:
    """Threads matching the words, annotated with ``matched`` (how many query words each has)
    and ``score`` (how well, solved boosted)."""
    if uses_postgres():
        vector = _search_vector()
        threads = threads.alias(search_vector=vector)
        if strict:
            ts_query = SearchQuery(query, search_type="websearch", config="english")
            return threads.filter(search_vector=ts_query).annotate(
                matched=Value(len(words)), score=SearchRank(vector, ts_query) * _solved_boost()
            )
        parts = [SearchQuery(word, search_type="plain", config="english") for word in words]
        ts_query = parts[0]
        for part in parts[1:]:
            ts_query = ts_query | part
        matched = sum(
            (Case(When(search_vector=part, then=Value(1)), default=Value(0)) for part in parts), Value(0)
        )
        # Ranking reads every matching row's vector, and a common word matches a large share of
        # the community: rank at most the SEARCH_CANDIDATES most recently active threads with
        # any of the words, plus the ALL_WORDS_CANDIDATES most recent with all of them (the
        # best matches, even when older). Fetched as lists first: as subqueries the planner may
        # re-run the match per row.
        candidates = list(
            threads.filter(search_vector=ts_query).order_by("-last_activity_at")
            .values_list("pk", flat=True)[:SEARCH_CANDIDATES]
        )
        if len(parts) > 1 and len(candidates) == SEARCH_CANDIDATES:
            every = parts[0]
            for part in parts[1:]:
                every = every & part
            candidates += list(
                threads.filter(search_vector=every).order_by("-last_activity_at")
                .values_list("pk", flat=True)[:ALL_WORDS_CANDIDATES]
            )
        matching = threads.filter(pk__in=set(candidates)).annotate(
            matched=matched, score=SearchRank(vector, ts_query) * _solved_boost()
        )
        matching.candidate_count = len(set(candidates))  # spares search_threads a COUNT
        return matching
    # SQLite: case-insensitive word matching, a title match counting double.
    if strict:
        return _strict_words(threads, query).annotate(matched=Value(len(words)), score=_solved_boost())
    meaningful = [w for w in words if w not in _STOP_WORDS] or words
    anywhere = Q()
    matched = Value(0)
    for word in meaningful:
        in_title = Q(title__icontains=word)
        anywhere |= in_title | Q(body__icontains=word)
        matched = matched + Case(When(in_title | Q(body__icontains=word), then=Value(1)), default=Value(0))
        matched = matched + Case(When(in_title, then=Value(1)), default=Value(0))
    return threads.filter(anywhere).annotate(matched=matched, score=_solved_boost())


_PHRASE_RE = re.compile(r'"([^"]*)"|(-?)(\w+)')


def _strict_words(threads: QuerySet, query: str) -> QuerySet:
    """Web-search syntax without PostgreSQL: "a phrase" must appear as written, -word must not
    appear, every other word must."""
    for phrase, minus, word in _PHRASE_RE.findall(query):
        if phrase.strip():
            threads = threads.filter(Q(title__icontains=phrase.strip()) | Q(body__icontains=phrase.strip()))
        elif minus:
            threads = threads.exclude(Q(title__icontains=word) | Q(body__icontains=word))
        elif word:
            threads = threads.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return threads


def _sorted(threads: QuerySet, sort: str) -> QuerySet:
    if sort == "new":
        return threads.order_by("-created_at", "-pk")
    if sort == "helpful":
        return threads.order_by(
            Case(When(solution__isnull=False, then=Value(0)), default=Value(1)),
            (F("upvote_count") + F("me_too_count")).desc(),
            "-last_activity_at",
            "-pk",
        )
    return threads.order_by("-matched", "-score", "-last_activity_at", "-pk")


def correct_words(words: list[str]) -> list[str]:
    """``words`` with each likely typo replaced by the nearest word of the titles of listed
    threads (SearchWord: at most two edits, one for short words; the more common word on a
    tie). Known words, short words and numbers stay as typed. Two queries at most per
    unknown word, one to tell the known words."""
    checked = [w for w in words if len(w) >= TYPO_MIN_LENGTH and _is_vocabulary_word(w)]
    if not checked:
        return words
    known = set(SearchWord.objects.filter(word__in=checked).values_list("word", flat=True))
    fixes = {}
    for word in checked:
        if word not in known and word not in fixes:
            fixes[word] = _nearest(word, _words_like(word)) or word
    return [fixes.get(w, w) for w in words]


def _words_like(word: str) -> dict[str, int]:
    """Vocabulary words that look like ``word``, with how many titles have each."""
    words = SearchWord.objects.all()
    if uses_postgres():
        from django.contrib.postgres.search import TrigramSimilarity

        # pg_trgm's % operator (similarity above 0.3) on the trigram index.
        words = words.filter(word__trigram_similar=word).annotate(alike=TrigramSimilarity("word", word))
        return dict(words.order_by("-alike").values_list("word", "threads")[:TYPO_CANDIDATES])
    # SQLite: the words with the same first letter (a typo there is rare), weighed in Python.
    return dict(words.filter(word__startswith=word[0]).values_list("word", "threads")[:5000])


def rebuild_search_words(*, using: str = "default") -> int:
    """Make the vocabulary the words (_is_vocabulary_word) of the titles of listed threads, with
    their counts; words of threads no longer listed leave it. Returns how many words."""
    from django.db import connections

    connection_ = connections[using]
    with transaction.atomic(using=using):
        if connection_.vendor == "postgresql":
            with connection_.cursor() as cursor:
                cursor.execute("DELETE FROM community_searchword")
                cursor.execute(
                    """
                    INSERT INTO community_searchword (word, threads)
                    SELECT word, count(DISTINCT id) FROM (
                        SELECT id, regexp_split_to_table(lower(title), '[^[:alnum:]]+') AS word
                        FROM community_thread
                        WHERE NOT is_private AND NOT is_deleted AND NOT is_hidden  -- listed_q()
                    ) words
                    WHERE length(word) BETWEEN %s AND %s AND word !~ '^[0-9]+$'
                    GROUP BY word
                    """,
                    [WORD_MIN_LENGTH, WORD_MAX_LENGTH],
                )
                return cursor.rowcount
        counts: dict[str, int] = {}
        for title in Thread.objects.using(using).listed().values_list("title", flat=True).iterator():
            for word in _title_words(title):
                counts[word] = counts.get(word, 0) + 1
        SearchWord.objects.using(using).all().delete()
        SearchWord.objects.using(using).bulk_create(
            [SearchWord(word=word, threads=n) for word, n in counts.items()], batch_size=2000
        )
        return len(counts)


def add_search_words(*, title: str) -> None:
    """Add a listed thread's title words to the vocabulary at once (beat's rebuild fixes the
    counts later)."""
    words = _title_words(title)
    if words:
        SearchWord.objects.bulk_create([SearchWord(word=w) for w in words], ignore_conflicts=True)


def _is_vocabulary_word(word: str) -> bool:
    """Whether a word of a title belongs in the vocabulary (rebuild_search_words says the same
    in SQL on PostgreSQL)."""
    return WORD_MIN_LENGTH <= len(word) <= WORD_MAX_LENGTH and not word.isdigit()


def _title_words(title: str) -> set[str]:
    return {word for word in _WORD_RE.findall(title.lower()) if _is_vocabulary_word(word)}


def _on_question_changed(sender, thread, **kwargs) -> None:
    if thread.is_listed:
        add_search_words(title=thread.title)


def connect() -> None:
    """Keep the vocabulary current as public questions are asked or retitled (community's
    own events; wired in CommunityConfig.ready)."""
    from community import events

    events.question_asked.connect(_on_question_changed, dispatch_uid="search-words-asked")
    events.question_edited.connect(_on_question_changed, dispatch_uid="search-words-edited")


def _nearest(word: str, counts: dict[str, int]) -> str | None:
    limit = 1 if len(word) <= 5 else 2
    if word in counts:
        return None
    best = None
    for candidate, count in counts.items():
        if abs(len(candidate) - len(word)) > limit or candidate.isdigit():
            continue
        distance = edit_distance(word, candidate, limit=limit)
        if distance <= limit:
            key = (distance, -count, candidate)
            if best is None or key < best[0]:
                best = (key, candidate)
    return best[1] if best else None


def edit_distance(a: str, b: str, *, limit: int) -> int:
    """Optimal string alignment distance (insertions, deletions, substitutions and swaps of
    two neighbouring letters count one each); stops early past ``limit``."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def add_snippets(threads, *, query: str, words: list[str]) -> list[Thread]:
    """Give each thread of a page ``title_snippet`` and ``body_snippet``: escaped text with
    the matched words in <mark>. One extra query on PostgreSQL (ts_headline for the page
    only), none on SQLite."""
    threads = list(threads)
    if not threads:
        return threads
    if uses_postgres():
        # Any of the words is marked, as any of them made the thread match; quotes and
        # -word keep their meaning.
        if not _OPERATORS_RE.search(query):
            query = " or ".join(words)
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
