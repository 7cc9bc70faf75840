"""Find account data in text a person writes, and mask it before anything is stored.

Pure functions, no Django, so every app can call them (other apps reach this module directly
or, below community, through a hook such as accounts.hooks). The API:

``mask_account_data(text, *, max_chars=MAX_SCAN_CHARS) -> MaskResult``
    Scans ``text`` once and returns ``MaskResult(text, findings)``: ``text`` with every card
    number, IBAN, account number, social security number and password replaced by a mask,
    and the findings (kind, where, the mask). Call it on every text a person writes, *before*
    it is saved, rendered, logged, mailed or cached, and store ``result.text``. Masking is
    idempotent: masked text scans clean, so an edit of masked text finds nothing new.
    Raises ``TextTooLong`` (a ValueError) when ``text`` is longer than ``max_chars``: bound
    the input first (``check_length``, or your form's max_length).

``check_length(text, *, max_chars, what="text") -> str``
    The size bound to apply before scanning: returns ``text`` or raises ``TextTooLong`` with a
    message for the writer. ``clip(text, max_chars)`` cuts instead, for previews and hints.

``result.kinds`` (stable order), ``result.changed``, ``merge(*results)`` (the findings of a
    title and a body together), ``kinds_of(findings)``, ``explain(findings, where="question")``
    (what was masked and why, for the page) and ``describe(kinds)`` ("a payment card number and
    a password"). ``detect(text)`` is ``mask_account_data(text).kinds``.

What is found, and how (see SECURITY.md for the threat model):

- Card numbers: 13-19 digits in one run or in groups of three or more digits joined by the
  same separator (spaces of any kind including non-breaking and thin spaces, a newline, ``-``,
  ``.``, ``/``, Markdown emphasis such as ``**4111** 1111``), any Unicode decimal digits
  (full-width ``４１１１``). A candidate counts only when it has a card brand's prefix and
  length and passes python-stdnum's Luhn check, and is not: glued to letters (``pii/S00236…``),
  inside a URL or an email address, the fraction of a decimal number, a phone number (``+``), part of a longer
  number grouped the same way (a tracking number), or labelled as an order, tracking, serial,
  IMEI, invoice or reference number. Mask: ``•••• 1111``.
- IBANs: a country code with its registered IBAN length, BBAN format and mod-97 check digits
  (python-stdnum), written compact or grouped with spaces, ``-`` or ``.``. Mask: ``GB•• •••• 5432``.
- Account numbers, sort codes and routing numbers: six or more digits right after a keyword
  ("account number", "acct #", "sort code", ...). Mask: ``•••• 5678``.
- Social security numbers after their keyword (mask ``•••-••-6789``) and passwords or PINs
  after theirs when the value has a digit or symbol (mask ``••••••••``).

Linear time: digit runs, IBAN starts and keywords are found by regular expressions with no
nested quantifiers, and each candidate is examined in a window of bounded size, so the work
is proportional to the length of the text (bench/privacy_scan.py measures it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from stdnum import iban as _stdnum_iban
from stdnum import luhn as _stdnum_luhn

CARD = "card"
IBAN = "iban"
SSN = "ssn"
ACCOUNT_NUMBER = "account_number"
PASSWORD = "password"

# The order kinds are reported in, and which wins when two findings overlap.
KIND_ORDER = (CARD, IBAN, SSN, ACCOUNT_NUMBER, PASSWORD)
_OVERLAP_PRIORITY = {IBAN: 0, CARD: 1, SSN: 2, ACCOUNT_NUMBER: 3, PASSWORD: 4}

LABELS = {
    CARD: "a payment card number",
    IBAN: "a bank account number (IBAN)",
    SSN: "a social security number",
    ACCOUNT_NUMBER: "an account number",
    PASSWORD: "a password",
}

MASK_CHAR = "•"
# The hard ceiling of one scan. Fields are bounded far below this (a question body is 20,000
# characters); this only guards a caller that forgot to bound its input.
MAX_SCAN_CHARS = 100_000


class TextTooLong(ValueError):
    """The text is longer than the caller's bound; ``str(exc)`` is a message for the writer."""

    def __init__(self, message: str, *, max_chars: int, length: int):
        super().__init__(message)
        self.max_chars = max_chars
        self.length = length


