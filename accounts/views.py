from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods
from django.views.decorators.debug import sensitive_post_parameters

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
                if user.masked_findings:
                    messages.warning(request, hooks.explain(user.masked_findings, where="display name"))
                messages.success(request, "Your profile was saved.")
                return redirect(request.user.get_absolute_url())
    else:
        form = ProfileForm(initial={"display_name": request.user.display_name}, user=request.user)
    return render(request, "accounts/edit_profile.html", {"form": form})
