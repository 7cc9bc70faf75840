"""Staff and admins earn points with the job: they never stand on a member leaderboard."""

import pytest

from community import services
from kudos.selectors import leaderboard, place_of
from tests.factories import AdminFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("period", ["all", "30d"])
def test_staff_and_admins_never_appear_on_a_leaderboard(category, period):
    asker = UserFactory()
    helper = UserFactory(display_name="Helpful Member")
    staff = StaffFactory(display_name="Support Agent")
    admin = AdminFactory(display_name="Site Admin")
    thread = services.ask_question(author=asker, category=category, title="Export my calendar to CSV",
                                   body="How do I export everything?", tags="")
    for author in (helper, staff, admin):
        answer = services.post_answer(author=author, thread=thread, body="Settings, then Export.")
        services.upvote_answer(user=asker, answer=answer)

    for board in (leaderboard(period=period), leaderboard(period=period, category=category)):
        names = [standing.member.name for standing in board]
        assert "Helpful Member" in names
        assert "Support Agent" not in names and "Site Admin" not in names
    staff.refresh_from_db()
    assert staff.points > 0 and place_of(staff) is None
    helper.refresh_from_db()
    assert place_of(helper) == 1
