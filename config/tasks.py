"""The one way to queue a Celery task from code that may be inside a transaction."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from config.celery import app as celery_app

logger = logging.getLogger(__name__)


def _send(task: Any, args: tuple, kwargs: dict) -> None:
    """Hand the task to the broker. A broker that is down or answers strangely is logged and
    left behind: by now the transaction has committed and the request succeeded, and every
    task queued this way has a database path that catches up (escalation's sweep, the
    pending-mail run), so raising would only tell the member their saved post failed."""
    app = getattr(task, "app", None) or getattr(getattr(task, "type", None), "app", None)
    if app is not None and app.conf.task_always_eager:
        # Tests run tasks in-process: a task's own error must still surface there.
        task.delay(*args, **kwargs)
        return
    try:
        task.delay(*args, **kwargs)
    except Exception:
        name = getattr(task, "name", None) or getattr(task, "task", None) or repr(task)
        logger.exception("Could not queue %s%r; the periodic database sweep will do its work.", name, args)


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue ``task`` (a task or a signature) with these arguments once the current
    transaction commits; never raises for a broker that is unreachable (see _send).

    A task queued inside an open transaction can run before the rows it reads exist, or after
    they were rolled back; on_commit runs the callback at once when no transaction is open.
    Arguments must be primary keys and plain values, never model instances.
    """
    transaction.on_commit(lambda: _send(task, args, kwargs))


def task_named(name: str) -> Any:
    """The registered task called ``name``, for a module that queues a task which imports it
    back: importing the task would make an import cycle, so the name is the contract. Every
    app imports its tasks module in AppConfig.ready(), so every process has it registered.
    Used like the task itself: ``enqueue_on_commit(task_named(NAME), pk)``."""
    return celery_app.tasks[name]
