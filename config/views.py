from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A styled 403 for a missing or stale CSRF token (the default page is unstyled)."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
