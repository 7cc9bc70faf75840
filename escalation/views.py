"""The staff pages: the queue and a ticket. Staff only; everyone else gets 404."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.debug import sensitive_post_parameters

from community import privacy
from escalation import selectors, services
from escalation.forms import AnswerForm, NoteForm, QueueFilterForm, RedirectForm
from escalation.models import Ticket
from escalation.permissions import check_can_work_queue
from escalation.selectors import ACTIVE, ASSIGNED_CHOICES

QUEUE_PAGE_SIZE = 50


def _choices(options, selected, counts) -> list[dict]:
    return [
        {"value": str(value), "label": label, "count": counts.get(value, 0), "selected": str(value) == str(selected)}
        for value, label in options
    ]


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    check_can_work_queue(request.user)
    form = QueueFilterForm(request.GET)
    filters = form.filters()
    counts = selectors.queue_counts(filters, user=request.user)
    categories = selectors.queue_categories()
    page = Paginator(selectors.queue_tickets(filters, user=request.user), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = {
        "reason": filters.reason,
        "category": filters.category or "",
        "status": filters.status,
        "assigned": filters.assigned,
    }
    context = {
        "form": form,
        "page": page,
        "query": urlencode(query),
        "page_query": urlencode({**query, "page": page.number}),
        "filter_groups": [
            {"name": "status", "label": "Status", "choices": _choices(
                [(ACTIVE, "Active"), *Ticket.Status.choices, ("", "Any status")], filters.status, counts["status"])},
            {"name": "reason", "label": "Reason", "choices": _choices(
                [("", "Any reason"), *Ticket.Reason.choices], filters.reason, counts["reason"])},
            {"name": "category", "label": "Category", "choices": _choices(
                [("", "Any category"), *[(c.pk, c.name) for c in categories]], filters.category or "",
                counts["category"])},
            {"name": "assigned", "label": "Assigned", "choices": _choices(
                ASSIGNED_CHOICES, filters.assigned, counts["assigned"])},
        ],
    }
    template = "escalation/_queue.html" if request.htmx else "escalation/queue.html"
    return render(request, template, context)


def _get_ticket(request: HttpRequest, pk: int) -> Ticket:
    check_can_work_queue(request.user)
    ticket = selectors.ticket_for_staff(pk)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def _render_ticket(request: HttpRequest, ticket: Ticket, *, status: int = 200, **forms) -> HttpResponse:
    context = {
        "ticket": ticket,
        "thread": ticket.thread,
        "note_form": forms.get("note_form") or NoteForm(),
        "answer_form": forms.get("answer_form") or AnswerForm(),
        "redirect_form": forms.get("redirect_form") or RedirectForm(),
        **selectors.ticket_page_data(ticket),
    }
    return render(request, "escalation/ticket.html", context, status=status)


@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_ticket(request, _get_ticket(request, pk))


def _back(request: HttpRequest, ticket: Ticket):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(ticket)


@require_POST
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _get_ticket(request, pk)
    error = ""
    try:
        ticket = services.claim_ticket(ticket_id=ticket.pk, staff=request.user)
    except services.TicketActionError as exc:
        error = str(exc)
        ticket = selectors.ticket_for_staff(pk)
    if request.htmx:
        # The queue row, redrawn with the owner (and the reason when this claim lost).
        ticket = Ticket.objects.with_queue_data().get(pk=ticket.pk)
        return render(
            request, "escalation/_queue_row.html", {"ticket": ticket, "claim_error": error}, status=200
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Ticket #{ticket.pk} is yours.")
    return _back(request, ticket)


@require_POST
@sensitive_post_parameters("body")
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _get_ticket(request, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_ticket(request, ticket, status=400, note_form=form)
    try:
        note = services.add_ticket_note(ticket_id=ticket.pk, staff=request.user, body=form.cleaned_data["body"])
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error("body", message)
        return _render_ticket(request, ticket, status=400, note_form=form)
    if note.masked_findings:
        messages.warning(request, privacy.explain(note.masked_findings, where="note"))
    messages.success(request, "Note added.")
    return redirect(reverse("escalation:ticket", kwargs={"pk": ticket.pk}) + "#notes")


@require_POST
@sensitive_post_parameters("body")
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _get_ticket(request, pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            posted = services.answer_ticket(ticket_id=ticket.pk, staff=request.user, body=form.cleaned_data["body"])
        except (ValidationError, PermissionDenied, services.TicketActionError) as exc:
            messages_ = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            for message in messages_:
                form.add_error("body", message)
        else:
            if posted.masked_findings:
                messages.warning(request, privacy.explain(posted.masked_findings, where="answer"))
            messages.success(request, "Official answer posted; the asker has been emailed.")
            return redirect(ticket)
    return _render_ticket(request, ticket, status=400, answer_form=form)


@require_POST
def redirect_to_channel(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _get_ticket(request, pk)
    form = RedirectForm(request.POST)
    if form.is_valid():
        try:
            services.redirect_ticket(ticket_id=ticket.pk, staff=request.user, channel=form.cleaned_data["channel"])
        except services.TicketActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Sent the asker to {form.cleaned_data['channel'].name}.")
            return redirect(ticket)
    return _render_ticket(request, ticket, status=400, redirect_form=form)


def _simple_action(service, success: str):
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        ticket = _get_ticket(request, pk)
        try:
            service(ticket_id=ticket.pk, staff=request.user)
        except services.TicketActionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, success)
        return redirect(ticket)

    return view


resolve = _simple_action(services.resolve_ticket, "Ticket resolved.")
reopen = _simple_action(services.reopen_ticket, "Ticket reopened.")
