from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from django.views.decorators.debug import sensitive_post_parameters
from django_htmx.http import HttpResponseClientRedirect

from community import permissions, privacy, services, validators
from community.pagecache import THREAD, anonymous_page, cached_for_lists
from community.forms import AnswerForm, QuestionForm
from community.hooks import privileges_for
from community.limits import PostingLimitReached
from community.markdown import render as render_markdown
from community.moderation import flag_post, remove_post, restore_post
from community.selectors import thread_page
from community.models import Answer, AnswerVote, Category, Comment, Follow, MeToo, Thread


# --- Threads: asking, the thread page, answering and reactions -------------------------------


def member_required(view):
    """Django's login_required, except that an htmx request is sent to the sign-in page with
    django-htmx's HttpResponseClientRedirect (answered 401), so a button never gets the
    sign-in page swapped into it; ``next`` is the page the member was on."""
    protected = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.htmx and not request.user.is_authenticated:
            page = request.headers.get("HX-Current-URL", "")
            if not url_has_allowed_host_and_scheme(page, allowed_hosts={request.get_host()}):
                page = "/"
            response = HttpResponseClientRedirect(redirect_to_login(page)["Location"])
            response.status_code = 401
            return response
        return protected(request, *args, **kwargs)

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


def _attempt(request: HttpRequest, form, service, **kwargs):
    """Call a service for a valid form. Returns (result, None), or (None, the refusal) with its
    reason put on the form, which keeps what the member typed."""
    try:
        return service(**kwargs), None
    except (ValidationError, PermissionDenied) as exc:
        form.add_error(None, _problem(request, exc))
        return None, exc


def _form_page(request: HttpRequest, template: str, context: dict, *, refusal=None, status: int = 200) -> HttpResponse:
    """The form's page again, with its errors: the one answer to bad input and refusals for
    every form view. Over a posting limit it is a 429 with Retry-After; an htmx request then
    gets only the reason, straight away, since its target is a small part of the page."""
    if isinstance(refusal, PostingLimitReached):
        if request.htmx:
            response = HttpResponse(
                format_html('<p class="message message-error" role="alert">{}</p>', _problem(request, refusal))
            )
        else:
            response = render(request, template, context)
        response.status_code = 429
        response["Retry-After"] = str(refusal.retry_after)
        return response
    return render(request, template, context, status=status)


@dataclass
class Reply:
    """What an htmx-serving view decided: ``context`` (or a function building it, called only
    when needed) renders the partial its @htmx_partial names; without JavaScript the member
    gets ``message`` and goes back to ``back``, or gets ``page`` with ``page_status``."""

    context: dict | Callable[[], dict]
    back: str = ""
    message: str = ""
    level: int = messages.SUCCESS
    page: str = ""
    page_status: int = 200

    def build_context(self) -> dict:
        return self.context() if callable(self.context) else self.context


