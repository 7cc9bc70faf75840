"""The REST API, version 1: thin function views over the site's selectors, forms and services.

Every thread is looked up through Thread.objects.visible_to(request.user), lists through
Thread.objects.listed(), so a private thread is exactly as invisible here as on the site
(404). Ticket routes answer 404 to anyone who may not work the queue, as the staff pages do.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from api import serializers as s
from api.pagination import NewestFirst
from api.permissions import ReadOrWriteScope, has_scope
from community import services as community
from community.forms import AnswerForm, QuestionForm
from community.limits import PostingLimitReached
from community.models import Answer, Category, Thread
from community.search import search_threads
from escalation import selectors as escalation_selectors
from escalation import tickets as escalation
from escalation.forms import NoteForm
from escalation.models import Ticket, TicketEvent, TicketNote
from escalation.permissions import can_work_queue
from kudos.models import LedgerEntry
from kudos.selectors import leaderboard as leaderboard_of

Q_PARAM = OpenApiParameter("q", str, description="Search words (listed threads only).")


def _paginated(request: Request, queryset, serializer_class) -> Response:
    paginator = NewestFirst()
    page = paginator.paginate_queryset(queryset, request)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def _refusal(exc: Exception) -> Response:
    """The service's reason, with the status the site would use."""
    if isinstance(exc, PostingLimitReached):
        return Response({"errors": list(exc.messages)}, status=429, headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"errors": [str(exc) or "Not allowed."]}, status=status.HTTP_403_FORBIDDEN)
    return Response({"errors": list(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)


def _visible_thread(request: Request, pk: int) -> Thread:
    return get_object_or_404(
        Thread.objects.visible_to(request.user).with_list_data(), pk=pk
    )


@extend_schema(exclude=True)
@api_view(["GET"])
def root(request: Request, format=None) -> Response:
    """Peerdesk's REST API, version 1. The OpenAPI document is at schema/."""
    links = {
        "threads": reverse("api:threads", request=request, format=format),
        "leaderboard": reverse("api:leaderboard", request=request, format=format),
        "schema": reverse("api:schema", request=request),
    }
    if can_work_queue(request.user):
        links["tickets"] = reverse("api:tickets", request=request, format=format)
    return Response(links)


# --- Threads and answers ----------------------------------------------------------------------


@extend_schema(
    methods=["GET"],
    parameters=[Q_PARAM, OpenApiParameter("category", str), OpenApiParameter("tag", str),
                OpenApiParameter("show", str, enum=["unanswered", "unsolved", "solved"])],
    responses=s.ThreadSerializer(many=True),
    summary="List or search questions",
)
@extend_schema(methods=["POST"], request=s.AskSerializer, responses={201: s.ThreadDetailSerializer}, summary="Ask")
@api_view(["GET", "POST"])
@permission_classes([ReadOrWriteScope])
def threads(request: Request) -> Response:
    if request.method == "POST":
        return _ask(request)
    category = None
    if slug := request.query_params.get("category"):
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            return Response({"errors": [f"No category “{slug[:60]}”."]}, status=400)
    query = (request.query_params.get("q") or "")[:200]
    if query.strip():
        found = search_threads(query=query, category=category).threads
        queryset = found if found is not None else Thread.objects.none()
    else:
        queryset = Thread.objects.listed().with_list_data()
        if category is not None:
            queryset = queryset.filter(category=category)
    if tag := request.query_params.get("tag"):
        queryset = queryset.filter(tags__name=tag[:100])
    show = request.query_params.get("show")
    if show == "unanswered":
        queryset = queryset.unanswered()
    elif show == "unsolved":
        queryset = queryset.unsolved()
    elif show == "solved":
        queryset = queryset.solved()
    return _paginated(request, queryset, s.ThreadSerializer)


def _ask(request: Request) -> Response:
    data = request.data
    category = Category.objects.filter(slug=str(data.get("category", ""))[:100]).first()
    form = QuestionForm({**{k: data.get(k, "") for k in ("title", "body", "tags")},
                         "category": category.pk if category else "",
                         "is_private": "on" if data.get("is_private") in (True, "true", "on", "1") else ""})
    if not form.is_valid():
        return Response({"errors": form.errors}, status=400)
    try:
        thread = community.ask_question(
            author=request.user, category=form.cleaned_data["category"], title=form.cleaned_data["title"],
            body=form.cleaned_data["body"], tags=form.cleaned_data["tags"], is_private=form.cleaned_data["is_private"],
        )
    except (ValidationError, DjangoPermissionDenied) as exc:
        return _refusal(exc)
    thread = Thread.objects.with_list_data().get(pk=thread.pk)
    return Response(s.ThreadDetailSerializer(thread).data, status=201)


@extend_schema(responses=s.ThreadDetailSerializer, summary="Read a question")
@api_view(["GET"])
@permission_classes([ReadOrWriteScope])
def thread(request: Request, pk: int) -> Response:
    return Response(s.ThreadDetailSerializer(_visible_thread(request, pk)).data)


@extend_schema(methods=["GET"], responses=s.AnswerSerializer(many=True), summary="A question's answers")
@extend_schema(methods=["POST"], request=s.BodySerializer, responses={201: s.AnswerSerializer}, summary="Answer")
@api_view(["GET", "POST"])
@permission_classes([ReadOrWriteScope])
def thread_answers(request: Request, pk: int) -> Response:
    found = _visible_thread(request, pk)
    if request.method == "POST":
        form = AnswerForm({"body": request.data.get("body", "")})
        if not form.is_valid():
            return Response({"errors": form.errors}, status=400)
        try:
            answer = community.post_answer(author=request.user, thread=found, body=form.cleaned_data["body"])
        except (ValidationError, DjangoPermissionDenied) as exc:
            return _refusal(exc)
        answer = Answer.objects.select_related("author", "thread").get(pk=answer.pk)
        return Response(s.AnswerSerializer(answer).data, status=201)
    answers = found.answers.visible_to(request.user).select_related("author", "thread")
    return _paginated(request, answers, s.AnswerSerializer)


@extend_schema(responses=s.AnswerSerializer, summary="Read an answer")
@api_view(["GET"])
@permission_classes([ReadOrWriteScope])
def answer(request: Request, pk: int) -> Response:
    found = get_object_or_404(Answer.objects.select_related("author", "thread"), pk=pk)
    if not Thread.objects.visible_to(request.user).filter(pk=found.thread_id).exists():
        raise NotFound()
    if not Answer.objects.visible_to(request.user).filter(pk=found.pk).exists():
        raise NotFound()
    return Response(s.AnswerSerializer(found).data)


# --- Members and kudos ------------------------------------------------------------------------


def _member(username: str):
    return get_object_or_404(get_user_model(), username=username, is_active=True)


@extend_schema(responses=s.MemberDetailSerializer, summary="A member's public profile")
@api_view(["GET"])
@permission_classes([ReadOrWriteScope])
def member(request: Request, username: str) -> Response:
    return Response(s.MemberDetailSerializer(_member(username)).data)


@extend_schema(responses=s.KudosEntrySerializer(many=True), summary="A member's kudos, newest first")
@api_view(["GET"])
@permission_classes([ReadOrWriteScope])
def member_kudos(request: Request, username: str) -> Response:
    """Like the profile's kudos panel: an entry names its thread only when you may open it."""
    paginator = NewestFirst()
    page = paginator.paginate_queryset(LedgerEntry.objects.filter(recipient=_member(username)), request)
    thread_ids = {e.thread_id for e in page if e.thread_id}
    visible = set(Thread.objects.visible_to(request.user).filter(pk__in=thread_ids).values_list("pk", flat=True))
    rows = [
        {"points": e.points, "reason": e.reason, "created_at": e.created_at,
         "thread_id": e.thread_id if e.thread_id in visible else None}
        for e in page
    ]
    return paginator.get_paginated_response(s.KudosEntrySerializer(rows, many=True).data)


@extend_schema(
    parameters=[OpenApiParameter("period", str, enum=["all", "30d"])],
    responses=s.StandingSerializer(many=True), summary="The kudos leaderboard",
)
@api_view(["GET"])
@permission_classes([ReadOrWriteScope])
def leaderboard(request: Request) -> Response:
    period = request.query_params.get("period", "all")
    if period not in ("all", "30d"):
        return Response({"errors": ["period is “all” or “30d”."]}, status=400)
    return Response({"results": s.StandingSerializer(leaderboard_of(period=period), many=True).data})


# --- Tickets (staff) --------------------------------------------------------------------------


def _check_staff(request: Request) -> None:
    if not can_work_queue(request.user):
        raise NotFound()
    if not has_scope(request, "staff"):
        raise PermissionDenied("This token does not have the staff scope.")


def _ticket(pk: int) -> Ticket:
    found = escalation_selectors.ticket_for_staff(pk)
    if found is None:
        raise NotFound()
    return found


@extend_schema(
    parameters=[OpenApiParameter("status", str, enum=[*Ticket.Status.values, "active"])],
    responses=s.TicketSerializer(many=True), summary="The staff queue (staff)",
)
@api_view(["GET"])
@permission_classes([])  # _check_staff: 404 unless staff, then the staff scope
def tickets(request: Request) -> Response:
    _check_staff(request)
    queryset = Ticket.objects.with_queue_data()
    wanted = request.query_params.get("status", "active")
    if wanted == "active":
        queryset = queryset.active()
    elif wanted in Ticket.Status.values:
        queryset = queryset.filter(status=wanted)
    else:
        return Response({"errors": ["Unknown status."]}, status=400)
    return _paginated(request, queryset, s.TicketSerializer)


def _ticket_detail(pk: int) -> dict:
    found = _ticket(pk)
    found.notes_list = list(TicketNote.objects.filter(ticket=found).select_related("author"))
    found.events_list = list(TicketEvent.objects.filter(ticket=found).select_related("actor"))
    data = s.TicketSerializer(found).data
    data["notes"] = s.NoteSerializer(found.notes_list, many=True).data
    data["events"] = s.TicketEventSerializer(found.events_list, many=True).data
    return data


@extend_schema(responses=s.TicketDetailSerializer, summary="A ticket with notes and history (staff)")
@api_view(["GET"])
@permission_classes([])
def ticket(request: Request, pk: int) -> Response:
    _check_staff(request)
    return Response(_ticket_detail(pk))


def _ticket_action(request: Request, pk: int, action) -> Response:
    _check_staff(request)
    _ticket(pk)
    try:
        action()
    except escalation.TicketActionError as exc:
        return Response({"errors": [str(exc)]}, status=409)
    return Response(_ticket_detail(pk))


@extend_schema(request=None, responses=s.TicketDetailSerializer, summary="Claim a ticket (staff)")
@api_view(["POST"])
@permission_classes([])
def ticket_claim(request: Request, pk: int) -> Response:
    return _ticket_action(request, pk, lambda: escalation.claim_ticket(ticket_id=pk, staff=request.user))


@extend_schema(request=None, responses=s.TicketDetailSerializer, summary="Resolve a ticket (staff)")
@api_view(["POST"])
@permission_classes([])
def ticket_resolve(request: Request, pk: int) -> Response:
    return _ticket_action(request, pk, lambda: escalation.resolve_ticket(ticket_id=pk, staff=request.user))


@extend_schema(request=s.BodySerializer, responses={201: s.TicketDetailSerializer}, summary="Add a staff note (staff)")
@api_view(["POST"])
@permission_classes([])
def ticket_notes(request: Request, pk: int) -> Response:
    _check_staff(request)
    _ticket(pk)
    form = NoteForm({"body": request.data.get("body", "")})
    if not form.is_valid():
        return Response({"errors": form.errors}, status=400)
    escalation.add_ticket_note(ticket_id=pk, staff=request.user, body=form.cleaned_data["body"])
    return Response(_ticket_detail(pk), status=201)
