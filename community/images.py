"""Checking and re-encoding uploaded screenshots, with Pillow. No database here.

``process(data, name)`` accepts PNG, JPEG, GIF and WebP only, judged by what Pillow finds in
the bytes (never by the file name or the browser's content type), so a renamed HTML file or an
SVG is refused. Before any pixel is decoded it refuses files over IMAGE_MAX_BYTES and images
over IMAGE_MAX_PIXELS (a decompression bomb: a few kilobytes that would decode to gigabytes),
then verify()s the file, reopens it, turns it upright by its EXIF orientation, shrinks it to
at most IMAGE_MAX_SIDE pixels a side and re-encodes it (PNG stays PNG, GIF becomes PNG, JPEG
stays JPEG, WebP stays WebP) with no metadata at all: EXIF, GPS, comments and ICC profiles
are dropped. Every refusal is a ValidationError with a message to show the member.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from community import privacy

FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
_OUTPUT = {"PNG": "PNG", "GIF": "PNG", "JPEG": "JPEG", "WEBP": "WEBP"}
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
NAME_MAX_LENGTH = 60


def max_bytes() -> int:
    return int(getattr(settings, "IMAGE_MAX_BYTES", 5 * 1024 * 1024))


def max_pixels() -> int:
    return int(getattr(settings, "IMAGE_MAX_PIXELS", 40_000_000))


def max_side() -> int:
    return int(getattr(settings, "IMAGE_MAX_SIDE", 2560))


def too_big_message(size: int | None = None) -> str:
    limit = max_bytes() / (1024 * 1024)
    got = f" (this one is {size / (1024 * 1024):.1f} MB)" if size else ""
    return f"Images can be at most {limit:g} MB{got}. Crop the screenshot or save it as a JPEG."


NOT_AN_IMAGE = "This file is not a PNG, JPEG, GIF or WebP image, so it can't be added. (SVG and other files are not accepted.)"


@dataclass(frozen=True)
class Processed:
    data: bytes
    format: str  # PNG, JPEG or WEBP
    width: int
    height: int
    name: str  # safe, with the right extension
    name_had_account_data: bool

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def safe_name(original: str, fmt: str) -> tuple[str, bool]:
    """A file name safe in a URL and a header: ASCII letters, digits, dot, dash, underscore,
    at most NAME_MAX_LENGTH characters, the extension of the stored format. A name carrying
    account data (community.privacy) becomes "screenshot": it is shown next to the image."""
    original_stem = (original or "")[:200].rsplit(".", 1)[0]
    stem = unicodedata.normalize("NFKD", original_stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[: NAME_MAX_LENGTH - 5] or "screenshot"
    # Checked as written, as made safe ("4111.1111..." becomes "4111-1111...") and as the alt
    # text the editor makes of it (dashes to spaces).
    alt = stem.replace("-", " ").replace("_", " ")
    had_account_data = any(privacy.detect(text) for text in (original_stem, stem, alt))
    if had_account_data:
        stem = "screenshot"
    return f"{stem}.{EXTENSIONS[fmt]}", had_account_data


def _open(data: bytes) -> PILImage.Image:
    image = PILImage.open(io.BytesIO(data), formats=FORMATS)
    width, height = image.size
    if width < 1 or height < 1:
        raise ValidationError(NOT_AN_IMAGE, code="invalid")
    if width * height > max_pixels():
        raise ValidationError(
            f"This image is {width:,} × {height:,} pixels; the most we accept is "
            f"{max_pixels() / 1_000_000:g} million pixels. Crop or shrink it first.",
            code="too_many_pixels",
        )
    return image


def process(data: bytes, original_name: str = "") -> Processed:
    """Validate and re-encode an upload (see the module docstring). Raises ValidationError."""
    if len(data) > max_bytes():
        raise ValidationError(too_big_message(len(data)), code="too_big")
    if not data:
        raise ValidationError("The file is empty.", code="empty")
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check only warns below twice its limit: make it a refusal too.
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            probe = _open(data)
            source_format = probe.format
            probe.verify()  # structure and checksums, without decoding every pixel
            image = _open(data)  # verify() leaves the image unusable: reopen
            image.seek(0)  # an animated GIF or WebP: its first frame
            image.load()
    except ValidationError:
        raise
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise ValidationError(
            f"This image has too many pixels; the most we accept is {max_pixels() / 1_000_000:g} million.",
            code="too_many_pixels",
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
        raise ValidationError(NOT_AN_IMAGE, code="invalid") from None
    if source_format not in FORMATS:
        raise ValidationError(NOT_AN_IMAGE, code="invalid")
    output = _OUTPUT[source_format]
    image = ImageOps.exif_transpose(image)
    if max(image.size) > max_side():
        image.thumbnail((max_side(), max_side()))
    image = _without_metadata(image, output)
    buffer = io.BytesIO()
    if output == "JPEG":
        image.save(buffer, "JPEG", quality=85, optimize=True)
    elif output == "WEBP":
        image.save(buffer, "WEBP", quality=85)
    else:
        image.save(buffer, "PNG", optimize=True)
    name, had_account_data = safe_name(original_name, output)
    return Processed(
        data=buffer.getvalue(),
        format=output,
        width=image.size[0],
        height=image.size[1],
        name=name,
        name_had_account_data=had_account_data,
    )


def _without_metadata(image: PILImage.Image, output: str) -> PILImage.Image:
    """A fresh image holding only the pixels: no info dict, EXIF, XMP or ICC profile."""
    if output == "JPEG":
        mode = "RGB"
    elif image.mode in ("RGB", "RGBA", "L", "LA"):
        mode = image.mode
    else:
        mode = "RGBA" if ("transparency" in image.info or image.mode in ("P", "PA")) else "RGB"
    pixels = image.convert(mode) if image.mode != mode else image
    clean = PILImage.new(mode, pixels.size)
    clean.paste(pixels)
    return clean
