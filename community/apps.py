from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Changes invalidate the pages cached for anonymous visitors (community.pagecache).
        from community import pagecache

        pagecache.connect()
        # Search's vocabulary for typo correction takes new public titles at once.
        from community import search

        search.connect()
