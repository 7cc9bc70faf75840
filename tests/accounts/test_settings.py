"""The production settings, checked in fresh interpreters so the environment is exactly theirs."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def test_production_settings_refuse_to_start_without_secret_key(tmp_path):
    result = _run(["manage.py", "check"], PEERDESK_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_settings_start_without_secret_key(tmp_path):
    result = _run(["manage.py", "check"], DEBUG="true", PEERDESK_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr


def test_check_deploy_with_production_settings_gives_no_warnings(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY="q8Zr7m-Lk2vX9pT4wN6bY1cJ5hF3dS0aG7eR2uI8oP4lK9jH6gF",
        ALLOWED_HOSTS="support.example.com",
        PEERDESK_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_models_and_migrations_agree(db):
    from django.core.management import call_command

    # Exits with SystemExit(1) when a model change has no migration.
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


def test_makemigrations_check_runs_without_a_secret_key_while_other_commands_refuse(tmp_path):
    result = _run(["manage.py", "makemigrations", "--check", "--dry-run"], PEERDESK_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
    assert _run(["manage.py", "migrate", "--plan"], PEERDESK_VAR_DIR=str(tmp_path)).returncode != 0
