from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Community management"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from console import receivers

        receivers.connect()

        from community.hooks import register_viewer_facts
        from console.permissions import VERSION_KEY

        # The header's /manage/ link: the member's session holds the answer, valid under this
        # roles version (community.ownpage).
        register_viewer_facts(key="console", provider=lambda user_id: [VERSION_KEY])
