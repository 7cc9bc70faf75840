"""Settings for the test suite: the production module with what tests must not depend on.

DATABASE_URL and REDIS_URL are honoured exactly as in production, so CI runs the suite on
PostgreSQL and Redis; without them the suite runs on SQLite with a local-memory cache.
"""

import os
from urllib.parse import urlsplit

os.environ.setdefault("SECRET_KEY", "peerdesk-test-key-" + "x" * 40)

from config.settings import *  # noqa: E402,F403
from config.settings import REDIS_URL  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_RATE_LIMITS = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Tasks run in-process when queued (after commit, see config.tasks.enqueue_on_commit), so
# tests see their effects without a worker. Tests that need the broker say so themselves.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

if REDIS_URL:
    # Keep test keys apart from anything a developer's site has in the same Redis, and each
    # pytest-xdist worker in a Redis database of its own: tests clear the cache (FLUSHDB).
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    _db = 1 + int(_worker.removeprefix("gw") or 0) % 15
    CACHES["default"]["LOCATION"] = urlsplit(REDIS_URL)._replace(path=f"/{_db}").geturl()  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = "peerdesk-test"  # noqa: F405
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Tests measure and inspect rendered pages; the anonymous page cache is tested on its own in
# tests/community/test_caching.py, which turns it on.
ANONYMOUS_PAGE_CACHE_SECONDS = 0
MEDIA_ROOT = __import__("tempfile").mkdtemp(prefix="peerdesk-test-media-")
