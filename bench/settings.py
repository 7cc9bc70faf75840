"""Settings for the benchmark: production settings (DEBUG off, PostgreSQL, Redis, persistent
connections) served over plain http on 127.0.0.1, plus the bare "ok" view of bench/urls.py."""

import os

os.environ.setdefault("SECRET_KEY", "peerdesk-benchmark-key-" + "b" * 40)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("EMAIL_URL", "dummymail://")

from config.settings import *  # noqa: E402,F403

ROOT_URLCONF = "bench.urls"
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
