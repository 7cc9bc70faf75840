from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from community.models import Thread


def home(request: HttpRequest) -> HttpResponse:
    threads = Thread.objects.listed().with_list_data().order_by("-last_activity_at")
    page = Paginator(threads, 25).get_page(request.GET.get("page"))
    return render(request, "community/home.html", {"page": page})


def thread_detail(request: HttpRequest, pk: int, slug: str | None = None) -> HttpResponse:
    thread = get_object_or_404(Thread.objects.visible_to(request.user).select_related("category", "author"), pk=pk)
    if slug != thread.slug:
        return redirect(thread, permanent=True)
    answers = thread.answers.visible_to(request.user).select_related("author")
    return render(request, "community/thread.html", {"thread": thread, "answers": answers})


# --- Search ---------------------------------------------------------------------------------


def similar(request: HttpRequest) -> HttpResponse:
    """Listed questions like the title being typed on the ask page (an htmx partial).

    A title shorter than three characters gets an empty 200 response, so the ask page simply
    shows nothing.
    """
    from community.search import SIMILAR_MIN_TITLE, normalise_query, similar_threads

    title = normalise_query(request.GET.get("title"))
    if len(title) < SIMILAR_MIN_TITLE:
        return HttpResponse("")
    return render(request, "community/_similar.html", {"similar": similar_threads(title=title)})
