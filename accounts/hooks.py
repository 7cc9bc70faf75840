"""Checks on what members write about themselves, supplied by apps above accounts.

accounts must not import community (dependencies point towards accounts), yet a display name
is text a person writes and must go through community's account-data scanner like any other.
community registers its masker here from CommunityConfig.ready(); accounts.services calls
``mask_text`` before it stores a name.
"""

from __future__ import annotations

from typing import Any, Callable

# masker(text, *, max_chars) -> (masked text, findings); findings are opaque to accounts, and
# the explainer turns them into a sentence for the member.
TextMasker = Callable[..., "tuple[str, list[Any]]"]
Explainer = Callable[..., str]

_masker: TextMasker | None = None
_explainer: Explainer | None = None


def register_text_masker(masker: TextMasker, *, explain: Explainer) -> None:
    global _masker, _explainer
    _masker, _explainer = masker, explain


def mask_text(text: str, *, max_chars: int) -> tuple[str, list[Any]]:
    """``text`` with account data masked, and what was masked. Refuses to run without a
    registered masker: storing a name unscanned is the one thing that must never happen."""
    if _masker is None:
        raise RuntimeError("No text masker registered (community.apps registers one).")
    return _masker(text, max_chars=max_chars)


def explain(findings: list[Any], *, where: str) -> str:
    """What was masked and why, for the member ("" when nothing was)."""
    if not findings or _explainer is None:
        return ""
    return _explainer(findings, where=where)


def validate_no_account_data(username: str) -> None:
    """A username is public (profile URLs, and the name shown when there is no display name)
    and can't be masked without breaking its links: refuse one with account data in it."""
    from django.core.exceptions import ValidationError

    _masked, findings = mask_text(username or "", max_chars=150)
    if findings:
        raise ValidationError(
            "A username can't contain a card or account number. Please choose another: "
            "our staff can see your account without it."
        )


def _username_validators() -> list:
    from django.contrib.auth.validators import UnicodeUsernameValidator

    return [UnicodeUsernameValidator(), validate_no_account_data]


# allauth's ACCOUNT_USERNAME_VALIDATORS: the model's own rule plus the account-data check.
USERNAME_VALIDATORS = _username_validators()
