"""Full-text search and trigram suggestions on PostgreSQL; nothing on other databases.

community_thread.search_vector is a stored generated tsvector column (title weighted A, body
weighted B, english configuration), kept up to date by PostgreSQL itself on every write, with a
GIN index that the search query uses (`search_vector @@ websearch_to_tsquery(...)`, checked with
EXPLAIN). It is not a model field: community.search refers to it by name. A trigram GIN index
on the title serves the similar-question suggestions (pg_trgm's `%` operator).
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    ALTER TABLE community_thread ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B')
    ) STORED
    """,
    "CREATE INDEX thread_search_vector ON community_thread USING gin (search_vector)",
    "CREATE INDEX thread_title_trgm ON community_thread USING gin (title gin_trgm_ops)",
]

BACKWARD = [
    "DROP INDEX IF EXISTS thread_title_trgm",
    "DROP INDEX IF EXISTS thread_search_vector",
    "ALTER TABLE community_thread DROP COLUMN IF EXISTS search_vector",
    # pg_trgm stays: other database objects may use it, and it is harmless.
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0002_flags_revisions_settings"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
