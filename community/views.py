from __future__ import annotations

import hashlib
from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from django.views.decorators.debug import sensitive_post_parameters

from community import permissions, privacy, services
from community.pagecache import THREAD, anonymous_page, cached_for_lists
from community.forms import AnswerForm, QuestionForm
from community.hooks import thread_notices
from community.limits import PostingLimitReached
from community.markdown import render as render_markdown
from community.models import Answer, AnswerVote, Category, Flag, MeToo, Revision, Thread


# --- Threads: asking, the thread page, answering and reactions -------------------------------


def member_required(view):
    """Sign-in for members. An htmx request is sent to the sign-in page with HX-Redirect, so a
    button never gets the sign-in page swapped into it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        referer = request.headers.get("HX-Current-URL") or request.get_full_path()
        login_url = f"{reverse('account_login')}?{urlencode({'next': referer if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}) else '/'})}"
        if request.htmx:
            response = HttpResponse(status=401)
            response["HX-Redirect"] = login_url
            return response
        return redirect(login_url)

    return wrapper


def _visible_thread(request: HttpRequest, pk: int) -> Thread:
    return get_object_or_404(Thread.objects.visible_to(request.user).select_related("category", "author"), pk=pk)


def _visible_answer(request: HttpRequest, pk: int) -> Answer:
    """An answer the user may see, on a thread they may see (404 otherwise); answer.thread is
    the visible thread."""
    answer = get_object_or_404(Answer.objects.visible_to(request.user).select_related("author"), pk=pk)
    answer.thread = _visible_thread(request, answer.thread_id)
    return answer


def _problem(request: HttpRequest, exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "You can't do that here."


def _refuse(request: HttpRequest, form, exc: Exception) -> HttpResponse | None:
    """Put a service's refusal on the form, which keeps what the member typed. Over a posting
    limit an htmx request gets a 429 with the reason straight away; otherwise None, and the
    caller renders the page (with _limit_status)."""
    form.add_error(None, _problem(request, exc))
    if isinstance(exc, PostingLimitReached) and request.htmx:
        reason = format_html('<p class="message message-error" role="alert">{}</p>', _problem(request, exc))
        response = HttpResponse(reason, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return None


def _limit_status(response: HttpResponse, exc: Exception | None) -> HttpResponse:
    """A page re-rendered because a posting limit refused the post answers 429 (browsers show
    it like any page) with Retry-After."""
    if isinstance(exc, PostingLimitReached):
        response.status_code = 429
        response["Retry-After"] = str(exc.retry_after)
    return response


def _answer_url(thread: Thread, answer_pk: int) -> str:
    return f"{thread.get_absolute_url()}#answer-{answer_pk}"


def _thread_context(request: HttpRequest, thread: Thread, *, answer_form: AnswerForm | None = None) -> dict:
    """Everything the thread page shows, in a fixed number of queries whatever the number of
    answers: the answers with their authors, the viewer's votes, "I have this too", the tags,
    revisions for staff and the other apps' notices."""
    user = request.user
    is_staff = user.is_authenticated and user.is_staff
    answers = list(thread.answers.visible_to(user).select_related("author").order_by("created_at", "pk"))
    voted: set[int] = set()
    has_me_too = False
    flagged_thread, flagged_answers = False, set()
    if user.is_authenticated:
        voted = set(AnswerVote.objects.filter(user=user, answer__thread=thread).values_list("answer_id", flat=True))
        has_me_too = getattr(thread, "viewer_has_me_too", None)
        if has_me_too is None:
            has_me_too = MeToo.objects.filter(user=user, thread=thread).exists()
        flags = Flag.objects.filter(Q(thread=thread) | Q(answer__thread=thread), user=user)
        for thread_id, answer_id in flags.values_list("thread_id", "answer_id"):
            if thread_id:
                flagged_thread = True
            else:
                flagged_answers.add(answer_id)
    revisions_by_answer: dict[int, list[Revision]] = {}
    thread_revisions: list[Revision] = []
    # Only edited posts have revisions: skip the query when nothing on the page was edited.
    if permissions.can_see_history(user) and (thread.edited_at or any(a.edited_at for a in answers)):
        for revision in Revision.objects.filter(Q(thread=thread) | Q(answer__thread=thread)).select_related("edited_by"):
            if revision.thread_id:
                thread_revisions.append(revision)
            else:
                revisions_by_answer.setdefault(revision.answer_id, []).append(revision)
    can_accept = permissions.can_accept(user, thread)
    for answer in answers:
        answer.thread = thread
        answer.is_solution = answer.pk == thread.solution_id
        answer.viewer_voted = answer.pk in voted
        answer.viewer_can_vote = permissions.can_vote(user, answer)
        answer.viewer_can_edit = permissions.can_edit_post(user, answer)
        answer.viewer_can_accept = can_accept and not answer.is_deleted and not answer.is_hidden
        answer.revision_list = revisions_by_answer.get(answer.pk, [])
        answer.viewer_flagged = answer.pk in flagged_answers
    # The accepted answer first under the question; the rest oldest first, so the thread reads
    # as the conversation it was (later answers often build on earlier ones) and an answer
    # does not jump around while people vote. The vote counts are on every answer.
    solution = [a for a in answers if a.is_solution]
    others = [a for a in answers if not a.is_solution]
    if answer_form is None and permissions.can_answer(user, thread):
        answer_form = AnswerForm()
    return {
        "thread": thread,
        "tags": list(thread.tags.all()),
        "solution": solution[0] if solution else None,
        "answers": others,
        "answer_total": len(answers),
        "has_me_too": has_me_too,
        "flagged_thread": flagged_thread,
        "can_me_too": permissions.can_me_too(user, thread),
        "can_edit_thread": permissions.can_edit_post(user, thread),
        "can_ask_for_more_help": permissions.can_ask_for_more_help(user, thread),
        "can_answer": permissions.can_answer(user, thread),
        "is_staff_viewer": is_staff,
        "thread_revisions": thread_revisions,
        "notices": thread_notices(thread=thread, viewer=user),
        "answer_form": answer_form,
    }


