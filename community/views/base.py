"""What every community view shares: the sign-in wall that speaks htmx, fetching a thread or
answer the viewer may see (404 otherwise), the one answer to bad input and refusals
(form_page), and htmx_partial/Reply, which let a view name its partial once and never branch
on request.htmx itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from community import privacy
from community.limits import PostingLimitReached
from community.models import Answer, Comment, Thread


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


def visible_thread(request: HttpRequest, pk: int) -> Thread:
    return get_object_or_404(Thread.objects.visible_to(request.user).select_related("category", "author"), pk=pk)


def visible_answer(request: HttpRequest, pk: int) -> Answer:
    """An answer the user may see, on a thread they may see (404 otherwise); answer.thread is
    the visible thread."""
    answer = get_object_or_404(
        Answer.objects.visible_to(request.user).select_related("author", "thread__category", "thread__author"), pk=pk
    )
    # One query: the thread comes with the answer and is checked by the same rule as
    # Thread.objects.visible_to (Thread.is_visible_to).
    if not answer.thread.is_visible_to(request.user):
        raise Http404("No such answer.")
    return answer


def visible_comment(request: HttpRequest, pk: int) -> Comment:
    """A comment the user may see, under a question (and answer) they may see (404
    otherwise); comment.thread is the visible thread."""
    comments = Comment.objects.visible_to(request.user).select_related("author", "answer")
    comment = get_object_or_404(comments, pk=pk)
    comment.thread = visible_thread(request, comment.thread_id)
    answer_id = comment.answer_id
    if answer_id and not Answer.objects.visible_to(request.user).filter(pk=answer_id).exists():
        raise Http404("No such comment.")
    return comment


def problem(request: HttpRequest, exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "You can't do that here."


def attempt(request: HttpRequest, form, service, **kwargs):
    """Call a service for a valid form. Returns (result, None), or (None, the refusal) with its
    reason put on the form, which keeps what the member typed."""
    try:
        return service(**kwargs), None
    except (ValidationError, PermissionDenied) as exc:
        form.add_error(None, problem(request, exc))
        return None, exc


def form_page(request: HttpRequest, template: str, context: dict, *, refusal=None, status: int = 200) -> HttpResponse:
    """The form's page again, with its errors: the one answer to bad input and refusals for
    every form view. Over a posting limit it is a 429 with Retry-After; an htmx request then
    gets only the reason, straight away, since its target is a small part of the page."""
    if isinstance(refusal, PostingLimitReached):
        if request.htmx:
            response = HttpResponse(
                format_html('<p class="message message-error" role="alert">{}</p>', problem(request, refusal))
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


def answer_url(thread: Thread, answer_pk: int) -> str:
    return f"{thread.get_absolute_url()}#answer-{answer_pk}"


def masked_message(request: HttpRequest, findings, *, where: str) -> None:
    """Tell the writer what community.privacy masked in what they posted, and why."""
    if findings:
        messages.warning(request, privacy.explain(findings, where=where))


def private_message(request: HttpRequest, thread: Thread, detected: list[str]) -> None:
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


def back_to(request: HttpRequest, thread: Thread, anchor: str = "") -> HttpResponse:
    return redirect(thread.get_absolute_url() + anchor)
