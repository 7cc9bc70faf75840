from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from community.hooks import register_thread_notice
        from escalation import receivers
        from escalation.selectors import thread_notice

        receivers.connect()
        register_thread_notice(key="escalation", provider=thread_notice)