def check_length(text: str, *, max_chars: int, what: str = "text") -> str:
    """Return ``text`` when it has at most ``max_chars`` characters, else raise TextTooLong
    with a message for the writer. Apply it (or a form's max_length) before scanning."""
    text = text or ""
    if len(text) > max_chars:
        raise TextTooLong(
            f"Keep the {what} under {max_chars:,} characters (it has {len(text):,}).",
            max_chars=max_chars,
            length=len(text),
        )
    return text


def clip(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` characters: for previews and hints, where cutting is fine."""
    return (text or "")[:max_chars]


@dataclass(frozen=True)
class Finding:
    """One piece of account data: its kind, where it was in the scanned text and its mask."""

    kind: str
    start: int
    end: int
    mask: str


@dataclass(frozen=True)
class MaskResult:
    """The masked text and what was masked in it (empty when nothing was)."""

    text: str
    findings: tuple[Finding, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.findings)

    @property
    def kinds(self) -> list[str]:
        return kinds_of(self.findings)

    @property
    def masks(self) -> list[str]:
        return [finding.mask for finding in self.findings]

    def __bool__(self) -> bool:
        """True when something was masked."""
        return bool(self.findings)


def kinds_of(findings) -> list[str]:
    """The kinds among ``findings``, each once, in KIND_ORDER."""
    found = {finding.kind for finding in findings}
    return [kind for kind in KIND_ORDER if kind in found]


def merge(*results: MaskResult) -> list[Finding]:
    """All findings of several results (say a title's and a body's), in order."""
    return [finding for result in results for finding in result.findings]


# --- Characters -----------------------------------------------------------------------------

# Markdown emphasis and invisible characters that may sit between digit groups, ignored.
_IGNORED = frozenset("*_`~\u200b\u200c\u200d\u2060\ufeff\u00ad")
# Punctuation that may separate digit groups; dashes are one style.
_SEPARATORS = {
    "-": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    ".": ".",
    "\u00b7": ".",
    "/": "/",
}
_MAX_GAP = 6
_URL_CHARS = frozenset("/=?&@")


def _ascii_digits(run: str) -> str:
    if run.isascii():
        return run
    return "".join(str(unicodedata.decimal(char)) for char in run)


@lru_cache(maxsize=1024)
def _gap_style(gap: str) -> str | None:
    """How two digit groups are joined: " " (white space), "-", "." or "/"; None when the gap
    does not join them (a word, two separators, a blank line, or too long)."""
    if len(gap) > _MAX_GAP:
        return None
    style = ""
    for char in gap:
        if char in _IGNORED or char.isspace():
            continue
        separator = _SEPARATORS.get(char)
        if separator is None or style:
            return None
        style = separator
    # One line break joins (a number wrapped at the end of a line); a blank line does not.
    if (gap.count("\n") or gap.count("\r")) + gap.count("\u2028") + gap.count("\u2029") > 1:
        return None
    return style or " "


# --- Card numbers ---------------------------------------------------------------------------

_CARD_MIN, _CARD_MAX = 13, 19
_NOT_A_CARD_LABEL = re.compile(
    r"\b(?:imei|meid|iccid|esn|serial|s/n|sn|order|tracking|track|shipment|parcel|invoice|inv|"
    r"ref|reference|ticket|case|isbn|ean|upc|gtin|asin|build|version|ver|policy|confirmation|"
    r"booking|awb|waybill|pnr|transaction|txn|receipt)\W{0,3}(?:no|nr|num|number|id|code)?\.?\W{0,3}$"
)
_LABEL_WINDOW = 32
_TOKEN_WINDOW = 80


def card_brand(digits: str) -> str | None:
    """The card scheme whose prefix (IIN) and length ``digits`` has, or None. Not a check
    digit test: only ranges and lengths the schemes publish."""
    length = len(digits)
    if not _CARD_MIN <= length <= _CARD_MAX:
        return None
    first = digits[0]
    two = int(digits[:2])
    four = int(digits[:4])
    if first == "4":
        return "visa" if length in (13, 16, 19) else None
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "mastercard" if length == 16 else None
    if two in (34, 37):
        return "amex" if length == 15 else None
    if 300 <= int(digits[:3]) <= 305 or two in (36, 38, 39):
        return "diners" if length >= 14 else None
    if 3528 <= four <= 3589:
        return "jcb" if length >= 16 else None
    if 2200 <= four <= 2204:
        return "mir" if length >= 16 else None
    if four == 6011 or two == 65 or 644 <= int(digits[:3]) <= 649:
        return "discover" if length >= 16 else None
    if two == 62:
        return "unionpay" if length >= 16 else None
    if two == 50 or 56 <= two <= 69:
        return "maestro"
    return None


@lru_cache(maxsize=4096)
def luhn_ok(digits: str) -> bool:
    """python-stdnum's Luhn check."""
    return _stdnum_luhn.is_valid(digits)


def _is_card(digits: str) -> bool:
    return card_brand(digits) is not None and len(set(digits)) > 1 and luhn_ok(digits)


def _card_context_ok(text: str, start: int, end: int) -> bool:
    """False when the digits at text[start:end] are an identifier rather than a card number:
    glued to letters, a decimal fraction, a phone number, inside a URL, or labelled."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before.isalpha() or after.isalpha() or before == "+" or after == "@":
        return False
    if before in ".," and start >= 2 and text[start - 2].isdigit():
        return False
    if after in ".," and end + 1 < len(text) and text[end + 1].isdigit():
        return False
    if start >= 2 and before.isspace() and text[start - 2] == "+":
        return False
    # The rest of the word in front: a URL path or query ("…/pii/", "?id=") makes it an id.
    for char in reversed(text[max(0, start - _TOKEN_WINDOW) : start]):
        if char.isspace():
            break
        if char in _URL_CHARS:
            return False
    label = text[max(0, start - _LABEL_WINDOW) : start].lower()
    return _NOT_A_CARD_LABEL.search(label) is None


def _card_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a card's span over Markdown emphasis around it when the emphasis is also inside
    it, so masking ``**4111** 1111 …`` leaves no stray ``**``."""
    if not any(char in _IGNORED for char in text[start:end]):
        return start, end
    while start and text[start - 1] in _IGNORED:
        start -= 1
    while end < len(text) and text[end] in _IGNORED:
        end += 1
    return start, end


def _card_candidate(text: str, runs: list[tuple[int, int, str]]) -> Finding | None:
    digits = _ascii_digits("".join(run[2] for run in runs))
    start, end = runs[0][0], runs[-1][1]
    if not _is_card(digits) or not _card_context_ok(text, start, end):
        return None
    start, end = _card_span(text, start, end)
    return Finding(CARD, start, end, f"{MASK_CHAR * 4} {digits[-4:]}")


def _card_in_segment(text: str, segment: list[tuple[int, int, str]], total: int) -> Finding | None:
    """The card in a segment (digit groups joined by one separator style), if any: the whole
    segment, or the segment without its last group of three or four digits (a card followed
    by its CVV or expiry)."""
    finding = None
    if _CARD_MIN <= total <= _CARD_MAX:
        finding = _card_candidate(text, segment)
    if finding is None and len(segment) > 1:
        last = len(segment[-1][2])
        if last <= 4 and _CARD_MIN <= total - last <= _CARD_MAX:
            finding = _card_candidate(text, segment[:-1])
    return finding


_DIGIT_RUN_ASCII = re.compile(r"([0-9]{3,})")
_DIGIT_RUN_ANY = re.compile(r"(\d{3,})")
_LONGEST_SEGMENT = _CARD_MAX + 4  # a card and its CVV or expiry


def _find_cards(text: str) -> list[Finding]:
    """One pass over the digit groups (runs of three or more digits) in order. Groups joined
    by the same separator style form a segment; a segment longer than a card and its CVV is a
    longer number (a tracking number, an id) and is skipped to its end, so digits grouped the
    same way on either side never make a card out of its middle."""
    parts = (_DIGIT_RUN_ASCII if text.isascii() else _DIGIT_RUN_ANY).split(text)
    findings: list[Finding] = []
    styles: dict[str, str | None] = {}
    segment: list[tuple[int, int, str]] = []
    total = 0
    style: str | None = None
    skipping = False  # inside a stretch too long to be a card
    position = 0
    for index in range(1, len(parts), 2):
        gap = parts[index - 1]
        run = parts[index]
        size = len(run)
        start = position + len(gap)
        position = start + size
        if segment or skipping:
            gap_style = styles.get(gap, "?")
            if gap_style == "?":
                gap_style = styles[gap] = _gap_style(gap)
            if gap_style is not None and (style is None or gap_style == style):
                style = gap_style
                if skipping or size > _CARD_MAX or total + size > _LONGEST_SEGMENT:
                    skipping, segment = True, []
                else:
                    segment.append((start, position, run))
                    total += size
                continue
            if segment:
                finding = _card_in_segment(text, segment, total)
                if finding is not None:
                    findings.append(finding)
            skipping, style = False, None
        if size > _CARD_MAX:
            segment, total = [], 0
        else:
            segment, total = [(start, position, run)], size
    if segment:
        finding = _card_in_segment(text, segment, total)
        if finding is not None:
            findings.append(finding)
    return findings


# --- IBANs ----------------------------------------------------------------------------------

_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}")
_IBAN_STRETCH = re.compile(r"[A-Za-z0-9 \u00a0\u2007\u2009\u202f.\-]+")
_IBAN_SEPARATORS = " \u00a0\u2007\u2009\u202f.-"


