import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory


@pytest.fixture
def manager(db):
    user = UserFactory(username="manager")
    user.groups.add(Group.objects.get(name="Community managers"))
    return user


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client