@anonymous_page(THREAD)
def thread_detail(request: HttpRequest, pk: int, slug: str | None = None) -> HttpResponse:
    """A question with its answers. Private, deleted or hidden threads are 404 for everyone
    who may not see them (Thread.objects.visible_to)."""
    threads = Thread.objects.visible_to(request.user).select_related("category", "author")
    if request.user.is_authenticated:
        # The viewer's "I have this too" comes with the thread: one query fewer per page.
        threads = threads.annotate(
            viewer_has_me_too=Exists(MeToo.objects.filter(thread=OuterRef("pk"), user=request.user))
        )
    thread = get_object_or_404(threads, pk=pk)
    if slug != thread.slug:
        return redirect(thread, permanent=True)
    return render(request, "community/thread.html", _thread_context(request, thread))


def _masked_message(request: HttpRequest, findings, *, where: str) -> None:
    """Tell the writer what community.privacy masked in what they posted, and why."""
    if findings:
        messages.warning(request, privacy.explain(findings, where=where))


def _private_message(request: HttpRequest, thread: Thread, detected: list[str]) -> None:
    if detected:
        messages.warning(
            request,
            f"We found {privacy.describe(detected)} in your question, so we made it private: "
            "only you and our support staff can see it. A support specialist will pick it up.",
        )
    else:
        messages.info(
            request,
            "Your question is private: only you and our support staff can see it. "
            "A support specialist will pick it up.",
        )


