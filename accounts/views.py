from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import hooks, services
from accounts.forms import ProfileForm
from accounts.models import User
from accounts.profile import panels


def profile(request: HttpRequest, username: str) -> HttpResponse:
    member = get_object_or_404(User, username=username, is_active=True)
    rendered_panels = [
        {
            "template_name": p.template_name,
            "context": p.build_context(member=member, viewer=request.user, params=request.GET)
            if p.takes_params
            else p.build_context(member=member, viewer=request.user),
        }
        for p in panels()
    ]
    return render(
        request,
        "accounts/profile.html",
        {"member": member, "panels": rendered_panels, "is_self": request.user == member},
    )


@login_required
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("display_name")
def edit_profile(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ProfileForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                user = services.update_profile(user=request.user, display_name=form.cleaned_data["display_name"])
            except ValidationError as error:
                form.add_error("display_name", error)
            else:
                services.set_time_zone(user=request.user, time_zone=form.cleaned_data["time_zone"])
                if user.masked_findings:
                    messages.warning(request, hooks.explain(user.masked_findings, where="display name"))
                messages.success(request, "Your profile was saved.")
                return redirect(request.user.get_absolute_url())
    else:
        form = ProfileForm(initial={"display_name": request.user.display_name, "time_zone": request.user.time_zone},
                           user=request.user)
    return render(request, "accounts/edit_profile.html", {"form": form})


@require_POST
def browser_time_zone(request: HttpRequest) -> HttpResponse:
    """The browser reports its zone (site.js, once): saved for a member who has none yet.
    Signed-out visitors need nothing saved: the ``tz`` cookie already carries it. 204."""
    from django.core.exceptions import ValidationError

    if request.user.is_authenticated:
        try:
            services.set_time_zone(user=request.user, time_zone=request.POST.get("tz", ""), only_if_unset=True)
        except ValidationError as exc:
            return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    return HttpResponse(status=204)
