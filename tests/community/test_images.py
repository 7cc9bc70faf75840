"""Screenshots: what uploads are refused and why, what is stripped, and who may load them."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from PIL import Image as PILImage

from community import images, services
from community.models import Image
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def png(size=(40, 30), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_with_gps() -> bytes:
    exif = PILImage.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0112] = 6  # Orientation: rotated 90° clockwise
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPSInfo
    buffer = io.BytesIO()
    PILImage.new("RGB", (60, 20), (10, 120, 200)).save(buffer, "JPEG", exif=exif.tobytes(), comment=b"secret note")
    return buffer.getvalue()


def png_bomb(width=20_000, height=20_000) -> bytes:
    """A real 1-bit PNG of 400 million pixels that is about 50 KB on disk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row * 500) for _ in range(height // 500)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def upload(client: Client, data: bytes, name: str = "shot.png", content_type: str = "image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("community:upload_image"), {"image": SimpleUploadedFile(name, data, content_type)})


@pytest.fixture
def asker_client(member):
    client = Client()
    client.force_login(member)
    return client


# --- What is accepted and what comes out --------------------------------------------------------


def test_a_pasted_png_is_stored_as_the_members_pending_image(asker_client, member):
    response = upload(asker_client, png(), "Screenshot 2026-12-01 at 10.00.00.png")
    assert response.status_code == 201
    body = response.json()
    image = Image.objects.get(uploader=member)
    assert image.thread_id is None and image.content_type == "image/png"
    assert body["url"] == image.get_absolute_url() == f"/images/{image.key}/Screenshot-2026-12-01-at-10-00-00.png"
    assert body["markdown"] == f"![Screenshot 2026 12 01 at 10 00 00]({image.get_absolute_url()})"
    assert asker_client.get(body["url"]).status_code == 200


def test_exif_gps_and_comments_are_stripped_and_the_photo_turned_upright():
    processed = images.process(jpeg_with_gps(), "holiday.jpg")
    assert processed.format == "JPEG" and processed.content_type == "image/jpeg"
    reopened = PILImage.open(io.BytesIO(processed.data))
    assert not reopened.getexif()
    assert "exif" not in reopened.info and "comment" not in reopened.info and "icc_profile" not in reopened.info
    assert b"PhoneMaker" not in processed.data and b"secret note" not in processed.data
    assert reopened.size == (20, 60)  # the orientation tag was applied, then dropped


def test_png_text_chunks_are_dropped():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Jane Customer, 12 Main Street")
    buffer = io.BytesIO()
    PILImage.new("RGBA", (20, 20), (0, 0, 0, 0)).save(buffer, "PNG", pnginfo=info)
    processed = images.process(buffer.getvalue(), "a.png")
    assert b"Main Street" not in processed.data
    assert PILImage.open(io.BytesIO(processed.data)).mode == "RGBA"


def test_a_large_screenshot_is_shrunk_to_the_maximum_side(settings):
    settings.IMAGE_MAX_SIDE = 1000
    processed = images.process(png((3000, 600)), "wide.png")
    assert (processed.width, processed.height) == (1000, 200)


def test_a_gif_becomes_a_png():
    buffer = io.BytesIO()
    PILImage.new("P", (10, 10)).save(buffer, "GIF")
    assert images.process(buffer.getvalue(), "anim.gif").name == "anim.png"


# --- What is refused, with a clear message --------------------------------------------------------


def test_a_renamed_html_file_is_refused(asker_client, member):
    response = upload(asker_client, b"<!DOCTYPE html><html><script>alert(1)</script></html>", "cat.png")
    assert response.status_code == 400
    assert "not a PNG, JPEG, GIF or WebP image" in response.json()["error"]
    assert not Image.objects.exists()


def test_an_svg_is_refused(asker_client):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'
    response = upload(asker_client, svg, "logo.svg", "image/svg+xml")
    assert response.status_code == 400
    assert "SVG and other files are not accepted" in response.json()["error"]
    assert not Image.objects.exists()


def test_a_50_mb_file_is_refused_before_it_is_read(asker_client):
    response = upload(asker_client, b"\x89PNG\r\n\x1a\n" + b"\x00" * (50 * 1024 * 1024), "huge.png")
    assert response.status_code == 413
    assert response.json()["error"].startswith("Images can be at most 5 MB (this one is 50.0 MB)")
    assert not Image.objects.exists()


def test_a_file_over_the_limit_is_refused_by_the_service_too(member, settings):
    settings.IMAGE_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="at most"):
        services.upload_image(user=member, data=png((200, 200), (1, 2, 3)) + b"\x00" * 2000, name="x.png")


