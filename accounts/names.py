"""Names people pick (usernames, display names) and how to tell when one impersonates another.

``skeleton`` follows Unicode TR39's confusable skeleton, with case folded: "ѕtaff" (Cyrillic
ѕ), "Staff", "STAFF" and "ｓｔａｆｆ" all become "staff". The prototype table comes from the
confusables data shipped with confusable-homoglyphs (built from Unicode's confusables.txt).
Pure functions, no Django: the User model stores each name's skeleton in an indexed column, so
"does anyone already look like this?" is one indexed query (accounts.selectors).
"""

from __future__ import annotations

import functools
import unicodedata

NAME_MAX_LENGTH = 60

# Bidirectional controls (embeddings, overrides, isolates, marks): they let a name display as
# something other than what it is ("‮ffats" shows as "staff").
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Default-ignorable code points outside category Cf that render as nothing.
_INVISIBLE_EXTRA = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))  # variation selectors
)


def is_invisible(char: str) -> bool:
    """Characters that change how text is displayed without showing: zero-width spaces and
    joiners, bidi controls, soft hyphens, variation selectors (Unicode default-ignorables)."""
    return char in BIDI_CONTROLS or char in _INVISIBLE_EXTRA or unicodedata.category(char) in ("Cf", "Cc")


def strip_invisible(text: str) -> str:
    return "".join(ch for ch in text if not is_invisible(ch) or ch in "\t\n\r ")


def clean_display_name(name: str) -> str:
    """A display name as stored: NFKC, invisible and bidi characters removed, whitespace
    folded, at most NAME_MAX_LENGTH characters."""
    name = unicodedata.normalize("NFKC", name or "")
    name = strip_invisible(name)
    return " ".join(name.split())[:NAME_MAX_LENGTH]


@functools.lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """{character: its prototype} from the bidirectional confusables data.

    Every source in confusables.txt maps to exactly one prototype and prototypes are never
    sources, so the entries form stars: a prototype listing its sources, each source listing
    only its prototype. The prototype of a star is its member with the longest list (on a tie,
    two characters confusable only with each other, the smaller one), which every member of
    the star agrees on.
    """
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[str, str] = {}
    for char, entries in confusables_data.items():
        if len(char) != 1:
            continue
        candidates = [char] + [entry["c"] for entry in entries]
        best = max(candidates, key=lambda c: (len(confusables_data.get(c, ())), -len(c), _neg(c)))
        if best != char:
            table[char] = best
    return table


def _neg(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text)


def _map(text: str) -> str:
    table = _prototypes()
    return "".join(table.get(ch, ch) for ch in text)


def skeleton(name: str) -> str:
    """The form two names share when people would take one for the other: NFKC, invisible
    and bidi characters dropped, confusables mapped to their prototype, case folded, mapped
    again (a folded capital can have a prototype of its own), whitespace folded."""
    text = strip_invisible(unicodedata.normalize("NFKC", name or ""))
    text = _map(unicodedata.normalize("NFD", text))
    text = _map(unicodedata.normalize("NFD", text.casefold()))
    text = strip_invisible(unicodedata.normalize("NFKC", text)).casefold()
    return " ".join(text.split())[:150]
