"""The kudos admin: rank preview before saving, point rules, read-only ledger."""

import pytest

from kudos.models import LedgerEntry, PointRule, Rank
from kudos.services import award_points
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _rank_post(rank, **changes):
    data = {
        "name": rank.name,
        "min_points": rank.min_points,
        "colour": rank.colour,
        "description": rank.description,
        "questions_per_day": rank.questions_per_day or "",
        "answers_per_day": rank.answers_per_day or "",
        "links_per_day": rank.links_per_day or "",
        "seconds_between_posts": rank.seconds_between_posts,
        "flag_weight": rank.flag_weight,
        "trusted_after_hours": rank.trusted_after_hours,
    }
    for flag in ("can_retag", "votes_move_points", "trust_needs_verified_email"):
        if getattr(rank, flag):
            data[flag] = "on"
    data.update(changes)
    return data


@pytest.fixture
def members_with_points(admin_user):
    for points in [0, 10, 60, 80, 150, 250]:
        member = UserFactory()
        if points:
            award_points(staff=admin_user, member=member, points=points, note="setup")


def test_rank_changelist_shows_members_in_each_rank(client, admin_user, members_with_points, django_assert_max_num_queries):
    client.force_login(admin_user)
    with django_assert_max_num_queries(8):
        response = client.get("/admin/kudos/rank/")
    counts = {row.name: row.members for row in response.context["cl"].result_list}
    # the admin itself has 0 points: New member
    assert counts == {"New member": 3, "Contributor": 3, "Helper": 1, "Expert": 0, "Super fan": 0}


def test_preview_shows_members_now_and_after_without_saving(client, admin_user, members_with_points):
    client.force_login(admin_user)
    contributor = Rank.objects.get(name="Contributor")

    response = client.post(
        f"/admin/kudos/rank/{contributor.pk}/change/", _rank_post(contributor, min_points=100, _preview="1")
    )

    assert response.status_code == 200
    rows = {row.name: (row.now, row.after) for row in response.context["rank_preview"]}
    assert rows["New member"] == (3, 5)
    assert rows["Contributor"] == (3, 1)
    assert rows["Helper"] == (1, 1)
    html = response.content.decode()
    assert "Preview: members per rank (nothing saved yet)" in html
    assert 'value="100"' in html  # what was typed stays in the form
    assert "Please correct the error" not in html
    contributor.refresh_from_db()
    assert contributor.min_points == 50


def test_preview_of_a_new_rank(client, admin_user, members_with_points):
    client.force_login(admin_user)
    response = client.post(
        "/admin/kudos/rank/add/",
        {"name": "Regular", "min_points": "70", "colour": "#1f5fbf", "seconds_between_posts": "0", "flag_weight": "1", "trusted_after_hours": "24", "_preview": "1"},
    )
    rows = {row.name: (row.now, row.after) for row in response.context["rank_preview"]}
    assert rows["Regular"] == (None, 2)
    assert rows["Contributor"] == (3, 1)
    assert not Rank.objects.filter(name="Regular").exists()


def test_saving_a_threshold_changes_badges_everywhere_at_once(client, admin_user):
    member = UserFactory(display_name="Badge Watcher")
    award_points(staff=admin_user, member=member, points=60, note="setup")
    assert "Contributor</span>" in client.get(member.get_absolute_url()).content.decode()

    client.force_login(admin_user)
    contributor = Rank.objects.get(name="Contributor")
    response = client.post(f"/admin/kudos/rank/{contributor.pk}/change/", _rank_post(contributor, min_points=100))
    assert response.status_code == 302
    client.logout()

    html = client.get(member.get_absolute_url()).content.decode()
    assert "New member</span>" in html and "Contributor</span>" not in html


def test_a_colour_too_light_to_read_is_refused(client, admin_user):
    client.force_login(admin_user)
    helper = Rank.objects.get(name="Helper")
    response = client.post(f"/admin/kudos/rank/{helper.pk}/change/", _rank_post(helper, colour="#ffee88"))
    assert response.status_code == 200
    assert "too light to read on white" in response.content.decode()
    helper.refresh_from_db()
    assert helper.colour == "#1f5fbf"


def test_point_rules_are_one_row_per_action_and_editable_but_not_deletable(client, admin_user):
    assert set(PointRule.objects.values_list("action", "points")) == {
        ("answer_upvoted", 10),
        ("answer_accepted", 15),
        ("accepted_an_answer", 2),
        ("me_too", 2),
    }
    client.force_login(admin_user)
    assert client.get("/admin/kudos/pointrule/").status_code == 200
    assert client.get("/admin/kudos/pointrule/add/").status_code == 403
    rule = PointRule.objects.get(action="answer_upvoted")
    assert client.get(f"/admin/kudos/pointrule/{rule.pk}/delete/").status_code == 403


def test_ledger_is_read_only_in_the_admin(client, admin_user, member):
    entry = award_points(staff=admin_user, member=member, points=5, note="x")
    client.force_login(admin_user)
    changelist = client.get("/admin/kudos/ledgerentry/")
    assert changelist.status_code == 200
    assert "/kudos/award/" in changelist.content.decode()
    assert client.get("/admin/kudos/ledgerentry/add/").status_code == 403
    assert client.post(f"/admin/kudos/ledgerentry/{entry.pk}/change/", {"points": "500"}).status_code == 403
    assert client.get(f"/admin/kudos/ledgerentry/{entry.pk}/delete/").status_code == 403
    assert LedgerEntry.objects.get().points == 5
