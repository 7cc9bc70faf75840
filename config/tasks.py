"""The one way to queue a Celery task from code that may be inside a transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue ``task`` with these arguments once the current transaction commits.

    A task queued inside an open transaction can run before the rows it reads exist, or after
    they were rolled back; on_commit runs the callback at once when no transaction is open.
    Arguments must be primary keys and plain values, never model instances.
    """
    transaction.on_commit(lambda: task.delay(*args, **kwargs))