def htmx_partial(template_name: str):
    """Name, once per view, the partial it answers htmx with (Misago's template_name_htmx):
    the view returns a Reply and never branches on request.htmx itself, so every action
    also works without JavaScript."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            reply = view(request, *args, **kwargs)
            if not isinstance(reply, Reply):
                return reply
            if request.htmx:
                return render(request, template_name, reply.build_context())
            if reply.page:
                return render(request, reply.page, reply.build_context(), status=reply.page_status)
            if reply.message:
                messages.add_message(request, reply.level, reply.message)
            return redirect(reply.back)

        wrapper.template_name_htmx = template_name
        return wrapper

    return decorate


def _answer_url(thread: Thread, answer_pk: int) -> str:
    return f"{thread.get_absolute_url()}#answer-{answer_pk}"


def _thread_context(request: HttpRequest, thread: Thread, *, answer_form: AnswerForm | None = None) -> dict:
    """The thread page's context: community.selectors.thread_page plus the answer form (the
    one given, with its errors and text, else an empty one for those who may answer)."""
    if answer_form is None and permissions.can_answer(request.user, thread):
        answer_form = AnswerForm()
    context = thread_page(thread=thread, viewer=request.user)
    shown = ([context["solution"]] if context["solution"] else []) + list(context["answers"])
    return {**context, **_conversation_context(request, thread, shown), "answer_form": answer_form}


def _conversation_context(request: HttpRequest, thread: Thread, answers: list[Answer]) -> dict:
    """Comments under the question and each answer (one query), whether the viewer follows
    the thread (one query) and the live-update baseline. Sets ``answer.comment_list``."""
    from community.conversation_views import poll_seconds

    user = request.user
    by_answer: dict[int | None, list[Comment]] = {}
    is_staff = user.is_authenticated and user.is_staff
    if thread.comment_count or (is_staff and getattr(thread, "has_any_comment", True)):
        comments = Comment.objects.visible_to(user).filter(thread=thread).select_related("author").order_by("created_at", "pk")
        for comment in comments:
            comment.viewer_can_edit = permissions.can_edit_comment(user, comment)
            by_answer.setdefault(comment.answer_id, []).append(comment)
    for answer in answers:
        answer.comment_list = by_answer.get(answer.pk, [])
    is_asker = user.is_authenticated and thread.author_id == user.pk
    following = getattr(thread, "viewer_follows", None)
    if following is None and user.is_authenticated:
        following = Follow.objects.filter(user=user, thread=thread, is_active=True).exists()
    can_comment = permissions.can_comment(user, thread)
    return {
        "question_comments": by_answer.get(None, []),
        "can_comment": can_comment,
        "is_asker": is_asker,
        "following": following,
        "poll_seconds": poll_seconds(),
        # What differs between viewers in the comments inside the cached answers fragment.
        "comment_state": (
            is_asker,
            can_comment,
            tuple(c.pk for a in answers for c in a.comment_list if c.viewer_can_edit),
        ),
    }


@anonymous_page(THREAD)
def thread_detail(request: HttpRequest, pk: int, slug: str | None = None) -> HttpResponse:
    """A question with its answers. Private, deleted or hidden threads are 404 for everyone
    who may not see them (Thread.objects.visible_to)."""
    threads = Thread.objects.visible_to(request.user).select_related("category", "author")
    if request.user.is_authenticated:
        # The viewer's "I have this too" comes with the thread: one query fewer per page.
        threads = threads.annotate(
            viewer_has_me_too=Exists(MeToo.objects.filter(thread=OuterRef("pk"), user=request.user)),
            # Following, and (for staff, who see deleted comments) whether any comment exists.
            viewer_follows=Exists(Follow.objects.filter(thread=OuterRef("pk"), user=request.user, is_active=True)),
            has_any_comment=Exists(Comment.objects.filter(thread=OuterRef("pk"))),
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
            thread, refusal = _attempt(
                request,
                form,
                services.ask_question,
                author=request.user,
                category=data["category"],
                title=data["title"],
                body=data["body"],
                tags=data["tags"],
                is_private=data["is_private"],
            )
            if thread is not None:
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
            initial["title"] = request.GET["title"][: validators.TITLE_MAX_LENGTH]
        form = QuestionForm(initial=initial)
    status = 400 if request.method == "POST" and form.errors and preview is None else 200
    return _form_page(request, "community/ask.html", {"form": form, "preview": preview}, refusal=refusal, status=status)


def _preview_context(title: str, body: str, kind: str = "question") -> dict:
    """The preview shows the text as it will be stored: masked. Both inputs are cut to their
    fields' bounds before they are scanned (a preview is a hint; the form refuses more)."""
    title = privacy.clip(" ".join((title or "").split()), validators.TITLE_MAX_LENGTH)
    body = privacy.clip(body, validators.BODY_MAX_LENGTH)
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
        posted, refusal = _attempt(
            request, form, services.post_answer, author=request.user, thread=thread, body=form.cleaned_data["body"]
        )
        if posted is not None:
            _masked_message(request, posted.masked_findings, where="answer")
            messages.success(request, "Thanks, your answer is posted.")
            return redirect(_answer_url(thread, posted.pk))
    context = _thread_context(request, thread, answer_form=form)
    return _form_page(request, "community/thread.html", context, refusal=refusal, status=400)


def _back_to(request: HttpRequest, thread: Thread, anchor: str = "") -> HttpResponse:
    return redirect(thread.get_absolute_url() + anchor)


VOTE_WITHOUT_POINTS = (
    "Thanks, your vote counts. It earns the author kudos once your account is a little older "
    "and your email address is confirmed."
)


