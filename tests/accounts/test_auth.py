import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_up_creates_member_with_display_name_and_signs_them_in(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "username": "newbie",
            "display_name": "New  Person",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="new@example.com")
    assert user.username == "newbie"
    assert user.display_name == "New Person"
    assert EmailAddress.objects.filter(user=user, email="new@example.com").exists()
    assert client.get("/").context["user"] == user


def test_sign_up_with_mismatched_passwords_keeps_what_was_typed(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "keep@example.com",
            "username": "keeper",
            "password1": "a-long-unusual-passphrase",
            "password2": "something-else-entirely",
        },
    )
    assert response.status_code == 200
    assert b"keep@example.com" in response.content
    assert not get_user_model().objects.filter(email="keep@example.com").exists()


def test_sign_in_with_email_and_sign_out(client, member):
    response = client.post(reverse("account_login"), {"login": member.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"] == member

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert not client.get("/").context["user"].is_authenticated


def test_sign_in_with_wrong_password_shows_an_error(client, member):
    response = client.post(reverse("account_login"), {"login": member.email, "password": "nope"})
    assert response.status_code == 200
    assert b"not correct" in response.content


def test_password_reset_mails_a_link_that_sets_a_new_password(client, member):
    response = client.post(reverse("account_reset_password"), {"email": member.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [member.email]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", message.body).group(1)

    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(form_url, {"password1": "brand-new-passphrase-9", "password2": "brand-new-passphrase-9"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("brand-new-passphrase-9")


def test_password_reset_for_unknown_email_answers_the_same_way(client, member):
    known = client.post(reverse("account_reset_password"), {"email": member.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
