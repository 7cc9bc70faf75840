from django import template
from django.urls import reverse
from django.utils.html import format_html

from kudos.selectors import rank_version

register = template.Library()


@register.simple_tag
def rank_stylesheet():
    """The <link> to the rank colours; the URL carries the table's version, so browsers keep
    it until an admin changes a rank."""
    return format_html('<link rel="stylesheet" href="{}?v={}">', reverse("kudos:ranks_css"), rank_version())
