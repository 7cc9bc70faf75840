from django import template

from accounts.badges import badges_for

register = template.Library()


@register.inclusion_tag("accounts/_member.html")
def member(user, link: bool = True):
    """A member's name, linked to their profile, with their badges (rank, staff).

    Renders from the user row alone: pass users fetched with select_related, never ids.
    """
    return {"member": user, "badges": badges_for(user), "link": link}


@register.inclusion_tag("accounts/_member_badges_oob.html")
def member_badges(user):
    """The member's badges alone, as an htmx out-of-band swap of every [data-member-badges]
    of theirs on the page (community's vote and accept responses)."""
    return {"member": user, "badges": badges_for(user)}