@member_required
@sensitive_post_parameters("title", "body")
def ask(request: HttpRequest) -> HttpResponse:
    """Ask a question. "Preview" re-renders the form with the rendered Markdown (the same as
    the live htmx preview), so it works without JavaScript and nothing typed is lost."""
    preview = None
    refusal = None
    if request.method == "POST":
        form = QuestionForm(request.POST)
        if "preview" in request.POST:
            preview = _preview_context(request.POST.get("title", ""), request.POST.get("body", ""))
        elif form.is_valid():
            data = form.cleaned_data
            try:
                thread = services.ask_question(
                    author=request.user,
                    category=data["category"],
                    title=data["title"],
                    body=data["body"],
                    tags=data["tags"],
                    is_private=data["is_private"],
                )
            except (ValidationError, PermissionDenied) as exc:
                refusal = exc
                if (response := _refuse(request, form, exc)) is not None:
                    return response
            else:
                _masked_message(request, thread.masked_findings, where="question")
                if thread.is_private:
                    _private_message(request, thread, thread.detected_private_data)
                else:
                    messages.success(request, "Your question is posted. We'll show it to people who can help.")
                return redirect(thread)
    else:
        initial = {}
        if request.GET.get("category"):
            initial["category"] = Category.objects.filter(slug=request.GET["category"]).first()
        if request.GET.get("title"):
            initial["title"] = request.GET["title"][: services.TITLE_MAX_LENGTH]
        form = QuestionForm(initial=initial)
    status = 400 if request.method == "POST" and form.errors and preview is None else 200
    return _limit_status(render(request, "community/ask.html", {"form": form, "preview": preview}, status=status), refusal)


def _preview_context(title: str, body: str, kind: str = "question") -> dict:
    """The preview shows the text as it will be stored: masked. Both inputs are cut to their
    fields' bounds before they are scanned (a preview is a hint; the form refuses more)."""
    title = privacy.clip(" ".join((title or "").split()), services.TITLE_MAX_LENGTH)
    body = privacy.clip(body, services.BODY_MAX_LENGTH)
    if kind == "answer":
        title = ""
    _title, body, findings = services.mask_question(title=title, body=body)
    detected = privacy.kinds_of(findings)
    return {
        "html": render_markdown(body),
        "detected": detected,
        "detected_text": privacy.describe(detected),
        "masks": ", ".join(dict.fromkeys(finding.mask for finding in findings)),
        "has_text": bool(body.strip()),
        "kind": "answer" if kind == "answer" else "question",
    }


@member_required
@require_POST
@sensitive_post_parameters("title", "body")
def preview(request: HttpRequest) -> HttpResponse:
    """The Markdown preview partial (htmx), with a warning when account data is in the text."""
    context = _preview_context(request.POST.get("title", ""), request.POST.get("body", ""), request.POST.get("kind", ""))
    return render(request, "community/_preview.html", {"preview": context})


@member_required
@require_POST
@sensitive_post_parameters("title", "body")
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Post an answer. On bad input the thread page comes back with the error and the text."""
    thread = _visible_thread(request, pk)
    form = AnswerForm(request.POST)
    refusal = None
    if form.is_valid():
        try:
            posted = services.post_answer(author=request.user, thread=thread, body=form.cleaned_data["body"])
        except (ValidationError, PermissionDenied) as exc:
            refusal = exc
            if (response := _refuse(request, form, exc)) is not None:
                return response
        else:
            _masked_message(request, posted.masked_findings, where="answer")
            messages.success(request, "Thanks, your answer is posted.")
            return redirect(_answer_url(thread, posted.pk))
    response = render(request, "community/thread.html", _thread_context(request, thread, answer_form=form), status=400)
    return _limit_status(response, refusal)


def _back_to(request: HttpRequest, thread: Thread, anchor: str = "") -> HttpResponse:
    return redirect(thread.get_absolute_url() + anchor)


@member_required
@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    """Toggle "This helped" on an answer. htmx gets the button back; others the page."""
    answer = _visible_answer(request, pk)
    error = ""
    try:
        voted = services.toggle_upvote(user=request.user, answer=answer)
    except (ValidationError, PermissionDenied) as exc:
        error = _problem(request, exc)
        voted = AnswerVote.objects.filter(answer=answer, user=request.user).exists()
    if not request.htmx:
        if error:
            messages.error(request, error)
        return _back_to(request, answer.thread, f"#answer-{answer.pk}")
    answer.refresh_from_db(fields=["upvote_count"])
    answer.viewer_voted = voted
    answer.viewer_can_vote = permissions.can_vote(request.user, answer)
    return render(request, "community/_vote_button.html", {"answer": answer, "error": error})


@member_required
@require_POST
def me_too(request: HttpRequest, pk: int) -> HttpResponse:
    """Toggle "I have this too" on a question."""
    thread = _visible_thread(request, pk)
    error = ""
    try:
        has_me_too = services.toggle_me_too(user=request.user, thread=thread)
    except (ValidationError, PermissionDenied) as exc:
        error = _problem(request, exc)
        has_me_too = MeToo.objects.filter(thread=thread, user=request.user).exists()
    if not request.htmx:
        if error:
            messages.error(request, error)
        return _back_to(request, thread)
    thread.refresh_from_db(fields=["me_too_count", "version"])
    context = {"thread": thread, "has_me_too": has_me_too, "can_me_too": permissions.can_me_too(request.user, thread), "error": error}
    return render(request, "community/_me_too_button.html", context)


@member_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept an answer as the solution, or (with action=unaccept) take that back. The
    solution moves to the top, so htmx gets the whole answers section back."""
    answer = _visible_answer(request, pk)
    try:
        if request.POST.get("action") == "unaccept":
            services.unaccept_answer(user=request.user, answer=answer)
            done = "The answer is no longer marked as the solution."
        else:
            services.accept_answer(user=request.user, answer=answer)
            done = "Marked as the solution. Thanks for letting everyone know what worked."
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _problem(request, exc))
    else:
        if not request.htmx:
            messages.success(request, done)
    thread = _visible_thread(request, answer.thread_id)
    if not request.htmx:
        return _back_to(request, thread, f"#answer-{answer.pk}")
    # The Solved badge under the title changes too: it comes along out of band.
    return render(request, "community/_answers.html", {**_thread_context(request, thread), "oob_status": True})


