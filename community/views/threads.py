"""The thread page and what is done on it: asking, answering, voting, "I have this too",
accepting, editing, retagging and deleting. Comments, following and live updates are in
community.views.conversation."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from community import memberpage, ownpage, permissions, services, validators
from community.forms import AnswerForm, QuestionForm, RetagForm
from community.hooks import privileges_for
from community.models import Answer, AnswerVote, Category, Comment, Follow, MeToo, Thread
from community.pagecache import THREAD, anonymous_page
from community.selectors import concrete_user, thread_page
from community.views.base import (
    Reply,
    answer_url,
    attempt,
    back_to,
    form_page,
    htmx_partial,
    masked_message,
    member_required,
    private_message,
    problem,
    visible_answer,
    visible_thread,
)
from community.views.editor import preview_context


def poll_seconds() -> int:
    """How often an open thread page asks whether anything changed (community.views.conversation)."""
    return max(2, int(getattr(settings, "LIVE_THREAD_POLL_SECONDS", 20)))


def thread_context(request: HttpRequest, thread: Thread, *, answer_form: AnswerForm | None = None) -> dict:
    """The thread page's context: community.selectors.thread_page plus the answer form (the
    one given, with its errors and text, else an empty one for those who may answer)."""
    if answer_form is None and permissions.can_answer(request.user, thread):
        answer_form = AnswerForm()
    context = thread_page(thread=thread, viewer=request.user)
    shown = ([context["solution"]] if context["solution"] else []) + list(context["answers"])
    # The template asks the viewer many questions too: of the user, not the lazy proxy.
    return {
        **context,
        **conversation_context(request, thread, shown),
        "answer_form": answer_form,
        "user": concrete_user(request.user),
    }


def conversation_context(request: HttpRequest, thread: Thread, answers: list[Answer]) -> dict:
    """Comments under the question and each answer (one query), whether the viewer follows
    the thread (one query) and the live-update baseline. Sets ``answer.comment_list``."""
    user = concrete_user(request.user)
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
    who may not see them (Thread.objects.visible_to). Members but staff are served the shared
    member page (community.memberpage)."""
    user = concrete_user(request.user)
    if memberpage.may_share(request, user):
        row = memberpage.thread_row(pk, user)
        if row is not None and row.is_visible_to(user):
            if slug != row.slug:
                return redirect(row, permanent=True)
            return memberpage.shared_page(
                request, row, user, lambda: thread_context(request, _thread_for_page(request, pk)), own_copy=ownpage.prepare
            )
    thread = _thread_for_page(request, pk)
    if slug != thread.slug:
        return redirect(thread, permanent=True)
    return render(request, "community/thread.html", thread_context(request, thread))


# A member's own copy of this page may be served before the view runs (community.ownpage).
thread_detail.member_own_page = True


