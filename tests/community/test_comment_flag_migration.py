"""community/migrations/0009 (flags on comments, hidden comments) goes back and forth: back, it
forgets comment flags and keeps comments hidden by flags out of sight; forward again, the
constraints are in place and every other flag is as it was."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from community import moderation, services
from community.models import Flag
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("community", "0008_images")]
LATEST = [("community", "0009_comment_flags")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets[0]).apps


def _constraints(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def _columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {column.name for column in connection.introspection.get_table_description(cursor, table)}


def test_the_migration_goes_back_and_forth_keeping_hidden_comments_out_of_sight():
    category = CategoryFactory()
    asker, answerer = UserFactory(), UserFactory()
    thread = services.ask_question(author=asker, category=category, title="Sync stops after the update", body="Help.")
    answer = services.post_answer(author=answerer, thread=thread, body="Sign out and in again.")
    kept = services.post_comment(author=answerer, thread=thread, answer=answer, body="Did it help?")
    rude = services.post_comment(author=answerer, thread=thread, body="Rude words.")
    for user in UserFactory.create_batch(3):
        moderation.flag_post(user=user, post=rude, reason=Flag.Reason.RUDE)
    moderation.flag_post(user=asker, post=kept, reason=Flag.Reason.SPAM)
    thread_flag = moderation.flag_post(user=answerer, post=thread, reason=Flag.Reason.OFF_TOPIC)
    thread.refresh_from_db()
    assert thread.comment_count == 2
    try:
        apps = _migrate(BEFORE)

        assert "is_hidden" not in _columns("community_comment")
        assert "comment_id" not in _columns("community_flag")
        assert "flag_targets_exactly_one_post" in _constraints("community_flag")
        old_flags = apps.get_model("community", "Flag").objects
        assert list(old_flags.values_list("pk", flat=True)) == [thread_flag.pk]
        comments = apps.get_model("community", "Comment").objects
        assert comments.get(pk=rude.pk).is_deleted  # was hidden: nobody sees it after going back
        assert not comments.get(pk=kept.pk).is_deleted
        old_thread = apps.get_model("community", "Thread").objects.get(pk=thread.pk)
        assert (old_thread.comment_count, old_thread.version > thread.version) == (1, True)

        _migrate(LATEST)

        assert {"is_hidden"} <= _columns("community_comment")
        constraints = _constraints("community_flag")
        assert {"flag_targets_exactly_one_post_or_comment", "one_flag_per_user_and_comment"} <= constraints
        assert "flag_targets_exactly_one_post" not in constraints
        assert list(Flag.objects.values_list("pk", "thread_id")) == [(thread_flag.pk, thread.pk)]
        # The check holds: a flag names exactly one of question, answer, comment.
        with pytest.raises(IntegrityError), transaction.atomic():
            Flag.objects.create(user=asker, thread=thread, comment=kept, reason=Flag.Reason.SPAM)
        moderation.flag_post(user=asker, post=kept, reason=Flag.Reason.SPAM)
        with pytest.raises(IntegrityError), transaction.atomic():
            Flag.objects.create(user=asker, comment=kept, reason=Flag.Reason.RUDE)
    finally:
        # Every app back to its newest migration, for the tests that run after this one.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