@member_required
@require_POST
def still_need_help(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _visible_thread(request, pk)
    try:
        services.ask_for_more_help(user=request.user, thread=thread)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _problem(request, exc))
    else:
        messages.success(
            request,
            "Thanks for telling us. We've marked your question as still needing help and "
            "our support team will look at it.",
        )
    return _back_to(request, thread)


@member_required
@sensitive_post_parameters("title", "body")
def edit_question(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _visible_thread(request, pk)
    if not permissions.can_edit_post(request.user, thread):
        raise PermissionDenied("Only the author or staff can edit this question.")
    refusal = None
    if request.method == "POST":
        form = QuestionForm(request.POST, thread=thread)
        if form.is_valid():
            data = form.cleaned_data
            was_private = thread.is_private
            try:
                edited = services.edit_question(
                    user=request.user,
                    thread=thread,
                    title=data["title"],
                    body=data["body"],
                    tags=data["tags"],
                    is_private=data["is_private"],
                )
            except (ValidationError, PermissionDenied) as exc:
                refusal = exc
                if (response := _refuse(request, form, exc)) is not None:
                    return response
            else:
                _masked_message(request, edited.masked_findings, where="question")
                if edited.is_private and not was_private:
                    detected = edited.detected_private_data if edited.private_reason == Thread.PrivateReason.DETECTED else []
                    _private_message(request, edited, detected)
                else:
                    messages.success(request, "Your changes are saved.")
                return redirect(thread)
    else:
        form = QuestionForm(
            thread=thread,
            initial={
                "title": thread.title,
                "body": thread.body,
                "tags": ", ".join(sorted(thread.tags.names())),
                "is_private": thread.is_private,
            },
        )
    status = 400 if form.errors else 200
    response = render(request, "community/edit_question.html", {"form": form, "thread": thread}, status=status)
    return _limit_status(response, refusal)


@member_required
@sensitive_post_parameters("title", "body")
def edit_answer(request: HttpRequest, pk: int) -> HttpResponse:
    answer = _visible_answer(request, pk)
    if not permissions.can_edit_post(request.user, answer):
        raise PermissionDenied("Only the author or staff can edit this answer.")
    refusal = None
    if request.method == "POST":
        form = AnswerForm(request.POST)
        if form.is_valid():
            try:
                edited = services.edit_answer(user=request.user, answer=answer, body=form.cleaned_data["body"])
            except (ValidationError, PermissionDenied) as exc:
                refusal = exc
                if (response := _refuse(request, form, exc)) is not None:
                    return response
            else:
                _masked_message(request, edited.masked_findings, where="answer")
                messages.success(request, "Your answer is updated.")
                return redirect(_answer_url(answer.thread, answer.pk))
    else:
        form = AnswerForm(initial={"body": answer.body})
    status = 400 if form.errors else 200
    response = render(request, "community/edit_answer.html", {"form": form, "answer": answer, "thread": answer.thread}, status=status)
    return _limit_status(response, refusal)


@member_required
@require_POST
def delete_question(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _visible_thread(request, pk)
    try:
        services.delete_question(user=request.user, thread=thread)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _problem(request, exc))
        return _back_to(request, thread)
    messages.success(request, "Your question is deleted.")
    if request.user.is_staff:
        return _back_to(request, thread)
    return redirect("community:home")


@member_required
@require_POST
def delete_answer(request: HttpRequest, pk: int) -> HttpResponse:
    answer = _visible_answer(request, pk)
    try:
        services.delete_answer(user=request.user, answer=answer)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _problem(request, exc))
    else:
        messages.success(request, "The answer is deleted.")
    return _back_to(request, answer.thread, "#answers")


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


