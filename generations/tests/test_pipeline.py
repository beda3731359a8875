"""The state machine: queued -> running -> succeeded | failed, each generation settled once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Hold
from billing.selectors import balance_get
from generations import mp4, services
from generations.models import Generation
from generations.tests.conftest import run_concurrently, settlements


@pytest.fixture
def instant(settings):
    settings.SIMULATOR_LATENCY = 0
    settings.SIMULATOR_FAILURE_RATE = 0
    settings.VIDEO_PROVIDER = "simulator"
    return settings


def create(user, **fields):
    fields = {"model": "veo-3", "prompt": "a red fox", "duration": 4, **fields}
    return services.generation_create(user=user, **fields)


@pytest.mark.sqlite
def test_a_generation_runs_then_succeeds_with_a_real_clip_and_is_charged(funded, instant):
    generation = create(funded, duration=5, aspect_ratio="9:16")
    services.generation_start(generation_id=generation.id)
    generation.refresh_from_db()
    assert generation.status == "running"
    assert generation.operation_name and generation.provider == "simulator"
    services.generation_poll(generation_id=generation.id)
    generation.refresh_from_db()
    assert generation.status == "succeeded"
    assert generation.progress == 100
    info = mp4.probe(generation.video.read())
    assert abs(info.duration - 5) <= 1 / 24
    assert (info.width, info.height) == (720, 1280)
    assert generation.poster.read().startswith(b"\xff\xd8")
    assert settlements(generation.id) == ["capture"]
    balance = balance_get(user=funded)
    assert (balance.available, balance.held) == (800, 0)


@pytest.mark.sqlite
def test_a_failed_generation_returns_its_credits(funded, instant):
    instant.SIMULATOR_FAILURE_RATE = 1
    generation = create(funded)
    services.generation_start(generation_id=generation.id)
    services.generation_poll(generation_id=generation.id)
    generation.refresh_from_db()
    assert generation.status == "failed"
    assert generation.error_code == "simulated_failure"
    assert settlements(generation.id) == ["release"]
    assert balance_get(user=funded).available == 1000


@pytest.mark.sqlite
def test_the_completion_delivered_twice_settles_once(funded, instant):
    generation = create(funded)
    services.generation_start(generation_id=generation.id)
    services.generation_start(generation_id=generation.id)  # a duplicate start changes nothing
    services.generation_poll(generation_id=generation.id)
    services.generation_poll(generation_id=generation.id)
    assert settlements(generation.id) == ["capture"]
    # A late failure (sweep, operator) after success changes nothing either.
    assert services.generation_fail(generation_id=generation.id, code="x", message="late") is False
    assert settlements(generation.id) == ["capture"]
    assert Generation.objects.get(pk=generation.id).status == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_concurrent_completions_settle_once(funded, instant):
    generation = create(funded)
    services.generation_start(generation_id=generation.id)

    def complete():
        services.generation_poll(generation_id=generation.id)

    assert run_concurrently(*[complete] * 4) == []
    assert settlements(generation.id) == ["capture"]
    assert Hold.objects.get(reference=generation.id).state == "captured"


@pytest.mark.sqlite
def test_the_sweep_fails_stuck_generations_and_releases_them(funded, instant):
    stuck = create(funded)
    services.generation_start(generation_id=stuck.id)
    fresh = create(funded)
    Generation.objects.filter(pk=stuck.id).update(created_at=timezone.now() - timedelta(hours=1))
    result = services.generations_sweep()
    assert result["failed"] == 1
    stuck.refresh_from_db()
    assert stuck.status == "failed" and stuck.error_code == "upstream_timeout"
    assert settlements(stuck.id) == ["release"]
    assert Generation.objects.get(pk=fresh.id).status == "queued"
    # Sweeping again releases nothing twice.
    assert services.generations_sweep()["failed"] == 0
    assert settlements(stuck.id) == ["release"]


@pytest.mark.sqlite
def test_the_operator_can_fail_a_stuck_generation_once(funded, instant):
    generation = create(funded)
    assert services.generation_fail_by_operator(generation_id=generation.id) is True
    assert services.generation_fail_by_operator(generation_id=generation.id) is False
    services.generation_start(generation_id=generation.id)  # a late task does nothing
    assert Generation.objects.get(pk=generation.id).status == "failed"
    assert settlements(generation.id) == ["release"]


@pytest.mark.sqlite
def test_beat_runs_the_sweep_every_minute():
    from veoportal.celery import app

    entry = app.conf.beat_schedule["generations-sweep"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    assert entry["schedule"] <= 60
