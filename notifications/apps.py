from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the tasks with Celery in every process, so services can queue them by name.
        from notifications import receivers, tasks  # noqa: F401

        receivers.connect()

        from community.hooks import register_viewer_facts
        from notifications.services import UNREAD_KEY

        # The bell's count on a member's own copy of a thread page (community.ownpage).
        register_viewer_facts(key="notifications", provider=lambda user_id: [UNREAD_KEY.format(user_id=user_id)])