def _compact(value: str) -> str:
    """``value`` without IBAN separators, upper case (str.split and replace: C speed)."""
    return "".join(value.split()).replace("-", "").replace(".", "").upper()
_STRUCTURE = re.compile(r"([1-9][0-9]*)!([nac])")
_STRUCTURE_CLASSES = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}


def _iban_formats() -> dict[str, tuple[int, re.Pattern[str]]]:
    """Country code -> (IBAN length, BBAN pattern), from python-stdnum's IBAN registry."""
    formats = {}
    for _length, low, high, props, _children in _stdnum_iban._ibandb.prefixes:
        bban = props.get("bban")
        if low != high or len(low) != 2 or not bban:
            continue
        parts = _STRUCTURE.findall(bban)
        pattern = "".join(f"{_STRUCTURE_CLASSES[kind]}{{{count}}}" for count, kind in parts)
        formats[low] = (4 + sum(int(count) for count, _kind in parts), re.compile(pattern))
    return formats


_IBAN_FORMATS = _iban_formats()


# Letters as the numbers ISO 13616 gives them (A=10 ... Z=35), for the pre-check below.
_IBAN_LETTER_VALUES = str.maketrans({chr(ord("A") + i): str(10 + i) for i in range(26)})


@lru_cache(maxsize=4096)
def iban_ok(candidate: str) -> bool:
    """python-stdnum's IBAN check: mod 97, the country's registered format and its national
    check digits. ``candidate`` may have spaces, dashes or dots.

    stdnum's check is pure Python per character; scanning text, most IBAN-shaped candidates
    fail, so the mod-97 arithmetic is first done once with C-speed string methods to spare
    stdnum the certain failures. stdnum alone decides what passes."""
    compact = _compact(candidate)
    if not 15 <= len(compact) <= 34 or not compact.isalnum() or not compact.isascii():
        return False
    if int((compact[4:] + compact[:4]).translate(_IBAN_LETTER_VALUES)) % 97 != 1:
        return False
    return _stdnum_iban.is_valid(compact)


