"""{{ value|when }}, {{ value|when:"date" }} and {{ value|when:"abs" }}: the site's one way to show a moment, as a
<time> element (accounts.timezones.format_when). Loaded as a template builtin."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils.html import format_html

from accounts import timezones

register = template.Library()


@register.filter(is_safe=True)
def when(value, arg: str = ""):
    if not value:
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), value.strftime(timezones.DATE_FORMAT))
    style = arg if arg in ("date", "abs") else "auto"
    return format_html(
        '<time datetime="{}" title="{}" data-when="{}">{}</time>',
        value.isoformat(),
        timezones.format_full(value),
        style,
        timezones.format_when(value, style=style),
    )
