"""Thread lists: home, a category, a tag, and the tag index."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from taggit.models import Tag

from community.models import Category, Follow
from community.pagecache import anonymous_page, cached_for_lists
from community.selectors import (
    PAGE_SIZE,
    SHOW_CHOICES,
    SORT_CHOICES,
    ListFilters,
    listed_tag,
    listed_threads,
    sidebar,
    tags_with_counts,
)


def _thread_list(request: HttpRequest, *, template: str, category=None, tag=None, **extra) -> HttpResponse:
    """A paginated list of listed threads; ``show``, ``sort``, ``category`` and ``tag`` query
    parameters combine with the category or tag taken from the path. An unknown category or
    tag in the query string shows a message and is left out, never an error."""

    problems = []
    if category is None and request.GET.get("category"):
        category = Category.objects.filter(slug=request.GET["category"]).first()
        if category is None:
            problems.append("There is no such category, so all categories are shown.")
    if tag is None and request.GET.get("tag"):
        tag = listed_tag(request.GET["tag"])
        if tag is None:
            problems.append("There is no such tag, so questions with any tag are shown.")
    filters = ListFilters.from_params(request.GET, category=category, tag=tag, user=request.user)
    if request.GET.get("mine") == "1" and not filters.mine:
        problems.append("Sign in to see only your own questions; all questions are shown.")
    threads = listed_threads(filters, user=request.user)
    paginator = Paginator(threads, PAGE_SIZE)
    side = sidebar()
    if not filters.mine:
        known = _count_from_sidebar(side, filters, category=category, tag=tag)
        if known is not None:
            paginator.__dict__["count"] = known
        else:
            # Counting every listed thread grows with the community: the count waits for a change.
            count_key = f"count:{filters.show}:{getattr(category, 'pk', '')}:{getattr(tag, 'pk', '')}"
            paginator.__dict__["count"] = cached_for_lists(count_key, threads.count, counts_only=filters.show == "all")
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "show_choices": SHOW_CHOICES,
        "sort_choices": SORT_CHOICES,
        "filter_problems": problems,
        **side,
        **extra,
    }
    return render(request, template, context)


def _count_from_sidebar(side: dict, filters, *, category, tag) -> int | None:
    """The number of listed threads the unfiltered list, a category or a popular tag shows,
    read from the sidebar's counts (every thread has a category): one query fewer per list,
    and the one that scans every listed thread."""
    if filters.show != "all" or (category is not None and tag is not None):
        return None
    if tag is not None:
        return next((t.num_threads for t in side["popular_tags"] if t.pk == tag.pk), None)
    counts = {c.pk: c.num_threads for c in side["categories"]}
    return counts.get(category.pk, 0) if category is not None else sum(counts.values())


@anonymous_page()
def home(request: HttpRequest) -> HttpResponse:
    """Listed threads, latest activity first, with tabs, filters and the sidebar."""
    return _thread_list(request, template="community/home.html")


def _with_viewer_follows(queryset, user, field: str):
    """The category or tag with whether the signed-in viewer follows it, in the same query."""
    if not user.is_authenticated:
        return queryset
    follows = Follow.objects.filter(user=user, is_active=True, **{field: OuterRef("pk")})
    return queryset.annotate(viewer_follows=Exists(follows))


@anonymous_page()
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(_with_viewer_follows(Category.objects.all(), request.user, "category"), slug=slug)
    following = bool(getattr(category, "viewer_follows", False))
    return _thread_list(
        request, template="community/category.html", category=category, category_page=True, following_topic=following
    )


@anonymous_page()
def tag_index(request: HttpRequest) -> HttpResponse:
    """Every tag used by a listed thread, with how many listed threads carry it."""

    return render(request, "community/tags.html", {"tags": cached_for_lists("tags", tags_with_counts, counts_only=True)})


@anonymous_page()
def tag_detail(request: HttpRequest, tag: str) -> HttpResponse:


    # A tag exists publicly only while a listed thread carries it.
    tag_obj = listed_tag(tag, queryset=_with_viewer_follows(Tag.objects.all(), request.user, "tag"))
    if tag_obj is None:
        raise Http404("No such tag.")
    following = bool(getattr(tag_obj, "viewer_follows", False))
    return _thread_list(request, template="community/tag.html", tag=tag_obj, tag_page=True, following_topic=following)
