"""The Celery application. Tasks are discovered in each app's tasks.py."""

import logging
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

app = Celery("peerdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _tolerate_a_lost_redis_connection() -> None:
    """Make kombu's redis transport skip, with a warning, the two things it tries to do on a
    channel whose connection is already gone: acknowledge a message (late acks of tasks that
    finish around an outage) and put unacknowledged messages back (closing the channel after
    the connection was lost). Both build a client from the closed connection and raise
    "AttributeError: 'NoneType' object has no attribute 'hostname'", which the worker treats
    as unrecoverable: it exits and never comes back.

    Skipping is safe: the messages stay in Redis' unacked index and are delivered again after
    the visibility timeout (or they went with a Redis that lost its data), every task here is
    idempotent, and the database sweeps redo whatever was lost.
    tests/config/test_worker_reconnect.py kills Redis under a real worker to prove it.
    """
    from kombu.transport import redis

    def connection_is_gone(qos) -> bool:
        return getattr(qos.channel.connection, "client", None) is None

    def tolerant(name: str):
        original = getattr(redis.QoS, name)
        if getattr(original, "tolerates_lost_connections", False):
            return

        def method(self, *args, **kwargs):
            if connection_is_gone(self):
                logger.warning("Redis connection lost: skipped %s; the messages are delivered again later.", name)
                return None
            return original(self, *args, **kwargs)

        method.tolerates_lost_connections = True
        setattr(redis.QoS, name, method)

    tolerant("ack")
    tolerant("restore_unacked")


_tolerate_a_lost_redis_connection()