@anonymous_page()
def search(request: HttpRequest) -> HttpResponse:
    """Search over listed threads: forgiving ranking, typo correction, sort and filters
    (category, tag, solved, date). An empty query shows tips; a query without any word finds
    nothing; unknown filter values are dropped with a message; none of it is an error."""
    from community.models import Category
    from community.search import DATE_RANGES, MAX_QUERY_LENGTH, SORTS, add_snippets, search_threads
    from community.selectors import PAGE_SIZE
    from taggit.models import Tag

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
    from community.search import MAX_QUERY_LENGTH, normalise_query, search_threads

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


# --- Lists ----------------------------------------------------------------------------------


def _thread_list(request: HttpRequest, *, template: str, category=None, tag=None, **extra) -> HttpResponse:
    """A paginated list of listed threads; ``show``, ``sort``, ``category`` and ``tag`` query
    parameters combine with the category or tag taken from the path. An unknown category or
    tag in the query string shows a message and is left out, never an error."""
    from community.selectors import PAGE_SIZE, SHOW_CHOICES, SORT_CHOICES, ListFilters, listed_threads, sidebar
    from community.models import Category
    from taggit.models import Tag

    problems = []
    if category is None and request.GET.get("category"):
        category = Category.objects.filter(slug=request.GET["category"]).first()
        if category is None:
            problems.append("There is no such category, so all categories are shown.")
    if tag is None and request.GET.get("tag"):
        tag = Tag.objects.filter(slug=request.GET["tag"]).first()
        if tag is None:
            problems.append("There is no such tag, so questions with any tag are shown.")
    filters = ListFilters.from_params(request.GET, category=category, tag=tag)
    threads = listed_threads(filters)
    paginator = Paginator(threads, PAGE_SIZE)
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
        **sidebar(),
        **extra,
    }
    return render(request, template, context)


@anonymous_page()
def home(request: HttpRequest) -> HttpResponse:
    """Listed threads, latest activity first, with tabs, filters and the sidebar."""
    return _thread_list(request, template="community/home.html")


@anonymous_page()
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    from community.models import Category

    category = get_object_or_404(Category, slug=slug)
    return _thread_list(request, template="community/category.html", category=category, category_page=True)


@anonymous_page()
def tag_index(request: HttpRequest) -> HttpResponse:
    """Every tag used by a listed thread, with how many listed threads carry it."""
    from community.selectors import tags_with_counts

    return render(request, "community/tags.html", {"tags": cached_for_lists("tags", tags_with_counts, counts_only=True)})


@anonymous_page()
def tag_detail(request: HttpRequest, tag: str) -> HttpResponse:
    from taggit.models import Tag

    tag_obj = get_object_or_404(Tag, slug=tag)
    return _thread_list(request, template="community/tag.html", tag=tag_obj, tag_page=True)



# --- Flags ----------------------------------------------------------------------------------


