from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Community management"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from console import receivers

        receivers.connect()
