"""Flags: members flag a question or answer; staff restore or remove what was flagged (a
question, an answer or a comment)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from community.forms import FlagForm
from community.models import Answer, Comment, Thread
from community.moderation import flag_post, remove_post, restore_post
from community.selectors import flagged_posts
from community.views.base import (
    Reply,
    htmx_partial,
    member_required,
    problem,
    visible_answer,
    visible_thread,
)


def _flag(request: HttpRequest, *, post, kind: str, thread: Thread) -> Reply:
    """Validate the flag form and call moderation.flag_post. htmx gets the flag box back in its
    new state; without JavaScript the member goes back to the post with a message, or, when
    the form is incomplete, to a small page that keeps what they typed."""

    form = FlagForm(request.POST)
    post_url = thread.get_absolute_url() + (f"#answer-{post.pk}" if kind == "answer" else "")
    context = {"post": post, "kind": kind, "flag_form": form, "thread": thread}
    if not form.is_valid():
        return Reply({**context, "flag_open": True}, page="community/flag.html", page_status=400)
    try:
        flag_post(user=request.user, post=post, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"])
    except (ValidationError, PermissionDenied) as exc:
        message, level = problem(request, exc), messages.WARNING
    else:
        message, level = "Thanks for flagging. Our staff will review this post.", messages.SUCCESS
    return Reply({**context, "flag_message": message, "flag_done": True}, back=post_url, message=message, level=level)


@require_POST
@member_required
@htmx_partial("community/_flag_form.html")
def flag_thread(request: HttpRequest, pk: int) -> Reply:
    thread = visible_thread(request, pk)
    return _flag(request, post=thread, kind="thread", thread=thread)


@require_POST
@member_required
@htmx_partial("community/_flag_form.html")
def flag_answer(request: HttpRequest, pk: int) -> Reply:
    answer = visible_answer(request, pk)
    return _flag(request, post=answer, kind="answer", thread=answer.thread)


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
