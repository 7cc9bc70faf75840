from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Changes invalidate the pages cached for anonymous visitors (community.pagecache).
        from accounts.profile import register_panel
        from community import pagecache
        from community.selectors import profile_activity

        pagecache.connect()
        # A member's own place: their questions, answers, solutions and what they follow.
        register_panel(
            key="community",
            template_name="community/_profile_activity.html",
            build_context=profile_activity,
            order=5,
            takes_params=True,
        )
