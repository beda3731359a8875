"""Google's low per-project limits: beyond the in-flight and per-minute caps, a submission is not
claimed (it waits queued) and says how long to wait."""

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone

from generations.models import Generation, VideoModel
from generations.providers.gemini import GeminiProvider
from generations.upstream_limits import open_operations, submission_claim

CLAIM_TIMEOUT = timedelta(seconds=120)


@pytest.fixture
def provider(settings):
    settings.GEMINI_API_KEY = "test-key"
    settings.GEMINI_MAX_IN_FLIGHT = 2
    settings.GEMINI_RPM = 100
    settings.GEMINI_POLL_INTERVAL = 3
    return GeminiProvider()


def queued(user, provider_name="gemini"):
    return Generation.objects.create(
        user=user,
        model=VideoModel.objects.get(slug="veo-3"),
        prompt="ocean waves at golden hour",
        duration=4,
        upstream_duration=4,
        aspect_ratio="16:9",
        cost=160,
        provider=provider_name,
    )


def claim(generation, provider, now):
    return submission_claim(
        generation_id=generation.id, provider=provider, now=now, claim_timeout=CLAIM_TIMEOUT
    )


@pytest.mark.sqlite
def test_a_submission_over_the_in_flight_cap_waits_queued(alice, provider):
    now = timezone.now()
    first, second, third = queued(alice), queued(alice), queued(alice)

    assert claim(first, provider, now) == 0
    assert claim(second, provider, now) == 0
    assert claim(third, provider, now) == 3  # the poll interval: when a slot may have freed

    third.refresh_from_db()
    assert third.status == "queued" and third.submitted_at is None and third.attempts == 0
    assert open_operations(provider_name="gemini", now=now, claim_timeout=CLAIM_TIMEOUT) == 2


def test_a_finished_operation_frees_its_slot(alice, provider):
    now = timezone.now()
    first, second, third = queued(alice), queued(alice), queued(alice)
    claim(first, provider, now)
    claim(second, provider, now)
    Generation.objects.filter(pk=first.pk).update(status="succeeded")

    assert claim(third, provider, now) == 0


def test_simulator_generations_do_not_take_gemini_slots(alice, provider):
    now = timezone.now()
    Generation.objects.filter(pk__in=[queued(alice, "simulator").pk for _ in range(3)]).update(
        status="running", submitted_at=now
    )

    assert claim(queued(alice), provider, now) == 0


def test_a_claimed_generation_is_not_claimed_twice(alice, provider):
    now = timezone.now()
    generation = queued(alice)

    assert claim(generation, provider, now) == 0
    assert claim(generation, provider, now) == -1
    generation.refresh_from_db()
    assert generation.attempts == 1


@pytest.mark.sqlite
def test_a_submission_over_the_requests_per_minute_cap_waits_for_the_next_minute(
    alice, provider, settings
):
    settings.GEMINI_MAX_IN_FLIGHT = 10
    settings.GEMINI_RPM = 2
    # A minute of its own in the past, so no other run's requests are counted in it.
    earlier = timedelta(minutes=10 + secrets.randbelow(10**6))
    minute = (timezone.now() - earlier).replace(second=10, microsecond=0)
    first, second, third = queued(alice), queued(alice), queued(alice)

    assert claim(first, provider, minute) == 0
    assert claim(second, provider, minute + timedelta(seconds=5)) == 0
    assert claim(third, provider, minute + timedelta(seconds=20)) == pytest.approx(30.5)
    assert claim(third, provider, minute + timedelta(seconds=60)) == 0


@pytest.mark.sqlite
def test_concurrent_claims_never_exceed_the_cap(transactional_db, provider):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from conftest import make_user

    user = make_user("carol@example.com")
    generations = [queued(user) for _ in range(6)]
    now = timezone.now()

    def claim_in_own_connection(generation):
        try:
            return claim(generation, provider, now)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(claim_in_own_connection, generations))

    assert results.count(0) == 2
    assert Generation.objects.filter(submitted_at__isnull=False).count() == 2
