"""The experts tier's pages: /experts/ for members and experts, /staff/experts/ for staff.

Thin function views: permission, form, one service call, render or redirect. A refused action
re-renders the page with the message and what the person typed (status 400/409), never a 500.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community import privacy
from community.models import Thread
from experts import permissions, selectors, services
from experts.forms import (
    AcceptSessionForm,
    ApplyForm,
    DisputeForm,
    RatingForm,
    ReasonForm,
    ReferenceForm,
    ReviewForm,
    SessionRequestForm,
    SignOffForm,
)
from experts.models import Claim, Expert, Expertise, ExpertSettings, Offer, PayoutBatch, Service, Session

T = TypeVar("T")


def member_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        permissions.check_staff(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def _errors(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return exc.messages
    return [str(exc)]


REFUSED = (ValidationError, PermissionDenied, services.ExpertActionError)


def _tell_masked(request: HttpRequest, obj, *, where: str) -> None:
    """Tell the writer what the account-data scanner masked before saving (if anything)."""
    findings = getattr(obj, "masked_findings", None)
    if findings:
        messages.warning(request, privacy.explain(findings, where=where))


def _act(request: HttpRequest, call: Callable[[], T], *, success: str | Callable[[T], str]) -> T | None:
    """Run a button's one service call. A refusal is told as an error message and gives None;
    otherwise ``success`` (or ``success(result)``) is told and the result returned. The caller
    redirects either way."""
    try:
        result = call()
    except REFUSED as exc:
        messages.error(request, " ".join(_errors(exc)))
        return None
    messages.success(request, success(result) if callable(success) else success)
    return result


def _submit(
    request: HttpRequest, form, call: Callable[[dict], T], *, success: str, field: str | None = None,
    masked: str = "",
) -> T | None:
    """Run a form's one service call with its cleaned data. Gives None for an invalid form or a
    refusal, whose messages become errors of the form (on ``field``, else the whole form), so
    the caller shows the page again with them and what the person typed. On success it tells
    what the account-data scanner masked (when ``masked`` names the text) and ``success``."""
    if not form.is_valid():
        return None
    try:
        result = call(form.cleaned_data)
    except REFUSED as exc:
        for message in _errors(exc):
            form.add_error(field, message)
        return None
    if masked:
        _tell_masked(request, result, where=masked)
    messages.success(request, success)
    return result


# --- Public: the programme and booking -----------------------------------------------------------


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    """“Get expert help”: the services customers can book, and how to become an expert."""
    services_ = list(Service.objects.filter(is_active=True).select_related("category"))
    expert = permissions.expert_of(request.user)
    return render(request, "experts/landing.html", {"services": services_, "expert": expert})


@member_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    expert = permissions.expert_of(request.user)
    if request.method == "POST":
        form = ApplyForm(request.POST)

        def apply_(data):
            return services.apply_as_expert(
                user=request.user, categories=data["categories"], motivation=data["motivation"],
                availability=data["availability"], service_areas=data["service_areas"],
            )

        applied = _submit(
            request, form, apply_, masked="application",
            success="Thank you! Staff will review your application and tell you.",
        )
        if applied is not None:
            return redirect("experts:dashboard")
        return render(request, "experts/apply.html", {"form": form, "expert": expert}, status=400)
    initial = {}
    if expert is not None:
        initial = {
            "motivation": expert.motivation, "availability": expert.availability,
            "categories": [e.category_id for e in expert.expertise.all()],
            "service_areas": list(expert.service_areas.values_list("pk", flat=True)),
        }
    return render(request, "experts/apply.html", {"form": ApplyForm(initial=initial), "expert": expert})


@member_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The expert's home: offers to claim, their claims, session requests and sessions. A
    member who is not (yet) an expert sees their application's state."""
    expert = permissions.expert_of(request.user)
    context = {"expert": expert, "my_sessions": selectors.sessions_of_customer(request.user)}
    if expert is not None:
        context["expertise"] = list(expert.expertise.select_related("category"))
        if expert.status == Expert.Status.ACTIVE:
            context.update(
                offers=selectors.open_offers_for(expert),
                claims=selectors.claims_of(expert, limit=20),
                open_sessions=selectors.sessions_open_for(expert),
                expert_sessions=selectors.sessions_of_expert(expert),
            )
    return render(request, "experts/dashboard.html", context)


@member_required
@require_GET
def earnings(request: HttpRequest) -> HttpResponse:
    expert = permissions.expert_of(request.user)
    context = {"expert": expert, "settings": ExpertSettings.load()}
    if expert is not None:
        context.update(selectors.earnings_of(expert))
    return render(request, "experts/earnings.html", context)


