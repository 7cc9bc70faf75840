"""Indexes for the deflection report on community's tables.

They serve only the report's queries (reports.selectors), so they live with the report rather
than in community's models; the names start with report_ and the migration state is untouched,
so community's makemigrations never sees them. Measured at 1,000,000 questions (docs in the
reports.selectors docstring): a 90-day report went from about 970 ms to about 170 ms.

PostgreSQL: covering indexes (INCLUDE) so every cohort query is an index-only scan, built
CONCURRENTLY so a large table keeps taking writes while they build (hence atomic = False).
SQLite (the laptop demo) has no INCLUDE: plain indexes on the same leading columns.
"""

from django.db import migrations

POSTGRES = [
    (
        "report_thread_cohort",
        "community_thread",
        "(created_at) INCLUDE (id, category_id, is_deleted, author_id, solution_id, first_answer_at, solved_at)",
    ),
    ("report_answer_created", "community_answer", "(created_at) INCLUDE (id, thread_id, author_id, is_deleted)"),
]
OTHER = [
    ("report_thread_cohort", "community_thread", "(created_at, category_id)"),
    ("report_answer_created", "community_answer", "(created_at)"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, table, columns in POSTGRES:
            schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {columns}")
    else:
        for name, table, columns in OTHER:
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns}")


def drop_indexes(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name, _table, _columns in POSTGRES:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("reports", "0001_initial"),
        ("community", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
