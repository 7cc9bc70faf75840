"""Search relevance and speed on a written corpus of support questions (bench/search_corpus.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peerdesk .venv/bin/python bench/search_relevance.py
    ... bench/search_relevance.py --scale 100000   # the corpus among 100,000 seeded questions
    (-v lists the misses; --keep leaves the test database for a closer look)

Creates a throw-away test database next to DATABASE_URL's (PostgreSQL: search there is
full-text with stemming; SQLite falls back to word matching), asks every corpus question through
the real services, then for each query reports whether the thread that answers it is in the top
3, for the search as it ranks now and for the strict all-words search it replaced, with the
latency of each search (median and 95th percentile).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django  # noqa: E402

django.setup()

from django.contrib.postgres.search import SearchQuery, SearchRank  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench.search_corpus import QUERIES, THREADS, TYPO_QUERIES  # noqa: E402


def load_corpus():
    from community import services
    from community.models import Category
    from tests.factories import UserFactory

    category = Category.objects.create(name="Products", slug="products")
    authors = [UserFactory() for _ in range(5)]
    return [
        services.ask_question(author=authors[n % 5], category=category, title=title, body=body, tags="")
        for n, (title, body) in enumerate(THREADS)
    ]


def strict_search(query: str) -> list[int]:
    """The search before: every word must appear (websearch syntax)."""
    from community.models import Thread
    from community.search import _search_vector, _solved_boost, uses_postgres

    threads = Thread.objects.listed()
    if uses_postgres():
        ts_query = SearchQuery(query, search_type="websearch", config="english")
        vector = _search_vector()
        threads = (
            threads.alias(search_vector=vector).filter(search_vector=ts_query)
            .annotate(score=SearchRank(vector, ts_query) * _solved_boost()).order_by("-score", "-pk")
        )
    else:
        from django.db.models import Q

        from community.search import query_words

        for word in query_words(query):
            threads = threads.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return list(threads.values_list("pk", flat=True)[:10])


def forgiving_search(query: str) -> list[int]:
    from community.search import search_threads

    results = search_threads(query=query)
    return [] if results.threads is None else list(results.threads.values_list("pk", flat=True)[:10])


def measure(search, queries, threads) -> tuple[float, float, list[float]]:
    top3 = found = 0
    times = []
    for query, expected in queries:
        start = time.perf_counter()
        pks = search(query)
        times.append((time.perf_counter() - start) * 1000)
        top3 += threads[expected].pk in pks[:3]
        found += bool(pks)
    return top3 / len(queries), found / len(queries), times


def main() -> None:
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        scale = int(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 0
        if scale:
            from django.core.management import call_command

            call_command("seed_bench", scale=scale, verbosity=0)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        threads = load_corpus()
        from community.search import rebuild_search_words

        start = time.perf_counter()
        words = rebuild_search_words()
        print(f"typo vocabulary: {words:,} words rebuilt in {time.perf_counter() - start:.2f} s")
        print(f"database: {connection.vendor}; corpus: {len(threads)} questions among {scale:,} seeded, "
              f"{len(QUERIES)} everyday queries, {len(TYPO_QUERIES)} with a typo")
        print(f"{'search':<46} {'top 3':>7} {'found any':>10} {'p50 ms':>8} {'p95 ms':>8}")
        for label, search in (("strict, every word (before)", strict_search),
                              ("forgiving + typo correction (now)", forgiving_search)):
            for kind, queries in (("everyday", QUERIES), ("one typo", TYPO_QUERIES)):
                share, found, times = measure(search, queries, threads)
                p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
                print(f"{label + ', ' + kind:<46} {share:>7.0%} {found:>10.0%} "
                      f"{statistics.median(times):>8.1f} {p95:>8.1f}")
        if "-v" in sys.argv:
            for query, expected in QUERIES + TYPO_QUERIES:
                pks = forgiving_search(query)
                if threads[expected].pk not in pks[:3]:
                    print("miss:", query, "->", THREADS[expected][0])
    finally:
        if "--keep" not in sys.argv:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
