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

# BENCH_CACHE_MODE (set by bench/run.py for each round): "served" is the site as deployed;
# "noown" turns off only the members' own copies of thread pages (a member's first read of a
# thread version: the shared page, filled for them);
# "nopage" turns off the page caches, anonymous and members' (and the list aggregates cached
# with them);
# "none" also renders every thread's answers from scratch.
CACHE_MODE = os.environ.get("BENCH_CACHE_MODE", "served")
if CACHE_MODE in ("nopage", "none"):
    ANONYMOUS_PAGE_CACHE_SECONDS = 0
    MEMBER_PAGE_CACHE = False
if CACHE_MODE == "noown":
    MEMBER_OWN_PAGE = False
if CACHE_MODE == "none":
    ANSWERS_FRAGMENT_CACHE = False
