"""Relevance measured on a written corpus (bench/search_corpus.py): the thread that answers an
everyday query is in the top 3 for at least 80 % of queries, and for 60 % of queries with a typo.
PostgreSQL only: stemming and trigram similarity are what make it work."""

import pytest

from bench.search_corpus import QUERIES, THREADS, TYPO_QUERIES
from community import services
from community.search import rebuild_search_words, search_threads
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def top3_share(queries, threads) -> float:
    hits = 0
    for query, expected in queries:
        results = search_threads(query=query)
        hits += threads[expected].pk in list(results.threads.values_list("pk", flat=True)[:3])
    return hits / len(queries)


def test_the_answering_thread_is_in_the_top_three_for_most_queries(on_postgres):
    category = CategoryFactory()
    author = UserFactory()
    threads = [services.ask_question(author=author, category=category, title=title, body=body, tags="")
               for title, body in THREADS]
    rebuild_search_words()
    assert top3_share(QUERIES, threads) >= 0.8
    assert top3_share(TYPO_QUERIES, threads) >= 0.6
