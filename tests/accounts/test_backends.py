"""The backends load the signed-in member with a prepared statement (accounts/backends.py):
the same user the ORM would load, and none where Django's backend gives none."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.backends import AuthenticationBackend, ModelBackend, load_user
from tests.factories import DEFAULT_PASSWORD, UserFactory


def test_loads_every_field_as_the_orm_does(db):
    member = UserFactory(time_zone="Europe/Paris", is_staff=True)
    member.last_login = timezone.now()
    member.save()
    type(member).objects.filter(pk=member.pk).update(points=42)

    loaded, expected = load_user(str(member.pk)), get_user_model().objects.get(pk=member.pk)

    for field in get_user_model()._meta.concrete_fields:
        value = getattr(loaded, field.attname)
        assert value == getattr(expected, field.attname), field.name
        assert type(value) is type(getattr(expected, field.attname)), field.name
    assert loaded._state.adding is False and loaded._state.db == "default"
    assert loaded.last_login.tzinfo is not None
    assert loaded.is_staff is True and loaded.points == 42
    assert loaded.check_password(DEFAULT_PASSWORD)


def test_no_user_for_unknown_or_malformed_ids(db):
    member = UserFactory()
    for user_id in (str(member.pk + 1000), "not-a-number", "", None, "1 OR 1=1"):
        assert load_user(user_id) is None


def test_inactive_members_are_not_signed_in(db):
    member = UserFactory(is_active=False)
    assert ModelBackend().get_user(str(member.pk)) is None
    assert AuthenticationBackend().get_user(str(member.pk)) is None
    member.is_active = True
    member.save()
    assert ModelBackend().get_user(str(member.pk)).pk == member.pk
    assert AuthenticationBackend().get_user(str(member.pk)).pk == member.pk


def test_signing_in_and_changing_the_password_elsewhere(client, db):
    member = UserFactory()
    assert client.login(email=member.email, password=DEFAULT_PASSWORD) or client.login(
        username=member.username, password=DEFAULT_PASSWORD)
    assert client.get("/").context["user"].pk == member.pk

    # A password changed in another session signs this one out, as with Django's backend.
    member.set_password("an entirely new passphrase 7")
    member.save()
    assert not client.get("/").context["user"].is_authenticated