@require_POST
@member_required
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_object_or_404(Offer.objects.select_related("thread"), pk=pk)
    if not Thread.objects.visible_to(request.user).filter(pk=offer.thread_id).exists():
        raise Http404("No such offer.")
    claimed = _act(
        request, lambda: services.claim_offer(user=request.user, offer_id=offer.pk),
        success=lambda claimed: f"It's yours until {timezone.localtime(claimed.hold_until):%H:%M}. Answer in the "
        "thread: your answer is labelled as a paid expert answer.",
    )
    if claimed is None:
        return redirect("experts:dashboard")
    return redirect(offer.thread.get_absolute_url() + "#answer-form")


@require_POST
@member_required
def release(request: HttpRequest, pk: int) -> HttpResponse:
    claim_ = get_object_or_404(Claim.objects.select_related("offer__thread"), pk=pk, expert__user=request.user)
    _act(
        request, lambda: services.release_claim(user=request.user, claim_id=claim_.pk),
        success="You gave the question back; other experts can claim it.",
    )
    return redirect("experts:dashboard")


@require_POST
@member_required
def rate_answer(request: HttpRequest, pk: int) -> HttpResponse:
    claim_ = get_object_or_404(Claim.objects.select_related("offer__thread"), pk=pk, offer__thread__author=request.user)
    thread = claim_.offer.thread
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a rating from 1 to 5.")
        return redirect(thread.get_absolute_url())
    _act(
        request,
        lambda: services.rate_paid_answer(
            user=request.user, claim_id=claim_.pk, rating=form.cleaned_data["rating"]
        ),
        success="Thank you for rating the expert's help.",
    )
    return redirect(thread.get_absolute_url())


# --- Sessions ------------------------------------------------------------------------------------


@member_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SessionRequestForm(request.POST)

        def request_(data):
            thread = None
            if data.get("thread"):
                thread = Thread.objects.visible_to(request.user).filter(pk=data["thread"]).first()
            return services.request_session(
                customer=request.user, service=data["service"], mode=data["mode"],
                service_area=data["service_area"], address=data["address"],
                preferred_times=data["preferred_times"], details=data["details"], thread=thread,
            )

        session = _submit(
            request, form, request_, masked="request",
            success="Your request is with our experts; you'll hear when one accepts it.",
        )
        if session is not None:
            return redirect(session)
        return render(request, "experts/book.html", {"form": form}, status=400)
    initial = {}
    service = Service.objects.filter(is_active=True, pk=_int(request.GET.get("service"))).first()
    if service is not None:
        initial["service"] = service.pk
        if service.mode != Service.Mode.EITHER:
            initial["mode"] = service.mode
    thread_id = _int(request.GET.get("thread"))
    if thread_id and Thread.objects.visible_to(request.user).filter(pk=thread_id).exists():
        initial["thread"] = thread_id
    return render(request, "experts/book.html", {"form": SessionRequestForm(initial=initial)})


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _session_for(request: HttpRequest, pk: int) -> Session:
    session = (
        Session.objects.visible_to(request.user)
        .select_related("service", "customer", "expert__user", "service_area", "category", "thread", "dispute_thread")
        .filter(pk=pk).first()
    )
    if session is None:
        raise Http404("No such session.")
    return session


def _render_session(request: HttpRequest, session: Session, *, status: int = 200, **forms) -> HttpResponse:
    user = request.user
    is_customer = permissions.is_session_customer(user, session)
    is_expert = permissions.is_session_expert(user, session)
    context = {
        "session": session,
        "is_customer": is_customer,
        "is_expert": is_expert,
        "can_see_address": permissions.can_see_address(user, session),
        "can_accept": (
            session.status == Session.Status.REQUESTED and not is_customer and permissions.is_active_expert(user)
        ),
        "accept_form": forms.get("accept_form") or AcceptSessionForm(),
        "sign_off_form": forms.get("sign_off_form") or SignOffForm(),
        "dispute_form": forms.get("dispute_form") or DisputeForm(),
    }
    return render(request, "experts/session.html", context, status=status)


@member_required
@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_session(request, _session_for(request, pk))


@member_required
@require_GET
def my_sessions(request: HttpRequest) -> HttpResponse:
    return render(request, "experts/sessions.html", {"sessions": selectors.sessions_of_customer(request.user)})


def _session_action(service, success: str):
    """A session button without a form: the service step, a message, back to the session."""

    @require_POST
    @member_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        session = _session_for(request, pk)
        _act(request, lambda: service(user=request.user, session_id=session.pk), success=success)
        return redirect(session)

    return view


