"""Search at /search/ and the similar-question suggestions at /ask/similar/."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import Answer, Thread
from community.search import highlight, search_threads, similar_threads
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_thread(*, title, body="Some details.", category=None, author=None, solved=False, **fields):
    """A thread row as the ask service leaves it (body_html is not what these tests look at)."""
    thread = Thread.objects.create(
        category=category or CategoryFactory(),
        author=author or UserFactory(),
        title=title,
        body=body,
        body_html=f"<p>{body}</p>",
        **fields,
    )
    if solved:
        answer = Answer.objects.create(
            thread=thread, author=UserFactory(), body="Fixed it.", body_html="<p>Fixed it.</p>"
        )
        Thread.objects.filter(pk=thread.pk).update(solution=answer, answer_count=1, solved_at=timezone.now())
        thread.refresh_from_db()
    return thread


# --- Similar questions ---------------------------------------------------------------------


def test_similar_suggests_listed_threads_with_solved_first(client):
    unsolved = make_thread(title="Invoice shows the wrong currency")
    solved = make_thread(title="Wrong currency on my invoice", solved=True)
    make_thread(title="Mobile app crashes on start")

    response = client.get(reverse("community:similar"), {"title": "invoice currency wrong"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "These might already answer your question" in html
    assert html.index(solved.title) < html.index(unsolved.title)
    assert "Solved" in html
    assert "Mobile app crashes" not in html


def test_similar_never_suggests_private_deleted_or_hidden_threads(client):
    make_thread(title="Refund for my invoice please", is_private=True, private_reason="author")
    make_thread(title="Refund for invoice deleted", is_deleted=True)
    make_thread(title="Refund for invoice hidden", is_hidden=True)

    found = similar_threads(title="refund invoice")
    response = client.get(reverse("community:similar"), {"title": "refund invoice"})

    assert found == []
    assert "Refund" not in response.content.decode()


def test_similar_with_a_short_title_is_an_empty_response(client):
    make_thread(title="ab cd")

    response = client.get(reverse("community:similar"), {"title": " ab "})

    assert response.status_code == 200
    assert response.content == b""


def test_similar_returns_at_most_five(client):
    for n in range(8):
        make_thread(title=f"Calendar sync stopped working {n}")

    assert len(similar_threads(title="calendar sync stopped")) == 5


def test_similar_escapes_titles(client):
    make_thread(title="<script>alert(1)</script> sync problem")

    html = client.get(reverse("community:similar"), {"title": "sync problem"}).content.decode()

    assert "<script>" not in html
    assert "&lt;script&gt;" in html


# --- Search --------------------------------------------------------------------------------


def test_highlight_escapes_text_and_marks_only_the_words():
    html = highlight("<b>Invoice</b> & invoices", ["invoice"])

    assert str(html) == "&lt;b&gt;<mark>Invoice</mark>&lt;/b&gt; &amp; <mark>invoice</mark>s"


def results(response) -> list[str]:
    page = response.context["page"]
    return [t.title for t in page.object_list] if page else []


def test_search_finds_threads_by_title_and_body(client):
    by_title = make_thread(title="Invoice shows the wrong currency")
    by_body = make_thread(title="Strange amounts", body="The invoice total looks odd")
    make_thread(title="Mobile app crashes", body="Nothing to do with billing")

    response = client.get(reverse("community:search"), {"q": "invoice"})

    assert response.status_code == 200
    assert set(results(response)) == {by_title.title, by_body.title}


def test_search_never_shows_private_deleted_or_hidden_threads(client, staff):
    author = UserFactory()
    make_thread(title="Refund public question")
    make_thread(title="Refund private question", author=author, is_private=True, private_reason="detected")
    make_thread(title="Refund deleted question", is_deleted=True)
    make_thread(title="Refund hidden question", is_hidden=True)

    for viewer in (None, author, staff):
        if viewer:
            client.force_login(viewer)
        response = client.get(reverse("community:search"), {"q": "refund"})
        assert results(response) == ["Refund public question"]
        assert "private question" not in response.content.decode()


def test_search_filters_by_category_and_solved(client):
    billing = CategoryFactory(slug="billing")
    solved = make_thread(title="Refund arrived late", category=billing, solved=True)
    make_thread(title="Refund not yet", category=billing)
    make_thread(title="Refund elsewhere", solved=True)
    url = reverse("community:search")

    assert results(client.get(url, {"q": "refund", "category": "billing", "solved": "yes"})) == [solved.title]
    assert results(client.get(url, {"q": "refund", "category": "billing", "solved": "no"})) == ["Refund not yet"]
    assert len(results(client.get(url, {"q": "refund", "category": "nope"}))) == 3


def test_empty_search_shows_tips(client):
    response = client.get(reverse("community:search"), {"q": "   "})

    assert response.status_code == 200
    assert "Tips for finding an answer" in response.content.decode()


@pytest.mark.parametrize("query", ["!!! ??? ---", '"', "&&&", "-", "<script>", "a" * 5000, "(((", "'; DROP TABLE x; --"])
def test_nonsense_queries_show_no_results_not_an_error(client, query):
    make_thread(title="Calendar sync")

    response = client.get(reverse("community:search"), {"q": query})

    assert response.status_code == 200
    html = response.content.decode()
    assert "No results" in html
    assert "<script>" not in html.split("<main", 1)[1]


def test_search_snippets_mark_words_and_escape_everything_else(client):
    make_thread(title="Invoice <b>bold</b> title", body='Your invoice <script>alert("x")</script> is here')

    html = client.get(reverse("community:search"), {"q": "invoice"}).content.decode()
    main = html.split("<main", 1)[1]

    assert "<mark>" in main
    assert "<script>alert" not in main
    assert "<b>bold</b>" not in main
    assert "&lt;b&gt;" in main


def test_search_ranks_solved_threads_higher_when_otherwise_alike(client):
    make_thread(title="Sync stopped on android")
    solved = make_thread(title="Sync stopped on android phone", solved=True)

    assert results(client.get(reverse("community:search"), {"q": "sync stopped"}))[0] == solved.title


def test_search_page_queries_do_not_grow_with_results(client, django_assert_max_num_queries, category):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n):
        for i in range(n):
            thread = make_thread(title=f"Sync issue number {i}", body="sync stopped", category=category)
            thread.tags.add("sync", f"t{i % 5}")

    add(10)
    client.get(reverse("community:search"), {"q": "sync"})
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("community:search"), {"q": "sync"})
    add(50)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("community:search"), {"q": "sync"})
    assert len(response.context["page"].object_list) == 25
    assert len(small.captured_queries) <= 8


def test_postgres_search_weights_title_above_body(on_postgres):
    in_body = make_thread(title="Something else", body="printer printer printer")
    in_title = make_thread(title="Printer offline", body="It says offline.")

    found = [t.pk for t in search_threads(query="printer").threads]

    assert found == [in_title.pk, in_body.pk]


def test_postgres_search_uses_stemming_and_websearch_syntax(on_postgres):
    stemmed = make_thread(title="Syncing calendars fails")
    make_thread(title="Calendar sync with google")

    assert [t.pk for t in search_threads(query="sync calendar -google").threads] == [stemmed.pk]


def test_postgres_search_vector_follows_edits(on_postgres):
    thread = make_thread(title="Old words")
    Thread.objects.filter(pk=thread.pk).update(title="Fresh wording")

    assert [t.pk for t in search_threads(query="fresh").threads] == [thread.pk]
    assert list(search_threads(query="old").threads) == []


def test_postgres_search_query_uses_the_gin_index(on_postgres):
    for n in range(30):
        make_thread(title=f"Filler question {n}")
    from django.contrib.postgres.search import SearchQuery

    from community.search import _search_vector

    # The exact condition search_threads filters on; with sequential scans off the planner
    # must be able to answer it from the GIN index (on a big table it picks it by itself).
    matching = Thread.objects.alias(search_vector=_search_vector()).filter(
        search_vector=SearchQuery("filler", search_type="websearch", config="english")
    )
    with on_postgres.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = matching.explain()

    assert "thread_search_vector" in plan
