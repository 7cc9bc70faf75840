"""Flags: members flag a question, an answer or a comment; staff restore or remove what was
flagged."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from community import permissions
from community.forms import FlagForm
from community.models import Answer, Comment, Flag, Thread
from community.moderation import flag_post, remove_post, restore_post
from community.selectors import flagged_posts
from community.views.base import (
    Reply,
    htmx_partial,
    member_required,
    problem,
    visible_answer,
    visible_comment,
    visible_thread,
)

# flag_post's refusals of the input (ValidationError codes, named for the form's fields): they
# go on the form (400), not in a message, so the member can fix what they typed.
_INPUT_FIELDS = ("reason", "note")


def _post_url(thread: Thread, *, post, kind: str) -> str:
    anchor = {"answer": f"#answer-{post.pk}", "comment": f"#comment-{post.pk}"}.get(kind, "")
    return thread.get_absolute_url() + anchor


def _flag(request: HttpRequest, *, post, kind: str, thread: Thread) -> Reply:
    """Validate the flag form and call moderation.flag_post. htmx gets the flag box back in its
    new state; without JavaScript the member goes back to the post with a message, or, when
    the input is wrong, to a small page (400) that keeps what they typed and says why."""

    if request.method == "GET":
        # The form itself: the box fetched when a member opens it (htmx), or its own page.
        if post.author_id == request.user.pk:
            raise PermissionDenied("You can't flag your own post.")
        already = Flag.objects.filter(user=request.user, **{kind: post}).exists()
        context = {"post": post, "kind": kind, "flag_form": FlagForm(), "thread": thread}
        return Reply({**context, "flag_open": True, "already_flagged": already}, page="community/flag.html")
    form = FlagForm(request.POST)
    context = {"post": post, "kind": kind, "flag_form": form, "thread": thread}
    back = _post_url(thread, post=post, kind=kind)
    if form.is_valid():
        try:
            data = form.cleaned_data
            flag_post(user=request.user, post=post, reason=data["reason"], note=data["note"])
        except ValidationError as exc:
            if getattr(exc, "code", None) not in _INPUT_FIELDS:
                return _flag_done(context, problem(request, exc), back=back, level=messages.WARNING)
            form.add_error(exc.code, exc)
        except PermissionDenied as exc:
            return _flag_done(context, problem(request, exc), back=back, level=messages.WARNING)
        else:
            noun = "comment" if kind == "comment" else "post"
            return _flag_done(context, f"Thanks for flagging. Our staff will review this {noun}.", back=back)
    return Reply({**context, "flag_open": True}, page="community/flag.html", page_status=400)


def _flag_done(context: dict, message: str, *, back: str, level: int = messages.SUCCESS) -> Reply:
    """The flag box in its final state (htmx), or back to the post with ``message``."""
    context.update(flag_message=message, flag_done=True)
    return Reply(context, back=back, message=message, level=level)


@require_http_methods(["GET", "POST"])
@member_required
@htmx_partial("community/_flag_form.html")
def flag_thread(request: HttpRequest, pk: int) -> Reply:
    thread = visible_thread(request, pk)
    return _flag(request, post=thread, kind="thread", thread=thread)


@require_http_methods(["GET", "POST"])
@member_required
@htmx_partial("community/_flag_form.html")
def flag_answer(request: HttpRequest, pk: int) -> Reply:
    answer = visible_answer(request, pk)
    return _flag(request, post=answer, kind="answer", thread=answer.thread)


@require_http_methods(["GET", "POST"])
@member_required
@htmx_partial("community/_flag_form.html")
def flag_comment(request: HttpRequest, pk: int) -> Reply:
    """Flag a comment. The comment's Flag link is the same for every viewer (it sits in the
    cached answers fragment), so the form is fetched: GET is the flag page without JavaScript
    and, with htmx, the flag box opened in place under the comment. POST is as for questions
    and answers. A comment the viewer may not see is 404; one's own comment is 403 (its Flag
    link is not shown to its author), before any input is looked at."""
    comment = visible_comment(request, pk)
    permissions.check_can_flag(request.user, comment)
    if request.method == "POST":
        return _flag(request, post=comment, kind="comment", thread=comment.thread)
    context = {
        "post": comment,
        "kind": "comment",
        "thread": comment.thread,
        "flag_form": FlagForm(),
        "flag_open": True,
        "already_flagged": Flag.objects.filter(user=request.user, comment=comment).exists(),
    }
    return Reply(context, page="community/flag.html")


def _staff_only(request: HttpRequest) -> None:
    """Moderation pages do not exist for anyone but staff."""

    if not (request.user.is_authenticated and request.user.is_staff):
        raise Http404("No such page.")


def moderation(request: HttpRequest) -> HttpResponse:
    """Posts with pending flags, hidden ones first, with every flag's reason, note and flagger."""

    _staff_only(request)
    return render(request, "community/moderation.html", {"flagged": flagged_posts()})


def _moderate(request: HttpRequest, kind: str, pk: int, action: str) -> Reply:
    _staff_only(request)
    if kind == "thread":
        post = get_object_or_404(Thread.objects.select_related("author", "category"), pk=pk)
        thread = post
    elif kind == "answer":
        post = get_object_or_404(Answer.objects.select_related("author", "thread"), pk=pk)
        thread = post.thread
    elif kind == "comment":
        post = get_object_or_404(Comment.objects.select_related("author", "thread"), pk=pk)
        thread = post.thread
    else:
        raise Http404("No such post.")
    service = restore_post if action == "restore" else remove_post
    try:
        service(user=request.user, post=post)
    except (ValidationError, PermissionDenied) as exc:
        message, level = problem(request, exc), messages.WARNING
    else:
        what = {"thread": "Question", "answer": "Answer", "comment": "Comment"}[kind]
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
