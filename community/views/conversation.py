"""HTTP for the conversation around a thread: comments, following, @mention suggestions and
live updates of an open thread page.

Kept apart from community.views.threads (questions, answers) so each module holds one subject;
the same thin-view habits apply: permission, form, one service call, a partial for htmx and a
page or redirect otherwise.

Live updates use htmx polling, not server-sent events: production runs gunicorn sync workers
(README), and every open SSE stream would hold one worker for as long as the page is open, so a
few dozen readers would starve the site. A poll (every LIVE_THREAD_POLL_SECONDS) costs one
indexed query on the thread's ``version`` and answers 204 (nothing to swap) while nothing
changed; only a change renders anything.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from taggit.models import Tag

from community import permissions, privacy, services
from community.forms import CommentForm
from community.models import Answer, Category, Comment, Follow, Thread
from community.views.base import member_required, problem, visible_answer, visible_comment, visible_thread
from community.views.threads import poll_seconds, thread_context

# --- Comments ---------------------------------------------------------------------------------


def comments_block(request: HttpRequest, thread: Thread, answer: Answer | None, **extra) -> dict:
    """Context for one post's comments block (community/_comments.html), read fresh."""
    comments = list(
        Comment.objects.visible_to(request.user)
        .filter(thread=thread, answer=answer)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    for comment in comments:
        comment.viewer_can_edit = permissions.can_edit_comment(request.user, comment)
    post = answer if answer is not None else thread
    return {
        "thread": thread,
        "post": post,
        "post_kind": "answer" if answer is not None else "thread",
        "comments": comments,
        "can_comment": permissions.can_comment(request.user, thread),
        "is_asker": request.user.is_authenticated and thread.author_id == request.user.pk,
        # Posting a comment follows the thread: the Follow button changes with it.
        "viewer_follows": extra.get("posted") is not None
        and Follow.objects.filter(user=request.user, thread=thread, is_active=True).exists(),
        **extra,
    }


def _post_comment(request: HttpRequest, thread: Thread, answer: Answer | None) -> HttpResponse:
    form = CommentForm(request.POST)
    in_details = request.POST.get("place") == "details" and answer is None
    comment = None
    if form.is_valid():
        try:
            comment = services.post_comment(
                author=request.user, thread=thread, answer=answer, body=form.cleaned_data["body"]
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, problem(request, exc))
    masked_note = privacy.explain(comment.masked_findings, where="comment") if comment is not None else ""
    if not request.htmx:
        if comment is not None:
            messages.success(request, "Your comment is posted.")
            if masked_note:
                messages.warning(request, masked_note)
            return redirect(thread.get_absolute_url() + f"#comment-{comment.pk}")
        context = {"thread": thread, "post": answer or thread, "post_kind": "answer" if answer else "thread", "form": form}
        return render(request, "community/comment_form.html", context, status=400)
    thread.refresh_from_db()
    if in_details:
        # The asker's "Add details" box: the box comes back (empty after a post, with the
        # error and the text otherwise), the question's comments out of band.
        context = comments_block(request, thread, None, oob=comment is not None, posted=comment, masked_note=masked_note)
        context.update(details_form=CommentForm() if comment is not None else form, posted=comment is not None)
        return render(request, "community/_details_form.html", context)
    context = comments_block(
        request, thread, answer, comment_form=form if comment is None else None, form_open=comment is None,
        posted=comment, masked_note=masked_note,
    )
    # htmx swaps only 2xx answers by default: the block with the error comes back as a 200.
    return render(request, "community/_comments.html", context)


def _comment_form(request: HttpRequest, thread: Thread, answer: Answer | None) -> HttpResponse:
    """The empty comment form: fetched by htmx when "Add a comment" is opened, or a page of
    its own without JavaScript. Refused (403) to those who may not comment here."""
    if not permissions.can_comment(request.user, thread):
        raise PermissionDenied("This question no longer takes comments.")
    context = {"thread": thread, "post": answer or thread, "post_kind": "answer" if answer else "thread", "form": CommentForm()}
    context["autofocus"] = bool(request.htmx)  # opened in place: the box gets the focus
    return render(request, "community/_comment_form.html" if request.htmx else "community/comment_form.html", context)


@member_required
@require_http_methods(["GET", "POST"])
def comment_on_thread(request: HttpRequest, pk: int) -> HttpResponse:
    """Comment under the question (GET: the form)."""
    thread = visible_thread(request, pk)
    if request.method == "GET":
        return _comment_form(request, thread, None)
    return _post_comment(request, thread, None)


@member_required
@require_http_methods(["GET", "POST"])
def comment_on_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Comment under an answer (GET: the form)."""
    answer = visible_answer(request, pk)
    if request.method == "GET":
        return _comment_form(request, answer.thread, answer)
    return _post_comment(request, answer.thread, answer)


@member_required
def edit_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit one's comment: a small page without JavaScript, in place with htmx."""
    comment = visible_comment(request, pk)
    if not permissions.can_edit_comment(request.user, comment):
        raise PermissionDenied("Only the author or staff can change this comment.")
    template = "community/_comment_edit.html" if request.htmx else "community/comment_edit.html"
    if request.method == "POST":
        if request.POST.get("cancel") and request.htmx:
            comment.viewer_can_edit = True
            return render(request, "community/_comment.html", {"comment": comment, "thread": comment.thread})
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                comment = services.edit_comment(user=request.user, comment=comment, body=form.cleaned_data["body"])
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, problem(request, exc))
            else:
                masked_note = privacy.explain(comment.masked_findings, where="comment")
                if request.htmx:
                    comment.viewer_can_edit = True
                    comment.author = request.user if comment.author_id == request.user.pk else comment.author
                    context = {"comment": comment, "thread": comment.thread, "masked_note": masked_note}
                    return render(request, "community/_comment.html", context)
                messages.success(request, "Your comment is updated.")
                if masked_note:
                    messages.warning(request, masked_note)
                return redirect(comment.thread.get_absolute_url() + f"#comment-{comment.pk}")
        status = 200 if request.htmx else 400
        return render(request, template, {"comment": comment, "thread": comment.thread, "form": form}, status=status)
    form = CommentForm(initial={"body": comment.body})
    return render(request, template, {"comment": comment, "thread": comment.thread, "form": form})


