import pytest

from tests.api.receiver import Receiver


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.stop()


@pytest.fixture
def queued(monkeypatch):
    """The ids of deliveries queued after commit (the fast-path task is not run)."""
    from api import tasks

    ids: list[int] = []
    monkeypatch.setattr(tasks.deliver_webhook, "delay", lambda delivery_id: ids.append(delivery_id))
    return ids
