from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API and webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # schema registers the token scheme; tasks registers the tasks with Celery in every
        # process, so services can queue them by name.
        from api import receivers, schema, tasks  # noqa: F401

        receivers.connect()
