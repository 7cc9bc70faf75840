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

        # accounts can't import community: it masks display names through this hook.
        from accounts.hooks import register_text_masker
        from community import privacy

        def mask(text: str, *, max_chars: int):
            result = privacy.mask_account_data(text, max_chars=max_chars)
            return result.text, list(result.findings)

        register_text_masker(mask, explain=privacy.explain)