def _flag(request: HttpRequest, *, post, kind: str, thread: Thread) -> HttpResponse:
    """Validate the flag form and call services.flag_post. htmx gets the flag box back in its
    new state; without JavaScript the member goes back to the post with a message, or, when
    the form is incomplete, to a small page that keeps what they typed."""
    from community.forms import FlagForm

    form = FlagForm(request.POST)
    post_url = thread.get_absolute_url() + (f"#answer-{post.pk}" if kind == "answer" else "")
    context = {"post": post, "kind": kind, "flag_form": form, "thread": thread}
    if not form.is_valid():
        template = "community/_flag_form.html" if request.htmx else "community/flag.html"
        context["flag_open"] = True
        return render(request, template, context, status=200 if request.htmx else 400)
    try:
        services.flag_post(
            user=request.user, post=post, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
        )
    except (ValidationError, PermissionDenied) as exc:
        message, level = _problem(request, exc), messages.WARNING
    else:
        message, level = "Thanks for flagging. Our staff will review this post.", messages.SUCCESS
    if request.htmx:
        context.update(flag_message=message, flag_done=True)
        return render(request, "community/_flag_form.html", context)
    messages.add_message(request, level, message)
    return redirect(post_url)


@require_POST
@member_required
def flag_thread(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _visible_thread(request, pk)
    return _flag(request, post=thread, kind="thread", thread=thread)


@require_POST
@member_required
def flag_answer(request: HttpRequest, pk: int) -> HttpResponse:
    answer = _visible_answer(request, pk)
    return _flag(request, post=answer, kind="answer", thread=answer.thread)


def _staff_only(request: HttpRequest) -> None:
    """Moderation pages do not exist for anyone but staff."""
    from django.http import Http404

    if not (request.user.is_authenticated and request.user.is_staff):
        raise Http404("No such page.")


def moderation(request: HttpRequest) -> HttpResponse:
    """Posts with pending flags, hidden ones first, with every flag's reason, note and flagger."""
    from community.selectors import flagged_posts

    _staff_only(request)
    return render(request, "community/moderation.html", {"flagged": flagged_posts()})


def _moderate(request: HttpRequest, kind: str, pk: int, action: str) -> HttpResponse:
    from django.http import Http404

    _staff_only(request)
    if kind not in ("thread", "answer"):
        raise Http404("No such post.")
    if kind == "thread":
        post = get_object_or_404(Thread.objects.select_related("author", "category"), pk=pk)
        thread = post
    else:
        post = get_object_or_404(Answer.objects.select_related("author", "thread"), pk=pk)
        thread = post.thread
    service = services.restore_post if action == "restore" else services.remove_post
    try:
        service(user=request.user, post=post)
    except (ValidationError, PermissionDenied) as exc:
        message, level = _problem(request, exc), messages.WARNING
    else:
        what = "Question" if kind == "thread" else "Answer"
        message = f"{what} restored: it is visible again." if action == "restore" else f"{what} removed."
        level = messages.SUCCESS
    if request.htmx:
        return render(
            request,
            "community/_moderation_done.html",
            {"message": message, "level": "success" if level == messages.SUCCESS else "warning", "thread": thread},
        )
    messages.add_message(request, level, message)
    return redirect("community:moderation")


@require_POST
def restore_flagged(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    return _moderate(request, kind, pk, "restore")


@require_POST
def remove_flagged(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    return _moderate(request, kind, pk, "remove")


# --- Images -----------------------------------------------------------------------------------


def _upload_refusal(message: str, status: int) -> HttpResponse:
    from django.http import JsonResponse

    return JsonResponse({"error": message}, status=status)


class _UploadSizeLimit:
    """An upload handler, first in line, that stops reading an upload once it passes the
    limit (a chunked request has no Content-Length to judge it by beforehand)."""

    def __init__(self, limit: int):
        from django.core.files.uploadhandler import FileUploadHandler

        self.limit = limit
        self.exceeded = False
        self.received = 0
        outer = self

        class Handler(FileUploadHandler):
            def receive_data_chunk(self, raw_data, start):
                from django.core.files.uploadhandler import StopUpload

                outer.received = start + len(raw_data)
                if outer.received > outer.limit:
                    outer.exceeded = True
                    raise StopUpload(connection_reset=False)
                return raw_data

            def file_complete(self, file_size):
                return None

        self.handler = Handler


@csrf_exempt
def upload_image(request: HttpRequest) -> HttpResponse:
    """Store a screenshot (pasted, dropped or picked in the editor) as the member's pending
    image and answer JSON: its URL and the Markdown to insert. Refusals are JSON with a
    message the editor shows: 413 too big, 400 not an accepted image, 429 too many uploads.

    The size is judged before anything reads the body: from Content-Length, then chunk by chunk
    by an upload handler put first in line. That has to happen before the CSRF check (which
    reads the form), so the CSRF check is applied inside, by csrf_protect."""
    from community import images

    limit = images.max_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    # The multipart envelope adds a little; anything past a generous margin is refused unread.
    if request.method == "POST" and declared > limit + 64 * 1024:
        return _upload_refusal(images.too_big_message(declared), 413)
    size_limit = _UploadSizeLimit(limit)
    request.upload_handlers.insert(0, size_limit.handler(request))
    return _receive_image(request, size_limit=size_limit)


@csrf_protect
@member_required
@require_POST
def _receive_image(request: HttpRequest, *, size_limit: _UploadSizeLimit) -> HttpResponse:
    from django.http import JsonResponse

    from community import images

    limit = images.max_bytes()
    request.FILES  # noqa: B018 -- reads the body through the size-limited handlers
    if size_limit.exceeded:
        return _upload_refusal(images.too_big_message(), 413)
    upload = request.FILES.get("image")
    if upload is None:
        return _upload_refusal("Choose an image file to add.", 400)
    if upload.size > limit:
        return _upload_refusal(images.too_big_message(upload.size), 413)
    try:
        image = services.upload_image(user=request.user, data=upload.read(), name=upload.name or "")
    except ValidationError as exc:
        status = 429 if getattr(exc, "code", "") == "rate_limited" else 400
        return _upload_refusal(" ".join(exc.messages), status)
    except PermissionDenied as exc:
        return _upload_refusal(_problem(request, exc), 403)
    alt = image.name.rsplit(".", 1)[0].replace("-", " ").replace("_", " ")
    notice = "We replaced the file name because it looked like account data." if image.name_had_account_data else ""
    return JsonResponse(
        {
            "url": image.get_absolute_url(),
            "markdown": f"![{alt}]({image.get_absolute_url()})",
            "name": image.name,
            "width": image.width,
            "height": image.height,
            "notice": notice,
        },
        status=201,
    )


def image(request: HttpRequest, key: str, name: str) -> HttpResponse:
    """Serve an uploaded image to those who may see it, checked on every request
    (Image.objects.visible_to): 404 for everyone else, the same as for a key that does not
    exist. Private images are never kept by shared caches."""
    from django.http import Http404

    from community.models import Image

    found = Image.objects.visible_to(request.user).filter(key=key).first()
    if found is None:
        raise Http404("No such image.")
    try:
        with found.file.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError):
        raise Http404("No such image.") from None
    response = HttpResponse(data, content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="{found.name}"'
    # An image is never a document: nothing in it may run, even if opened on its own.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    if found.is_public:
        response["Cache-Control"] = "public, max-age=300"
    else:
        response["Cache-Control"] = "private, no-cache"
        response["Vary"] = "Cookie"
    return response


# --- Checking a field while the member types ------------------------------------------------


@member_required
@require_POST
def validate_field(request: HttpRequest) -> HttpResponse:
    """The errors the ask, edit or answer form would give for one field (``field``) of the
    posted data, as JSON, so the page can update a field's errors as the member fixes it. The
    same form classes decide as on submit: one rule in one place. Nothing is saved."""
    from django.http import JsonResponse

    kind = request.POST.get("form", "question")
    form = AnswerForm(request.POST) if kind == "answer" else QuestionForm(request.POST)
    name = request.POST.get("field", "")
    if name not in form.fields:
        return JsonResponse({"error": "Unknown field."}, status=400)
    form.is_valid()
    return JsonResponse({"field": name, "errors": list(form.errors.get(name, []))})
