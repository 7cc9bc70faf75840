"""With Redis unreachable the site keeps serving (config/cache.py): reads miss, writes do
nothing, and the posting limits are counted in the database (community/limits.py)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from community import services
from community.models import Thread
from config.cache import ResilientRedisCache
from kudos.models import Rank

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: every connection is refused at once.
DEAD_REDIS = "redis://127.0.0.1:1/0"
UNREACHABLE_CACHES = {
    "default": {
        "BACKEND": "config.cache.ResilientRedisCache",
        "LOCATION": DEAD_REDIS,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


def test_an_unreachable_redis_reads_as_an_empty_cache_but_counting_raises():
    dead = ResilientRedisCache(DEAD_REDIS, {})
    assert dead.get("key") is None
    assert dead.get("key", "fallback") == "fallback"
    assert dead.get_many(["a", "b"]) == {}
    assert dead.get_or_set("key", 5) == 5
    assert dead.add("key", 1) is False
    dead.set("key", 1)
    dead.delete("key")
    assert dead.has_key("key") is False
    with pytest.raises(Exception):
        dead.incr("key")


def test_with_redis_down_members_browse_and_post_and_the_limits_still_hold(member, other_member, category):
    rank = Rank.objects.get(name="New member")
    rank.questions_per_day = 1
    rank.save()
    thread = services.ask_question(
        author=other_member, category=category, title="Calendar sync stops after update", body="Since 4.2"
    )
    with override_settings(CACHES=UNREACHABLE_CACHES):
        with pytest.raises(Exception):
            cache.incr("anything")  # the cache really is gone
        client = Client()
        client.force_login(member)
        for url in ("/", thread.get_absolute_url(), "/search/?q=calendar", "/kudos/leaderboard/", "/ask/"):
            assert client.get(url).status_code == 200, url
        form = {"title": "Printer will not pair any more", "body": "Since 2.0", "category": category.pk}
        assert client.post(reverse("community:ask"), form).status_code == 302
        response = client.post(reverse("community:ask"), {**form, "title": "A second question the same day"})
        assert response.status_code == 429
        assert "You can post 1 question a day" in response.content.decode()
        assert client.post(reverse("community:answer", args=[thread.pk]), {"body": "Try again"}).status_code == 302
        anonymous = Client()
        assert anonymous.get("/accounts/login/").status_code == 200
    assert Thread.objects.filter(author=member).count() == 1
