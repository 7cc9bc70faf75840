"""The staff pages: the queue and a ticket. Staff only; everyone else gets 404."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community import privacy
from escalation import selectors, tickets
from escalation.forms import AnswerForm, BulkForm, MacroForm, NoteForm, QueueFilterForm, RedirectForm, ResolveForm
from escalation.macros import (
    PLACEHOLDERS,
    check_can_change_macro,
    create_macro,
    delete_macro,
    fill_macro,
    macros_for,
    record_macro_use,
    update_macro,
)
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
    context["bulk_form"] = BulkForm()
    template = "escalation/_queue.html" if request.htmx else "escalation/queue.html"
    return render(request, template, context)


def _get_ticket(request: HttpRequest, pk: int) -> Ticket:
    check_can_work_queue(request.user)
    ticket = selectors.ticket_for_staff(pk)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def _render_ticket(request: HttpRequest, ticket: Ticket, *, status: int = 200, **forms) -> HttpResponse:
    macro_list = [
        (macro, fill_macro(macro=macro, ticket=ticket, staff=request.user, site_url=settings.SITE_URL))
        for macro in macros_for(staff=request.user, category_id=ticket.thread.category_id)[:12]
    ]
    context = {
        "ticket": ticket,
        "thread": ticket.thread,
        "macros": macro_list,
        "note_form": forms.get("note_form") or NoteForm(),
        "answer_form": forms.get("answer_form") or AnswerForm(),
        "redirect_form": forms.get("redirect_form") or RedirectForm(),
        "resolve_form": forms.get("resolve_form") or ResolveForm(),
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
        ticket = tickets.claim_ticket(ticket_id=ticket.pk, staff=request.user)
    except tickets.TicketActionError as exc:
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
        note = tickets.add_ticket_note(ticket_id=ticket.pk, staff=request.user, body=form.cleaned_data["body"])
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error("body", message)
        return _render_ticket(request, ticket, status=400, note_form=form)
    if note.masked_findings:
        messages.warning(request, privacy.explain(note.masked_findings, where="note"))
    if form.cleaned_data.get("macro"):
        record_macro_use(macro_id=form.cleaned_data["macro"], staff=request.user)
    messages.success(request, "Note added.")
    return redirect(reverse("escalation:ticket", kwargs={"pk": ticket.pk}) + "#notes")


@require_POST
@sensitive_post_parameters("body")
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _get_ticket(request, pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            posted = tickets.answer_ticket(
                ticket_id=ticket.pk, staff=request.user, body=form.cleaned_data["body"],
                then=form.cleaned_data["then"], macro_id=form.cleaned_data.get("macro"),
            )
        except (ValidationError, PermissionDenied, tickets.TicketActionError) as exc:
            messages_ = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            for message in messages_:
                form.add_error("body", message)
        else:
            if posted.masked_findings:
                messages.warning(request, privacy.explain(posted.masked_findings, where="answer"))
            if form.cleaned_data["then"] == "resolve":
                messages.success(request, "Official answer posted and the ticket resolved; the asker has been emailed.")
            else:
                messages.success(request, "Official answer posted; the ticket waits on the customer, who has been emailed.")
            return redirect(ticket)
    return _render_ticket(request, ticket, status=400, answer_form=form)


@require_POST
def redirect_to_channel(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _get_ticket(request, pk)
    form = RedirectForm(request.POST)
    if form.is_valid():
        try:
            tickets.redirect_ticket(ticket_id=ticket.pk, staff=request.user, channel=form.cleaned_data["channel"])
        except tickets.TicketActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Sent the asker to {form.cleaned_data['channel'].name}.")
            return redirect(ticket)
    return _render_ticket(request, ticket, status=400, redirect_form=form)


def _ticket_action(request: HttpRequest, ticket: Ticket, call, success: str) -> HttpResponse:
    """Run a ticket button's one service call: a refusal is told as an error, success as
    ``success``, and the page goes back to the ticket either way."""
    try:
        call()
    except tickets.TicketActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect(ticket)


def _simple_action(service, success: str):
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        ticket = _get_ticket(request, pk)
        return _ticket_action(request, ticket, lambda: service(ticket_id=ticket.pk, staff=request.user), success)

    return view


@require_POST
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _get_ticket(request, pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _render_ticket(request, ticket, status=400, resolve_form=form)
    outcome = form.cleaned_data["outcome"]
    return _ticket_action(
        request, ticket, lambda: tickets.resolve_ticket(ticket_id=ticket.pk, staff=request.user, outcome=outcome),
        f"Ticket resolved: {Ticket.Outcome(outcome).label.lower()}.",
    )


@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """One action for the tickets ticked in the queue; each ticket is changed through its own
    service call and gets its own history line."""
    check_can_work_queue(request.user)
    form = BulkForm(request.POST)
    back = reverse("escalation:queue") + ("?" + request.POST["filters"] if request.POST.get("filters") else "")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    done, refused = tickets.bulk_update_tickets(
        ticket_ids=data["tickets"], staff=request.user, action=data["action"],
        assignee=data.get("assignee"), outcome=data.get("outcome") or "",
    )
    verb = {"claim": "Claimed", "assign": "Assigned", "resolve": "Resolved"}[data["action"]]
    if done:
        messages.success(request, f"{verb} {len(done)} ticket{'s' if len(done) != 1 else ''}: "
                                  + ", ".join(f"#{pk}" for pk in done) + ".")
    for reason in refused:
        messages.error(request, reason)
    return redirect(back)


# --- Saved replies ---------------------------------------------------------------------------


@require_GET
def macro_list(request: HttpRequest) -> HttpResponse:
    check_can_work_queue(request.user)
    mine = macros_for(staff=request.user)
    return render(request, "escalation/macros.html", {
        "macros": mine, "placeholders": PLACEHOLDERS, "form": MacroForm(),
    })


def _macro_or_404(request: HttpRequest, pk: int):
    macro = macros_for(staff=request.user).filter(pk=pk).first()
    if macro is None:
        raise Http404("No such saved reply.")
    return macro


@require_http_methods(["GET", "POST"])
def macro_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    check_can_work_queue(request.user)
    macro = _macro_or_404(request, pk) if pk else None
    if macro is not None:
        try:
            check_can_change_macro(staff=request.user, macro=macro)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("escalation:macros")
    initial = {}
    if macro is not None:
        initial = {"title": macro.title, "body": macro.body, "shared": macro.is_shared, "category": macro.category}
    form = MacroForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if macro is None:
                create_macro(staff=request.user, title=data["title"], body=data["body"], shared=data["shared"],
                             category=data["category"])
            else:
                update_macro(staff=request.user, macro_id=macro.pk, title=data["title"], body=data["body"],
                             shared=data["shared"], category=data["category"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, "Saved reply saved.")
            return redirect("escalation:macros")
    status = 400 if request.method == "POST" else 200
    return render(request, "escalation/macro_form.html", {"form": form, "macro": macro,
                                                          "placeholders": PLACEHOLDERS}, status=status)


@require_POST
def macro_delete(request: HttpRequest, pk: int) -> HttpResponse:
    check_can_work_queue(request.user)
    macro = _macro_or_404(request, pk)
    try:
        delete_macro(staff=request.user, macro_id=macro.pk)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Deleted “{macro.title}”.")
    return redirect("escalation:macros")


reopen = _simple_action(tickets.reopen_ticket, "Ticket reopened.")