def _iban_end(text: str, start: int, stop: int, length: int) -> int | None:
    """Where the ``length``-th IBAN character after ``start`` ends, with at most one separator
    between characters; None when the characters run out first or run on without a break."""
    seen, end, gap = 0, start, 0
    for position in range(start, stop):
        if text[position] in _IBAN_SEPARATORS:
            gap += 1
            if gap > 1:
                break
            continue
        if seen == length:
            break
        gap = 0
        seen += 1
        end = position + 1
    if seen < length or (end < len(text) and text[end].isalnum()):
        return None
    return end


def _find_ibans(text: str) -> list[Finding]:
    """Each place a country code and two digits start a word is checked once: the next
    characters (separators dropped) must have that country's IBAN length and BBAN format, then
    python-stdnum's checks. A start inside the first ``length`` characters of a candidate
    already examined is not tried again, so the work stays proportional to the text."""
    findings: list[Finding] = []
    resume = 0
    search = _IBAN_START.search
    while (match := search(text, resume)) is not None:
        start = match.start()
        resume = start + 1
        known = _IBAN_FORMATS.get(text[start : start + 2].upper())
        if known is None:
            continue
        length, bban = known
        stretch = _IBAN_STRETCH.match(text, start, min(len(text), start + 2 * length + 8))
        compact = _compact(stretch.group())
        if len(compact) < length:
            resume = stretch.end()  # every start inside this stretch is shorter still
            continue
        resume = start + length
        if not bban.fullmatch(compact, 4, length):
            continue
        candidate = compact[:length]
        if not iban_ok(candidate):
            continue
        end = _iban_end(text, start, stretch.end(), length)
        if end is None:
            continue
        mask = f"{candidate[:2]}{MASK_CHAR * 2} {MASK_CHAR * 4} {candidate[-4:]}"
        findings.append(Finding(IBAN, start, end, mask))
        resume = end
    return findings