@member_required
@require_POST
@htmx_partial("community/_vote_response.html")
def vote(request: HttpRequest, pk: int) -> Reply:
    """Toggle "This helped" on an answer. htmx gets the button back; others the page. A
    member whose votes move no points yet (a brand-new account) is told so."""
    answer = _visible_answer(request, pk)
    error = ""
    try:
        voted = services.toggle_upvote(user=request.user, answer=answer)
    except (ValidationError, PermissionDenied) as exc:
        error = _problem(request, exc)
        voted = AnswerVote.objects.filter(answer=answer, user=request.user).exists()
    note = ""
    if voted and not error and not privileges_for(request.user).votes_move_points:
        note = VOTE_WITHOUT_POINTS

    def button() -> dict:
        answer.refresh_from_db(fields=["upvote_count"])
        answer.viewer_voted = voted
        answer.viewer_can_vote = permissions.can_vote(request.user, answer)
        # The sidebar's counts and the answerer's rank badges change in place (out of band).
        answer.author.refresh_from_db(fields=["points"])
        thread = _visible_thread(request, answer.thread_id)
        return {"answer": answer, "error": error, "note": note, "thread": thread, "badge_member": answer.author}

    back = _answer_url(answer.thread, answer.pk)
    if error:
        return Reply(button, back=back, message=error, level=messages.ERROR)
    return Reply(button, back=back, message=note, level=messages.INFO)


@member_required
@require_POST
@htmx_partial("community/_me_too_button.html")
def me_too(request: HttpRequest, pk: int) -> Reply:
    """Toggle "I have this too" on a question."""
    thread = _visible_thread(request, pk)
    error = ""
    try:
        has_me_too = services.toggle_me_too(user=request.user, thread=thread)
    except (ValidationError, PermissionDenied) as exc:
        error = _problem(request, exc)
        has_me_too = MeToo.objects.filter(thread=thread, user=request.user).exists()

    def button() -> dict:
        thread.refresh_from_db(fields=["me_too_count", "version"])
        can_me_too = permissions.can_me_too(request.user, thread)
        return {"thread": thread, "has_me_too": has_me_too, "can_me_too": can_me_too, "error": error}

    return Reply(button, back=thread.get_absolute_url(), message=error, level=messages.ERROR)


@member_required
@require_POST
@htmx_partial("community/_answers.html")
def accept(request: HttpRequest, pk: int) -> Reply:
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
        # Shown on the next page whether or not JavaScript runs.
        messages.error(request, _problem(request, exc))
        done = ""
    thread = _visible_thread(request, answer.thread_id)

    def answers() -> dict:
        # The Solved badge under the title, the sidebar's counts and the answerer's rank badges
        # change too: they come along out of band.
        answer.author.refresh_from_db(fields=["points"])
        return {**_thread_context(request, thread), "oob_status": True, "badge_member": answer.author}

    return Reply(answers, back=_answer_url(thread, answer.pk), message=done)


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
            edited, refusal = _attempt(
                request,
                form,
                services.edit_question,
                user=request.user,
                thread=thread,
                title=data["title"],
                body=data["body"],
                tags=data["tags"],
                is_private=data["is_private"],
            )
            if edited is not None:
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
    return _form_page(request, "community/edit_question.html", {"form": form, "thread": thread}, refusal=refusal, status=status)


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
            edited, refusal = _attempt(
                request, form, services.edit_answer, user=request.user, answer=answer, body=form.cleaned_data["body"]
            )
            if edited is not None:
                _masked_message(request, edited.masked_findings, where="answer")
                messages.success(request, "Your answer is updated.")
                return redirect(_answer_url(answer.thread, answer.pk))
    else:
        form = AnswerForm(initial={"body": answer.body})
    status = 400 if form.errors else 200
    context = {"form": form, "answer": answer, "thread": answer.thread}
    return _form_page(request, "community/edit_answer.html", context, refusal=refusal, status=status)


