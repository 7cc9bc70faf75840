"""The member's page for personal API tokens (HTML, not the API itself)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from api import services
from api.forms import TokenForm
from api.models import ApiToken


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """List the member's tokens and make a new one; its clear text is on the answer page only."""
    created = None
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            token, clear = services.create_token(
                user=request.user, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
            )
            created = {"token": token, "clear": clear}
            form = TokenForm(user=request.user)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
    rows = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk")[:50]
    response = render(request, "api/tokens.html", {"form": form, "tokens": rows, "created": created},
                      status=400 if form.errors else 200)
    response["Cache-Control"] = "no-store"  # the page that shows a clear token once
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if not ApiToken.objects.filter(pk=pk, user=request.user).exists():
        raise Http404("No such token.")
    token = services.revoke_token(token_id=pk, by=request.user)
    messages.success(request, f"“{token.name}” is revoked: calls with it now fail.")
    return redirect("api_tokens:list")
