"""The Celery worker survives a Redis outage: a real redis-server of our own on a free port
(never the shared one), a real worker subprocess with the production settings and Procfile
options, Redis killed and brought back empty, and a task queued afterwards runs."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not os.path.exists(REDIS_SERVER), reason="needs /usr/bin/redis-server to run a private Redis for the worker"
)


def procfile_worker_command(tmp_path: Path) -> list[str]:
    """The Procfile's worker command (prefork, embedded beat, and the options that keep a
    worker alive through a broker outage), run with this Python on the probe app. The README's
    production command uses the same options."""
    line = next(l for l in (ROOT / "Procfile").read_text().splitlines() if l.startswith("worker:"))
    args = line.removeprefix("worker:").split()
    assert args[0].endswith("celery") and args[1:3] == ["-A", "config"], line
    return [sys.executable, "-m", "celery", "-A", "tests.config.celery_probe", *args[3:],
            "--schedule", str(tmp_path / "celerybeat-schedule")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port: int, workdir: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


def wait_for(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.1)
    return False


def send_probe(app: Celery, path: Path, seconds: float = 8) -> None:
    """Queue the probe, retrying while the broker is still coming back."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            app.send_task("tests.config.probe", args=[str(path)])
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_worker_reconnects_after_redis_restarts_empty_and_runs_a_task_queued_afterwards(tmp_path):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    redis = start_redis(port, tmp_path)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "REDIS_URL": url,  # our private Redis above, never the shared one
        "PEERDESK_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
    }
    worker_log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        procfile_worker_command(tmp_path), cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT
    )
    client = Celery("probe-client", broker=url)
    client.conf.broker_connection_retry_on_startup = True
    try:
        # Generous waits: a worker starts in a few seconds on an idle machine (the whole test
        # takes about 15 s), much slower on a loaded CI box.
        send_probe(client, tmp_path / "before")
        assert wait_for(tmp_path / "before", 40), "the worker never ran a task: " + (tmp_path / "worker.log").read_text()[-2000:]

        redis.send_signal(signal.SIGKILL)
        redis.wait(timeout=5)
        time.sleep(4)  # the worker notices the lost connection while Redis is away
        redis = start_redis(port, tmp_path)  # back, and empty: no queues, no bindings

        client = Celery("probe-client-again", broker=url)
        send_probe(client, tmp_path / "after")
        assert wait_for(tmp_path / "after", 30), "the worker did not come back: " + (tmp_path / "worker.log").read_text()[-3000:]
        assert worker.poll() is None, "the worker process died"
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.kill()
        redis.kill()
        redis.wait(timeout=5)
        worker_log.close()
