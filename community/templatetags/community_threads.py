from django import template
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag(takes_context=True)
def thread_notice(context, notice) -> str:
    """Render one community.hooks thread notice with the context its provider returned."""
    return render_to_string(notice["template_name"], notice["context"], request=context.get("request"))