@member_required
@require_POST
def delete_comment(request: HttpRequest, pk: int) -> HttpResponse:
    comment = visible_comment(request, pk)
    try:
        services.delete_comment(user=request.user, comment=comment)
    except (ValidationError, PermissionDenied) as exc:
        if request.htmx:
            return HttpResponse(problem(request, exc), status=403)
        messages.error(request, problem(request, exc))
    else:
        if request.htmx:
            if request.user.is_staff:
                comment.viewer_can_edit = False
                return render(request, "community/_comment.html", {"comment": comment, "thread": comment.thread})
            return HttpResponse("")
        messages.success(request, "The comment is deleted.")
    return redirect(comment.thread.get_absolute_url() + "#answers")


# --- Following --------------------------------------------------------------------------------


def _follow_response(request: HttpRequest, *, following: bool, kind: str, target, back: str, error: str = "") -> HttpResponse:
    if request.htmx:
        return render(
            request,
            "community/_follow_button.html",
            {"following": following, "follow_kind": kind, "follow_target": target, "error": error},
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"You follow this {kind} now." if following else f"You no longer follow this {kind}.")
    return redirect(back)


def _toggle_follow(request: HttpRequest, *, kind: str, back: str, **target) -> HttpResponse:
    wants = request.POST.get("action") != "unfollow"
    error = ""
    try:
        if wants:
            services.follow(user=request.user, **target)
        else:
            services.unfollow(user=request.user, **target)
    except (ValidationError, PermissionDenied) as exc:
        error = problem(request, exc)
    following = Follow.objects.filter(user=request.user, is_active=True, **target).exists()
    return _follow_response(request, following=following, kind=kind, target=next(iter(target.values())), back=back, error=error)


