from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing tasks registers them with Celery in every process, so services can queue
        # them by name (config.tasks.task_named).
        from community.hooks import register_thread_notice
        from escalation import receivers, tasks  # noqa: F401
        from escalation.selectors import thread_notice

        receivers.connect()
        register_thread_notice(key="escalation", provider=thread_notice)
