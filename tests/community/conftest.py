"""The question and answer the member page tests read (test_memberpage, test_ownpage); a module
with a thread of its own defines its own ``thread`` and ``answer`` fixtures, which take
precedence."""

import pytest

from community import services


@pytest.fixture
def thread(member, category):
    return services.ask_question(
        author=member, category=category, title="Sync stopped after the update", body="It stopped.", tags=["sync"]
    )


@pytest.fixture
def answer(thread, other_member):
    return services.post_answer(author=other_member, thread=thread, body="Sign out and in again.")
