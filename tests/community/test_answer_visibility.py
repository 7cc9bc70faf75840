"""Answer.is_visible_to (used by the vote endpoint on a row it read in SQL) is the same rule
as Answer.objects.visible_to, for every viewer and every state of the answer."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from community import services
from community.models import Answer
from tests.factories import StaffFactory, UserFactory


@pytest.mark.parametrize("deleted, hidden", list(itertools.product([False, True], repeat=2)))
def test_the_loaded_row_and_the_queryset_agree(member, category, deleted, hidden):
    thread = services.ask_question(author=member, category=category, title="Sync stopped", body="It stopped.", tags=[])
    author = UserFactory()
    answer = services.post_answer(author=author, thread=thread, body="Sign out and in again.")
    Answer.objects.filter(pk=answer.pk).update(is_deleted=deleted, is_hidden=hidden)
    answer.refresh_from_db()
    inactive_author = UserFactory(is_active=False)
    viewers = [AnonymousUser(), UserFactory(), author, StaffFactory(), inactive_author, member]
    for viewer in viewers:
        expected = Answer.objects.visible_to(viewer).filter(pk=answer.pk).exists()
        assert answer.is_visible_to(viewer) is expected, (viewer, deleted, hidden)