@member_required
@require_POST
def follow_thread(request: HttpRequest, pk: int) -> HttpResponse:
    thread = visible_thread(request, pk)
    return _toggle_follow(request, kind="question", back=thread.get_absolute_url(), thread=thread)


@member_required
@require_POST
def follow_category(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    return _toggle_follow(request, kind="category", back=category.get_absolute_url(), category=category)


@member_required
@require_POST
def follow_tag(request: HttpRequest, tag: str) -> HttpResponse:
    tag_obj = get_object_or_404(Tag, slug=tag)

    return _toggle_follow(request, kind="tag", back=reverse("community:tag", args=[tag_obj.slug]), tag=tag_obj)


# --- @mention suggestions -----------------------------------------------------------------------

MENTION_SUGGESTIONS = 8
MENTION_QUERY_MAX = 30
MENTION_REQUESTS_PER_MINUTE = 60


def _mention_rate_ok(user_id: int) -> bool:
    """At most MENTION_REQUESTS_PER_MINUTE look-ups per member and minute (a fixed window in
    the cache), so the endpoint can't be used to walk the member list. Fails open when the
    cache is down: the answers are bounded and public anyway."""

    key = f"mentions:rate:{user_id}:{int(timezone.now().timestamp() // 60)}"
    try:
        cache.add(key, 0, timeout=120)
        return cache.incr(key) <= MENTION_REQUESTS_PER_MINUTE
    except Exception:
        return True


@member_required
@require_GET
def mention_suggestions(request: HttpRequest) -> HttpResponse:
    """Members whose username or display name starts with ``q`` (htmx listbox for the @mention
    autocomplete): at most MENTION_SUGGESTIONS, active members only, name and username only."""

    if not _mention_rate_ok(request.user.pk):
        response = HttpResponse("Too many look-ups; wait a minute.", status=429)
        response["Retry-After"] = "60"
        return response
    query = (request.GET.get("q") or "").strip().lstrip("@")[:MENTION_QUERY_MAX]
    members = []
    if query:
        members = list(
            get_user_model()
            .objects.filter(is_active=True)
            .filter(Q(username__istartswith=query) | Q(display_name__istartswith=query))
            .exclude(pk=request.user.pk)
            .order_by("-points", "username")
            .only("pk", "username", "display_name", "points", "is_staff")[:MENTION_SUGGESTIONS]
        )
    return render(
        request,
        "community/_mention_suggestions.html",
        {"members": members, "query": query, "target": (request.GET.get("target") or "")[:80]},
    )


# --- Live updates -----------------------------------------------------------------------------


def _int(value, default: int = 0) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


@require_GET
def thread_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The open thread page asks whether anything changed since version ``v``.

    Unchanged: 204, no body (htmx swaps nothing). Changed: the live bar (how many answers and
    comments arrived since the page's baseline ``a`` / ``c``, with a Show button) and, out of
    band, the sidebar counts and the status badges. A thread the viewer may no longer see
    answers 404 like every page of it.
    """

    version = (
        Thread.objects.visible_to(request.user).filter(pk=pk).values_list("version", flat=True).first()
    )
    if version is None:
        raise Http404("No such question.")
    if version == _int(request.GET.get("v"), -1):
        return HttpResponse(status=204)
    thread = visible_thread(request, pk)
    baseline_answers = _int(request.GET.get("a"), thread.answer_count)
    baseline_comments = _int(request.GET.get("c"), thread.comment_count)
    context = {
        "thread": thread,
        "baseline_answers": baseline_answers,
        "baseline_comments": baseline_comments,
        "live_new_answers": max(0, thread.answer_count - baseline_answers),
        "live_new_comments": max(0, thread.comment_count - baseline_comments),
        "oob": True,
        "poll_seconds": poll_seconds(),
    }
    return render(request, "community/_live.html", context)


@require_GET
def thread_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    """The answers (with their comments) as they are now, for the live bar's Show button; the
    question's comments, the sidebar, the status and a fresh live bar come out of band."""
    thread = visible_thread(request, pk)
    context = thread_context(request, thread)
    context.update(oob_status=True, refresh=True, poll_seconds=poll_seconds())
    return render(request, "community/_answers.html", context)