def _thread_for_page(request: HttpRequest, pk: int) -> Thread:
    threads = Thread.objects.visible_to(request.user).select_related("category", "author")
    if request.user.is_authenticated:
        # The viewer's "I have this too" comes with the thread: one query fewer per page.
        threads = threads.annotate(
            viewer_has_me_too=Exists(MeToo.objects.filter(thread=OuterRef("pk"), user=request.user)),
            # Following, and (for staff, who see deleted comments) whether any comment exists.
            viewer_follows=Exists(Follow.objects.filter(thread=OuterRef("pk"), user=request.user, is_active=True)),
            has_any_comment=Exists(Comment.objects.filter(thread=OuterRef("pk"))),
        )
    return get_object_or_404(threads, pk=pk)


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
            preview = preview_context(request.POST.get("title", ""), request.POST.get("body", ""))
        elif form.is_valid():
            data = form.cleaned_data
            thread, refusal = attempt(
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
                masked_message(request, thread.masked_findings, where="question")
                if thread.is_private:
                    private_message(request, thread, thread.detected_private_data)
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
    return form_page(request, "community/ask.html", {"form": form, "preview": preview}, refusal=refusal, status=status)


@member_required
@require_POST
@sensitive_post_parameters("title", "body")
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Post an answer. On bad input the thread page comes back with the error and the text."""
    thread = visible_thread(request, pk)
    form = AnswerForm(request.POST)
    refusal = None
    if form.is_valid():
        posted, refusal = attempt(
            request, form, services.post_answer, author=request.user, thread=thread, body=form.cleaned_data["body"]
        )
        if posted is not None:
            masked_message(request, posted.masked_findings, where="answer")
            messages.success(request, "Thanks, your answer is posted.")
            return redirect(answer_url(thread, posted.pk))
    context = thread_context(request, thread, answer_form=form)
    return form_page(request, "community/thread.html", context, refusal=refusal, status=400)


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
    error = ""
    try:
        answer, voted = services.toggle_vote(user=request.user, answer_id=pk)
    except Answer.DoesNotExist:
        raise Http404("No such answer.") from None
    except (ValidationError, PermissionDenied) as exc:
        error = problem(request, exc)
        answer = visible_answer(request, pk)
        voted = AnswerVote.objects.filter(answer=answer, user=request.user).exists()
    note = ""
    if voted and not error and not privileges_for(request.user).votes_move_points:
        note = VOTE_WITHOUT_POINTS

    def button() -> dict:
        # toggle_vote set answer.upvote_count and answer.thread (the sidebar's counts), and
        # kudos the author's new points when it credited them or took them back (their rank
        # badge): both change in place, out of band.
        thread = answer.thread
        answer.viewer_voted = voted
        answer.viewer_can_vote = permissions.can_vote(request.user, answer)
        return {"answer": answer, "error": error, "note": note, "thread": thread, "badge_member": answer.author}

    back = answer_url(answer.thread, answer.pk)
    if error:
        return Reply(button, back=back, message=error, level=messages.ERROR)
    return Reply(button, back=back, message=note, level=messages.INFO)


@member_required
@require_POST
@htmx_partial("community/_me_too_button.html")
def me_too(request: HttpRequest, pk: int) -> Reply:
    """Toggle "I have this too" on a question."""
    thread = visible_thread(request, pk)
    error = ""
    try:
        has_me_too = services.toggle_me_too(user=request.user, thread=thread)
    except (ValidationError, PermissionDenied) as exc:
        error = problem(request, exc)
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
    answer = visible_answer(request, pk)
    try:
        if request.POST.get("action") == "unaccept":
            services.unaccept_answer(user=request.user, answer=answer)
            done = "The answer is no longer marked as the solution."
        else:
            services.accept_answer(user=request.user, answer=answer)
            done = "Marked as the solution. Thanks for letting everyone know what worked."
    except (ValidationError, PermissionDenied) as exc:
        # Shown on the next page whether or not JavaScript runs.
        messages.error(request, problem(request, exc))
        done = ""
    thread = visible_thread(request, answer.thread_id)

    def answers() -> dict:
        # The Solved badge under the title, the sidebar's counts and the answerer's rank badges
        # change too: they come along out of band.
        answer.author.refresh_from_db(fields=["points"])
        return {**thread_context(request, thread), "oob_status": True, "badge_member": answer.author}

    return Reply(answers, back=answer_url(thread, answer.pk), message=done)


@member_required
@require_POST
def still_need_help(request: HttpRequest, pk: int) -> HttpResponse:
    thread = visible_thread(request, pk)
    try:
        services.ask_for_more_help(user=request.user, thread=thread)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, problem(request, exc))
    else:
        messages.success(
            request,
            "Thanks for telling us. We've marked your question as still needing help and "
            "our support team will look at it.",
        )
    return back_to(request, thread)


@member_required
@sensitive_post_parameters("title", "body")
def edit_question(request: HttpRequest, pk: int) -> HttpResponse:
    thread = visible_thread(request, pk)
    if not permissions.can_edit_post(request.user, thread):
        raise PermissionDenied("Only the author or staff can edit this question.")
    refusal = None
    if request.method == "POST":
        form = QuestionForm(request.POST, thread=thread)
        if form.is_valid():
            data = form.cleaned_data
            was_private = thread.is_private
            edited, refusal = attempt(
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
                masked_message(request, edited.masked_findings, where="question")
                if edited.is_private and not was_private:
                    detected = edited.detected_private_data if edited.private_reason == Thread.PrivateReason.DETECTED else []
                    private_message(request, edited, detected)
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
    return form_page(request, "community/edit_question.html", {"form": form, "thread": thread}, refusal=refusal, status=status)


@member_required
@sensitive_post_parameters("title", "body")
def edit_answer(request: HttpRequest, pk: int) -> HttpResponse:
    answer = visible_answer(request, pk)
    if not permissions.can_edit_post(request.user, answer):
        raise PermissionDenied("Only the author or staff can edit this answer.")
    refusal = None
    if request.method == "POST":
        form = AnswerForm(request.POST)
        if form.is_valid():
            edited, refusal = attempt(
                request, form, services.edit_answer, user=request.user, answer=answer, body=form.cleaned_data["body"]
            )
            if edited is not None:
                masked_message(request, edited.masked_findings, where="answer")
                messages.success(request, "Your answer is updated.")
                return redirect(answer_url(answer.thread, answer.pk))
    else:
        form = AnswerForm(initial={"body": answer.body})
    status = 400 if form.errors else 200
    context = {"form": form, "answer": answer, "thread": answer.thread}
    return form_page(request, "community/edit_answer.html", context, refusal=refusal, status=status)


@member_required
def retag(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a question's tags (the asker, staff, or a rank with the retag privilege). A
    page of its own, so it works without JavaScript and a refused change keeps what was
    typed."""

    thread = visible_thread(request, pk)
    if not permissions.can_retag(request.user, thread):
        raise PermissionDenied("Changing the tags of others' questions comes with a higher rank.")
    if request.method == "POST":
        form = RetagForm(request.POST)
        if form.is_valid():
            try:
                services.retag_question(user=request.user, thread=thread, tags=form.cleaned_data["tags"])
            except (ValidationError, PermissionDenied) as exc:
                form.add_error("tags", problem(request, exc))
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
    thread = visible_thread(request, pk)
    try:
        services.delete_question(user=request.user, thread=thread)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, problem(request, exc))
        return back_to(request, thread)
    messages.success(request, "Your question is deleted.")
    if request.user.is_staff:
        return back_to(request, thread)
    return redirect("community:home")


@member_required
@require_POST
def delete_answer(request: HttpRequest, pk: int) -> HttpResponse:
    answer = visible_answer(request, pk)
    try:
        services.delete_answer(user=request.user, answer=answer)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, problem(request, exc))
    else:
        messages.success(request, "The answer is deleted.")
    return back_to(request, answer.thread, "#answers")
