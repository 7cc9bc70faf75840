"""What a valid question title, post body and tag list are: the one copy of these rules.

Forms call them from their clean_<field> methods, so the error shows next to the field and
what the member typed stays; services call them again, so no other caller (a task, the API,
a shell) can store what a form would refuse. Each returns the cleaned value or raises
ValidationError with a message for the member.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError

from community import privacy

TITLE_MIN_LENGTH = 10
TITLE_MAX_LENGTH = 150
BODY_MAX_LENGTH = 20_000
ANSWER_MIN_LENGTH = 2
MAX_TAGS = 5
TAG_MAX_LENGTH = 32
_TAG_RE = re.compile(r"^[a-z0-9][a-z0-9+#.\-]*$")


def clean_title(title: str) -> str:
    """White space folded; between TITLE_MIN_LENGTH and TITLE_MAX_LENGTH characters."""
    title = " ".join((title or "").split())
    if len(title) < TITLE_MIN_LENGTH:
        raise ValidationError(f"Write a title of at least {TITLE_MIN_LENGTH} characters that sums up the question.")
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError(f"Keep the title under {TITLE_MAX_LENGTH} characters.")
    return title


def clean_body(body: str, *, min_length: int = 1, what: str = "question") -> str:
    """Stripped; at least ``min_length`` and at most BODY_MAX_LENGTH characters."""
    body = (body or "").strip()
    if len(body) < min_length:
        raise ValidationError(f"The {what} needs some text.")
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError(f"Keep the {what} under {BODY_MAX_LENGTH:,} characters.")
    return body


def clean_answer_body(body: str) -> str:
    return clean_body(body, min_length=ANSWER_MIN_LENGTH, what="answer")


def clean_tags(tags: Iterable[str] | str) -> list[str]:
    """Normalise tags: lower case, spaces to dashes, duplicates dropped, at most MAX_TAGS.

    Accepts a list or one comma-separated string. Raises ValidationError naming the bad tag.
    """
    if isinstance(tags, str):
        tags = tags.split(",")
    cleaned: list[str] = []
    for raw in tags:
        tag = re.sub(r"\s+", "-", (raw or "").strip().lower()).strip("-")
        if not tag:
            continue
        if len(tag) > TAG_MAX_LENGTH:
            raise ValidationError(f"Tag “{tag[:TAG_MAX_LENGTH]}…” is too long: at most {TAG_MAX_LENGTH} characters.")
        if not _TAG_RE.match(tag):
            raise ValidationError(f"Tag “{tag}” may use only letters, digits, dashes, dots, + and #.")
        if privacy.mask_account_data(tag, max_chars=TAG_MAX_LENGTH).changed:
            # A tag is shown on public lists and can't hold a mask: refuse it instead.
            raise ValidationError("A tag can't be a card or account number: remove it, our staff don't need it.")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(f"Use at most {MAX_TAGS} tags (you gave {len(cleaned)}).")
    return cleaned
