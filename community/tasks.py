from celery import shared_task


@shared_task
def rebuild_search_words() -> int:
    """Beat, every SEARCH_WORDS_SECONDS: search's typo vocabulary from the listed titles."""
    from community.search import rebuild_search_words as rebuild

    return rebuild()
