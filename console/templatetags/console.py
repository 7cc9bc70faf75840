from django import template

from console.permissions import shows_manage_link

register = template.Library()


@register.simple_tag(takes_context=True)
def can_open_manage(context) -> bool:
    """For the header's member menu: whether to link to /manage/ (cached, see permissions)."""
    request = context.get("request")
    return shows_manage_link(request) if request is not None else False


@register.filter
def minutes(value) -> str:
    """4320 -> "3 days": escalation timers in words."""
    from console.charts import humanize_minutes

    try:
        return humanize_minutes(int(value))
    except (TypeError, ValueError):
        return ""
