"""Members flag comments: Flag.comment, its one-flag-per-member constraint, the check that a
flag targets exactly one of question / answer / comment, and Comment.is_hidden.

Safe to run on PostgreSQL while the site serves:
- neither column rewrites a table: Flag.comment is nullable and Comment.is_hidden has a
  constant default (PostgreSQL 11+ stores it in the catalogue). The default stays in the
  database (db_default), so processes still on the previous release, which do not know the
  column, can go on inserting comments while a deploy rolls out;
- the check and the new unique index are built on the flag table only, which is small (flags
  are rare next to posts), so the locks they take last milliseconds;
- every lock is asked for with a short lock_timeout: when a long transaction holds the comment
  or flag table, the migration fails at once and can simply be run again, instead of queueing
  every request behind its ALTER TABLE.

Reversible. Going back forgets what the previous release cannot hold: flags on comments are
deleted (the check it restores allows none), and a comment still hidden by flags is
soft-deleted, as staff removing it would, so that going back shows it to no one.
"""

from collections import Counter

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F
from django.utils import timezone

LOCK_TIMEOUT = "5s"


class SetLockTimeout(migrations.RunSQL):
    """SET LOCAL lock_timeout for the rest of this migration's transaction on PostgreSQL, when
    the migration runs in ``direction`` ("forwards" or "backwards"); nothing otherwise. Put
    one first (forwards) and one last (backwards, since operations are undone in reverse)."""

    def __init__(self, timeout: str, *, direction: str):
        sql = f"SET LOCAL lock_timeout = '{timeout}'"
        super().__init__(sql, reverse_sql=sql, elidable=True)
        self.timeout, self.direction = timeout, direction

    def deconstruct(self):
        return self.__class__.__name__, [self.timeout], {"direction": self.direction}

    def _applies(self, schema_editor, direction: str) -> bool:
        return schema_editor.connection.vendor == "postgresql" and self.direction == direction

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if self._applies(schema_editor, "forwards"):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if self._applies(schema_editor, "backwards"):
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def forget_comment_flags(apps, schema_editor):
    """Backwards only: drop flags on comments and soft-delete comments still hidden by flags
    (the thread's comment count and version move as when a comment is deleted)."""
    Flag = apps.get_model("community", "Flag")
    Comment = apps.get_model("community", "Comment")
    Thread = apps.get_model("community", "Thread")
    Flag.objects.filter(comment__isnull=False).delete()
    hidden = Comment.objects.filter(is_hidden=True, is_deleted=False)
    per_thread = Counter(hidden.values_list("thread_id", flat=True))
    hidden.update(is_deleted=True, deleted_at=timezone.now())
    for thread_id, count in per_thread.items():
        Thread.objects.filter(pk=thread_id).update(
            comment_count=F("comment_count") - count, version=F("version") + 1
        )


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0008_images"),
    ]

    operations = [
        SetLockTimeout(LOCK_TIMEOUT, direction="forwards"),
        migrations.AddField(
            model_name="comment",
            name="is_hidden",
            field=models.BooleanField(
                db_default=False, default=False, help_text="Hidden by flags, pending staff review."
            ),
        ),
        migrations.AddField(
            model_name="flag",
            name="comment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="flags",
                to="community.comment",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="flag",
            name="flag_targets_exactly_one_post",
        ),
        # Backwards this runs after the new check is gone and before the old one is restored.
        migrations.RunPython(migrations.RunPython.noop, forget_comment_flags),
        migrations.AddConstraint(
            model_name="flag",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("answer__isnull", True), ("comment__isnull", True), ("thread__isnull", False)),
                    models.Q(("answer__isnull", False), ("comment__isnull", True), ("thread__isnull", True)),
                    models.Q(("answer__isnull", True), ("comment__isnull", False), ("thread__isnull", True)),
                    _connector="OR",
                ),
                name="flag_targets_exactly_one_post_or_comment",
            ),
        ),
        migrations.AddConstraint(
            model_name="flag",
            constraint=models.UniqueConstraint(
                condition=models.Q(("comment__isnull", False)),
                fields=("user", "comment"),
                name="one_flag_per_user_and_comment",
            ),
        ),
        SetLockTimeout(LOCK_TIMEOUT, direction="backwards"),
    ]
