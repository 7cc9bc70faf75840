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
