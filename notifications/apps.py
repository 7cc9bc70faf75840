from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the tasks with Celery in every process, so services can queue them by name.
        from notifications import receivers, tasks  # noqa: F401

        receivers.connect()
