import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls
# from it (set before pytest-django creates the test database).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.factories import AdminFactory, CategoryFactory, StaffFactory, UserFactory  # noqa: E402


@pytest.fixture
def member(db):
    return UserFactory()


@pytest.fixture
def other_member(db):
    return UserFactory()


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def admin_user(db):
    return AdminFactory()


@pytest.fixture
def category(db):
    return CategoryFactory()


@pytest.fixture
def on_postgres(settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite has no row locks / full-text search")
    return connection


@pytest.fixture
def default_rules_and_ranks(on_postgres):
    """A transactional test starts from whatever the last flush left: the point rules and
    ranks made by the data migration may be gone, so make them again."""
    import importlib

    from django.apps import apps as global_apps

    create_defaults = importlib.import_module("kudos.migrations.0002_default_rules_and_ranks").create_defaults
    create_defaults(global_apps, None)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache (Redis in CI), so cached pages, rank tables and
    rate-limit counters never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
