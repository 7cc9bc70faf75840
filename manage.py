#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if sys.argv[1:2] == ["makemigrations"]:
        # Writing or checking migrations reads models only and signs nothing, so it needs no
        # real SECRET_KEY; every other command keeps the production refusal.
        os.environ.setdefault("SECRET_KEY", "makemigrations-only-" + "0" * 40)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
