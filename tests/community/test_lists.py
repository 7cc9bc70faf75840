"""The thread lists: home, categories, tags, their filters and the sidebar."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import Answer, Thread
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_thread(*, title="A question", category=None, author=None, tags=(), solved=False, **fields):
    """A thread row as the ask service leaves it, plus its tags and, if asked, a solution."""
    thread = Thread.objects.create(
        category=category or CategoryFactory(),
        author=author or UserFactory(),
        title=title,
        body="Some details.",
        body_html="<p>Some details.</p>",
        **fields,
    )
    if tags:
        thread.tags.add(*tags)
    if solved:
        answer = Answer.objects.create(thread=thread, author=UserFactory(), body="Try this.", body_html="<p>Try this.</p>")
        Thread.objects.filter(pk=thread.pk).update(solution=answer, answer_count=1, solved_at=timezone.now())
        thread.refresh_from_db()
    return thread


def titles(response) -> list[str]:
    return [t.title for t in response.context["page"].object_list]


def test_home_lists_threads_by_latest_activity(client):
    now = timezone.now()
    old = make_thread(title="Old one", last_activity_at=now - timezone.timedelta(days=2))
    new = make_thread(title="New one", last_activity_at=now)

    response = client.get(reverse("community:home"))

    assert response.status_code == 200
    assert titles(response) == [new.title, old.title]


def test_home_never_lists_private_deleted_or_hidden_threads(client, staff):
    make_thread(title="Public question")
    mine = UserFactory()
    make_thread(title="Private billing question", author=mine, is_private=True, private_reason="author")
    make_thread(title="Deleted question", is_deleted=True)
    make_thread(title="Hidden question", is_hidden=True)

    for viewer in (None, mine, staff):
        if viewer:
            client.force_login(viewer)
        html = client.get(reverse("community:home")).content.decode()
        assert "Public question" in html
        assert "Private billing" not in html
        assert "Deleted question" not in html
        assert "Hidden question" not in html


def test_tabs_show_unanswered_solved_and_unsolved(client):
    unanswered = make_thread(title="Nobody answered")
    answered = make_thread(title="Answered, not solved", answer_count=2)
    solved = make_thread(title="Solved one", solved=True)
    url = reverse("community:home")

    assert titles(client.get(url, {"show": "unanswered"})) == [unanswered.title]
    assert set(titles(client.get(url, {"show": "solved"}))) == {solved.title}
    assert set(titles(client.get(url, {"show": "unsolved"}))) == {unanswered.title, answered.title}
    assert len(titles(client.get(url, {"show": "nonsense"}))) == 3


def test_filters_combine_category_tag_and_unanswered(client):
    billing = CategoryFactory(name="Billing", slug="billing")
    wanted = make_thread(title="Wanted", category=billing, tags=["invoice"])
    make_thread(title="Other tag", category=billing, tags=["refund"])
    make_thread(title="Other category", tags=["invoice"])
    make_thread(title="Answered", category=billing, tags=["invoice"], answer_count=1)

    on_home = client.get(reverse("community:home"), {"category": "billing", "tag": "invoice", "show": "unanswered"})
    on_category = client.get(reverse("community:category", args=["billing"]), {"tag": "invoice", "show": "unanswered"})
    on_tag = client.get(reverse("community:tag", args=["invoice"]), {"category": "billing", "show": "unanswered"})

    assert titles(on_home) == titles(on_category) == titles(on_tag) == [wanted.title]


def test_sort_by_newest_and_by_most_me_too(client):
    now = timezone.now()
    first = make_thread(title="First asked", created_at=now - timezone.timedelta(days=3), last_activity_at=now, me_too_count=1)
    second = make_thread(title="Second asked", created_at=now - timezone.timedelta(days=1), last_activity_at=now - timezone.timedelta(days=1), me_too_count=9)
    third = make_thread(title="Third asked", created_at=now, last_activity_at=now - timezone.timedelta(hours=1), me_too_count=4)
    url = reverse("community:home")

    assert titles(client.get(url)) == [first.title, third.title, second.title]
    assert titles(client.get(url, {"sort": "newest"})) == [third.title, second.title, first.title]
    assert titles(client.get(url, {"sort": "metoo"})) == [second.title, third.title, first.title]


def test_lists_are_paginated_by_25(client, category):
    for n in range(30):
        make_thread(title=f"Question {n}", category=category)

    first = client.get(reverse("community:home"))
    second = client.get(reverse("community:home"), {"page": 2})
    beyond = client.get(reverse("community:home"), {"page": "abc"})

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert beyond.status_code == 200
    assert 'rel="next"' in first.content.decode()


def test_row_shows_counts_badge_category_tags_author_and_time(client):
    thread = make_thread(title="Row details", tags=["sync"], solved=True, upvote_count=7, me_too_count=3)

    html = client.get(reverse("community:home")).content.decode()

    assert "badge-solved" in html
    assert thread.category.name in html
    assert reverse("community:tag", args=["sync"]) in html
    assert thread.author.name in html
    assert "<strong>7</strong> upvotes" in html
    assert "<strong>3</strong> have this too" in html
    assert "<strong>1</strong> answer" in html
    assert "<time datetime=" in html


def test_row_escapes_titles(client):
    make_thread(title='<img src=x onerror="alert(1)">')

    html = client.get(reverse("community:home")).content.decode()

    assert "<img src=x" not in html
    assert "&lt;img src=x" in html


def test_unknown_category_or_tag_in_query_string_shows_a_message_not_an_error(client):
    make_thread(title="Still listed")

    response = client.get(reverse("community:home"), {"category": "nope", "tag": "nope"})

    assert response.status_code == 200
    assert "There is no such category" in response.content.decode()
    assert titles(response) == ["Still listed"]


def test_unknown_category_or_tag_page_is_404(client):
    assert client.get(reverse("community:category", args=["nope"])).status_code == 404
    assert client.get(reverse("community:tag", args=["nope"])).status_code == 404


def test_empty_list_explains(client, category):
    html = client.get(reverse("community:home")).content.decode()
    unanswered = client.get(reverse("community:home"), {"show": "unanswered"}).content.decode()

    assert "No questions here yet" in html
    assert "Every question here has at least one answer" in unanswered
    assert "Clear the filters" in unanswered


def test_sidebar_shows_categories_with_descriptions_and_popular_tags(client):
    category = CategoryFactory(name="Mobile app", description="The iOS and Android apps.")
    make_thread(category=category, tags=["ios", "sync"])
    make_thread(category=category, tags=["sync"])
    make_thread(category=category, tags=["secret"], is_private=True, private_reason="author")

    response = client.get(reverse("community:home"))
    html = response.content.decode()

    assert "The iOS and Android apps." in html
    assert [(t.name, t.num_threads) for t in response.context["popular_tags"]] == [("sync", 2), ("ios", 1)]
    assert "secret" not in html


def test_category_page_lists_only_its_threads(client):
    billing = CategoryFactory(name="Billing", slug="billing", description="Invoices and refunds.")
    make_thread(title="Billing question", category=billing)
    make_thread(title="Elsewhere")

    response = client.get(reverse("community:category", args=["billing"]))

    assert titles(response) == ["Billing question"]
    assert "Invoices and refunds." in response.content.decode()


def test_tag_index_counts_only_listed_threads(client):
    make_thread(tags=["sync"])
    make_thread(tags=["sync"])
    make_thread(tags=["sync", "hush"], is_private=True, private_reason="author")
    make_thread(tags=["gone"], is_deleted=True)

    response = client.get(reverse("community:tags"))
    html = response.content.decode()

    assert [(t.name, t.num_threads) for t in response.context["tags"]] == [("sync", 2)]
    assert "hush" not in html and "gone" not in html
    assert "2 questions" in html


def test_tag_page_of_a_tag_used_only_on_private_threads_does_not_exist(client):
    make_thread(title="Private with tag", tags=["hush"], is_private=True, private_reason="author")

    response = client.get(reverse("community:tag", args=["hush"]))

    assert response.status_code == 404
    assert "Private with tag" not in response.content.decode()


@pytest.mark.parametrize("url_name,args", [("community:home", []), ("community:category", ["c"]), ("community:tag", ["t"])])
def test_list_pages_run_the_same_queries_for_10_and_60_threads(client, django_assert_max_num_queries, url_name, args):
    category = CategoryFactory(slug="c")
    member = UserFactory()
    client.force_login(member)

    def add(n):
        for i in range(n):
            make_thread(title=f"Thread {i}", category=category, author=UserFactory(), tags=["t", f"x{i % 7}"])

    add(10)
    client.get(reverse(url_name, args=args))  # warm the content-type cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(reverse(url_name, args=args))
    add(50)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse(url_name, args=args))
    assert len(response.context["page"].object_list) == 25
    assert len(small.captured_queries) <= 10
