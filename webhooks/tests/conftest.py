"""Fixtures for webhook tests: generations to announce and Celery running tasks inline."""

import pytest

from generations.models import Generation, VideoModel


@pytest.fixture
def eager_tasks():
    """Celery runs tasks inline (countdowns ignored), so a shrunk retry schedule plays out
    within the test; the tasks and services are the real ones."""
    from veoportal.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def make_generation(db):
    def make(user, *, webhook_url="", status=Generation.RUNNING, **extra):
        model = VideoModel.objects.get(slug="veo-3")
        fields = dict(
            user=user,
            model=model,
            prompt="a lighthouse in a storm",
            duration=4,
            upstream_duration=4,
            aspect_ratio="16:9",
            cost=4 * model.price_per_second,
            status=status,
            progress=40 if status == Generation.RUNNING else 0,
            webhook_url=webhook_url,
            provider="simulator",
        )
        fields.update(extra)
        return Generation.objects.create(**fields)

    return make