# --- Numbers and secrets after a keyword ----------------------------------------------------

_ACCOUNT_RE = re.compile(
    r"\b(?:bank[ \t]account|account|acct|a/c|customer|routing|sort[ \t]?code)"
    r"(?:[ \t]{0,3}(?:number|num|no\.?|nr\.?|#))?"
    r"[ \t]{0,3}(?:is[ \t]{1,3}|was[ \t]{1,3})?[:#=]?[ \t]{0,3}"
    r"(\d[\d \-.]{4,28}\d)",
    re.IGNORECASE,
)
_SSN_RE = re.compile(
    r"\b(?:ssn|social[ \t]security(?:[ \t](?:number|no\.?))?)\b[^\w\n]{0,5}(?:is[ \t]{1,3})?"
    r"(\d{3})[- ]?(\d{2})[- ]?(\d{4})\b",
    re.IGNORECASE,
)
_PASSWORD_RE = re.compile(
    r"\b(?:password|passwd|passcode|pwd|pin)[ \t]{0,3}(?:is|was|=|:)[ \t]{0,3}[\"'`]?(\S{4,64})",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?)\"'`*_"


# Where an account number's value stops: two separators in a row, or a full stop before a
# non-digit ("… 12345678. 2 items").
_VALUE_END = re.compile(r"[ \-.]{2}|\.(?=\D)")


def _find_account_numbers(text: str) -> list[Finding]:
    findings = []
    for match in _ACCOUNT_RE.finditer(text):
        value = match.group(1)
        cut = _VALUE_END.search(value)
        if cut is not None:
            value = value[: cut.start()].rstrip(" -.")
        digits = _ascii_digits("".join(char for char in value if char.isdigit()))
        if 6 <= len(digits) <= 24:
            start = match.start(1)
            findings.append(Finding(ACCOUNT_NUMBER, start, start + len(value), f"{MASK_CHAR * 4} {digits[-4:]}"))
    return findings


