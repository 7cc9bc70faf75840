from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Commands for developers that reach into every app (demo data, the benchmark dataset).
    Nothing imports devtools; it sits above all the other apps."""

    name = "devtools"
    default_auto_field = "django.db.models.BigAutoField"
