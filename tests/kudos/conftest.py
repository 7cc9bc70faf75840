import pytest

from community import services as community
from tests.factories import UserFactory


@pytest.fixture
def asker(db):
    return UserFactory()


@pytest.fixture
def answerer(db):
    return UserFactory()


@pytest.fixture
def voter(db):
    return UserFactory()


@pytest.fixture
def thread(asker, category):
    return community.ask_question(
        author=asker, category=category, title="The router keeps dropping Wi-Fi", body="Every evening around 8."
    )


@pytest.fixture
def answer(thread, answerer):
    return community.post_answer(author=answerer, thread=thread, body="Switch the channel to 36.")


def points_of(user) -> int:
    user.refresh_from_db(fields=["points"])
    return user.points
