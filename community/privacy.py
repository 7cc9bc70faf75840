"""Find account data in text a member is about to publish.

Pure functions, no Django: ``detect(text)`` returns the kinds of account data found, so the
question can be made private before it is first saved. Each pattern is checked the way the
data itself is checked (Luhn for card numbers, mod-97 for IBANs) or only counted next to a
keyword, so ordinary numbers (order ids, version strings, phone numbers) are not flagged.
"""

from __future__ import annotations

import re

CARD = "card"
IBAN = "iban"
SSN = "ssn"
ACCOUNT_NUMBER = "account_number"
PASSWORD = "password"

LABELS = {
    CARD: "a payment card number",
    IBAN: "a bank account number (IBAN)",
    SSN: "a social security number",
    ACCOUNT_NUMBER: "an account number",
    PASSWORD: "a password",
}

# 13-19 digits, optionally grouped by single spaces or dashes; not glued to other digits.
_CARD_RE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")
# Two letters, two check digits, then 11-30 letters/digits, optionally in groups of four.
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", re.IGNORECASE)
_SSN_RE = re.compile(
    r"\b(?:ssn|social security(?: number| no\.?)?)\b\W{0,5}(?:is\s+)?(\d{3})[- ]?(\d{2})[- ]?(\d{4})\b",
    re.IGNORECASE,
)
_ACCOUNT_RE = re.compile(
    r"\b(?:account|acct|customer|routing|sort code)\s*(?:number|no\.?|num|#)\s*(?:is\s+)?[:#]?\s*([A-Z0-9][A-Z0-9 -]{4,24}[A-Z0-9])",
    re.IGNORECASE,
)
_PASSWORD_RE = re.compile(
    r"\b(?:password|passwd|passcode|pwd|pin)\s*(?:is|was|=|:)\s*[\"'`]?(\S{4,})",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?)\"'`"


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    iban = re.sub(r"\s+", "", candidate).upper()
    if not 15 <= len(iban) <= 34 or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def _has_card(text: str) -> bool:
    for match in _CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_ok(digits):
            return True
    return False


def _has_iban(text: str) -> bool:
    for match in _IBAN_RE.finditer(text):
        candidate = match.group(0)
        # The regex is greedy; a trailing word may have been swallowed. Try shorter prefixes.
        compact = re.sub(r"\s+", "", candidate)
        for end in range(len(compact), 14, -1):
            if iban_ok(compact[:end]):
                return True
    return False


def _has_ssn(text: str) -> bool:
    for match in _SSN_RE.finditer(text):
        area, group, serial = match.groups()
        if area not in {"000", "666"} and not area.startswith("9") and group != "00" and serial != "0000":
            return True
    return False


def _has_account_number(text: str) -> bool:
    for match in _ACCOUNT_RE.finditer(text):
        digits = re.sub(r"\D", "", match.group(1))
        if len(digits) >= 6:
            return True
    return False


def _has_password(text: str) -> bool:
    # "my password is not working" is a question, "password: hunter22" is a secret: count only
    # values with a digit or a symbol in them.
    for match in _PASSWORD_RE.finditer(text):
        value = match.group(1).rstrip(_TRAILING_PUNCTUATION)
        if len(value) >= 4 and any(not char.isalpha() for char in value):
            return True
    return False


def detect(text: str) -> list[str]:
    """The kinds of account data found in ``text``, in a stable order; empty when none."""
    if not text:
        return []
    found = []
    if _has_card(text):
        found.append(CARD)
    if _has_iban(text):
        found.append(IBAN)
    if _has_ssn(text):
        found.append(SSN)
    if _has_account_number(text):
        found.append(ACCOUNT_NUMBER)
    if _has_password(text):
        found.append(PASSWORD)
    return found


def describe(kinds: list[str]) -> str:
    """'a payment card number and a password' for messages shown to the author."""
    labels = [LABELS.get(kind, kind) for kind in kinds]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]
