"""Search: the results page, suggestions while typing, and similar questions while asking."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from taggit.models import Tag

from community import services
from community.limits import request_limit_wait
from community.models import Category
from community.pagecache import anonymous_page, cached_for_lists
from community.search import (
    DATE_RANGES,
    MAX_QUERY_LENGTH,
    SIMILAR_MIN_TITLE,
    SORTS,
    add_snippets,
    normalise_query,
    search_threads,
    similar_threads,
)
from community.selectors import PAGE_SIZE


def similar(request: HttpRequest) -> HttpResponse:
    """Listed questions like the title being typed on the ask page (an htmx partial).

    A title shorter than three characters gets an empty 200 response, so the ask page simply
    shows nothing. Limited to SIMILAR_QUESTIONS_PER_MINUTE per member or address (429 with
    Retry-After beyond), and cached per title until the lists change.
    """



    wait = request_limit_wait(request, action="similar", per_minute=settings.SIMILAR_QUESTIONS_PER_MINUTE)
    if wait is not None:
        response = HttpResponse("Too many look-ups of similar questions; try again in a minute.", status=429)
        response["Retry-After"] = str(wait)
        return response
    title = normalise_query(request.GET.get("title"))[: services.TITLE_MAX_LENGTH]
    if len(title) < SIMILAR_MIN_TITLE:
        return HttpResponse("")
    # The same title typed by many people costs one query until the lists change.
    digest = hashlib.sha256(title.casefold().encode()).hexdigest()[:32]
    similar = cached_for_lists(f"similar:{digest}", lambda: list(similar_threads(title=title)), timeout=60)
    return render(request, "community/_similar.html", {"similar": similar})


@anonymous_page()
def search(request: HttpRequest) -> HttpResponse:
    """Search over listed threads: forgiving ranking, typo correction, sort and filters
    (category, tag, solved, date). An empty query shows tips; a query without any word finds
    nothing; unknown filter values are dropped with a message; none of it is an error."""


    raw = request.GET.get("q", "")
    problems = []
    category = tag = None
    if request.GET.get("category"):
        category = Category.objects.filter(slug=request.GET["category"][:100]).first()
        if category is None:
            problems.append("There is no such category, so all categories were searched.")
    if request.GET.get("tag"):
        tag = Tag.objects.filter(slug=request.GET["tag"][:100], taggit_taggeditem_items__isnull=False).first()
        if tag is None:
            problems.append("There is no such tag, so questions with any tag were searched.")
    solved = {"yes": True, "no": False}.get(request.GET.get("solved", ""))
    sort = request.GET.get("sort", "relevance")
    if sort not in SORTS:
        sort = "relevance"
    date = request.GET.get("date", "")
    since = None
    if date in DATE_RANGES:
        since = timezone.now() - timedelta(days=DATE_RANGES[date][1])
    else:
        date = ""
    results = search_threads(query=raw, category=category, tag=tag, solved=solved, since=since, sort=sort)
    page = None
    if results.threads is not None:
        page = Paginator(results.threads, PAGE_SIZE).get_page(request.GET.get("page"))
        shown = results.suggestion if results.corrected else results.query
        page.object_list = add_snippets(page.object_list, query=shown, words=results.words)
    context = {
        "query": results.query,
        "results": results,
        "has_words": bool(results.words),
        "truncated": len(" ".join(raw.split())) > MAX_QUERY_LENGTH,
        "page": page,
        "category": category,
        "tag": tag,
        "problems": problems,
        "solved": request.GET.get("solved", ""),
        "sort": sort,
        "sorts": SORTS,
        "date": date,
        "date_ranges": {key: label for key, (label, _days) in DATE_RANGES.items()},
        "categories": Category.objects.all(),
    }
    return render(request, "community/search.html", context)


def search_suggestions(request: HttpRequest) -> HttpResponse:
    """Up to five threads for what is typed in the header's search box (htmx, as the visitor
    types): the search page's own ranking and typo correction, cached per query until the
    lists change."""

    query = normalise_query(request.GET.get("q", "")[: MAX_QUERY_LENGTH * 2])
    threads, suggestion = [], ""
    if len(query) >= 3:
        def compute():
            results = search_threads(query=query)
            found = [] if results.threads is None else list(results.threads.values("pk", "slug", "title")[:5])
            return found, results.suggestion

        threads, suggestion = cached_for_lists(f"suggest:{hashlib.sha1(query.encode()).hexdigest()}", compute)
    return render(request, "community/_search_suggestions.html",
                  {"query": query, "threads": threads, "suggestion": suggestion})
