"""The report's indexes moved from raw SQL (reports/migrations/0002) to Django indexes built by
community/migrations/0006: an install that already has them keeps them as they are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

LATEST = [("community", "0006_report_indexes")]
BEFORE = [("community", "0005_search_words")]
# What reports/migrations/0002 used to run, per database.
OLD_SQL = {
    "postgresql": "CREATE INDEX report_thread_cohort ON community_thread (created_at) INCLUDE "
    "(id, category_id, is_deleted, author_id, solution_id, first_answer_at, solved_at)",
    "sqlite": "CREATE INDEX report_thread_cohort ON community_thread (created_at, category_id)",
}


def _definition(name: str):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [name])
        row = cursor.fetchone()
    return row[0] if row else None


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_an_install_with_the_old_raw_sql_index_keeps_it_and_a_new_install_gets_it():
    try:
        _migrate(BEFORE)
        assert _definition("report_thread_cohort") is None
        with connection.cursor() as cursor:
            cursor.execute(OLD_SQL[connection.vendor])
        old = _definition("report_thread_cohort")
        _migrate(LATEST)
        assert _definition("report_thread_cohort") == old  # recorded, not rebuilt
        _migrate(BEFORE)
        _migrate(LATEST)  # a new install builds it
        built = _definition("report_thread_cohort")
        assert built is not None
        if connection.vendor == "postgresql":
            assert built == old  # the same covering index, now from Index(include=...)
    finally:
        # Every app back to its newest migration, not only up to the index: later migrations
        # (comments, images...) must be in place for the tests that run after this one.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
