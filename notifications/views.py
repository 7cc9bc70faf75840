from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notifications import services
from notifications.forms import PreferencesForm
from notifications.models import Kind, Notification

PAGE_SIZE = 20


@login_required
@require_http_methods(["GET"])
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.shown_to(request.user).select_related("thread", "answer__thread", "comment__thread", "recipient")
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "notifications": page.object_list, "unread": services.unread_count(request.user)},
    )


DROPDOWN_SIZE = 8


@login_required
@require_GET
def dropdown(request: HttpRequest) -> HttpResponse:
    """The bell's dropdown (htmx): the latest notifications, one line each."""
    notifications = Notification.objects.shown_to(request.user).select_related("thread", "answer__thread")
    return render(request, "notifications/_dropdown.html", {
        "notifications": list(notifications[:DROPDOWN_SIZE]), "unread": services.unread_count(request.user),
    })


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notification = services.mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
    if request.htmx:
        return render(request, "notifications/_item.html", {"notification": notification})
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    changed = services.mark_all_read(user=request.user)
    messages.success(request, f"Marked {changed} notification{'s' if changed != 1 else ''} read." if changed else "Nothing unread.")
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    kinds = services.kinds_for(request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST, kinds=kinds)
        if form.is_valid():
            services.set_preferences(user=request.user, choices=form.choices())
            messages.success(request, "Your notification settings were saved.")
            return redirect("notifications:settings")
    else:
        form = PreferencesForm(kinds=kinds, initial=PreferencesForm.initial_from(services.preferences_for(request.user)))
    return render(request, "notifications/settings.html", {"form": form})


ONE_CLICK_BODY = "List-Unsubscribe=One-Click"


def _is_one_click(request: HttpRequest) -> bool:
    """A mail client's RFC 8058 one-click POST: exactly this body, no cookies or token."""
    return request.POST.get("List-Unsubscribe") == "One-Click" and len(request.POST) == 1


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One-click unsubscribe from one kind of email, without signing in: the signed token
    names the member and the kind. GET only shows a confirm button (mail scanners open
    links); POST unsubscribes. The form carries a CSRF token like every other; only a mail
    client's RFC 8058 POST goes without, and the signed token is what authorises it."""
    if request.method == "POST" and not _is_one_click(request):
        refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if refused is not None:
            return refused
    found = services.read_unsubscribe_token(token)
    if found is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    member, kind = found
    context = {"kind_label": dict(Kind.choices)[kind], "email": _masked(member.email), "token": token}
    if request.method == "POST":
        services.unsubscribe(user=member, kind=kind)
        return render(request, "notifications/unsubscribe.html", {**context, "done": True})
    return render(request, "notifications/unsubscribe.html", context)


def _masked(email: str) -> str:
    """Enough of the address for its owner to recognise it, not enough to harvest it."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}" if domain else ""


@require_http_methods(["GET", "POST"])
def unfollow(request: HttpRequest, token: str) -> HttpResponse:
    """Stop following a question from the link in a "followed" mail, without signing in: the
    signed token names the member and the thread. GET shows a confirm button (mail scanners
    open links), POST (CSRF-protected like any form) unfollows. The page names the question
    only to someone who may still see it."""
    from community import services as community

    found = services.read_unfollow_token(token)
    if found is None:
        return render(request, "notifications/unfollow.html", {"invalid": True}, status=400)
    member, thread = found
    context = {
        "title": thread.title if thread.is_visible_to(member) else "",
        "email": _masked(member.email),
        "token": token,
    }
    if request.method == "POST":
        community.unfollow(user=member, thread=thread)
        return render(request, "notifications/unfollow.html", {**context, "done": True})
    return render(request, "notifications/unfollow.html", context)
