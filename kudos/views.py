from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from community.models import Category
from kudos import selectors, services
from kudos.forms import AwardForm, RingReversalForm
from kudos.ranks import is_hex_colour


@require_GET
def leaderboard(request: HttpRequest) -> HttpResponse:
    """Top members, all time or over the last 30 days, overall or on one category's questions.
    Unknown filter values fall back to the defaults rather than failing."""
    period = request.GET.get("period", "all")
    if period not in selectors.PERIODS:
        period = "all"
    categories = list(Category.objects.all())
    slug = request.GET.get("category", "")
    category = next((c for c in categories if c.slug == slug), None)
    standings = selectors.leaderboard(period=period, category=category)
    return render(
        request,
        "kudos/leaderboard.html",
        {
            "standings": standings,
            "period": period,
            "periods": selectors.PERIODS,
            "categories": categories,
            "category": category,
            "your_place": selectors.place_of(request.user) if request.user.is_authenticated else None,
            "table": selectors.rank_table(),
        },
    )


@require_GET
def rank_stylesheet(request: HttpRequest) -> HttpResponse:
    """Rank badge colours as classes (.rank-<id>): the site's CSP allows styles from our own
    origin only, never inline style attributes, and admins pick the colours."""
    table = selectors.rank_table()
    lines = ["/* Rank badge colours, generated from the ranks set in the admin. */"]
    for rank in table.ranks:
        if is_hex_colour(rank.colour):
            lines.append(
                f".badge.rank-{rank.id} {{ color: {rank.colour}; border-color: {rank.colour};"
                " background: #ffffff; }"
            )
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/css; charset=utf-8")
    if request.GET.get("v") == selectors.rank_version():
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response["Cache-Control"] = "no-cache"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def award(request: HttpRequest) -> HttpResponse:
    """Staff give a member points (any amount) with a reason the member sees."""
    if not request.user.is_staff:
        raise PermissionDenied("Only staff can award points.")
    if request.method == "POST":
        form = AwardForm(request.POST)
        if form.is_valid():
            member = form.cleaned_data["member"]
            try:
                services.award_points(
                    staff=request.user,
                    member=member,
                    points=form.cleaned_data["points"],
                    note=form.cleaned_data["note"],
                    key=form.cleaned_data["key"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                points = form.cleaned_data["points"]
                messages.success(request, f"{points:+d} points awarded to {member.name}.")
                return redirect(member.get_absolute_url())
    else:
        form = AwardForm(initial={"member": request.GET.get("member", "")})
    return render(request, "kudos/award.html", {"form": form})


def _staff_only(request: HttpRequest) -> None:
    """Like the other /staff/ pages: they do not exist for anyone but staff."""
    from django.http import Http404

    if not (request.user.is_authenticated and request.user.is_staff):
        raise Http404("No such page.")


def _rings_page(request: HttpRequest, *, failed: RingReversalForm | None = None, status: int = 200) -> HttpResponse:
    rings = selectors.voting_rings()
    for ring in rings:
        if failed is not None and failed.data.get("members") == ring.member_ids:
            ring.form = failed
        else:
            ring.form = RingReversalForm(initial={"members": ring.member_ids})
    context = {
        "rings": rings,
        "window_days": selectors.RING_WINDOW_DAYS,
        "min_votes": selectors.RING_MIN_VOTES,
        "share": int(selectors.RING_SHARE * 100),
    }
    return render(request, "kudos/voting_rings.html", context, status=status)


@require_GET
def voting_rings(request: HttpRequest) -> HttpResponse:
    """Staff: members whose votes go mostly to each other, with the points those votes moved."""
    _staff_only(request)
    return _rings_page(request)


@require_http_methods(["POST"])
def reverse_ring(request: HttpRequest) -> HttpResponse:
    """Staff: take back the points a voting ring's votes moved, through the ledger."""
    _staff_only(request)
    form = RingReversalForm(request.POST)
    if form.is_valid():
        try:
            done = services.reverse_ring_points(
                staff=request.user, member_ids=form.cleaned_data["members"], reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error("reason" if isinstance(error, ValidationError) else None, error)
        else:
            if done.entries:
                messages.success(request, f"Reversed {done.points} points in {done.entries} ledger entries.")
            else:
                messages.info(request, "Nothing was left to reverse: these points were already taken back.")
            return redirect("kudos_staff:voting_rings")
    return _rings_page(request, failed=form, status=400)
