"""Markup typed into names, reasons and channel texts comes back inert on every /manage/ page
(SVG charts are ours: the checker allows the svg element but nothing that runs), and bad input
never gives a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services as accounts
from console import services
from kudos.models import Rank
from tests.factories import UserFactory
from tests.security.test_xss import PAYLOADS, UnsafeHTML

pytestmark = pytest.mark.django_db


def assert_inert(html: str, where: str) -> None:
    parser = UnsafeHTML(allow_svg=True)
    parser.feed(html)
    parser.close()
    assert not parser.problems, f"{where}: {parser.problems}"


@pytest.mark.parametrize("payload", PAYLOADS[:16])
def test_payloads_on_manage_pages_are_inert(payload, manager, manager_client, category):
    member = UserFactory()
    accounts.update_profile(user=member, display_name=payload[:60])
    services.award_points(actor=manager, member=member, points=70, reason=payload[:300], key="k")
    services.save_channel(actor=manager, channel_id=None,
                          values={"name": payload[:80], "instructions": payload, "link": "", "is_active": True,
                                  "position": 0})
    helper = Rank.objects.get(name="Helper")
    services.save_rank(actor=manager, rank_id=helper.pk, values={"description": payload[:200]})
    for url in (
        reverse("console:home"), reverse("console:ranks"), reverse("console:rank_edit", args=[helper.pk]),
        reverse("console:point_rules"), reverse("console:escalation"), reverse("console:members"),
        reverse("console:members") + "?q=" + payload[:100], reverse("console:member", args=[member.username]),
        reverse("console:audit"), reverse("console:audit") + "?q=" + payload[:100] + "&area=" + payload[:20],
    ):
        response = manager_client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode(), url)
    response = manager_client.post(reverse("console:rank_preview", args=[helper.pk]),
                                   {"name": payload[:40], "min_points": 60})
    assert_inert(response.content.decode(), "rank preview")
    response = manager_client.post(reverse("console:rank_edit", args=[helper.pk]),
                                   {"name": payload, "min_points": payload, "colour": payload})
    assert response.status_code == 400
    assert_inert(response.content.decode(), "rank form with errors")
    csv = manager_client.get(reverse("console:audit_csv")).content.decode()
    for line in csv.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "@")), cell


def test_nonsense_input_gets_a_4xx_with_reasons_never_a_500(manager_client, category):
    huge = "9" * 5000
    for url, data in (
        (reverse("console:rank_add"), {"name": "x" * 500, "min_points": huge, "colour": "red"}),
        (reverse("console:rank_add_preview"), {"min_points": "-5"}),
        (reverse("console:point_rules"), {"answer_upvoted": huge}),
        (reverse("console:point_rules_preview"), {"answer_upvoted": "abc"}),
        (reverse("console:policy_default"), {"answer_within": "0", "answer_within_unit": "weeks"}),
        (reverse("console:policy_preview"), {"answer_within": huge}),
        (reverse("console:channel_add"), {"name": "", "instructions": "x" * 9000, "link": "javascript:alert(1)"}),
        (reverse("console:flag_threshold"), {"flag_threshold": "0"}),
    ):
        response = manager_client.post(url, data)
        assert response.status_code in (200, 302, 400), (url, response.status_code)
    response = manager_client.post(reverse("console:flag_threshold"), {"flag_threshold": "500"})
    assert response.status_code == 400 and 'value="500"' in response.content.decode()
