import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_profile_page_shows_the_member(client, member):
    response = client.get(reverse("accounts:profile", kwargs={"username": member.username}))
    assert response.status_code == 200
    assert member.display_name.encode() in response.content
    assert b"Edit profile" not in response.content


def test_unknown_member_is_404(client):
    assert client.get("/u/nobody-here/").status_code == 404


def test_member_edits_their_display_name(client, member):
    client.force_login(member)
    response = client.post(reverse("accounts:edit_profile"), {"display_name": "  Shiny   New Name "})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.display_name == "Shiny New Name"
    assert b"Shiny New Name" in client.get(member.get_absolute_url()).content


def test_edit_profile_needs_sign_in(client):
    response = client.get(reverse("accounts:edit_profile"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_display_name_is_escaped_on_the_profile(client, member):
    member.display_name = "<script>alert(1)</script>"
    member.save()
    response = client.get(member.get_absolute_url())
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


@pytest.mark.parametrize("username", ["ana", "ana.b+c@x-y_z", "zoë", "名前"])
def test_a_members_url_is_what_reverse_gives_and_opens_their_profile(client, username):
    from tests.factories import UserFactory

    user = UserFactory(username=username)
    url = user.get_absolute_url()
    assert url == reverse("accounts:profile", kwargs={"username": username})
    assert client.get(url).status_code == 200
