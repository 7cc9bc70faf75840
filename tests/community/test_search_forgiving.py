"""Search that forgives: any word matches and more matched words rank higher, typos are
corrected from listed titles, results sort and filter, the header box suggests as one types."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from community.models import SearchWord
from community.search import correct_words, edit_distance, rebuild_search_words, search_threads
from tests.community.test_search import make_thread
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def titles(results) -> list[str]:
    return [thread.title for thread in results.threads]


def test_a_thread_matching_some_of_the_words_is_found_and_more_matched_words_rank_first():
    partial = make_thread(title="Calendar stops after the update", body="Nothing about phones here.")
    full = make_thread(title="Calendar sync stops on my Android phone", body="Since the update.")
    make_thread(title="Invoice in the wrong currency")

    found = titles(search_threads(query="calendar sync android"))

    assert found[0] == full.title
    assert partial.title in found
    assert "Invoice in the wrong currency" not in found


def test_quotes_keep_their_strict_meaning():
    make_thread(title="Two factor code never arrives")
    make_thread(title="Code for the factor two setting")
    assert titles(search_threads(query='"two factor code"')) == ["Two factor code never arrives"]


def test_edit_distance_counts_a_swap_of_neighbours_as_one():
    assert edit_distance("invioce", "invoice", limit=2) == 1
    assert edit_distance("calender", "calendar", limit=2) == 1
    assert edit_distance("sync", "zinc", limit=1) == 2


def test_a_typo_finds_the_word_and_the_page_says_what_it_searched_for(client):
    calendar = make_thread(title="Calendar does not sync with Outlook")
    make_thread(title="Calendar events show the wrong time zone")
    make_thread(title="Invoice in the wrong currency")
    rebuild_search_words()

    results = search_threads(query="calender")
    assert results.corrected and results.suggestion == "calendar"
    assert calendar.title in titles(results)

    html = client.get(reverse("community:search"), {"q": "calender"}).content.decode()
    assert "Showing results for" in html and "<strong>calendar</strong>" in html
    assert "does not sync with Outlook" in html  # the matched word is marked


def test_few_results_offer_a_correction_without_replacing_the_results(client):
    make_thread(title="Calendar does not sync", body="The calender widget is empty.")
    for n in range(3):
        make_thread(title=f"Calendar view number {n} is blank")
    rebuild_search_words()
    results = search_threads(query="calender")
    assert not results.corrected
    assert results.suggestion == "calendar"
    assert titles(results) == ["Calendar does not sync"]


def test_corrections_never_come_from_private_hidden_or_deleted_threads():
    make_thread(title="Marmalade walrus subscription", is_private=True, private_reason="author")
    make_thread(title="Pelican sorbet charge", is_hidden=True)
    make_thread(title="Okapi renewal charge", is_deleted=True)
    make_thread(title="Calendar sync")
    rebuild_search_words()
    assert correct_words(["marmelade", "pelicam", "okapy"]) == ["marmelade", "pelicam", "okapy"]
    results = search_threads(query="marmelade walrus")
    assert results.suggestion == "" and not titles(results)


def test_sort_by_newest_and_most_helpful():
    old = make_thread(title="Sync fails with error 12", created_at=timezone.now() - timedelta(days=30))
    helpful = make_thread(title="Sync fails after reboot", solved=True, upvote_count=9,
                          created_at=timezone.now() - timedelta(days=10))
    new = make_thread(title="Sync fails on wifi")
    assert titles(search_threads(query="sync fails", sort="new")) == [new.title, helpful.title, old.title]
    assert titles(search_threads(query="sync fails", sort="helpful"))[0] == helpful.title


def test_filters_by_category_tag_solved_and_date(client, member):
    from community import services

    phones = CategoryFactory(name="Phones", slug="phones")
    tagged = services.ask_question(author=member, category=phones, title="Battery drains overnight",
                                   body="The battery drains since the update.", tags="battery")
    make_thread(title="Battery icon missing", created_at=timezone.now() - timedelta(days=90))
    make_thread(title="Battery drains on the tablet", solved=True)

    assert titles(search_threads(query="battery", category=phones)) == [tagged.title]
    tag = Tag.objects.get(slug="battery")
    assert titles(search_threads(query="battery", tag=tag)) == [tagged.title]
    assert titles(search_threads(query="battery", solved=True)) == ["Battery drains on the tablet"]
    recent = search_threads(query="battery", since=timezone.now() - timedelta(days=7))
    assert "Battery icon missing" not in titles(recent)

    html = client.get(reverse("community:search"), {"q": "battery", "tag": "battery", "date": "week",
                                                    "sort": "new"}).content.decode()
    assert "drains overnight" in html and "drains on the tablet" not in html
    html = client.get(reverse("community:search"), {"q": "battery", "tag": "no-such-tag", "sort": "bogus",
                                                    "date": "decade"}).content.decode()
    assert "There is no such tag" in html


def test_an_empty_search_offers_to_ask_with_the_words_as_the_title(client):
    html = client.get(reverse("community:search"), {"q": "laptop fan loud"}).content.decode()
    assert 'href="/ask/?title=laptop%20fan%20loud"' in html
    ask = client.get("/ask/?title=laptop%20fan%20loud")
    assert ask.status_code in (200, 302)


def test_the_header_box_suggests_threads_while_typing(client):
    make_thread(title="Calendar does not sync with Outlook")
    make_thread(title="Invoice in the wrong currency", is_private=True, private_reason="author")
    rebuild_search_words()
    html = client.get(reverse("community:search_suggest"), {"q": "calender"}).content.decode()
    assert "does not sync with Outlook" in html  # the matched word is marked
    html = client.get(reverse("community:search_suggest"), {"q": "invoice"}).content.decode()
    assert "wrong currency" not in html and "No matching questions" in html
    assert client.get(reverse("community:search_suggest"), {"q": "ab"}).content.strip() == b""


@pytest.mark.parametrize("size", [5, 40])
def test_search_with_a_typo_keeps_its_query_budget(client, size, django_assert_max_num_queries):
    for n in range(size):
        make_thread(title=f"Calendar problem number {n}")
    rebuild_search_words()
    with django_assert_max_num_queries(14):
        assert client.get(reverse("community:search"), {"q": "calender problm"}).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("community:search_suggest"), {"q": "calender"}).status_code == 200


def test_the_vocabulary_takes_public_titles_at_once_and_never_private_ones(member, category):
    from community import services

    services.ask_question(author=member, category=category, title="Thermostat schedule ignored", body="Details here.",
                          tags="")
    services.ask_question(author=member, category=category, title="Zanzibar quokka charge", body="Private.",
                          tags="", is_private=True)
    words = set(SearchWord.objects.values_list("word", flat=True))
    assert {"thermostat", "schedule", "ignored"} <= words
    assert not {"zanzibar", "quokka"} & words
    assert correct_words(["thermostta"]) == ["thermostat"]


def test_a_rebuild_drops_the_words_of_threads_no_longer_listed():
    thread = make_thread(title="Walrus marmalade plan")
    rebuild_search_words()
    assert SearchWord.objects.filter(word="walrus").exists()
    type(thread).objects.filter(pk=thread.pk).update(is_private=True)
    rebuild_search_words()
    assert not SearchWord.objects.filter(word="walrus").exists()
    assert search_threads(query="walrys").suggestion == ""