def test_a_decompression_bomb_is_refused(asker_client):
    bomb = png_bomb()
    assert len(bomb) < 200_000
    response = upload(asker_client, bomb, "bomb.png")
    assert response.status_code == 400
    assert "too many pixels" in response.json()["error"]
    assert "40 million" in response.json()["error"]
    assert not Image.objects.exists()


def test_an_image_just_over_the_pixel_limit_is_refused_with_its_size(settings):
    settings.IMAGE_MAX_PIXELS = 10_000
    with pytest.raises(ValidationError, match="200 × 100 pixels; the most we accept is 0.01 million"):
        images.process(png((200, 100)), "wide.png")


def test_a_truncated_image_is_refused():
    with pytest.raises(ValidationError, match="not a PNG"):
        images.process(png((100, 100))[:120], "cut.png")


def test_uploads_are_limited_per_hour(asker_client, settings):
    settings.IMAGE_UPLOADS_PER_HOUR = 2
    assert upload(asker_client, png()).status_code == 201
    assert upload(asker_client, png()).status_code == 201
    response = upload(asker_client, png())
    assert response.status_code == 429
    assert "2 images in the last hour" in response.json()["error"]


def test_signed_out_visitors_cannot_upload():
    response = upload(Client(), png())
    assert response.status_code == 302
    assert not Image.objects.exists()


def test_a_file_name_carrying_account_data_is_replaced(asker_client):
    response = upload(asker_client, png(), "card 4111 1111 1111 1111.png")
    assert response.status_code == 201
    assert response.json()["name"] == "screenshot.png"
    assert "4111" not in response.json()["markdown"]
    assert "account data" in response.json()["notice"]


def test_file_names_are_made_safe_for_urls_and_headers():
    name, _ = images.safe_name('../../etc/pa"ss\r\nwd <b>é.png', "PNG")
    assert name == "etc-pa-ss-wd-b-e.png"


# --- Who may load an image ------------------------------------------------------------------------


def _ask(author, category, body, **kwargs):
    return services.ask_question(author=author, category=category, title="My screen shows an error", body=body, **kwargs)


def _image_for(user) -> Image:
    return services.upload_image(user=user, data=png(), name="shot.png")


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_a_private_threads_image_reaches_only_the_asker_and_staff(member, other_member, category):
    image = _image_for(member)
    thread = _ask(member, category, f"Look: ![error]({image.get_absolute_url()})", is_private=True)
    image.refresh_from_db()
    assert image.thread_id == thread.pk
    url = image.get_absolute_url()
    for outsider in (None, other_member):
        assert _client(outsider).get(url).status_code == 404
    # Not reachable under another name either: the key alone decides, and permission is checked.
    assert _client(other_member).get(f"/images/{image.key}/other.png").status_code == 404
    staff = StaffFactory()
    for allowed in (member, staff):
        response = _client(allowed).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == 'inline; filename="shot.png"'
        assert {"private", "no-cache"} <= {part.strip() for part in response["Cache-Control"].split(",")}
        assert "sandbox" in response["Content-Security-Policy"]
        assert response.content.startswith(b"\x89PNG")


def test_a_public_threads_image_is_public_and_cacheable(member, category):
    image = _image_for(member)
    _ask(member, category, f"![error]({image.get_absolute_url()})")
    response = _client().get(image.get_absolute_url())
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"


def test_a_pending_upload_reaches_only_its_uploader(member, other_member):
    image = _image_for(member)
    assert _client(member).get(image.get_absolute_url()).status_code == 200
    for outsider in (None, other_member, StaffFactory()):
        assert _client(outsider).get(image.get_absolute_url()).status_code == 404


def test_an_image_follows_its_thread_when_it_becomes_private(member, other_member, category):
    image = _image_for(member)
    thread = _ask(member, category, f"![error]({image.get_absolute_url()})")
    assert _client(other_member).get(image.get_absolute_url()).status_code == 200
    services.edit_question(user=member, thread=thread, title=thread.title, body=thread.body, is_private=True)
    assert _client(other_member).get(image.get_absolute_url()).status_code == 404
    assert _client().get(image.get_absolute_url()).status_code == 404


def test_an_answers_image_goes_with_the_answer_when_it_is_deleted(member, other_member, category):
    thread = _ask(member, category, "Any idea?")
    image = _image_for(other_member)
    answer = services.post_answer(author=other_member, thread=thread, body=f"Like this ![fix]({image.get_absolute_url()})")
    image.refresh_from_db()
    assert (image.thread_id, image.answer_id) == (thread.pk, answer.pk)
    assert _client().get(image.get_absolute_url()).status_code == 200
    services.delete_answer(user=other_member, answer=answer)
    assert _client().get(image.get_absolute_url()).status_code == 404
    assert _client(member).get(image.get_absolute_url()).status_code == 404


