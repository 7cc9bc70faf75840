from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API and webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from api import receivers, schema  # noqa: F401  (schema registers the token scheme)

        receivers.connect()