def _session_form_action(service, form_class, form_name: str, *, success: str, masked: str = ""):
    """A session step with a form (``form_class``'s fields are the service's arguments): back to
    the session once done, else the session page again with the form and its errors (400)."""

    @require_POST
    @member_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        session = _session_for(request, pk)
        form = form_class(request.POST)

        def step(data):
            return service(user=request.user, session_id=session.pk, **{name: data[name] for name in form.fields})

        if _submit(request, form, step, success=success, masked=masked) is not None:
            return redirect(session)
        return _render_session(request, _session_for(request, pk), status=400, **{form_name: form})

    return view


accept_session = _session_form_action(
    services.accept_session, AcceptSessionForm, "accept_form",
    success="You accepted the session; the customer will confirm the time.",
)
confirm_session = _session_action(services.confirm_session, "Time confirmed. The expert will see you then.")
check_in = _session_action(services.check_in_session, "Checked in. Check out when the session ends.")
check_out = _session_action(services.check_out_session, "Checked out. The customer will sign the session off.")
sign_off = _session_form_action(
    services.sign_off_session, SignOffForm, "sign_off_form", masked="comment",
    success="Thank you! The session is signed off.",
)
dispute = _session_form_action(
    services.dispute_session, DisputeForm, "dispute_form", masked="dispute",
    success="Our support team has your dispute and will reply in a private thread.",
)
cancel_session = _session_action(services.cancel_session, "Session cancelled.")


# --- Staff ---------------------------------------------------------------------------------------


