from django import template
from django.utils.http import urlencode

from config.urlcache import cached_reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current page's query string with ``changes`` applied and the page number dropped
    (a changed filter starts again at page 1). A value of "" removes that parameter."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    for key, value in changes.items():
        if value in ("", None):
            params.pop(key, None)
        else:
            params[key] = value
    query = urlencode(sorted((k, v) for k, values in params.lists() for v in values[-1:]))
    return f"?{query}" if query else "?"


@register.simple_tag(takes_context=True)
def page_query(context, number) -> str:
    """The current query string pointing at page ``number``."""
    params = context["request"].GET.copy()
    params["page"] = number
    return "?" + urlencode(sorted((k, v) for k, values in params.lists() for v in values[-1:]))


@register.simple_tag
def flag_reason_choices():
    """The reasons a member can give when flagging a post: [(value, label), ...]."""
    from community.models import Flag

    return Flag.Reason.choices


@register.filter
def tag_url(tag) -> str:
    """A tag page's URL, reversed once rather than per link (config.urlcache)."""
    return cached_reverse("community:tag", tag=tag.slug)