def test_someone_elses_pending_image_cannot_be_published_by_linking_it(member, other_member, category):
    secret = _image_for(member)
    _ask(other_member, category, f"Found this ![x]({secret.get_absolute_url()})")
    secret.refresh_from_db()
    assert secret.thread_id is None
    assert _client(other_member).get(secret.get_absolute_url()).status_code == 404
    assert _client().get(secret.get_absolute_url()).status_code == 404


def test_a_private_image_linked_from_a_public_post_stays_private(member, other_member, category):
    image = _image_for(member)
    _ask(member, category, f"![bill]({image.get_absolute_url()})", is_private=True)
    public = _ask(member, category, "Same picture, public")
    services.post_answer(author=member, thread=public, body=f"See ![bill]({image.get_absolute_url()})")
    assert _client(other_member).get(image.get_absolute_url()).status_code == 404


def test_an_image_added_by_editing_is_attached_on_save(member, other_member, category):
    thread = _ask(member, category, "Before the screenshot")
    image = _image_for(member)
    services.edit_question(user=member, thread=thread, title=thread.title, body=f"Now ![s]({image.get_absolute_url()})")
    image.refresh_from_db()
    assert image.thread_id == thread.pk
    assert _client(other_member).get(image.get_absolute_url()).status_code == 200


def test_the_thread_page_shows_the_image(member, category):
    image = _image_for(member)
    thread = _ask(member, category, f"![the error dialog]({image.get_absolute_url()})")
    html = _client().get(thread.get_absolute_url()).content.decode()
    assert f'<img src="{image.get_absolute_url()}" alt="the error dialog">' in html


def test_stored_files_have_random_names(member):
    image = _image_for(member)
    assert "shot" not in image.file.name
    assert image.file.name.startswith("images/") and image.file.name.endswith(".png")


def test_a_second_member_sees_nothing_of_anothers_uploads_count(member):
    other = UserFactory()
    _image_for(member)
    assert Image.objects.visible_to(other).count() == 0


def test_uploads_never_put_in_a_post_are_deleted_after_a_day(member, category):
    import time_machine
    from django.utils import timezone

    from community.tasks import delete_stale_uploads

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        abandoned = _image_for(member)
        used = _image_for(member)
        _ask(member, category, f"![x]({used.get_absolute_url()})")
    storage, path = abandoned.file.storage, abandoned.file.name
    assert storage.exists(path)
    with time_machine.travel(start + timezone.timedelta(hours=23), tick=False):
        assert delete_stale_uploads() == 0
    with time_machine.travel(start + timezone.timedelta(hours=25), tick=False):
        fresh = _image_for(member)
        assert delete_stale_uploads() == 1
    assert not storage.exists(path)
    assert set(Image.objects.values_list("pk", flat=True)) == {used.pk, fresh.pk}


@pytest.mark.parametrize("count", [1, 12])
def test_pages_with_images_cost_the_same_queries_whatever_their_number(member, other_member, category, count, django_assert_max_num_queries):
    shots = [_image_for(member) for _ in range(count)]
    body = "\n\n".join(f"![shot {n}]({image.get_absolute_url()})" for n, image in enumerate(shots))
    thread = _ask(member, category, body, is_private=True)
    client = _client(member)
    with django_assert_max_num_queries(25):
        html = client.get(thread.get_absolute_url()).content.decode()
    assert html.count("<img src=\"/images/") == count
    # One image: the session, the user and one visibility query, however many images exist.
    with django_assert_max_num_queries(4):
        assert client.get(shots[-1].get_absolute_url()).status_code == 200


def test_an_upload_over_the_limit_is_stopped_while_it_is_read(asker_client, settings):
    # Within the Content-Length margin, so the upload handler is what stops it.
    settings.IMAGE_MAX_BYTES = 100_000
    response = upload(asker_client, png() + b"\x00" * 120_000, "padded.png")
    assert response.status_code == 413
    assert response.json()["error"].startswith("Images can be at most")
    assert not Image.objects.exists()


def test_uploads_still_need_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = upload(client, png())
    assert response.status_code == 403
    assert not Image.objects.exists()


def test_image_urls_never_look_like_account_data(member):
    from community import privacy

    for _ in range(100):
        image = services.upload_image(user=member, data=png(), name="shot.png")
        assert not privacy.detect(f"![shot]({image.get_absolute_url()})"), image.key
        Image.objects.filter(pk=image.pk).delete()


def test_a_file_name_that_becomes_a_card_number_once_made_safe_is_replaced():
    assert images.safe_name("4111.1111.1111.1111.png", "PNG") == ("screenshot.png", True)
    assert images.safe_name("DE89370400440532013000.png", "PNG") == ("screenshot.png", True)
