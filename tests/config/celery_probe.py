"""A Celery worker entry point for tests/config/test_worker_reconnect.py: the project's own
Celery app (config.celery, with the production broker settings) plus one probe task that
leaves a file behind, so a test can see that a worker ran a task without any database."""

from pathlib import Path

from config.celery import app


@app.task(name="tests.config.probe")
def probe(path: str) -> None:
    Path(path).write_text("ran")
