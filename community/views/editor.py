"""The editor's server side: the Markdown preview, image upload and serving (who may see an
image is who may see its thread), and checking a field while the member types."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from community import images, privacy, services, validators
from community.forms import AnswerForm, QuestionForm
from community.markdown import render as render_markdown
from community.models import Image
from community.views.base import (
    member_required,
    problem,
)


def preview_context(title: str, body: str, kind: str = "question") -> dict:
    """The preview shows the text as it will be stored: masked. Both inputs are cut to their
    fields' bounds before they are scanned (a preview is a hint; the form refuses more)."""
    title = privacy.clip(" ".join((title or "").split()), validators.TITLE_MAX_LENGTH)
    body = privacy.clip(body, validators.BODY_MAX_LENGTH)
    if kind == "answer":
        title = ""
    _title, body, findings = services.mask_question(title=title, body=body)
    detected = privacy.kinds_of(findings)
    return {
        "html": render_markdown(body),
        "detected": detected,
        "detected_text": privacy.describe(detected),
        "masks": ", ".join(dict.fromkeys(finding.mask for finding in findings)),
        "has_text": bool(body.strip()),
        "kind": "answer" if kind == "answer" else "question",
    }


@member_required
@require_POST
@sensitive_post_parameters("title", "body")
def preview(request: HttpRequest) -> HttpResponse:
    """The Markdown preview partial (htmx), with a warning when account data is in the text."""
    context = preview_context(request.POST.get("title", ""), request.POST.get("body", ""), request.POST.get("kind", ""))
    return render(request, "community/_preview.html", {"preview": context})


def _upload_refusal(message: str, status: int) -> HttpResponse:
    return JsonResponse({"error": message}, status=status)


class _UploadSizeLimit:
    """An upload handler, first in line, that stops reading an upload once it passes the
    limit (a chunked request has no Content-Length to judge it by beforehand)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.exceeded = False
        self.received = 0
        outer = self

        class Handler(FileUploadHandler):
            def receive_data_chunk(self, raw_data, start):
                outer.received = start + len(raw_data)
                if outer.received > outer.limit:
                    outer.exceeded = True
                    raise StopUpload(connection_reset=False)
                return raw_data

            def file_complete(self, file_size):
                return None

        self.handler = Handler


@csrf_exempt
def upload_image(request: HttpRequest) -> HttpResponse:
    """Store a screenshot (pasted, dropped or picked in the editor) as the member's pending
    image and answer JSON: its URL and the Markdown to insert. Refusals are JSON with a
    message the editor shows: 413 too big, 400 not an accepted image, 429 too many uploads.

    The size is judged before anything reads the body: from Content-Length, then chunk by chunk
    by an upload handler put first in line. That has to happen before the CSRF check (which
    reads the form), so the CSRF check is applied inside, by csrf_protect."""

    limit = images.max_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    # The multipart envelope adds a little; anything past a generous margin is refused unread.
    if request.method == "POST" and declared > limit + 64 * 1024:
        return _upload_refusal(images.too_big_message(declared), 413)
    size_limit = _UploadSizeLimit(limit)
    request.upload_handlers.insert(0, size_limit.handler(request))
    return _receive_image(request, size_limit=size_limit)


@csrf_protect
@member_required
@require_POST
def _receive_image(request: HttpRequest, *, size_limit: _UploadSizeLimit) -> HttpResponse:


    limit = images.max_bytes()
    request.FILES  # noqa: B018 -- reads the body through the size-limited handlers
    if size_limit.exceeded:
        return _upload_refusal(images.too_big_message(), 413)
    upload = request.FILES.get("image")
    if upload is None:
        return _upload_refusal("Choose an image file to add.", 400)
    if upload.size > limit:
        return _upload_refusal(images.too_big_message(upload.size), 413)
    try:
        image = services.upload_image(user=request.user, data=upload.read(), name=upload.name or "")
    except ValidationError as exc:
        status = 429 if getattr(exc, "code", "") == "rate_limited" else 400
        return _upload_refusal(" ".join(exc.messages), status)
    except PermissionDenied as exc:
        return _upload_refusal(problem(request, exc), 403)
    alt = image.name.rsplit(".", 1)[0].replace("-", " ").replace("_", " ")
    notice = "We replaced the file name because it looked like account data." if image.name_had_account_data else ""
    return JsonResponse(
        {
            "url": image.get_absolute_url(),
            "markdown": f"![{alt}]({image.get_absolute_url()})",
            "name": image.name,
            "width": image.width,
            "height": image.height,
            "notice": notice,
        },
        status=201,
    )


def image(request: HttpRequest, key: str, name: str) -> HttpResponse:
    """Serve an uploaded image to those who may see it, checked on every request
    (Image.objects.visible_to): 404 for everyone else, the same as for a key that does not
    exist. Private images are never kept by shared caches."""


    found = Image.objects.visible_to(request.user).filter(key=key).first()
    if found is None:
        raise Http404("No such image.")
    try:
        with found.file.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError):
        raise Http404("No such image.") from None
    response = HttpResponse(data, content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="{found.name}"'
    # An image is never a document: nothing in it may run, even if opened on its own.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    if found.is_public:
        response["Cache-Control"] = "public, max-age=300"
    else:
        response["Cache-Control"] = "private, no-cache"
        response["Vary"] = "Cookie"
    return response


@member_required
@require_POST
def validate_field(request: HttpRequest) -> HttpResponse:
    """The errors the ask, edit or answer form would give for one field (``field``) of the
    posted data, as JSON, so the page can update a field's errors as the member fixes it. The
    same form classes decide as on submit: one rule in one place. Nothing is saved."""

    kind = request.POST.get("form", "question")
    form = AnswerForm(request.POST) if kind == "answer" else QuestionForm(request.POST)
    name = request.POST.get("field", "")
    if name not in form.fields:
        return JsonResponse({"error": "Unknown field."}, status=400)
    form.is_valid()
    return JsonResponse({"field": name, "errors": list(form.errors.get(name, []))})
