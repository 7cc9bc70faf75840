"""config.tasks: queueing a task by its registered name."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# (module, constant) for every task a module queues by name instead of importing it.
QUEUED_BY_NAME = [
    ("api.webhooks", "DELIVER_TASK"),
    ("escalation.chat", "SEND_MESSAGE_TASK"),
    ("escalation.helpdesk", "PUSH_HANDOFF_TASK"),
    ("experts.services", "SWEEP_OFFER_TASK"),
    ("experts.services", "LAPSE_CLAIM_TASK"),
    ("experts.services", "RECOMPUTE_QUALITY_TASK"),
    ("notifications.services", "EMAIL_TASK"),
]


def test_every_task_queued_by_name_is_registered_in_a_fresh_process():
    """A web process does not import the tasks modules by itself: task_named finds a task
    there only because its app imports its tasks module in AppConfig.ready()."""
    code = "\n".join([
        "import importlib",
        "import django",
        "django.setup()",
        "from config.tasks import task_named",
        f"for module, constant in {QUEUED_BY_NAME!r}:",
        "    name = getattr(importlib.import_module(module), constant)",
        "    assert task_named(name).name == name, name",
    ])
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
