"""The community manager's pages at /manage/. Thin views: permission (console.permissions),
a form, one console.services call, render or redirect. Previews are htmx POSTs that return a
partial; every page also works without JavaScript (the preview then shows after "Preview")."""

from __future__ import annotations

import csv
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community.models import Category, CommunitySettings
from console import charts, selectors, services
from console.forms import (
    AuditFilterForm,
    AwardForm,
    ChannelForm,
    FlagThresholdForm,
    PolicyForm,
    RankForm,
    RecomputeForm,
    ReinstateForm,
    ReverseForm,
    RoleForm,
    SearchForm,
    SuspendForm,
    ThresholdPreviewForm,
    point_rules_form,
)
from console.models import AuditEntry
from console.permissions import check_can_manage
from escalation.models import Channel, EscalationPolicy
from kudos.models import PointRule, Rank
from kudos.selectors import rank_table
from kudos.services import RANK_FIELDS, check_ladder

MEMBERS_PER_PAGE = 25
LEDGER_PER_PAGE = 25
AUDIT_PER_PAGE = 50


def manager_required(view):
    """Sign in first; then community managers (and superusers) only: 403 for everyone else."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        check_can_manage(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field_name, errors in error.error_dict.items():
            target = field_name if field_name in form.fields else None
            for e in errors:
                form.add_error(target, e.message % (e.params or {}) if e.params else e.message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _tell_masked(request, form) -> None:
    for note in getattr(form, "masked", ()):
        messages.warning(request, note)


# --- Overview ----------------------------------------------------------------------------------


@require_GET
@manager_required
def home(request: HttpRequest) -> HttpResponse:
    ladder, unranked = selectors.rank_ladder()
    rows = [selectors.BarRow(r.rank.name, r.members, r.members) for r in ladder]
    return render(request, "console/home.html", {
        "section": "home",
        "chart": charts.rank_bars(title="Members per rank now", rows=rows, show_after=False),
        "ladder": ladder,
        "unranked": unranked,
        "recent": list(AuditEntry.objects.order_by("-created_at", "-pk")[:5]),
    })


# --- Ranks -------------------------------------------------------------------------------------


@require_GET
@manager_required
def ranks(request: HttpRequest) -> HttpResponse:
    ladder, unranked = selectors.rank_ladder()
    rows = [selectors.BarRow(r.rank.name, r.members, r.members) for r in ladder]
    if unranked:
        rows.insert(0, selectors.BarRow("No rank yet", unranked, unranked))
    return render(request, "console/ranks.html", {
        "section": "ranks",
        "ladder": ladder,
        "unranked": unranked,
        "chart": charts.rank_bars(title="Members per rank now", rows=rows, show_after=False),
    })


def _rank_initial(rank: Rank | None) -> dict:
    if rank is None:
        return {"colour": "#57606a", "seconds_between_posts": 0, "flag_weight": 1}
    return {name: getattr(rank, name) for name in RANK_FIELDS}


def _preview_context(*, rank_id, name, min_points) -> dict:
    preview = selectors.rank_preview(rank_id=rank_id, name=name, min_points=min_points)
    table = rank_table()
    old = next((r for r in table.ranks if r.id == rank_id), None)
    try:
        check_ladder(others=[r for r in table.ranks if r.id != rank_id], name=preview.name,
                     min_points=min_points, original_min=old.min_points if old else None)
    except ValidationError as error:
        preview.problem = " ".join(error.messages)
    return {
        "preview": preview,
        "chart": charts.rank_bars(title=f"Members per rank now and with {preview.name} at {min_points} points",
                                  rows=preview.rows, show_after=True, width=400),
        "legend": charts.bars_legend(show_after=True),
    }


@require_http_methods(["GET", "POST"])
@manager_required
def rank_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rank = get_object_or_404(Rank, pk=pk) if pk is not None else None
    status = 200
    context = {"section": "ranks", "rank": rank}
    if request.method == "POST":
        form = RankForm(request.POST)
        if form.is_valid():
            if "preview" not in request.POST:
                try:
                    saved = services.save_rank(actor=request.user, rank_id=pk, values=form.cleaned_data)
                except ValidationError as error:
                    _apply_errors(form, error)
                else:
                    messages.success(request, f"Saved. {saved.name} now starts at {saved.min_points:,} points; "
                                              "badges show the change on every page now.")
                    _tell_masked(request, form)
                    return redirect("console:ranks")
            if form.is_valid():
                context.update(_preview_context(rank_id=pk, name=form.cleaned_data["name"],
                                                min_points=form.cleaned_data["min_points"]))
        if form.errors:
            status = 400
    else:
        form = RankForm(initial=_rank_initial(rank))
        if rank is not None:
            context.update(_preview_context(rank_id=pk, name=rank.name, min_points=rank.min_points))
    context["form"] = form
    return render(request, "console/rank_edit.html", context, status=status)


@require_POST
@manager_required
def rank_preview(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """htmx: the preview panel for the threshold being typed."""
    if pk is not None:
        get_object_or_404(Rank, pk=pk)
    form = ThresholdPreviewForm(request.POST)
    context = {}
    if form.is_valid():
        context.update(_preview_context(rank_id=pk, name=form.cleaned_data["name"],
                                        min_points=form.cleaned_data["min_points"]))
    else:
        context["preview_error"] = "Type a whole number of points, 0 or more, to see who would move."
    return render(request, "console/_rank_preview.html", context)


@require_POST
@manager_required
def rank_delete(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Rank, pk=pk)
    try:
        rank = services.delete_rank(actor=request.user, rank_id=pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Deleted the rank {rank.name}; its members now hold the rank below.")
    return redirect("console:ranks")


# --- Point rules -------------------------------------------------------------------------------


def _rules():
    return list(PointRule.objects.order_by("action"))


def _points_preview_context(values: dict) -> dict:
    return {"standings": selectors.points_preview(values=values), "top": selectors.TOP}


@require_http_methods(["GET", "POST"])
@manager_required
def point_rules(request: HttpRequest) -> HttpResponse:
    rules = _rules()
    status = 200
    context = {"section": "points", "recompute_form": RecomputeForm()}
    if request.method == "POST":
        form = point_rules_form(rules, request.POST)
        if form.is_valid():
            if "preview" not in request.POST:
                changed = services.set_point_rules(actor=request.user, values=form.cleaned_data)
                if changed:
                    messages.success(request, f"Saved {len(changed)} point rule{'s' if len(changed) != 1 else ''}. "
                                              "The new values apply to actions from now on.")
                else:
                    messages.info(request, "Nothing changed.")
                return redirect("console:point_rules")
            context.update(_points_preview_context(form.cleaned_data))
        else:
            status = 400
    else:
        form = point_rules_form(rules)
        context.update(_points_preview_context({r.action: r.points for r in rules}))
    context["form"] = form
    return render(request, "console/point_rules.html", context, status=status)


@require_POST
@manager_required
def point_rules_preview(request: HttpRequest) -> HttpResponse:
    form = point_rules_form(_rules(), request.POST)
    if not form.is_valid():
        return render(request, "console/_points_preview.html",
                      {"preview_error": "Every rule needs a whole number of points between -1000 and 1000."})
    return render(request, "console/_points_preview.html", _points_preview_context(form.cleaned_data))


@require_POST
@manager_required
def recompute(request: HttpRequest) -> HttpResponse:
    form = RecomputeForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect("console:point_rules")
    entry = services.recompute_points(actor=request.user, key=form.cleaned_data["key"])
    changed = entry.after["members_changed"]
    messages.success(request, f"Recomputed: {changed} member{'s' if changed != 1 else ''} got a correction "
                              "in their ledger. The audit log has the details.")
    return redirect("console:point_rules")


# --- Escalation --------------------------------------------------------------------------------


def _timeline(policy, title: str):
    # Slot for the crowd-experts tier: when the experts app exists, pass its window for this
    # category as expert_window (offered to experts between the community and staff).
    lanes = charts.policy_segments(
        answer_within=policy.answer_within_minutes,
        solve_within=policy.solve_within_minutes,
        staff_response=policy.staff_response_minutes,
        expert_window=None,
    )
    return charts.timeline(lanes=lanes, title=title)


@require_GET
@manager_required
def escalation(request: HttpRequest) -> HttpResponse:
    return _escalation_page(request)


def _escalation_page(request: HttpRequest, *, flag_form=None, status: int = 200) -> HttpResponse:
    policies = list(EscalationPolicy.objects.select_related("category"))
    default = next((p for p in policies if p.is_default), None) or EscalationPolicy(is_default=True)
    own = {p.category_id: p for p in policies if not p.is_default}
    rows = []
    for category in Category.objects.order_by("position", "name"):
        policy = own.get(category.pk)
        shown = policy or default
        rows.append({
            "category": category,
            "policy": policy,
            "shown": shown,
            "timeline": _timeline(shown, f"Timeline for {category.name}"),
        })
    return render(request, "console/escalation.html", {
        "section": "escalation",
        "default": default,
        "default_timeline": _timeline(default, "Timeline of the default policy"),
        "rows": rows,
        "channels": list(Channel.objects.all()),
        "flag_form": flag_form or FlagThresholdForm(initial={"flag_threshold": CommunitySettings.load().flag_threshold}),
        "humanize": charts.humanize_minutes,
    }, status=status)


def _category_or_default(slug: str | None):
    if slug is None:
        return None
    return get_object_or_404(Category, slug=slug)


def _policy_for(category):
    lookup = {"is_default": True} if category is None else {"category": category}
    policy = EscalationPolicy.objects.filter(**lookup).first()
    if policy is None and category is not None:
        policy = EscalationPolicy.objects.filter(is_default=True).first()
    return policy or EscalationPolicy(is_default=True)


@require_http_methods(["GET", "POST"])
@manager_required
def policy_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    category = _category_or_default(slug)
    current = _policy_for(category)
    has_own = category is None or current.category_id == category.pk
    status = 200
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid() and "preview" in request.POST:
            shown = EscalationPolicy(**form.cleaned_data["minutes"])
            return render(request, "console/policy_edit.html", {
                "section": "escalation", "category": category, "has_own": has_own, "form": form,
                "timeline": _timeline(shown, "Timeline with these values"), "shown": shown,
                "preview_url": reverse("console:policy_preview"),
            })
        if form.is_valid():
            try:
                services.save_policy(actor=request.user, category=category, minutes=form.cleaned_data["minutes"])
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                where = f"the {category.name} category" if category else "the default policy"
                messages.success(request, f"Saved the timers for {where}. They apply to questions asked from now on.")
                return redirect("console:escalation")
        status = 400
        shown = EscalationPolicy(**form.cleaned_data.get("minutes", {})) if len(
            form.cleaned_data.get("minutes", {})) == 3 else current
    else:
        form = PolicyForm.for_policy(current)
        shown = current
    return render(request, "console/policy_edit.html", {
        "section": "escalation",
        "category": category,
        "has_own": has_own,
        "form": form,
        "timeline": _timeline(shown, "Timeline with these values"),
        "shown": shown,
        "humanize": charts.humanize_minutes,
        "preview_url": reverse("console:policy_preview"),
    }, status=status)


@require_POST
@manager_required
def policy_preview(request: HttpRequest) -> HttpResponse:
    form = PolicyForm(request.POST)
    if form.is_valid():
        shown = EscalationPolicy(**form.cleaned_data["minutes"])
        context = {"timeline": _timeline(shown, "Timeline with these values"), "shown": shown,
                   "humanize": charts.humanize_minutes}
    else:
        context = {"preview_error": " ".join(e for errors in form.errors.values() for e in errors)}
    return render(request, "console/_timeline.html", context)


@require_POST
@manager_required
def policy_delete(request: HttpRequest, slug: str) -> HttpResponse:
    category = _category_or_default(slug)
    if services.delete_policy(actor=request.user, category=category) is None:
        messages.info(request, f"{category.name} already uses the default policy.")
    else:
        messages.success(request, f"{category.name} now uses the default policy for questions asked from now on.")
    return redirect("console:escalation")


@require_http_methods(["GET", "POST"])
@manager_required
def channel_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=pk) if pk is not None else None
    status = 200
    if request.method == "POST":
        form = ChannelForm(request.POST)
        if form.is_valid():
            try:
                saved = services.save_channel(actor=request.user, channel_id=pk, values=form.cleaned_data)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, f"Saved the channel {saved.name}.")
                _tell_masked(request, form)
                return redirect("console:escalation")
        status = 400
    else:
        initial = {f: getattr(channel, f) for f in ("name", "instructions", "link", "is_active", "position")} if channel else None
        form = ChannelForm(initial=initial)
    return render(request, "console/channel_edit.html",
                  {"section": "escalation", "channel": channel, "form": form}, status=status)


@require_POST
@manager_required
def flag_threshold(request: HttpRequest) -> HttpResponse:
    form = FlagThresholdForm(request.POST)
    if form.is_valid():
        services.set_flag_threshold(actor=request.user, threshold=form.cleaned_data["flag_threshold"])
        messages.success(request, f"Posts are now hidden at {form.cleaned_data['flag_threshold']} flags.")
        return redirect(reverse("console:escalation") + "#flags")
    return _escalation_page(request, flag_form=form, status=400)


# --- Members -----------------------------------------------------------------------------------


@require_GET
@manager_required
def members(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.search_members(q), MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    table = rank_table()
    return render(request, "console/members.html", {
        "section": "members", "form": form, "page": page, "q": q,
        "rows": [(m, table.rank_for(m.points)) for m in page.object_list],
    })


def _member_or_404(username: str):
    member = selectors.member_with_roles(username)
    if member is None:
        raise Http404("No such member.")
    return member


def _member_page(request, member, *, status=200, **forms) -> HttpResponse:
    entries_page = Paginator(selectors.member_ledger(member=member, viewer=request.user), LEDGER_PER_PAGE).get_page(
        request.GET.get("page"))
    visible = selectors.visible_thread_ids(viewer=request.user, entries=entries_page.object_list)
    context = {
        "section": "members",
        "member": member,
        "rank": rank_table().rank_for(member.points),
        "entries": [(e, e.thread if e.thread_id in visible else None) for e in entries_page.object_list],
        "entries_page": entries_page,
        "history": selectors.member_audit(member),
        "award_form": forms.get("award_form") or AwardForm(),
        "suspend_form": forms.get("suspend_form") or SuspendForm(),
        "reinstate_form": forms.get("reinstate_form") or ReinstateForm(),
        "role_form": forms.get("role_form") or RoleForm(),
        "reverse_form": forms.get("reverse_form") or ReverseForm(),
        "reverse_entry": forms.get("reverse_entry"),
        "is_self": member.pk == request.user.pk,
    }
    return render(request, "console/member.html", context, status=status)


@require_GET
@manager_required
def member(request: HttpRequest, username: str) -> HttpResponse:
    return _member_page(request, _member_or_404(username))


def _member_action(request, username, form_class, form_name, do):
    member = _member_or_404(username)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            message = do(member, form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            messages_ = error.messages if isinstance(error, ValidationError) else [str(error)]
            for m in messages_:
                form.add_error(None, m)
        else:
            messages.success(request, message)
            _tell_masked(request, form)
            return redirect("console:member", username=member.username)
    return _member_page(request, member, status=400, **{form_name: form})


@require_POST
@manager_required
def member_award(request: HttpRequest, username: str) -> HttpResponse:
    def do(member, data):
        services.award_points(actor=request.user, member=member, points=data["points"], reason=data["reason"],
                              key=data["key"])
        return f"{data['points']:+,} points for {member.name}, with your reason in their ledger."

    return _member_action(request, username, AwardForm, "award_form", do)


@require_POST
@manager_required
def member_reverse(request: HttpRequest, username: str, entry_id: int) -> HttpResponse:
    def do(member, data):
        services.reverse_entry(actor=request.user, member=member, entry_id=entry_id, reason=data["reason"])
        return "Reversed. The member's points and ledger show it."

    return _member_action(request, username, ReverseForm, "reverse_form", do)


@require_POST
@manager_required
def member_suspend(request: HttpRequest, username: str) -> HttpResponse:
    def do(member, data):
        services.set_member_active(actor=request.user, member=member, is_active=False, reason=data["reason"])
        return f"{member.name} is suspended: signed out and unable to sign in until reinstated."

    return _member_action(request, username, SuspendForm, "suspend_form", do)


@require_POST
@manager_required
def member_reinstate(request: HttpRequest, username: str) -> HttpResponse:
    def do(member, data):
        services.set_member_active(actor=request.user, member=member, is_active=True, reason=data["reason"])
        return f"{member.name} is reinstated and can sign in again."

    return _member_action(request, username, ReinstateForm, "reinstate_form", do)


@require_POST
@manager_required
def member_role(request: HttpRequest, username: str) -> HttpResponse:
    def do(member, data):
        services.set_role(actor=request.user, member=member, role=data["role"], grant=data["grant"],
                          reason=data["reason"])
        role = services.ROLES[data["role"]]
        return f"{member.name} {'is now' if data['grant'] else 'is no longer'} {role}."

    return _member_action(request, username, RoleForm, "role_form", do)


# --- Audit log ---------------------------------------------------------------------------------


def _audit_filters(request):
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        return form, form.cleaned_data["area"], form.cleaned_data["q"]
    return form, "", ""


@require_GET
@manager_required
def audit(request: HttpRequest) -> HttpResponse:
    form, area, q = _audit_filters(request)
    page = Paginator(selectors.audit_entries(area=area, q=q), AUDIT_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "console/audit.html", {
        "section": "audit", "form": form, "page": page, "query": query.urlencode(),
    })


def _cell(value) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
@manager_required
def audit_csv(request: HttpRequest) -> HttpResponse:
    import json

    _, area, q = _audit_filters(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="peerdesk-audit{"-" + area if area else ""}.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(["when", "who", "source", "area", "action", "target", "before", "after", "reason"])
    for e in selectors.audit_entries(area=area, q=q).iterator(chunk_size=500):
        writer.writerow([
            e.created_at.isoformat(), _cell(e.actor_name), e.source, e.area, e.action, _cell(e.target),
            _cell(json.dumps(e.before, ensure_ascii=False) if e.before is not None else ""),
            _cell(json.dumps(e.after, ensure_ascii=False) if e.after is not None else ""),
            _cell(e.reason),
        ])
    return response

