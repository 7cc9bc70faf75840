"""Issue 13 §4: no name that passes for another member's or staff's (Unicode TR39 skeleton),
and no invisible or direction-changing characters in display names."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.names import clean_display_name, skeleton
from accounts.selectors import name_taken_by_lookalike
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase"


def sign_up(client, username: str, display_name: str = "", email: str = "new@example.com"):
    return client.post(
        reverse("account_signup"),
        {"email": email, "username": username, "display_name": display_name, "password1": PASSWORD, "password2": PASSWORD},
    )


@pytest.mark.parametrize(
    "name",
    ["ѕtaff", "Staff", "STAFF", "ｓｔａｆｆ", "ЅТАFF", "s\u200btaff", "st\u00adaff"],
)
def test_lookalikes_share_a_skeleton(name):
    assert skeleton(name) == skeleton("staff")


def test_different_names_keep_different_skeletons():
    assert len({skeleton(n) for n in ["staff", "staffer", "stuff", "alice", "bob"]}) == 5


def test_the_username_staff_with_a_cyrillic_s_is_refused_at_sign_up(client):
    StaffFactory(username="staff", display_name="Support Team")
    response = sign_up(client, "ѕtaff")
    assert response.status_code == 200
    assert "looks too much like another member" in response.content.decode()
    assert not get_user_model().objects.filter(email="new@example.com").exists()


def test_a_username_like_someones_display_name_is_refused(client):
    StaffFactory(username="jdoe", display_name="Helpdesk")
    response = sign_up(client, "HelpDesk")
    assert "looks too much like another member" in response.content.decode()


def test_a_display_name_like_staffs_is_refused_at_sign_up_keeping_what_was_typed(client):
    StaffFactory(username="jdoe", display_name="Peerdesk Support")
    response = sign_up(client, "newbie", display_name="Peerdesk Ѕupport")
    html = response.content.decode()
    assert "looks too much like another member" in html
    assert 'value="newbie"' in html
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_a_display_name_like_staffs_is_refused_on_the_profile_page(client, member):
    StaffFactory(username="jdoe", display_name="Peerdesk Support")
    client.force_login(member)
    response = client.post(reverse("accounts:edit_profile"), {"display_name": "PEERDESK SUPPORT"})
    assert "looks too much like another member" in response.content.decode()
    member.refresh_from_db()
    assert member.display_name != "PEERDESK SUPPORT"


def test_bidi_overrides_and_zero_width_characters_are_stripped_from_display_names(client, member):
    client.force_login(member)
    response = client.post(reverse("accounts:edit_profile"), {"display_name": "Jo\u200bhn \u202eSmith\u202c\u2066"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.display_name == "John Smith"
    assert clean_display_name("\u202effats") == "ffats"


def test_a_username_with_invisible_characters_is_refused(client):
    response = sign_up(client, "new\u200bbie")
    assert response.status_code == 200
    assert not get_user_model().objects.filter(email="new@example.com").exists()


def test_keeping_ones_own_name_in_another_case_is_fine(client, member):
    client.force_login(member)
    response = client.post(reverse("accounts:edit_profile"), {"display_name": member.username.upper()})
    assert response.status_code == 302


def test_an_ordinary_sign_up_still_works(client):
    UserFactory(username="alice")
    assert sign_up(client, "bob", display_name="Bob B").status_code == 302


def test_the_service_refuses_a_lookalike_too(member):
    StaffFactory(username="staff")
    with pytest.raises(ValidationError):
        services.update_profile(user=member, display_name="ѕtaff")


def test_the_lookalike_check_is_one_query():
    UserFactory(username="staff")
    with CaptureQueriesContext(connection) as queries:
        assert name_taken_by_lookalike("ѕtaff")
    assert len(queries) == 1
    assert "skeleton" in queries[0]["sql"]
