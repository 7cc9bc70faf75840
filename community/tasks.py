"""Celery tasks of the community app: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from community import services


@shared_task(name="community.tasks.delete_stale_uploads")
def delete_stale_uploads() -> int:
    return services.delete_stale_uploads()


@shared_task
def rebuild_search_words() -> int:
    """Beat, every SEARCH_WORDS_SECONDS: search's typo vocabulary from the listed titles."""
    from community.search import rebuild_search_words as rebuild

    return rebuild()