@staff_required
@require_GET
def staff_roster(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Expert.Status.values:
        status = ""
    pending = list(
        Expertise.objects.filter(status=Expertise.Status.PENDING)
        .select_related("expert__user", "category").order_by("expert__applied_at", "pk")[:200]
    )
    counts = selectors.roster_counts()
    tabs = [("", "All", counts[""])] + [(value, label, counts.get(value, 0)) for value, label in Expert.Status.choices]
    return render(request, "experts/staff_roster.html", {
        "experts": selectors.roster(status=status), "status_tabs": tabs, "status": status, "pending": pending,
    })


def _staff_expert(request: HttpRequest, pk: int, *, status: int = 200, **forms) -> HttpResponse:
    expert = selectors.expert_detail(pk)
    if expert is None:
        raise Http404("No such expert.")
    return render(request, "experts/staff_expert.html", {
        "expert": expert,
        "claims": selectors.claims_of(expert, limit=30),
        "sessions": selectors.sessions_of_expert(expert),
        **selectors.earnings_of(expert, limit=50),
        "reject_form": forms.get("reject_form") or ReasonForm(),
        "reject_target": forms.get("reject_target"),
        "suspend_form": forms.get("suspend_form") or ReasonForm(),
    }, status=status)


@staff_required
@require_GET
def staff_expert(request: HttpRequest, pk: int) -> HttpResponse:
    return _staff_expert(request, pk)


@require_POST
@staff_required
def approve_expertise(request: HttpRequest, pk: int) -> HttpResponse:
    expertise = get_object_or_404(Expertise.objects.select_related("category"), pk=pk)
    _act(
        request, lambda: services.approve_expertise(staff=request.user, expertise_id=expertise.pk),
        success=f"Approved for {expertise.category.name}.",
    )
    return redirect("experts:staff_expert", pk=expertise.expert_id)


@require_POST
@staff_required
def reject_expertise(request: HttpRequest, pk: int) -> HttpResponse:
    expertise = get_object_or_404(Expertise.objects.select_related("category"), pk=pk)
    form = ReasonForm(request.POST)
    rejected = _submit(
        request, form,
        lambda data: services.reject_expertise(
            staff=request.user, expertise_id=expertise.pk, reason=data["reason"]
        ),
        field="reason", success=f"Rejected for {expertise.category.name}; the member has been told why.",
    )
    if rejected is not None:
        return redirect("experts:staff_expert", pk=expertise.expert_id)
    return _staff_expert(request, expertise.expert_id, status=400, reject_form=form, reject_target=expertise.pk)


@require_POST
@staff_required
def suspend(request: HttpRequest, pk: int) -> HttpResponse:
    expert = get_object_or_404(Expert, pk=pk)
    form = ReasonForm(request.POST)
    suspended = _submit(
        request, form,
        lambda data: services.suspend_expert(expert_id=expert.pk, by=request.user, reason=data["reason"]),
        field="reason", success="Expert suspended; their open claims went back on offer.",
    )
    if suspended is not None:
        return redirect("experts:staff_expert", pk=expert.pk)
    return _staff_expert(request, expert.pk, status=400, suspend_form=form)


@require_POST
@staff_required
def reinstate(request: HttpRequest, pk: int) -> HttpResponse:
    expert = get_object_or_404(Expert, pk=pk)
    _act(
        request, lambda: services.reinstate_expert(staff=request.user, expert_id=expert.pk),
        success="Expert reinstated.",
    )
    return redirect("experts:staff_expert", pk=expert.pk)


@staff_required
@require_GET
def staff_offers(request: HttpRequest) -> HttpResponse:
    return render(request, "experts/staff_offers.html", {
        "offers": selectors.recent_offers(), **selectors.paid_answers_for_staff(), "review_form": ReviewForm(),
    })


@require_POST
@staff_required
def review_answer(request: HttpRequest, pk: int) -> HttpResponse:
    claim_ = get_object_or_404(Claim, pk=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect("experts:staff_offers")
    data = form.cleaned_data

    def review():
        if data["decision"] == "pay":
            return services.approve_paid_answer(staff=request.user, claim_id=claim_.pk)
        return services.review_paid_answer(
            staff=request.user, claim_id=claim_.pk, approve=data["decision"] == "approve", reason=data["reason"],
        )

    _act(request, review, success="Paid answer reviewed.")
    return redirect("experts:staff_offers")


@staff_required
@require_GET
def staff_payouts(request: HttpRequest) -> HttpResponse:
    return render(request, "experts/staff_payouts.html", selectors.payout_overview())


@require_POST
@staff_required
def create_batch(request: HttpRequest) -> HttpResponse:
    batch = _act(
        request, lambda: services.create_payout_batch(staff=request.user),
        success=lambda batch: f"Batch #{batch.pk} approved: {batch.total} {batch.currency}.",
    )
    if batch is None:
        return redirect("experts:staff_payouts")
    return redirect(batch)


def _batch_page(request: HttpRequest, batch: PayoutBatch, *, status: int = 200, form=None) -> HttpResponse:
    entries = list(batch.entries.select_related("expert__user", "claim__offer__thread", "session__service").order_by("expert_id", "pk"))
    return render(request, "experts/staff_batch.html", {
        "batch": batch, "entries": entries, "form": form or ReferenceForm(),
    }, status=status)


@staff_required
@require_GET
def staff_batch(request: HttpRequest, pk: int) -> HttpResponse:
    return _batch_page(request, get_object_or_404(PayoutBatch.objects.select_related("created_by", "paid_by"), pk=pk))


@require_POST
@staff_required
def mark_paid(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(PayoutBatch, pk=pk)
    form = ReferenceForm(request.POST)
    paid = _submit(
        request, form,
        lambda data: services.mark_batch_paid(staff=request.user, batch_id=batch.pk, reference=data["reference"]),
        field="reference", success=f"Batch #{batch.pk} marked paid.",
    )
    if paid is not None:
        return redirect(batch)
    return _batch_page(request, batch, status=400, form=form)


def _csv_safe(value) -> str:
    """Spreadsheets run a cell starting with =, +, - or @ as a formula: prefix those with '."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@staff_required
@require_GET
def payouts_csv(request: HttpRequest) -> HttpResponse:
    """The payout ledger for payroll / accounts payable: every row (or one batch's)."""
    batch = None
    if request.GET.get("batch"):
        batch = PayoutBatch.objects.filter(pk=_int(request.GET["batch"])).first()
        if batch is None:
            raise Http404("No such batch.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"payouts-batch-{batch.pk}.csv" if batch else f"payouts-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(["entry_id", "date", "expert_id", "expert", "email", "kind", "amount", "currency", "for", "batch",
                     "batch_status", "note"])
    for entry in selectors.ledger_rows(batch=batch).iterator(chunk_size=500):
        if entry.claim_id:
            what = f"Paid answer: {entry.claim.offer.thread.title}"
        elif entry.session_id:
            what = f"Session #{entry.session_id}: {entry.session.service.name}"
        else:
            what = "Payout"
        writer.writerow([_csv_safe(v) for v in (
            entry.pk, timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M"), entry.expert_id,
            entry.expert.user.name, entry.expert.user.email, entry.kind, f"{entry.amount:.2f}", entry.currency, what,
            entry.batch_id or "", entry.batch.status if entry.batch else "", entry.note,
        )])
    return response


@staff_required
@require_GET
def staff_sessions(request: HttpRequest) -> HttpResponse:
    sessions = list(
        Session.objects.select_related("service", "customer", "expert__user", "service_area", "dispute_thread")
        .order_by("-created_at", "-pk")[:200]
    )
    return render(request, "experts/staff_sessions.html", {"sessions": sessions})


def staff_home_url() -> str:
    return reverse("experts:staff_roster")