def _find_ssns(text: str) -> list[Finding]:
    findings = []
    for match in _SSN_RE.finditer(text):
        area, group, serial = match.groups()
        if area not in {"000", "666"} and not area.startswith("9") and group != "00" and serial != "0000":
            mask = f"{MASK_CHAR * 3}-{MASK_CHAR * 2}-{_ascii_digits(serial)}"
            findings.append(Finding(SSN, match.start(1), match.end(3), mask))
    return findings


def _find_passwords(text: str) -> list[Finding]:
    # "my password is not working" is a question, "password: hunter22" is a secret: count only
    # values with a digit or a symbol in them (and never our own mask).
    findings = []
    for match in _PASSWORD_RE.finditer(text):
        value = match.group(1).rstrip(_TRAILING_PUNCTUATION)
        if len(value) < 4 or all(char.isalpha() or char == MASK_CHAR for char in value):
            continue
        start = match.start(1)
        findings.append(Finding(PASSWORD, start, start + len(value), MASK_CHAR * 8))
    return findings


# --- The scan -------------------------------------------------------------------------------

_ANY_DIGIT = re.compile(r"\d")
_ACCOUNT_WORDS = ("account", "acct", "a/c", "customer", "routing", "sort")
_SSN_WORDS = ("ssn", "social")
_PASSWORD_WORDS = ("pass", "pwd", "pin")


def mask_account_data(text: str, *, max_chars: int = MAX_SCAN_CHARS) -> MaskResult:
    """``text`` with its account data masked, and what was masked. See the module docstring.

    Raises TextTooLong when ``text`` is longer than ``max_chars`` (at most MAX_SCAN_CHARS).
    """
    if not text:
        return MaskResult(text or "")
    check_length(text, max_chars=min(max_chars, MAX_SCAN_CHARS))
    found: list[Finding] = []
    # Each finder runs only when what it looks for can be there: one cheap pass each.
    lower = text.lower()
    if _ANY_DIGIT.search(text):
        found += _find_ibans(text)
        found += _find_cards(text)
        if any(word in lower for word in _ACCOUNT_WORDS):
            found += _find_account_numbers(text)
        if any(word in lower for word in _SSN_WORDS):
            found += _find_ssns(text)
    if any(word in lower for word in _PASSWORD_WORDS):
        found += _find_passwords(text)
    if not found:
        return MaskResult(text)
    found.sort(key=lambda finding: (finding.start, _OVERLAP_PRIORITY[finding.kind], -finding.end))
    kept: list[Finding] = []
    for finding in found:
        if not kept or finding.start >= kept[-1].end:
            kept.append(finding)
    pieces, position = [], 0
    for finding in kept:
        pieces.append(text[position : finding.start])
        pieces.append(finding.mask)
        position = finding.end
    pieces.append(text[position:])
    return MaskResult("".join(pieces), tuple(kept))


def detect(text: str, *, max_chars: int = MAX_SCAN_CHARS) -> list[str]:
    """The kinds of account data found in ``text``, in a stable order; empty when none."""
    return mask_account_data(text, max_chars=max_chars).kinds


def describe(kinds: list[str]) -> str:
    """'a payment card number and a password' for messages shown to the author."""
    labels = [LABELS.get(kind, kind) for kind in kinds]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def explain(findings: list[Finding] | tuple[Finding, ...], *, where: str = "text") -> str:
    """What was masked in the writer's ``where`` and why, for the page ("" when nothing was)."""
    if not findings:
        return ""
    kinds = kinds_of(findings)
    shown = ", ".join(dict.fromkeys(finding.mask for finding in findings))
    why = "never post card numbers, bank details or passwords here: our staff can see your account without them"
    if kinds == [PASSWORD]:
        why = "never post passwords here: our staff will never ask for one"
    return f"We masked {describe(kinds)} in your {where} before saving it (it now shows {shown}). Please {why}."
