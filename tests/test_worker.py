"""A real Celery worker process runs our tasks: on Redis in production, on the file broker locally."""

import uuid

import pytest
from django.core.cache import cache
from django.core.management import call_command

from veoportal.tasks import ping


def wait_for_ping(token, timeout=30):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cache.get(f"ping:{token}"):
            return cache.get(f"ping:{token}")
        time.sleep(0.2)
    return None


@pytest.mark.sqlite
def test_a_worker_process_runs_a_task_from_the_broker(settings, start_worker, processes):
    start_worker()
    token = uuid.uuid4().hex
    ping.delay(token)
    assert wait_for_ping(token), processes.log("worker0")
    expected = "redis" if settings.REDIS_URL else "filesystem"
    assert settings.CELERY_BROKER_URL.startswith(expected)


def test_ping_worker_command_fails_when_no_worker_runs(transactional_db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No worker answered"):
        call_command("ping_worker", "--timeout", "1")
