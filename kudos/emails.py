"""Emails kudos sends. Called from tasks, after the transaction that caused them committed."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from kudos.models import RankNotice


def send_rank_up_email(*, notice_id: int) -> int:
    """Tell a member by email that they reached a new rank. Returns the number sent (0 when
    the notice or the member's address is gone)."""
    notice = RankNotice.objects.select_related("user", "rank").filter(pk=notice_id).first()
    if notice is None or not notice.user.email or not notice.user.is_active:
        return 0
    context = {
        "member": notice.user,
        "rank_name": notice.rank_name,
        "rank": notice.rank,
        "site_name": getattr(settings, "SITE_NAME", "Peerdesk"),
    }
    body = render_to_string("kudos/email/rank_up.txt", context)
    subject = f"You reached the rank {notice.rank_name}"
    return send_mail(subject, body, None, [notice.user.email])
