"""The deflection report's indexes as Django indexes (Index(include=...)), built without
locking writes (AddIndexConcurrently) on PostgreSQL.

They used to be raw SQL in reports/migrations/0002, which is now empty. Installs that ran it
already have both indexes under these names, with the same definition on PostgreSQL: this
migration then only records them in community's state and builds nothing. A new install builds
them here. SQLite has no INCLUDE, so there they are plain indexes on created_at.
"""

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyIfMissing(AddIndexConcurrently):
    """AddIndexConcurrently on PostgreSQL (plain AddIndex elsewhere) that leaves an index
    already present under its name alone, so an existing install is not rebuilt."""

    def _exists(self, schema_editor, model) -> bool:
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            return self.index.name in connection.introspection.get_constraints(cursor, model._meta.db_table)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self._exists(schema_editor, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("community", "0005_search_words"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrentlyIfMissing(
            model_name="answer",
            index=models.Index(
                fields=["created_at"], include=("id", "thread", "author", "is_deleted"), name="report_answer_created"
            ),
        ),
        AddIndexConcurrentlyIfMissing(
            model_name="thread",
            index=models.Index(
                fields=["created_at"],
                include=("id", "category", "is_deleted", "author", "solution", "first_answer_at", "solved_at"),
                name="report_thread_cohort",
            ),
        ),
    ]