@member_required
def retag(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a question's tags (the asker, staff, or a rank with the retag privilege). A
    page of its own, so it works without JavaScript and a refused change keeps what was
    typed."""
    from community.forms import RetagForm

    thread = _visible_thread(request, pk)
    if not permissions.can_retag(request.user, thread):
        raise PermissionDenied("Changing the tags of others' questions comes with a higher rank.")
    if request.method == "POST":
        form = RetagForm(request.POST)
        if form.is_valid():
            try:
                services.retag_question(user=request.user, thread=thread, tags=form.cleaned_data["tags"])
            except (ValidationError, PermissionDenied) as exc:
                form.add_error("tags", _problem(request, exc))
            else:
                messages.success(request, "The tags are updated.")
                return redirect(thread)
    else:
        form = RetagForm(initial={"tags": ", ".join(sorted(thread.tags.names()))})
    status = 400 if form.errors else 200
    return render(request, "community/retag.html", {"form": form, "thread": thread}, status=status)


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
    shows nothing. Limited to SIMILAR_QUESTIONS_PER_MINUTE per member or address (429 with
    Retry-After beyond), and cached per title until the lists change.
    """
    import hashlib

    from django.conf import settings

    from community.limits import request_limit_wait
    from community.search import SIMILAR_MIN_TITLE, normalise_query, similar_threads

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
    from community.selectors import PAGE_SIZE, SHOW_CHOICES, SORT_CHOICES, ListFilters, listed_tag, listed_threads, sidebar
    from community.models import Category

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
    if not filters.mine:
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


def _with_viewer_follows(queryset, user, field: str):
    """The category or tag with whether the signed-in viewer follows it, in the same query."""
    if not user.is_authenticated:
        return queryset
    follows = Follow.objects.filter(user=user, is_active=True, **{field: OuterRef("pk")})
    return queryset.annotate(viewer_follows=Exists(follows))


@anonymous_page()
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    from community.models import Category

    category = get_object_or_404(_with_viewer_follows(Category.objects.all(), request.user, "category"), slug=slug)
    following = bool(getattr(category, "viewer_follows", False))
    return _thread_list(
        request, template="community/category.html", category=category, category_page=True, following_topic=following
    )


@anonymous_page()
def tag_index(request: HttpRequest) -> HttpResponse:
    """Every tag used by a listed thread, with how many listed threads carry it."""
    from community.selectors import tags_with_counts

    return render(request, "community/tags.html", {"tags": cached_for_lists("tags", tags_with_counts, counts_only=True)})


@anonymous_page()
def tag_detail(request: HttpRequest, tag: str) -> HttpResponse:
    from django.http import Http404
    from taggit.models import Tag

    from community.selectors import listed_tag

    # A tag exists publicly only while a listed thread carries it.
    tag_obj = listed_tag(tag, queryset=_with_viewer_follows(Tag.objects.all(), request.user, "tag"))
    if tag_obj is None:
        raise Http404("No such tag.")
    following = bool(getattr(tag_obj, "viewer_follows", False))
    return _thread_list(request, template="community/tag.html", tag=tag_obj, tag_page=True, following_topic=following)



# --- Flags ----------------------------------------------------------------------------------


def _flag(request: HttpRequest, *, post, kind: str, thread: Thread) -> Reply:
    """Validate the flag form and call moderation.flag_post. htmx gets the flag box back in its
    new state; without JavaScript the member goes back to the post with a message, or, when
    the form is incomplete, to a small page that keeps what they typed."""
    from community.forms import FlagForm

    form = FlagForm(request.POST)
    post_url = thread.get_absolute_url() + (f"#answer-{post.pk}" if kind == "answer" else "")
    context = {"post": post, "kind": kind, "flag_form": form, "thread": thread}
    if not form.is_valid():
        return Reply({**context, "flag_open": True}, page="community/flag.html", page_status=400)
    try:
        flag_post(user=request.user, post=post, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"])
    except (ValidationError, PermissionDenied) as exc:
        message, level = _problem(request, exc), messages.WARNING
    else:
        message, level = "Thanks for flagging. Our staff will review this post.", messages.SUCCESS
    return Reply({**context, "flag_message": message, "flag_done": True}, back=post_url, message=message, level=level)


@require_POST
@member_required
@htmx_partial("community/_flag_form.html")
def flag_thread(request: HttpRequest, pk: int) -> Reply:
    thread = _visible_thread(request, pk)
    return _flag(request, post=thread, kind="thread", thread=thread)


@require_POST
@member_required
@htmx_partial("community/_flag_form.html")
def flag_answer(request: HttpRequest, pk: int) -> Reply:
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


def _moderate(request: HttpRequest, kind: str, pk: int, action: str) -> Reply:
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
    service = restore_post if action == "restore" else remove_post
    try:
        service(user=request.user, post=post)
    except (ValidationError, PermissionDenied) as exc:
        message, level = _problem(request, exc), messages.WARNING
    else:
        what = "Question" if kind == "thread" else "Answer"
        message = f"{what} restored: it is visible again." if action == "restore" else f"{what} removed."
        level = messages.SUCCESS
    context = {"message": message, "level": "success" if level == messages.SUCCESS else "warning", "thread": thread}
    return Reply(context, back=reverse("community:moderation"), message=message, level=level)


@require_POST
@htmx_partial("community/_moderation_done.html")
def restore_flagged(request: HttpRequest, kind: str, pk: int) -> Reply:
    return _moderate(request, kind, pk, "restore")


@require_POST
@htmx_partial("community/_moderation_done.html")
def remove_flagged(request: HttpRequest, kind: str, pk: int) -> Reply:
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
