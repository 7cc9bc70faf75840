"""reverse() once per URL pattern, then fill in the values: lists and thread pages link to
dozens of threads, categories and tags, and reversing each link was a tenth of a list rendered
from scratch.

``cached_reverse("community:thread", pk=7, slug="sync-stops")`` reverses the pattern once per
script prefix and URL configuration with placeholders (a number for an int argument, a word
for the others), and puts the values in. Only values made of letters, digits, "-" and "_" take
that path (they fit the slug and str converters, ints fit int, and reverse() would not quote
them); anything else goes through reverse() itself, so it raises NoReverseMatch or quotes
exactly as reverse() does.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse

_PLAIN = re.compile(r"[-a-zA-Z0-9_]{1,200}")


_NUMBER_SLOT = 10**15  # int arguments: a placeholder an int converter accepts


def _word_slot(index: int) -> str:
    return f"slot{index}x5eed"


@lru_cache(maxsize=128)
def _pattern(viewname: str, kinds: tuple[tuple[str, bool], ...], script_prefix: str, urlconf) -> str:
    kwargs = {
        name: _NUMBER_SLOT + index if is_int else _word_slot(index) for index, (name, is_int) in enumerate(kinds)
    }
    return reverse(viewname, kwargs=kwargs, urlconf=urlconf)


def cached_reverse(viewname: str, **kwargs) -> str:
    kinds = tuple((name, isinstance(value, int)) for name, value in kwargs.items())
    values = [str(value) for value in kwargs.values()]
    plain = all(_PLAIN.fullmatch(value) and "x5eed" not in value for value in values)
    if not plain or any(v < 0 for v in kwargs.values() if isinstance(v, int)):
        return reverse(viewname, kwargs=kwargs)
    url = _pattern(viewname, kinds, get_script_prefix(), get_urlconf())
    for index, ((_name, is_int), value) in enumerate(zip(kinds, values, strict=True)):
        url = url.replace(str(_NUMBER_SLOT + index) if is_int else _word_slot(index), value, 1)
    return url
